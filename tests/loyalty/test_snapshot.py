"""The nightly snapshot end to end: visits in the database → standings and figures."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.db.models import Sum

from regulars.customers.models import Customer
from regulars.loyalty import compute as compute_module
from regulars.loyalty import fits, services
from regulars.loyalty.models import RunStatus, Snapshot, Stage, Standing
from regulars.service.flow import Remedy, ReturnReason, TicketKind
from regulars.service.models import Visit
from regulars.service.returns import ReturnedItem, record_return
from regulars.service.tickets import open_ticket
from tests.conftest import World

NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # 06:00 in Rome: past the snapshot hour
DAY = timedelta(days=1)


def visits_for(
    customer: Customer, world: World, times: list[datetime], amount: str = "12.50"
) -> None:
    Visit.objects.bulk_create(
        [
            Visit(
                customer=customer,
                location=world.bologna,
                at=at,
                amount=Decimal(amount) if amount else None,
                currency="EUR" if amount else "",
            )
            for at in times
        ]
    )


def regular(world: World, name: str, *, every: int = 7, count: int = 12, last: int = 2) -> Customer:
    """A customer who came ``count`` times, every ``every`` days, last ``last`` days ago
    at 09:00 Rome time (07:00 UTC)."""
    customer = Customer.objects.create(given_name=name)
    end = NOW.replace(hour=7) - last * DAY
    visits_for(customer, world, [end - k * every * DAY for k in range(count)])
    return customer


def standing(customer: Customer, run: Snapshot) -> Standing:
    return Standing.objects.get(snapshot=run, customer=customer)


@pytest.fixture
def small(world: World) -> dict[str, Customer]:
    """A business of a few customers: too few for the models."""
    people = {
        "steady": regular(world, "Steady"),
        "overdue": regular(world, "Overdue", every=7, count=10, last=30),
        "gone": regular(world, "Gone", every=7, count=10, last=200),
        "newcomer": regular(world, "Newcomer", count=1, last=3),
        "second": regular(world, "Second", every=20, count=2, last=50),
    }
    return people


def test_a_small_business_runs_on_rules_and_says_why(small: dict[str, Customer]) -> None:
    run = services.take_snapshot(NOW)
    assert run is not None
    assert run.status == RunStatus.DONE
    assert run.method == "rules"
    thin = [w for w in run.warnings if w["code"] == "thin_data"]
    assert thin
    assert "too_few_customers" in thin[0]["reasons"]
    assert run.customers == 5
    assert run.visits == 12 + 10 + 10 + 1 + 2

    assert standing(small["steady"], run).stage == Stage.REGULAR
    assert standing(small["overdue"], run).stage == Stage.AT_RISK
    assert standing(small["gone"], run).stage == Stage.LAPSED
    assert standing(small["newcomer"], run).stage == Stage.NEW
    assert standing(small["second"], run).stage == Stage.AT_RISK  # 50 days > 30-day horizon
    steady = standing(small["steady"], run)
    assert steady.p_alive is None
    assert steady.value is None
    assert steady.gap_median == 7.0
    assert (steady.gap_low, steady.gap_high) == (7.0, 7.0)
    assert steady.part_of_day == 0  # 09:00 in Rome is the morning
    assert steady.visits == 12
    assert steady.location_id is not None
    # On rules, only customers at risk or lapsed have value at risk: a year of them.
    overdue = standing(small["overdue"], run)
    assert overdue.value_at_risk > 0
    assert steady.value_at_risk == 0
    sizes = run.figures["stages"]
    assert sum(sizes.values()) == 5
    assert sizes["regular"] == 1
    assert run.figures["inputs"]["single_visit_customers"] == 1


def test_a_business_with_enough_customers_gets_the_models(world: World) -> None:
    rng = np.random.default_rng(7)
    customers = Customer.objects.bulk_create([Customer(given_name=f"C{i}") for i in range(400)])
    rows = []
    start = NOW - 600 * DAY
    for customer in customers:
        rate = rng.gamma(2.0, 1 / 20.0)  # visits per day
        life = rng.exponential(400.0)
        first = start + timedelta(days=float(rng.uniform(0, 500)))
        t = first
        while t < min(NOW, first + timedelta(days=life)):
            rows.append(
                Visit(
                    customer=customer,
                    location=world.bologna,
                    at=t,
                    amount=Decimal(f"{rng.gamma(4.0, 5.0):.2f}"),
                    currency="EUR",
                )
            )
            t += timedelta(days=float(rng.exponential(1 / rate)))
    Visit.objects.bulk_create(rows, batch_size=2000)

    run = services.take_snapshot(NOW)
    assert run is not None
    assert run.status == RunStatus.DONE, run.error
    assert run.method == "model"
    assert set(run.parameters) == {"bgnbd", "gammagamma"}
    assert all(run.parameters["bgnbd"][k] > 0 for k in ("r", "alpha", "a", "b"))
    standings = Standing.objects.filter(snapshot=run)
    assert standings.count() == 400
    p = np.array(standings.values_list("p_alive", flat=True), dtype=float)
    assert np.all((p >= 0) & (p <= 1))
    # The total value is the sum of the customers' values (to the cent per customer).
    total = standings.aggregate(s=Sum("value"))["s"]
    assert abs(run.total_value - total) <= Decimal("0.01") * 400
    assert run.currency == "EUR"
    holdout = run.figures["holdout"]
    assert holdout is not None
    assert holdout["days"] == 90
    assert sum(g["customers"] for g in holdout["groups"]) == sum(
        b["customers"] for b in holdout["alive"]
    )
    # Predicted and actual holdout visits agree in total within 30 % on this data.
    assert holdout["total_actual"] > 0
    assert abs(holdout["total_predicted"] / holdout["total_actual"] - 1) < 0.3
    assert sum(run.figures["value"]["counts"]) == 400
    cohorts = run.figures["cohorts"]
    assert sum(cohorts["sizes"]) == 400
    # June 2026 is under way at NOW: no cohort shows it (it is still filling), so a
    # cohort of month m shows the whole months from m to May 2026.
    for label, row, shares in zip(
        cohorts["labels"], cohorts["observable"], cohorts["retention"], strict=True
    ):
        year, month = map(int, label.split("-"))
        whole = (2026 * 12 + 6) - (year * 12 + month)
        assert sum(row) == whole
        assert row[:whole] == [True] * whole
        assert not any(shares[whole:])
    assert run.figures["flows"]["counts"][-1] == [
        run.figures["stages"][name] for name in run.figures["flows"]["to"]
    ]  # a first snapshot: everyone comes from "none"


def test_the_same_day_is_taken_once_and_only_after_the_hour(small: dict[str, Customer]) -> None:
    early = NOW.replace(hour=0)  # 02:00 in Rome
    assert services.snapshot_if_due(early) is None
    assert not Snapshot.objects.exists()
    first = services.snapshot_if_due(NOW)
    assert first is not None
    assert first.status == RunStatus.DONE
    assert services.snapshot_if_due(NOW + timedelta(hours=2)) is None
    assert services.take_snapshot(NOW + timedelta(hours=3)) is None
    assert Snapshot.objects.count() == 1
    assert Standing.objects.count() == 5
    # The next day runs again.
    second = services.snapshot_if_due(NOW + DAY)
    assert second is not None
    assert second.day == first.day + DAY


def test_a_failed_fit_keeps_the_previous_snapshot_and_says_why(
    small: dict[str, Customer], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = services.take_snapshot(NOW)
    assert before is not None

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise fits.FitFailed("BG/NBD did not give a usable fit (not_converged)")

    monkeypatch.setattr(compute_module, "compute", broken)
    monkeypatch.setattr(services, "compute", broken)
    failed = services.take_snapshot(NOW + DAY)
    assert failed is not None
    assert failed.status == RunStatus.FAILED
    assert "not_converged" in failed.error
    assert not Standing.objects.filter(snapshot=failed).exists()
    latest = Snapshot.objects.filter(status=RunStatus.DONE).latest()
    assert latest.pk == before.pk
    assert Standing.objects.filter(snapshot=before).count() == 5
    # The failed day can be tried again once the cause is gone.
    monkeypatch.undo()
    again = services.take_snapshot(NOW + DAY + timedelta(hours=1))
    assert again is not None
    assert again.status == RunStatus.DONE


def test_a_model_that_does_not_converge_fails_the_run_when_a_snapshot_exists(
    world: World, small: dict[str, Customer], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = services.take_snapshot(NOW)
    assert before is not None
    monkeypatch.setattr(compute_module, "thin_data", _never_thin)
    real = fits.fit_bgnbd

    def unconverged(*args: Any, **kwargs: Any) -> Any:
        fit = real(*args, **kwargs)
        return type(fit)(**{**{f: getattr(fit, f) for f in fit.__slots__}, "converged": False})

    monkeypatch.setattr(fits, "fit_bgnbd", unconverged)
    failed = services.take_snapshot(NOW + DAY)
    assert failed is not None
    assert failed.status == RunStatus.FAILED
    assert "BG/NBD did not give a usable fit (not_converged)" in failed.error
    assert Snapshot.objects.filter(status=RunStatus.DONE).latest().pk == before.pk


def _never_thin(summary: Any) -> Any:
    from regulars.analytics.clv.checks import ThinData, data_size

    return ThinData(visits_thin=False, spend_thin=True, reasons=(), size=data_size(summary))


def test_an_interrupted_run_is_marked_failed_and_the_day_retried(
    small: dict[str, Customer],
) -> None:
    stuck = Snapshot.objects.create(
        day=NOW.date(), as_of=NOW - timedelta(hours=7), started_at=NOW - timedelta(hours=7)
    )
    run = services.take_snapshot(NOW)
    assert run is not None
    assert run.status == RunStatus.DONE
    stuck.refresh_from_db()
    assert stuck.status == RunStatus.FAILED
    assert stuck.error.startswith("Interrupted")


def test_a_lapsed_customer_who_returns_is_won_back(
    world: World, small: dict[str, Customer]
) -> None:
    first = services.take_snapshot(NOW)
    assert first is not None
    gone = small["gone"]
    assert standing(gone, first).stage == Stage.LAPSED
    visits_for(gone, world, [NOW + 2 * DAY])
    second = services.take_snapshot(NOW + 3 * DAY)
    assert second is not None
    back = standing(gone, second)
    assert back.stage == Stage.WON_BACK
    assert back.stage_since == NOW + 3 * DAY
    flows = second.figures["flows"]
    row = flows["from"].index("lapsed")
    assert flows["counts"][row][flows["to"].index("won_back")] == 1
    # A customer whose stage did not change keeps the date it began.
    assert standing(small["steady"], second).stage_since == NOW


def test_complaints_make_a_customer_dissatisfied_but_returns_do_not(
    world: World, small: dict[str, Customer], owner: Any
) -> None:
    steady, newcomer = small["steady"], small["newcomer"]
    open_ticket(
        actor=owner,
        location=world.bologna,
        customer=steady,
        kind=TicketKind.COMPLAINT,
        subject="Cold coffee",
    )
    record_return(
        actor=owner,
        location=world.bologna,
        customer=newcomer,
        items=[ReturnedItem(description="Mug")],
        reason=ReturnReason.DEFECT,
        remedy=Remedy.REFUND,
        amount=Decimal("8.00"),
        currency="EUR",
    )
    run = services.take_snapshot(NOW)
    assert run is not None
    assert standing(steady, run).stage == Stage.DISSATISFIED
    assert standing(newcomer, run).stage == Stage.NEW


def test_bad_input_is_counted_and_warned_about_without_crashing(world: World) -> None:
    customer = Customer.objects.create(given_name="Odd")
    at = NOW - 10 * DAY
    visits_for(customer, world, [at, at, NOW - 5 * DAY])  # a duplicate instant
    visits_for(customer, world, [NOW + 30 * DAY])  # dated in the future
    visits_for(customer, world, [NOW - 3 * DAY], amount="0.00")
    visits_for(customer, world, [NOW - 2 * DAY], amount="-4.00")
    lonely = Customer.objects.create(given_name="Once")
    visits_for(lonely, world, [NOW - 400 * DAY], amount="")
    run = services.take_snapshot(NOW)
    assert run is not None
    assert run.status == RunStatus.DONE
    codes = {w["code"]: w for w in run.warnings}
    assert codes["future_visits"]["count"] == 1
    assert codes["duplicate_visits"]["count"] == 1
    assert codes["non_positive_amounts"]["count"] == 2
    odd = standing(customer, run)
    assert odd.last_visit_at == NOW - 2 * DAY  # the future visit is left out
    for row in Standing.objects.filter(snapshot=run).values():
        for value in row.values():
            if isinstance(value, float):
                assert math.isfinite(value)
    assert standing(lonely, run).stage == Stage.LAPSED


def test_no_visits_at_all_gives_an_empty_snapshot(world: World) -> None:
    Customer.objects.create(given_name="Never came")
    run = services.take_snapshot(NOW)
    assert run is not None
    assert run.status == RunStatus.DONE
    assert run.customers == 0
    assert not Standing.objects.exists()


def test_old_standings_are_thinned_to_daily_then_monthly(
    small: dict[str, Customer], settings: Any
) -> None:
    settings.LOYALTY_KEEP_DAYS = 3
    settings.LOYALTY_KEEP_MONTHS = 12
    runs = []
    for k in range(8):
        run = services.take_snapshot(NOW + k * DAY)
        assert run is not None
        runs.append(run)
    kept = set(Standing.objects.values_list("snapshot_id", flat=True).distinct())
    # The first run of June (the month's first) and the last three days' runs.
    expected = {runs[0].pk} | {r.pk for r in runs[-4:]}
    assert kept == expected
    assert Snapshot.objects.filter(status=RunStatus.DONE).count() == 8


@pytest.mark.django_db(transaction=True)
def test_the_snapshot_verb_and_run_due_report_the_run(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    from regulars import cli

    regular(world, "Verb")
    assert cli.main(["snapshot"]) == 0
    out = capsys.readouterr().out
    assert "Loyalty snapshot of 1 customers and 12 visits (rules)" in out
    assert Snapshot.objects.filter(status=RunStatus.DONE).count() == 1
    # Taken today already: the verb says so, run-due does nothing more.
    assert cli.main(["snapshot"]) == 0
    assert "already taken" in capsys.readouterr().out
    assert cli.main(["run-due"]) == 0
    assert "Loyalty snapshot" not in capsys.readouterr().out
    assert Snapshot.objects.count() == 1


def _population(
    world: World,
    n: int,
    *,
    amount: str,
    seed: int = 3,
    location: Any = None,
    currency: str = "EUR",
) -> None:
    """``n`` customers with weekly-ish visits over a year (enough for the models)."""
    rng = np.random.default_rng(seed)
    customers = Customer.objects.bulk_create([Customer(given_name=f"P{i}") for i in range(n)])
    rows = []
    for customer in customers:
        first = NOW - timedelta(days=float(rng.uniform(200, 400)))
        t = first
        gap = float(rng.uniform(3, 20))
        while t < NOW - timedelta(days=float(rng.uniform(0, 60))):
            rows.append(
                Visit(
                    customer=customer,
                    location=location or world.bologna,
                    at=t,
                    amount=Decimal(amount) if amount else None,
                    currency=currency if amount else "",
                )
            )
            t += timedelta(days=float(rng.exponential(gap)))
    Visit.objects.bulk_create(rows, batch_size=2000)


def test_without_amounts_the_visits_are_modelled_and_the_value_left_out(world: World) -> None:
    _population(world, 250, amount="")
    run = services.take_snapshot(NOW)
    assert run is not None
    assert run.method == "model"
    assert {"code": "no_amounts"} in run.warnings
    assert run.total_value is None
    assert set(run.parameters) == {"bgnbd"}
    standings = Standing.objects.filter(snapshot=run)
    assert not standings.filter(value__isnull=False).exists()
    assert not standings.filter(p_alive__isnull=True).exists()


def test_each_customer_is_valued_in_their_own_currency(world: World) -> None:
    _population(world, 250, amount="12.00")
    _population(world, 150, amount="90.00", seed=4, location=world.copenhagen, currency="DKK")
    run = services.take_snapshot(NOW)
    assert run is not None
    assert run.method == "model"
    assert run.currency == "EUR"  # the most customers with a value
    assert set(run.parameters["gammagamma"]) == {"EUR", "DKK"}
    values = {v["currency"]: v for v in run.figures["values"]}
    assert set(values) == {"EUR", "DKK"}
    assert sum(values["DKK"]["counts"]) == 150
    assert run.total_value == pytest.approx(Decimal(str(values["EUR"]["total"])), abs=1)
    danes = Standing.objects.filter(snapshot=run, location=world.copenhagen)
    assert set(danes.values_list("currency", flat=True)) == {"DKK"}
    # Every Danish visit cost 90 kroner and every Italian one 12 euros: each side's
    # expected spend is near its own (the model shrinks towards its own currency's mean).
    spends = [float(s) for s in danes.values_list("expected_spend", flat=True)]
    assert float(np.median(spends)) == pytest.approx(90.0, rel=0.25)
    italians = Standing.objects.filter(snapshot=run, location=world.bologna)
    assert set(italians.values_list("currency", flat=True)) == {"EUR"}
    euros = [float(s) for s in italians.values_list("expected_spend", flat=True)]
    assert float(np.median(euros)) == pytest.approx(12.0, rel=0.25)
    # Ranked together by the multiple of a typical customer's year, not by raw amounts.
    at_risk = Standing.objects.filter(snapshot=run, value_at_risk__gt=0)
    scores = {s.currency: s.risk_score for s in at_risk}
    assert scores["EUR"] > 0
    assert scores["DKK"] > 0
    assert max(s.risk_score for s in at_risk) < 100
