"""Meta-analysis on study estimates: the strict layer under ``evisynth.pool``.

Takes arrays (estimates, variances, optional 2×2 tables for Mantel–Haenszel), returns a
:class:`~evisynth.core.results.PoolResult`. Subgroups, leave-one-out and cumulative
analyses are run as one batch through :func:`~evisynth.core.batch.fit_batch`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from functools import partial
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from evisynth.core.batch import BatchFit, PredictionKind, chi2_p, fit_batch, q_profile_interval
from evisynth.core.errors import ConvergenceError, InputError
from evisynth.core.mantel_haenszel import RiskDifferenceVariance, mantel_haenszel
from evisynth.core.results import (
    AutoRule,
    Coefficient,
    Estimate,
    Interval,
    MetaRegression,
    PoolResult,
    SensitivityRow,
    SmallStudyTests,
    StudyRow,
    SubgroupTest,
)
from evisynth.core.tau2 import FloatArray, IntArray, Tau2Method

if TYPE_CHECKING:  # bias tests and meta-regression load scipy.stats: imported when asked for
    from evisynth.core.metareg import MetaregMethod

ModelChoice = Literal["fixed", "random", "auto"]
FixedMethod = Literal["IV", "MH", "Peto"]

#: Seed 000's rule: "p >= 0.1, I² <= 50%" → fixed effect, otherwise random effects (DL).
AUTO_Q_P_THRESHOLD = 0.10
AUTO_I2_THRESHOLD = 50.0


@dataclass(frozen=True)
class PoolOptions:
    """Settings of an analysis, already resolved from presets and defaults."""

    measure: str
    model: ModelChoice = "random"
    method: FixedMethod = "IV"
    tau2_method: Tau2Method = "REML"
    hksj: bool = False
    prediction: PredictionKind = "z"
    level: float = 95.0
    i2_from_q: bool = False
    mh_rd_variance: RiskDifferenceVariance = "sato"

    @property
    def scale(self) -> str:
        return "log" if self.measure in ("RR", "OR") else "identity"


@dataclass(frozen=True)
class Tables:
    """2×2 counts for Mantel–Haenszel pooling; ``variance`` (if given) for its variance only.

    RevMan 5 computes the MH risk difference and its weights from the tables as reported but
    the variance's numerator from the continuity-corrected ones; metafor uses the reported
    tables throughout.
    """

    e1: FloatArray
    n1: FloatArray
    e2: FloatArray
    n2: FloatArray
    variance: Tables | None = None

    def take(self, index: IntArray) -> Tables:
        variance = self.variance.take(index) if self.variance is not None else None
        return Tables(self.e1[index], self.n1[index], self.e2[index], self.n2[index], variance)


@dataclass(frozen=True)
class SegmentFit:
    """A batch fit with the model each analysis used and, under ``auto``, why."""

    fit: BatchFit
    random: NDArray[np.bool_]
    reasons: tuple[str, ...]


def _fit(
    yi: FloatArray,
    vi: FloatArray,
    seg: IntArray,
    n_seg: int,
    options: PoolOptions,
    tables: Tables | None,
    *,
    random: bool,
    tau2_method: Tau2Method,
    tau2_interval: bool = True,
) -> BatchFit:
    fixed = None
    if options.method == "MH" and tables is not None:
        v = tables.variance
        fixed = mantel_haenszel(
            tables.e1, tables.n1, tables.e2, tables.n2, seg, n_seg,
            measure=options.measure,  # type: ignore[arg-type]
            rd_variance=options.mh_rd_variance,
            corrected=(v.e1, v.n1, v.e2, v.n2) if v is not None else None,
        )
    return fit_batch(
        yi,
        vi,
        seg,
        n_seg,
        model="random" if random else "fixed",
        tau2_method=tau2_method,
        hksj=options.hksj,
        prediction=options.prediction,
        level=options.level,
        fixed=fixed,
        i2_from_q=options.i2_from_q,
        tau2_interval=tau2_interval,
    )


def _select(choose_a: NDArray[np.bool_], a: BatchFit, b: BatchFit, seg: IntArray) -> BatchFit:
    picked = {}
    for f in fields(BatchFit):
        mask = choose_a[seg] if f.name == "weight" else choose_a
        picked[f.name] = np.where(mask, getattr(a, f.name), getattr(b, f.name))
    return BatchFit(**picked)


def auto_reason(q_p: float, i2: float, chose_fixed: bool) -> str:
    """Say which branch of seed 000's rule fired, with the numbers."""
    if not np.isfinite(q_p):
        return "a single study: its own estimate (fixed effect)"
    cond = f"heterogeneity test p = {q_p:.3f} and I² = {i2:.1f}%"
    if chose_fixed:
        return f"{cond} (p >= 0.10 and I² <= 50%): fixed effect"
    failed = []
    if q_p < AUTO_Q_P_THRESHOLD:
        failed.append("p < 0.10")
    if i2 > AUTO_I2_THRESHOLD:
        failed.append("I² > 50%")
    return f"{cond} ({' and '.join(failed)}): random effects (DerSimonian–Laird)"


def fit_segments(
    yi: FloatArray,
    vi: FloatArray,
    seg: IntArray,
    n_seg: int,
    options: PoolOptions,
    tables: Tables | None = None,
    *,
    tau2_interval: bool = True,
) -> SegmentFit:
    """Pool every analysis of a batch with ``options`` (``model="auto"`` decides per analysis).

    ``tau2_interval=False`` leaves the Q-profile interval of tau² out (NaN).
    """
    if options.model != "auto":
        random = options.model == "random"
        fit = _fit(yi, vi, seg, n_seg, options, tables, random=random,
                   tau2_method=options.tau2_method, tau2_interval=tau2_interval)
        return SegmentFit(fit, np.full(n_seg, random), ("",) * n_seg)
    fixed = _fit(yi, vi, seg, n_seg, options, tables, random=False, tau2_method="DL")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        i2_q = np.where(fixed.q > 0, np.maximum(0.0, 100 * (fixed.q - fixed.q_df) / fixed.q), 0.0)
    choose_fixed = (~(fixed.q_p < AUTO_Q_P_THRESHOLD)) & (i2_q <= AUTO_I2_THRESHOLD)
    reasons = tuple(
        auto_reason(float(p), float(i2), bool(c))
        for p, i2, c in zip(fixed.q_p, i2_q, choose_fixed, strict=True)
    )
    if choose_fixed.all():
        return SegmentFit(fixed, ~choose_fixed, reasons)
    dl = _fit(yi, vi, seg, n_seg, options, tables, random=True, tau2_method="DL",
              tau2_interval=tau2_interval)
    return SegmentFit(_select(choose_fixed, fixed, dl, seg), ~choose_fixed, reasons)


def check_convergence(fit: BatchFit, labels: list[str], tau2_method: str) -> None:
    if fit.converged.all():
        return
    names = ", ".join(labels[i] for i in np.flatnonzero(~fit.converged)[:5])
    raise ConvergenceError(
        f"the {tau2_method} estimate of tau² did not converge for {names}; "
        "try tau2='DL' or tau2='PM', or check the data for extreme variances"
    )


def _finite_interval(low: float, high: float) -> Interval | None:
    return (low, high) if math.isfinite(low) and math.isfinite(high) else None


def _tau2_ci(yi: FloatArray, vi: FloatArray, level: float) -> Interval | None:
    """The Q-profile interval of tau² for one analysis (None for k = 1)."""
    if yi.size < 2:
        return None
    low, high = q_profile_interval(yi, vi, np.zeros(yi.size, dtype=np.intp), 1, level=level)
    return _finite_interval(float(low[0]), float(high[0]))


def _estimate(
    fit: BatchFit,
    i: int,
    *,
    random: bool,
    tau2_ci: Interval | Callable[[], Interval | None] | None = None,
) -> Estimate:
    """The scalars of analysis ``i``; ``tau2_ci`` (a value or a function) replaces the fit's."""
    if tau2_ci is None and random:
        tau2_ci = _finite_interval(float(fit.tau2_ci_low[i]), float(fit.tau2_ci_high[i]))
    return Estimate(
        k=int(fit.k[i]),
        estimate=float(fit.estimate[i]),
        se=float(fit.se[i]),
        ci_low=float(fit.ci_low[i]),
        ci_high=float(fit.ci_high[i]),
        p=float(fit.p[i]),
        tau2=float(fit.tau2[i]),
        i2=float(fit.i2[i]),
        h2=float(fit.h2[i]),
        q=float(fit.q[i]),
        q_df=int(fit.q_df[i]),
        q_p=float(fit.q_p[i]),
        pi_low=float(fit.pi_low[i]),
        pi_high=float(fit.pi_high[i]),
        _tau2_ci=tau2_ci,
    )


def subgroup_difference(estimates: FloatArray, ses: FloatArray) -> SubgroupTest:
    """RevMan's test: Q = Σ (θg - θ̄)²/SEg², θ̄ weighted by 1/SEg², df = g - 1."""
    w = 1 / ses**2
    mean = np.sum(w * estimates) / np.sum(w)
    q = float(np.sum(w * (estimates - mean) ** 2))
    df = estimates.size - 1
    i2 = max(0.0, 100 * (q - df) / q) if q > 0 else 0.0
    return SubgroupTest(q=q, df=df, p=float(chi2_p(np.array([q]), np.array([float(df)]))[0]),
                        i2=i2)


def _sensitivity(
    yi: FloatArray,
    vi: FloatArray,
    tables: Tables | None,
    members: list[IntArray],
    labels: list[str],
    options: PoolOptions,
    random: bool,
) -> tuple[SensitivityRow, ...]:
    """Fit one analysis per member list (indices into the kept studies) in one batch."""
    index = np.concatenate(members)
    seg = np.repeat(np.arange(len(members)), [m.size for m in members]).astype(np.intp)
    fit = _fit(yi[index], vi[index], seg, len(members), options,
               tables.take(index) if tables is not None else None, random=random,
               tau2_method=options.tau2_method)
    check_convergence(fit, labels, options.tau2_method)
    return tuple(
        SensitivityRow(
            label=labels[i],
            estimate=float(fit.estimate[i]),
            se=float(fit.se[i]),
            ci_low=float(fit.ci_low[i]),
            ci_high=float(fit.ci_high[i]),
            tau2=float(fit.tau2[i]),
            i2=float(fit.i2[i]),
        )
        for i in range(len(members))
    )


def analyse(
    studies: tuple[str, ...],
    yi: FloatArray,
    vi: FloatArray,
    kept: NDArray[np.bool_],
    notes: tuple[str, ...],
    options: PoolOptions,
    *,
    tables: Tables | None = None,
    groups: tuple[str, ...] | None = None,
    design: tuple[FloatArray, tuple[str, ...]] | None = None,
    small_study_tests: bool = False,
    leave_one_out: bool = False,
    cumulative_order: IntArray | None = None,
) -> PoolResult:
    """One meta-analysis of the ``kept`` studies, with the extras asked for.

    ``groups``: subgroup label per study; ``design``: (X with intercept first, names) for a
    meta-regression; ``cumulative_order``: study positions in the order they are added.
    """
    idx = np.flatnonzero(kept)
    if idx.size == 0:
        raise InputError("no study can be analysed (every study was not estimable)")
    y, v = yi[idx], vi[idx]
    t = tables.take(idx) if tables is not None else None
    k = idx.size
    zeros = np.zeros(k, dtype=np.intp)
    # The overall tau² interval is solved when first read (as metafor's confint()).
    overall = fit_segments(y, v, zeros, 1, options, t, tau2_interval=False)
    check_convergence(overall.fit, ["the analysis"], options.tau2_method)
    random = bool(overall.random[0])
    chosen, auto_rule = options, None
    if options.model == "auto":
        chosen = replace(options, model="random" if random else "fixed", tau2_method="DL")
        auto_rule = AutoRule(chose=chosen.model, reason=overall.reasons[0])

    row_weight = np.full(len(studies), np.nan)  # studies not analysed have no weight
    row_weight[idx] = overall.fit.weight
    study_rows = tuple(
        StudyRow(study=s, yi=a, vi=b, weight=w, note=n)
        for s, a, b, w, n in zip(studies, yi.tolist(), vi.tolist(), row_weight.tolist(), notes,
                                 strict=True)
    )
    subgroups = subgroup_test = None
    if groups is not None:
        position = {g: n for n, g in enumerate(dict.fromkeys(groups[i] for i in idx))}
        names = list(position)
        gseg = np.array([position[groups[i]] for i in idx], dtype=np.intp)
        sub = fit_segments(y, v, gseg, len(names), chosen, t)
        check_convergence(sub.fit, names, chosen.tau2_method)
        subgroups = {n: _estimate(sub.fit, i, random=random) for i, n in enumerate(names)}
        if len(names) > 1:
            subgroup_test = subgroup_difference(sub.fit.estimate, sub.fit.se)
    metareg = None
    if design is not None:
        x, names_x = design
        method: MetaregMethod = chosen.tau2_method if random else "fixed"
        from evisynth.core.metareg import meta_regression

        mr = meta_regression(y, v, x[idx], names_x, method=method, hksj=options.hksj,
                             level=options.level)
        metareg = MetaRegression(
            coefficients={
                n: Coefficient(float(mr.coef[j]), float(mr.se[j]), float(mr.p[j]),
                               float(mr.ci_low[j]), float(mr.ci_high[j]))
                for j, n in enumerate(mr.names)
            },
            qm=mr.qm, qm_p=mr.qm_p, qm_df=mr.qm_df, tau2=mr.tau2, r2=mr.r2,
            qe=mr.qe, qe_p=mr.qe_p,
        )
    small = None
    if small_study_tests:
        from evisynth.core import bias as bias_tests

        egger = bias_tests.egger_test(y, v)
        begg = bias_tests.begg_test(y, v)
        tf = bias_tests.trim_and_fill(y, v, random=random, tau2_method=chosen.tau2_method)
        small = SmallStudyTests(
            egger={"t": egger.t, "p": egger.p},
            begg={"tau": begg.tau, "p": begg.p},
            trimfill={"k0": tf.k0, "side": tf.side, "estimate": tf.estimate, "se": tf.se},
        )
    loo = None
    if leave_one_out:
        if k < 2:
            raise InputError("leave-one-out needs at least 2 studies")
        members = [np.delete(np.arange(k), j) for j in range(k)]
        loo = _sensitivity(y, v, t, members, [studies[i] for i in idx], chosen, random)
    cumul = None
    if cumulative_order is not None:
        positions = [int(np.flatnonzero(idx == i)[0]) for i in cumulative_order if kept[i]]
        members = [np.array(positions[: j + 1], dtype=np.intp) for j in range(len(positions))]
        cumul = _sensitivity(y, v, t, members, [studies[idx[p]] for p in positions], chosen,
                             random)
    return PoolResult(
        measure=options.measure,
        model="random" if random else "fixed",
        method=options.method,
        tau2_method=chosen.tau2_method if random else None,
        level=options.level,
        scale=options.scale,
        test="t" if options.hksj else "z",
        overall=_estimate(overall.fit, 0, random=random,
                          tau2_ci=partial(_tau2_ci, y, v, options.level) if random else None),
        studies=study_rows,
        subgroups=subgroups,
        subgroup_test=subgroup_test,
        metaregression=metareg,
        bias=small,
        leave_one_out=loo,
        cumulative=cumul,
        auto_rule=auto_rule,
    )
