"""Simulated screening of a fully labelled data set, scored as asreview-insights scores it.

The simulation plays a reviewer who always screens the record the ranker puts first: start
from prior knowledge (``n_prior_included`` relevant and ``n_prior_excluded`` irrelevant
records drawn at random with ``seed``, as ASReview's simulate does), refit the classifier on
every decision so far, screen the top unscreened record, repeat. The TF-IDF features are
built once for the whole data set.

Once every relevant record has been found the remaining order cannot change any metric (they
are all irrelevant), so the loop stops there (ASReview's ``stop_if="min"``) and the rest is
appended in the last model's order. The metrics use the screening order without the priors,
complete (see :mod:`._metrics`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evisynth.analysis.screening import _metrics as m
from evisynth.analysis.screening._ranker import RelevanceRanker
from evisynth.analysis.screening._stopping import first_stop
from evisynth.core.errors import InputError


@dataclass(frozen=True)
class SimulationResult:
    """One simulated screening run.

    ``order``: corpus rows in screening order, priors first (``n_priors`` of them).
    ``recall``: recall after each record of the order without the priors (insights' x axis:
    record i / (``n_records`` − ``n_priors``)). ``stop_at``: records screened (priors included) when
    the stopping test (:func:`.stopping_estimate`, τ = 0.95, α = 0.05, checked every
    ``stop_check_every`` records) first said stop, and ``recall_at_stop`` the true recall then.
    """

    model: str
    seed: int
    n_records: int
    n_relevant: int
    n_priors: int
    order: tuple[int, ...]
    recall: tuple[float, ...] = field(repr=False)
    wss95: float
    wss100: float
    rrf10: float
    erf10: float
    atd: float
    n_retrains: int
    retrain_seconds_mean: float
    stop_at: int | None
    recall_at_stop: float | None
    stop_check_every: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "seed": self.seed, "n_records": self.n_records,
            "n_relevant": self.n_relevant, "n_priors": self.n_priors,
            "wss95": self.wss95, "wss100": self.wss100, "rrf10": self.rrf10, "erf10": self.erf10,
            "atd": self.atd, "n_retrains": self.n_retrains,
            "retrain_seconds_mean": self.retrain_seconds_mean,
            "stop_at": self.stop_at, "recall_at_stop": self.recall_at_stop,
            "stop_check_every": self.stop_check_every,
            "order": list(self.order), "recall": list(self.recall),
        }

    def __str__(self) -> str:
        stop = (
            "never (within the order)" if self.stop_at is None
            else f"after {self.stop_at} records ({self.stop_at / self.n_records:.1%}), "
                 f"true recall then {self.recall_at_stop:.1%}"
        )
        return (
            f"Screening simulation: model {self.model}, seed {self.seed}\n"
            f"  records {self.n_records}, relevant {self.n_relevant}, priors {self.n_priors}\n"
            f"  WSS@95  {self.wss95:.4f}   (work saved over random screening at 95% recall)\n"
            f"  WSS@100 {self.wss100:.4f}   (… at 100% recall)\n"
            f"  RRF@10  {self.rrf10:.4f}   (share of relevant records found in the first 10%)\n"
            f"  ERF@10  {self.erf10:.4f}   (extra relevant found over random, per relevant)\n"
            f"  ATD     {self.atd:.1f}   (mean records screened to find a relevant one)\n"
            f"  stopping test: stop {stop}\n"
            f"  retrains {self.n_retrains}, mean {1000 * self.retrain_seconds_mean:.1f} ms each"
        )


def _check_inputs(texts: Sequence[str], labels: Sequence[int] | NDArray[np.integer],
                  n_prior_included: int, n_prior_excluded: int) -> NDArray[np.int64]:
    y = np.asarray(labels, dtype=np.int64)
    if y.ndim != 1 or len(texts) != y.size:
        raise InputError(f"{len(texts)} texts but {y.size} labels; pass one label per text")
    if not np.isin(y, (0, 1)).all():
        raise InputError("labels must hold only 0 (irrelevant) and 1 (relevant)")
    if n_prior_included < 1 or n_prior_excluded < 1:
        raise InputError("the simulation needs at least one prior relevant and one prior irrelevant record")
    n_rel = int(y.sum())
    if n_rel <= n_prior_included:
        raise InputError(
            f"the data set has {n_rel} relevant records; it needs more than the "
            f"{n_prior_included} used as prior knowledge"
        )
    if y.size - n_rel < n_prior_excluded:
        raise InputError(f"the data set has fewer than {n_prior_excluded} irrelevant records")
    return y


def draw_priors(labels: Sequence[int] | NDArray[np.integer], *, seed: int, n_prior_included: int = 1,
                n_prior_excluded: int = 1) -> NDArray[np.int64]:
    """The prior-knowledge rows a simulation with ``seed`` starts from: relevant ones first."""
    y = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.concatenate([
        rng.choice(np.flatnonzero(y == 1), n_prior_included, replace=False),
        rng.choice(np.flatnonzero(y == 0), n_prior_excluded, replace=False),
    ]).astype(np.int64)


def _check_priors(prior_rows: Sequence[int], y: NDArray[np.int64]) -> NDArray[np.int64]:
    rows = np.asarray(prior_rows, dtype=np.int64)
    if rows.ndim != 1 or rows.size != np.unique(rows).size or rows.min() < 0 or rows.max() >= y.size:
        raise InputError(f"prior_rows must be distinct rows between 0 and {y.size - 1}")
    if set(y[rows].tolist()) != {0, 1}:
        raise InputError("prior_rows must hold at least one relevant and one irrelevant record")
    if y[rows].sum() == y.sum():
        raise InputError("prior_rows hold every relevant record; nothing would be left to find")
    return rows


def simulate(
    texts: Sequence[str],
    labels: Sequence[int] | NDArray[np.integer],
    *,
    seed: int,
    n_prior_included: int = 1,
    n_prior_excluded: int = 1,
    ranker: RelevanceRanker | None = None,
    prior_rows: Sequence[int] | None = None,
    stop_check_every: int = 10,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Simulate prioritised screening of ``texts`` whose true relevance is ``labels``.

    ``ranker`` defaults to ``RelevanceRanker(random_state=seed)``; its corpus features are
    (re)built from ``texts``. ``prior_rows`` replaces the random priors (it must hold at least
    one relevant and one irrelevant row). ``progress(found, n_relevant)`` is called after each record.
    """
    y = _check_inputs(texts, labels, n_prior_included, n_prior_excluded)
    n = y.size
    n_rel = int(y.sum())
    priors = draw_priors(y, seed=seed, n_prior_included=n_prior_included,
                         n_prior_excluded=n_prior_excluded) if prior_rows is None else (
        _check_priors(prior_rows, y))

    ranker = ranker if ranker is not None else RelevanceRanker(random_state=seed)
    ranker.fit_corpus(texts)
    screened = np.zeros(n, dtype=bool)
    screened[priors] = True
    order: list[int] = [int(r) for r in priors]
    found = int(y[priors].sum())
    retrain_time = 0.0
    n_retrains = 0
    while found < n_rel:
        rows = np.asarray(order, dtype=np.int64)
        start = time.perf_counter()
        ranker.fit_rows(rows, y[rows])
        unscreened = np.flatnonzero(~screened)
        scores = ranker.score_rows(unscreened)
        retrain_time += time.perf_counter() - start
        n_retrains += 1
        best = int(unscreened[np.lexsort((unscreened, -scores))[0]])
        order.append(best)
        screened[best] = True
        found += int(y[best])
        if progress is not None:
            progress(found, n_rel)
    rest = np.flatnonzero(~screened)
    if rest.size:
        scores = ranker.score_rows(rest)
        order.extend(int(r) for r in rest[np.lexsort((rest, -scores))])

    full = y[np.asarray(order, dtype=np.int64)]
    n_priors = priors.size
    padded = full[n_priors:]  # insights' labels: the order without the priors
    stop_at = first_stop(full, n, every=stop_check_every) if stop_check_every > 0 else None
    recall_at_stop = None if stop_at is None else float(full[:stop_at].sum() / n_rel)
    return SimulationResult(
        model=ranker.model, seed=seed, n_records=n, n_relevant=n_rel, n_priors=n_priors,
        order=tuple(order), recall=tuple(float(v) for v in m.recall_curve(padded)),
        wss95=m.wss(padded, 0.95), wss100=m.wss(padded, 1.0), rrf10=m.rrf(padded, 0.10),
        erf10=m.erf(padded, 0.10), atd=m.average_time_to_discovery(full[n_priors:]),
        n_retrains=n_retrains,
        retrain_seconds_mean=retrain_time / n_retrains if n_retrains else 0.0,
        stop_at=stop_at, recall_at_stop=recall_at_stop, stop_check_every=stop_check_every,
    )
