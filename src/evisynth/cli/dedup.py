"""``evisynth dedup PROJECT [--review] [--accept ID] [--reject ID] [--json]``.

Without options: find duplicates among the project's records and store the links (existing
links and decisions stay). ``--review``: list the links waiting for a decision.
``--accept``/``--reject``: decide links (repeatable; audited with who and when). Every form
ends with the PRISMA identification counts computed from the links.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evisynth.cli._base import print_json

if TYPE_CHECKING:
    from rich.table import Table

    from evisynth.review.identification import IdentificationCounts
    from evisynth.services.dedup import QueueItem


def _counts_table(counts: IdentificationCounts) -> Table:
    from rich.table import Table

    table = Table(title="PRISMA identification (from records and links)", title_justify="left")
    table.add_column("")
    table.add_column("records", justify="right")
    for name, n in counts.by_source.items():
        table.add_row(f"  identified from {name or '(no database named)'}", str(n))
    table.add_row("records identified", str(counts.identified))
    table.add_row("duplicates removed", str(counts.duplicates_removed))
    table.add_row("records screened", str(counts.screened))
    table.add_row("links awaiting review", str(counts.awaiting_review))
    return table


def _queue_table(items: tuple[QueueItem, ...]) -> Table:
    from rich.table import Table

    table = Table(title=f"{len(items)} links awaiting review (accept with --accept ID)", title_justify="left")
    for column in ("link", "score", "rule", "record", "duplicate of"):
        table.add_column(column, justify="right" if column in ("link", "score") else "left")
    for item in items:
        def cell(s: Any) -> str:
            r = s.record
            first = r.authors[0] if r.authors else ""
            return f"#{s.id} [{r.database}] {first} {r.year or ''}\n{r.title[:70]}"

        table.add_row(str(item.link.id), f"{item.link.link.score:.2f}", item.link.link.rule,
                      cell(item.record), cell(item.duplicate_of))
    return table


def dedup(
    project: Annotated[Path, typer.Argument(
        help="Project file (SQLite) or database URL.", metavar="PROJECT")],
    review: Annotated[bool, typer.Option("--review", help="List the links awaiting a decision.")] = False,
    accept: Annotated[list[int] | None, typer.Option(
        "--accept", help="Accept link ID (repeatable).", metavar="ID")] = None,
    reject: Annotated[list[int] | None, typer.Option(
        "--reject", help="Reject link ID (repeatable).", metavar="ID")] = None,
    actor: Annotated[str, typer.Option(
        "--actor", help="Who decides (recorded in the audit log).", metavar="NAME")] = "dedup",
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find duplicate records (links, never deletions), review the uncertain ones, count for PRISMA."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from evisynth.services import dedup as services

    console = Console()
    decisions = [(i, "accepted") for i in accept or []] + [(i, "rejected") for i in reject or []]
    payload: dict[str, Any] = {}
    if decisions:
        decided = services.decide(project, decisions, actor=actor)
        payload["decided"] = [s.to_dict() for s in decided]
        if not json_output:
            for s in decided:
                console.print(f"link {s.id}: {s.link.status} by {s.link.decided_by}")
    elif review:
        items = services.review_queue(project)
        payload["review"] = [item.to_dict() for item in items]
        if not json_output:
            console.print(_queue_table(items))
    else:
        if not json_output and sys.stderr.isatty():
            with Progress(TextColumn("comparing pairs"), BarColumn(), MofNCompleteColumn(),
                          console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("", total=None)
                run = services.deduplicate(project, progress=lambda done, total: bar.update(
                    task, completed=done, total=total))
        else:
            run = services.deduplicate(project)
        payload.update(run.to_dict())
        if not json_output:
            console.print(f"{run.records} records, {run.candidate_pairs} pairs compared: "
                          f"{run.links_found} links found, {run.links_added} new")
    counts = services.prisma_counts(project)
    payload["prisma"] = counts.to_dict()
    if json_output:
        print_json(payload)
    else:
        console.print(_counts_table(counts))
