"""What staff type at the counter for the customers who walk in: the queries of
``bench.search`` and ``bench.counter``, each with its intended customer.

Who walks in: a customer seen in the last 120 days, drawn with weight
``exp(-days since last visit / 14) × (1 + ln(1 + visits))`` (today's regular is far
likelier than someone last seen two months ago; the same customer may walk in twice),
at their home location 85 % of the time, another location 15 %. What staff type first
(lower case, accents dropped as people type them; Cyrillic names stay Cyrillic unless
the kind says otherwise):

====================  =====  ==============================================
kind                  share  example
====================  =====  ==============================================
prefix_both           28 %   3–4 letters of given and family name: "giu ros"
prefix_one            2 %    3–4 letters of the given or the family name alone
typo                  20 %   the full given or family name (≥ 5 letters) with
                             one typo (two for ≥ 8 letters: swap, drop, double,
                             substitute; never the first letter) plus 3–4
                             letters of the other name: "giusepe ros"
phone                 20 %   last 6 digits "234567" (40 %), "+39 333 12" with
                             2–3 digits after the first 3 of the national
                             number (30 %), "333-12" with 2–4 (30 %)
email                 10 %   the e-mail's local part, up to 2 of its digits short
cyrillic_for_latin    10 %   a Latin name typed in Cyrillic (a small table in
                             this module): "джузеппе росси"
latin_for_cyrillic    10 %   a Cyrillic name typed in Latin (anyascii):
                             "olga smirnova"
====================  =====  ==============================================

Staff then keep typing while the query still names more than five customers and there
is more of it to type: one more letter of the family name (on into a second surname),
then of the given name (of
the name typed alone, then the other name's first letters), one more digit (towards
the number's start for an ending, towards its end otherwise), the rest of the e-mail
(a name typed whole, mistyped or in the other script, stays as it is).
``Query.text`` is what was typed first, ``Query.named`` what had been typed when
staff stopped, and ``Query.identifying`` whether that names at most five customers.

Who a query names is worked out here by brute force over every customer's own fields
(``Directory``), independently of the search under test: a customer is named when each
typed word starts one of the words of their names, household names, tags or e-mail
(folded to ASCII lower case), or the typed digits occur in one of their phone numbers.
For a mistyped or transliterated query, what counts is what staff meant to type.
"""

from __future__ import annotations

import bisect
import math
import random
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from anyascii import anyascii

QUERY_MIX: tuple[tuple[str, float], ...] = (
    ("prefix_both", 0.28),
    ("prefix_one", 0.02),
    ("typo", 0.20),
    ("phone", 0.20),
    ("email", 0.10),
    ("cyrillic_for_latin", 0.10),
    ("latin_for_cyrillic", 0.10),
)
RECENT_DAYS = 120
RECENCY_DAYS = 14
HOME_SHARE = 0.85
# A query is identifying when it names at most this many customers: the hits shown.
NAMED_AT_MOST = 5
CALLING_CODES = ("39", "45", "34", "44", "7")  # the generated customers' countries

# Latin → Cyrillic as a Russian speaker spells a foreign name by ear; digraphs first.
_CYRILLIC_SPELLING = (
    "sch=ш sh=ш ch=ч zh=ж kh=х ts=ц ya=я yu=ю ia=ия a=а b=б c=к d=д e=е f=ф g=г h=х "
    "i=и j=й k=к l=л m=м n=н o=о p=п q=к r=р s=с t=т u=у v=в w=в x=кс y=и z=з"
)
TO_CYRILLIC = tuple(tuple(pair.split("=")) for pair in _CYRILLIC_SPELLING.split())
LATIN_LETTERS = "abcdefghilmnoprstuvz"
CYRILLIC_LETTERS = "абвгдеиклмнопрстуя"


@dataclass(frozen=True)
class WalkIn:
    customer_id: int
    public_id: str
    given: str
    family: str
    email: str
    phones: tuple[str, ...]
    home_location_id: int | None


@dataclass(frozen=True)
class Query:
    text: str  # what staff typed first
    kind: str
    customer_id: int
    public_id: str
    location_id: int | None
    named: str = ""  # what they had typed when it named the walk-in, or all they could
    identifying: bool = False  # ``named`` names at most NAMED_AT_MOST customers


def is_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def plain(text: str) -> str:
    """Lower case without accents, as people type at speed: "José" → "jose" (but "Søren"
    keeps its ø, a letter of its own on a Danish keyboard; Cyrillic keeps й and ё)."""
    if is_cyrillic(text):
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def to_cyrillic(text: str) -> str:
    latin = anyascii(text).lower()
    out: list[str] = []
    index = 0
    while index < len(latin):
        for old, new in TO_CYRILLIC:
            if latin.startswith(old, index):
                out.append(new)
                index += len(old)
                break
        else:
            out.append(latin[index] if not latin[index].isalpha() else "")
            index += 1
    return "".join(out)


def typo(word: str, rng: random.Random) -> str:
    """``word`` with one typo (two from 8 letters on); the first letter stays."""
    alphabet = CYRILLIC_LETTERS if is_cyrillic(word) else LATIN_LETTERS
    letters = list(word)
    while letters == list(word):  # a second typo may undo the first: try again
        letters = list(word)
        for _ in range(2 if len(word) >= 8 else 1):
            at = rng.randrange(1, len(letters) - 1)
            op = rng.choice(("swap", "drop", "double", "substitute"))
            if op == "swap":
                letters[at], letters[at + 1] = letters[at + 1], letters[at]
            elif op == "drop":
                del letters[at]
            elif op == "double":
                letters.insert(at, letters[at])
            else:
                letters[at] = rng.choice(alphabet)
    return "".join(letters)


def _latin(text: str) -> str:
    """How a Cyrillic name is typed on a Latin keyboard: "Ольга" → "olga"."""
    return anyascii(text).replace("'", "").lower()


def fold(text: str) -> list[str]:
    """The words the ground truth compares: ASCII, lower case, letters and digits."""
    return re.findall(r"[a-z0-9]+", anyascii(text).replace("'", "").lower())


# --- who a query names ----------------------------------------------------------------------


class Directory:
    """Every customer's words and phone digits, for counting whom a query names."""

    def __init__(
        self,
        words: Iterable[tuple[int, str]],
        phones: Iterable[tuple[int, str]],
    ) -> None:
        pairs = sorted({(word, cid) for cid, text in words for word in fold(text)})
        self._words = [word for word, _cid in pairs]
        self._word_ids = [cid for _word, cid in pairs]
        numbers = sorted(
            (cid, "".join(ch for ch in number if ch.isdigit())) for cid, number in phones
        )
        self._starts: list[int] = []
        self._phone_ids: list[int] = []
        chunks: list[str] = []
        offset = 0
        for cid, digits in numbers:
            self._starts.append(offset)
            self._phone_ids.append(cid)
            chunks.append(digits + "|")
            offset += len(digits) + 1
        self._digits = "".join(chunks)

    def _starting(self, prefix: str) -> set[int]:
        low = bisect.bisect_left(self._words, prefix)
        high = bisect.bisect_left(self._words, prefix + "\x7f", low)
        return set(self._word_ids[low:high])

    def naming(self, text: str) -> set[int]:
        """The customers each of whose words of ``text`` starts one of their words."""
        found: set[int] | None = None
        for word in sorted(set(fold(text)), key=len, reverse=True):
            ids = self._starting(word)
            found = ids if found is None else found & ids
            if not found:
                return set()
        return found or set()

    def dialling(self, digits: str) -> set[int]:
        """The customers one of whose phone numbers holds ``digits``."""
        found: set[int] = set()
        at = self._digits.find(digits)
        while at >= 0:
            found.add(self._phone_ids[bisect.bisect_right(self._starts, at) - 1])
            at = self._digits.find(digits, at + 1)
        return found


@dataclass
class _Part:
    """One thing staff type: ``shown(n)`` after ``n`` of at most ``most`` steps, meaning
    ``meant(n)``."""

    n: int
    most: int
    typed: str  # the whole of it as staff would type it, or the fixed text
    meant_text: str
    grows: bool = True

    def shown(self) -> str:
        return self.typed[: self.n] if self.grows else self.typed

    def meant(self) -> str:
        return self.meant_text[: self.n] if self.grows else self.meant_text


def _name_part(name: str, letters: int) -> _Part:
    """Letters of a name as staff type them; a particle comes whole with the next word's
    start ("De Luca" → "de lu"), and typing on goes into a second surname ("garcia lo")."""
    words = plain(name).split()
    typed = " ".join(words)
    if letters and len(words) > 1 and len(words[0]) <= 2:
        letters += len(words[0]) + 1
    return _Part(n=min(letters, len(typed)), most=len(typed), typed=typed, meant_text=typed)


def _fixed(typed: str, meant: str) -> _Part:
    return _Part(n=len(typed), most=len(typed), typed=typed, meant_text=meant, grows=False)


@dataclass
class _Typing:
    """A query as a list of parts and the order in which staff type more of them."""

    parts: list[_Part]
    order: list[int]
    digits: bool = False

    def text(self) -> str:
        return " ".join(s for s in (p.shown() for p in self.parts) if s)

    def meant(self) -> str:
        return " ".join(s for s in (p.meant() for p in self.parts) if s)

    def more(self) -> bool:
        for index in self.order:
            part = self.parts[index]
            if part.grows and part.n < part.most:
                part.n += 1
                return True
        return False

    def named(self, directory: Directory) -> set[int]:
        meant = self.meant()
        if self.digits:
            return directory.dialling("".join(ch for ch in meant if ch.isdigit()))
        return directory.naming(meant)


@dataclass
class _EndingPart(_Part):
    """The last ``n`` digits of a number (staff read it off a card from the end)."""

    def shown(self) -> str:
        return self.typed[-self.n :]

    def meant(self) -> str:
        return self.meant_text[-self.n :]


def _phone_typing(e164: str, rng: random.Random) -> _Typing:
    """What staff type of a phone number: its last 6 digits "234567" (40 %), or its
    start with 2–3 digits after the first 3 of the national number, "+39 333 12"
    (30 %), or 2–4 of them, "333-12" (30 %); then more digits, towards its start or
    its end."""
    digits = e164.lstrip("+")
    code = next((c for c in CALLING_CODES if digits.startswith(c)), digits[:2])
    national = digits[len(code) :]
    roll = rng.random()
    if roll < 0.4:
        return _Typing([_EndingPart(6, len(national), national, national)], [0], digits=True)
    international = roll < 0.7
    head = f"+{code} {national[:3]} " if international else f"{national[:3]}-"
    after = rng.randint(2, 3) if international else rng.randint(2, 4)
    typed = head + national[3:]
    part = _Part(n=len(head) + after, most=len(typed), typed=typed, meant_text=typed)
    return _Typing([part], [0], digits=True)


def _typing(kind: str, walk_in: WalkIn, rng: random.Random) -> _Typing | None:
    """What staff type first for ``walk_in``, or None when the kind does not fit them."""
    given, family = walk_in.given.strip(), walk_in.family.strip()
    if not given or not family:
        return None
    cyrillic = is_cyrillic(given + family)
    if kind == "prefix_both":
        parts = [_name_part(given, rng.randint(3, 4)), _name_part(family, rng.randint(3, 4))]
        return _Typing(parts, [1, 0])
    if kind == "prefix_one":
        first, other = (given, family) if rng.random() < 0.5 else (family, given)
        return _Typing([_name_part(first, rng.randint(3, 4)), _name_part(other, 0)], [0, 1])
    if kind == "typo":
        long_names = [n for n in (given, family.split()[0]) if len(n) >= 5]
        if not long_names:
            return None
        chosen = rng.choice(long_names)
        mistyped = _fixed(typo(plain(chosen), rng), plain(chosen))
        if chosen == given:
            return _Typing([mistyped, _name_part(family, rng.randint(3, 4))], [1])
        return _Typing([_name_part(given, rng.randint(3, 4)), mistyped], [0])
    if kind == "phone":
        return _phone_typing(rng.choice(walk_in.phones), rng) if walk_in.phones else None
    if kind == "email":
        local = walk_in.email.split("@")[0]
        if not local:
            return None
        # Short of a digit or two of the number, never short of the name.
        name_part = len(local.rstrip("0123456789"))
        letters = max(len(local) - rng.randint(0, 2), min(name_part + 1, len(local)))
        return _Typing([_Part(n=letters, most=len(local), typed=local, meant_text=local)], [0])
    if kind == "cyrillic_for_latin":
        if cyrillic:
            return None
        meant = f"{given} {family.split()[0]}"
        return _Typing(
            [_fixed(f"{to_cyrillic(given)} {to_cyrillic(family.split()[0])}", meant)], []
        )
    if kind == "latin_for_cyrillic":
        return (
            _Typing([_fixed(_latin(f"{given} {family}"), f"{given} {family}")], [])
            if cyrillic
            else None
        )
    raise ValueError(f"unknown query kind {kind!r}")


def type_until_named(typing: _Typing, directory: Directory) -> tuple[str, bool]:
    """Type more while the query names more than NAMED_AT_MOST customers and there is
    more to type: (the text then, whether it names at most NAMED_AT_MOST)."""
    while len(typing.named(directory)) > NAMED_AT_MOST:
        if not typing.more():
            return typing.text(), False
    return typing.text(), True


# --- drawing walk-ins ----------------------------------------------------------------------


def _kinds(count: int, rng: random.Random) -> list[str]:
    kinds: list[str] = []
    for kind, share in QUERY_MIX:
        kinds += [kind] * round(count * share)
    kinds = (kinds + [QUERY_MIX[0][0]] * count)[:count]
    rng.shuffle(kinds)
    return kinds


def _walk_in_pool(now: datetime, home: int | None) -> tuple[list[int], list[float]]:
    """Ids and cumulative weights of the customers who may walk in (see the docstring),
    only those of location ``home`` when given."""
    from regulars.customers.models import Customer

    ids: list[int] = []
    cumulative: list[float] = []
    total = 0.0
    recent = Customer.objects.filter(last_visit_at__gte=now - timedelta(days=RECENT_DAYS))
    if home is not None:
        recent = recent.filter(home_location_id=home)
    rows = recent.order_by("id").values_list("id", "visit_count", "last_visit_at")
    for customer_id, visits, last in rows.iterator(chunk_size=20_000):
        if last is None:  # filtered out above; the type does not know
            continue
        days = max(0.0, (now - last).total_seconds() / 86_400)
        total += math.exp(-days / RECENCY_DAYS) * (1 + math.log1p(visits))
        ids.append(customer_id)
        cumulative.append(total)
    return ids, cumulative


def _load_walk_ins(ids: set[int]) -> dict[int, WalkIn]:
    from regulars.customers.models import Customer, Phone

    found: dict[int, WalkIn] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        phones: dict[int, list[str]] = {}
        for customer_id, number in (
            Phone.objects.filter(customer_id__in=chunk)
            .order_by("id")
            .values_list("customer_id", "number")
        ):
            phones.setdefault(customer_id, []).append(number)
        for row in Customer.objects.filter(id__in=chunk).values(
            "id", "public_id", "given_name", "family_name", "email", "home_location_id"
        ):
            found[row["id"]] = WalkIn(
                customer_id=row["id"],
                public_id=row["public_id"],
                given=row["given_name"],
                family=row["family_name"],
                email=row["email"],
                phones=tuple(phones.get(row["id"], ())),
                home_location_id=row["home_location_id"],
            )
    return found


def load_directory() -> Directory:
    """Every customer's names, household names, tags, e-mail and phones, read from the
    database's tables directly."""
    from regulars.customers.models import Customer, HouseholdMember, Phone

    def words() -> Iterable[tuple[int, str]]:
        fields = (
            "id",
            "given_name",
            "family_name",
            "patronymic",
            "preferred_name",
            "organisation_name",
            "email",
        )
        for cid, *texts in Customer.objects.values_list(*fields).iterator(chunk_size=20_000):
            yield cid, " ".join(t for t in texts if t)
        yield from HouseholdMember.objects.values_list("customer_id", "name").iterator(
            chunk_size=20_000
        )
        yield from Customer.tags.through.objects.values_list("customer_id", "tag__name").iterator(
            chunk_size=20_000
        )

    phones = Phone.objects.values_list("customer_id", "number").iterator(chunk_size=20_000)
    return Directory(words(), phones)


def build_queries(
    count: int,
    *,
    seed: int,
    location_ids: Sequence[int],
    now: datetime,
    home: int | None = None,
    directory: Directory | None = None,
) -> list[Query]:
    """``count`` queries, each for a walk-in drawn from the database's customers (of
    location ``home`` only, when given)."""
    rng = random.Random(seed)
    directory = directory or load_directory()
    ids, cumulative = _walk_in_pool(now, home)
    if not ids:
        raise RuntimeError("no customer was seen recently: nobody to walk in")
    queries: list[Query] = []
    for kind in _kinds(count, rng):
        for _attempt in range(10_000):
            candidates = rng.choices(ids, cum_weights=cumulative, k=8)
            details = _load_walk_ins(set(candidates))
            for customer_id in candidates:
                walk_in = details[customer_id]
                typing = _typing(kind, walk_in, rng)
                if typing is not None:
                    break
            else:
                continue
            break
        else:
            raise RuntimeError(f"no walk-in fits a {kind} query")
        text = typing.text()
        named, identifying = type_until_named(typing, directory)
        home_id = walk_in.home_location_id
        elsewhere = [i for i in location_ids if i != home_id]
        at = home_id
        if (home_id is None or rng.random() >= HOME_SHARE) and elsewhere:
            at = rng.choice(elsewhere)  # a customer at another of the chain's locations
        queries.append(
            Query(
                text=text,
                kind=kind,
                customer_id=walk_in.customer_id,
                public_id=walk_in.public_id,
                location_id=at,
                named=named,
                identifying=identifying,
            )
        )
    return queries
