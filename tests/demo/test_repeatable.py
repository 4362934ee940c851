"""The demo is repeatable: same seed, same business; a second run creates nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from regulars.accounts.models import Location
from regulars.customers.models import Customer
from regulars.demo.generator import ensure_demo_business, generate
from regulars.service.models import Visit

SIZE = 120
NOW = datetime(2025, 6, 3, 9, 15, tzinfo=UTC)


def _business(seed: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Generate on an empty database, read it back, and roll it all away."""
    with transaction.atomic():
        generate(seed, customers=SIZE, now=NOW)
        customers = [
            (
                c.public_id,
                c.given_name,
                c.family_name,
                c.visit_count,
                tuple(sorted(p.number for p in c.phones.all())),
            )
            for c in Customer.objects.order_by("public_id").prefetch_related("phones")
        ]
        visits = list(
            Visit.objects.order_by("at", "public_id").values_list(
                "customer__public_id", "location__name", "at", "amount", "had"
            )
        )
        transaction.set_rollback(True)
    return customers, visits


def test_the_same_seed_gives_the_same_customers_phones_and_visits(db: Any) -> None:
    first = _business(3)
    assert not Customer.objects.exists()
    second = _business(3)
    assert len(first[0]) == SIZE
    assert len(first[1]) > 1000
    assert first == second


def test_another_seed_gives_other_customers(db: Any) -> None:
    names_3 = {(c[1], c[2]) for c in _business(3)[0]}
    names_4 = {(c[1], c[2]) for c in _business(4)[0]}
    assert names_3 != names_4


def test_ensure_demo_business_twice_creates_nothing_the_second_time(db: Any) -> None:
    first = ensure_demo_business(seed=5, customers=SIZE, now=NOW)
    counts = (Location.objects.count(), Customer.objects.count(), Visit.objects.count())
    second = ensure_demo_business(seed=5, customers=SIZE, now=NOW)
    assert first.created
    assert not second.created
    assert counts == (2, SIZE, first.visits)
    assert (Location.objects.count(), Customer.objects.count(), Visit.objects.count()) == counts
    assert second.logins == first.logins
    assert [login[0] for login in second.logins] == [
        "owner",
        "giulia",
        "luca",
        "olga",
        "mads",
        "sofia",
    ]


def test_it_leaves_a_database_that_already_has_a_business_alone(db: Any) -> None:
    Location.objects.create(
        name="Own shop", country="IT", timezone="Europe/Rome", currency="EUR", language="it"
    )
    summary = ensure_demo_business(seed=5, customers=SIZE, now=NOW)
    assert not summary.created
    assert summary.logins == []
    assert not Customer.objects.exists()
    assert "no demo business created" in summary.describe()


def test_before_opening_time_today_shows_online_pre_orders(db: Any) -> None:
    dawn = datetime(2025, 6, 3, 3, 10, tzinfo=UTC)  # 05:10 in Bologna and Copenhagen
    summary = generate(8, customers=60, now=dawn)
    midnight = datetime(2025, 6, 2, 22, 0, tzinfo=UTC)  # local midnight (CEST)
    today = Visit.objects.filter(at__gte=midnight)
    assert summary.visits_today == today.count()
    for location in Location.objects.all():
        mine = today.filter(location=location)
        assert mine.exists()
        assert set(mine.values_list("channel", flat=True)) == {"web"}
        assert not mine.filter(at__gt=dawn).exists()
