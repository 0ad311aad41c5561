"""The screening metrics on label sequences small enough to work out by hand.

Definitions: asreview-insights 1.6.1 ``algorithms.py``/``metrics.py`` (see the module
docstring of ``evisynth.analysis.screening._metrics``). Where a case comes from
asreview-insights' own ``tests/test_metrics.py`` it says so. The hand-computed WSS cases were
also run through asreview-insights 1.6.1's ``_wss`` (bench/_asreview_runner.py, task
"insights"), which gives 0.5/0.5 and 0.74/-0.02 as well.
"""

from __future__ import annotations

import numpy as np
import pytest

from evisynth.analysis.screening import (
    average_time_to_discovery,
    erf,
    recall_curve,
    rrf,
    time_to_discovery,
    wss,
)
from evisynth.core.errors import InputError


def test_recall_at_half_of_the_records_as_in_asreview_insights_tests() -> None:
    # insights' test_metric_recall_small_data: [1, 1, 1, 0] at 0.5 → 2/3
    assert rrf([1, 1, 1, 0], 0.5) == pytest.approx(2 / 3)
    assert rrf([1, 1, 1, 0], 1.0) == pytest.approx(1.0)
    assert rrf([1, 1, 1, 0], 0.0) == 0.0  # before the first record


def test_time_to_discovery_as_in_asreview_insights_tests() -> None:
    # insights' test_time_to_disc: labels [1, 1, 0, 1] → discovered at 1, 2 and 4
    assert time_to_discovery([1, 1, 0, 1]).tolist() == [1, 2, 4]
    assert average_time_to_discovery([1, 1, 0, 1]) == pytest.approx(7 / 3)


def test_rrf10_counts_the_first_tenth_of_the_records() -> None:
    # 20 records, relevant at positions 1, 3 and 15: the first 10 % is 2 records, one relevant
    labels = [0] * 20
    for position in (1, 3, 15):
        labels[position - 1] = 1
    assert rrf(labels, 0.10) == pytest.approx(1 / 3)
    assert recall_curve(labels)[:3].tolist() == pytest.approx([1 / 3, 1 / 3, 2 / 3])


def test_wss_one_relevant_record_found_first() -> None:
    # n = 10, R = 1. Random screening: round(linspace(0, 1, 10)) = 0 0 0 0 0 1 1 1 1 1
    # (5/9 = 0.556 rounds up, 4/9 down), so it finds the record at index 5; we found it at
    # index 0: WSS = (5 - 0) / 10. With R = 1, WSS@95 reads the same (only) point.
    labels = [1] + [0] * 9
    assert wss(labels, 1.0) == pytest.approx(0.5)
    assert wss(labels, 0.95) == pytest.approx(0.5)


def test_wss_reads_the_19th_of_20_relevant_records_at_95() -> None:
    # n = 100, R = 20: relevant records at indices 0..18 and 99.
    # 95 %: the 19th relevant record (19/20 = 0.95). We find it at index 18. Random finds it at
    # the first i with round(20 i / 99) >= 19: 20*91/99 = 18.38 -> 18, 20*92/99 = 18.59 -> 19,
    # so i = 92. WSS@95 = (92 - 18) / 100 = 0.74.
    # 100 %: the 20th at index 99; random at the first i with round(20 i / 99) >= 20:
    # 20*96/99 = 19.39 -> 19, 20*97/99 = 19.60 -> 20, so i = 97. WSS@100 = (97 - 99) / 100.
    labels = [1] * 19 + [0] * 80 + [1]
    assert wss(labels, 0.95) == pytest.approx(0.74)
    assert wss(labels, 1.0) == pytest.approx(-0.02)


def test_wss95_with_45_relevant_reads_the_42nd() -> None:
    # insights slices at the last j with j / R <= 0.95: 42/45 = 0.933 <= 0.95 < 43/45.
    rng = np.random.default_rng(3)
    labels = np.zeros(1000, dtype=int)
    labels[rng.choice(1000, 45, replace=False)] = 1
    assert wss(labels, 0.95) == wss(labels, 42 / 45)
    assert wss(labels, 0.95) != wss(labels, 43 / 45)


def test_erf_counts_extra_relevant_over_random() -> None:
    # n = 20, R = 2, both found first. After 10 % (2 records) random has found
    # round(2 * 1 / 19) = round(0.105) = 0, so ERF@10 = (2 - 0) / 2 = 1.
    assert erf([1, 1] + [0] * 18, 0.10) == pytest.approx(1.0)


def test_perfect_and_worst_orders_bound_wss() -> None:
    n, r = 200, 10
    best = [1] * r + [0] * (n - r)
    worst = [0] * (n - r) + [1] * r
    assert wss(best, 1.0) > 0.9
    assert wss(worst, 1.0) <= 0.0


@pytest.mark.parametrize("labels", [[], [0, 0, 0], [0, 2, 1]])
def test_metrics_reject_sequences_without_a_meaning(labels: list[int]) -> None:
    with pytest.raises(InputError):
        wss(labels, 0.95)
