"""Screening metrics with asreview-insights' definitions, so numbers compare with ASReview's.

Every function takes ``labels``: the relevance (1/0) of the records in the order they were
screened, **prior-knowledge records left out**, padded with zeros to ``n_records − n_priors``
when the run stopped early (asreview-insights 1.6 ``utils.get_simulation_labels``; older
releases padded to ``n_records``, which shifts WSS slightly). Below, n = ``len(labels)``.
Source: asreview-insights ``algorithms.py`` and ``metrics.py`` (``_recall_values``,
``_wss_values``, ``_erf_values``, ``_slice_metric``, ``_time_to_discovery``), version 1.6.1.

- **Recall curve**: after i records, recall = (relevant found in the first i) / (relevant in
  ``labels``).
- **RRF@x** (Relevant Records Found): the recall after screening the fraction x of the
  records; insights' ``recall(state, x)``. ASReview reports RRF@10 (x = 0.10).
- **WSS@r** (Work Saved over Sampling): for the j-th relevant record, j = 1..R, the number of
  records by which it was found earlier than under random screening, divided by n. Random
  screening finds it at the first i where ``round(linspace(0, R, n))[i] >= j`` (NumPy's
  round half to even). WSS@r takes the largest j with j / R <= r
  (``searchsorted(..., side="right") - 1``), so with R = 45 WSS@95 is read at the 42nd
  relevant record (93.3 %), exactly as insights does.
- **ERF@x** (Extra Relevant records Found): (found − random baseline) / R after the fraction
  x of the records.
- **Time to discovery** of a relevant record: its 1-based position in the screening order
  without the priors; **ATD** is the mean over the relevant records found.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from evisynth.core.errors import InputError


def _as_labels(labels: Sequence[int] | NDArray[np.integer]) -> NDArray[np.int64]:
    arr = np.asarray(labels, dtype=np.int64)
    if arr.ndim != 1 or arr.size == 0:
        raise InputError("labels must be a non-empty 1-D sequence of 0/1 in screening order")
    if not np.isin(arr, (0, 1)).all():
        raise InputError("labels must hold only 0 (irrelevant) and 1 (relevant)")
    if arr.sum() == 0:
        raise InputError("labels hold no relevant record; the screening metrics are undefined")
    return arr


def _slice(x: NDArray[np.float64], y: NDArray[np.float64], at: float) -> float:
    """y at the last x <= at (insights' ``_slice_metric``)."""
    i = int(np.searchsorted(x, at, side="right"))
    return float(y[i - 1])


def _random_found(n_docs: int, n_pos: int) -> NDArray[np.float64]:
    return np.round(np.linspace(0, n_pos, n_docs))


def recall_curve(labels: Sequence[int] | NDArray[np.integer]) -> NDArray[np.float64]:
    """Recall after 1, 2, …, n screened records (length n)."""
    arr = _as_labels(labels)
    return np.asarray(np.cumsum(arr) / arr.sum(), dtype=np.float64)


def rrf(labels: Sequence[int] | NDArray[np.integer], at: float = 0.10) -> float:
    """Relevant Records Found after screening the fraction ``at`` of the records (insights' recall)."""
    arr = _as_labels(labels)
    n = arr.size
    x = np.arange(1, n + 1) / n
    if at < x[0]:
        return 0.0
    return _slice(x, np.cumsum(arr) / arr.sum(), at)


def wss(labels: Sequence[int] | NDArray[np.integer], at: float = 0.95) -> float:
    """Work Saved over Sampling at recall ``at`` (0.95 → WSS@95, 1.0 → WSS@100)."""
    arr = _as_labels(labels)
    n, n_pos = arr.size, int(arr.sum())
    targets = np.arange(1, n_pos + 1)
    found_at = np.searchsorted(np.cumsum(arr), targets)
    random_at = np.searchsorted(_random_found(n, n_pos), targets)
    x = targets / n_pos
    return _slice(x, (random_at - found_at) / n, at)


def erf(labels: Sequence[int] | NDArray[np.integer], at: float = 0.10) -> float:
    """Extra Relevant records Found (over random screening) after the fraction ``at``, per relevant."""
    arr = _as_labels(labels)
    n, n_pos = arr.size, int(arr.sum())
    x = np.arange(1, n + 1) / n
    return _slice(x, (np.cumsum(arr) - _random_found(n, n_pos)) / n_pos, at)


def time_to_discovery(labels: Sequence[int] | NDArray[np.integer]) -> NDArray[np.int64]:
    """1-based positions of the relevant records in the screening order (priors excluded)."""
    arr = _as_labels(labels)
    return np.flatnonzero(arr == 1) + 1


def average_time_to_discovery(labels: Sequence[int] | NDArray[np.integer]) -> float:
    """ATD: the mean time to discovery, in records screened."""
    return float(np.mean(time_to_discovery(labels)))
