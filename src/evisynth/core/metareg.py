"""Mixed-effects meta-regression: yi = Xβ + u + e, u ~ N(0, τ²), e ~ N(0, vi).

Matrix formulas of metafor's ``rma.uni`` with moderators (Viechtbauer 2005; Raudenbush
2009): P = W - W X (X'WX)⁻¹ X'W. τ² by REML/ML (Fisher scoring), DL, HE, SJ or PM;
``method="fixed"`` fits the fixed-effects meta-regression (τ² = 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

from evisynth.core.errors import ConvergenceError, InputError
from evisynth.core.tau2 import DEFAULT_MAX_ITERATIONS, DEFAULT_TOLERANCE

FloatArray = NDArray[np.float64]
MetaregMethod = Literal["DL", "REML", "PM", "ML", "HE", "SJ", "fixed"]


@dataclass(frozen=True)
class MetaregFit:
    """Coefficients with SEs, tests, the omnibus QM test, residual heterogeneity and R²."""

    names: tuple[str, ...]
    coef: FloatArray
    se: FloatArray
    statistic: FloatArray
    p: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    qm: float
    qm_df: int
    qm_p: float
    qe: float
    qe_df: int
    qe_p: float
    tau2: float
    r2: float | None
    test: Literal["z", "t"]


def _projection(x: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """P = W - W X (X'WX)⁻¹ X'W and (X'WX)⁻¹ for weights ``w``."""
    xw = x * w[:, None]
    inv: FloatArray = np.linalg.inv(x.T @ xw).astype(np.float64)
    return np.diag(w) - xw @ inv @ xw.T, inv


def _tau2(
    y: FloatArray,
    v: FloatArray,
    x: FloatArray,
    method: MetaregMethod,
    *,
    tolerance: float,
    max_iterations: int,
) -> float:
    k, p = int(x.shape[0]), int(x.shape[1])
    if method == "fixed" or k <= p:
        return 0.0
    if method == "DL":
        pm, _ = _projection(x, 1 / v)
        return max(0.0, float((y @ pm @ y - (k - p)) / float(np.trace(pm))))
    if method == "SJ":
        tau0 = float(np.var(y))  # var(y)·(k-1)/k, metafor's starting value
        pm, _ = _projection(x, 1 / (v + tau0))
        return max(0.0, tau0 * float(y @ pm @ y) / (k - p))
    pols, _ = _projection(x, np.ones(k))
    hedges = float((y @ pols @ y - np.trace(pols * v[None, :])) / (k - p))
    if method == "HE":
        return max(0.0, hedges)
    if method == "PM":
        def excess(t: float) -> float:
            pm, _ = _projection(x, 1 / (v + t))
            return float(y @ pm @ y) - (k - p)

        if excess(0.0) <= 0:
            return 0.0
        hi = 1.0
        while excess(hi) > 0:
            hi *= 10
        return float(optimize.brentq(excess, 0.0, hi, xtol=1e-14, rtol=1e-14))
    tau2 = max(0.0, hedges)
    scale = float(np.mean(v))
    for _ in range(max_iterations):
        pm, _ = _projection(x, 1 / (v + tau2))
        py = pm @ y
        if method == "REML":
            step = (py @ py - np.trace(pm)) / np.sum(pm * pm)
        else:
            w = 1 / (v + tau2)
            step = (py @ py - w.sum()) / np.sum(w * w)
        while tau2 + step < 0 and tau2 > 0:
            step /= 2
        new = max(0.0, tau2 + float(step)) if tau2 > 0 or step > 0 else 0.0
        if abs(new - tau2) <= tolerance * (scale + new):
            return new
        tau2 = new
    raise ConvergenceError(
        f"the {method} estimate of tau² for the meta-regression did not converge in "
        f"{max_iterations} iterations; try tau2='DL' or tau2='PM'"
    )


def meta_regression(
    yi: FloatArray,
    vi: FloatArray,
    x: FloatArray,
    names: tuple[str, ...],
    *,
    method: MetaregMethod = "REML",
    hksj: bool = False,
    level: float = 95.0,
    tolerance: float = DEFAULT_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
) -> MetaregFit:
    """Fit the meta-regression of ``yi`` (variances ``vi``) on the design matrix ``x``.

    ``x`` has shape (k, p) with the intercept column first; ``names`` labels its columns.
    QM tests all coefficients but the intercept (chi-square with p - 1 df, or F with
    (p - 1, k - p) df under ``hksj``). R² = max(0, (τ²₀ - τ²)/τ²₀)·100, with τ²₀ from the
    intercept-only model fitted by the same method (Raudenbush 2009).
    """
    k, p = int(x.shape[0]), int(x.shape[1])
    if k <= p:
        raise InputError(
            f"meta-regression needs more studies than coefficients (k = {k}, {p} coefficients); "
            "drop a moderator or add studies"
        )
    if np.linalg.matrix_rank(x) < p:
        raise InputError(
            "the moderators are collinear (a column of the design is a combination of others); "
            "drop one of them"
        )
    tau2 = _tau2(yi, vi, x, method, tolerance=tolerance, max_iterations=max_iterations)
    w = 1 / (vi + tau2)
    pm, inv = _projection(x, w)
    coef = inv @ (x.T @ (w * yi))
    vb = inv
    qe_pm, _ = _projection(x, 1 / vi)
    qe = float(yi @ qe_pm @ yi)
    crit_df: float = np.inf
    if hksj:
        s2 = float(yi @ pm @ yi) / (k - p)
        vb = s2 * inv
        crit_df = float(k - p)
    se = np.sqrt(np.diag(vb))
    statistic = coef / se
    if hksj:
        pvals = 2 * stats.t.sf(np.abs(statistic), crit_df)
        crit = float(stats.t.ppf(1 - (1 - level / 100) / 2, crit_df))
    else:
        pvals = 2 * stats.norm.sf(np.abs(statistic))
        crit = float(stats.norm.ppf(1 - (1 - level / 100) / 2))
    b = coef[1:]
    qm = float(b @ np.linalg.solve(vb[1:, 1:], b)) if p > 1 else 0.0
    if hksj:
        qm /= max(p - 1, 1)
        qm_p = float(stats.f.sf(qm, p - 1, k - p)) if p > 1 else float("nan")
    else:
        qm_p = float(stats.chi2.sf(qm, p - 1)) if p > 1 else float("nan")
    r2: float | None = None
    if method != "fixed":
        tau2_null = _tau2(
            yi, vi, np.ones((k, 1)), method, tolerance=tolerance, max_iterations=max_iterations
        )
        r2 = max(0.0, 100 * (tau2_null - tau2) / tau2_null) if tau2_null > 0 else 0.0
    return MetaregFit(
        names=names,
        coef=coef,
        se=se,
        statistic=statistic,
        p=np.asarray(pvals, dtype=float),
        ci_low=coef - crit * se,
        ci_high=coef + crit * se,
        qm=qm,
        qm_df=p - 1,
        qm_p=qm_p,
        qe=qe,
        qe_df=k - p,
        qe_p=float(stats.chi2.sf(qe, k - p)),
        tau2=tau2,
        r2=r2,
        test="t" if hksj else "z",
    )
