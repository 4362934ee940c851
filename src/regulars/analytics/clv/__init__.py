"""Customer-base models for loyalty (numpy/scipy only, no Django): BG/NBD for visits,
Gamma-Gamma for spend, and discounted customer lifetime value.

Time is in days; spend in the business's currency as floats. Fits take per-customer
arrays (frequency = repeat visits, recency = days from first to last visit, T = days
from first visit to now) and optional weights, group identical rows, and return frozen
dataclasses; predictions are plain functions over arrays that never return NaN or inf.
"""

from regulars.analytics.clv.bgnbd import (
    BGNBDFit,
    BGNBDStandardErrors,
    bgnbd_expected_population,
    bgnbd_expected_visits,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    bgnbd_p_at_least_one,
    fit_bgnbd,
)
from regulars.analytics.clv.gammagamma import (
    GammaGammaFit,
    GammaGammaStandardErrors,
    customer_lifetime_value,
    fit_gammagamma,
    gammagamma_expected_spend,
    gammagamma_log_likelihood,
)

__all__ = [
    "BGNBDFit",
    "BGNBDStandardErrors",
    "GammaGammaFit",
    "GammaGammaStandardErrors",
    "bgnbd_expected_population",
    "bgnbd_expected_visits",
    "bgnbd_log_likelihood",
    "bgnbd_p_alive",
    "bgnbd_p_at_least_one",
    "customer_lifetime_value",
    "fit_bgnbd",
    "fit_gammagamma",
    "gammagamma_expected_spend",
    "gammagamma_log_likelihood",
]
