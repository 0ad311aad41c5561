"""``evisynth simulate DATA.csv``: prioritised screening simulated on a fully labelled table.

Thin: parse, call :func:`evisynth.analysis.screening.simulate_table`, render (the summary
over seeds; ``--json`` prints ``to_dict()``; ``--out`` writes the recall curves as CSV).
Register with ``app.command("simulate")(simulate.simulate)``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer

from evisynth.cli._base import print_json
from evisynth.core.errors import InputError


def simulate(
    file: Annotated[Path, typer.Argument(help="CSV/TSV/XLSX, one labelled record per row.", metavar="FILE")],
    seeds: Annotated[int, typer.Option(help="Number of runs (seeds 0 … n-1).", metavar="N")] = 5,
    title_column: Annotated[str, typer.Option(help="Column with the titles.", metavar="COLUMN")] = "title",
    abstract_column: Annotated[str, typer.Option(
        help="Column with the abstracts.", metavar="COLUMN")] = "abstract",
    label_column: Annotated[str, typer.Option(
        help="Column with the true labels (1 relevant, 0 irrelevant).", metavar="COLUMN")] = "label_included",
    model: Annotated[str, typer.Option(help="logistic, svm or nb.", metavar="TEXT")] = "logistic",
    out: Annotated[Path | None, typer.Option(
        help="Write the recall curves (seed, screened, recall) as CSV.", metavar="FILE")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print to_dict() as JSON.")] = False,
) -> None:
    """Simulate prioritised screening: WSS@95, WSS@100, RRF@10, ATD (asreview-insights' definitions)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from evisynth.analysis.screening import simulate_table

    if seeds < 1:
        raise InputError(f"--seeds must be at least 1 (got {seeds})")
    progress = Progress(
        TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), disable=json_output or not sys.stderr.isatty(), transient=True,
    )
    with progress:
        task = progress.add_task("records", total=None)

        def advance(n: int) -> None:
            progress.advance(task, n)

        summary = simulate_table(
            file, seeds=seeds, title_column=title_column, abstract_column=abstract_column,
            label_column=label_column, model=model, progress=advance,
        )
    if out is not None:
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=["seed", "screened", "recall"])
            writer.writeheader()
            writer.writerows(summary.curve_rows())
    if json_output:
        print_json(summary.to_dict())
    else:
        Console().print(str(summary), markup=False, highlight=False, soft_wrap=True)
