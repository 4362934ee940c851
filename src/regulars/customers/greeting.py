"""The greeting card at the counter: how to greet a customer and what to say, ask or
remember, composed from what is stored about them.

Two languages meet on the card. The salutation is the sentence staff SAY, so it is
written in the customer's language (``Customer.language``, else the location's default
language); everything else (hints, labels) is in the staff's current UI language.

Later issues add their own sections (open requests, promises and follow-ups from the
service desk, a gentle note after negative feedback) without this module knowing them:
a higher app calls ``register_card_part(key, builder)`` from its ``AppConfig.ready``,
and every card then carries what the builders return, sorted by ``order`` then ``key``.
Registering a key again replaces the builder, so app reloads do not duplicate parts.
The service desk registers the customer's open tickets (``service.card``). A builder
runs once per card, so it must keep its own queries bounded (one or two); it returns
``None`` when it has nothing to say.

Visits live in the service app, above this one: they are read through the reverse
relation (``regulars.customers.queries.visit_history``), never imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import (
    gettext_lazy,
    ngettext,
    ngettext_lazy,
    pgettext,
    pgettext_lazy,
)

from regulars.accounts.models import Location
from regulars.core.dates import weekday_and_day
from regulars.core.localtime import local_today, zone
from regulars.customers import occasions
from regulars.customers.models import (
    AddressForm,
    Customer,
    CustomerKind,
    CustomOccasion,
    HouseholdMember,
    Pet,
    PreferenceKind,
)
from regulars.customers.namedays import name_day_for
from regulars.customers.occasions import Occurrence
from regulars.customers.queries import address_as, visit_history

WARNING = "warning"
ASK = "ask"
INFO = "info"
LEVELS = (WARNING, ASK, INFO)  # the order hints are shown in

FORMAL = "formal"
INFORMAL = "informal"
INFORMAL_FORMS = frozenset({AddressForm.INFORMAL, AddressForm.FIRST_NAME})

OCCASION_WINDOW_DAYS = 7  # today and the next seven days
USUAL_VISITS = 3  # an item in each of this many latest visits is "the usual"
LONG_ABSENCE_DAYS = 60
MAX_COMPANION_HINTS = 2  # household members and pets to ask about, together
MAX_LIKES_IN_HINT = 3


# --- What the card holds ---------------------------------------------------------------


@dataclass(frozen=True)
class Hint:
    """One thing to say, ask or remember, in the staff's language."""

    kind: str  # allergy, dietary, dislike, like, occasion, last_visit, usual, household,
    # pet, welcome, welcome_back, or a kind a registered part chooses
    text: str
    level: str  # WARNING | ASK | INFO


@dataclass(frozen=True)
class UpcomingOccasion:
    kind: str  # birthday, name_day, household_birthday, pet_birthday, first_visit, custom
    label: str  # what it is, in the staff's language; a custom date's own label
    name: str  # whose occasion (the customer's own name for a custom date)
    detail: str  # relation of a household member or kind of pet; "" otherwise
    on: date  # the local date it falls on
    days_away: int  # 0 = today
    years: int | None  # the age, the years since the first visit or since a custom
    # date's year, when known


@dataclass(frozen=True)
class CardPart:
    """A section a higher app adds to the card (see the module docstring)."""

    key: str
    title: str
    items: tuple[Hint, ...]
    order: int


@dataclass(frozen=True)
class LastVisit:
    at: datetime  # aware
    location_name: str
    items: tuple[str, ...]  # item lines, "2 × cornetto" when more than one
    had: str  # the typed "what they had" when it adds to the lines
    days_ago: int  # in local days at the card's location

    @property
    def summary(self) -> str:
        return ", ".join((*self.items, self.had) if self.had else self.items)


@dataclass(frozen=True)
class HouseholdName:
    name: str
    relation: str  # translated label; "" for "other"


@dataclass(frozen=True)
class PetName:
    name: str
    kind: str


@dataclass(frozen=True)
class GreetingCard:
    customer: Customer
    salutation: str  # the sentence to say, in salutation_language
    salutation_language: str
    address_as: str
    register: str  # FORMAL | INFORMAL
    timezone: str  # the location's, for showing times on the card
    last_visit: LastVisit | None
    allergies: tuple[str, ...]
    dietary: tuple[str, ...]
    dislikes: tuple[str, ...]
    likes: tuple[str, ...]
    household: tuple[HouseholdName, ...]
    pets: tuple[PetName, ...]
    occasions: tuple[UpcomingOccasion, ...]
    hints: tuple[Hint, ...]  # warnings first, then asks, then info
    parts: tuple[CardPart, ...]


# --- The registry of parts from higher apps -------------------------------------------

CardBuilder = Callable[[Customer, Location, datetime], CardPart | None]

_BUILDERS: dict[str, CardBuilder] = {}


def register_card_part(key: str, builder: CardBuilder) -> None:
    """Add (or replace, for the same key) a builder of one card section."""
    _BUILDERS[key] = builder


def unregister_card_part(key: str) -> None:
    """Forget a builder; unknown keys are ignored (tests clean up with this)."""
    _BUILDERS.pop(key, None)


def card_parts(customer: Customer, location: Location, now: datetime) -> list[CardPart]:
    """What every registered builder has to add for this customer, by order then key."""
    built = (build(customer, location, now) for build in list(_BUILDERS.values()))
    parts = [part for part in built if part is not None]
    return sorted(parts, key=lambda part: (part.order, part.key))


# --- The salutation ---------------------------------------------------------------------

# Keyed by (time of day, register, whether there is a name to say). Each language's
# translator writes what a person there would really say, so the informal greetings have
# their own msgids per time of day even where English would repeat itself.
SALUTATIONS: dict[tuple[str, str, bool], Promise] = {
    ("morning", FORMAL, True): pgettext_lazy("greeting", "Good morning, %(name)s!"),
    ("afternoon", FORMAL, True): pgettext_lazy("greeting", "Good afternoon, %(name)s!"),
    ("evening", FORMAL, True): pgettext_lazy("greeting", "Good evening, %(name)s!"),
    ("morning", INFORMAL, True): pgettext_lazy("greeting", "Morning, %(name)s!"),
    ("afternoon", INFORMAL, True): pgettext_lazy("greeting", "Hi %(name)s!"),
    ("evening", INFORMAL, True): pgettext_lazy("greeting", "Evening, %(name)s!"),
    ("morning", FORMAL, False): pgettext_lazy("greeting", "Good morning!"),
    ("afternoon", FORMAL, False): pgettext_lazy("greeting", "Good afternoon!"),
    ("evening", FORMAL, False): pgettext_lazy("greeting", "Good evening!"),
    ("morning", INFORMAL, False): pgettext_lazy("greeting", "Morning!"),
    ("afternoon", INFORMAL, False): pgettext_lazy("greeting", "Hi!"),
    ("evening", INFORMAL, False): pgettext_lazy("greeting", "Evening!"),
}


def time_of_day(local: datetime) -> str:
    """morning before 12:00, afternoon from 12:00, evening from 18:00 (local time)."""
    if local.hour < 12:
        return "morning"
    return "afternoon" if local.hour < 18 else "evening"


def register_of(customer: Customer) -> str:
    return INFORMAL if customer.address_form in INFORMAL_FORMS else FORMAL


def salutation_language(customer: Customer, location: Location) -> str:
    return customer.language or location.language or settings.LANGUAGE_CODE


def salutation(customer: Customer, *, location: Location, now: datetime) -> tuple[str, str]:
    """(the sentence to say, its language code)."""
    language = salutation_language(customer, location)
    name = address_as(customer)
    # No real name (address_as fell back to the public id), or a company: say no name.
    named = customer.kind != CustomerKind.ORGANISATION and name != customer.public_id
    period = time_of_day(now.astimezone(zone(location.timezone)))
    with translation.override(language):
        text = str(SALUTATIONS[(period, register_of(customer), named)])
    return (text % {"name": name} if named else text), language


# --- Occasions -------------------------------------------------------------------------

OCCASION_LABELS: dict[str, Promise] = {
    "birthday": gettext_lazy("Birthday"),
    "name_day": gettext_lazy("Name day"),
    "household_birthday": pgettext_lazy("occasion", "Birthday in the household"),
    "pet_birthday": pgettext_lazy("occasion", "Pet's birthday"),
    "first_visit": pgettext_lazy("occasion", "Anniversary of the first visit"),
    "custom": pgettext_lazy("occasion", "Custom date"),
}


def _upcoming(occurrence: Occurrence, *, me: str, today: date) -> UpcomingOccasion:
    custom = occurrence.kind == occasions.CUSTOM
    return UpcomingOccasion(
        kind=occurrence.kind,
        label=occurrence.name if custom else str(OCCASION_LABELS[occurrence.kind]),
        name=me if custom else occurrence.name,
        detail=occasions.detail_label(occurrence.kind, occurrence.detail),
        on=occurrence.on,
        days_away=(occurrence.on - today).days,
        years=occurrence.years,
    )


def upcoming_occasions(
    customer: Customer,
    household: Iterable[HouseholdMember],
    pets: Iterable[Pet],
    *,
    today: date,
    tz_name: str,
    custom: Iterable[CustomOccasion] = (),
    name_day: tuple[int, int] | None = None,
) -> tuple[UpcomingOccasion, ...]:
    """Occasions from today to OCCASION_WINDOW_DAYS days ahead, soonest first, by the
    rules of ``customers.occasions`` (which the agenda and the planner use too).
    ``name_day`` is the customer's as ``customers.namedays.name_day_for`` found it."""
    found = occasions.occasions_of(
        customer,
        household=household,
        pets=pets,
        custom=custom,
        name_day=name_day,
        days=occasions.DayRange(today, today + timedelta(days=OCCASION_WINDOW_DAYS)),
        tz_name=tz_name,
    )
    me = occasions.own_name_of(customer)
    kinds = list(OCCASION_LABELS)
    return tuple(
        sorted(
            (_upcoming(o, me=me, today=today) for o in found),
            key=lambda o: (o.days_away, kinds.index(o.kind), o.name, o.label),
        )
    )


def _relation_label(relation: str) -> str:
    return occasions.detail_label(occasions.HOUSEHOLD_BIRTHDAY, occasions.relation_detail(relation))


def _who(name: str, detail: str) -> str:
    return f"{name} ({detail})" if detail else name


# (kind, today?) → the hint. %(day)s is the weekday and date, %(who)s a name with its
# relation or pet kind, %(count)d the years since the first visit.
OCCASION_HINTS: dict[tuple[str, bool], Promise] = {
    ("birthday", True): gettext_lazy("It is their birthday today: wish them a happy birthday"),
    ("birthday", False): gettext_lazy("Birthday on %(day)s: wish them well"),
    ("name_day", True): gettext_lazy("It is their name day today: wish them a happy name day"),
    ("name_day", False): gettext_lazy("Name day on %(day)s: wish them well"),
    ("household_birthday", True): gettext_lazy(
        "%(who)s has a birthday today: ask them to pass on your best wishes"
    ),
    ("household_birthday", False): gettext_lazy(
        "%(who)s has a birthday on %(day)s: ask them to pass on your best wishes"
    ),
    ("pet_birthday", True): gettext_lazy("%(who)s has a birthday today: ask after them"),
    ("pet_birthday", False): gettext_lazy("%(who)s has a birthday on %(day)s: ask after them"),
    ("first_visit", True): ngettext_lazy(
        "%(count)d year since their first visit today: a good moment to thank them",
        "%(count)d years since their first visit today: a good moment to thank them",
        "count",
    ),
    ("first_visit", False): ngettext_lazy(
        "%(count)d year since their first visit on %(day)s: a good moment to thank them",
        "%(count)d years since their first visit on %(day)s: a good moment to thank them",
        "count",
    ),
    # %(what)s is the label staff gave the date ("Wedding anniversary").
    ("custom", True): gettext_lazy("Today: %(what)s. Remember it with them"),
    ("custom", False): gettext_lazy("%(what)s on %(day)s: remember it with them"),
}


def occasion_day(on: date) -> str:
    """ "Thursday 14 March" in the active language, as it reads inside a sentence."""
    return weekday_and_day(on, translation.get_language() or "en")


def _occasion_hint(occasion: UpcomingOccasion) -> Hint:
    message = OCCASION_HINTS[(occasion.kind, occasion.days_away == 0)]
    values = {
        "day": occasion_day(occasion.on),
        "who": _who(occasion.name, occasion.detail),
        "count": occasion.years or 0,
        "what": occasion.label,
    }
    # `%` on the lazy message, not on str(): a lazy ngettext picks its plural from "count".
    text = str(message % values)
    return Hint(kind="occasion", text=text, level=ASK)


# --- Visits -----------------------------------------------------------------------------


def _norm(item: str) -> str:
    return " ".join(item.casefold().split())


def _had_items(had: str) -> list[str]:
    parts = had.replace(";", ",").replace("\n", ",").split(",")
    return [p.strip() for p in parts if p.strip()]


def _visit_items(visit: Any) -> list[str]:
    """What was had at a visit, as item names, from its lines and its typed text."""
    items = [line.description for line in visit.lines.all()]
    return items + _had_items(visit.had)


def the_usual(visits: list[Any]) -> list[str]:
    """Items had at each of the latest USUAL_VISITS visits (newest first), spelled as
    at the latest one; empty with fewer visits."""
    if len(visits) < USUAL_VISITS:
        return []
    common = set.intersection(*({_norm(i) for i in _visit_items(v)} for v in visits))
    seen: set[str] = set()
    usual: list[str] = []
    for item in _visit_items(visits[0]):
        key = _norm(item)
        if key in common and key not in seen:
            seen.add(key)
            usual.append(item)
    return usual


def _last_visit(visit: Any, *, today: date, tz_name: str) -> LastVisit:
    items: list[str] = []
    for line in visit.lines.all():
        quantity = line.quantity_shown
        items.append(line.description if quantity == 1 else f"{quantity} × {line.description}")
    return LastVisit(
        at=visit.at,
        location_name=visit.location.name,
        items=tuple(items),
        had=visit.had_shown.strip(),
        days_ago=(today - visit.at.astimezone(zone(tz_name)).date()).days,
    )


def _last_visit_hint(last: LastVisit, *, here: bool) -> Hint:
    if last.days_ago <= 0:
        when = pgettext("last visit", "today")
    elif last.days_ago == 1:
        when = pgettext("last visit", "yesterday")
    else:
        when = ngettext("%(count)d day ago", "%(count)d days ago", last.days_ago) % {
            "count": last.days_ago
        }
    values = {"when": when, "location": last.location_name, "had": last.summary}
    if here:
        text = _("Last here %(when)s: %(had)s") if last.summary else _("Last here %(when)s")
    elif last.summary:
        text = _("Last seen %(when)s at %(location)s: %(had)s")
    else:
        text = _("Last seen %(when)s at %(location)s")
    return Hint(kind="last_visit", text=text % values, level=INFO)


# --- The card ---------------------------------------------------------------------------


def build_greeting_card(
    customer: Customer, *, location: Location, now: datetime | None = None
) -> GreetingCard:
    """The card for ``customer`` at ``location``; hints in the active (staff) language.

    Six queries (preferences, household, pets, custom dates, the latest visits and their
    lines), one or two for the name day when the customer chose none (the imported
    calendar, the first location when they have no home location), plus whatever
    registered parts run. ``now`` must be aware; it defaults to the present.
    """
    moment = now or timezone.now()
    if timezone.is_naive(moment):
        raise ValueError("now must be timezone-aware")
    tz_name = location.timezone
    today = local_today(tz_name, moment)

    preferences = list(customer.preferences.all())
    household = list(customer.household.all())
    pets = list(customer.pets.all())
    custom = list(customer.occasions.all())
    if customer.home_location_id == location.pk and not Customer.home_location.is_cached(customer):
        # Served at their home location: the name day's country needs no query.
        Customer.home_location.field.set_cached_value(customer, location)
    name_day = name_day_for(customer)
    visits = list(visit_history(customer)[:USUAL_VISITS])

    def texts(kind: str) -> tuple[str, ...]:
        return tuple(p.text for p in preferences if p.kind == kind)

    allergies = texts(PreferenceKind.ALLERGY)
    dietary = texts(PreferenceKind.DIETARY)
    dislikes = texts(PreferenceKind.DISLIKE)
    likes = texts(PreferenceKind.LIKE)
    upcoming = upcoming_occasions(
        customer,
        household,
        pets,
        today=today,
        tz_name=tz_name,
        custom=custom,
        name_day=name_day.month_day if name_day is not None else None,
    )
    last = _last_visit(visits[0], today=today, tz_name=tz_name) if visits else None

    hints: list[Hint] = []
    hints += [
        Hint("allergy", _("Allergic to %(what)s: check before serving") % {"what": a}, WARNING)
        for a in allergies
    ]
    hints += [
        Hint("dietary", _("Dietary need (%(what)s): check what you serve") % {"what": d}, WARNING)
        for d in dietary
    ]
    hints += [_occasion_hint(o) for o in upcoming]
    if usual := the_usual(visits):
        hints.append(
            Hint("usual", _("Offer the usual: %(what)s?") % {"what": ", ".join(usual)}, ASK)
        )
    if last is None:
        hints.append(
            Hint(
                "welcome",
                _("New customer: welcome them warmly and check how they spell their name"),
                INFO,
            )
        )
    else:
        if last.days_ago > LONG_ABSENCE_DAYS:
            months = last.days_ago // 30
            hints.append(
                Hint(
                    "welcome_back",
                    ngettext(
                        "First visit in %(count)d month: say you are glad to see them again",
                        "First visit in %(count)d months: say you are glad to see them again",
                        months,
                    )
                    % {"count": months},
                    ASK,
                )
            )
        hints.append(_last_visit_hint(last, here=visits[0].location_id == location.pk))
    hints += _companion_hints(household, pets, upcoming)
    hints += [
        Hint("dislike", _("Dislikes %(what)s: avoid offering it") % {"what": d}, INFO)
        for d in dislikes
    ]
    if likes:
        shown = ", ".join(likes[:MAX_LIKES_IN_HINT])
        hints.append(Hint("like", _("Likes %(what)s") % {"what": shown}, INFO))

    text, language = salutation(customer, location=location, now=moment)
    return GreetingCard(
        customer=customer,
        salutation=text,
        salutation_language=language,
        address_as=address_as(customer),
        register=register_of(customer),
        timezone=tz_name,
        last_visit=last,
        allergies=allergies,
        dietary=dietary,
        dislikes=dislikes,
        likes=likes,
        household=tuple(HouseholdName(m.name, _relation_label(m.relation)) for m in household),
        pets=tuple(PetName(p.name, p.kind) for p in pets),
        occasions=upcoming,
        hints=tuple(sorted(hints, key=lambda h: LEVELS.index(h.level))),
        parts=tuple(card_parts(customer, location, moment)),
    )


def _companion_hints(
    household: list[Any], pets: list[Any], upcoming: tuple[UpcomingOccasion, ...]
) -> list[Hint]:
    """Ask after at most MAX_COMPANION_HINTS people or pets, skipping any whose
    birthday already has its own hint."""
    celebrated = {
        (o.kind, o.name) for o in upcoming if o.kind in ("household_birthday", "pet_birthday")
    }
    candidates = [
        ("household", _who(m.name, _relation_label(m.relation)))
        for m in household
        if ("household_birthday", m.name) not in celebrated
    ] + [("pet", _who(p.name, p.kind)) for p in pets if ("pet_birthday", p.name) not in celebrated]
    return [
        Hint(kind, _("Ask how %(who)s is") % {"who": who}, ASK)
        for kind, who in candidates[:MAX_COMPANION_HINTS]
    ]
