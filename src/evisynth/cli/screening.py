"""``evisynth screen …`` and ``evisynth prisma``: thin commands over ``evisynth.services.screening``.

``evisynth screen PROJECT --reviewer NAME [--stage ta|ft]`` is the terminal screener: one record
at a time, the criteria beside it and the keywords highlighted; single keys i (include),
e (exclude), m (maybe), r (type a reason for the next decision), u (undo), q (quit).
The batch commands are subcommands: import-decisions, conflicts, resolve, agreement, fulltext,
remove, settings. Register with ``app.add_typer(screening.screen_app, name="screen")`` and
``app.command("prisma")(screening.prisma_command)``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from evisynth.review.errors import DomainError
from evisynth.review.screening import Span
from evisynth.services import screening as services
from evisynth.storage.errors import StorageError

console = Console()


class _DefaultToScreen(TyperGroup):
    """``evisynth screen PROJECT …`` runs the interactive screener; known names are subcommands."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["interactive", *args]
        return super().parse_args(ctx, args)


screen_app = typer.Typer(cls=_DefaultToScreen, no_args_is_help=True, add_completion=False,
                         help="Screen records: interactive (evisynth screen PROJECT --reviewer NAME) "
                              "or in batch (the commands below).")

ProjectArg = Annotated[Path, typer.Argument(help="Project file (SQLite) or database URL.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
StageOption = Annotated[str, typer.Option(help="ta (title/abstract) or ft (full text).")]


def _emit(payload: Any, json_output: bool, render: Any) -> None:
    if json_output:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        render()


def _marked(text: str, spans: Sequence[Span]) -> Text:
    out = Text(text or "—")
    for s in spans:
        out.stylize("bold green" if s.kind == "include" else "bold red", s.start, s.end)
    return out


def _render(item: services.ScreenItem, s: services.ScreeningSession) -> None:
    left = Group(Text(f"record {item.record_id} · {item.source or 'no database'} · "
                      f"{s.remaining} left", style="dim"),
                 _marked(item.title, item.title_spans), Text(""),
                 _marked(item.abstract, item.abstract_spans))
    if item.full_text:
        left.renderables.append(Text(f"\nfull text: {item.full_text}", style="cyan"))
    for e in item.visible:
        left.renderables.append(Text(f"{e.reviewer} ({e.role}): {e.action} {e.reason}".rstrip(),
                                     style="yellow"))
    criteria = Table.grid(padding=(0, 1))
    criteria.add_column(style="bold")
    criteria.add_column()
    if s.picos is not None:
        for name in ("population", "intervention", "comparator", "study_design"):
            value = getattr(s.picos, name)
            if value:
                criteria.add_row(name[0].upper(), value)
        if s.picos.outcomes:
            criteria.add_row("O", "; ".join(s.picos.outcomes))
    for c in s.inclusion:
        criteria.add_row(Text(c.id, style="green"), c.text)
    for c in s.exclusion:
        criteria.add_row(Text(c.id, style="red"), c.text)
    grid = Table.grid(expand=True)
    grid.add_column(ratio=3)
    grid.add_column(ratio=2)
    grid.add_row(left, Panel(criteria, title="criteria"))
    console.print(Panel(grid, title=f"{services.STAGE_TITLES[s.stage]} · {s.reviewer}"))
    console.print("[i]nclude  [e]xclude  [m]aybe  [r]eason  [u]ndo  [q]uit", style="dim", markup=False)


def _reason_prompt(s: services.ScreeningSession) -> str:
    known = s.reasons()
    return "reason (" + (", ".join(known[:12]) + ", or new words" if known else "words") + ")"


@screen_app.command("interactive", hidden=True)
def interactive(
    project: ProjectArg,
    reviewer: Annotated[str, typer.Option(help="Your name (decisions are recorded under it).")],
    stage: StageOption = "ta",
    order: Annotated[
        str, typer.Option(help="relevance (active learning on your decisions) or id.")
    ] = "relevance",
) -> None:
    """Screen one record at a time in the terminal."""
    with services.opened(project) as p:
        if order not in ("relevance", "id"):
            raise DomainError(f"--order {order!r} must be relevance or id")
        ranking = services.relevance_order(p) if order == "relevance" else None
        s = services.session(p, reviewer, stage, ranking)
        reason = ""
        while (item := s.current()) is not None:
            _render(item, s)
            key = typer.getchar().lower()
            try:
                if key == "q":
                    break
                if key == "r":
                    reason = typer.prompt(_reason_prompt(s), default="").strip()
                    continue
                if key == "u":
                    s.undo()
                    console.print("undone", style="yellow")
                    continue
                if key in services.KEYS:
                    if key == "e" and not reason and s.stage == "ft":
                        reason = typer.prompt(_reason_prompt(s)).strip()
                    s.decide(key, reason if key == "e" else "")
                    reason = ""
                    continue
                console.print(f"unknown key {key!r}", style="red")
            except (DomainError, StorageError) as exc:
                console.print(f"refused: {exc}", style="red", markup=False)
        console.print(f"{len(s.done)} decision(s) recorded; {s.remaining} record(s) left at {s.stage}")


@screen_app.command("import-decisions")
def import_decisions(
    project: ProjectArg,
    file: Annotated[Path, typer.Argument(help="CSV: record_id, stage, reviewer, decision[, reason, role].")],
    actor: Annotated[str, typer.Option(help="Who imports (audit log).")] = "importer",
    json_output: JsonOption = False,
) -> None:
    """Import decisions from a CSV, all or nothing."""
    n = services.import_decisions(project, file, actor=actor)
    _emit({"imported": n}, json_output, lambda: console.print(f"imported {n} decision(s) from {file}"))


@screen_app.command("conflicts")
def conflicts_command(project: ProjectArg,
                      stage: Annotated[str | None, typer.Option(help="ta or ft [both].")] = None,
                      json_output: JsonOption = False) -> None:
    """List records whose reviewers disagree."""
    found = services.list_conflicts(project, stage)

    def render() -> None:
        table = Table(title=f"{len(found)} conflict(s)")
        for col in ("record", "stage", "decisions"):
            table.add_column(col)
        for c in found:
            table.add_row(str(c.record_id), c.stage, "; ".join(
                f"{d.reviewer}: {d.action}{' (' + d.reason + ')' if d.reason else ''}" for d in c.decisions))
        console.print(table)

    _emit([c.to_dict() for c in found], json_output, render)


@screen_app.command("resolve")
def resolve_command(
    project: ProjectArg,
    record: Annotated[int, typer.Argument(help="Record id.")],
    decision: Annotated[str, typer.Argument(help="include, exclude or maybe (maybe: title/abstract only).")],
    arbiter: Annotated[str, typer.Option(help="The arbiter's name (not one of the two reviewers).")],
    stage: StageOption = "ta",
    reason: Annotated[str, typer.Option(help="Criterion id (E1) or words.")] = "",
    json_output: JsonOption = False,
) -> None:
    """Resolve a conflict as the arbiter (both reviewers' decisions are kept)."""
    r = services.resolve(project, record, stage, arbiter, decision, reason)
    _emit(r.to_dict(), json_output, lambda: console.print(f"record {record}: now {r.state}"))


@screen_app.command("undo")
def undo_command(project: ProjectArg, record: Annotated[int, typer.Argument(help="Record id.")],
                 reviewer: Annotated[str, typer.Option(help="Whose decision to withdraw.")],
                 stage: StageOption = "ta") -> None:
    """Withdraw a decision (a retraction is appended; nothing is deleted)."""
    r = services.decide(project, record, stage, reviewer, "retract")
    console.print(f"record {record}: now {r.state}")


@screen_app.command("agreement")
def agreement_command(project: ProjectArg, json_output: JsonOption = False) -> None:
    """Cohen's kappa per stage and reviewer pair, with its CI and the raw agreement table."""
    kappas = services.agreements(project)

    def render() -> None:
        if not kappas:
            console.print("no record has been screened by two reviewers yet")
        for k in kappas:
            console.print(str(k), markup=False, highlight=False)
            table = Table(title=f"{k.first} (rows) vs {k.second} (columns), {k.stage}")
            table.add_column("")
            for c in k.categories:
                table.add_column(c, justify="right")
            for c, row in zip(k.categories, k.table, strict=True):
                table.add_row(c, *(str(x) for x in row))
            console.print(table)

    _emit([k.to_dict() for k in kappas], json_output, render)


@screen_app.command("fulltext")
def fulltext_command(
    project: ProjectArg, record: Annotated[int, typer.Argument(help="Record id.")],
    file: Annotated[str, typer.Option(help="Path of the full-text file.")] = "",
    url: Annotated[str, typer.Option(help="Link to the full text.")] = "",
    not_retrieved: Annotated[bool, typer.Option(help="The full text could not be obtained.")] = False,
    actor: Annotated[str, typer.Option(help="Who records it.")] = "reviewer",
) -> None:
    """Attach or link a record's full-text report, or mark it not retrieved."""
    chosen = [k for k, v in (("file", file), ("url", url), ("not_retrieved", not_retrieved)) if v]
    if len(chosen) != 1:
        raise DomainError("give exactly one of --file, --url, --not-retrieved")
    services.set_full_text(project, record, chosen[0], file or url, actor)
    console.print(f"record {record}: full text {chosen[0].replace('_', ' ')} {file or url}".rstrip())


@screen_app.command("remove")
def remove_command(
    project: ProjectArg,
    records: Annotated[list[int], typer.Argument(help="Record id(s).")],
    reason: Annotated[str, typer.Option(help="automation (marked ineligible by an automation tool) "
                                             "or other.")],
    note: Annotated[str, typer.Option(help="Why: the tool and its threshold, or the other reason.")],
    actor: Annotated[str, typer.Option(help="Who removes them (audit log).")],
    json_output: JsonOption = False,
) -> None:
    """Remove records before screening (PRISMA 2020); recorded, never deleted."""
    done = services.remove(project, records, reason, note, actor)
    _emit([r.to_dict() for r in done], json_output,
          lambda: console.print(f"removed {len(done)} record(s) before screening ({reason}): "
                                f"{', '.join(str(r.record_id) for r in done)}"))


@screen_app.command("settings")
def settings_command(
    project: ProjectArg,
    reviewers: Annotated[int | None, typer.Option(help="Reviewers per record: 1 or 2.")] = None,
    include: Annotated[list[str] | None, typer.Option(help="Include keyword (repeatable).")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Exclude keyword (repeatable).")] = None,
    actor: Annotated[str, typer.Option(help="Who changes them.")] = "owner",
    json_output: JsonOption = False,
) -> None:
    """Show or set the screening settings (reviewers per record, keyword lists)."""
    policy, words = services.settings(project, actor, reviewers=reviewers,
                                      include=None if include is None else tuple(include),
                                      exclude=None if exclude is None else tuple(exclude))
    payload: Mapping[str, Any] = {"reviewers": policy.required, "keywords": words.to_dict()}
    _emit(payload, json_output, lambda: console.print(
        f"reviewers per record: {policy.required}; include: {', '.join(words.include) or '—'}; "
        f"exclude: {', '.join(words.exclude) or '—'}"))


def prisma_command(
    project: ProjectArg,
    svg: Annotated[Path | None, typer.Option(help="Write the PRISMA 2020 diagram as SVG.")] = None,
    png: Annotated[Path | None, typer.Option(help="Write the diagram as PNG.")] = None,
    csv: Annotated[Path | None, typer.Option(help="Write the PRISMA2020 app's CSV template.")] = None,
    language: Annotated[str, typer.Option(help="en or zh.")] = "en",
    json_output: JsonOption = False,
) -> None:
    """PRISMA 2020 flow computed from records, duplicate links and decisions."""
    flow = services.prisma(project)
    written = services.write_prisma(flow, svg=svg, png=png, csv_path=csv, language=language)

    def render() -> None:
        table = Table(title="PRISMA 2020 (computed)")
        table.add_column("box")
        table.add_column("n", justify="right")
        for key, value in flow.to_dict().items():
            if isinstance(value, dict):
                value = "; ".join(f"{k}: {v}" for k, v in value.items()) or "—"
            elif isinstance(value, list):
                value = " ".join(value) or "—"
            table.add_row(key, str(value))
        console.print(table)
        for path in written:
            console.print(f"wrote {path}")

    _emit(flow.to_dict(), json_output, render)
