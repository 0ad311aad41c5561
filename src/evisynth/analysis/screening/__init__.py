"""Prioritised screening: rank records by predicted relevance, simulate, and know when to stop.

Public API (stable; the screening workflow and CLI build on it):

- :class:`RelevanceRanker` — TF-IDF + linear model, scikit-learn protocol
  (``fit(texts, labels)``, ``predict_relevance(texts)``, ``rank(texts)``; for active learning
  ``fit_corpus(all_texts)`` once, then ``fit_rows(rows, labels)`` / ``score_rows(rows)``).
- :func:`prioritise` — the unscreened rows best-first after the decisions so far (random
  order until one relevant and one irrelevant decision exist).
- :func:`simulate` → :class:`SimulationResult` — WSS@95, WSS@100, RRF@10, ATD as
  asreview-insights defines them (:mod:`evisynth.analysis.screening._metrics`).
- :func:`simulate_table` → :class:`SimulationSummary` — the same over seeds, from a labelled
  CSV/TSV/XLSX or DataFrame (what ``evisynth simulate`` calls).
- :func:`stopping_estimate` → :class:`StoppingEstimate` — Callaghan & Müller-Hansen's
  stopping test and an upper bound on the relevant records left.
"""

from evisynth.analysis.screening._metrics import (
    average_time_to_discovery,
    erf,
    recall_curve,
    rrf,
    time_to_discovery,
    wss,
)
from evisynth.analysis.screening._ranker import RelevanceRanker, mixed_tokens, prioritise
from evisynth.analysis.screening._simulate import SimulationResult, simulate
from evisynth.analysis.screening._stopping import StoppingEstimate, first_stop, stopping_estimate
from evisynth.analysis.screening._table import SimulationSummary, simulate_table

__all__ = [
    "RelevanceRanker",
    "SimulationResult",
    "SimulationSummary",
    "StoppingEstimate",
    "average_time_to_discovery",
    "erf",
    "first_stop",
    "mixed_tokens",
    "prioritise",
    "recall_curve",
    "rrf",
    "simulate",
    "simulate_table",
    "stopping_estimate",
    "time_to_discovery",
    "wss",
]
