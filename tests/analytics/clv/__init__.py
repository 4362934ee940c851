"""Tests of the CLV models, on data simulated from the models themselves."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Histories:
    """Per-customer summaries as the models take them (days)."""

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray


def simulate_bgnbd(
    n: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    min_age: float = 1.0,
    max_age: float = 365.0,
    seed: int = 6,
    whole_days: bool = False,
) -> Histories:
    """Draw customers from the BG/NBD story, independently of the fitting code.

    λ ~ Gamma(r, rate α) and p ~ Beta(a, b) per customer; first visit at day 0, age T
    uniform on [min_age, max_age]; visits arrive as a Poisson process with rate λ, and after
    each repeat visit the customer drops out with probability p.
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    age = rng.uniform(min_age, max_age, n)
    if whole_days:
        age = np.ceil(age)
    frequency = np.zeros(n)
    recency = np.zeros(n)
    now = np.zeros(n)
    active = np.arange(n)
    while active.size:
        now[active] += rng.exponential(1.0, active.size) / lam[active]
        inside = now[active] <= age[active]
        active = active[inside]
        frequency[active] += 1
        recency[active] = now[active]
        active = active[rng.uniform(size=active.size) >= p[active]]
    if whole_days:
        recency = np.floor(recency)
    return Histories(frequency, recency, age)


def simulate_gammagamma(
    n: int, *, p: float, q: float, v: float, seed: int = 7
) -> tuple[FloatArray, FloatArray]:
    """(frequency, mean spend) from the Gamma-Gamma story: ν ~ Gamma(q, rate v), each
    visit's spend ~ Gamma(p, rate ν), 1 to ~15 repeat visits per customer."""
    rng = np.random.default_rng(seed)
    frequency = 1.0 + rng.poisson(2.0, n)
    nu = rng.gamma(q, 1.0 / v, n)
    total = rng.gamma(p * frequency, 1.0 / nu)
    return frequency.astype(np.float64), np.asarray(total / frequency, dtype=np.float64)


def simulate_paretonbd(
    n: int,
    *,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    min_age: float = 1.0,
    max_age: float = 365.0,
    seed: int = 6,
    whole_days: bool = False,
) -> Histories:
    """Draw customers from the Pareto/NBD story, independently of the fitting code.

    λ ~ Gamma(r, rate α) and μ ~ Gamma(s, rate β) per customer; first visit at day 0, age
    T uniform on [min_age, max_age]; the customer stays for an Exp(μ) lifetime and, while
    there, visits as a Poisson process with rate λ. Given N visits in the observed part of
    the lifetime L = min(lifetime, T), the visit times are N uniforms on [0, L], so the
    last one is L·U^(1/N). With ``whole_days``, ages are whole days and the recency is
    counted from the first visit's day to the last visit's: with the first visit at a
    uniform moment of its day, that is ⌊t_x + U⌋, t_x on average and never above T.
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    age = rng.uniform(min_age, max_age, n)
    if whole_days:
        age = np.ceil(age)
    observed = np.minimum(rng.exponential(1.0, n) / mu, age)
    frequency = rng.poisson(lam * observed).astype(np.float64)
    last = observed * rng.uniform(size=n) ** (1.0 / np.maximum(frequency, 1.0))
    if whole_days:
        last = np.floor(last + rng.uniform(size=n))
    recency = np.where(frequency > 0, last, 0.0)
    return Histories(frequency, recency, age)
