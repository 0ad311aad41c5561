"""When may screening stop? How many relevant records may remain?

The rule is the hypergeometric stopping test of Callaghan & Müller-Hansen (2020),
"Statistical stopping criteria for automated screening in systematic reviews", Systematic
Reviews 9:273, doi:10.1186/s13643-020-01521-4 (their ``buscarpy.calculate_h0``):

Treat the last n screened records as a random sample ("urn") drawn without replacement from
those n plus the U records not yet screened. With r_seen relevant records found so far and
k of them in the last n, the null hypothesis "recall is below the target τ" needs at least
K̂ = ⌊r_seen / τ + 1 − (r_seen − k)⌋ relevant records in that population. Its p value is the
hypergeometric probability of seeing k or fewer relevant in n draws,
P(X ≤ k | population n + U, K̂ relevant, n draws); the test takes the smallest p over all
n = 1 … screened. **Stop when p < α** (α = 0.05: recall ≥ τ with 95 % confidence).

The same urns give an upper confidence bound on the relevant records still unscreened: for
each urn the largest R with P(X ≤ k | n + U, k + R, n) ≥ α, minimised over the urns. The test
rejects exactly when that bound is below ⌊r_seen / τ⌋ + 1 − r_seen, so "stop" and "at most
``remaining_upper`` relevant records remain (95 %)" say the same thing.

Assumption and risk: the urn is treated as a random sample of what is left, whereas a ranker
puts likely-relevant records first, so the last records screened are *richer* in relevant
ones than the rest — which makes the test conservative (it stops later than needed), not
optimistic. It does assume that the team screened the records in the order given and did not
skip around. The point estimate ``remaining_expected`` (relevant rate among the last
``window`` screened × unscreened) carries the same pessimism and is meant as a guide only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import hypergeom

from evisynth.core.errors import InputError


@dataclass(frozen=True)
class StoppingEstimate:
    """The stopping test after ``n_screened`` of ``n_records`` records."""

    n_records: int
    n_screened: int
    n_relevant_found: int
    recall_target: float
    alpha: float
    p_value: float
    stop: bool
    remaining_upper: int
    recall_lower: float
    remaining_expected: float
    window: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        verdict = "may stop" if self.stop else "keep screening"
        return (
            f"Stopping test (Callaghan & Müller-Hansen 2020), target recall {self.recall_target:.0%}, "
            f"alpha {self.alpha:g}\n"
            f"  screened {self.n_screened} of {self.n_records}, relevant found {self.n_relevant_found}\n"
            f"  p value for 'recall below target': {self.p_value:.4g} -> {verdict}\n"
            f"  relevant records left: at most {self.remaining_upper} ({1 - self.alpha:.0%} bound), "
            f"about {self.remaining_expected:.1f} at the recent rate (last {self.window} screened)\n"
            f"  recall so far: at least {self.recall_lower:.1%}"
        )


def _check(labels: Sequence[int] | NDArray[np.integer], n_records: int, recall_target: float,
           alpha: float) -> NDArray[np.int64]:
    arr = np.asarray(labels, dtype=np.int64)
    if arr.ndim != 1:
        raise InputError("labels must be a 1-D sequence of 0/1 in screening order")
    if not np.isin(arr, (0, 1)).all():
        raise InputError("labels must hold only 0 (irrelevant) and 1 (relevant)")
    if n_records < arr.size:
        raise InputError(f"n_records ({n_records}) is smaller than the records screened ({arr.size})")
    if not 0 < recall_target < 1:
        raise InputError(f"recall_target must be between 0 and 1 (got {recall_target})")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1 (got {alpha})")
    return arr


def _urns(arr: NDArray[np.int64], unseen: int) -> tuple[NDArray[np.int64], ...]:
    """Relevant count k, size n and population n + U of the urns that can give the minimum.

    For a fixed k, P(X <= k) falls as the urn grows (one more irrelevant record in sample and
    population leaves the unseen part sparser), and so does the bound on what is left; only
    the largest urn for each k — one that stops just before a relevant record, or spans all
    that was screened — can hold the minimum. That leaves at most r_seen + 1 urns.
    """
    reverse = arr[::-1]
    k = np.cumsum(reverse)  # relevant among the last 1, 2, …, n_seen screened
    n = np.arange(1, arr.size + 1)
    maximal = np.append(reverse[1:] == 1, True)
    return k[maximal], n[maximal], n[maximal] + unseen


def _p_value(arr: NDArray[np.int64], n_records: int, recall_target: float) -> float:
    """Smallest p over the urns of 'recall below the target' (buscarpy's calculate_h0)."""
    if arr.size == 0:
        return 1.0
    r_seen = int(arr.sum())
    unseen = n_records - arr.size
    k, n, population = _urns(arr, unseen)
    k_hat = np.floor(r_seen / recall_target + 1 - (r_seen - k))
    # More relevant records than the urn could hold: the null hypothesis is impossible there.
    impossible = k_hat > k + unseen
    p = hypergeom.cdf(k, population, np.where(impossible, k, k_hat), n)
    return float(np.min(np.where(impossible, 0.0, p)))


def stopping_estimate(
    labels: Sequence[int] | NDArray[np.integer],
    n_records: int,
    *,
    recall_target: float = 0.95,
    alpha: float = 0.05,
    window: int | None = None,
) -> StoppingEstimate:
    """Apply the stopping test to the decisions so far.

    ``labels``: relevance (1/0) of every record screened so far, in screening order (prior
    knowledge included: those records were seen). ``n_records``: records in the data set.
    ``window``: records behind ``remaining_expected`` [10 % of the screened, at least 20].
    """
    arr = _check(labels, n_records, recall_target, alpha)
    n_seen = int(arr.size)
    r_seen = int(arr.sum())
    unseen = n_records - n_seen
    if window is None:
        window = max(20, math.ceil(0.1 * n_seen))
    window = max(1, min(window, n_seen)) if n_seen else 0
    expected = float(arr[n_seen - window :].sum() / window * unseen) if window else float(unseen)
    if n_seen == 0:
        return StoppingEstimate(n_records, 0, 0, recall_target, alpha, 1.0, False, unseen, 0.0,
                                expected, 0)
    k, n, population = _urns(arr, unseen)
    p_value = _p_value(arr, n_records, recall_target)

    # Largest R with P(X <= k | n + U, k + R, n) >= alpha, for every urn at once (bisection;
    # the cdf falls as R grows and is 1 at R = 0).
    lo = np.zeros(k.size, dtype=np.int64)
    hi = np.full(k.size, unseen + 1, dtype=np.int64)
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        ok = hypergeom.cdf(k, population, k + mid, n) >= alpha
        active = hi - lo > 1
        lo = np.where(active & ok, mid, lo)
        hi = np.where(active & ~ok, mid, hi)
    remaining_upper = int(lo.min())
    recall_lower = r_seen / (r_seen + remaining_upper) if r_seen else 0.0
    return StoppingEstimate(
        n_records=n_records, n_screened=n_seen, n_relevant_found=r_seen,
        recall_target=recall_target, alpha=alpha, p_value=p_value, stop=p_value < alpha,
        remaining_upper=remaining_upper, recall_lower=recall_lower,
        remaining_expected=expected, window=window,
    )


def first_stop(
    labels: Sequence[int] | NDArray[np.integer],
    n_records: int | None = None,
    *,
    recall_target: float = 0.95,
    alpha: float = 0.05,
    every: int = 1,
) -> int | None:
    """The first number of screened records at which the test says stop (checked every ``every``).

    ``labels`` is a full or partial screening order; ``None`` when it never says stop.
    """
    arr = _check(labels, n_records or len(labels), recall_target, alpha)
    total = n_records or int(arr.size)
    for i in range(every, arr.size + 1, every):
        if _p_value(arr[:i], total, recall_target) < alpha:
            return i
    return None
