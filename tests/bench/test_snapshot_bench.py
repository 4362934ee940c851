"""``bench.snapshot``: its simulated business has the sizes and the oddities it promises,
and ``python -m bench.snapshot --quick`` runs end to end — a real snapshot of 5,000
customers in a fresh SQLite database, checked against the per-customer baseline —
ending with the result line CI reads. Nothing is timed here."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bench._snapshot_data import build_key, code_digest
from bench._snapshot_sim import DAY, LOCATIONS, NO_AMOUNT, QUICK, Simulated, Zones, simulate

ROOT = Path(__file__).resolve().parents[2]
NOW = int(datetime(2026, 3, 20, 3, tzinfo=UTC).timestamp())  # a week before summer time


@pytest.fixture(scope="module")
def business() -> Simulated:
    return simulate(QUICK, seed=3, now=NOW)


def test_the_business_has_exactly_the_rows_asked_for(business: Simulated) -> None:
    assert business.at.size == QUICK.visits
    assert business.created.size == QUICK.customers
    assert business.customer.min() >= 1
    assert business.customer.max() <= QUICK.customers


def test_the_visits_are_in_time_order_over_three_years(business: Simulated) -> None:
    assert (np.diff(business.at) >= 0).all()
    past = business.at[business.at <= NOW]
    assert (NOW - past.min()) / DAY == pytest.approx(3 * 365, abs=3)


def test_the_oddities_are_there_in_their_shares(business: Simulated) -> None:
    future = business.at > NOW
    assert future.sum() == business.future >= 3
    assert business.at[future].max() <= NOW + 45 * DAY
    missing = (business.cents == NO_AMOUNT).mean()
    assert 0.02 < missing < 0.04
    known = business.cents[business.cents != NO_AMOUNT]
    assert (known == 0).any()
    assert (known < 0).any()
    rows = np.stack([business.customer, business.at, business.location, business.cents], axis=1)
    distinct = np.unique(rows, axis=0).shape[0]
    assert rows.shape[0] - distinct >= business.duplicates * 0.9  # a few may collide


def test_customers_differ_as_bgnbd_expects(business: Simulated) -> None:
    per_customer = np.bincount(
        business.customer[business.at <= NOW], minlength=QUICK.customers + 1
    )[1:]
    seen = per_customer[per_customer > 0]
    never = (per_customer == 0).mean()
    assert 0.01 < never < 0.06  # registered, never came
    assert 0.05 < (seen == 1).mean() < 0.30  # came once
    assert np.median(seen) < seen.mean()  # a long tail of regulars
    assert seen.max() > 10 * np.median(seen)


def test_visits_fall_in_opening_hours_on_open_days(business: Simulated) -> None:
    zones = Zones(NOW - 4 * 365 * DAY, NOW + 60 * DAY)
    past = business.at <= NOW  # the future-dated ones are typing errors, at any hour
    at, location = business.at[past], business.location[past]
    local = at + zones.of(location, at)
    hour = (local % DAY) / 3600
    assert ((hour >= 7) & (hour <= 21.5)).all()
    assert not ((local // DAY + 3) % 7 == 6).any()  # closed on Sundays
    shares = np.bincount(location) / location.size
    homes = np.array([share for *_rest, share in LOCATIONS])
    assert np.allclose(shares, homes, atol=0.05)


def test_customers_registered_before_their_first_visit(business: Simulated) -> None:
    past = business.at <= NOW
    first = np.full(QUICK.customers, np.iinfo(np.int64).max)
    np.minimum.at(first, business.customer[past] - 1, business.at[past])
    seen = first < np.iinfo(np.int64).max
    assert (business.created[seen] <= first[seen]).all()


def test_the_simulation_is_seeded() -> None:
    small = replace(QUICK, customers=500, visits=8_000)
    one, two = simulate(small, seed=5, now=NOW), simulate(small, seed=5, now=NOW)
    other = simulate(small, seed=6, now=NOW)
    assert np.array_equal(one.at, two.at)
    assert np.array_equal(one.cents, two.cents)
    assert not np.array_equal(one.at, other.at)


def test_the_cache_key_changes_with_the_sizes_and_the_seed() -> None:
    key = build_key(QUICK, 7)
    assert key == build_key(QUICK, 7)
    assert key != build_key(QUICK, 8)
    assert key != build_key(replace(QUICK, visits=QUICK.visits + 1), 7)


def test_the_cache_key_follows_the_code_not_its_docstrings() -> None:
    code = 'def f(x):\n    """Twice x."""\n    return 2 * x  # doubled\n'
    reworded = 'def f(x):\n    """Two times x."""\n    return 2 * x\n'
    changed = 'def f(x):\n    """Twice x."""\n    return 3 * x\n'
    assert code_digest(code) == code_digest(reworded)
    assert code_digest(code) != code_digest(changed)


def _checker() -> Any:
    spec = importlib.util.spec_from_file_location(
        "run_benches", ROOT / "scripts" / "run_benches.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check_result


def test_the_quick_benchmark_takes_real_snapshots_and_reports_them() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.snapshot", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result, problem = _checker()("snapshot", proc.stdout)
    assert problem == ""
    assert result["n"] == QUICK.visits
    assert set(result["figures"]) == {
        "snapshot_sqlite_s",
        "snapshot_first_sqlite_s",
        "ratio_vs_orm_loop_sqlite",
        "peak_rss_mib_sqlite",
    }
    assert result["figures"]["snapshot_sqlite_s"]["target"] == 300
    assert result["figures"]["peak_rss_mib_sqlite"]["target"] is None
    sqlite = result["sqlite"]
    counts = sqlite["built"]["counts"]
    # One standing per customer with a visit, in both runs; every visit counted once.
    assert sqlite["first"]["standings"] == counts["customers_with_visits"]
    assert sqlite["nightly"]["standings"] == counts["customers_with_visits"]
    assert counts["customers_with_visits"] < counts["customers"]
    assert sqlite["first"]["phases_median_s"]["read_visits"] > 0
    # The baseline ran on its sample and agreed with the snapshot (or the run failed).
    assert sqlite["naive"]["sample"] == 500
    assert 0 < sqlite["naive"]["with_visits"] <= 500
    assert result["figures"]["ratio_vs_orm_loop_sqlite"]["value"] > 0
    json.dumps(result)  # one JSON object, already parsed from the last line
