"""``evisynth screen …`` and ``evisynth prisma``: thin commands over ``evisynth.services.screening``.

``evisynth screen PROJECT --reviewer NAME [--stage ta|ft]`` is the terminal screener: one record
at a time, the criteria beside it and the keywords highlighted; single keys i (include),
e (exclude), m (maybe), r (type a reason for the next decision), u (undo), q (quit).
The batch commands are subcommands: import-decisions, conflicts, resolve, agreement, fulltext,
remove, settings. Register with ``app.add_typer(screening.screen_app, name="screen")`` and
``app.command("prisma")(screening.prisma_command)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evisynth.cli._base import App, Group, emit, print_text

if TYPE_CHECKING:
    from rich.text import Text

    from evisynth.review.screening import Span
    from evisynth.services.screening import ScreeningSession, ScreenItem


class _DefaultToScreen(Group):
    """``evisynth screen PROJECT …`` runs the interactive screener; known names are subcommands."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["interactive", *args]
        return super().parse_args(ctx, args)


screen_app = App(cls=_DefaultToScreen,
                 help="Screen records: interactive (evisynth screen PROJECT --reviewer NAME) "
                      "or in batch (the commands below).")

ProjectArg = Annotated[Path, typer.Argument(help="Project file (SQLite) or database URL.", metavar="PROJECT")]
RecordArg = Annotated[int, typer.Argument(help="Record id.", metavar="RECORD")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
StageOption = Annotated[str, typer.Option(help="ta (title/abstract) or ft (full text).", metavar="STAGE")]
NameOption = Annotated[str, typer.Option(help="Who does it (audit log).", metavar="NAME")]


def _table(title: str, *columns: str) -> Any:
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    return table


def _print(renderable: Any) -> None:
    from rich.console import Console

    Console().print(renderable)


def _marked(text: str, spans: Sequence[Span]) -> Text:
    from rich.text import Text

    out = Text(text or "—")
    for s in spans:
        out.stylize("bold green" if s.kind == "include" else "bold red", s.start, s.end)
    return out


def _render(item: ScreenItem, s: ScreeningSession) -> None:
    from rich.console import Console, Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from evisynth.services.screening import STAGE_TITLES

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
    console = Console()
    console.print(Panel(grid, title=f"{STAGE_TITLES[s.stage]} · {s.reviewer}"))
    console.print("[i]nclude  [e]xclude  [m]aybe  [r]eason  [u]ndo  [q]uit", style="dim", markup=False)


def _reason_prompt(s: ScreeningSession) -> str:
    known = s.reasons()
    return "reason (" + (", ".join(known[:12]) + ", or new words" if known else "words") + ")"


@screen_app.command("interactive", hidden=True)
def interactive(
    project: ProjectArg,
    reviewer: Annotated[str, typer.Option(
        help="Your name (decisions are recorded under it).", metavar="NAME")],
    stage: StageOption = "ta",
    order: Annotated[str, typer.Option(
        help="relevance (active learning on your decisions) or id.", metavar="ORDER")] = "relevance",
) -> None:
    """Screen one record at a time in the terminal."""
    from rich.console import Console

    from evisynth.review.errors import DomainError
    from evisynth.services import screening as services
    from evisynth.storage.errors import StorageError

    console = Console()
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
    file: Annotated[Path, typer.Argument(
        help="CSV: record_id, stage, reviewer, decision[, reason, role].", metavar="FILE")],
    actor: NameOption = "importer",
    json_output: JsonOption = False,
) -> None:
    """Import decisions from a CSV, all or nothing."""
    from evisynth.services import screening as services

    n = services.import_decisions(project, file, actor=actor)
    emit({"imported": n}, json_output, lambda: print_text(f"imported {n} decision(s) from {file}"))


@screen_app.command("conflicts")
def conflicts_command(project: ProjectArg,
                      stage: Annotated[str | None, typer.Option(
                          help="ta or ft [both].", metavar="STAGE")] = None,
                      json_output: JsonOption = False) -> None:
    """List records whose reviewers disagree."""
    from evisynth.services import screening as services

    found = services.list_conflicts(project, stage)

    def render() -> None:
        table = _table(f"{len(found)} conflict(s)", "record", "stage", "decisions")
        for c in found:
            table.add_row(str(c.record_id), c.stage, "; ".join(
                f"{d.reviewer}: {d.action}{' (' + d.reason + ')' if d.reason else ''}" for d in c.decisions))
        _print(table)

    emit([c.to_dict() for c in found], json_output, render)


@screen_app.command("resolve")
def resolve_command(
    project: ProjectArg,
    record: RecordArg,
    decision: Annotated[str, typer.Argument(
        help="include, exclude or maybe (maybe: title/abstract only).", metavar="DECISION")],
    arbiter: Annotated[str, typer.Option(
        help="The arbiter's name (not one of the two reviewers).", metavar="NAME")],
    stage: StageOption = "ta",
    reason: Annotated[str, typer.Option(help="Criterion id (E1) or words.", metavar="TEXT")] = "",
    json_output: JsonOption = False,
) -> None:
    """Resolve a conflict as the arbiter (both reviewers' decisions are kept)."""
    from evisynth.services import screening as services

    r = services.resolve(project, record, stage, arbiter, decision, reason)
    emit(r.to_dict(), json_output, lambda: print_text(f"record {record}: now {r.state}"))


@screen_app.command("undo")
def undo_command(project: ProjectArg, record: RecordArg,
                 reviewer: Annotated[str, typer.Option(help="Whose decision to withdraw.", metavar="NAME")],
                 stage: StageOption = "ta") -> None:
    """Withdraw a decision (a retraction is appended; nothing is deleted)."""
    from evisynth.services import screening as services

    r = services.decide(project, record, stage, reviewer, "retract")
    print_text(f"record {record}: now {r.state}")


@screen_app.command("agreement")
def agreement_command(project: ProjectArg, json_output: JsonOption = False) -> None:
    """Cohen's kappa per stage and reviewer pair, with its CI and the raw agreement table."""
    from rich.console import Console
    from rich.table import Table

    from evisynth.services import screening as services

    kappas = services.agreements(project)

    def render() -> None:
        console = Console()
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

    emit([k.to_dict() for k in kappas], json_output, render)


@screen_app.command("fulltext")
def fulltext_command(
    project: ProjectArg, record: RecordArg,
    file: Annotated[str, typer.Option(help="Path of the full-text file.", metavar="FILE")] = "",
    url: Annotated[str, typer.Option(help="Link to the full text.", metavar="URL")] = "",
    not_retrieved: Annotated[bool, typer.Option(
        help="The full text could not be obtained.", show_default=False)] = False,
    actor: NameOption = "reviewer",
) -> None:
    """Attach or link a record's full-text report, or mark it not retrieved."""
    from evisynth.review.errors import DomainError
    from evisynth.services import screening as services

    chosen = [k for k, v in (("file", file), ("url", url), ("not_retrieved", not_retrieved)) if v]
    if len(chosen) != 1:
        raise DomainError("give exactly one of --file, --url, --not-retrieved")
    services.set_full_text(project, record, chosen[0], file or url, actor)
    print_text(f"record {record}: full text {chosen[0].replace('_', ' ')} {file or url}".rstrip())


@screen_app.command("remove")
def remove_command(
    project: ProjectArg,
    records: Annotated[list[int], typer.Argument(help="Record id(s).", metavar="RECORD...")],
    reason: Annotated[str, typer.Option(help="automation (marked ineligible by an automation tool) "
                                             "or other.", metavar="REASON")],
    note: Annotated[str, typer.Option(
        help="Why: the tool and its threshold, or the other reason.", metavar="TEXT")],
    actor: Annotated[str, typer.Option(help="Who removes them (audit log).", metavar="NAME")],
    json_output: JsonOption = False,
) -> None:
    """Remove records before screening (PRISMA 2020); recorded, never deleted."""
    from evisynth.services import screening as services

    done = services.remove(project, records, reason, note, actor)
    emit([r.to_dict() for r in done], json_output,
         lambda: print_text(f"removed {len(done)} record(s) before screening ({reason}): "
                                f"{', '.join(str(r.record_id) for r in done)}"))


@screen_app.command("settings")
def settings_command(
    project: ProjectArg,
    reviewers: Annotated[int | None, typer.Option(help="Reviewers per record: 1 or 2.", metavar="N")] = None,
    include: Annotated[list[str] | None, typer.Option(
        help="Include keyword (repeatable).", metavar="WORD")] = None,
    exclude: Annotated[list[str] | None, typer.Option(
        help="Exclude keyword (repeatable).", metavar="WORD")] = None,
    actor: NameOption = "owner",
    json_output: JsonOption = False,
) -> None:
    """Show or set the screening settings (reviewers per record, keyword lists)."""
    from evisynth.services import screening as services

    policy, words = services.settings(project, actor, reviewers=reviewers,
                                      include=None if include is None else tuple(include),
                                      exclude=None if exclude is None else tuple(exclude))
    payload: Mapping[str, Any] = {"reviewers": policy.required, "keywords": words.to_dict()}
    emit(payload, json_output, lambda: print_text(
        f"reviewers per record: {policy.required}; include: {', '.join(words.include) or '—'}; "
        f"exclude: {', '.join(words.exclude) or '—'}"))


def prisma_command(
    project: ProjectArg,
    svg: Annotated[Path | None, typer.Option(
        help="Write the PRISMA 2020 diagram as SVG.", metavar="FILE")] = None,
    png: Annotated[Path | None, typer.Option(help="Write the diagram as PNG.", metavar="FILE")] = None,
    csv: Annotated[Path | None, typer.Option(
        help="Write the PRISMA2020 app's CSV template.", metavar="FILE")] = None,
    language: Annotated[str, typer.Option(help="en or zh.", metavar="LANG")] = "en",
    json_output: JsonOption = False,
) -> None:
    """PRISMA 2020 flow computed from records, duplicate links and decisions."""
    from evisynth.services import screening as services

    flow = services.prisma(project)
    written = services.write_prisma(flow, svg=svg, png=png, csv_path=csv, language=language)

    def render() -> None:
        table = _table("PRISMA 2020 (computed)", "box")
        table.add_column("n", justify="right")
        for key, value in flow.to_dict().items():
            if isinstance(value, dict):
                value = "; ".join(f"{k}: {v}" for k, v in value.items()) or "—"
            elif isinstance(value, list):
                value = " ".join(value) or "—"
            table.add_row(key, str(value))
        _print(table)
        for path in written:
            print_text(f"wrote {path}")

    emit(flow.to_dict(), json_output, render)
