"""Name-day calendars: which day is a given name's name day, per country.

The calendars are shipped as data under ``text/data/namedays/<cc>.csv`` (columns
``month,day,name``; sources and licences in ``SOURCES.md`` there). ``cc`` is the lower-case
ISO 3166-1 alpha-2 code of the country (``dk`` Denmark, ``se`` Sweden, ``cz`` Czechia).
A calendar is read the first time it is asked for and kept for the life of the process.

Names are matched on a folded form, in three tiers, the first that knows the name wins:

1. ``fold_name``: case-folded, transliterated to ASCII with ``anyascii`` (Татьяна →
   tatyana, Søren → soren, José → jose), everything but the letters a-z dropped.
2. the spelling skeleton of that (``text.normalise.skeleton``: j/y → i, k → c, ph → f,
   x → ks, kh → h, doubled letters single), which joins the Latin spellings of Russian
   names (Tatiana / Tatyana / Tatjana, Sergei / Sergey, Yuri / Yuriy / Yury, Natalia /
   Natalya) and a leading "ye" to "e" (Yelena / Elena, Yevgeny / Evgeny).
3. for the names written in Cyrillic only, the skeleton with "io" → "e" and an "i" between
   a consonant and a vowel dropped, and a final "dr" → "der": Lyudmila / Ludmila,
   Pyotr / Petr, Fyodor / Fedor, Aleksandr / Alexander.

``days_for`` lists a name's days with the main one first: the day ``main.csv`` names for
that country and name when it does (for the calendars that list common names on several
days), then the others in calendar order.

No Django here (see ARCHITECTURE.md).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

from anyascii import anyascii

from regulars.text.normalise import skeleton

__all__ = [
    "COUNTRIES_BY_LANGUAGE",
    "DATA_DIR",
    "Calendar",
    "Found",
    "NameDay",
    "calendar",
    "countries_for",
    "country_code",
    "find_name_day",
    "fold_name",
    "name_candidates",
    "name_day",
    "shipped_countries",
]

DATA_DIR = Path(__file__).parent / "data" / "namedays"

# The calendar of each customer language's home country. English has no name-day
# tradition, so an English speaker gets the calendar of where they live (their location's
# country) only.
COUNTRIES_BY_LANGUAGE: dict[str, str] = {
    "it": "it",
    "da": "dk",
    "ru": "ru",
    "es": "es",
    "sv": "se",
    "cs": "cz",
    "sk": "sk",
    "pl": "pl",
    "hu": "hu",
    "fi": "fi",
    "lv": "lv",
    "lt": "lt",
    "et": "ee",
    "de": "de",
    "fr": "fr",
    "hr": "hr",
}

# Country codes people write that are not the ISO 3166-1 alpha-2 code.
_COUNTRY_ALIASES: dict[str, str] = {"uk": "gb", "el": "gr"}

_NOT_LETTER = re.compile(r"[^a-z]+")
_CONSONANT_I_VOWEL = re.compile(r"(?<=[bcdfghlmnpqrstvz])i(?=[aeou])")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_PARTS = re.compile(r"[\s\-‐‑/]+")


class NameDay(NamedTuple):
    """A day of the year; 29 February falls on 28 February outside leap years (the
    callers' rule, see ``core.occasions``)."""

    month: int
    day: int


@lru_cache(maxsize=131_072)
def fold_name(name: str) -> str:
    """The key a name is matched on: ``fold_name("Tat'jána")`` → ``"tatjana"``,
    ``fold_name("Татьяна")`` → ``"tatyana"``, ``fold_name("Anne-Marie")`` →
    ``"annemarie"``. Never raises; ``""`` for a name without letters."""
    text = unicodedata.normalize("NFKC", name).casefold()
    if not text.isascii():
        text = anyascii(text).lower()
    return _NOT_LETTER.sub("", text)


def _loose(key: str) -> str:
    """Tier 2 (see the module docstring)."""
    loose = skeleton(key) if key else key
    if loose.startswith("ie") and len(loose) > 3:
        loose = "e" + loose[2:]
    return loose


def _cyrillic_loose(loose: str) -> str:
    """Tier 3 (see the module docstring), from a tier-2 key."""
    text = _CONSONANT_I_VOWEL.sub("", loose.replace("io", "e"))
    if text.endswith("dr"):
        text = text[:-2] + "der"
    return text


def name_candidates(given_name: str) -> tuple[str, ...]:
    """The names to look up for ``given_name``, most specific first: the whole name, then
    its first part ("Maria Teresa" → "mariateresa", "maria"), folded, without repeats."""
    whole = fold_name(given_name)
    parts = [p for p in _PARTS.split(given_name.strip()) if fold_name(p)]
    first = fold_name(parts[0]) if parts else ""
    return tuple(dict.fromkeys(k for k in (whole, first) if k))


@dataclass(frozen=True, slots=True)
class Calendar:
    """One country's name days. Build with ``Calendar.from_rows``; ask with
    ``days_for`` and ``names_on``."""

    country: str
    _exact: Mapping[str, tuple[NameDay, ...]] = field(default_factory=dict)
    _loose: Mapping[str, tuple[NameDay, ...]] = field(default_factory=dict)
    _cyrillic: Mapping[str, tuple[NameDay, ...]] = field(default_factory=dict)
    _by_day: Mapping[NameDay, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls,
        country: str,
        rows: Iterable[tuple[int, int, str]],
        main: Mapping[str, NameDay] | None = None,
    ) -> Calendar:
        """``rows``: (month, day, name) in calendar order. ``main``: folded name → the
        name's main day, put first in ``days_for`` (added when the rows lack it)."""
        exact: dict[str, list[NameDay]] = {}
        by_day: dict[NameDay, list[str]] = {}
        cyrillic: set[str] = set()
        for month, day, name in rows:
            key = fold_name(name)
            if not key:
                continue
            when = NameDay(month, day)
            days = exact.setdefault(key, [])
            if when not in days:
                days.append(when)
            names = by_day.setdefault(when, [])
            if name not in names:
                names.append(name)
            if _CYRILLIC.search(name):
                cyrillic.add(key)
        for key, when in (main or {}).items():
            days = exact.setdefault(key, [])
            if when in days:
                days.remove(when)
            days.insert(0, when)
        loose: dict[str, list[NameDay]] = {}
        cyr: dict[str, list[NameDay]] = {}
        for key, days in exact.items():
            tiers = [(loose, _loose(key))]
            if key in cyrillic:
                tiers.append((cyr, _cyrillic_loose(_loose(key))))
            for index, tier_key in tiers:
                merged = index.setdefault(tier_key, [])
                merged.extend(d for d in days if d not in merged)
        return cls(
            country=country,
            _exact={k: tuple(v) for k, v in exact.items()},
            _loose={k: tuple(v) for k, v in loose.items()},
            _cyrillic={k: tuple(v) for k, v in cyr.items()},
            _by_day={k: tuple(v) for k, v in by_day.items()},
        )

    def days_for_key(self, key: str) -> tuple[NameDay, ...]:
        """Like ``days_for`` for an already folded name (``fold_name``)."""
        if not key:
            return ()
        found = self._exact.get(key)
        if found:
            return found
        loose = _loose(key)
        found = self._loose.get(loose)
        if found:
            return found
        if self._cyrillic:
            return self._cyrillic.get(_cyrillic_loose(loose), ())
        return ()

    def days_for(self, name: str) -> tuple[NameDay, ...]:
        """The name's days in this calendar, the main one first; ``()`` if unknown."""
        return self.days_for_key(fold_name(name))

    def names_on(self, month: int, day: int) -> tuple[str, ...]:
        """The names celebrated on that day, as the calendar spells them."""
        return self._by_day.get(NameDay(month, day), ())

    def __len__(self) -> int:
        return len(self._exact)


def country_code(code: str) -> str:
    """A country code as the calendars name it: ``"DK"`` → ``"dk"``, ``"UK"`` → ``"gb"``;
    ``""`` for anything that is not two letters."""
    code = code.strip().lower()
    code = _COUNTRY_ALIASES.get(code, code)
    return code if len(code) == 2 and code.isascii() and code.isalpha() else ""


@cache
def shipped_countries() -> tuple[str, ...]:
    """The countries with a shipped calendar, sorted."""
    return tuple(sorted(p.stem for p in DATA_DIR.glob("??.csv")))


@cache
def _main_days() -> dict[str, list[tuple[int, int, str]]]:
    """``main.csv``: country → (month, day, name) of the main day of names that a
    calendar lists on several days."""
    path = DATA_DIR / "main.csv"
    found: dict[str, list[tuple[int, int, str]]] = {}
    if not path.exists():
        return found
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            entry = (int(row["month"]), int(row["day"]), row["name"].strip())
            found.setdefault(row["country"], []).append(entry)
    return found


def _read(path: Path) -> list[tuple[int, int, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [(int(r["month"]), int(r["day"]), r["name"].strip()) for r in csv.DictReader(fh)]


def calendar(country: str) -> Calendar:
    """The shipped calendar of ``country`` (any case; ISO alpha-2), read once per
    process. A country without a shipped calendar gets an empty one."""
    return _load(country_code(country))


@cache
def _load(code: str) -> Calendar:
    if code not in shipped_countries():
        return Calendar(country=code)
    main = _main_days().get(code, [])
    # A main day the calendar itself lacks (main.csv may add one) is listed too.
    rows = _read(DATA_DIR / f"{code}.csv") + main
    return Calendar.from_rows(code, rows, {fold_name(n): NameDay(m, d) for m, d, n in main})


def countries_for(language: str, country: str) -> tuple[str, ...]:
    """The calendars to ask for a customer, in order: their language's country, then
    the country they live in (their location's). ``("ru", "IT")`` → ``("ru", "it")``;
    ``("en", "DK")`` → ``("dk",)``; ``("it", "IT")`` → ``("it",)``. Language tags such
    as ``"it-ch"`` or ``"pt_BR"`` count by their language."""
    base = language.strip().lower().replace("_", "-").split("-")[0]
    found = (COUNTRIES_BY_LANGUAGE.get(base, ""), country_code(country))
    return tuple(dict.fromkeys(c for c in found if c))


@dataclass(frozen=True, slots=True)
class Found:
    """A name day found: the day, the country whose calendar gave it, and whether it
    came from the business's own (imported) entries."""

    month: int
    day: int
    country: str
    imported: bool


def find_name_day(
    given_name: str,
    countries: Sequence[str],
    extra: Mapping[str, Mapping[str, tuple[int, int]]] | None = None,
) -> Found | None:
    """The name day of ``given_name``: the first country (in order) whose calendar knows
    the name wins. For each country, ``extra[country]`` (the business's imported entries,
    folded name → (month, day)) is asked before the shipped calendar. The whole name is
    tried before its first part ("Anna Maria" → Anna's day when "Annamaria" has none)."""
    candidates = name_candidates(given_name)
    if not candidates:
        return None
    for raw in countries:
        country = country_code(raw)
        if not country:
            continue
        own = extra.get(country) if extra else None
        shipped = calendar(country)
        for key in candidates:
            if own:
                hit = own.get(key)
                if hit is not None:
                    return Found(hit[0], hit[1], country, imported=True)
            days = shipped.days_for_key(key)
            if days:
                return Found(days[0].month, days[0].day, country, imported=False)
    return None


def name_day(
    given_name: str,
    countries: Sequence[str],
    extra: Mapping[str, Mapping[str, tuple[int, int]]] | None = None,
) -> tuple[int, int] | None:
    """(month, day) of ``given_name``'s name day, or None; see ``find_name_day``."""
    found = find_name_day(given_name, countries, extra)
    return None if found is None else (found.month, found.day)
