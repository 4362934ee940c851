"""The two index backends of recognition search, behind one small interface.

SQLite: FTS5 over the entries' words (``customers_search_fts``, unicode61 tokenizer with
prefix indexes for 2, 3 and 4 letters) and FTS5 with the trigram tokenizer over the
vocabulary (``customers_term_fts``), both kept in step with their tables by triggers.
PostgreSQL: a GIN index over the entries' words (a ``tsvector`` of the doc's words as
written and of the word starts the entry stores beside them) and a trigram GIN index
(``pg_trgm``) over the vocabulary. Both get the same
normalised text (``regulars.text.normalise``), so both find the same customers;
``unaccent`` is not needed because nothing reaches the index unfolded.

A query reaches a backend as clauses: every clause must match, and a clause matches
when any of its terms does. A term is a whole word or the start of a word; it holds
only ``[a-z0-9]`` (normalised words and phone digits), so it needs no quoting beyond
the backend's own and cannot carry FTS or SQL syntax. Fragments inside a word and typos
are resolved against the vocabulary first (``containing``, ``similar_terms``) and reach
the entries as whole words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection

from regulars.customers.search.documents import MAX_TERM_LENGTH


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # [a-z0-9]+
    prefix: bool  # the start of a word; else the whole word


Clause = Sequence[Term]


@dataclass(frozen=True, slots=True)
class Candidate:
    key: int
    customer_id: int
    doc: str
    home_location_id: int | None
    visits: int


_ENTRY_COLUMNS = "d.key, d.customer_id, d.doc, d.home_location_id, d.visits"
# An entry as it is written: key, customer_id, doc, terms, home_location_id, visits.
Row = tuple[int, int, str, str, int | None, int]
_ROW_COLUMNS = "key, customer_id, doc, terms, home_location_id, visits"


def _candidates(rows: Sequence[Sequence[Any]]) -> list[Candidate]:
    return [Candidate(int(k), int(c), str(d), h, int(v)) for k, c, d, h, v in rows]


class Backend(Protocol):
    def matching(self, clauses: Sequence[Clause], limit: int) -> list[Candidate]:
        """Entries matching every clause, most recently seen first, at most ``limit``."""

    def recent(self, limit: int) -> list[Candidate]:
        """The ``limit`` most recently seen entries (for queries too short to index)."""

    def similar_terms(self, padded_trigrams: Sequence[str], word: str, limit: int) -> list[str]:
        """Vocabulary words sharing trigrams with ``word``, likeliest first."""

    def containing(self, fragment: str, limit: int) -> list[str]:
        """Vocabulary words containing ``fragment`` (three letters or more), the most
        common first."""

    def insert(self, rows: Sequence[Row]) -> None:
        """Write these entries, in key order (``index._write_entries`` says why)."""

    def disable_sync(self) -> None:
        """Before a rebuild: stop per-row index upkeep (inside the rebuild's transaction)."""

    def clear(self) -> None:
        """Before a rebuild, after ``disable_sync``: empty the entries and the vocabulary."""

    def add_entries(self, entries: Sequence[tuple[int, str]]) -> None:
        """During a rebuild: index these just written entries, (key, doc) in key order."""

    def rebuild(self) -> None:
        """After a rebuild's rows are written: index what ``add_entries`` has not and
        restore upkeep."""


def known_terms(candidates: Iterable[str]) -> list[str]:
    """Those of ``candidates`` that are vocabulary words, the commonest first (a lookup
    of the vocabulary's unique index per candidate)."""
    wanted = sorted(set(candidates))
    found: list[tuple[int, str]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array parameter: hundreds of separate ones cost PostgreSQL more to
            # parse and plan than the lookups themselves.
            cursor.execute(
                "SELECT term, entries FROM customers_searchterm WHERE term = ANY(%s)", [wanted]
            )
            found = [(-entries, term) for term, entries in cursor.fetchall()]
        else:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                placeholders = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT term, entries FROM customers_searchterm WHERE term IN ({placeholders})",  # noqa: S608 - only placeholders are interpolated
                    chunk,
                )
                found += [(-entries, term) for term, entries in cursor.fetchall()]
    return [term for _count, term in sorted(found)]


# After every vocabulary word made of z's alone.
_PAST_EVERY_Z = "z" * (MAX_TERM_LENGTH + 1)


def _after(prefix: str) -> str:
    """A string after every word starting with ``prefix`` ([a-z]+) and before every
    other word after it: "sudu" → "sudv", "suz" → "sv", "zz" → "zzz…" (101 letters).
    Strings of lower-case ASCII letters sort alike in every collation."""
    stem = prefix.rstrip("z")
    return stem[:-1] + chr(ord(stem[-1]) + 1) if stem else _PAST_EVERY_Z


def starts_a_term(prefix: str) -> bool:
    """Whether some vocabulary word starts with ``prefix`` (one range of the
    vocabulary's unique index)."""
    if not (prefix.isascii() and prefix.isalpha() and prefix.islower()):
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM customers_searchterm WHERE term >= %s AND term < %s LIMIT 1",
            [prefix, _after(prefix)],
        )
        return cursor.fetchone() is not None


def _recent(limit: int) -> list[Candidate]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM customers_searchdoc d ORDER BY d.key DESC LIMIT %s",  # noqa: S608 - only placeholders and fixed names are interpolated
            [limit],
        )
        return _candidates(cursor.fetchall())


def _fts_string(fragment: str) -> str:
    return '"' + fragment + '"'


def _fts_term(term: Term) -> str:
    return _fts_string(term.text) + ("*" if term.prefix else "")


# The triggers keeping the FTS5 tables in step. The migration that created them
# (customers 0004) runs these statements; a change here needs a migration that
# recreates them.
SQLITE_TRIGGERS: tuple[tuple[str, str], ...] = (
    (
        "customers_searchdoc_ai",
        (
            "CREATE TRIGGER customers_searchdoc_ai AFTER INSERT ON customers_searchdoc BEGIN "
            "INSERT INTO customers_search_fts(rowid, doc) VALUES (new.key, new.doc); END"
        ),
    ),
    (
        "customers_searchdoc_ad",
        (
            "CREATE TRIGGER customers_searchdoc_ad AFTER DELETE ON customers_searchdoc BEGIN "
            "INSERT INTO customers_search_fts(customers_search_fts, rowid, doc) "
            "VALUES ('delete', old.key, old.doc); END"
        ),
    ),
    (
        "customers_searchdoc_au",
        (
            "CREATE TRIGGER customers_searchdoc_au AFTER UPDATE OF key, doc ON customers_searchdoc "
            "BEGIN INSERT INTO customers_search_fts(customers_search_fts, rowid, doc) "
            "VALUES ('delete', old.key, old.doc); "
            "INSERT INTO customers_search_fts(rowid, doc) VALUES (new.key, new.doc); END"
        ),
    ),
    # The vocabulary index is contentless and holds each word padded with spaces, so a
    # mistyped short word still shares its first and last trigram with the right one
    # (" ol" of "olha" and "olga").
    (
        "customers_searchterm_ai",
        (
            "CREATE TRIGGER customers_searchterm_ai AFTER INSERT ON customers_searchterm BEGIN "
            "INSERT INTO customers_term_fts(rowid, term) VALUES (new.id, ' ' || new.term || ' '); "
            "END"
        ),
    ),
    (
        "customers_searchterm_ad",
        (
            "CREATE TRIGGER customers_searchterm_ad AFTER DELETE ON customers_searchterm BEGIN "
            "INSERT INTO customers_term_fts(customers_term_fts, rowid, term) "
            "VALUES ('delete', old.id, ' ' || old.term || ' '); END"
        ),
    ),
    (
        "customers_searchterm_au",
        (
            "CREATE TRIGGER customers_searchterm_au AFTER UPDATE OF term ON customers_searchterm "
            "BEGIN INSERT INTO customers_term_fts(customers_term_fts, rowid, term) "
            "VALUES ('delete', old.id, ' ' || old.term || ' '); "
            "INSERT INTO customers_term_fts(rowid, term) VALUES (new.id, ' ' || new.term || ' '); "
            "END"
        ),
    ),
)
SQLITE_TABLES: tuple[str, ...] = (
    (
        "CREATE VIRTUAL TABLE customers_search_fts USING fts5("
        "doc, content='customers_searchdoc', content_rowid='key', tokenize='unicode61', "
        "prefix='2 3 4')"
    ),
    "CREATE VIRTUAL TABLE customers_term_fts USING fts5(term, content='', tokenize='trigram')",
)


# FTS5's own default: merge segments as they are written, four of a level at a time.
FTS5_AUTOMERGE = 4
# Word starts of 2 to this many letters are lexemes of their own (see word_starts).
START_LETTERS = 4
# The first two letters of a word starting with two letters, and the next two letters
# where they are letters (as many groups as START_LETTERS - 1).
_WORD_START = re.compile(r" ([a-z]{2})([a-z]?)([a-z]?)")


def word_starts(doc: str) -> str:
    """The start lexemes of the padded doc's words for PostgreSQL's word index: "^" and
    the first 2, 3 and 4 letters of each word starting with two letters ("^gi ^giu
    ^gius" for giuseppe), each once.

    The word index holds them beside the words themselves (``_doc_words``): a GIN index
    answers "giu:*" by merging the lists of every word starting with giu before it can
    intersect anything (17 ms for "pcetro:* & mar:*" at a million entries, which match
    nobody), and "^giu" with one list it can skip through. They are computed here, as
    the entries are written, and stored in the entry's ``starts``: computed by the
    index expression (with ``regexp_replace``), they took a sixth of a rebuild of a
    million entries.
    """
    starts: dict[str, None] = {}
    for two, third, fourth in _WORD_START.findall(doc):
        starts["^" + two] = None
        if third:
            starts["^" + two + third] = None
            if fourth:
                starts["^" + two + third + fourth] = None
    return " ".join(starts)


def _doc_words(alias: str = "") -> str:
    """The words of an entry (of the table ``alias``, when given) as a text-search
    vector: one lexeme per word of the doc exactly as written, and its stored word
    starts (``word_starts``).

    As written: the doc is already normalised and split, so neither parser nor
    dictionary may run (``to_tsvector`` would split "1e5abc" into a number and a word).
    The index and the queries must spell this the same for the planner to match them.
    """
    table = f"{alias}." if alias else ""
    return f"array_to_tsvector(array_remove(string_to_array({table}doc || {table}starts, ' '), ''))"


# The PostgreSQL indexes, created by migrations customers 0005 and 0007 (a change here
# needs a migration that recreates them) and dropped and recreated around a rebuild.
POSTGRES_INDEXES: tuple[tuple[str, str], ...] = (
    # PostgresBackend.matching when few entries match: which entries hold a word or a
    # word's start.
    (
        "customers_searchdoc_words",
        (
            "CREATE INDEX customers_searchdoc_words "
            f"ON customers_searchdoc USING gin ({_doc_words()})"
        ),
    ),
    # similar_terms and containing: vocabulary words sharing trigrams with a typed word
    # or holding a fragment.
    (
        "customers_searchterm_term_trgm",
        (
            "CREATE INDEX customers_searchterm_term_trgm "
            "ON customers_searchterm USING gin (term gin_trgm_ops)"
        ),
    ),
)
# The memory a rebuild gives PostgreSQL to build its indexes (PostgresBackend.rebuild).
INDEX_BUILD_MEMORY = "16MB"
# matching: the most recent entries tested before choosing a plan.
PROBE_ROWS = 1_000
# matching: reading one entry the word index found costs as much as walking this many
# (measured at a million entries: 3.3-3.6 µs per match found, 1.6-2.2 µs per entry
# walked; the walk reads entries in key order, most of them recently read).
GIN_ROW_COST = 2.0


def _needle(term: Term) -> str:
    """What the padded doc contains when ``term`` matches: a space, then the word's
    start, or the whole word between spaces."""
    return f" {term.text}" if term.prefix else f" {term.text} "


def _ts_term(term: Term) -> str:
    # Quoted, so the tsquery input function takes the lexeme as written.
    if term.prefix and 2 <= len(term.text) <= START_LETTERS and term.text.isalpha():
        return f"'^{term.text}'"
    return f"'{term.text}'" + (":*" if term.prefix else "")


def _tsquery(clauses: Sequence[Clause]) -> str:
    return " & ".join("(" + " | ".join(_ts_term(t) for t in clause) + ")" for clause in clauses)


def _walk_is_cheaper(seen: int, entries: float, wanted: int) -> bool:
    """Whether walking on from the probe reads fewer entries than the word index finds.

    ``seen`` of the ``PROBE_ROWS`` most recent entries matched; ``entries`` is the
    table's estimated size (negative when never counted). Walking on reads about
    ``wanted / share`` entries, the index about ``share × entries`` matches, each
    ``GIN_ROW_COST`` times dearer. None seen: the share is under 1/PROBE_ROWS, where
    the index wins.
    """
    if seen == 0 or entries <= 0:
        return False
    share = seen / PROBE_ROWS
    return wanted / share < GIN_ROW_COST * share * entries


class SQLiteBackend:
    def matching(self, clauses: Sequence[Clause], limit: int) -> list[Candidate]:
        expression = " AND ".join(
            "(" + " OR ".join(_fts_term(t) for t in clause) + ")" for clause in clauses
        )
        with connection.cursor() as cursor:
            # FTS5 walks its lists in rowid (= key) order when asked for ORDER BY
            # rowid DESC, so the LIMIT stops it early on common fragments.
            cursor.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM customers_search_fts f "  # noqa: S608 - only placeholders and fixed names are interpolated
                "JOIN customers_searchdoc d ON d.key = f.rowid "
                "WHERE customers_search_fts MATCH %s ORDER BY f.rowid DESC LIMIT %s",
                [expression, limit],
            )
            return _candidates(cursor.fetchall())

    def recent(self, limit: int) -> list[Candidate]:
        return _recent(limit)

    def similar_terms(self, padded_trigrams: Sequence[str], word: str, limit: int) -> list[str]:
        if not padded_trigrams:
            return []
        expression = " OR ".join(_fts_string(t) for t in padded_trigrams)
        with connection.cursor() as cursor:
            cursor.execute(
                (
                    "SELECT t.term FROM customers_term_fts f "
                    "JOIN customers_searchterm t ON t.id = f.rowid "
                    "WHERE customers_term_fts MATCH %s AND length(t.term) >= %s "
                    "ORDER BY f.rank LIMIT %s"
                ),
                # Words more than two letters shorter are beyond any typo's reach:
                # leaving them out keeps the best-ranked places for the reachable ones.
                [expression, len(word) - 2, limit],
            )
            return [row[0] for row in cursor.fetchall()]

    def containing(self, fragment: str, limit: int) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.term FROM customers_term_fts f "
                "JOIN customers_searchterm t ON t.id = f.rowid "
                "WHERE customers_term_fts MATCH %s ORDER BY t.entries DESC, t.term LIMIT %s",
                [_fts_string(fragment), limit],
            )
            return [row[0] for row in cursor.fetchall()]

    def insert(self, rows: Sequence[Row]) -> None:
        # starts stays empty: FTS5 keeps its own prefix indexes.
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO customers_searchdoc ({_ROW_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608 - only fixed names are interpolated
                rows,
            )

    def disable_sync(self) -> None:
        with connection.cursor() as cursor:
            for name, _sql in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(
                "INSERT INTO customers_search_fts(customers_search_fts) VALUES ('delete-all')"
            )
            # No merging of FTS5's segments while the rebuild writes (each batch starts
            # below the last one's keys and becomes a segment of its own): one merge of
            # them all at the end instead (rebuild). A million entries: 58 s against
            # 65 s, and queries on the merged index faster (p95 5.6 ms against 6.5-7.1).
            cursor.execute(
                "INSERT INTO customers_search_fts(customers_search_fts, rank) "
                "VALUES ('automerge', 0)"
            )
            cursor.execute(
                "INSERT INTO customers_term_fts(customers_term_fts) VALUES ('delete-all')"
            )

    def clear(self) -> None:
        # Readers keep seeing the old rows (WAL) until the rebuild commits.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM customers_searchdoc")
            cursor.execute("DELETE FROM customers_searchterm")

    def add_entries(self, entries: Sequence[tuple[int, str]]) -> None:
        # Indexed batch by batch, while a second process computes the next batch (a
        # 'rebuild' at the end would only start after the last one). In key order
        # (index._write_entries says why).
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO customers_search_fts(rowid, doc) VALUES (%s, %s)", entries
            )

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO customers_search_fts(customers_search_fts) VALUES ('optimize')"
            )
            cursor.execute(
                "INSERT INTO customers_search_fts(customers_search_fts, rank) "
                "VALUES ('automerge', %s)",
                [FTS5_AUTOMERGE],
            )
            cursor.execute(
                "INSERT INTO customers_term_fts(rowid, term) "
                "SELECT id, ' ' || term || ' ' FROM customers_searchterm"
            )
            for _name, sql in SQLITE_TRIGGERS:
                cursor.execute(sql)


class PostgresBackend:
    """Word index for the entries, trigram index for the vocabulary.

    ``matching`` wants the ``limit`` most recent entries among the matches, and the
    fastest plan depends on how many entries match, which neither the query nor the
    planner knows (its statistics of word starts are guesses: it expects 0.7 % of the
    entries to hold a digit word starting "39" where half of them do). So it measures:

    1. It tests the ``PROBE_ROWS`` most recent entries (the same ones for every query,
       so they stay in the buffer cache): a common word (two letters, a country code)
       is settled there.
    2. Otherwise the share that matched decides between walking on back through the
       key order, testing each doc (cost grows with ``limit`` / share), and letting the
       word index find every match, then reading and sorting them (cost grows with the
       matches).

    Entries are tested with ``strpos`` on the padded doc (a word start is " giu", a
    whole word " rosso "), two to three times cheaper than the equivalent ``LIKE``.
    """

    def matching(self, clauses: Sequence[Clause], limit: int) -> list[Candidate]:
        if not clauses or limit <= 0:
            return []
        tests = " AND ".join(
            "(" + " OR ".join("strpos(d.doc, %s) > 0" for _ in clause) + ")" for clause in clauses
        )
        needles: list[Any] = [_needle(t) for clause in clauses for t in clause]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {_ENTRY_COLUMNS}, (SELECT reltuples FROM pg_class "  # noqa: S608 - only placeholders and fixed names are interpolated
                "WHERE oid = 'customers_searchdoc'::regclass) FROM ("
                "SELECT key, customer_id, doc, home_location_id, visits FROM customers_searchdoc "
                f"ORDER BY key DESC LIMIT %s) d WHERE {tests} ORDER BY d.key DESC LIMIT %s",
                [PROBE_ROWS, *needles, limit],
            )
            rows = cursor.fetchall()
            found = _candidates([row[:5] for row in rows])
            if len(found) == limit:
                return found
            wanted = limit - len(found)
            if found and _walk_is_cheaper(len(found), float(rows[0][5]), wanted):
                cursor.execute(
                    f"SELECT {_ENTRY_COLUMNS} FROM customers_searchdoc d "  # noqa: S608 - only placeholders and fixed names are interpolated
                    f"WHERE d.key < %s AND {tests} ORDER BY d.key DESC LIMIT %s",
                    [found[-1].key, *needles, wanted],
                )
                return found + _candidates(cursor.fetchall())
            # The tsquery comes through a sub-select, which hides it from the planner: its
            # estimate for word starts can be far too high and turn this into a scan of
            # the whole table (and estimating it costs milliseconds of planning).
            # MATERIALIZED keeps the ORDER BY ... LIMIT from turning it into a walk.
            cursor.execute(
                f"WITH hits AS MATERIALIZED (SELECT {_ENTRY_COLUMNS} "  # noqa: S608 - only placeholders and fixed names are interpolated
                f"FROM customers_searchdoc d WHERE {_doc_words('d')} @@ (SELECT %s::tsquery)) "
                "SELECT * FROM hits ORDER BY key DESC LIMIT %s",
                [_tsquery(clauses), limit],
            )
            return _candidates(cursor.fetchall())

    def recent(self, limit: int) -> list[Candidate]:
        return _recent(limit)

    def similar_terms(self, padded_trigrams: Sequence[str], word: str, limit: int) -> list[str]:
        with connection.cursor() as cursor:
            # pg_trgm's default threshold (0.3) misses one typo in a four-letter name
            # ("olha" / "olga" share 3 of 7 trigrams); the edit distance decides later.
            cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', '0.2', false)")
            cursor.execute(
                (
                    "SELECT term FROM customers_searchterm WHERE term %% %s "
                    "ORDER BY similarity(term, %s) DESC, term LIMIT %s"
                ),
                [word, word, limit],
            )
            return [row[0] for row in cursor.fetchall()]

    def containing(self, fragment: str, limit: int) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT term FROM customers_searchterm WHERE term LIKE %s "
                "ORDER BY entries DESC, term LIMIT %s",
                [f"%{fragment}%", limit],
            )
            return [row[0] for row in cursor.fetchall()]

    def insert(self, rows: Sequence[Row]) -> None:
        # COPY takes a rebuild's million rows several times faster than INSERT.
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY customers_searchdoc ({_ROW_COLUMNS}, starts) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row((*row, word_starts(row[2])))

    def disable_sync(self) -> None:
        with connection.cursor() as cursor:
            for name, _sql in POSTGRES_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")

    def clear(self) -> None:
        with connection.cursor() as cursor:
            # The foreign keys are checked as each batch is written rather than at
            # commit: the checks of a million entries (9 s) then run while the second
            # process computes the next batch (index.rebuild_index). Switching also runs
            # the checks pending from rows written earlier in this transaction, which
            # TRUNCATE and CREATE INDEX would refuse.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # TRUNCATE, not DELETE: CREATE INDEX also indexes the rows its own
            # transaction deleted, which would double the word index's build. Readers
            # wait for the rebuild either way (DROP INDEX locks the table until it
            # commits).
            cursor.execute("TRUNCATE customers_searchdoc, customers_searchterm")

    def add_entries(self, entries: Sequence[tuple[int, str]]) -> None:
        pass  # the word index is created over all of them at the end (rebuild)

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            # GIN builds the word index faster with less memory than the default 64 MB
            # (a million entries: 40-46 s at 16 MB, 47-51 s at 64 MB, 62 s at 256 MB;
            # it sorts what fits in memory, then merges it into the index). Until commit.
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
            for _name, sql in POSTGRES_INDEXES:
                cursor.execute(sql)
            # Fresh statistics for the planner: the tables were just filled anew.
            cursor.execute("ANALYZE customers_searchdoc, customers_searchterm")
            # Back to Django's default: foreign keys checked at commit.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def backend() -> Backend:
    if connection.vendor == "sqlite":
        return SQLiteBackend()
    if connection.vendor == "postgresql":
        return PostgresBackend()
    raise NotImplementedError(f"recognition search does not support {connection.vendor}")
