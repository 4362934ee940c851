"""Simulated customers for ``bench.clv``, drawn from the models' own stories (seeded),
and the table of the models the benchmark compares.

Customers joined uniformly over the last two years (age T uniform on 1–730 whole days,
as a business records them). Recency is counted in days too, from the day of the first
visit to the day of the last: with the first visit at a uniform time of its day u, a
last visit t days later falls on day ⌊u + t⌋, which is t on average (rounding down alone
would shorten every recency by half a day and bias the fit) and never exceeds T. Each
model gets data from its own story:

- BG/NBD: visit rate λ ~ Gamma(r, rate α), dropout probability p ~ Beta(a, b); visits
  arrive as a Poisson process while alive, and after each repeat visit the customer
  drops out with probability p.
- Pareto/NBD: λ ~ Gamma(r, rate α), dropout rate μ ~ Gamma(s, rate β); the customer is
  alive for an exponential time with rate μ and visits as a Poisson process meanwhile.
- Gamma-Gamma: 1 + Geometric(0.3) repeat visits (mean 3.3, a long tail); the scale of
  spend ν ~ Gamma(q, rate v), the spend of x visits ~ Gamma(p·x, rate ν) and recorded in
  whole cents (at least one per visit); the mean spend is that total over x, as
  ``analytics.clv.checks.customer_summary`` computes it.

Under a second per million customers for each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

MAX_AGE_DAYS = 730
HORIZON_DAYS = 30.0
"""Expected visits are predicted for the next 30 days."""

BGNBD_TRUE = {"r": 0.6, "alpha": 30.0, "a": 0.8, "b": 3.0}
PARETONBD_TRUE = {"r": 0.6, "alpha": 30.0, "s": 0.7, "beta": 200.0}
GAMMAGAMMA_TRUE = {"p": 4.0, "q": 6.0, "v": 60.0}


def _ages(rng: np.random.Generator, n: int) -> FloatArray:
    return rng.integers(1, MAX_AGE_DAYS + 1, n).astype(np.float64)


def _in_days(rng: np.random.Generator, last: FloatArray, frequency: FloatArray) -> FloatArray:
    """Days from the first visit's day to the last visit's (0 without repeat visits)."""
    days = np.floor(last + rng.uniform(size=len(last)))
    return np.where(frequency > 0, days, 0.0)


def simulate_bgnbd(n: int, seed: int, params: dict[str, float]) -> dict[str, FloatArray]:
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    age = _ages(rng, n)
    frequency = np.zeros(n)
    recency = np.zeros(n)
    now = np.zeros(n)
    active = np.arange(n)
    while active.size:
        now[active] += rng.exponential(1.0, active.size) / lam[active]
        active = active[now[active] <= age[active]]
        frequency[active] += 1.0
        recency[active] = now[active]
        active = active[rng.uniform(size=active.size) >= p[active]]
    return {"frequency": frequency, "recency": _in_days(rng, recency, frequency), "T": age}


def simulate_paretonbd(n: int, seed: int, params: dict[str, float]) -> dict[str, FloatArray]:
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    mu = rng.gamma(params["s"], 1.0 / params["beta"], n)
    age = _ages(rng, n)
    alive_for = np.minimum(rng.exponential(1.0, n) / mu, age)
    frequency = rng.poisson(lam * alive_for).astype(np.float64)
    # Given N arrivals in [0, L], the last one is L times the largest of N uniforms,
    # which is distributed as U^(1/N).
    repeat = frequency > 0
    last = np.zeros(n)
    last[repeat] = alive_for[repeat] * rng.uniform(size=int(repeat.sum())) ** (
        1.0 / frequency[repeat]
    )
    return {"frequency": frequency, "recency": _in_days(rng, last, frequency), "T": age}


def simulate_spends(n: int, seed: int, params: dict[str, float]) -> dict[str, FloatArray]:
    rng = np.random.default_rng(seed)
    frequency = rng.geometric(0.3, n).astype(np.float64)
    nu = rng.gamma(params["q"], 1.0 / params["v"], n)
    total = rng.gamma(params["p"] * frequency, 1.0 / nu)
    cents = np.maximum(np.round(total * 100.0), frequency)
    return {"frequency": frequency, "monetary_value": cents / 100.0 / frequency}


@dataclass(frozen=True)
class Model:
    """One model of the benchmark: its parameters in order, the simulation's true values,
    the arrays it takes (as saved for the child processes), the speed-up target against
    ``lifetimes`` and the ``lifetimes`` fitter that is its reference."""

    name: str
    label: str
    params: tuple[str, ...]
    true: dict[str, float]
    columns: tuple[str, ...]
    speedup_target: float
    reference_class: str
    seed: int

    def simulate(self, n: int) -> dict[str, FloatArray]:
        simulate = {
            "bgnbd": simulate_bgnbd,
            "paretonbd": simulate_paretonbd,
            "gammagamma": simulate_spends,
        }[self.name]
        return simulate(n, self.seed, self.true)


VISITS = ("frequency", "recency", "T")
MODELS = (
    Model(
        name="bgnbd",
        label="BG/NBD",
        params=("r", "alpha", "a", "b"),
        true=BGNBD_TRUE,
        columns=VISITS,
        speedup_target=15.0,
        reference_class="BetaGeoFitter",
        seed=1,
    ),
    Model(
        name="paretonbd",
        label="Pareto/NBD",
        params=("r", "alpha", "s", "beta"),
        true=PARETONBD_TRUE,
        columns=VISITS,
        speedup_target=30.0,
        reference_class="ParetoNBDFitter",
        seed=2,
    ),
    Model(
        name="gammagamma",
        label="Gamma-Gamma",
        params=("p", "q", "v"),
        true=GAMMAGAMMA_TRUE,
        columns=("frequency", "monetary_value"),
        speedup_target=10.0,
        reference_class="GammaGammaFitter",
        seed=3,
    ),
)
"""Each model's data come from its own story and seed; every size is reproducible."""
