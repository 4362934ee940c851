"""The demo business, generated once at a reduced size for the whole module."""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Min
from django.test import Client, override_settings

from regulars.accounts.models import Location, Membership, Profile
from regulars.core.models import AuditEntry, Source
from regulars.customers.models import (
    Consent,
    Customer,
    HouseholdMember,
    OrganisationContact,
    Pet,
    Phone,
    Preference,
)
from regulars.demo.generator import DEMO_PASSWORD, DemoSummary, generate
from regulars.demo.people import Rhythm
from regulars.service.models import Visit

SEED = 11
SIZE = 200
# A Wednesday, half past noon in Bologna and Copenhagen: both cafés have been open a while.
NOW = datetime(2025, 3, 12, 11, 30, tzinfo=UTC)
CYRILLIC = re.compile(r"^[А-Яа-яЁё -]+$")
LATIN = re.compile(r"^[A-Za-zÀ-ÿ' .-]+$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoSummary]:
    # Hashed as the tests' (function-scoped) fast-hashing fixture will check it.
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic():
        with fast:
            summary = generate(SEED, customers=SIZE, now=NOW)
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def made(demo: DemoSummary, db: Any) -> DemoSummary:
    return demo


def _local_dates(rhythm: Rhythm, summary: DemoSummary) -> dict[str, list[date]]:
    """Visit days (local to the location) of every customer planned with ``rhythm``."""
    ids = [pid for pid, r in summary.rhythms.items() if r == rhythm]
    days: dict[str, list[date]] = {pid: [] for pid in ids}
    visits = Visit.objects.filter(customer__public_id__in=ids).order_by("at")
    for pid, zone, at in visits.values_list("customer__public_id", "location__timezone", "at"):
        days[pid].append(at.astimezone(ZoneInfo(zone)).date())
    return days


def _median_gap(days: list[date]) -> float:
    return statistics.median((b - a).days for a, b in itertools.pairwise(days))


def test_it_creates_two_locations_six_staff_and_the_customers_asked_for(
    made: DemoSummary,
) -> None:
    assert sorted(Location.objects.values_list("name", "currency", "timezone")) == [
        ("Bologna", "EUR", "Europe/Rome"),
        ("Copenhagen", "DKK", "Europe/Copenhagen"),
    ]
    assert Customer.objects.count() == SIZE
    assert Membership.objects.filter(user__username="owner", role="owner").count() == 2
    assert set(Membership.objects.values_list("role", flat=True)) == {"owner", "manager", "staff"}
    assert len(made.logins) == 6
    assert {lang for (lang,) in Profile.objects.values_list("language")} == {
        "en",
        "it",
        "da",
        "ru",
        "es",
    }


def test_customers_come_in_five_languages_each_in_its_own_script(made: DemoSummary) -> None:
    people = Customer.objects.filter(kind="person")
    assert set(people.values_list("language", flat=True)) == {"it", "da", "ru", "es", "en"}
    for given, family in people.filter(language="ru").values_list("given_name", "family_name"):
        assert CYRILLIC.match(given), given
        assert CYRILLIC.match(family), family
    for given, family in people.exclude(language="ru").values_list("given_name", "family_name"):
        assert LATIN.match(given), given
        assert LATIN.match(family), family


def test_some_russian_customers_are_addressed_by_name_and_patronymic(made: DemoSummary) -> None:
    formal = Customer.objects.filter(language="ru", address_form="name_patronymic")
    assert formal.exists()
    assert not formal.filter(patronymic="").exists()
    assert all(
        p.endswith(("вич", "вна", "ична", "ич"))
        for p in formal.values_list("patronymic", flat=True)
    )


def test_every_phone_is_a_valid_e164_number(made: DemoSummary) -> None:
    numbers = list(Phone.objects.values_list("number", flat=True))
    assert len(numbers) > SIZE // 2
    for number in numbers:
        parsed = phonenumbers.parse(number, None)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
    # Customers of both countries, and foreigners with their own country's numbers.
    prefixes = {n[:3] for n in numbers}
    assert {"+39", "+45"} <= prefixes
    assert prefixes & {"+7", "+79", "+34", "+44"}


def test_daily_regulars_come_almost_every_day(made: DemoSummary) -> None:
    days = _local_dates(Rhythm.DAILY, made)
    regulars = [d for d in days.values() if len(d) >= 10]
    assert regulars
    for visits in regulars:
        assert _median_gap(visits) <= 2
        assert sum(1 for d in visits if d.weekday() < 5) > 0.8 * len(visits)


def test_weekly_and_monthly_customers_keep_their_rhythm(made: DemoSummary) -> None:
    weekly = [d for d in _local_dates(Rhythm.WEEKLY, made).values() if len(d) >= 5]
    monthly = [d for d in _local_dates(Rhythm.MONTHLY, made).values() if len(d) >= 5]
    assert weekly
    assert monthly
    assert all(4 <= _median_gap(d) <= 10 for d in weekly)
    assert all(20 <= _median_gap(d) <= 45 for d in monthly)


def test_occasional_customers_come_rarely(made: DemoSummary) -> None:
    occasional = [d for d in _local_dates(Rhythm.OCCASIONAL, made).values() if len(d) >= 3]
    assert occasional
    assert all(_median_gap(d) >= 20 for d in occasional)


def test_lapsed_customers_have_not_come_for_two_months(made: DemoSummary) -> None:
    lapsed = _local_dates(Rhythm.LAPSED, made)
    assert lapsed
    today = NOW.date()
    for visits in lapsed.values():
        assert len(visits) >= 3
        assert (today - visits[-1]).days > 60


def test_newcomers_first_came_in_the_last_weeks(made: DemoSummary) -> None:
    newcomers = [d for d in _local_dates(Rhythm.NEWCOMER, made).values() if d]
    assert newcomers
    for visits in newcomers:
        assert (NOW.date() - visits[0]).days <= 28


def test_there_are_visits_today_at_both_locations(made: DemoSummary) -> None:
    for location in Location.objects.all():
        zone = ZoneInfo(location.timezone)
        today = NOW.astimezone(zone).date()
        start = datetime.combine(today, datetime.min.time(), tzinfo=zone)
        visits = Visit.objects.filter(location=location, at__gte=start, at__lte=NOW)
        assert visits.filter(customer__isnull=False).exists()
        assert visits.filter(customer__isnull=True).exists()
    assert not Visit.objects.filter(at__gt=NOW).exists()


def test_in_person_visits_fall_within_opening_hours(made: DemoSummary) -> None:
    visits = Visit.objects.filter(channel="in_person").select_related("location")
    assert visits.count() > 1000
    for visit in visits.iterator():
        local = visit.at.astimezone(ZoneInfo(visit.location.timezone))
        spans = visit.location.opening_hours.get(WEEKDAYS[local.weekday()], [])
        moment = local.strftime("%H:%M")
        assert any(start <= moment < end for start, end in spans), (visit.location, local)


def test_amounts_are_in_the_location_currency_and_spend_fits_a_cafe(made: DemoSummary) -> None:
    spend: dict[str, list[float]] = defaultdict(list)
    for name, currency, amount in Visit.objects.filter(channel="in_person").values_list(
        "location__name", "currency", "amount"
    ):
        assert currency == {"Bologna": "EUR", "Copenhagen": "DKK"}[name]
        assert amount is not None
        spend[name].append(float(amount))
    assert 1 <= statistics.median(spend["Bologna"]) <= 15
    assert 30 <= statistics.median(spend["Copenhagen"]) <= 200


def test_visit_counters_match_the_visit_rows_of_every_customer(made: DemoSummary) -> None:
    counted = Customer.objects.annotate(
        n=Count("visits"), first=Min("visits__at"), last=Max("visits__at")
    ).values_list("visit_count", "n", "first_visit_at", "first", "last_visit_at", "last")
    assert len(counted) == SIZE
    for visit_count, n, first_at, first, last_at, last in counted:
        assert (visit_count, first_at, last_at) == (n, first, last)
    assert sum(row[0] for row in counted) > 10 * SIZE


def test_anonymous_walk_ins_and_organisation_orders_are_among_the_visits(
    made: DemoSummary,
) -> None:
    assert Visit.objects.filter(customer__isnull=True).count() > 1000
    orders = Visit.objects.filter(customer__kind="organisation")
    assert orders.exclude(contact_person=None).exists()
    assert orders.filter(channel__in=["email", "phone"]).exists()
    assert OrganisationContact.objects.filter(organisation__kind="organisation").exists()


def test_customer_memory_holds_a_realistic_mix_of_facts(made: DemoSummary) -> None:
    assert Preference.objects.filter(kind="allergy").exists()
    assert Preference.objects.filter(kind="dietary").exists()
    assert HouseholdMember.objects.filter(relation="child", birth_year__isnull=False).exists()
    assert Pet.objects.filter(kind="dog").exists()
    assert Consent.objects.filter(granted=True).exists()
    people = Customer.objects.filter(kind="person")
    assert people.exclude(preferred_name="").exists()
    assert people.exclude(nameday_month=None).exists()
    assert people.filter(birth_year__isnull=False).exists()
    assert people.filter(birth_month__isnull=False, birth_year__isnull=True).exists()
    assert people.filter(tags__name="regular").exists()
    assert people.exclude(email="").count() < people.count()


def test_every_fact_records_where_it_came_from(made: DemoSummary) -> None:
    sources = set(Source.values)
    for model in (Phone, Preference, HouseholdMember, Pet, OrganisationContact):
        assert not model.objects.filter(entered_by=None).exists()
        assert set(model.objects.values_list("source", flat=True)) <= sources
    for provenance in Customer.objects.filter(kind="person").values_list("provenance", flat=True):
        assert provenance["given_name"]["source"] == Source.OFFERED
        assert provenance["how_met"]["source"] == Source.STAFF
        assert provenance["given_name"]["by"] is not None


def test_it_writes_one_audit_entry_not_one_per_row(made: DemoSummary) -> None:
    # One for the business's data; the outreach plays go through their services, which
    # audit each creation and approval like a manager's.
    entries = Counter(AuditEntry.objects.values_list("subject", "action"))
    assert entries == {
        ("demo", "create"): 1,
        ("play", "create"): made.outreach.plays,
        ("play", "change"): made.outreach.approved,
    }
    assert made.outreach.plays > made.outreach.approved > 0


def test_the_staff_sign_in_with_the_demo_password(made: DemoSummary) -> None:
    for username, _role, _where in made.logins:
        client = Client()
        response = client.post(
            "/accounts/login/", {"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, username
        user = get_user_model().objects.get(username=username)
        assert client.session.get("_auth_user_id") == str(user.pk)


def test_first_met_dates_are_never_after_the_first_visit(made: DemoSummary) -> None:
    for met, first in Customer.objects.exclude(first_visit_at=None).values_list(
        "first_met_on", "first_visit_at"
    ):
        assert met is not None
        assert first is not None
        assert met <= first.date() + timedelta(days=1)


def test_the_demo_has_half_a_year_of_loyalty_snapshots(made: DemoSummary) -> None:
    from regulars.loyalty.models import RunStatus, Snapshot, Stage, Standing

    runs = list(Snapshot.objects.order_by("as_of"))
    assert len(runs) == 7
    assert made.loyalty.snapshots == 7
    assert all(run.status == RunStatus.DONE for run in runs)
    assert runs[-1].as_of == NOW
    # Past snapshots see later visits as the future, not as wrongly dated visits.
    assert not [w for run in runs for w in run.warnings if w["code"] == "future_visits"]
    customers_with_visits = (
        Visit.objects.filter(customer__isnull=False, at__lte=NOW).values("customer").distinct()
    )
    today = runs[-1]
    assert sum(today.figures["stages"].values()) == customers_with_visits.count()
    # The flows since last month's snapshot account for every customer of today.
    assert sum(map(sum, today.figures["flows"]["counts"])) == today.customers
    assert made.loyalty.check_on
    for location, name in made.loyalty.check_on:
        standing = Standing.objects.get(
            snapshot=today,
            location__name=location,
            customer__given_name=name.split()[0],
            customer__family_name=name.split()[-1],
        )
        assert standing.stage == Stage.AT_RISK
    assert "Loyalty: 7 nightly snapshots" in made.describe()
