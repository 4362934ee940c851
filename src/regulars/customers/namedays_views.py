"""The name-day page (``/customers/name-days/``), for managers: the business's own
imported calendars per country, the upload of a calendar CSV with its report, and a
lookup ("which day is Giuseppe's name day in Italy?"). Thin: ``customers.namedays``
reads, imports and answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from django import forms
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.accounts.access import requires
from regulars.accounts.models import Location
from regulars.core.permissions import Capability
from regulars.customers import namedays
from regulars.customers.models import NameDayEntry
from regulars.text.namedays import calendar, country_code, find_name_day, shipped_countries

PAGE_SIZE = 100

_DAY_FORMATS = {
    "en": "d MMMM",
    "it": "d MMMM",
    "da": "d. MMMM",
    "ru": "d MMMM",
    "es": "d 'de' MMMM",
}
_BABEL = {"en": "en_GB", "it": "it_IT", "da": "da_DK", "ru": "ru_RU", "es": "es_ES"}


def _language() -> str:
    return (translation.get_language() or "en").split("-")[0]


def day_text(month: int, day: int) -> str:
    """``19 March`` / ``19 marzo`` / ``19 марта`` in the current language."""
    code = _language()
    # A leap year, so 29 February can be shown.
    on = date(2000, month, day)
    return format_date(on, _DAY_FORMATS.get(code, "d MMMM"), locale=_BABEL.get(code, "en_GB"))


def country_name(code: str) -> str:
    """The country's name in the current language (``"it"`` → ``Italy``/``Italia``)."""
    try:
        locale = Locale.parse(_BABEL.get(_language(), "en_GB"))
    except (UnknownLocaleError, ValueError):  # pragma: no cover - the table is fixed
        return code.upper()
    return str(locale.territories.get(code.upper(), code.upper()))


def _country_choices() -> list[tuple[str, str]]:
    """Shipped calendars, the locations' countries and every country already imported."""
    codes = set(shipped_countries())
    codes.update(country_code(c) for c in Location.objects.values_list("country", flat=True))
    codes.update(NameDayEntry.objects.values_list("country", flat=True).distinct())
    codes.discard("")
    return sorted(((c, f"{country_name(c)} ({c.upper()})") for c in codes), key=lambda c: c[1])


class UploadForm(forms.Form):
    country = forms.ChoiceField(label=gettext_lazy("Country"))
    file = forms.FileField(
        label=gettext_lazy("Calendar (CSV)"),
        help_text=gettext_lazy(
            "Columns month, day and name (a country column is optional), one name per line."
        ),
    )
    replace = forms.BooleanField(
        label=gettext_lazy("Replace this country's imported calendar"),
        required=False,
        help_text=gettext_lazy("Names the file no longer holds are removed."),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = choices  # type: ignore[attr-defined]


class LookupForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    country = forms.ChoiceField(label=gettext_lazy("Country"))

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = choices  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Lookup:
    """The answer shown for a lookup."""

    name: str
    country: str
    day: str  # "" when not found
    source: str  # namedays.NameDaySource value, "" when not found
    others: tuple[str, ...]  # the shipped calendar's other days for the name


def _lookup(name: str, country: str) -> Lookup:
    found = find_name_day(name, (country,), namedays.imported_index((country,)))
    if found is None:
        return Lookup(name, country, "", "", ())
    source = namedays.NameDaySource.IMPORTED if found.imported else namedays.NameDaySource.CALENDAR
    main = (found.month, found.day)
    others = tuple(
        day_text(d.month, d.day) for d in calendar(country).days_for(name) if tuple(d) != main
    )
    return Lookup(name, country, day_text(*main), source, others)


def _default_country(choices: list[tuple[str, str]]) -> str:
    first = namedays.default_country()
    return first if first in {c for c, _label in choices} else (choices[0][0] if choices else "")


@requires(Capability.MANAGE_OUTREACH)
def page(request: HttpRequest) -> HttpResponse:
    choices = _country_choices()
    default = _default_country(choices)
    report: namedays.ImportReport | None = None
    if request.method == "POST":
        upload = UploadForm(request.POST, request.FILES, choices=choices)
        if upload.is_valid():
            report = namedays.import_calendar(
                upload.cleaned_data["file"].read(namedays.MAX_IMPORT_BYTES + 1),
                country=upload.cleaned_data["country"],
                replace=upload.cleaned_data["replace"],
                user=request.user,
            )
            upload = UploadForm(
                initial={"country": upload.cleaned_data["country"]}, choices=choices
            )
    else:
        upload = UploadForm(initial={"country": default}, choices=choices)

    lookup: Lookup | None = None
    lookup_form = LookupForm(
        request.GET if "name" in request.GET else None,
        initial={"country": default},
        choices=choices,
        auto_id="lookup_%s",  # the upload form on the same page has a country field too
    )
    if lookup_form.is_bound and lookup_form.is_valid():
        lookup = _lookup(lookup_form.cleaned_data["name"], lookup_form.cleaned_data["country"])

    counts = [
        {"country": row["country"], "name": country_name(row["country"]), "entries": row["n"]}
        for row in NameDayEntry.objects.values("country")
        .annotate(n=Count("id"))
        .order_by("country")
    ]
    shown = country_code(request.GET.get("show", ""))
    entries = None
    if shown:
        entries = Paginator(NameDayEntry.objects.filter(country=shown), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        for entry in entries.object_list:
            entry.day_text = day_text(entry.month, entry.day)  # type: ignore[attr-defined]
    context = {
        "upload": upload,
        "report": report,
        "report_country_names": [country_name(c) for c in report.countries] if report else [],
        "lookup_form": lookup_form,
        "lookup": lookup,
        "lookup_country_name": country_name(lookup.country) if lookup else "",
        "counts": counts,
        "shown": shown,
        "shown_name": country_name(shown) if shown else "",
        "entries": entries,
        "shipped": sorted(((c, country_name(c)) for c in shipped_countries()), key=lambda c: c[1]),
        "max_rows": namedays.MAX_IMPORT_ROWS,
        "title": _("Name days"),
    }
    return render(request, "customers/namedays.html", context)
