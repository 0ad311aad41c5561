"""``evisynth study …``: studies from included records, joined, split, listed, described.

``study from-records PROJECT`` makes a study of each record included at full text (its report
id is the record id; the label is the first author and year). ``study join PROJECT KEEP
OTHER…`` makes several studies one (a conference abstract and its article); ``study split
PROJECT STUDY --report ID`` moves reports into a new study. ``study arm add`` adds arms,
``study set`` labels and characteristics (the values a subgroup analysis splits on).
Every change is one audited transaction. Register with
``app.add_typer(study.app, name="study")``; services are imported inside the commands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from evisynth.cli._base import App, print_json

app = App(help="Studies: made from included records, joined, split, listed, described.")
arm_app = App(help="Arms of the studies.")
app.add_typer(arm_app, name="arm")

ProjectArg = Annotated[Path, typer.Argument(help="Project file (SQLite) or database URL.",
                                            metavar="PROJECT")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ActorOption = Annotated[str, typer.Option("--actor", help="Who makes the change (audit log).",
                                          metavar="NAME")]


def emit(payload: Any, json_output: bool, text: str) -> None:
    """JSON on stdout with --json, else one line for people (printed as written, no markup)."""
    if json_output:
        print_json(payload)
    else:
        print(text)


def list_rows(items: Sequence[Any], json_output: bool, title: str, columns: Sequence[str],
              row: Callable[[Any], Sequence[str]]) -> None:
    """``items`` as JSON (their ``to_dict()``) with --json, else as a table of ``columns``
    titled ``title``, one ``row(item)`` each."""
    if json_output:
        print_json([item.to_dict() for item in items])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for item in items:
        table.add_row(*row(item))
    Console().print(table)


@app.command("from-records")
def from_records(project: ProjectArg, actor: ActorOption = "owner",
                 json_output: JsonOption = False) -> None:
    """Make a study of each record included at full text (records already in a study are skipped)."""
    from evisynth.services import studies

    change = studies.from_records(project, actor)
    emit(change.to_dict(), json_output, f"made {len(change.ids)} study(ies): {', '.join(change.ids)}")


@app.command("join")
def join(
    project: ProjectArg,
    study: Annotated[list[str], typer.Argument(help="The study to keep, then those joined into it.")],
    label: Annotated[str, typer.Option(help="New label for the joined study.")] = "",
    actor: ActorOption = "owner",
    json_output: JsonOption = False,
) -> None:
    """Join several studies (their reports, arms and values) into the first one named."""
    from evisynth.services import studies

    change = studies.join(project, study, actor, label=label)
    emit(change.to_dict(), json_output, f"joined {', '.join(study[1:])} into {change.ids[0]}")


@app.command("split")
def split(
    project: ProjectArg,
    study: Annotated[str, typer.Argument(help="The study to split.")],
    report: Annotated[list[str], typer.Option(help="A report (record id) to move out (repeatable).")],
    label: Annotated[str, typer.Option(help="Label of the new study [the old one, with a letter].")] = "",
    actor: ActorOption = "owner",
    json_output: JsonOption = False,
) -> None:
    """Move reports of a study into a new study."""
    from evisynth.services import studies

    change = studies.split(project, study, report, actor, label=label)
    emit(change.to_dict(), json_output, f"split {', '.join(report)} off {study} into {change.ids[0]}")


@app.command("list")
def list_command(project: ProjectArg, json_output: JsonOption = False) -> None:
    """List the studies with their reports (record ids) and arms."""
    from evisynth.services import studies

    found = studies.list_studies(project)
    list_rows(found, json_output, f"{len(found)} studies", ("id", "label", "year", "reports", "arms"),
              lambda s: (s.id, s.label, "" if s.year is None else str(s.year),
                         ", ".join(r.id for r in s.reports), ", ".join(a.id for a in s.arms)))


def _pairs(items: list[str] | None) -> dict[str, str]:
    from evisynth.review.errors import DomainError

    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise DomainError(f"--characteristic {item!r} must be KEY=VALUE, e.g. blinding=blinded")
        out[key.strip()] = value.strip()
    return out


@app.command("set")
def set_command(
    project: ProjectArg,
    study: Annotated[str, typer.Argument(help="Study id or label.")],
    label: Annotated[str | None, typer.Option(help="New label.")] = None,
    design: Annotated[str | None, typer.Option(
        help="rct, single_arm, non_randomised, observational.")] = None,
    population: Annotated[str | None, typer.Option(help="Who took part.")] = None,
    country: Annotated[str | None, typer.Option(help="Where the study was done.")] = None,
    characteristic: Annotated[list[str] | None, typer.Option(
        help="KEY=VALUE (repeatable), e.g. blinding=blinded; subgroup analyses split on these.")] = None,
    actor: ActorOption = "owner",
    json_output: JsonOption = False,
) -> None:
    """Change a study's label, design, population, country or characteristics."""
    from evisynth.services import studies

    change = studies.set_study(project, study, actor, label=label, design=design,
                               population=population, country=country,
                               characteristics=_pairs(characteristic))
    emit(change.to_dict(), json_output, f"updated {change.ids[0]}")


@arm_app.command("add")
def arm_add(
    project: ProjectArg,
    arm: Annotated[str, typer.Argument(help="Arm id, e.g. antibiotic.")],
    label: Annotated[str, typer.Option(help="What the arm is called.")],
    role: Annotated[str, typer.Option(help="experimental, control or single.")],
    study: Annotated[list[str] | None, typer.Option(
        help="Study id or label (repeatable) [every study without this arm].")] = None,
    n: Annotated[int | None, typer.Option(help="Participants randomised (one --study only).")] = None,
    intervention: Annotated[str, typer.Option(help="What the arm received.")] = "",
    dose: Annotated[float | None, typer.Option(help="Dose, a number (its unit in --dose-unit).")] = None,
    dose_unit: Annotated[str, typer.Option(metavar="UNIT", help="Unit of the dose, e.g. mg/day.")] = "",
    actor: ActorOption = "owner",
    json_output: JsonOption = False,
) -> None:
    """Add an arm to some studies, or to every study that lacks it."""
    from evisynth.services import studies

    change = studies.add_arm(project, arm, actor, label=label, role=role, studies=study or (),
                             n=n, intervention=intervention, dose=dose, dose_unit=dose_unit)
    emit(change.to_dict(), json_output, f"added arm {arm} to {len(change.ids)} study(ies)")


@arm_app.command("set")
def arm_set(
    project: ProjectArg,
    study: Annotated[str, typer.Argument(help="Study id or label.")],
    arm: Annotated[str, typer.Argument(help="Arm id or label.")],
    n: Annotated[int | None, typer.Option(help="Participants randomised.")] = None,
    intervention: Annotated[str | None, typer.Option(help="What the arm received.")] = None,
    dose: Annotated[float | None, typer.Option(help="Dose, a number (its unit in --dose-unit).")] = None,
    dose_unit: Annotated[str | None, typer.Option(
        metavar="UNIT", help="Unit of the dose, e.g. mg/day.")] = None,
    actor: ActorOption = "owner",
    json_output: JsonOption = False,
) -> None:
    """Change one study's arm: its n, intervention, dose and unit (others are kept)."""
    from evisynth.services import studies

    change = studies.set_arm(project, study, arm, actor, n=n, intervention=intervention, dose=dose,
                             dose_unit=dose_unit)
    emit(change.to_dict(), json_output, f"updated arm {arm} of {change.ids[0]}")
