"""Per-study effect sizes on the analysis scale, vectorised over studies.

Every function takes 1-D float arrays of equal length and returns an :class:`EffectSizes`
with ``yi`` (estimate on the analysis scale: logs for ratios), ``vi`` (sampling variance),
``kept`` (studies that enter the analysis) and ``notes`` (what was done to each study).

Formulas follow metafor's ``escalc`` defaults (Viechtbauer 2010) unless stated; the RevMan
variants follow the RevMan 5 statistical algorithms document (Deeks & Higgins 2010).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

BinaryMeasure = Literal["RR", "OR", "RD"]
CorrectionTarget = Literal["zero_cells", "all", "none"]
SmdVariant = Literal["hedges", "revman"]


@dataclass(frozen=True)
class EffectSizes:
    """Study-level estimates: ``yi`` and ``vi`` are NaN where ``kept`` is False."""

    yi: FloatArray
    vi: FloatArray
    kept: BoolArray
    notes: tuple[str, ...]
    added: FloatArray | None = None  # binary: the continuity correction added to each cell


def _notes(n: int) -> list[str]:
    return [""] * n


def mean_difference(
    m1: FloatArray, sd1: FloatArray, n1: FloatArray, m2: FloatArray, sd2: FloatArray, n2: FloatArray
) -> EffectSizes:
    """Raw mean difference m1 - m2 with the heteroscedastic variance sd1²/n1 + sd2²/n2."""
    yi = m1 - m2
    vi = sd1**2 / n1 + sd2**2 / n2
    return EffectSizes(yi, vi, np.ones(yi.shape, dtype=bool), tuple(_notes(yi.size)))


def hedges_correction(df: FloatArray) -> FloatArray:
    """Exact small-sample correction J(m) = Γ(m/2) / (sqrt(m/2) Γ((m-1)/2)) (Hedges 1981)."""
    return np.asarray(np.exp(gammaln(df / 2) - 0.5 * np.log(df / 2) - gammaln((df - 1) / 2)))


def standardized_mean_difference(
    m1: FloatArray,
    sd1: FloatArray,
    n1: FloatArray,
    m2: FloatArray,
    sd2: FloatArray,
    n2: FloatArray,
    *,
    variant: SmdVariant = "hedges",
) -> EffectSizes:
    """Hedges' g with the pooled SD.

    ``hedges``: metafor ``escalc(measure="SMD")``: g = J(n1+n2-2)·d and
    vi = 1/n1 + 1/n2 + g²/(2(n1+n2)).
    ``revman``: RevMan 5: g = d·(1 - 3/(4N - 9)), SE² = N/(n1·n2) + g²/(2(N - 3.94)).
    """
    total = n1 + n2
    sp = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (total - 2))
    d = (m1 - m2) / sp
    if variant == "hedges":
        g = hedges_correction(total - 2) * d
        vi = 1 / n1 + 1 / n2 + g**2 / (2 * total)
    else:
        g = d * (1 - 3 / (4 * total - 9))
        vi = total / (n1 * n2) + g**2 / (2 * (total - 3.94))
    return EffectSizes(g, vi, np.ones(g.shape, dtype=bool), tuple(_notes(g.size)))


def mean_change(
    m_pre: FloatArray,
    sd_pre: FloatArray,
    m_post: FloatArray,
    sd_post: FloatArray,
    n: FloatArray,
    r: FloatArray,
) -> EffectSizes:
    """Single-group pre/post mean change (metafor ``escalc(measure="MC")``).

    yi = m_post - m_pre, vi = (sd_pre² + sd_post² - 2·r·sd_pre·sd_post)/n
    (Cochrane Handbook 6.5.2.8 for the SD of the change).
    """
    yi = m_post - m_pre
    vi = (sd_pre**2 + sd_post**2 - 2 * r * sd_pre * sd_post) / n
    return EffectSizes(yi, vi, np.ones(yi.shape, dtype=bool), tuple(_notes(yi.size)))


def generic(yi: FloatArray, vi: FloatArray) -> EffectSizes:
    """Generic inverse variance: estimates with their variances, used as given."""
    return EffectSizes(yi, vi, np.ones(yi.shape, dtype=bool), tuple(_notes(yi.size)))


def _binary_exclusions(
    e1: FloatArray,
    n1: FloatArray,
    e2: FloatArray,
    n2: FloatArray,
    *,
    drop_double_zero: bool,
    notes: list[str],
) -> BoolArray:
    no_events = (e1 == 0) & (e2 == 0)
    all_events = (e1 == n1) & (e2 == n2)
    kept = np.ones(e1.shape, dtype=bool)
    if drop_double_zero:
        for i in np.flatnonzero(no_events):
            notes[i] = "not estimable: no events in either arm"
        for i in np.flatnonzero(all_events & ~no_events):
            notes[i] = "not estimable: all participants had events in both arms"
        kept &= ~(no_events | all_events)
    return kept


def binary_effects(
    e1: FloatArray,
    n1: FloatArray,
    e2: FloatArray,
    n2: FloatArray,
    *,
    measure: BinaryMeasure,
    continuity_correction: float = 0.5,
    correction_applies_to: CorrectionTarget = "zero_cells",
    drop_double_zero: bool | None = None,
    correct_rd_estimate: bool = True,
) -> EffectSizes:
    """Log risk ratio, log odds ratio or risk difference from 2×2 tables.

    Studies with a zero cell get ``continuity_correction`` added to all four cells
    (``correction_applies_to="all"`` corrects every study, ``"none"`` none). Studies with no
    events in both arms (or, for RR and OR, all events in both arms) are dropped when
    ``drop_double_zero`` is true, the default for RR and OR; RD keeps them by default.
    ``correct_rd_estimate=False`` computes the risk difference itself from the reported counts
    and only its variance from the corrected ones (RevMan 5; metafor corrects both).
    """
    if drop_double_zero is None:
        drop_double_zero = measure != "RD"
    notes = _notes(e1.size)
    kept = _binary_exclusions(e1, n1, e2, n2, drop_double_zero=drop_double_zero, notes=notes)
    a, b, c, d = e1.copy(), n1 - e1, e2.copy(), n2 - e2
    if correction_applies_to == "all":
        corrected = kept.copy()
    elif correction_applies_to == "zero_cells":
        corrected = kept & ((a == 0) | (b == 0) | (c == 0) | (d == 0))
    else:
        corrected = np.zeros(e1.shape, dtype=bool)
    add = np.where(corrected, continuity_correction, 0.0)
    if continuity_correction > 0:
        for i in np.flatnonzero(corrected):
            reason = "zero cell" if correction_applies_to == "zero_cells" else "all studies"
            notes[i] = f"added {continuity_correction:g} to all four cells ({reason})"
        a, b, c, d = a + add, b + add, c + add, d + add
    with np.errstate(divide="ignore", invalid="ignore"):
        n1c, n2c = a + b, c + d
        if measure == "RR":
            yi = np.log(a / n1c) - np.log(c / n2c)
            vi = 1 / a - 1 / n1c + 1 / c - 1 / n2c
        elif measure == "OR":
            yi = np.log(a * d / (b * c))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        else:
            p1, p2 = a / n1c, c / n2c
            yi = p1 - p2 if correct_rd_estimate else e1 / n1 - e2 / n2
            vi = p1 * (1 - p1) / n1c + p2 * (1 - p2) / n2c
    usable = kept & np.isfinite(yi) & np.isfinite(vi) & (vi > 0)
    for i in np.flatnonzero(kept & ~usable):
        notes[i] = "not estimable: zero variance (add a continuity correction)"
    yi = np.where(usable, yi, np.nan)
    vi = np.where(usable, vi, np.nan)
    return EffectSizes(yi, vi, usable, tuple(notes), add)


def peto_effects(e1: FloatArray, n1: FloatArray, e2: FloatArray, n2: FloatArray) -> EffectSizes:
    """Peto's one-step log odds ratio: yi = (O - E)/V, vi = 1/V (Yusuf et al. 1985)."""
    o_minus_e, v = peto_terms(e1, n1, e2, n2)
    notes = _notes(e1.size)
    usable = v > 0
    for i in np.flatnonzero(~usable):
        notes[i] = "not estimable: no events (or all events) in both arms"
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = np.where(usable, o_minus_e / v, np.nan)
        vi = np.where(usable, 1 / v, np.nan)
    return EffectSizes(yi, vi, usable, tuple(notes))


def peto_terms(
    e1: FloatArray, n1: FloatArray, e2: FloatArray, n2: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Observed minus expected events in arm 1 and the hypergeometric variance V."""
    total = n1 + n2
    events = e1 + e2
    expected = n1 * events / total
    v = n1 * n2 * events * (total - events) / (total**2 * (total - 1))
    return e1 - expected, v


#: Bounds on the analysis scale within which pooling cannot overflow. The solvers form, per
#: study, terms up to (w·r)² and w³·r² (REML's score and information), with w = 1/(vi + tau²)
#: <= 1/vi and r a difference of two estimates, and sum them over the studies. With
#: |yi| <= 1e50 and 1e-50 <= vi <= 1e50, every term is below 4e250, so sums over up to 1e50
#: studies stay below the largest double (1.8e308) and every reciprocal is a normal number.
#: No estimate on an analysis scale (log ratios, SMDs, mean differences in any unit) comes
#: near these bounds; values beyond them are unit or transcription errors.
MAX_ABS_ESTIMATE = 1e50
MIN_VARIANCE = 1e-50
MAX_VARIANCE = 1e50
#: Beyond this ratio of largest to smallest variance the largest-variance study's share of
#: Σw is below the rounding of Σw: its weight is 0 % and it changes nothing, while k still
#: counts it (metafor warns from 1e7, "Ratio of largest to smallest sampling variance
#: extremely large").
MAX_VARIANCE_RATIO = 1 / float(np.finfo(float).eps)


@dataclass(frozen=True)
class ScaleProblem:
    """The first study (position ``index``) whose ``field`` ('yi' or 'vi') pooling cannot use.

    ``rule`` completes "must …"; ``other`` is the study it was compared with, if any, and
    ``other_value`` that study's value.
    """

    index: int
    field: str
    value: float
    rule: str
    other: int | None = None
    other_value: float = float("nan")


def scale_problem(yi: FloatArray, vi: FloatArray, kept: BoolArray) -> ScaleProblem | None:
    """Check the kept studies against the bounds above (see :data:`MAX_ABS_ESTIMATE`)."""
    rows = np.flatnonzero(kept)
    y, v = (yi, vi) if rows.size == kept.size else (yi[rows], vi[rows])
    # NaN fails every comparison, so this one pass covers the finite checks too.
    inside = (np.abs(y) <= MAX_ABS_ESTIMATE) & (v >= MIN_VARIANCE) & (v <= MAX_VARIANCE)
    if inside.all() and (v.size < 2 or v.max() <= MAX_VARIANCE_RATIO * v.min()):
        return None
    checks = (
        ("yi", y, np.isfinite(y), "be a finite number"),
        ("vi", v, np.isfinite(v) & (v > 0), "be a finite number > 0"),
        ("yi", y, np.abs(y) <= MAX_ABS_ESTIMATE, f"lie within ±{MAX_ABS_ESTIMATE:g}"),
        ("vi", v, (v >= MIN_VARIANCE) & (v <= MAX_VARIANCE),
         f"lie within [{MIN_VARIANCE:g}, {MAX_VARIANCE:g}]"),
    )
    for name, values, ok, rule in checks:
        if not ok.all():
            j = int(np.flatnonzero(~ok)[0])
            return ScaleProblem(int(rows[j]), name, float(values[j]), rule)
    if v.size > 1:
        low, high = int(np.argmin(v)), int(np.argmax(v))
        if v[high] > MAX_VARIANCE_RATIO * v[low]:
            return ScaleProblem(
                int(rows[high]), "vi", float(v[high]),
                f"be at most {MAX_VARIANCE_RATIO:.1e} times the smallest variance",
                other=int(rows[low]), other_value=float(v[low]),
            )
    return None
