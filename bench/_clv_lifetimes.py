"""Child process of ``bench.clv``: the reference, ``lifetimes``, on one model and data file.

Run by the interpreter of the separate ``lifetimes`` venv (never ours: ``lifetimes`` is
not a dependency of Regulars), as a script, so it imports nothing from this project:

    VENV/bin/python bench/_clv_lifetimes.py MODEL DATA.npz REPEAT OUT.npz OURS.json

It fits the model ``REPEAT`` times with ``lifetimes``' defaults (penalizer 0; BG/NBD and
Gamma-Gamma by BFGS with tol 1e-7, time rescaled so that max T = 1 for BG/NBD; Pareto/NBD
by Nelder-Mead with tol 1e-4 and 2,000 iterations at most, from a random start, seeded
here with ``np.random.seed(0)``), and predicts for every customer ``REPEAT`` times as our
child does (P(alive) and expected visits in the next 30 days; expected spend per visit),
each call timed. Peak memory is this process's own high-water mark (``peak_mib``; our
child uses the same function). Then, untimed: the predictions at *our* parameters (from ``OURS.json``), so the
formulas can be compared apart from the fits, and ``lifetimes``' own objective at its
parameters and at ours (lower is better: which of the two is nearer its optimum). The
predictions go to ``OUT.npz``; one JSON line is printed last.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings
from typing import Any

import numpy as np

HORIZON_DAYS = 30.0
PARAMS = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "paretonbd": ("r", "alpha", "s", "beta"),
    "gammagamma": ("p", "q", "v"),
}


def peak_mib() -> float:
    """This process's peak resident memory in MiB: ``VmHWM`` of /proc/self/status.

    Not ``ru_maxrss``: Linux carries that over from the parent through fork and exec,
    so a child started by a parent holding a million customers would report the
    parent's size. ``ru_maxrss`` only where /proc is missing (not on the bench machine).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fitter(model: str) -> Any:
    import lifetimes

    cls = {
        "bgnbd": lifetimes.BetaGeoFitter,
        "paretonbd": lifetimes.ParetoNBDFitter,
        "gammagamma": lifetimes.GammaGammaFitter,
    }[model]
    return cls(penalizer_coef=0.0)


def _fit(model: str, data: dict[str, np.ndarray]) -> Any:
    fitter = _fitter(model)
    np.random.seed(0)  # Pareto/NBD starts from a random point
    if model == "gammagamma":
        return fitter.fit(data["frequency"], data["monetary_value"])
    return fitter.fit(data["frequency"], data["recency"], data["T"])


def _predict(model: str, fitter: Any, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if model == "gammagamma":
        spend = fitter.conditional_expected_average_profit(
            data["frequency"], data["monetary_value"]
        )
        return {"spend": np.asarray(spend, dtype=np.float64)}
    history = (data["frequency"], data["recency"], data["T"])
    return {
        "p_alive": np.asarray(fitter.conditional_probability_alive(*history), dtype=np.float64),
        "visits": np.asarray(
            fitter.conditional_expected_number_of_purchases_up_to_time(HORIZON_DAYS, *history),
            dtype=np.float64,
        ),
    }


def _objective(model: str, fitter: Any, params: dict[str, float], data: dict[str, Any]) -> float:
    """``lifetimes``' own fitting objective at ``params`` (given in days, as fitted)."""
    names = PARAMS[model]
    values = np.array([params[name] for name in names])
    if model == "gammagamma":
        weights = np.ones(len(data["frequency"]))
        return float(
            fitter._negative_log_likelihood(
                np.log(values), data["frequency"], data["monetary_value"], weights, 0.0
            )
        )
    scale = fitter._scale
    scaled = values.copy()
    scaled[1] *= scale  # alpha
    if model == "paretonbd":
        scaled[3] *= scale  # beta
    history = (
        data["frequency"].astype(int),
        data["recency"] * scale,
        data["T"] * scale,
        np.ones(len(data["frequency"]), dtype=np.int64),
        0.0,
    )
    point = scaled if model == "paretonbd" else np.log(scaled)
    return float(fitter._negative_log_likelihood(point, *history))


def main(argv: list[str]) -> int:
    model, data_path, repeat, out_path, ours_path = argv
    import lifetimes
    import pandas as pd
    import scipy

    with np.load(data_path) as stored:
        data = {name: stored[name] for name in stored.files}
    loaded = peak_mib()
    fit_s: list[float] = []
    fitter: Any = None
    for _ in range(int(repeat)):
        started = time.perf_counter()
        fitter = _fit(model, data)
        fit_s.append(time.perf_counter() - started)
    predict_s: list[float] = []
    predictions: dict[str, np.ndarray] = {}
    for _ in range(int(repeat)):
        started = time.perf_counter()
        predictions = _predict(model, fitter, data)
        predict_s.append(time.perf_counter() - started)
    peak = peak_mib()

    names = PARAMS[model]
    own = {name: float(fitter.params_[name]) for name in names}
    with open(ours_path, encoding="utf-8") as handle:
        ours = json.load(handle)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        objective_own = _objective(model, fitter, own, data)
        objective_ours = _objective(model, fitter, ours, data)
        fitter.params_ = pd.Series([ours[name] for name in names], index=list(names))
        at_ours = _predict(model, fitter, data)
    np.savez(
        out_path,
        **{f"{key}_own": value for key, value in predictions.items()},
        **{f"{key}_ours": value for key, value in at_ours.items()},
    )
    print(
        json.dumps(
            {
                "params": own,
                "fit_s": fit_s,
                "predict_s": predict_s,
                "rss_loaded_mib": loaded,
                "peak_mib": peak,
                "objective_own": objective_own,
                "objective_ours": objective_ours,
                "versions": {
                    "lifetimes": lifetimes.__version__,
                    "numpy": np.__version__,
                    "scipy": scipy.__version__,
                    "pandas": pd.__version__,
                    "python": sys.version.split()[0],
                },
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
