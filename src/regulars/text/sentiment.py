"""Sentiment of a short customer comment, from lexicons and a few rules.

``score_sentiment(text, language)`` gives a ``Sentiment``: a label (positive, neutral,
negative), a score in [-1, 1], and the valence of every clause (topics.py uses those to
tell which mentioned topic was complained about).

How a comment is scored:

1. ``tokenise``: NFC, lower case, words (Cyrillic and accented letters included),
   numbers, emoticons and emoji, and the punctuation that ends a clause. Outside English,
   elisions are split (``l'attesa`` → ``l``, ``attesa``; ``po'`` → ``po``).
2. Each position is matched, longest first, against the project's own service lexicon
   and rule words for the language (``data/service/<lang>.tsv``, ``data/rules/<lang>.tsv``,
   ``data/service/common.tsv`` for emoji): entries are words, stems written ``stem*``
   (the lemma-ish matching for inflected Italian, Spanish, Russian and Danish) or
   phrases of several of those (``waited ages``, ``non vale``, ``не стоит``).
   Where nothing matches, the licensed general lexicons are consulted: AFINN (en, da;
   exact words), Sentix (it; the word, then its masculine-singular / infinitive
   guesses), only for strongly polar lemmas. A word carrying a negative prefix
   (``un``friendly, ``u``høflig, ``не``вежливый, ``in``cómodo) whose rest is a lexicon
   word takes that word's value with the sign flipped.
3. Rules, per sentence: a negator (not, non, ikke, не, no, nunca, …) flips and damps
   (× ``NEGATION``) the next valence word within ``NEGATION_SCOPE`` words of the same
   clause; intensifiers and diminishers scale the next valence word; a contrast word
   (but, ma, men, но, pero, …) halves what came before it in the sentence and weighs
   what follows by ``AFTER_CONTRAST``; a concession (though, anche se, selvom, хотя,
   aunque) only ends a clause; a balancing word (either, neanche, tampoco, "но и не")
   makes its sentence lukewarm (× ``BALANCED``); ``!`` strengthens its sentence; a
   suggestion formula (would be nice, sarebbe, было бы, …) damps its sentence
   (× ``SUGGESTION``) and so does a plain question ending in one ``?`` (× ``QUESTION``);
   a negated intensifier softens ("not very good": × ``NEGATED_INTENSIFIER``). Negative valences
   count ``NEGATIVITY`` times: a complaint among praise is what a business needs to see.
4. The total ``s`` becomes ``score = s / sqrt(s² + ALPHA)``; ``|score| < NEUTRAL_BAND``
   is neutral.

Lexicons are loaded once per language per process (``functools.cache``). No Django.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, Generic, Literal, TypeVar

__all__ = [
    "Label",
    "PhraseMatcher",
    "Sentiment",
    "label_for",
    "read_tsv",
    "score_sentiment",
    "tokenise",
]

Label = Literal["positive", "neutral", "negative"]
V = TypeVar("V")

DATA: Final = Path(__file__).resolve().parent / "data"
NEGATION: Final = -0.74
NEGATION_SCOPE: Final = 4
MODIFIER_SCOPE: Final = 2
AFTER_CONTRAST: Final = 1.5
BEFORE_CONTRAST: Final = 0.5
AFTER_CONCESSION: Final = 1.0
BALANCED: Final = 0.3
NEGATIVITY: Final = 1.3
EXCLAMATION: Final = 0.15
SUGGESTION: Final = 0.25
NEGATED_INTENSIFIER: Final = 0.7
QUESTION: Final = 0.4
ALPHA: Final = 6.0
NEUTRAL_BAND: Final = 0.3
SENTIX_MIN: Final = 0.6
SENTIX_SCALE: Final = 2.0

# Emoticons first (":)" before ":" is punctuation), then words with inner apostrophes,
# numbers, clause punctuation, emoji.
_TOKEN: Final = re.compile(
    r"(?<!\w)[:;=8][\-o'^]?[()\[\]dDpP/\\|*{}](?!\w)|<3"
    r"|[^\W\d_]+(?:['’][^\W\d_]+)*"
    r"|\d+(?:[.,]\d+)?"
    r"|[.!?;,:…—–]"
    r"|[\U0001F300-\U0001FAFF\u2600-\u27BF]"
)
SENTENCE_END: Final = frozenset(".!?…")
CLAUSE_END: Final = frozenset(",;:—–") | SENTENCE_END


def tokenise(text: str, language: str) -> list[str]:
    """Lower-cased tokens of ``text``: words, numbers, emoticons, emoji, punctuation."""
    text = unicodedata.normalize("NFC", text).replace("’", "'")
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0].isalpha():
            token = token.lower()
            if language != "en" and "'" in token:
                tokens.extend(part for part in token.split("'") if part)
                continue
        tokens.append(token)
    return tokens


class PhraseMatcher(Generic[V]):
    """Longest-match lookup of words, ``stem*`` prefixes and phrases of those."""

    def __init__(self, entries: Iterable[tuple[str, V]]) -> None:
        self._exact: dict[str, list[tuple[tuple[str, ...], V]]] = {}
        self._prefix: dict[str, list[tuple[tuple[str, ...], V]]] = {}
        for term, value in entries:
            units = tuple(term.lower().split())
            if not units:
                continue
            first = units[0]
            if first.endswith("*"):
                self._prefix.setdefault(first[:-1], []).append((units, value))
            else:
                self._exact.setdefault(first, []).append((units, value))
        self._prefix_lengths = sorted({len(p) for p in self._prefix}, reverse=True)

    def __len__(self) -> int:
        return sum(len(v) for v in self._exact.values()) + sum(
            len(v) for v in self._prefix.values()
        )

    def match_at(self, tokens: Sequence[str], i: int) -> tuple[int, V] | None:
        """(number of tokens, value) of the longest entry starting at ``tokens[i]``."""
        token = tokens[i]
        candidates = list(self._exact.get(token, ()))
        for length in self._prefix_lengths:
            if length <= len(token):
                candidates.extend(self._prefix.get(token[:length], ()))
        best: tuple[int, V] | None = None
        for units, value in candidates:
            n = len(units)
            if (best is None or n > best[0]) and _units_match(units, tokens, i):
                best = (n, value)
        return best


def _units_match(units: tuple[str, ...], tokens: Sequence[str], i: int) -> bool:
    if i + len(units) > len(tokens):
        return False
    for unit, token in zip(units, tokens[i : i + len(units)], strict=False):
        if unit.endswith("*"):
            if not token.startswith(unit[:-1]):
                return False
        elif unit != token:
            return False
    return True


def read_tsv(path: Path) -> list[list[str]]:
    """Rows of a tab-separated data file, without blank lines and ``#`` comments."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line.strip() and not line.lstrip().startswith("#"):
                rows.append([cell.strip() for cell in line.split("\t")])
    return rows


# A rule or lexicon hit: ("value", v), ("negator", 0), ("modifier", factor),
# ("contrast", 0), ("concession", 0).
Hit = tuple[str, float]


@dataclass(frozen=True, slots=True)
class _Resources:
    matcher: PhraseMatcher[Hit]
    general: dict[str, float]
    negative_prefixes: tuple[str, ...]
    lemma_guesses: bool


@cache
def _resources(language: str) -> _Resources:
    entries: list[tuple[str, Hit]] = []
    negators: set[str] = set()
    for row in read_tsv(DATA / "rules" / f"{language}.tsv"):
        kind, term = row[0], row[1]
        factor = float(row[2]) if len(row) > 2 else 0.0
        entries.append((term, (kind, factor)))
        if kind == "negator":
            negators.add(term)
    prefixes = tuple(term for (term, (kind, _)) in entries if kind == "negprefix")
    entries = [e for e in entries if e[1][0] != "negprefix"]
    for name in ("common", language):
        for row in read_tsv(DATA / "service" / f"{name}.tsv"):
            entries.append((row[0], ("value", float(row[1]))))
    general = {k: v for k, v in _general_lexicon(language).items() if k not in negators}
    return _Resources(PhraseMatcher(entries), general, prefixes, language == "it")


def _general_lexicon(language: str) -> dict[str, float]:
    """The licensed lexicon for the language, on AFINN's -5..5 scale (may be empty)."""
    afinn = {"en": "AFINN-en-165.txt", "da": "AFINN-da-32.txt"}
    lexicon: dict[str, float] = {}
    if language in afinn:
        for name in (afinn[language], "AFINN-emoticon-8.txt"):
            with (DATA / "sentiment" / "afinn" / name).open(encoding="utf-8") as handle:
                for line in handle:
                    word, _, value = line.rstrip("\n").rpartition("\t")
                    if word:
                        lexicon[word] = float(value)
    elif language == "it":
        path = DATA / "sentiment" / "sentix" / "sentix_v3.1.1.csv"
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                score = float(row["score"])
                # Sentix is derived from SentiWordNet and noisy on mild words: keep only
                # clearly polar, unambiguous lemmas.
                if abs(score) >= SENTIX_MIN and int(row["poly"]) <= 1:
                    lexicon[row["lemma"].replace("_", " ")] = score * SENTIX_SCALE
    return lexicon


def _italian_lemmas(word: str) -> Iterable[str]:
    """Plausible dictionary forms of an Italian word: buona → buono, costano → costare."""
    yield word
    if len(word) > 3 and word[-1] in "aeio":
        stem = word[:-1]
        yield stem + "o"
        yield stem + "e"
        yield stem + "a"
    for ending, lemma in (("ano", "are"), ("ato", "are"), ("ata", "are"), ("iti", "ire")):
        if word.endswith(ending):
            yield word[: -len(ending)] + lemma


@dataclass(frozen=True, slots=True)
class Sentiment:
    """The sentiment of one text.

    ``clauses`` holds, per clause (split at punctuation and contrast words), the token
    span and its weighted valence: ``(first_token, end_token, valence)``. ``sentences``
    is the same per sentence. ``rules`` lists the lexicon and rule hits as ``(token
    index, kind)``: ``negator``, ``modifier``, ``contrast``, ``concession``,
    ``balance``, ``suggestion``, or ``positive`` / ``negative`` for a valence word
    (its own sign, before any rule); the learned backend uses them as features.
    """

    label: Label
    score: float
    total: float
    tokens: tuple[str, ...]
    clauses: tuple[tuple[int, int, float], ...]
    sentences: tuple[tuple[int, int, float], ...]
    rules: tuple[tuple[int, str], ...] = ()


def label_for(score: float) -> Label:
    if score >= NEUTRAL_BAND:
        return "positive"
    if score <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def _lookup(res: _Resources, tokens: Sequence[str], i: int) -> tuple[int, Hit] | None:
    hit = res.matcher.match_at(tokens, i)
    if hit is not None:
        return hit
    token = tokens[i]
    if token in res.general:
        return 1, ("value", res.general[token])
    if res.lemma_guesses:
        for lemma in _italian_lemmas(token):
            if lemma in res.general:
                return 1, ("value", res.general[lemma])
    for prefix in res.negative_prefixes:
        rest = token[len(prefix) :]
        if token.startswith(prefix) and len(rest) >= 4:
            inner = res.matcher.match_at([rest], 0)
            value = inner[1] if inner else None
            if value is None and rest in res.general:
                value = ("value", res.general[rest])
            if value is not None and value[0] == "value" and value[1] > 0:
                return 1, ("value", -value[1])
    return None


def score_sentiment(text: str, language: str) -> Sentiment:
    """Label and score of ``text`` (any language code; unknown ones use English rules)."""
    if language not in _LANGUAGES:
        language = "en"
    res = _resources(language)
    tokens = tokenise(text, language)
    # items: [token index, clause index, sentence index, weighted value]
    items: list[list[float]] = []
    clauses: list[tuple[int, int]] = []
    sentences: list[tuple[int, int]] = []
    clause_start = sentence_start = 0
    sentence_first_item = 0
    negated_until = -1  # word counter up to which a negator applies
    modifier: tuple[int, float] | None = None
    after_weight = 1.0
    balanced = False
    suggestion = False
    words = 0
    rules: list[tuple[int, str]] = []

    def close_clause(end: int) -> None:
        nonlocal clause_start, negated_until
        clauses.append((clause_start, end))
        clause_start = end
        negated_until = -1

    def close_sentence(end: int) -> None:
        nonlocal sentence_start, sentence_first_item, after_weight, modifier, balanced
        nonlocal suggestion
        span = tokens[sentence_start:end]
        bangs = sum(1 for t in span if t == "!")
        boost = (1 + EXCLAMATION * min(bangs, 3)) * (BALANCED if balanced else 1.0)
        if suggestion:
            boost *= SUGGESTION
        elif span.count("?") == 1 and span[-1] == "?":
            # A plain question asks rather than judges; "??" is usually indignant.
            boost *= QUESTION
        for item in items[sentence_first_item:]:
            item[3] *= boost
        sentences.append((sentence_start, end))
        sentence_start = end
        sentence_first_item = len(items)
        after_weight = 1.0
        modifier = None
        balanced = False
        suggestion = False

    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in CLAUSE_END:
            # "!!!" and "..." stay in one sentence until the run ends.
            if token in SENTENCE_END and (i + 1 == len(tokens) or tokens[i + 1] not in "!?."):
                close_clause(i + 1)
                close_sentence(i + 1)
            elif token not in SENTENCE_END:
                close_clause(i + 1)
            i += 1
            continue
        found = _lookup(res, tokens, i)
        if found is None:
            words += 1
            i += 1
            continue
        length, (kind, value) = found
        rules.append((i, kind if kind != "value" else "positive" if value > 0 else "negative"))
        if kind == "negator":
            negated_until = words + length + NEGATION_SCOPE
        elif kind == "modifier":
            modifier = (words + length + MODIFIER_SCOPE, value)
        elif kind == "suggestion":
            # "would be nice if…", "please bring back…": a wish, not a verdict.
            suggestion = True
        elif kind == "balance":
            # "not bad, but not great either": a lukewarm comparison, neither side wins.
            negated_until = words + length + NEGATION_SCOPE
            balanced = True
        elif kind in ("contrast", "concession"):
            if i > clause_start:
                close_clause(i)
            if kind == "contrast":
                for item in items[sentence_first_item:]:
                    item[3] *= BEFORE_CONTRAST
                after_weight = AFTER_CONTRAST
            else:
                after_weight = AFTER_CONCESSION
        elif kind == "value":
            v = value
            negated = words < negated_until
            if modifier is not None and words < modifier[0]:
                # "not very good" is milder than "not good": a negated intensifier
                # softens instead of strengthening.
                v *= NEGATED_INTENSIFIER if negated and modifier[1] > 1 else modifier[1]
                modifier = None
            if negated:
                v *= NEGATION
                negated_until = -1
            if v < 0:
                v *= NEGATIVITY
            items.append([i, len(clauses), len(sentences), v * after_weight])
        words += length
        i += length
    if clause_start < len(tokens) or not clauses:
        close_clause(len(tokens))
    if sentence_start < len(tokens) or not sentences:
        close_sentence(len(tokens))

    clause_values = [0.0] * len(clauses)
    sentence_values = [0.0] * len(sentences)
    for _, clause, sentence, v in items:
        clause_values[int(clause)] += v
        sentence_values[int(sentence)] += v
    total = sum(sentence_values)
    score = total / math.sqrt(total * total + ALPHA)
    return Sentiment(
        label=label_for(score),
        score=score,
        total=total,
        tokens=tuple(tokens),
        clauses=tuple((a, b, v) for (a, b), v in zip(clauses, clause_values, strict=True)),
        sentences=tuple((a, b, v) for (a, b), v in zip(sentences, sentence_values, strict=True)),
        rules=tuple(rules),
    )


_LANGUAGES: Final = frozenset({"en", "it", "da", "ru", "es"})
