"""The friendly layer: a labelled table (CSV/TSV/XLSX path or DataFrame) in, simulations over seeds out."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evisynth.analysis.screening._ranker import RelevanceRanker
from evisynth.analysis.screening._simulate import SimulationResult, simulate
from evisynth.core.errors import InputError
from evisynth.io.tables import read_table

SUMMARY_METRICS = ("wss95", "wss100", "rrf10", "erf10", "atd")
_TRUE = {"1", "1.0", "true", "yes", "y", "included", "include"}
_FALSE = {"0", "0.0", "false", "no", "n", "excluded", "exclude"}


@dataclass(frozen=True)
class SimulationSummary:
    """Simulations of one labelled table over several seeds: each run, mean and SD per metric."""

    source: str
    model: str
    n_records: int
    n_relevant: int
    runs: tuple[SimulationResult, ...]

    def mean(self, metric: str) -> float:
        return statistics.fmean(getattr(r, metric) for r in self.runs)

    def sd(self, metric: str) -> float:
        values = [getattr(r, metric) for r in self.runs]
        return statistics.stdev(values) if len(values) > 1 else 0.0

    def curve_rows(self) -> list[dict[str, Any]]:
        """Recall curves in long form: seed, records screened (priors excluded), recall."""
        return [
            {"seed": r.seed, "screened": i + 1, "recall": value}
            for r in self.runs for i, value in enumerate(r.recall)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "model": self.model, "n_records": self.n_records,
            "n_relevant": self.n_relevant, "seeds": [r.seed for r in self.runs],
            "summary": {m: {"mean": self.mean(m), "sd": self.sd(m)} for m in SUMMARY_METRICS},
            "runs": [
                {k: v for k, v in r.to_dict().items() if k not in ("order", "recall")}
                for r in self.runs
            ],
        }

    def __str__(self) -> str:
        lines = [
            f"Screening simulation of {self.source}: model {self.model}, {len(self.runs)} seed(s)",
            f"  records {self.n_records}, relevant {self.n_relevant}",
        ]
        for metric, name, gloss in (
            ("wss95", "WSS@95", "work saved over random screening at 95% recall"),
            ("wss100", "WSS@100", "… at 100% recall"),
            ("rrf10", "RRF@10", "share of relevant records found in the first 10%"),
            ("erf10", "ERF@10", "extra relevant found over random, per relevant"),
            ("atd", "ATD", "mean records screened to find a relevant one"),
        ):
            lines.append(f"  {name:<7} {self.mean(metric):8.3f} ± {self.sd(metric):.3f}   ({gloss})")
        stops = [r for r in self.runs if r.stop_at is not None]
        if stops:
            share = statistics.fmean(r.stop_at / r.n_records for r in stops if r.stop_at is not None)
            recall = statistics.fmean(r.recall_at_stop for r in stops if r.recall_at_stop is not None)
            lines.append(f"  stopping test (95% recall, alpha 0.05): said stop after {share:.1%} of the "
                         f"records on average, true recall then {recall:.1%} ({len(stops)} of "
                         f"{len(self.runs)} runs)")
        return "\n".join(lines)


def _labels(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = []
    for i, raw in enumerate(frame[column].tolist()):
        text = str(raw).strip().lower()
        if text in _TRUE:
            values.append(1)
        elif text in _FALSE:
            values.append(0)
        else:
            raise InputError(
                f"column {column!r} row {i + 2} holds {raw!r}; a simulation needs every record "
                "labelled 1 (relevant) or 0 (irrelevant)"
            )
    return np.asarray(values, dtype=np.int64)


def table_texts(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Title and abstract (or the given columns) joined by a space; empty cells are ''."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"no column {', '.join(map(repr, missing))} in the table (columns: "
            f"{', '.join(map(str, frame.columns))}); pass --title-column/--abstract-column"
        )
    parts = [frame[c].fillna("").astype(str) for c in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + " " + part
    return [t.strip() for t in joined.tolist()]


def simulate_table(
    table: Path | pd.DataFrame,
    *,
    seeds: int | Sequence[int] = 5,
    title_column: str = "title",
    abstract_column: str = "abstract",
    label_column: str = "label_included",
    model: str = "logistic",
    progress: Callable[[int], None] | None = None,
) -> SimulationSummary:
    """Simulate prioritised screening of a fully labelled table with each seed.

    ``seeds``: a count (seeds 0 … n−1) or the seeds themselves. ``progress(records)`` is
    called as records are screened (for a progress bar over the records).
    """
    frame = read_table(table) if isinstance(table, Path) else table
    if label_column not in frame.columns:
        raise InputError(f"no column {label_column!r} in the table; pass --label-column")
    texts = table_texts(frame, [title_column, abstract_column])
    y = _labels(frame, label_column)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list:
        raise InputError("seeds must be at least 1")
    runs = []
    for seed in seed_list:
        state = {"screened": 0}

        def step(found: int, total: int, _state: dict[str, int] = state) -> None:
            _state["screened"] += 1
            if progress is not None:
                progress(1)

        run = simulate(texts, y, seed=seed, ranker=RelevanceRanker(model, random_state=seed),
                       progress=step)
        if progress is not None:
            progress(len(y) - run.n_priors - state["screened"])
        runs.append(run)
    source = table.name if isinstance(table, Path) else "table"
    return SimulationSummary(source=source, model=model, n_records=len(y),
                             n_relevant=int(y.sum()), runs=tuple(runs))
