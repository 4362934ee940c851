"""Planning the demo's customers in memory: who they are and what staff know about them.

Everything here is drawn from one ``random.Random`` in a fixed order, so the same seed
plans the same people. Nothing touches the database; ``generator`` writes the plan.
"""

from __future__ import annotations

import calendar
import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import phonenumbers
from anyascii import anyascii

from regulars.core.ids import PUBLIC_ID_LENGTH
from regulars.customers.phones import normalize_phone
from regulars.demo.catalogue import (
    CONSENT_METHODS,
    HOME_SHARE,
    HOW_MET,
    LOCATIONS,
    NOTES,
    PREFERENCES,
    SLOTS,
    Item,
    LocationSpec,
    say,
)
from regulars.demo.names import CULTURES, PET_KINDS, PET_NAMES, Culture, GivenName

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # as regulars.core.ids
# Byte → character: 256 is a multiple of 32, so every character is equally likely.
_ID_TABLE = bytes(ord(_ALPHABET[b % 32]) for b in range(256))


class Rhythm(StrEnum):
    """How often a customer comes; drives their visits."""

    DAILY = "daily"  # weekday mornings, most days
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    OCCASIONAL = "occasional"
    LAPSED = "lapsed"  # used to come, stopped months ago
    NEWCOMER = "newcomer"  # first visit in the last weeks
    NEVER = "never"  # known (e.g. newsletter), never served
    ORGANISATION = "organisation"  # B2B catering orders


# Share of each rhythm among people (organisations are counted apart).
RHYTHM_SHARE: tuple[tuple[Rhythm, float], ...] = (
    (Rhythm.DAILY, 0.05),
    (Rhythm.WEEKLY, 0.17),
    (Rhythm.MONTHLY, 0.22),
    (Rhythm.OCCASIONAL, 0.33),
    (Rhythm.LAPSED, 0.15),
    (Rhythm.NEWCOMER, 0.05),
    (Rhythm.NEVER, 0.03),
)

# How people of each culture like to be addressed (form, weight).
ADDRESS_FORMS: dict[str, tuple[tuple[str, float], ...]] = {
    "it": (("informal", 0.35), ("first_name", 0.2), ("formal", 0.3), ("title_surname", 0.15)),
    "da": (("first_name", 0.8), ("informal", 0.2)),
    "ru": (("name_patronymic", 0.45), ("informal", 0.25), ("formal", 0.15), ("first_name", 0.15)),
    "es": (("informal", 0.45), ("first_name", 0.3), ("formal", 0.2), ("title_surname", 0.05)),
    "en": (("first_name", 0.7), ("title_surname", 0.15), ("formal", 0.15)),
}

# Mobile numbers by country: (national prefixes, digits after the prefix, raw format).
# The raw format is how staff would type it; "{n}" is the national number.
_MOBILES: dict[str, tuple[tuple[str, ...], int]] = {
    "IT": (("320", "328", "333", "335", "338", "339", "340", "347", "348", "349", "366", "380", "389", "392"), 7),
    "DK": (("20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "40", "41", "42", "50", "51", "52", "53", "60", "61", "71", "81", "91", "93"), 6),
    "RU": (("903", "905", "910", "912", "915", "916", "921", "925", "926", "977", "985", "999"), 7),
    "ES": (("600", "610", "620", "630", "636", "646", "650", "660", "666", "680", "690", "699"), 6),
    "GB": (("7400", "7450", "7500", "7700", "7766", "7801", "7833", "7900", "7944", "7960"), 6),
}  # fmt: skip
_LANDLINES: dict[str, tuple[tuple[str, ...], int]] = {
    "IT": (("051",), 7),  # Bologna
    "DK": (("32", "33", "35", "38", "39"), 6),
}
_CALLING_CODE = {"IT": "39", "DK": "45", "RU": "7", "ES": "34", "GB": "44"}
# Where people of a culture come from, for their foreign mobile numbers.
_HOME_COUNTRY = {"it": "IT", "da": "DK", "ru": "RU", "es": "ES", "en": "GB"}
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")


@dataclass
class Fact:
    """One household member, pet or preference, with its provenance."""

    values: dict[str, Any]
    source: str  # core.models.Source value
    by: str  # username of the staff member who entered it
    days_after_met: int  # when it was entered, relative to first meeting


@dataclass
class ConsentPlan:
    channel: str
    granted: bool
    method: str
    by: str
    days_after_met: int


@dataclass
class CustomerPlan:
    index: int
    public_id: str
    rhythm: Rhythm
    home: int  # index into catalogue.LOCATIONS
    culture: str
    fields: dict[str, Any]  # Customer model fields, home_location excepted
    met: date  # first met (also when the relationship in the data starts)
    active_until: date | None  # lapsed customers stop here
    entered_by: str
    phones: list[tuple[str, str]] = field(default_factory=list)  # (E.164, label)
    tags: list[str] = field(default_factory=list)
    preferences: list[Fact] = field(default_factory=list)
    household: list[Fact] = field(default_factory=list)
    pets: list[Fact] = field(default_factory=list)
    consents: list[ConsentPlan] = field(default_factory=list)
    contacts: list[tuple[int, str]] = field(default_factory=list)  # (person index, role)
    # Habits that shape visits.
    slot: str = "morning"
    habit_minute: int = 8 * 60
    weekday: int = 0  # the weekly customer's day
    usual: tuple[Item, ...] = ()
    vip: bool = False
    order: str = ""  # organisations: what they usually order
    order_amount: tuple[int, int] = (0, 0)


def public_id(rng: random.Random) -> str:
    """A public id like ``regulars.core.ids`` makes, but drawn from the seeded generator."""
    return rng.randbytes(PUBLIC_ID_LENGTH).translate(_ID_TABLE).decode()


def weighted(rng: random.Random, table: tuple[tuple[Any, float], ...]) -> Any:
    values = [v for v, _ in table]
    weights = [w for _, w in table]
    return rng.choices(values, weights)[0]


def random_day(rng: random.Random, year: int | None) -> tuple[int, int]:
    month = rng.randint(1, 12)
    last = calendar.monthrange(year if year is not None else 2001, month)[1]
    return month, rng.randint(1, last)


def phone(rng: random.Random, country: str, *, local_region: str, landline: bool = False) -> str:
    """A valid number of ``country`` as staff at ``local_region`` type it, in E.164."""
    table = _LANDLINES if landline else _MOBILES
    prefixes, rest = table[country]
    for _attempt in range(50):
        national = rng.choice(prefixes) + "".join(rng.choice("0123456789") for _ in range(rest))
        raw = _typed(national, country, international=country != local_region)
        number = normalize_phone(raw, local_region)
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number
    raise RuntimeError(f"could not draw a valid {country} number")  # pragma: no cover


def _typed(national: str, country: str, *, international: bool) -> str:
    """How the number would be written down: grouped, national or international."""
    if country == "DK":
        text = " ".join(national[i : i + 2] for i in range(0, 8, 2))
    elif country == "RU":
        text = f"{national[:3]} {national[3:6]}-{national[6:8]}-{national[8:]}"
    elif country == "IT":
        text = f"{national[:3]} {national[3:6]} {national[6:]}"
    else:
        text = f"{national[:3]} {national[3:]}"
    if not international:
        return text
    return f"+{_CALLING_CODE[country]} {text}"


def email_for(rng: random.Random, given: str, family: str, taken: set[str]) -> str:
    base = ".".join(
        re.sub(r"[^a-z0-9]", "", anyascii(part).lower()) for part in (given, family.split()[0])
    )
    address = f"{base}@{rng.choice(_EMAIL_DOMAINS)}"
    while address in taken:
        address = f"{base}{rng.randint(2, 99)}@{rng.choice(_EMAIL_DOMAINS)}"
    taken.add(address)
    return address


def _given(rng: random.Random, culture: Culture, sex: str) -> GivenName:
    return rng.choice(culture.female if sex == "f" else culture.male)


def _family(rng: random.Random, culture: Culture, sex: str) -> str:
    pair = rng.choice(culture.family)
    name = pair[1] if sex == "f" else pair[0]
    if culture.two_surnames:
        second = rng.choice(culture.family)[0]
        name = f"{name} {second}" if second != name else name
    return name


class PeoplePlanner:
    """Draws customers one by one; keeps what must stay unique (phones, emails, ids)."""

    def __init__(
        self, rng: random.Random, *, window_start: date, today: date, staff: list[list[str]]
    ) -> None:
        self.rng = rng
        self.window_start = window_start
        self.today = today
        self.staff = staff  # usernames per location index, the counter staff first
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.ids: set[str] = set()

    def new_id(self) -> str:
        value = public_id(self.rng)
        while value in self.ids:
            value = public_id(self.rng)
        self.ids.add(value)
        return value

    def unique_phone(self, country: str, local_region: str, *, landline: bool = False) -> str:
        number = phone(self.rng, country, local_region=local_region, landline=landline)
        while number in self.phones:
            number = phone(self.rng, country, local_region=local_region, landline=landline)
        self.phones.add(number)
        return number

    def writer(self, home: int) -> str:
        return self.rng.choice(self.staff[home])

    def note_language(self, home: int) -> str:
        return LOCATIONS[home].language if self.rng.random() < 0.8 else "en"

    # -- people -----------------------------------------------------------------------

    def person(self, index: int, *, culture_code: str | None = None) -> CustomerPlan:
        rng = self.rng
        home = weighted(rng, tuple(enumerate(HOME_SHARE)))
        spec = LOCATIONS[home]
        code = culture_code or weighted(rng, spec.cultures)
        culture = CULTURES[code]
        rhythm: Rhythm = weighted(rng, RHYTHM_SHARE)
        sex = rng.choice("fm")
        given, short, nameday = _given(rng, culture, sex)
        family = _family(rng, culture, sex)
        met, active_until = self._relationship(rhythm)
        birth_year = rng.randint(1942, 2006)
        fields: dict[str, Any] = {
            "kind": "person",
            "given_name": given,
            "family_name": family,
            "language": code,
            "first_met_on": met,
        }
        if culture.fathers and rng.random() < 0.85:
            _father, son, daughter = rng.choice(culture.fathers)
            fields["patronymic"] = daughter if sex == "f" else son
        form = weighted(rng, ADDRESS_FORMS[code])
        if form == "name_patronymic" and "patronymic" not in fields:
            form = "informal"
        if form == "title_surname":
            fields["title"] = rng.choice(culture.titles[sex])
        fields["address_form"] = form
        if short and rng.random() < 0.35:
            fields["preferred_name"] = short
        if rng.random() < 0.45:
            fields["email"] = email_for(rng, given, family, self.emails)
        if rng.random() < 0.65:
            year = birth_year if rng.random() < 0.55 else None
            fields["birth_month"], fields["birth_day"] = random_day(rng, year)
            fields["birth_year"] = year
        if nameday and code in ("it", "ru", "es") and rng.random() < 0.45:
            fields["nameday_month"], fields["nameday_day"] = nameday
        language = self.note_language(home)
        fields["how_met"] = say(rng.choice(HOW_MET), language)
        if rng.random() < 0.25:
            picked = rng.sample(NOTES, k=rng.choice((1, 1, 2)))
            fields["notes"] = " ".join(say(n, language) for n in picked)
        if rng.random() < 0.2:
            fields["postal_address"] = self._address(spec)

        plan = CustomerPlan(
            index=index,
            public_id=self.new_id(),
            rhythm=rhythm,
            home=home,
            culture=code,
            fields=fields,
            met=met,
            active_until=active_until,
            entered_by=self.writer(home),
        )
        self._phones(plan, spec)
        self._habits(plan, spec, birth_year)
        self._facts(plan, culture, sex, language)
        self._consents(plan, language)
        return plan

    def _relationship(self, rhythm: Rhythm) -> tuple[date, date | None]:
        """When we first met them and, for lapsed customers, when they stopped coming."""
        rng, start, today = self.rng, self.window_start, self.today
        span = (today - start).days
        if rhythm == Rhythm.NEWCOMER:
            return today - timedelta(days=rng.randint(0, 27)), None
        if rhythm == Rhythm.LAPSED:
            until = today - timedelta(days=rng.randint(90, min(420, span - 60)))
            met = until - timedelta(days=rng.randint(120, 900))
            return met, until
        if rhythm == Rhythm.NEVER:
            return start + timedelta(days=rng.randint(0, span)), None
        if rng.random() < 0.5:  # known from before the two years of visits
            return start - timedelta(days=rng.randint(1, 2900)), None
        latest = span - (30 if rhythm in (Rhythm.DAILY, Rhythm.WEEKLY) else 90)
        return start + timedelta(days=rng.randint(0, latest)), None

    def _address(self, spec: LocationSpec) -> str:
        rng = self.rng
        line = spec.street_format.format(
            street=rng.choice(spec.streets),
            number=rng.randint(1, 140),
            floor=rng.choice(("st.", "1. th.", "2. tv.", "3. th.", "4. mf.")),
        )
        return f"{line}\n{rng.choice(spec.postcodes)}"

    def _phones(self, plan: CustomerPlan, spec: LocationSpec) -> None:
        rng = self.rng
        if rng.random() < 0.9:
            native = plan.culture in ("it", "da") and _HOME_COUNTRY[plan.culture] == spec.country
            country = spec.country if native or rng.random() < 0.6 else _HOME_COUNTRY[plan.culture]
            plan.phones.append((self.unique_phone(country, spec.country), "mobile"))
        if rng.random() < 0.08:
            plan.phones.append(
                (self.unique_phone(spec.country, spec.country, landline=True), "home")
            )

    def _habits(self, plan: CustomerPlan, spec: LocationSpec, birth_year: int) -> None:
        rng = self.rng
        rhythm = plan.rhythm
        open_days = [
            i
            for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
            if d in spec.hours
        ]
        if rhythm == Rhythm.DAILY:
            plan.slot = "morning"
        else:
            slots = ("morning", "lunch", "afternoon") + (
                ("evening",) if spec.name == "Bologna" else ()
            )
            plan.slot = rng.choice(slots)
        low, high = (7 * 60, 9 * 60 + 30) if rhythm == Rhythm.DAILY else SLOTS[plan.slot]
        plan.habit_minute = rng.randint(low + 5, high - 20)
        plan.weekday = rng.choice(open_days)
        fitting = [item for item in spec.menu if plan.slot in item.slots]
        plan.usual = tuple(rng.sample(fitting, k=min(len(fitting), rng.choice((1, 2, 2)))))
        plan.vip = rng.random() < {Rhythm.DAILY: 0.2, Rhythm.WEEKLY: 0.06}.get(rhythm, 0.0)
        tags = plan.tags
        if rhythm == Rhythm.DAILY or (rhythm == Rhythm.WEEKLY and rng.random() < 0.6):
            tags.append("regular")
        if plan.vip:
            tags.append("vip")
        if birth_year >= 1999 and rng.random() < 0.6:
            tags.append("student")
        if plan.slot == "lunch" and rng.random() < 0.5:
            tags.append("office")
        if rng.random() < 0.15:
            tags.append("neighbour")
        if rhythm == Rhythm.OCCASIONAL and plan.culture in ("en", "es") and rng.random() < 0.4:
            tags.append("tourist")
        if rhythm == Rhythm.NEVER or (plan.fields.get("email") and rng.random() < 0.2):
            tags.append("newsletter")

    def _facts(self, plan: CustomerPlan, culture: Culture, sex: str, language: str) -> None:
        rng = self.rng
        home = plan.home

        def fact(values: dict[str, Any], source: str) -> Fact:
            return Fact(values, source, self.writer(home), rng.randint(0, 300))

        for kind, share, source_offered in (
            ("like", 0.35, 0.4),
            ("dislike", 0.12, 0.5),
            ("allergy", 0.07, 0.95),
            ("dietary", 0.1, 0.9),
        ):
            if rng.random() < share:
                count = 2 if kind == "like" and rng.random() < 0.3 else 1
                for text in rng.sample(PREFERENCES[kind], k=count):
                    source = "offered" if rng.random() < source_offered else "staff"
                    plan.preferences.append(
                        fact({"kind": kind, "text": say(text, language)}, source)
                    )
        if rng.random() < 0.25:
            partner_sex = "m" if sex == "f" else "f"
            if rng.random() < 0.1:
                partner_sex = sex
            values: dict[str, Any] = {
                "name": _given(rng, culture, partner_sex)[0],
                "relation": "partner",
            }
            if rng.random() < 0.4:
                values["birth_month"], values["birth_day"] = random_day(rng, None)
            plan.household.append(fact(values, "offered"))
        if rng.random() < 0.15:
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                year = rng.randint(2008, self.today.year - 1)
                month, day = random_day(rng, year)
                child = {
                    "name": _given(rng, culture, rng.choice("fm"))[0],
                    "relation": "child",
                    "birth_month": month,
                    "birth_day": day,
                    "birth_year": year,
                }
                plan.household.append(fact(child, "offered"))
            plan.tags.append("family")
        if rng.random() < 0.12:
            kind = weighted(rng, PET_KINDS)
            pet: dict[str, Any] = {"name": rng.choice(PET_NAMES[plan.culture]), "kind": kind}
            if rng.random() < 0.3:
                year = rng.randint(2010, self.today.year - 1)
                pet["birth_month"], pet["birth_day"] = random_day(rng, year)
                pet["birth_year"] = year
            plan.pets.append(fact(pet, rng.choice(("offered", "staff"))))
            if kind == "dog":
                plan.tags.append("dog owner")

    def _consents(self, plan: CustomerPlan, language: str) -> None:
        rng = self.rng
        if rng.random() >= 0.35:
            return
        channels = []
        if plan.fields.get("email"):
            channels.append("email")
        if plan.phones and rng.random() < 0.5:
            channels.append("sms")
        if not channels:
            return
        how = say(CONSENT_METHODS[rng.choice(("form", "counter", "web"))], language)
        after = rng.randint(0, 60)
        for channel in channels:
            plan.consents.append(ConsentPlan(channel, True, how, self.writer(plan.home), after))
        # Calls and post (outreach's call tasks and printed cards) from a generator of
        # their own and by the same hand, so the rest of the demo stays as it was.
        extra = random.Random(f"consent:{plan.fields.get('email', '')}:{len(plan.phones)}")
        hand = plan.consents[-1].by
        if plan.phones and extra.random() < 0.5:
            plan.consents.append(ConsentPlan("phone", True, how, hand, after))
        if plan.fields.get("postal_address") and extra.random() < 0.6:
            plan.consents.append(ConsentPlan("post", True, how, hand, after))
        if rng.random() < 0.1:
            plan.consents.append(
                ConsentPlan(
                    channels[0],
                    False,
                    say(CONSENT_METHODS["withdrawn"], language),
                    self.writer(plan.home),
                    after + rng.randint(30, 300),
                )
            )

    # -- organisations ----------------------------------------------------------------

    def organisation(
        self, index: int, home: int, org_number: int, people: list[CustomerPlan]
    ) -> CustomerPlan:
        rng = self.rng
        spec = LOCATIONS[home]
        org = spec.orgs[org_number % len(spec.orgs)]
        language = spec.language
        met = self.window_start - timedelta(days=rng.randint(30, 1500))
        fields: dict[str, Any] = {
            "kind": "organisation",
            "organisation_name": org.name,
            "language": language,
            "email": org.email,
            "postal_address": org.address,
            "address_form": "formal",
            "first_met_on": met,
            "how_met": say(HOW_MET[5], language),
            "notes": say(org.note, language),
        }
        plan = CustomerPlan(
            index=index,
            public_id=self.new_id(),
            rhythm=Rhythm.ORGANISATION,
            home=home,
            culture=language,
            fields=fields,
            met=met,
            active_until=None,
            entered_by=self.writer(home),
            tags=["catering", "office"],
            slot="morning",
            habit_minute=9 * 60 + 30,
            order=org.order,
            order_amount=org.amount,
        )
        number = normalize_phone(org.phone, spec.country)
        self.phones.add(number)
        plan.phones.append((number, "work"))
        candidates = [
            p
            for p in people
            if p.home == home and p.rhythm in (Rhythm.WEEKLY, Rhythm.MONTHLY, Rhythm.DAILY)
        ]
        roles = ("decision_maker", "buyer", "user")
        for role in roles[: rng.randint(1, 3)]:
            if not candidates:
                break
            person = candidates.pop(rng.randrange(len(candidates)))
            plan.contacts.append((person.index, role))
            if "office" not in person.tags:
                person.tags.append("office")
        return plan
