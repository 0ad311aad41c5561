"""Small-study effects: Egger's regression test, Begg's rank correlation, trim-and-fill."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from evisynth.core.batch import fit_batch
from evisynth.core.errors import InputError
from evisynth.core.metareg import MetaregMethod, meta_regression
from evisynth.core.tau2 import FloatArray, Tau2Method

Side = Literal["left", "right"]


@dataclass(frozen=True)
class EggerTest:
    """Slope of yi on sei in a weighted linear model (weights 1/vi), tested with t(k-2)."""

    t: float
    df: int
    p: float
    slope: float
    intercept: float


@dataclass(frozen=True)
class BeggTest:
    """Kendall's tau between standardised deviates and variances (Begg & Mazumdar 1994)."""

    tau: float
    p: float


@dataclass(frozen=True)
class TrimFill:
    """Trim-and-fill (Duval & Tweedie 2000), L0 estimator; filled studies mirror around β."""

    k0: int
    side: Side
    estimate: float
    se: float
    filled_yi: FloatArray
    filled_vi: FloatArray


def egger_test(yi: FloatArray, vi: FloatArray) -> EggerTest:
    """Egger's test as metafor ``regtest(model="lm")``: lm(yi ~ sei, weights = 1/vi).

    Equivalent to the classical regression of yi/sei on 1/sei (Egger et al. 1997).
    """
    k = yi.size
    if k < 3:
        raise InputError(f"Egger's test needs at least 3 studies (got {k})")
    sei = np.sqrt(vi)
    x = np.column_stack([np.ones(k), sei])
    w = 1 / vi
    xtw = x.T * w
    coef = np.linalg.solve(xtw @ x, xtw @ yi)
    resid = yi - x @ coef
    sigma2 = float(np.sum(w * resid**2)) / (k - 2)
    cov = sigma2 * np.linalg.inv(xtw @ x)
    t = float(coef[1] / np.sqrt(cov[1, 1]))
    return EggerTest(
        t=t,
        df=k - 2,
        p=float(2 * stats.t.sf(abs(t), k - 2)),
        slope=float(coef[1]),
        intercept=float(coef[0]),
    )


def begg_test(yi: FloatArray, vi: FloatArray) -> BeggTest:
    """metafor ``ranktest``: Kendall's tau of (yi - θ)/sqrt(vi - 1/Σw) against vi.

    θ is the fixed-effect estimate. The p value is exact without ties (R's ``cor.test``
    with ``exact=TRUE``), otherwise from the normal approximation with tie correction.
    """
    k = yi.size
    if k < 3:
        raise InputError(f"Begg's test needs at least 3 studies (got {k})")
    w = 1 / vi
    theta = np.sum(w * yi) / np.sum(w)
    star = (yi - theta) / np.sqrt(vi - 1 / np.sum(w))
    ties = np.unique(star).size < k or np.unique(vi).size < k
    result = stats.kendalltau(star, vi, method="asymptotic" if ties else "exact")
    return BeggTest(tau=float(result.statistic), p=float(result.pvalue))


def _pool_one(
    yi: FloatArray, vi: FloatArray, *, random: bool, tau2_method: Tau2Method
) -> tuple[float, float]:
    fit = fit_batch(
        yi,
        vi,
        np.zeros(yi.size, dtype=np.intp),
        1,
        model="random" if random else "fixed",
        tau2_method=tau2_method,
        tau2_interval=False,
        prediction="none",
    )
    return float(fit.estimate[0]), float(fit.se[0])


def trim_and_fill(
    yi: FloatArray,
    vi: FloatArray,
    *,
    random: bool,
    tau2_method: Tau2Method = "REML",
    side: Side | None = None,
    max_iterations: int = 100,
) -> TrimFill:
    """Trim-and-fill on the analysis's own model, as metafor ``trimfill`` (estimator L0).

    The side is chosen as metafor does: from the sign of the slope of yi on sei in a
    meta-regression with the same model (negative slope: studies missing on the right).
    """
    k = yi.size
    if k < 3:
        raise InputError(f"trim-and-fill needs at least 3 studies (got {k})")
    if side is None:
        method: MetaregMethod = tau2_method if random else "fixed"
        design = np.column_stack([np.ones(k), np.sqrt(vi)])
        slope = meta_regression(yi, vi, design, ("intrcpt", "sei"), method=method).coef[1]
        side = "right" if slope < 0 else "left"
    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * yi, kind="stable")
    y, v = sign * yi[order], vi[order]
    k0, previous = 0, -1
    beta = 0.0
    for _ in range(max_iterations):
        if k0 == previous:
            break
        previous = k0
        beta, _ = _pool_one(y[: k - k0], v[: k - k0], random=random, tau2_method=tau2_method)
        centred = y - beta
        ranks = stats.rankdata(np.abs(centred), method="ordinal")
        sr = float(np.sum(ranks[centred > 0]))
        k0 = max(0, round((4 * sr - k * (k + 1)) / (2 * k - 1)))
    else:
        raise InputError("trim-and-fill did not settle on a number of missing studies")
    if k0 == 0:
        estimate, se = _pool_one(yi, vi, random=random, tau2_method=tau2_method)
        return TrimFill(0, side, estimate, se, np.empty(0), np.empty(0))
    filled_y = sign * (2 * beta - y[k - k0 :])
    filled_v = v[k - k0 :]
    estimate, se = _pool_one(
        np.concatenate([yi, filled_y]), np.concatenate([vi, filled_v]),
        random=random, tau2_method=tau2_method,
    )
    return TrimFill(k0, side, estimate, se, filled_y, filled_v)
