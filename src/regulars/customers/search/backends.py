"""The two index backends of recognition search, behind one small interface.

SQLite: FTS5 over the entries' words (``customers_search_fts``, unicode61 tokenizer with
prefix indexes for 2, 3 and 4 letters) and FTS5 with the trigram tokenizer over the
vocabulary (``customers_term_fts``), both kept in step with their tables by triggers.
PostgreSQL: trigram GIN indexes (``pg_trgm``) on the same two tables. Both get the same
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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection


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

    def disable_sync(self) -> None:
        """Before a rebuild: stop per-row index upkeep (inside the rebuild's transaction)."""

    def rebuild(self) -> None:
        """After a rebuild's rows are written: index them all and restore upkeep."""


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


def _like_pattern(term: Term) -> str:
    return f"% {term.text}%" if term.prefix else f"% {term.text} %"


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
POSTGRES_INDEXES: tuple[tuple[str, str], ...] = (
    (
        "customers_searchdoc_doc_trgm",
        (
            "CREATE INDEX customers_searchdoc_doc_trgm "
            "ON customers_searchdoc USING gin (doc gin_trgm_ops)"
        ),
    ),
    (
        "customers_searchterm_term_trgm",
        (
            "CREATE INDEX customers_searchterm_term_trgm "
            "ON customers_searchterm USING gin (term gin_trgm_ops)"
        ),
    ),
)


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
                    "WHERE customers_term_fts MATCH %s ORDER BY f.rank LIMIT %s"
                ),
                [expression, limit],
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

    def disable_sync(self) -> None:
        with connection.cursor() as cursor:
            for name, _sql in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(
                "INSERT INTO customers_search_fts(customers_search_fts) VALUES ('delete-all')"
            )
            cursor.execute(
                "INSERT INTO customers_term_fts(customers_term_fts) VALUES ('delete-all')"
            )

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO customers_search_fts(customers_search_fts) VALUES ('rebuild')"
            )
            cursor.execute(
                "INSERT INTO customers_term_fts(rowid, term) "
                "SELECT id, ' ' || term || ' ' FROM customers_searchterm"
            )
            for _name, sql in SQLITE_TRIGGERS:
                cursor.execute(sql)


class PostgresBackend:
    def matching(self, clauses: Sequence[Clause], limit: int) -> list[Candidate]:
        conditions = " AND ".join(
            "(" + " OR ".join("d.doc LIKE %s" for _ in clause) + ")" for clause in clauses
        )
        params: list[Any] = [_like_pattern(t) for clause in clauses for t in clause]
        sql = (
            f"SELECT {_ENTRY_COLUMNS} FROM customers_searchdoc d "  # noqa: S608 - fragments are parameters
            f"WHERE {conditions} ORDER BY d.key DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, limit])
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

    def disable_sync(self) -> None:
        with connection.cursor() as cursor:
            for name, _sql in POSTGRES_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            # The rows just written carry deferred foreign-key checks, and PostgreSQL
            # refuses CREATE INDEX on a table with pending trigger events: run the
            # checks now (they are deferred again afterwards).
            connection.check_constraints()
            for _name, sql in POSTGRES_INDEXES:
                cursor.execute(sql)


def backend() -> Backend:
    if connection.vendor == "sqlite":
        return SQLiteBackend()
    if connection.vendor == "postgresql":
        return PostgresBackend()
    raise NotImplementedError(f"recognition search does not support {connection.vendor}")
