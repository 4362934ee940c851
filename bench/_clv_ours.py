"""Child process of ``bench.clv``: our fit and predictions of one model on one data file.

``python -m bench._clv_ours MODEL DATA.npz REPEAT OUT.npz`` loads the arrays, fits the
model ``REPEAT`` times and predicts for every customer ``REPEAT`` times (P(alive) and
expected visits in the next 30 days for the visit models, expected spend per visit for
Gamma-Gamma), each call timed on its own; then writes the last predictions to
``OUT.npz`` and prints one JSON line: the fitted parameters, their standard errors, the
times, and the process's peak resident memory after loading (imports and data) and at
the end (``_clv_lifetimes.peak_mib``, the measure the reference's child uses too).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench._clv_data import HORIZON_DAYS, MODELS
from bench._clv_lifetimes import peak_mib

Arrays = dict[str, np.ndarray]


def _fit(model: str, clv: Any, data: Arrays) -> Any:
    if model == "gammagamma":
        return clv.fit_gammagamma(data["frequency"], data["monetary_value"])
    fit = clv.fit_bgnbd if model == "bgnbd" else clv.fit_paretonbd
    return fit(data["frequency"], data["recency"], data["T"])


def _predict(model: str, clv: Any, fit: Any, data: Arrays) -> Arrays:
    if model == "gammagamma":
        return {
            "spend": clv.gammagamma_expected_spend(fit, data["frequency"], data["monetary_value"])
        }
    p_alive = getattr(clv, f"{model}_p_alive")
    visits = getattr(clv, f"{model}_expected_visits")
    history = (data["frequency"], data["recency"], data["T"])
    return {"p_alive": p_alive(fit, *history), "visits": visits(fit, HORIZON_DAYS, *history)}


def _timed(call: Callable[[], Any], times: int) -> tuple[Any, list[float]]:
    seconds = []
    result = None
    for _ in range(times):
        started = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
    return result, seconds


def main(argv: list[str]) -> int:
    model, data_path, repeat, out_path = argv[0], argv[1], int(argv[2]), argv[3]
    from regulars.analytics import clv

    with np.load(data_path) as stored:
        data = {name: stored[name] for name in stored.files}
    loaded = peak_mib()
    fit, fit_s = _timed(lambda: _fit(model, clv, data), repeat)
    predictions, predict_s = _timed(lambda: _predict(model, clv, fit, data), repeat)
    peak = peak_mib()
    np.savez(out_path, **predictions)
    names = next(spec.params for spec in MODELS if spec.name == model)
    params = {name: float(getattr(fit, name)) for name in names}
    se = None if fit.se is None else {name: float(getattr(fit.se, name)) for name in params}
    print(
        json.dumps(
            {
                "params": params,
                "se": se,
                "loglik": fit.loglik,
                "converged": fit.converged,
                "iterations": fit.iterations,
                "n_distinct": fit.n_distinct,
                "fit_s": fit_s,
                "predict_s": predict_s,
                "rss_loaded_mib": loaded,
                "peak_mib": peak,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
