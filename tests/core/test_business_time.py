"""Business time across daylight-saving changes, in the four zones the service desk
promises (Rome, Copenhagen, Moscow, Mexico City). Every expected instant is worked out
by hand in the comments from the zone's rules: Rome and Copenhagen go from +01:00 to
+02:00 at 02:00 on 29 March 2026 and back at 03:00 on 25 October 2026; Moscow stays at
+03:00; Mexico City went from -06:00 to -05:00 on 3 April 2022 and has stayed at -06:00
since October 2022."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from regulars.core.business_time import (
    WEEKDAYS,
    add_business_time,
    business_time_between,
    open_spans,
)


def every_day(*spans: tuple[str, str]) -> dict[str, list[list[str]]]:
    return {day: [list(span) for span in spans] for day in WEEKDAYS}


NINE_TO_FIVE = every_day(("09:00", "17:00"))
ROUND_THE_CLOCK = every_day(("00:00", "24:00"))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_the_clock_jumps_the_night_when_clocks_go_forward_in_rome() -> None:
    # Sat 28 Mar 16:00 CET = 15:00Z: one hour left that day; Sunday opens at 09:00
    # CEST = 07:00Z, plus the second hour = 08:00Z.
    assert add_business_time(
        utc(2026, 3, 28, 15), timedelta(hours=2), NINE_TO_FIVE, "Europe/Rome"
    ) == utc(2026, 3, 29, 8)


def test_a_day_is_23_open_hours_in_spring_and_25_in_autumn() -> None:
    # Rome, 29 Mar: from 00:00 CET (28 Mar 23:00Z) to 00:00 CEST next day (29 Mar 22:00Z).
    assert business_time_between(
        utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), ROUND_THE_CLOCK, "Europe/Rome"
    ) == timedelta(hours=23)
    # Copenhagen, 25 Oct: from 00:00 CEST (24 Oct 22:00Z) to 00:00 CET next day (25 Oct
    # 23:00Z).
    assert business_time_between(
        utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), ROUND_THE_CLOCK, "Europe/Copenhagen"
    ) == timedelta(hours=25)


def test_a_weekend_closed_in_copenhagen_when_clocks_go_back() -> None:
    weekdays = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    # Fri 23 Oct 16:30 CEST = 14:30Z: half an hour left; Monday 26 Oct opens at 09:00
    # CET = 08:00Z, plus the other half hour = 08:30Z.
    assert add_business_time(
        utc(2026, 10, 23, 14, 30), timedelta(hours=1), weekdays, "Europe/Copenhagen"
    ) == utc(2026, 10, 26, 8, 30)


def test_moscow_keeps_one_offset_the_same_weekend() -> None:
    ten_to_eight = every_day(("10:00", "20:00"))
    # Sat 28 Mar 19:00 MSK = 16:00Z: one hour left; Sunday opens at 10:00 MSK = 07:00Z,
    # plus the second hour = 08:00Z.
    assert add_business_time(
        utc(2026, 3, 28, 16), timedelta(hours=2), ten_to_eight, "Europe/Moscow"
    ) == utc(2026, 3, 29, 8)
    assert open_spans(date(2026, 3, 29), ten_to_eight, "Europe/Moscow") == [
        (utc(2026, 3, 29, 7), utc(2026, 3, 29, 17))
    ]


def test_mexico_city_follows_its_old_and_its_new_rules() -> None:
    # 2022: Sat 2 Apr 16:00 CST = 22:00Z; Sunday 3 Apr opens at 09:00 CDT = 14:00Z.
    assert add_business_time(
        utc(2022, 4, 2, 22), timedelta(hours=2), NINE_TO_FIVE, "America/Mexico_City"
    ) == utc(2022, 4, 3, 15)
    # 2026, no daylight saving: Sat 4 Apr 16:00 = 22:00Z; Sunday opens at 09:00 = 15:00Z.
    assert add_business_time(
        utc(2026, 4, 4, 22), timedelta(hours=2), NINE_TO_FIVE, "America/Mexico_City"
    ) == utc(2026, 4, 5, 16)


def test_a_clock_started_while_closed_waits_for_the_doors_and_skips_lunch() -> None:
    split = {"mon": [["09:00", "13:00"], ["15:00", "19:00"]]}
    # Mon 1 Jun 2026 07:00 CEST = 05:00Z: 09:00-13:00 gives four hours, 15:00 plus one
    # more = 16:00 CEST = 14:00Z.
    assert add_business_time(utc(2026, 6, 1, 5), timedelta(hours=5), split, "Europe/Rome") == utc(
        2026, 6, 1, 14
    )
    # 10:00 to 16:00 CEST: three hours before lunch, one after.
    assert business_time_between(
        utc(2026, 6, 1, 8), utc(2026, 6, 1, 14), split, "Europe/Rome"
    ) == timedelta(hours=4)
    # The Monday after: the same hours a week later.
    assert add_business_time(utc(2026, 6, 1, 17), timedelta(hours=1), split, "Europe/Rome") == utc(
        2026, 6, 8, 8
    )


def test_an_opening_inside_the_skipped_hour_opens_with_the_offset_before_it() -> None:
    night = {"sun": [["02:30", "04:00"]]}
    # 02:30 does not exist in Rome on 29 Mar 2026: read at +01:00 it is 01:30Z, which is
    # 03:30 CEST; 04:00 CEST is 02:00Z. Half an hour open.
    assert open_spans(date(2026, 3, 29), night, "Europe/Rome") == [
        (utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2))
    ]


@pytest.mark.parametrize("hours", [NINE_TO_FIVE, ROUND_THE_CLOCK], ids=["9-17", "24h"])
@pytest.mark.parametrize("zone", ["Europe/Rome", "Europe/Copenhagen", "America/Mexico_City"])
def test_adding_then_measuring_gives_the_duration_back_across_the_changes(
    hours: dict[str, list[list[str]]], zone: str
) -> None:
    for start in (utc(2026, 3, 27, 12), utc(2026, 10, 23, 12), utc(2022, 4, 1, 12)):
        for duration in (timedelta(minutes=1), timedelta(hours=7), timedelta(hours=60)):
            end = add_business_time(start, duration, hours, zone)
            assert end > start
            assert business_time_between(start, end, hours, zone) == duration


def test_without_opening_hours_it_is_calendar_time() -> None:
    start = utc(2026, 3, 28, 23)
    assert add_business_time(start, timedelta(hours=3), {}, "Europe/Rome") == utc(2026, 3, 29, 2)
    assert business_time_between(start, utc(2026, 3, 29, 2), {}, "Europe/Rome") == timedelta(
        hours=3
    )


def test_edges() -> None:
    start = utc(2026, 6, 1, 10)
    assert add_business_time(start, timedelta(0), NINE_TO_FIVE, "Europe/Rome") == start
    assert business_time_between(start, start, NINE_TO_FIVE, "Europe/Rome") == timedelta(0)
    assert business_time_between(start, utc(2026, 6, 1, 9), NINE_TO_FIVE, "Europe/Rome") == (
        timedelta(0)
    )
    with pytest.raises(ValueError, match="negative"):
        add_business_time(start, timedelta(minutes=-1), NINE_TO_FIVE, "Europe/Rome")
    naive = datetime(2026, 6, 1, 10)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(naive, timedelta(hours=1), NINE_TO_FIVE, "Europe/Rome")
    with pytest.raises(ValueError, match="unknown time zone"):
        add_business_time(start, timedelta(hours=1), NINE_TO_FIVE, "Mars/Olympus")
