"""The stopping test (Callaghan & Müller-Hansen 2020) on sequences where the answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import hypergeom

from evisynth.analysis.screening import first_stop, stopping_estimate
from evisynth.core.errors import InputError


def _hand_p(n_urn: int, population: int, relevant: int) -> float:
    """P(no relevant among n_urn draws from population holding `relevant`)."""
    return math.comb(population - relevant, n_urn) / math.comb(population, n_urn)


def test_p_value_and_bound_by_hand_halfway() -> None:
    # 100 records; 5 relevant found first, then 45 irrelevant (50 screened, 50 left).
    # Target 95 %: recall < 95 % needs >= floor(5/0.95) + 1 = 6 relevant, i.e. one more.
    # The urn of the last 45 (none relevant) plus the 50 unseen = 95 records holding >= 1
    # relevant: P(0 of 1 in 45 draws) = 50/95. Urns that include relevant records give more.
    labels = [1] * 5 + [0] * 45
    result = stopping_estimate(labels, 100)
    assert result.p_value == pytest.approx(50 / 95)
    assert not result.stop
    # Upper bound: the largest R with P(0 relevant in 45 | 95, R) >= 0.05:
    # R=4: 50·49·48·47/(95·94·93·92) = 0.0723; R=5: × 46/91 = 0.0366.
    assert _hand_p(45, 95, 4) == pytest.approx(0.0723, abs=1e-4)
    assert _hand_p(45, 95, 5) == pytest.approx(0.0366, abs=1e-4)
    assert result.remaining_upper == 4
    assert result.recall_lower == pytest.approx(5 / 9)


def test_first_stop_by_hand() -> None:
    # Same haystack, 5 relevant then only irrelevant: after s screened p = (100 - s) / 95,
    # which first drops below 0.05 at s = 96 (4/95 = 0.042; 5/95 = 0.053 at s = 95).
    labels = [1] * 5 + [0] * 95
    assert first_stop(labels, 100) == 96
    at_stop = stopping_estimate(labels[:96], 100)
    assert at_stop.stop and at_stop.p_value == pytest.approx(4 / 95)
    assert at_stop.remaining_upper == 0


def _p_every_urn(labels: np.ndarray, n_records: int, target: float = 0.95) -> float:
    """The paper's p value over every urn, written out directly (no shortcut)."""
    r_seen, seen = int(labels.sum()), labels.size
    best = 1.0
    for n in range(1, seen + 1):
        k = int(labels[seen - n:].sum())
        k_hat = math.floor(r_seen / target + 1 - (r_seen - k))
        population = n + n_records - seen
        if k_hat > k + n_records - seen:
            return 0.0
        best = min(best, float(hypergeom.cdf(k, population, k_hat, n)))
    return best


def test_only_the_largest_urn_per_count_matters() -> None:
    rng = np.random.default_rng(5)
    for _ in range(25):
        n = int(rng.integers(30, 200))
        labels = (rng.random(n) < rng.uniform(0.02, 0.4)).astype(int)
        seen = int(rng.integers(1, n))
        expected = _p_every_urn(labels[:seen], n)
        assert stopping_estimate(labels[:seen], n).p_value == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_stop_agrees_with_the_upper_bound() -> None:
    # "stop" <=> the bound on what is left is below what recall < target would need.
    rng = np.random.default_rng(0)
    for _ in range(30):
        n = int(rng.integers(50, 300))
        labels = (rng.random(n) < rng.uniform(0.02, 0.3)).astype(int)
        labels[: int(rng.integers(1, 10))] = 1
        seen = int(rng.integers(10, n))
        result = stopping_estimate(labels[:seen], n)
        needed = math.floor(result.n_relevant_found / 0.95) + 1 - result.n_relevant_found
        assert result.stop == (result.remaining_upper < needed)


def test_prioritised_orders_stop_with_the_promised_recall() -> None:
    # buscarpy's generate_dataset: 2,000 records, 5 % relevant, drawn into the screening order
    # with relevant records 10 times likelier than irrelevant ones (a good ranker). At the
    # first stop recall should reach 95 % in at least 95 % of runs (the test is conservative
    # under prioritisation, so nearly all); 40 runs, allow 2 misses (binomial, p ≈ 0.32 at 5 %).
    misses, stops = 0, 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        n, n_rel = 2000, 100
        weights = np.r_[np.full(n_rel, 10.0), np.ones(n - n_rel)]
        order = rng.choice(n, n, replace=False, p=weights / weights.sum())
        labels = (order < n_rel).astype(int)
        at = first_stop(labels, n, every=25)
        if at is not None:
            stops += 1
            misses += labels[:at].sum() / n_rel < 0.95
    assert stops == 40
    assert misses <= 2


def test_random_order_does_not_stop_early() -> None:
    # Relevant records spread at random: after half the records about half are found, and
    # the test must not claim 95 % recall.
    rng = np.random.default_rng(1)
    labels = np.zeros(1000, dtype=int)
    labels[rng.choice(1000, 50, replace=False)] = 1
    assert not stopping_estimate(labels[:500], 1000).stop


def test_inputs_are_checked() -> None:
    with pytest.raises(InputError):
        stopping_estimate([1, 0, 2], 10)
    with pytest.raises(InputError):
        stopping_estimate([1, 0], 1)
    with pytest.raises(InputError):
        stopping_estimate([1, 0], 10, recall_target=1.5)
