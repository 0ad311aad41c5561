"""The batched pooling engine: many meta-analyses in one pass of segment operations.

``fit_batch`` takes study rows (``yi``, ``vi``) tagged with an analysis id ``seg`` and
returns, per analysis, the pooled estimate, its test and interval, heterogeneity (Q, I²,
H²), tau² with its Q-profile interval, and the prediction interval. A single meta-analysis
is a batch of one; subgroups, leave-one-out and cumulative analyses are batches too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import special

from evisynth.core import tau2 as tau2_estimators
from evisynth.core.tau2 import (
    DEFAULT_MAX_ITERATIONS,
    DEFAULT_TOLERANCE,
    Tau2Method,
    segment_count,
    segment_sum,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

Model = Literal["fixed", "random"]
PredictionKind = Literal["z", "t", "none"]


@dataclass(frozen=True)
class FixedEffect:
    """A fixed-effect estimate computed elsewhere (Mantel–Haenszel), per analysis.

    ``weight`` is per row (any scale; normalised per analysis). Q is centred on ``estimate``.
    """

    estimate: FloatArray
    se: FloatArray
    weight: FloatArray


@dataclass(frozen=True)
class BatchFit:
    """Per-analysis results (arrays of length n_seg) and per-row weights in percent."""

    k: IntArray
    estimate: FloatArray
    se: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    statistic: FloatArray
    p: FloatArray
    df: FloatArray  # degrees of freedom of the test (inf for z tests)
    tau2: FloatArray
    tau2_ci_low: FloatArray
    tau2_ci_high: FloatArray
    i2: FloatArray
    h2: FloatArray
    q: FloatArray
    q_df: IntArray
    q_p: FloatArray
    pi_low: FloatArray
    pi_high: FloatArray
    converged: BoolArray
    iterations: IntArray
    weight: FloatArray  # per row, percent of its analysis


@lru_cache(maxsize=16)
def _normal_quantile(upper: float) -> float:
    return float(special.ndtri(upper))


def critical_value(level: float, df: FloatArray | float = np.inf) -> FloatArray:
    """Two-sided critical value of z (df = inf) or t for a ``level`` percent interval."""
    upper = 1 - (1 - level / 100) / 2
    df_arr = np.asarray(df, dtype=float)
    z = _normal_quantile(upper)
    if np.isinf(df_arr).all():
        return np.full(df_arr.shape, z)
    finite = np.isfinite(df_arr) & (df_arr > 0)
    if not finite.any():
        return np.where(np.isinf(df_arr), z, np.nan).astype(np.float64)
    t = special.stdtrit(np.where(finite, df_arr, 1.0), upper)
    return np.where(np.isinf(df_arr), z, np.where(df_arr > 0, t, np.nan)).astype(np.float64)


def two_sided_p(statistic: FloatArray, df: FloatArray) -> FloatArray:
    """p from a z statistic (df = inf) or a t statistic with ``df`` degrees of freedom."""
    a = np.abs(statistic)
    p_z = 2 * special.ndtr(-a)
    if np.isinf(df).all():
        return np.asarray(p_z, dtype=np.float64)
    p_t = 2 * special.stdtr(np.where(np.isfinite(df) & (df > 0), df, 1.0), -a)
    return np.asarray(np.where(np.isinf(df), p_z, p_t), dtype=np.float64)


def chi2_p(q: FloatArray, df: FloatArray) -> FloatArray:
    p = special.chdtrc(np.where(df > 0, df, 1), q)
    return np.asarray(np.where(df > 0, p, np.nan), dtype=np.float64)


def fit_batch(
    yi: FloatArray,
    vi: FloatArray,
    seg: IntArray,
    n_seg: int,
    *,
    model: Model,
    tau2_method: Tau2Method = "REML",
    hksj: bool = False,
    prediction: PredictionKind = "z",
    level: float = 95.0,
    fixed: FixedEffect | None = None,
    i2_from_q: bool = False,
    tau2_interval: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
) -> BatchFit:
    """Pool every analysis in the batch.

    ``yi``, ``vi``: study estimates and variances (vi > 0), ``seg``: analysis id per row.
    ``model="fixed"`` pools by inverse variance (or takes ``fixed``, e.g. Mantel–Haenszel);
    ``model="random"`` estimates tau² with ``tau2_method`` and pools with 1/(vi + tau²).
    ``hksj`` uses the Knapp–Hartung variance and t with k - 1 df (metafor ``test="knha"``).
    Q is Cochran's, with weights 1/vi, around the fixed-effect estimate. I² and H² follow
    metafor: from Q for fixed-effect models, from tau² and the typical within-study variance
    for random-effects models; ``i2_from_q`` forces I² = max(0, (Q - df)/Q) as RevMan.
    Analyses with k = 1 return the study's own estimate and interval.
    """
    k = segment_count(seg, n_seg)
    w = 1.0 / vi
    sw = segment_sum(seg, n_seg, w)
    iv_estimate = segment_sum(seg, n_seg, w * yi) / sw
    centre = iv_estimate if fixed is None else fixed.estimate
    q_df = np.maximum(k - 1, 0)
    # Q on 0 df (k = 1) is 0 as in metafor; computed, it is the rounding residue of
    # (y - Σwy/Σw)² or of the MH estimate, which would read as I² = 100%.
    q = np.where(q_df > 0, segment_sum(seg, n_seg, w * (yi - centre[seg]) ** 2), 0.0)

    nan = np.full(n_seg, np.nan)
    tau2_low, tau2_high = nan.copy(), nan.copy()
    if model == "fixed":
        converged = np.ones(n_seg, dtype=bool)
        iterations = np.zeros(n_seg, dtype=np.intp)
        tau2 = np.zeros(n_seg)
        if fixed is None:
            estimate, se, row_weight, weight_sum = iv_estimate, np.sqrt(1 / sw), w, sw
        else:
            estimate, se, row_weight = fixed.estimate, fixed.se, fixed.weight
            weight_sum = segment_sum(seg, n_seg, row_weight)
    else:
        fit = tau2_estimators.estimate_tau2(
            tau2_method, yi, vi, seg, n_seg, q=q, tolerance=tolerance, max_iterations=max_iterations
        )
        tau2, converged, iterations = fit.tau2, fit.converged, fit.iterations
        row_weight = 1.0 / (vi + tau2[seg])
        weight_sum = segment_sum(seg, n_seg, row_weight)
        estimate = segment_sum(seg, n_seg, row_weight * yi) / weight_sum
        se = np.sqrt(1 / weight_sum)
        if tau2_interval:
            tau2_low, tau2_high = q_profile_interval(
                yi, vi, seg, n_seg, level=level, tolerance=tolerance, max_iterations=max_iterations
            )

    test_df = np.full(n_seg, np.inf)
    if hksj:
        resid = segment_sum(seg, n_seg, row_weight * (yi - estimate[seg]) ** 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = resid / (k - 1) / segment_sum(seg, n_seg, row_weight)
        se = np.where(k > 1, np.sqrt(s2), se)
        test_df = np.where(k > 1, k - 1, np.inf)

    single = k == 1
    any_single = bool(single.any())  # the masks below are skipped in the usual case
    if any_single:
        row_single = single[seg]
        estimate = estimate.copy()
        se = se.copy()
        estimate[seg[row_single]] = yi[row_single]
        se[seg[row_single]] = np.sqrt(vi[row_single])
        tau2 = np.where(single, 0.0, tau2)

    crit = critical_value(level, test_df)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        statistic = estimate / se  # NaN when HKSJ's SE is 0 (identical estimates), as metafor
        if model == "random" and not i2_from_q:
            vt = tau2_estimators.typical_variance(w, sw, k, seg, n_seg)
            i2, h2 = 100 * tau2 / (vt + tau2), tau2 / vt + 1
            multi = k > 1
            if not multi.all():
                i2, h2 = np.where(multi, i2, 0.0), np.where(multi, h2, 1.0)
        else:
            i2 = np.where(q > 0, np.maximum(0.0, 100 * (q - q_df) / q), 0.0)
            h2 = np.where(q_df > 0, q / q_df, 1.0)
    p = two_sided_p(statistic, test_df)
    q_p = chi2_p(q, q_df.astype(float))

    pi_low, pi_high = nan.copy(), nan.copy()
    if prediction != "none" and model == "random":
        pi_df = np.where(k > 2, k - 2, 0).astype(float) if prediction == "t" else test_df
        pi_se = np.sqrt(se**2 + tau2)
        pi_crit = crit if prediction == "z" else critical_value(level, pi_df)
        pi_low, pi_high = estimate - pi_crit * pi_se, estimate + pi_crit * pi_se
        if any_single:
            pi_low, pi_high = np.where(single, np.nan, pi_low), np.where(single, np.nan, pi_high)

    if tau2_interval and any_single:
        tau2_low, tau2_high = np.where(single, np.nan, tau2_low), np.where(single, np.nan, tau2_high)
    return BatchFit(
        k=k.astype(np.intp),
        estimate=estimate,
        se=se,
        ci_low=estimate - crit * se,
        ci_high=estimate + crit * se,
        statistic=statistic,
        p=p,
        df=test_df,
        tau2=tau2,
        tau2_ci_low=tau2_low,
        tau2_ci_high=tau2_high,
        i2=i2,
        h2=h2,
        q=q,
        q_df=q_df.astype(np.intp),
        q_p=q_p,
        pi_low=pi_low,
        pi_high=pi_high,
        converged=converged,
        iterations=iterations,
        weight=100 * row_weight / weight_sum[seg],
    )


def q_profile_interval(
    yi: FloatArray,
    vi: FloatArray,
    seg: IntArray,
    n_seg: int,
    *,
    level: float = 95.0,
    tolerance: float = DEFAULT_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
) -> tuple[FloatArray, FloatArray]:
    """Q-profile confidence interval for tau² (Viechtbauer 2007; metafor ``confint``).

    The bounds solve Q(τ²) = χ²_{k-1} quantiles at 1 - α/2 (lower) and α/2 (upper);
    a bound is 0 when Q(0) is already below its quantile.
    """
    k = segment_count(seg, n_seg)
    alpha = 1 - level / 100
    df = np.maximum(k - 1, 1)
    # chdtri(df, y) is the chi-square quantile with upper-tail probability y.
    upper_target: FloatArray = np.asarray(special.chdtri(df, alpha / 2), dtype=np.float64)
    lower_target: FloatArray = np.asarray(special.chdtri(df, 1 - alpha / 2), dtype=np.float64)
    # Both bounds in one solve: the rows twice, the second copy as analyses n_seg..2n_seg-1.
    both = tau2_estimators.solve_generalized_q(
        np.concatenate([yi, yi]),
        np.concatenate([vi, vi]),
        np.concatenate([seg, seg + n_seg]),
        2 * n_seg,
        np.concatenate([upper_target, lower_target]),
        tolerance=tolerance,
        max_iterations=max_iterations,
    )
    return both.tau2[:n_seg], both.tau2[n_seg:]
