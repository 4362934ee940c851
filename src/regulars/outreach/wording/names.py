"""The names a wording template can use, filled for one customer, occasion and voucher.

``name`` is how the customer likes to be addressed (``customers.queries.address_as``),
``formal`` their register (``customers.greeting.register_of``), ``greeting`` the opening
line built from both in their language ("Gentile Sig.ra Rossi," / "Ciao Giulia,").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_percent
from django.conf import settings

from regulars.accounts.models import Location
from regulars.core.localtime import zone
from regulars.core.money import _babel_locale, format_money
from regulars.customers.greeting import FORMAL, register_of
from regulars.customers.models import AddressForm, Customer
from regulars.customers.queries import address_as
from regulars.outreach import links
from regulars.outreach.models import Channel, Voucher, VoucherKind
from regulars.outreach.vouchers import shown_code
from regulars.outreach.wording.texts import LANGUAGES, frame

# Every name a template may use. ``forloop`` and the names a template binds itself
# ({% for x in … %}, {% with x=… %}) are allowed on top.
NAMES = (
    "name",
    "given_name",
    "greeting",
    "formal",
    "business",
    "occasion",
    "occasion_name",
    "occasion_date",
    "years",
    "voucher",
    "unsubscribe_url",
    "visits",
)

# Which consent an unsubscribe link withdraws, per channel.
CONSENT_OF = {
    Channel.EMAIL: "email",
    Channel.SMS: "sms",
    Channel.CARD: "post",
    Channel.CALL: "phone",
}

# A title's grammatical gender, where a language's formal opening agrees with it.
_TITLE_GENDER = {
    "sra": "f",
    "srta": "f",
    "dña": "f",
    "doña": "f",
    "dra": "f",
    "sr": "m",
    "d": "m",
    "don": "m",
    "dr": "m",
}


@dataclass(frozen=True)
class VoucherNames:
    """``{{ voucher.code }}`` (ABCD-EFGH), ``{{ voucher.text }}`` (what it gives) and
    ``{{ voucher.valid_until }}`` (a date in the customer's language)."""

    code: str
    text: str
    valid_until: str

    def __str__(self) -> str:
        return self.code


def language_of(*codes: str | None) -> str:
    """The first of ``codes`` that is a language we write in, else the site's default."""
    for code in codes:
        short = (code or "").split("-")[0].lower()
        if short in LANGUAGES:
            return short
    return settings.LANGUAGE_CODE


def long_date(on: date, language: str) -> str:
    """``31 March 2025`` / ``31 marzo 2025`` / ``31 марта 2025`` (CLDR's long date;
    Russian without its "г.", which would end a sentence in two full stops)."""
    pattern = "d MMMM y" if language == "ru" else "long"
    return str(format_date(on, pattern, locale=_babel_locale(language)))


def voucher_names(voucher: Voucher, language: str) -> VoucherNames:
    lines = frame(language)
    locale = _babel_locale(language)
    if voucher.text:
        gives = voucher.text
    elif voucher.kind == VoucherKind.PERCENT and voucher.value is not None:
        share = format_percent(voucher.value / Decimal(100), locale=locale)
        gives = lines.percent_off.format(value=share)
    elif voucher.kind == VoucherKind.AMOUNT and voucher.value is not None:
        money = format_money(voucher.value, voucher.currency or "EUR", language)
        gives = lines.amount_off.format(value=money)
    else:
        gives = lines.a_gift
    return VoucherNames(
        code=shown_code(voucher.code),
        text=gives,
        valid_until=long_date(voucher.expires_on, language),
    )


def _named(customer: Customer, name: str) -> bool:
    return bool(name) and name != customer.public_id


def greeting_for(customer: Customer, language: str) -> str:
    """The opening line in ``language``, in the customer's register, with their name."""
    forms = frame(language).greetings
    formal = register_of(customer) == FORMAL
    name = address_as(customer)
    if not _named(customer, name):
        return forms.formal_nameless if formal else forms.informal_nameless
    if not formal:
        return forms.informal.format(name=name)
    if forms.feminine and customer.title:
        gender = _TITLE_GENDER.get(customer.title.lower().rstrip(".").strip())
        if gender == "f":
            return forms.feminine.format(name=name)
        if gender == "m":
            return forms.masculine.format(name=name)
    return forms.formal.format(name=name)


def _first_visit_year(customer: Customer, tz_name: str) -> int | None:
    years = [customer.first_met_on.year] if customer.first_met_on else []
    if customer.first_visit_at is not None:
        years.append(customer.first_visit_at.astimezone(zone(tz_name)).year)
    return min(years) if years else None


def _years(customer: Customer, occasion: str, occasion_name: str, on: date, tz: str) -> int | None:
    """The age or the years since, when the stored facts tell; None otherwise."""
    born: int | None = None
    if occasion == "birthday":
        born = customer.birth_year
    elif occasion == "first_visit":
        born = _first_visit_year(customer, tz)
        return max(on.year - born, 1) if born is not None else 1
    elif occasion in ("household_birthday", "pet_birthday") and customer.pk and occasion_name:
        related = customer.household if occasion == "household_birthday" else customer.pets
        born = related.filter(name=occasion_name).values_list("birth_year", flat=True).first()
    if born is None or born >= on.year:
        return None
    return on.year - born


def names_for(
    *,
    customer: Customer,
    location: Location,
    language: str,
    channel: str,
    occasion: str = "",
    occasion_name: str = "",
    occasion_on: date | None = None,
    voucher: Voucher | None = None,
    today: date,
) -> dict[str, Any]:
    """The template names for one message (see ``NAMES``)."""
    lines = frame(language)
    name = address_as(customer)
    named = _named(customer, name)
    when = occasion_on or today
    if not occasion_name and occasion in lines.someone:
        occasion_name = lines.someone[occasion]
    elif not occasion_name and occasion == "custom":
        occasion_name = lines.occasions["custom"]
    return {
        "name": name if named else "",
        "given_name": (customer.preferred_name or customer.given_name) if named else "",
        "greeting": greeting_for(customer, language),
        "formal": register_of(customer) == FORMAL,
        "business": location.name,
        "occasion": lines.occasions.get(occasion, ""),
        "occasion_name": occasion_name,
        "occasion_date": long_date(occasion_on, language) if occasion_on else "",
        "years": _years(customer, occasion, occasion_name, when, location.timezone)
        if occasion
        else None,
        "voucher": voucher_names(voucher, language) if voucher is not None else "",
        "unsubscribe_url": links.unsubscribe_url(
            customer.public_id, CONSENT_OF.get(Channel(channel), links.ALL)
        ),
        "visits": customer.visit_count,
    }


# --- Sample values for the preview and the checks ----------------------------------------

_SAMPLES: dict[str, dict[str, str]] = {
    "en": {
        "given_name": "Emma",
        "family_name": "Taylor",
        "title": "Mrs",
        "pet": "Biscuit",
        "member": "Oliver",
    },
    "it": {
        "given_name": "Giulia",
        "family_name": "Rossi",
        "title": "Sig.ra",
        "pet": "Briciola",
        "member": "Luca",
    },
    "da": {
        "given_name": "Mette",
        "family_name": "Jensen",
        "title": "",
        "pet": "Bamse",
        "member": "Freja",
    },
    "ru": {
        "given_name": "Анна",
        "family_name": "Иванова",
        "title": "",
        "pet": "Барсик",
        "member": "Миша",
        "patronymic": "Сергеевна",
    },
    "es": {
        "given_name": "Lucía",
        "family_name": "García",
        "title": "Sra.",
        "pet": "Canela",
        "member": "Pablo",
    },
}
SAMPLE_CUSTOM = {
    "en": "your wedding anniversary",
    "it": "il vostro anniversario di nozze",
    "da": "jeres bryllupsdag",
    "ru": "годовщина свадьбы",
    "es": "vuestro aniversario de boda",
}


def sample_customer(language: str, *, formal: bool = False) -> Customer:
    """An unsaved customer for previews: a typical name of the language."""
    sample = _SAMPLES.get(language, _SAMPLES["en"])
    form = AddressForm.INFORMAL
    if formal:
        form = (
            AddressForm.NAME_PATRONYMIC
            if sample.get("patronymic")
            else (AddressForm.TITLE_SURNAME if sample["title"] else AddressForm.FORMAL)
        )
    return Customer(
        public_id="SAMPLE0000000000",
        given_name=sample["given_name"],
        family_name=sample["family_name"],
        patronymic=sample.get("patronymic", ""),
        title=sample["title"],
        address_form=form,
        language=language,
        visit_count=50,
        birth_year=1990,
    )


def sample_occasion_name(purpose: str, language: str) -> str:
    sample = _SAMPLES.get(language, _SAMPLES["en"])
    return {
        "household_birthday": sample["member"],
        "pet_birthday": sample["pet"],
        "custom": SAMPLE_CUSTOM.get(language, SAMPLE_CUSTOM["en"]),
    }.get(purpose, "")


def sample_voucher(currency: str, today: date) -> Voucher:
    """An unsaved voucher for previews: 10 % off for 30 days."""
    return Voucher(
        code="K7M2QX9P",
        kind=VoucherKind.PERCENT,
        value=Decimal(10),
        currency=currency,
        expires_on=today + timedelta(days=30),
    )
