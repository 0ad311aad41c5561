"""Conversions of reported summary statistics to the means and SDs that meta-analysis needs.

Every function is vectorised: its array arguments are broadcast against each other (a scalar
``n`` or ``r`` applies to every entry) and the results have the broadcast shape. Inputs are
checked once, here; a bad value raises :class:`~evisynth.core.errors.InputError` naming the
argument, the value, where it is (``labels[i]`` when given, else its position) and the fix.

Medians, quartiles and ranges (normal data assumed; skewed data give biased estimates)
--------------------------------------------------------------------------------------

The papers number the three reporting scenarios differently:

======================================  ================================  =========  =========
reported                                function                          Wan 2014   Luo 2018
======================================  ================================  =========  =========
minimum, median, maximum                :func:`mean_sd_from_range`        C1         S1
minimum, q1, median, q3, maximum        :func:`mean_sd_from_five_numbers` C2         S3
q1, median, q3                          :func:`mean_sd_from_iqr`          C3         S2
======================================  ================================  =========  =========

- Wan X, Wang W, Liu J, Tong T (2014). Estimating the sample mean and standard deviation from
  the sample size, median, range and/or interquartile range. BMC Med Res Methodol 14:135.
- Luo D, Wan X, Liu J, Tong T (2018). Optimally estimating the sample mean from the sample
  size, median, mid-range, and/or mid-quartile range. Stat Methods Med Res 27(6):1785-1805.

The SDs use Wan et al.'s small-sample divisors in their closed form with normal quantiles,
ξ(n) = 2Φ⁻¹((n - 0.375)/(n + 0.25)) and η(n) = 2Φ⁻¹((0.75n - 0.125)/(n + 0.25)), for every n
(as the authors' own R package metaBLUE does). Wan et al.'s Tables 1 and 2 list the exact
expected values for n <= 50 (range) and n = 4Q + 1 <= 201 (IQR); R's ``meta`` package uses
those tables, so for n <= 50 its range-based SD differs from ours by up to 4.5 % (n = 2),
under 0.5 % from n = 10 on.

Standard errors, confidence intervals, t and p values (Cochrane Handbook, version 6.4)
--------------------------------------------------------------------------------------

Higgins JPT, Li T, Deeks JJ (editors). Chapter 6: Choosing effect measures and computing
estimates of effect, sections 6.5.2.2 (SD from the SE or CI of a group mean), 6.5.2.3 (SD from
the SE, CI, t or p value of a difference in means) and 6.5.2.8 (SDs of changes from baseline).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from evisynth.core.errors import InputError

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

MeanMethod = Literal["luo", "wan"]
CriticalDistribution = Literal["t", "normal"]

MEAN_METHODS: tuple[MeanMethod, ...] = ("luo", "wan")
CRITICAL_DISTRIBUTIONS: tuple[CriticalDistribution, ...] = ("t", "normal")


@dataclass(frozen=True)
class MeanSD:
    """Estimated sample mean and standard deviation, both of the broadcast input shape."""

    mean: FloatArray
    sd: FloatArray


@dataclass(frozen=True)
class DifferenceSpread:
    """SE of a difference in means and the within-group SD it implies (one SD for both arms)."""

    se: FloatArray
    sd: FloatArray


@dataclass(frozen=True)
class MeanChange:
    """Mean change from baseline (post - pre), its SD and the SE of the mean change."""

    mean: FloatArray
    sd: FloatArray
    se: FloatArray


# --- input checks -------------------------------------------------------------------------


def _arrays(labels: Sequence[str] | None, **named: ArrayLike) -> dict[str, FloatArray]:
    """Float arrays broadcast to one shape, all finite."""
    try:
        converted = {name: np.asarray(value, dtype=np.float64) for name, value in named.items()}
    except (TypeError, ValueError) as exc:
        raise InputError(f"every argument must be numeric ({exc}); check the column types") from exc
    try:
        shape = np.broadcast_shapes(*(a.shape for a in converted.values()))
    except ValueError as exc:
        shapes = ", ".join(f"{name} {a.shape}" for name, a in converted.items())
        raise InputError(
            f"the arguments have incompatible shapes ({shapes}); pass arrays of one length "
            "(scalars apply to every entry)"
        ) from exc
    arrays = {name: np.broadcast_to(a, shape) for name, a in converted.items()}
    if labels is not None and len(labels) != int(np.prod(shape)):
        raise InputError(
            f"'labels' has {len(labels)} entries for {int(np.prod(shape))} values; "
            "pass one label per entry"
        )
    for name, a in arrays.items():
        _require(
            name, a, np.isfinite(a), "a finite number", "fill in the value or leave the row out",
            labels,
        )
    return arrays


def _where(position: int, size: int, labels: Sequence[str] | None) -> str:
    if labels is not None:
        return f" in {labels[position]}"
    return f" at position {position}" if size > 1 else ""


def _first_bad(ok: BoolArray) -> int | None:
    bad = np.flatnonzero(~np.asarray(ok).ravel())
    return int(bad[0]) if bad.size else None


def _require(
    name: str,
    values: FloatArray,
    ok: BoolArray,
    rule: str,
    fix: str,
    labels: Sequence[str] | None,
) -> None:
    i = _first_bad(ok)
    if i is not None:
        value = float(values.ravel()[i])
        where = _where(i, values.size, labels)
        raise InputError(f"'{name}' must be {rule} (got {value:g}{where}); {fix}")


def _require_order(
    lower_name: str,
    lower: FloatArray,
    upper_name: str,
    upper: FloatArray,
    labels: Sequence[str] | None,
    *,
    strict: bool,
    fix: str,
) -> None:
    ok = lower < upper if strict else lower <= upper
    i = _first_bad(ok)
    if i is not None:
        relation = "<" if strict else "<="
        lo, hi = float(lower.ravel()[i]), float(upper.ravel()[i])
        where = _where(i, lower.size, labels)
        raise InputError(
            f"'{lower_name}' must be {relation} '{upper_name}' "
            f"(got {lower_name} = {lo:g} and {upper_name} = {hi:g}{where}); {fix}"
        )


def _require_n(name: str, n: FloatArray, labels: Sequence[str] | None) -> None:
    _require(name, n, n >= 2, ">= 2", "check the sample size (a mean needs two or more)", labels)


def _require_positive(name: str, values: FloatArray, labels: Sequence[str] | None) -> None:
    _require(name, values, values > 0, "> 0", "check the sign or the column mapping", labels)


def _require_correlation(name: str, r: FloatArray, labels: Sequence[str] | None) -> None:
    _require(
        name, r, (r >= -1) & (r <= 1), "in [-1, 1]",
        "a correlation lies between -1 and 1 (check it is not a percentage)", labels,
    )


def _require_choice(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise InputError(
            f"{name}={value!r} is not one of {', '.join(map(repr, allowed))}; pass one of those"
        )


def _require_level(level: float) -> None:
    if not 0 < level < 100:
        raise InputError(f"level={level!r} must be a percentage in (0, 100), e.g. 95")


# --- medians, quartiles and ranges ----------------------------------------------------------


def range_divisor(n: ArrayLike) -> FloatArray:
    """ξ(n) = 2Φ⁻¹((n - 0.375)/(n + 0.25)): the expected range of n standard normals.

    Wan et al. (2014), formula (9), Blom's approximation to 2E(Z₍ₙ₎) used in formula (7);
    an SD is estimated as range/ξ(n). ``n`` >= 2; the result has n's shape.
    """
    arrays = _arrays(None, n=n)
    _require_n("n", arrays["n"], None)
    return _xi(arrays["n"])


def iqr_divisor(n: ArrayLike) -> FloatArray:
    """η(n) = 2Φ⁻¹((0.75n - 0.125)/(n + 0.25)): the expected IQR of n standard normals.

    Wan et al. (2014), formula (16), used in formula (15); an SD is estimated as IQR/η(n).
    η(n) tends to 2Φ⁻¹(0.75) = 1.349 (the Handbook's "IQR/1.35") as n grows.
    """
    arrays = _arrays(None, n=n)
    _require_n("n", arrays["n"], None)
    return _eta(arrays["n"])


def _xi(n: FloatArray) -> FloatArray:
    return np.asarray(2 * stats.norm.ppf((n - 0.375) / (n + 0.25)), dtype=np.float64)


def _eta(n: FloatArray) -> FloatArray:
    return np.asarray(2 * stats.norm.ppf((0.75 * n - 0.125) / (n + 0.25)), dtype=np.float64)


_QUARTILE_FIX = "check that the quantiles are in the right columns and not swapped"


def mean_sd_from_range(
    minimum: ArrayLike,
    median: ArrayLike,
    maximum: ArrayLike,
    n: ArrayLike,
    *,
    mean_method: MeanMethod = "luo",
    labels: Sequence[str] | None = None,
) -> MeanSD:
    """Mean and SD from the minimum a, median m, maximum b and sample size n.

    SD = (b - a)/ξ(n) (Wan et al. 2014, formulas (7) and (9); see :func:`range_divisor`).

    Mean, ``mean_method="luo"`` (default; Luo et al. 2018, optimal estimator for S1):
    w(a + b)/2 + (1 - w)m with w = 4/(4 + n^0.75).
    ``mean_method="wan"``: (a + 2m + b)/4 + (a - 2m + b)/(4n), Hozo et al.'s (2005) estimator
    that Wan et al. (2014) keep for this scenario (their formula (2)). The two differ most
    for skewed data in large samples, where Luo's leans on the median.

    Requires a <= m <= b, a < b and n >= 2. ``labels`` name the entries in error messages.
    """
    _require_choice("mean_method", mean_method, MEAN_METHODS)
    x = _arrays(labels, minimum=minimum, median=median, maximum=maximum, n=n)
    a, m, b, size = x["minimum"], x["median"], x["maximum"], x["n"]
    _require_n("n", size, labels)
    _require_order("minimum", a, "median", m, labels, strict=False, fix=_QUARTILE_FIX)
    _require_order("median", m, "maximum", b, labels, strict=False, fix=_QUARTILE_FIX)
    _require_order(
        "minimum", a, "maximum", b, labels, strict=True,
        fix="a range of zero gives an SD of 0, which cannot be analysed",
    )
    if mean_method == "luo":
        w = 4 / (4 + size**0.75)
        mean = w * (a + b) / 2 + (1 - w) * m
    else:
        mean = (a + 2 * m + b) / 4 + (a - 2 * m + b) / (4 * size)
    return MeanSD(mean=np.asarray(mean), sd=np.asarray((b - a) / _xi(size)))


def mean_sd_from_iqr(
    q1: ArrayLike,
    median: ArrayLike,
    q3: ArrayLike,
    n: ArrayLike,
    *,
    mean_method: MeanMethod = "luo",
    labels: Sequence[str] | None = None,
) -> MeanSD:
    """Mean and SD from the first quartile q1, median m, third quartile q3 and sample size n.

    SD = (q3 - q1)/η(n) (Wan et al. 2014, formulas (15) and (16); see :func:`iqr_divisor`).

    Mean, ``mean_method="luo"`` (default; Luo et al. 2018, optimal estimator for S2):
    w(q1 + q3)/2 + (1 - w)m with w = 0.7 + 0.39/n.
    ``mean_method="wan"``: (q1 + m + q3)/3 (Wan et al. 2014, formula (14)).

    Requires q1 <= m <= q3, q1 < q3 and n >= 2. ``labels`` name the entries in error messages.
    """
    _require_choice("mean_method", mean_method, MEAN_METHODS)
    x = _arrays(labels, q1=q1, median=median, q3=q3, n=n)
    lower, m, upper, size = x["q1"], x["median"], x["q3"], x["n"]
    _require_n("n", size, labels)
    _require_order("q1", lower, "median", m, labels, strict=False, fix=_QUARTILE_FIX)
    _require_order("median", m, "q3", upper, labels, strict=False, fix=_QUARTILE_FIX)
    _require_order(
        "q1", lower, "q3", upper, labels, strict=True,
        fix="an IQR of zero gives an SD of 0, which cannot be analysed",
    )
    if mean_method == "luo":
        w = 0.7 + 0.39 / size
        mean = w * (lower + upper) / 2 + (1 - w) * m
    else:
        mean = (lower + m + upper) / 3
    return MeanSD(mean=np.asarray(mean), sd=np.asarray((upper - lower) / _eta(size)))


def mean_sd_from_five_numbers(
    minimum: ArrayLike,
    q1: ArrayLike,
    median: ArrayLike,
    q3: ArrayLike,
    maximum: ArrayLike,
    n: ArrayLike,
    *,
    mean_method: MeanMethod = "luo",
    labels: Sequence[str] | None = None,
) -> MeanSD:
    """Mean and SD from the minimum a, quartiles q1 and q3, median m, maximum b and size n.

    SD = (b - a)/(2ξ(n)) + (q3 - q1)/(2η(n)) (Wan et al. 2014, formulas (12) and (13)).
    (Shi et al. 2020, Res Synth Methods 11:641, later proposed n-dependent weights; not
    implemented here.)

    Mean, ``mean_method="luo"`` (default; Luo et al. 2018, optimal estimator for S3):
    w₁(a + b)/2 + w₂(q1 + q3)/2 + (1 - w₁ - w₂)m with w₁ = 2.2/(2.2 + n^0.75) and
    w₂ = 0.7 - 0.72/n^0.55.
    ``mean_method="wan"``: (a + 2q1 + 2m + 2q3 + b)/8 (Wan et al. 2014, formula (10)).

    Requires a <= q1 <= m <= q3 <= b, q1 < q3 and n >= 2. ``labels`` name the entries in error
    messages.
    """
    _require_choice("mean_method", mean_method, MEAN_METHODS)
    x = _arrays(labels, minimum=minimum, q1=q1, median=median, q3=q3, maximum=maximum, n=n)
    a, lower, m, upper, b, size = (
        x["minimum"], x["q1"], x["median"], x["q3"], x["maximum"], x["n"],
    )
    _require_n("n", size, labels)
    _require_order("minimum", a, "q1", lower, labels, strict=False, fix=_QUARTILE_FIX)
    _require_order("q1", lower, "median", m, labels, strict=False, fix=_QUARTILE_FIX)
    _require_order("median", m, "q3", upper, labels, strict=False, fix=_QUARTILE_FIX)
    _require_order("q3", upper, "maximum", b, labels, strict=False, fix=_QUARTILE_FIX)
    _require_order(
        "q1", lower, "q3", upper, labels, strict=True,
        fix="an IQR of zero cannot be converted to an SD",
    )
    if mean_method == "luo":
        w1 = 2.2 / (2.2 + size**0.75)
        w2 = 0.7 - 0.72 / size**0.55
        mean = w1 * (a + b) / 2 + w2 * (lower + upper) / 2 + (1 - w1 - w2) * m
    else:
        mean = (a + 2 * lower + 2 * m + 2 * upper + b) / 8
    sd = (b - a) / (2 * _xi(size)) + (upper - lower) / (2 * _eta(size))
    return MeanSD(mean=np.asarray(mean), sd=np.asarray(sd))


# --- standard errors, confidence intervals, t and p values ---------------------------------


def critical_value(
    level: float, df: ArrayLike, *, distribution: CriticalDistribution = "t"
) -> FloatArray:
    """Two-sided critical value for a ``level`` percent interval: t with ``df`` or normal.

    For 95 % the normal value is 1.96 (the Handbook's 3.92 = 2 × 1.96); t with 24 df gives
    2.064 (Handbook 6.5.2.2). ``df`` is ignored by ``distribution="normal"`` but still shapes
    the result.
    """
    _require_level(level)
    _require_choice("distribution", distribution, CRITICAL_DISTRIBUTIONS)
    d = _arrays(None, df=df)["df"]
    upper = 1 - (1 - level / 100) / 2
    if distribution == "normal":
        return np.full(d.shape, float(stats.norm.ppf(upper)))
    _require("df", d, d > 0, "> 0", "check the sample sizes", None)
    return np.asarray(stats.t.ppf(upper, d), dtype=np.float64)


def sd_from_se(
    se: ArrayLike, n: ArrayLike, *, labels: Sequence[str] | None = None
) -> FloatArray:
    """SD = SE × √n from the standard error of a group mean (Cochrane Handbook 6.5.2.2).

    Requires se > 0 and n >= 2. ``labels`` name the entries in error messages.
    """
    x = _arrays(labels, se=se, n=n)
    _require_positive("se", x["se"], labels)
    _require_n("n", x["n"], labels)
    return np.asarray(x["se"] * np.sqrt(x["n"]))


def sd_from_ci(
    ci_low: ArrayLike,
    ci_high: ArrayLike,
    n: ArrayLike,
    *,
    level: float = 95.0,
    distribution: CriticalDistribution = "t",
    labels: Sequence[str] | None = None,
) -> FloatArray:
    """SD from a confidence interval of a group mean (Cochrane Handbook 6.5.2.2).

    SD = √n × (ci_high - ci_low)/(2c), where c is the two-sided critical value for ``level``:
    ``distribution="t"`` (default) uses t with n - 1 df, as the Handbook advises for small
    samples (2 × 2.064 = 4.128 for n = 25); ``"normal"`` uses 1.96 for 95 % (the Handbook's
    3.92, fine above about 100 per group). Choosing "normal" for small samples gives larger
    SDs. Assumes the interval is symmetric about the mean.

    Requires ci_low < ci_high and n >= 2. ``labels`` name the entries in error messages.
    """
    _require_level(level)
    _require_choice("distribution", distribution, CRITICAL_DISTRIBUTIONS)
    x = _arrays(labels, ci_low=ci_low, ci_high=ci_high, n=n)
    _require_n("n", x["n"], labels)
    _require_order(
        "ci_low", x["ci_low"], "ci_high", x["ci_high"], labels, strict=True,
        fix="check that the limits are not swapped or equal",
    )
    c = critical_value(level, x["n"] - 1, distribution=distribution)
    return np.asarray(np.sqrt(x["n"]) * (x["ci_high"] - x["ci_low"]) / (2 * c))


def t_from_p(p: ArrayLike, df: ArrayLike, *, labels: Sequence[str] | None = None) -> FloatArray:
    """|t| whose two-sided p value with ``df`` degrees of freedom is ``p`` (Handbook 6.5.2.3).

    t = F⁻¹(1 - p/2) for Student's t with ``df`` df (Excel's ``TINV(p, df)``). For a reported
    "p < 0.05", passing the limit 0.05 is the Handbook's conservative choice.
    """
    x = _arrays(labels, p=p, df=df)
    _require(
        "p", x["p"], (x["p"] > 0) & (x["p"] < 1), "in (0, 1)",
        "pass the two-sided p value as a proportion (0.008, not 0.8 %)", labels,
    )
    _require("df", x["df"], x["df"] > 0, "> 0", "check the sample sizes", labels)
    return np.asarray(stats.t.isf(x["p"] / 2, x["df"]), dtype=np.float64)


def _spread(se: FloatArray, n1: FloatArray, n2: FloatArray) -> DifferenceSpread:
    return DifferenceSpread(se=np.asarray(se), sd=np.asarray(se / np.sqrt(1 / n1 + 1 / n2)))


def difference_spread_from_t(
    mean_difference: ArrayLike,
    t: ArrayLike,
    n1: ArrayLike,
    n2: ArrayLike,
    *,
    labels: Sequence[str] | None = None,
) -> DifferenceSpread:
    """SE of a difference in means and the pooled SD from a two-sample t statistic.

    SE = |MD/t| and SD = SE/√(1/n1 + 1/n2) (Cochrane Handbook 6.5.2.3); the SD is the one
    within-group SD both arms share under the t test's equal-variance assumption.

    Requires MD != 0, t != 0 and n1, n2 >= 2. ``labels`` name the entries in error messages.
    """
    x = _arrays(labels, mean_difference=mean_difference, t=t, n1=n1, n2=n2)
    md, t_value = x["mean_difference"], x["t"]
    _require(
        "mean_difference", md, md != 0, "non-zero",
        "a zero difference carries no information on its SE; use another statistic", labels,
    )
    _require("t", t_value, t_value != 0, "non-zero", "check the column mapping", labels)
    _require_n("n1", x["n1"], labels)
    _require_n("n2", x["n2"], labels)
    return _spread(np.abs(md / t_value), x["n1"], x["n2"])


def difference_spread_from_p(
    mean_difference: ArrayLike,
    p: ArrayLike,
    n1: ArrayLike,
    n2: ArrayLike,
    *,
    labels: Sequence[str] | None = None,
) -> DifferenceSpread:
    """SE of a difference in means and the pooled SD from the two-sided p value of a t test.

    t = :func:`t_from_p` (p, n1 + n2 - 2), then as :func:`difference_spread_from_t`
    (Cochrane Handbook 6.5.2.3). An exact p value is needed; "p = NS" cannot be converted.

    Requires MD != 0, 0 < p < 1 and n1, n2 >= 2. ``labels`` name the entries in error messages.
    """
    x = _arrays(labels, mean_difference=mean_difference, p=p, n1=n1, n2=n2)
    _require_n("n1", x["n1"], labels)
    _require_n("n2", x["n2"], labels)
    t = t_from_p(x["p"], x["n1"] + x["n2"] - 2, labels=labels)
    return difference_spread_from_t(x["mean_difference"], t, x["n1"], x["n2"], labels=labels)


def difference_spread_from_ci(
    ci_low: ArrayLike,
    ci_high: ArrayLike,
    n1: ArrayLike,
    n2: ArrayLike,
    *,
    level: float = 95.0,
    distribution: CriticalDistribution = "t",
    labels: Sequence[str] | None = None,
) -> DifferenceSpread:
    """SE of a difference in means and the pooled SD from its confidence interval.

    SE = (ci_high - ci_low)/(2c) with c from t with n1 + n2 - 2 df (default) or the normal
    distribution (3.92 = 2 × 1.96 for 95 %), and SD = SE/√(1/n1 + 1/n2)
    (Cochrane Handbook 6.5.2.3).

    Requires ci_low < ci_high and n1, n2 >= 2. ``labels`` name the entries in error messages.
    """
    _require_level(level)
    _require_choice("distribution", distribution, CRITICAL_DISTRIBUTIONS)
    x = _arrays(labels, ci_low=ci_low, ci_high=ci_high, n1=n1, n2=n2)
    _require_n("n1", x["n1"], labels)
    _require_n("n2", x["n2"], labels)
    _require_order(
        "ci_low", x["ci_low"], "ci_high", x["ci_high"], labels, strict=True,
        fix="check that the limits are not swapped or equal",
    )
    c = critical_value(level, x["n1"] + x["n2"] - 2, distribution=distribution)
    return _spread((x["ci_high"] - x["ci_low"]) / (2 * c), x["n1"], x["n2"])


# --- changes from baseline -----------------------------------------------------------------


def change_sd(
    sd_pre: ArrayLike,
    sd_post: ArrayLike,
    r: ArrayLike,
    *,
    labels: Sequence[str] | None = None,
) -> FloatArray:
    """SD of the change from baseline given the baseline and final SDs and their correlation.

    SD_change = √(SD_pre² + SD_post² - 2·r·SD_pre·SD_post) (Cochrane Handbook 6.5.2.8;
    Follmann et al. 1992). The result is 0 only when r = 1 and the two SDs are equal.

    Requires sd_pre, sd_post > 0 and -1 <= r <= 1. ``labels`` name the entries in error
    messages.
    """
    x = _arrays(labels, sd_pre=sd_pre, sd_post=sd_post, r=r)
    _require_positive("sd_pre", x["sd_pre"], labels)
    _require_positive("sd_post", x["sd_post"], labels)
    _require_correlation("r", x["r"], labels)
    pre, post, corr = x["sd_pre"], x["sd_post"], x["r"]
    # (pre - post)² + 2(1 - r)·pre·post: the same quantity, never negative by rounding.
    variance = (pre - post) ** 2 + 2 * (1 - corr) * pre * post
    return np.asarray(np.sqrt(variance))


def change_correlation(
    sd_pre: ArrayLike,
    sd_post: ArrayLike,
    sd_change: ArrayLike,
    *,
    labels: Sequence[str] | None = None,
) -> FloatArray:
    """Correlation between baseline and final values implied by three reported SDs.

    r = (SD_pre² + SD_post² - SD_change²)/(2·SD_pre·SD_post) (Cochrane Handbook 6.5.2.8), the
    inverse of :func:`change_sd`; a study reporting all three SDs supplies a correlation to
    impute in studies that do not (with a sensitivity analysis over other values).

    Requires all three SDs > 0 and |SD_pre - SD_post| <= SD_change <= SD_pre + SD_post (else
    the implied r lies outside [-1, 1]). ``labels`` name the entries in error messages.
    """
    x = _arrays(labels, sd_pre=sd_pre, sd_post=sd_post, sd_change=sd_change)
    pre, post, change = x["sd_pre"], x["sd_post"], x["sd_change"]
    _require_positive("sd_pre", pre, labels)
    _require_positive("sd_post", post, labels)
    _require_positive("sd_change", change, labels)
    r = (pre**2 + post**2 - change**2) / (2 * pre * post)
    _require(
        "the implied correlation", r, (r >= -1) & (r <= 1), "in [-1, 1]",
        "the three SDs are inconsistent; check that 'sd_change' is the SD of the changes, "
        "not their SE", labels,
    )
    return np.asarray(r)


def pre_post_change(
    m_pre: ArrayLike,
    sd_pre: ArrayLike,
    m_post: ArrayLike,
    sd_post: ArrayLike,
    n: ArrayLike,
    r: ArrayLike,
    *,
    labels: Sequence[str] | None = None,
) -> MeanChange:
    """Single-group mean change (post - pre), its SD and the SE of the mean change.

    mean = m_post - m_pre; SD from :func:`change_sd` (Cochrane Handbook 6.5.2.8); SE = SD/√n,
    the SE of metafor's ``escalc(measure="MC")``.

    Requires SDs > 0, -1 <= r <= 1 and n >= 2. ``labels`` name the entries in error messages.
    """
    x = _arrays(labels, m_pre=m_pre, sd_pre=sd_pre, m_post=m_post, sd_post=sd_post, n=n, r=r)
    _require_n("n", x["n"], labels)
    sd = change_sd(x["sd_pre"], x["sd_post"], x["r"], labels=labels)
    return MeanChange(
        mean=np.asarray(x["m_post"] - x["m_pre"]), sd=sd, se=np.asarray(sd / np.sqrt(x["n"]))
    )
