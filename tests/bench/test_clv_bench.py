"""``bench.clv``'s quick path end to end (without the ``lifetimes`` venv: the reference
is optional here), and its comparisons with a reference on made-up results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bench._clv_data import MODELS
from bench.clv import Measurement, available_models, compare, figures, main

from bench import _clv_reference
from regulars.analytics.clv import fit_bgnbd

FIGURES = ("speedup", "predict_s", "peak_mib", "param_rel_diff")


def run_quick(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["--quick", "--reference", "skip"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def test_the_quick_run_recovers_the_simulated_parameters_and_reports_every_figure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run_quick(capsys)
    models = available_models()
    assert result["bench"] == "clv"
    assert result["n"] == 5_000
    assert set(result["figures"]) == {f"{m.name}_{f}" for m in models for f in FIGURES}
    for model in models:
        figures_of = {f: result["figures"][f"{model.name}_{f}"] for f in FIGURES}
        # Without the reference, its ratio and differences are missing, never a pass.
        for missing in ("speedup", "param_rel_diff"):
            assert figures_of[missing]["value"] is None
            assert figures_of[missing]["met"] is False
        assert 0 < figures_of["predict_s"]["value"] < 1.0
        assert 40 < figures_of["peak_mib"]["value"] < 1_000
        measured = result["sizes"]["5000"][model.name]
        assert measured["reference_missing"] == "left out (--reference skip)"
        assert measured["ours"]["converged"] is True
        for name, recovered in measured["recovery"].items():
            assert recovered["true"] == model.true[name]
            assert recovered["fitted"] == pytest.approx(model.true[name], rel=0.2), name
            assert abs(recovered["in_se"]) < 5, name
        assert len(measured["ours"]["fit_s"]) == 3
    assert set(result["load_average"]) == {"start", "end"}
    assert result["reference"].startswith("missing")


def test_a_missing_venv_is_reported_as_missing_not_built_in_quick_mode(tmp_path: Path) -> None:
    reference = _clv_reference.prepare(build=False, venv=tmp_path / "nowhere")
    assert reference.python is None
    assert "no lifetimes venv" in reference.problem
    result, problem = _clv_reference.run(
        reference, "bgnbd", tmp_path / "d.npz", 1, tmp_path / "o.npz", tmp_path / "p.json"
    )
    assert result is None
    assert problem == reference.problem


def test_the_comparison_names_the_largest_parameter_difference_and_compares_predictions() -> None:
    model = next(m for m in MODELS if m.name == "bgnbd")
    data = model.simulate(2_000)
    fitted = fit_bgnbd(data["frequency"], data["recency"], data["T"])
    ours_params = {name: float(getattr(fitted, name)) for name in model.params}
    theirs_params = {**ours_params, "alpha": ours_params["alpha"] * (1 + 3e-4)}
    ours = {
        "params": ours_params,
        "se": {name: 0.1 * value for name, value in ours_params.items()},
        "fit_s": [0.1, 0.3, 0.2],
        "predict_s": [0.01, 0.01, 0.02],
        "peak_mib": 90.0,
    }
    theirs = {
        "params": theirs_params,
        "fit_s": [2.0],
        "predict_s": [0.05],
        "peak_mib": 300.0,
        "objective_own": 1.5,
        "objective_ours": 1.25,
    }
    p_alive = np.linspace(0.1, 1.0, 2_000)
    reference_predictions = {
        "p_alive_ours": p_alive + 1e-9,
        "p_alive_own": p_alive + 1e-6,
        "visits_ours": np.full(2_000, 2.0),
        "visits_own": np.full(2_000, 2.002),
    }
    reference_predictions["visits_own"][:3] = np.nan  # as lifetimes' Pareto/NBD gives
    measurement = Measurement("bgnbd", 2_000, ours, theirs)
    measurement.compared = compare(
        model,
        data,
        measurement,
        {"p_alive": p_alive, "visits": np.full(2_000, 2.0)},
        reference_predictions,
    )
    compared = measurement.compared
    assert compared["speedup"] == pytest.approx(10.0)
    assert compared["param_rel_diff_of"] == "alpha"
    assert compared["param_rel_diff"] == pytest.approx(3e-4 / (1 + 3e-4))
    assert compared["loglik_gain"] > 0  # ours is the maximum, theirs a step away from it
    assert compared["reference_objective_gain"] == pytest.approx(0.25)
    assert compared["predictions"]["p_alive"]["same_params_max_abs"] == pytest.approx(1e-9)
    visits = compared["predictions"]["visits"]
    assert visits["own_fits_max_rel"] == pytest.approx(0.002 / 2.002)
    assert visits["own_fits_reference_nonfinite"] == 3
    assert visits["same_params_reference_nonfinite"] == 0
    assert compared["loglik_verdict"] == "ours nearer the optimum"
    result = figures([measurement], (model,))
    assert result["bgnbd_speedup"]["value"] == 10.0
    assert result["bgnbd_speedup"]["met"] is False  # 10× against a target of 15×
    assert result["bgnbd_param_rel_diff"]["value"] == pytest.approx(3e-4, rel=1e-3)
    assert result["bgnbd_param_rel_diff"]["met"] is False
    assert result["bgnbd_peak_mib"]["met"] is True
