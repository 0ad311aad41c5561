"""Between-study variance (tau²) estimators, batched over many analyses at once.

Rows belong to analyses through ``seg`` (integer ids 0..n_seg-1). Every estimator returns
one tau² per analysis, never negative. Closed forms (DL, HE, SJ) are segment sums; the
iterative ones (REML, ML, PM) run a batched 1-D solver in which analyses that have
converged drop out of the working arrays, so the cost falls as the batch converges.

Formulas are those of metafor's ``rma.uni`` (Viechtbauer 2005, 2007) for the
intercept-only model:

- DL (DerSimonian & Laird 1986): (Q - (k-1)) / (Σw - Σw²/Σw), w = 1/vi.
- HE (Hedges 1983): Σ(y - ȳ)²/(k-1) - Σvi/k.
- SJ (Sidik & Jonkman 2005): τ0²·Q(τ0²)/(k-1) with τ0² = var(y)(k-1)/k.
- PM (Paule & Mandel 1982): the root of the generalised Q, Q(τ²) = k - 1.
- ML, REML: Fisher scoring from max(0, HE), with metafor's step halving at zero and
  its check that tau² = 0 does not have the higher likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

Tau2Method = Literal["DL", "REML", "PM", "ML", "HE", "SJ"]
TAU2_METHODS: tuple[str, ...] = ("DL", "REML", "PM", "ML", "HE", "SJ")

#: Convergence: the change in tau² must fall below this fraction of (typical vi + tau²).
DEFAULT_TOLERANCE = 1e-10
DEFAULT_MAX_ITERATIONS = 1000
#: Plain Fisher scoring steps (metafor's default maxiter) before the bracketed fallback.
_PLAIN_ITERATIONS = 100
#: metafor's ``con$tol`` (.Machine$double.eps^0.25) for the likelihood check at tau² = 0.
_LL0_TOLERANCE = float(np.finfo(float).eps ** 0.25)


@dataclass(frozen=True)
class Tau2Fit:
    """tau² per analysis, with the solver's convergence flag and iteration count."""

    tau2: FloatArray
    converged: BoolArray
    iterations: IntArray


def segment_sum(seg: IntArray, n_seg: int, x: FloatArray) -> FloatArray:
    """Sum of ``x`` within each segment (``np.bincount`` with weights)."""
    # with weights, bincount returns float64 (numpy's stubs say int)
    return np.bincount(seg, weights=x, minlength=n_seg)  # type: ignore[return-value]


def segment_count(seg: IntArray, n_seg: int) -> FloatArray:
    return np.bincount(seg, minlength=n_seg).astype(np.float64)


def _weighted_fit(
    y: FloatArray, v: FloatArray, seg: IntArray, n_seg: int, tau2: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Weights 1/(v + tau²), their segment sums, and residuals around the weighted mean."""
    w = 1.0 / (v + tau2[seg])
    sw = segment_sum(seg, n_seg, w)
    mu = segment_sum(seg, n_seg, w * y) / sw
    return w, sw, y - mu[seg]


def generalized_q(
    y: FloatArray, v: FloatArray, seg: IntArray, n_seg: int, tau2: FloatArray
) -> FloatArray:
    """Q(τ²) = Σ (y - μ̂)²/(v + τ²), μ̂ the weighted mean at τ²."""
    w, _, r = _weighted_fit(y, v, seg, n_seg, tau2)
    return segment_sum(seg, n_seg, w * r * r)


def typical_variance(
    w: FloatArray, sw: FloatArray, k: FloatArray, seg: IntArray, n_seg: int
) -> FloatArray:
    """metafor's 'typical' within-study variance (k-1)/(Σw - Σw²/Σw) (Higgins 2002).

    ``w`` = 1/v per row, ``sw`` its segment sums and ``k`` the segment sizes, which the
    callers already have. For k = 1 it is 0/0: callers ignore numpy's divide/invalid warnings.
    """
    sw2 = segment_sum(seg, n_seg, w * w)
    return (k - 1) / (sw - sw2 / sw)


def dersimonian_laird(
    q: FloatArray, v: FloatArray, seg: IntArray, n_seg: int
) -> FloatArray:
    """DL from a Q statistic (which may be centred on an MH estimate, as RevMan does)."""
    w = 1.0 / v
    sw = segment_sum(seg, n_seg, w)
    c = sw - segment_sum(seg, n_seg, w * w) / sw
    k = segment_count(seg, n_seg)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau2 = (q - (k - 1)) / c
    return np.where((k > 1) & (tau2 > 0), tau2, 0.0)


def _hedges(
    y: FloatArray, v: FloatArray, seg: IntArray, n_seg: int, k: FloatArray | None = None
) -> FloatArray:
    """Hedges' tau²; ``k`` (the segment sizes) when the caller has it."""
    k = segment_count(seg, n_seg) if k is None else k
    ybar = segment_sum(seg, n_seg, y) / k
    rss = segment_sum(seg, n_seg, (y - ybar[seg]) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau2 = rss / (k - 1) - segment_sum(seg, n_seg, v) / k
    return np.where((k > 1) & (tau2 > 0), tau2, 0.0)


def _sidik_jonkman(y: FloatArray, v: FloatArray, seg: IntArray, n_seg: int) -> FloatArray:
    k = segment_count(seg, n_seg)
    ybar = segment_sum(seg, n_seg, y) / k
    tau0 = segment_sum(seg, n_seg, (y - ybar[seg]) ** 2) / k
    q = generalized_q(y, v, seg, n_seg, tau0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau2 = tau0 * q / (k - 1)
    return np.where((k > 1) & (tau2 > 0), tau2, 0.0)


class _Working:
    """Rows of the analyses still being solved, renumbered 0..len(active)-1."""

    def __init__(self, y: FloatArray, v: FloatArray, seg: IntArray, n_seg: int) -> None:
        self.y, self.v, self.seg = y, v, seg
        self.active: IntArray = np.arange(n_seg)
        self.n = n_seg

    def keep(self, still_active: BoolArray) -> None:
        if still_active.all():
            return
        if not still_active.any():  # the usual end: every analysis converged
            self.y, self.v, self.seg = self.y[:0], self.v[:0], self.seg[:0]
            self.active, self.n = self.active[:0], 0
            return
        rows = still_active[self.seg]
        renumber = np.cumsum(still_active) - 1
        self.y, self.v = self.y[rows], self.v[rows]
        self.seg = renumber[self.seg[rows]]
        self.active = self.active[still_active]
        self.n = int(self.active.size)


def _score(
    work: _Working, t: FloatArray, *, restricted: bool
) -> tuple[FloatArray, FloatArray]:
    """Twice the (restricted) likelihood's derivative in τ², and the information for a step.

    The score is y'PPy - tr(P) (REML) or y'PPy - Σw (ML). The information is the observed
    one, 2y'PPPy - tr(PP) (REML) or 2y'PPPy - Σw² (ML), where the likelihood is concave
    there (Newton–Raphson: quadratic convergence), else the expected one, tr(PP) or Σw²
    (Fisher scoring, as metafor). Both iterate to the same root of the score.
    """
    seg, n = work.seg, work.n
    w, sw, r = _weighted_fit(work.y, work.v, seg, n, t)
    w2 = w * w
    sw2 = segment_sum(seg, n, w2)
    wr = w2 * r
    wrr = wr * r
    wr2 = segment_sum(seg, n, wrr)
    # y'PPPy = u'Pu with u = Py = w·r
    upu = segment_sum(seg, n, wrr * w) - segment_sum(seg, n, wr) ** 2 / sw
    if restricted:
        sw3 = segment_sum(seg, n, w2 * w)
        sw2_sw = sw2 / sw
        score = wr2 - (sw - sw2_sw)
        expected = sw2 - 2 * sw3 / sw + sw2_sw**2
    else:
        score, expected = wr2 - sw, sw2
    observed = 2 * upu - expected
    return score, np.where(observed > 0, observed, expected)


def _fisher_scoring(
    y: FloatArray,
    v: FloatArray,
    seg: IntArray,
    n_seg: int,
    *,
    restricted: bool,
    tolerance: float,
    max_iterations: int,
) -> Tau2Fit:
    """metafor's Fisher scoring, then a bracketed version for the analyses it leaves.

    Plain Fisher scoring (from max(0, HE), step halving at zero) can cycle; metafor then
    stops with an error. Analyses still unconverged after :data:`_PLAIN_ITERATIONS` are
    solved by the same steps kept inside a bracket [lo, hi] with score(lo) > 0 > score(hi)
    (bisection when a step leaves it), which always converges to a local maximum; when the
    score at 0 is not positive, 0 is that maximum.
    """
    k = segment_count(seg, n_seg)
    tau2 = _hedges(y, v, seg, n_seg, k)
    scale = segment_sum(seg, n_seg, v) / k
    converged = k <= 1
    iterations = np.zeros(n_seg, dtype=np.intp)
    work = _Working(y, v, seg, n_seg)
    work.keep(~converged)
    plain = min(max_iterations, _PLAIN_ITERATIONS)
    active = work.active
    t = tau2[active]
    scale_active = scale[active]
    for iteration in range(1, plain + 1):
        if work.n == 0:
            break
        score, info = _score(work, t, restricted=restricted)
        ratio = score / info
        step = np.where(np.isfinite(ratio), ratio, 0.0)
        moved = t + step
        below = moved < 0
        if np.count_nonzero(below):
            # metafor halves the step until tau² stays >= 0; from tau² = 0 it stays there.
            with np.errstate(divide="ignore", invalid="ignore"):
                halvings = np.ceil(np.log2(-step / t))
                step = np.where(below, np.where(t > 0, step / 2.0**halvings, 0.0), step)
            moved = t + step
        new = np.maximum(moved, 0.0)
        done = np.abs(new - t) <= tolerance * (scale_active + new)
        if np.count_nonzero(done):
            finished = active[done]
            tau2[finished] = new[done]
            converged[finished] = True
            iterations[finished] = iteration
            still = ~done
            work.keep(still)
            active, t, scale_active = work.active, new[still], scale_active[still]
        else:
            t = new
    if work.n:
        tau2[active] = t
        iterations[active] = plain
        _bracketed_scoring(work, tau2, converged, iterations, scale, restricted=restricted,
                           tolerance=tolerance, max_iterations=max_iterations - plain)
    tau2 = _likelihood_check_at_zero(y, v, seg, n_seg, tau2, restricted=restricted)
    return Tau2Fit(tau2, converged, iterations)


def _bracketed_scoring(
    work: _Working,
    tau2: FloatArray,
    converged: BoolArray,
    iterations: IntArray,
    scale: FloatArray,
    *,
    restricted: bool,
    tolerance: float,
    max_iterations: int,
) -> None:
    """Safeguarded Fisher scoring for the analyses in ``work``; updates the arrays in place."""
    zero = np.zeros(work.n)
    score0, _ = _score(work, zero, restricted=restricted)
    at_zero = ~(score0 > 0)
    tau2[work.active[at_zero]] = 0.0
    converged[work.active[at_zero]] = True
    work.keep(~at_zero)
    # An upper end with a negative score: the spread of the estimates bounds tau².
    k = segment_count(work.seg, work.n)
    ybar = segment_sum(work.seg, work.n, work.y) / k
    hi = 2 * segment_sum(work.seg, work.n, (work.y - ybar[work.seg]) ** 2) / (k - 1) + scale[
        work.active
    ]
    for _ in range(200):
        score_hi, _ = _score(work, hi, restricted=restricted)
        if not (score_hi >= 0).any():
            break
        hi = np.where(score_hi >= 0, 2 * hi, hi)
    lo = np.zeros(work.n)
    t = np.clip(tau2[work.active], lo, hi)
    t = np.where((t <= lo) | (t >= hi), 0.5 * (lo + hi), t)
    for iteration in range(max_iterations):
        if work.n == 0:
            return
        score, info = _score(work, t, restricted=restricted)
        lo = np.where(score > 0, t, lo)
        hi = np.where(score > 0, hi, t)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = t + score / info
        # Scoring steps can shrink the bracket slowly; every third step bisects it.
        bisect = ~np.isfinite(new) | (new <= lo) | (new >= hi) | (iteration % 3 == 2)
        new = np.where(score == 0, t, np.where(bisect, 0.5 * (lo + hi), new))
        width = tolerance * (scale[work.active] + new)
        done = (np.abs(new - t) <= width) | (hi - lo <= width) | (score == 0)
        tau2[work.active] = new
        iterations[work.active] += 1
        converged[work.active[done]] = True
        still = ~done
        work.keep(still)
        lo, hi, t = lo[still], hi[still], new[still]


def _log_likelihood(
    y: FloatArray, v: FloatArray, seg: IntArray, n_seg: int, tau2: FloatArray, *, restricted: bool
) -> FloatArray:
    w, sw, r = _weighted_fit(y, v, seg, n_seg, tau2)
    ll = -0.5 * segment_sum(seg, n_seg, np.log(v + tau2[seg])) - 0.5 * segment_sum(
        seg, n_seg, w * r * r
    )
    return ll - 0.5 * np.log(sw) if restricted else ll


def _likelihood_check_at_zero(
    y: FloatArray, v: FloatArray, seg: IntArray, n_seg: int, tau2: FloatArray, *, restricted: bool
) -> FloatArray:
    """metafor's ``ll0check``: fall back to 0 when it has the clearly higher likelihood."""
    # Both likelihoods in one pass: the rows twice, the second copy at tau² = 0.
    both = _log_likelihood(
        np.concatenate([y, y]), np.concatenate([v, v]), np.concatenate([seg, seg + n_seg]),
        2 * n_seg, np.concatenate([tau2, np.zeros(n_seg)]), restricted=restricted,
    )
    at_fit, at_zero = both[:n_seg], both[n_seg:]
    return np.where((at_zero - at_fit > _LL0_TOLERANCE) & (tau2 > 1e-5), 0.0, tau2)


def solve_generalized_q(
    y: FloatArray,
    v: FloatArray,
    seg: IntArray,
    n_seg: int,
    target: FloatArray,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
) -> Tau2Fit:
    """The τ² >= 0 at which the generalised Q equals ``target`` (0 when Q(0) <= target).

    Q(τ²) decreases in τ² (Viechtbauer 2007), so the root is unique. Safeguarded Newton on
    1/Q (dQ/dτ² = -Σw²r²) inside a bracket [lo, hi] with hi = Σ(y - ȳ)²/target, where
    Q(hi) <= target because Q(τ²) <= Σ(y - ȳ)²/τ². Used for Paule–Mandel (target k - 1)
    and for the Q-profile confidence interval (chi-square quantiles).
    """
    k = segment_count(seg, n_seg)
    scale = segment_sum(seg, n_seg, v) / k
    q0 = generalized_q(y, v, seg, n_seg, np.zeros(n_seg))
    needs_root = (q0 > target) & (k > 1) & np.isfinite(target)
    tau2 = np.zeros(n_seg)
    converged = ~needs_root
    iterations = np.zeros(n_seg, dtype=np.intp)
    ybar = segment_sum(seg, n_seg, y) / k
    spread = segment_sum(seg, n_seg, (y - ybar[seg]) ** 2)
    work = _Working(y, v, seg, n_seg)
    work.keep(needs_root)
    lo = np.zeros(work.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        hi = spread[work.active] / target[work.active] * (1 + 1e-9) + 1e-300
        # Start where Q would reach the target if all variances were equal (then exact):
        # Q(τ²) = Q(0)·v/(v + τ²), with v the typical within-study variance.
        w0 = 1.0 / v
        vt = typical_variance(w0, segment_sum(seg, n_seg, w0), k, seg, n_seg)[work.active]
        t = vt * (q0[work.active] / target[work.active] - 1)
    t = np.where(np.isfinite(t) & (t > 0) & (t < hi), t, 0.5 * hi)
    for iteration in range(1, max_iterations + 1):
        if work.n == 0:
            break
        w, _, r = _weighted_fit(work.y, work.v, work.seg, work.n, t)
        f = segment_sum(work.seg, work.n, w * r * r) - target[work.active]
        slope = segment_sum(work.seg, work.n, (w * r) ** 2)
        lo = np.where(f > 0, t, lo)
        hi = np.where(f > 0, hi, t)
        # Newton on 1/Q, which is close to linear in τ² (exactly so for equal variances).
        with np.errstate(divide="ignore", invalid="ignore"):
            q = f + target[work.active]
            new = t + q * f / (target[work.active] * slope)
        outside = ~np.isfinite(new) | (new <= lo) | (new >= hi)
        new = np.where(f == 0, t, np.where(outside, 0.5 * (lo + hi), new))
        done = (np.abs(new - t) <= tolerance * (scale[work.active] + new)) | (f == 0)
        tau2[work.active] = new
        iterations[work.active] = iteration
        converged[work.active[done]] = True
        still = ~done
        work.keep(still)
        lo, hi, t = lo[still], hi[still], new[still]
    return Tau2Fit(tau2, converged, iterations)


def estimate_tau2(
    method: Tau2Method,
    y: FloatArray,
    v: FloatArray,
    seg: IntArray,
    n_seg: int,
    *,
    q: FloatArray,
    tolerance: float = DEFAULT_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
) -> Tau2Fit:
    """tau² for every analysis; ``q`` is the heterogeneity statistic DL starts from."""
    if method in ("DL", "HE", "SJ"):
        if method == "DL":
            tau2 = dersimonian_laird(q, v, seg, n_seg)
        else:
            tau2 = (_hedges if method == "HE" else _sidik_jonkman)(y, v, seg, n_seg)
        return Tau2Fit(tau2, np.ones(n_seg, dtype=bool), np.zeros(n_seg, np.intp))
    if method == "PM":
        k = segment_count(seg, n_seg)
        return solve_generalized_q(
            y, v, seg, n_seg, k - 1, tolerance=tolerance, max_iterations=max_iterations
        )
    return _fisher_scoring(
        y,
        v,
        seg,
        n_seg,
        restricted=method == "REML",
        tolerance=tolerance,
        max_iterations=max_iterations,
    )
