"""The feedback dashboard's computation and survey submissions at scale:
``python -m bench.feedback [--quick]`` (issue 5).

Targets: the full dashboard computation over 5,000,000 responses in ≤ 2 s, and survey
submission p95 ≤ 50 ms under 16 concurrent clients with no errors.

(a) Analytics. ``bench._feedback_data.simulate`` makes 5,000,000 responses (``--quick``:
    50,000) as the dashboard's arrays (``regulars.feedback.dashboard.FeedbackArrays``),
    seeded: a year of days, 20 locations with 10 staff each (small real location and
    staff effects), channel-free scores CSAT 1–5, NPS 0–10 following CSAT, CES 1–7, the
    90-day return flags, topic flags of the comments and, for 10 %, the 15-item quality
    survey with importance points. ``compute_dashboard`` — the very function the page
    runs after loading its arrays — is timed, median of 5 runs (``--quick``: 3): headline
    NPS/CSAT/CES with intervals, weekly trends, quality gaps with alpha and the weighted
    gap, consistency by staff and by location, the loyalty link by CSAT and by NPS
    group, topic shares per week. Figure ``dashboard_s`` (target 2 s).
    Baseline: ``bench._feedback_naive.naive_dashboard``, the same figures by a Python
    loop over row tuples into dicts. At full size it runs on the first 500,000 rows (the
    rows are in random order, so a random sample) and its time is scaled linearly to
    5,000,000 (the loop is O(rows)); row tuples of all five million would need several
    GB. ``--quick`` runs it on every row. Its answers are checked against
    ``compute_dashboard`` on the same rows (every figure, relative 1e-9); any
    difference fails the benchmark (exit status 1). Figure ``speedup`` = naive time
    (scaled) / fast time (target 10). Loading five million responses from the database
    is not measured (building them through the services would take hours).
(b) Submissions. A temporary SQLite data directory (``bench.common.setup_django``); a
    location with a manager, a survey (CSAT + NPS + comment) and one invitation per
    submission (``invitations.create_invitation``, each with its own customer, scores
    drafted on the earlier steps by ``responses.save_draft``). ``regulars serve``
    (gunicorn, 2 workers) on a free loopback port, with ``REGULARS_SURVEY_RATE_LIMIT``
    raised: every client comes from 127.0.0.1, and the per-address limit would stop the
    benchmark rather than a flood. 16 client threads (``bench.counter.Client``) each
    open the last step (``GET /s/<token>/?step=comment``; the survey pages set no
    cookie and ask no CSRF token, the signed link is the secret) and post it
    (``step=comment``, ``comment``, ``action=submit``), waiting ``--think`` seconds
    (0.25, as ``bench.counter``: a customer reading and pressing send) after each
    answer: 5 unmeasured submissions per client, then 200 each (``--quick``: 15).
    Only the POSTs are timed; a submission fails unless it answers 302 (to the
    thank-you page), and the number of responses recorded must match.
    Figures ``submit_p95_ms`` (target 50) and ``submit_errors`` (target 0). Baseline:
    the same clients GET ``/s/`` (the receipt code page) as many times with the same
    waits; its p95 and the ratio are extra fields. Then as many submissions again back
    to back (no waits: the server saturated), reported as ``saturated_*``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from typing import Any

from bench.common import figure, median, print_result, setup_django, temp_dir

FULL_ROWS, QUICK_ROWS = 5_000_000, 50_000
NAIVE_SAMPLE = 500_000
FULL_REPEAT, QUICK_REPEAT = 5, 3
FULL_SUBMISSIONS, QUICK_SUBMISSIONS = 200, 15  # per client
DASHBOARD_TARGET_S = 2.0
SPEEDUP_TARGET = 10.0
SUBMIT_P95_TARGET_MS = 50.0


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure_dashboard(rows: int, repeat: int, seed: int) -> dict[str, Any]:
    from bench._feedback_data import simulate
    from bench._feedback_naive import differences, fast_summary, naive_dashboard, rows_of
    from regulars.feedback.dashboard import FeedbackArrays, QualityArrays, compute_dashboard

    started = time.perf_counter()
    arrays = simulate(rows, seed)
    _progress(f"{rows:,} responses simulated in {time.perf_counter() - started:.1f} s")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        compute_dashboard(arrays, period="week")
        times.append(time.perf_counter() - started)
    fast_s = median(times)
    _progress(f"dashboard: median {fast_s:.3f} s of {[round(t, 3) for t in times]}")

    sample = min(rows, NAIVE_SAMPLE)
    if sample < rows:
        q = arrays.quality.rows * sample // rows
        cut = FeedbackArrays(
            **{
                name: getattr(arrays, name)[:sample]
                for name in (
                    "day",
                    "location",
                    "staff",
                    "csat",
                    "nps",
                    "ces",
                    "came_back",
                    "commented",
                    "topics",
                    "negative_topics",
                )
            },
            topic_names=arrays.topic_names,
            quality=QualityArrays(
                arrays.quality.expectations[:q],
                arrays.quality.perceptions[:q],
                arrays.quality.importance[:q],
            ),
        )
    else:
        cut = arrays
    del arrays
    row_tuples, quality_rows = rows_of(cut)
    started = time.perf_counter()
    naive = naive_dashboard(row_tuples, quality_rows, len(cut.topic_names))
    naive_sample_s = time.perf_counter() - started
    naive_s = naive_sample_s * rows / sample
    fast_on_sample = fast_summary(compute_dashboard(cut, period="week"), cut.topic_names)
    wrong = differences(fast_on_sample, naive)
    if wrong:
        _progress("the dashboard and the naive computation disagree:\n  " + "\n  ".join(wrong[:20]))
        raise SystemExit(1)
    _progress(
        f"naive: {naive_sample_s:.1f} s on {sample:,} rows"
        + (f", scaled to {naive_s:.1f} s for {rows:,}" if sample < rows else "")
        + f"; {len(naive)} figures agree"
    )
    return {
        "dashboard_s": fast_s,
        "dashboard_runs_s": [round(t, 3) for t in times],
        "naive_s": naive_s,
        "naive_sample_rows": sample,
        "naive_sample_s": naive_sample_s,
        "figures_checked": len(naive),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.feedback")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--think",
        type=float,
        default=0.25,
        help="seconds each client waits between an answer and its next request",
    )
    parser.add_argument("--submissions", type=int, help="measured submissions per client")
    args = parser.parse_args(argv)
    rows = QUICK_ROWS if args.quick else FULL_ROWS
    repeat = QUICK_REPEAT if args.quick else FULL_REPEAT
    per_client = args.submissions or (QUICK_SUBMISSIONS if args.quick else FULL_SUBMISSIONS)

    data_dir = temp_dir("feedback")
    try:
        setup_django(data_dir)
        dashboard = measure_dashboard(rows, repeat, args.seed)
        from bench._feedback_submit import CLIENTS, measure_submissions

        started = time.perf_counter()
        submit = measure_submissions(data_dir, per_client, args.seed, args.think)
        _progress(f"submissions measured in {time.perf_counter() - started:.1f} s")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    for failure in submit["failures"]:
        _progress(f"  failed: {failure}")
    speedup = dashboard["naive_s"] / dashboard["dashboard_s"]
    print(
        f"dashboard over {rows:,} responses: {dashboard['dashboard_s']:.3f} s "
        f"(naive {dashboard['naive_s']:.1f} s, {speedup:.0f}×); survey submission p95 "
        f"{submit['p95_ms']:.1f} ms under {CLIENTS} clients, {submit['errors']} errors "
        f"(code page p95 {submit['code_p95_ms']:.1f} ms)"
    )
    print_result(
        "feedback",
        rows,
        {
            "dashboard_s": figure(dashboard["dashboard_s"], "s", DASHBOARD_TARGET_S, "lower"),
            "speedup": figure(speedup, "×", SPEEDUP_TARGET, "higher"),
            "submit_p95_ms": figure(submit["p95_ms"], "ms", SUBMIT_P95_TARGET_MS, "lower"),
            "submit_errors": figure(submit["errors"], "requests", 0, "lower"),
        },
        dashboard_runs_s=dashboard["dashboard_runs_s"],
        naive_s=round(dashboard["naive_s"], 3),
        naive_sample_rows=dashboard["naive_sample_rows"],
        naive_sample_s=round(dashboard["naive_sample_s"], 3),
        figures_checked=dashboard["figures_checked"],
        clients=CLIENTS,
        submissions=submit["submissions"],
        submit_p50_ms=round(submit["p50_ms"], 3),
        submit_p99_ms=round(submit["p99_ms"], 3),
        submit_per_s=round(submit["per_s"], 3),
        survey_page_p95_ms=round(submit["page_p95_ms"], 3),
        code_page_p50_ms=round(submit["code_p50_ms"], 3),
        code_page_p95_ms=round(submit["code_p95_ms"], 3),
        code_page_errors=submit["code_errors"],
        submit_vs_code_page_p95=round(submit["p95_ms"] / submit["code_p95_ms"], 3),
        responses_recorded=submit["recorded"],
        think_s=submit["think_s"],
        saturated_submit_p50_ms=round(submit["saturated_p50_ms"], 3),
        saturated_submit_p95_ms=round(submit["saturated_p95_ms"], 3),
        saturated_submit_per_s=round(submit["saturated_per_s"], 3),
        saturated_submit_errors=submit["saturated_errors"],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
