"""Customer-base models for loyalty (numpy/scipy only, no Django): BG/NBD and Pareto/NBD
for visits, Gamma-Gamma for spend, and discounted customer lifetime value.

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
from regulars.analytics.clv.paretonbd import (
    ParetoNBDFit,
    ParetoNBDStandardErrors,
    fit_paretonbd,
    paretonbd_expected_population,
    paretonbd_expected_visits,
    paretonbd_log_likelihood,
    paretonbd_p_alive,
    paretonbd_p_at_least_one,
)

__all__ = [
    "BGNBDFit",
    "BGNBDStandardErrors",
    "GammaGammaFit",
    "GammaGammaStandardErrors",
    "ParetoNBDFit",
    "ParetoNBDStandardErrors",
    "bgnbd_expected_population",
    "bgnbd_expected_visits",
    "bgnbd_log_likelihood",
    "bgnbd_p_alive",
    "bgnbd_p_at_least_one",
    "customer_lifetime_value",
    "fit_bgnbd",
    "fit_gammagamma",
    "fit_paretonbd",
    "gammagamma_expected_spend",
    "gammagamma_log_likelihood",
    "paretonbd_expected_population",
    "paretonbd_expected_visits",
    "paretonbd_log_likelihood",
    "paretonbd_p_alive",
    "paretonbd_p_at_least_one",
]
