"""The CLV models against the ``lifetimes`` package: ``python -m bench.clv [--quick]``.

Targets (at 1,000,000 customers, on this 2-core machine): fits faster than
``lifetimes`` 0.11.3 on the same data in the same run — BG/NBD ≥ 15×, Pareto/NBD ≥ 30×,
Gamma-Gamma ≥ 10× — predictions for every customer in ≤ 0.3 s, peak memory ≤ 250 MiB,
and fitted parameters within 1e-4 (largest relative difference) of the reference's.

Data (``bench._clv_data``): customers simulated from each model's own story, seeded,
in whole days over two years; 10,000, 100,000 and 1,000,000 of them (``--quick``: 5,000
only). Pareto/NBD is included when ``regulars.analytics.clv`` exports ``fit_paretonbd``.

Each (model, size) runs in two fresh child processes on the same arrays (a temporary
``.npz``): ours (``bench._clv_ours``, this venv) and the reference
(``bench/_clv_lifetimes.py``, run by the interpreter of ``var/bench-venvs/lifetimes``,
a venv the benchmark builds with ``setuptools<81`` and ``lifetimes==0.11.3``;
``lifetimes`` never enters our venv or lock file). Each child loads the arrays, fits
and predicts (P(alive) and expected visits in the next 30 days; expected spend per
visit), times every call, and reports its peak resident memory (``VmHWM``: the whole
process — interpreter, libraries, the arrays — measured the same way in both; not
``ru_maxrss``, which Linux carries over from the parent into a child).
Ours: median of 5 fits and 5 predictions (3 at 1,000,000; 3 with ``--quick``). The
reference: median of 3 (1 with ``--quick``), except Pareto/NBD from 100,000 customers
on: a single run (minutes each). Both use penalizer 0 and each its own convergence
rule: ours stops when the largest gradient component of the mean objective (in
log-parameters) is below 1e-10; ``lifetimes`` keeps its defaults (BFGS with tol 1e-7
for BG/NBD and Gamma-Gamma; Nelder-Mead with tol 1e-4 for Pareto/NBD, from a random
start seeded with 0).

Compared: fitted parameters (largest relative difference, the figure), the total
log-likelihood at each side's parameters (by our per-customer function; positive gain:
ours is nearer the optimum) and ``lifetimes``' own objective at both (lower is better),
and the predictions — at the *same* parameters (ours), which compares the formulas, and
each at its own fit. Recovery: each estimate against the simulated truth, in standard
errors.

``--reference skip`` leaves the reference out; ``--reference auto`` (the default) uses
the venv and builds it on a full run when missing (``--quick`` never builds it). When
the reference is missing the ratio and difference figures are reported with value
null and ``met`` false, and the reason is printed and given as ``reference``.

The last line is the JSON result (STYLE.md): figures at the largest size; every size's
measurements under ``sizes``; the load average at the start and the end under
``load_average``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench import _clv_reference
from bench._clv_data import MODELS, Model
from bench.common import figure, median, print_result, run_child, temp_dir

FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (5_000,)
PREDICT_TARGET_S = 0.3
PEAK_TARGET_MIB = 250.0
PARAM_TARGET = 1e-4
SLOW_REFERENCE = ("paretonbd", 100_000)
"""From this size on, the reference fits this model once (it takes minutes)."""


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def available_models() -> tuple[Model, ...]:
    """The models to measure: Pareto/NBD only once ``regulars.analytics.clv`` has it."""
    from regulars.analytics import clv

    return tuple(m for m in MODELS if m.name != "paretonbd" or hasattr(clv, "fit_paretonbd"))


def repeats(model: Model, n: int, *, quick: bool) -> tuple[int, int]:
    """(our repeats, the reference's repeats) for one model and size."""
    if quick:
        return 3, 1
    ours = 3 if n >= 1_000_000 else 5
    slow = model.name == SLOW_REFERENCE[0] and n >= SLOW_REFERENCE[1]
    return ours, 1 if slow else 3


@dataclass
class Measurement:
    """One model at one size: our child's result, the reference's (or why it is
    missing) and the comparisons between them."""

    model: str
    n: int
    ours: dict[str, Any]
    reference: dict[str, Any] | None
    missing: str = ""
    compared: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "ours": self.ours,
            "reference": self.reference,
            "reference_missing": self.missing or None,
            **self.compared,
        }


def _largest_relative(ours: np.ndarray, theirs: np.ndarray, floor: float) -> float:
    scale = np.maximum(np.maximum(np.abs(ours), np.abs(theirs)), floor)
    return float(np.max(np.abs(ours - theirs) / scale)) if len(ours) else 0.0


def _total_loglik(model: Model, params: dict[str, float], data: dict[str, np.ndarray]) -> float:
    from regulars.analytics import clv

    values = [params[name] for name in model.params]
    columns = [data[name] for name in model.columns]
    per_customer = getattr(clv, f"{model.name}_log_likelihood")(*values, *columns)
    return float(np.sum(per_customer))


LOGLIK_ROUNDING = 1e-12
"""Relative difference of two total log-likelihoods below which they count as equal:
sums over a million customers carry rounding of this order."""


def _verdict(ours: float, theirs: float) -> str:
    if abs(ours - theirs) <= LOGLIK_ROUNDING * abs(ours):
        return "equal within rounding"
    return "ours nearer the optimum" if ours > theirs else "lifetimes nearer the optimum"


def compare(
    model: Model,
    data: dict[str, np.ndarray],
    measurement: Measurement,
    ours_predictions: dict[str, np.ndarray],
    reference_predictions: dict[str, np.ndarray] | None,
) -> dict[str, Any]:
    """Recovery, parameter, likelihood and prediction differences (see the docstring)."""
    ours = measurement.ours
    recovery = {}
    for name in model.params:
        se = ours["se"][name] if ours["se"] else None
        error = ours["params"][name] - model.true[name]
        recovery[name] = {
            "true": model.true[name],
            "fitted": ours["params"][name],
            "in_se": None if not se else error / se,
        }
    compared: dict[str, Any] = {
        "fit_s": median(ours["fit_s"]),
        "predict_s": median(ours["predict_s"]),
        "recovery": recovery,
    }
    theirs = measurement.reference
    if theirs is None or reference_predictions is None:
        return compared
    differences = {
        name: abs(ours["params"][name] - theirs["params"][name]) / abs(theirs["params"][name])
        for name in model.params
    }
    worst = max(differences, key=lambda name: differences[name])
    at_ours = _total_loglik(model, ours["params"], data)
    at_theirs = _total_loglik(model, theirs["params"], data)
    compared.update(
        reference_fit_s=median(theirs["fit_s"]),
        reference_predict_s=median(theirs["predict_s"]),
        speedup=median(theirs["fit_s"]) / median(ours["fit_s"]),
        predict_speedup=median(theirs["predict_s"]) / median(ours["predict_s"]),
        param_rel_diff=differences[worst],
        param_rel_diff_of=worst,
        param_rel_diffs=differences,
        loglik_ours=at_ours,
        loglik_reference=at_theirs,
        loglik_gain=at_ours - at_theirs,
        loglik_verdict=_verdict(at_ours, at_theirs),
        reference_objective_gain=theirs["objective_own"] - theirs["objective_ours"],
    )
    predictions: dict[str, Any] = {}
    for key, ours_values in ours_predictions.items():
        floor = 1e-12 if key == "p_alive" else 1e-9
        entry: dict[str, Any] = {"ours_nonfinite": int(np.sum(~np.isfinite(ours_values)))}
        for side, suffix in (("same_params", "ours"), ("own_fits", "own")):
            theirs_values = reference_predictions[f"{key}_{suffix}"]
            # lifetimes returns NaN for some customers (overflowing powers): counted,
            # and the differences are taken over the customers both sides give a value.
            finite = np.isfinite(theirs_values) & np.isfinite(ours_values)
            entry[f"{side}_reference_nonfinite"] = int(np.sum(~np.isfinite(theirs_values)))
            entry[f"{side}_max_abs"] = (
                float(np.max(np.abs(ours_values[finite] - theirs_values[finite])))
                if finite.any()
                else None
            )
            entry[f"{side}_max_rel"] = _largest_relative(
                ours_values[finite], theirs_values[finite], floor
            )
        predictions[key] = entry
    compared["predictions"] = predictions
    return compared


def measure(
    model: Model,
    n: int,
    work: Path,
    reference: _clv_reference.Reference,
    *,
    quick: bool,
) -> Measurement:
    data = model.simulate(n)
    data_path = work / f"{model.name}-{n}.npz"
    np.savez(data_path, **data)
    ours_repeat, reference_repeat = repeats(model, n, quick=quick)
    ours_out = work / f"{model.name}-{n}-ours.npz"
    ours = run_child(
        "bench._clv_ours", [model.name, str(data_path), str(ours_repeat), str(ours_out)]
    )
    with np.load(ours_out) as stored:
        ours_predictions = {key: stored[key] for key in stored.files}
    _progress(
        f"  {model.label} at {n:,}: ours fit {median(ours['fit_s']):.3f} s "
        f"(median of {ours_repeat}), predict {median(ours['predict_s']):.3f} s, "
        f"peak {ours['peak_mib']:.0f} MiB"
    )
    ours_params = work / f"{model.name}-{n}-ours.json"
    ours_params.write_text(json.dumps(ours["params"]), "utf-8")
    reference_out = work / f"{model.name}-{n}-reference.npz"
    theirs, missing = _clv_reference.run(
        reference, model.name, data_path, reference_repeat, reference_out, ours_params
    )
    reference_predictions = None
    if theirs is not None:
        with np.load(reference_out) as stored:
            reference_predictions = {key: stored[key] for key in stored.files}
        _progress(
            f"  {model.label} at {n:,}: lifetimes fit {median(theirs['fit_s']):.3f} s "
            f"(median of {reference_repeat}), predict {median(theirs['predict_s']):.3f} s, "
            f"peak {theirs['peak_mib']:.0f} MiB"
        )
    measurement = Measurement(model.name, n, ours, theirs, missing)
    measurement.compared = compare(
        model, data, measurement, ours_predictions, reference_predictions
    )
    return measurement


def _figure(value: float | None, unit: str, target: float, better: str) -> dict[str, Any]:
    """A figure of the result line with four significant digits (differences of 1e-8
    must not round to 0); a missing value (no reference) is null and not met."""
    if value is None:
        return {"value": None, "unit": unit, "target": target, "better": better, "met": False}
    spec = figure(value, unit, target, better)
    spec["value"] = float(f"{value:.4g}")
    return spec


def figures(measurements: list[Measurement], models: tuple[Model, ...]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for model in models:
        m = next(m for m in measurements if m.model == model.name)
        compared = m.compared
        result[f"{model.name}_speedup"] = _figure(
            compared.get("speedup"), "x", model.speedup_target, "higher"
        )
        result[f"{model.name}_predict_s"] = _figure(
            compared["predict_s"], "s", PREDICT_TARGET_S, "lower"
        )
        result[f"{model.name}_peak_mib"] = _figure(
            m.ours["peak_mib"], "MiB", PEAK_TARGET_MIB, "lower"
        )
        result[f"{model.name}_param_rel_diff"] = _figure(
            compared.get("param_rel_diff"), "relative", PARAM_TARGET, "lower"
        )
    return result


def _report(measurements: list[Measurement], models: tuple[Model, ...]) -> None:
    labels = {model.name: model for model in models}
    print(
        "model        customers   ours fit  lifetimes fit  speedup   ours predict  "
        "lifetimes predict  peak ours/lifetimes MiB  param diff"
    )
    for m in measurements:
        c = m.compared
        theirs = m.reference
        reference_fit = f"{c['reference_fit_s']:10.3f} s" if theirs else "   missing  "
        speedup = f"{c['speedup']:7.1f}x" if theirs else "      - "
        reference_predict = f"{c['reference_predict_s']:10.3f} s" if theirs else "   missing  "
        peaks = f"{m.ours['peak_mib']:6.0f} / " + (f"{theirs['peak_mib']:.0f}" if theirs else "-")
        diff = f"{c['param_rel_diff']:.1e} ({c['param_rel_diff_of']})" if theirs else "-"
        print(
            f"{labels[m.model].label:<12} {m.n:>9,} {c['fit_s']:8.3f} s {reference_fit}  "
            f"{speedup}  {c['predict_s']:9.3f} s    {reference_predict}       "
            f"{peaks:<22} {diff}"
        )
    for m in measurements:
        c = m.compared
        recovery = ", ".join(
            f"{name} {r['fitted']:.4g} (true {r['true']:g}"
            + (f", {r['in_se']:+.1f} SE)" if r["in_se"] is not None else ")")
            for name, r in c["recovery"].items()
        )
        print(f"{labels[m.model].label} at {m.n:,}: {recovery}")
        if m.reference is None:
            print(f"  reference missing: {m.missing}")
            continue
        print(
            f"  total log-likelihood ours − lifetimes', each at its fit: "
            f"{c['loglik_gain']:+.3g} ({c['loglik_verdict']}; lifetimes' own objective at its fit − at "
            f"ours: {c['reference_objective_gain']:+.3g}, positive: ours lower)"
        )
        for key, p in c["predictions"].items():
            nonfinite = p["same_params_reference_nonfinite"], p["own_fits_reference_nonfinite"]
            print(
                f"  {key}: same parameters max abs {p['same_params_max_abs']:.2g}, max rel "
                f"{p['same_params_max_rel']:.2g}; each its own fit max abs "
                f"{p['own_fits_max_abs']:.2g}, max rel {p['own_fits_max_rel']:.2g}"
                + (
                    f"; lifetimes gave NaN or ±inf for {nonfinite[0]:,} / {nonfinite[1]:,}"
                    " customers (left out)"
                    if any(nonfinite)
                    else ""
                )
                + (f"; ours not finite for {p['ours_nonfinite']:,}" if p["ours_nonfinite"] else "")
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.clv")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="+", help="customers (default: 10k 100k 1M)")
    parser.add_argument(
        "--models", nargs="+", choices=[m.name for m in MODELS], help="default: every one"
    )
    parser.add_argument("--reference", choices=("auto", "build", "skip"), default="auto")
    args = parser.parse_args(argv)
    sizes = tuple(args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))
    models = tuple(m for m in available_models() if not args.models or m.name in args.models)
    skipped = [m.label for m in MODELS if m not in models]
    start_load = os.getloadavg()
    if args.reference == "skip":
        reference = _clv_reference.Reference(None, "left out (--reference skip)")
    else:
        build = args.reference == "build" or not args.quick
        reference = _clv_reference.prepare(build=build)
    _progress(
        f"bench.clv: {', '.join(m.label for m in models)} at {', '.join(f'{n:,}' for n in sizes)}"
        f" customers; reference: {reference.python or 'MISSING: ' + reference.problem}"
        f"; load average {start_load[0]:.2f}"
        + (f"; not measured: {', '.join(skipped)}" if skipped else "")
    )
    work = temp_dir("clv")
    try:
        measurements = [
            measure(model, n, work, reference, quick=args.quick) for n in sizes for model in models
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    end_load = os.getloadavg()
    largest = max(sizes)
    _report(measurements, models)
    at_largest = [m for m in measurements if m.n == largest]
    versions = next((m.reference["versions"] for m in measurements if m.reference), None)
    print(
        f"load average {start_load[0]:.2f} at the start, {end_load[0]:.2f} at the end; "
        f"reference: {versions or 'MISSING: ' + reference.problem}"
    )
    print_result(
        "clv",
        largest,
        figures(at_largest, models),
        reference=versions or f"missing: {reference.problem}",
        load_average={"start": list(start_load), "end": list(end_load)},
        sizes={str(n): {m.model: m.as_json() for m in measurements if m.n == n} for n in sizes},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
