"""``evisynth import-rm5 FILE.rm5 [--json]``: every RevMan 5 analysis redone beside RevMan's numbers.

Thin: parse the arguments, call :func:`evisynth.services.rm5.reanalyse_rm5`, render (a Rich
table per outcome: statistic, RevMan, evisynth, difference; or the checks as JSON). Register
it with ``app.command("import-rm5")(import_rm5)``; errors (ImportFormatError for a file that
cannot be read) go to the CLI's error table like any other command's.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from evisynth.cli._base import print_json

if TYPE_CHECKING:
    from rich.table import Table

    from evisynth.services.rm5 import OutcomeCheck, StatisticCheck


def _number(x: float | None) -> str:
    if x is None:
        return "—"
    if not math.isfinite(x):
        return str(x)
    return f"{x:.6g}" if x == 0 or 1e-4 <= abs(x) < 1e6 else f"{x:.4e}"


def _difference(check: StatisticCheck) -> str:
    d = check.difference
    if d is None:
        return "—"
    return "0" if d == 0 else f"{d:+.2e}"


def _where(check: StatisticCheck) -> str:
    if check.scope == "overall":
        return check.statistic
    if check.scope == "subgroup test":
        return f"subgroup differences: {check.statistic}"
    return f"{check.name}: {check.statistic}"


def _table(check: OutcomeCheck) -> Table:
    from rich.table import Table

    analysis = ", ".join(f"{k}={v}" for k, v in check.analysis.items())
    table = Table(title=f"{check.label} [{check.kind} {check.effect_measure}] {analysis}",
                  title_justify="left")
    for name in ("statistic", "RevMan", "evisynth", "difference"):
        table.add_column(name, justify="left" if name == "statistic" else "right")
    for s in check.statistics:
        table.add_row(_where(s), _number(s.revman), _number(s.evisynth), _difference(s))
    return table


def import_rm5(
    path: Annotated[Path, typer.Argument(help="A RevMan 5 review (.rm5).", metavar="FILE.rm5")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
) -> None:
    """Re-analyse every outcome of a RevMan 5 review and show RevMan's numbers beside evisynth's."""
    from rich.console import Console

    from evisynth.services.rm5 import reanalyse_rm5

    checks = reanalyse_rm5(path)
    if json_output:
        print_json([c.to_dict() for c in checks])
        return
    console = Console()
    for check in checks:
        if check.status == "checked":
            console.print(_table(check))
        else:
            console.print(f"[bold]{check.label}[/bold] [{check.kind}]: {check.status}"
                          + (f" — {check.message}" if check.message else ""))
        if check.skipped:
            skipped = "; ".join(f"{why} ({n})" for why, n in check.skipped.items())
            console.print(f"  not compared: {skipped}", style="dim")
    compared = sum(len(c.statistics) for c in checks)
    console.print(f"{len(checks)} outcomes, {compared} statistics compared with RevMan.")
