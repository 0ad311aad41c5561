"""``evisynth protocol``, ``outcome``, ``extract``, ``resolve`` and ``analysis``: the plan and
the data of a review built from records.

``protocol set PROJECT --question … --population …`` fills the question, PICOS and criteria;
``outcome add PROJECT ID --name … --kind dichotomous`` plans an outcome; ``extract PROJECT
--extractor NAME --csv values.csv`` stores one extractor's values (or one value given by
options), with their provenance; ``resolve PROJECT --key study/arm/outcome/time/statistic
--value V --by NAME`` settles a discrepancy that ``evisynth extraction`` lists; ``analysis add
PROJECT ID --outcome … --measure RR --preset revman5 [--subgroup KEY]`` saves a planned
analysis that ``evisynth report`` runs. Services are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evisynth.cli._base import App
from evisynth.cli.study import ActorOption, JsonOption, ProjectArg, emit, list_rows

protocol_app = App(help="The protocol: question, PICOS, criteria.")
outcome_app = App(help="Planned outcomes.")
analysis_app = App(help="Planned analyses.")


@protocol_app.command("set")
def protocol_set(
    project: ProjectArg,
    title: Annotated[str | None, typer.Option(help="The review's title.")] = None,
    question: Annotated[str | None, typer.Option(help="The review question.")] = None,
    population: Annotated[str | None, typer.Option(help="PICOS: population.")] = None,
    intervention: Annotated[str | None, typer.Option(help="PICOS: intervention.")] = None,
    comparator: Annotated[str | None, typer.Option(help="PICOS: comparator.")] = None,
    outcome: Annotated[list[str] | None, typer.Option(
        help="PICOS: an outcome (repeatable; replaces the list).")] = None,
    study_design: Annotated[str | None, typer.Option(help="PICOS: study design.")] = None,
    inclusion: Annotated[list[str] | None, typer.Option(
        help="An inclusion criterion (repeatable; replaces I1, I2, …).")] = None,
    exclusion: Annotated[list[str] | None, typer.Option(
        help="An exclusion criterion (repeatable; replaces E1, E2, …).")] = None,
    synthesis_plan: Annotated[str | None, typer.Option(help="How the data will be synthesised.")] = None,
    actor: ActorOption = "owner",
    json_output: JsonOption = False,
) -> None:
    """Set the protocol's question, PICOS fields and criteria (options not given are kept)."""
    from evisynth.services import studies

    change = studies.set_protocol(project, actor, title=title, question=question,
                                  population=population, intervention=intervention,
                                  comparator=comparator, outcomes=outcome, study_design=study_design,
                                  inclusion=inclusion, exclusion=exclusion,
                                  synthesis_plan=synthesis_plan)
    emit(change.to_dict(), json_output, f"protocol updated ({change.audit_rows} change(s))")


@outcome_app.command("add")
def outcome_add(
    project: ProjectArg,
    outcome: Annotated[str, typer.Argument(help="Outcome id, e.g. sore_throat_d3.")],
    name: Annotated[str, typer.Option(help="The outcome's name.")],
    kind: Annotated[str, typer.Option(help="dichotomous, continuous, count or time_to_event.")],
    unit: Annotated[str, typer.Option(help="Unit of continuous values.")] = "",
    lower_is_better: Annotated[bool | None, typer.Option(
        "--lower-is-better/--higher-is-better", help="Direction of benefit.")] = None,
    measure: Annotated[str, typer.Option(
        help="Planned effect measure (RR, OR, RD, MD, SMD, …); analyses default to it.")] = "",
    timepoint: Annotated[list[str] | None, typer.Option(
        metavar="LABEL", help="A planned time point, e.g. end or '12 months' (repeatable).")] = None,
    actor: ActorOption = "owner",
    json_output: JsonOption = False,
) -> None:
    """Plan an outcome (its name joins the protocol's PICOS outcomes)."""
    from evisynth.services import studies

    change = studies.add_outcome(project, outcome, actor, name=name, kind=kind, unit=unit,
                                 lower_is_better=lower_is_better, measure=measure,
                                 timepoints=timepoint or ())
    emit(change.to_dict(), json_output, f"added outcome {outcome}")


def extract(
    project: ProjectArg,
    extractor: Annotated[str, typer.Option(help="Who extracted the values.")],
    csv_file: Annotated[Path | None, typer.Option(
        "--csv", help="CSV: study, arm, outcome, timepoint, statistic, value[, unit, report, "
                      "location, quote].")] = None,
    study: Annotated[str | None, typer.Option(help="One value: study id or label.")] = None,
    arm: Annotated[str, typer.Option(help="One value: arm id or label ('' for the whole study).")] = "",
    outcome: Annotated[str | None, typer.Option(help="One value: outcome id.")] = None,
    timepoint: Annotated[str, typer.Option(help="One value: time point.")] = "end",
    statistic: Annotated[str | None, typer.Option(help="One value: n, events, mean, sd, …")] = None,
    value: Annotated[str | None, typer.Option(help="One value: the number.")] = None,
    unit: Annotated[str, typer.Option(help="One value: its unit.")] = "",
    report: Annotated[str, typer.Option(help="One value: the report (record id) it is from.")] = "",
    location: Annotated[str, typer.Option(help="One value: where (table, page).")] = "",
    quote: Annotated[str, typer.Option(help="One value: the words quoted.")] = "",
    replace_values: Annotated[bool, typer.Option(
        "--replace", help="Change values this extractor already has.")] = False,
    actor: ActorOption = "owner",
    json_output: JsonOption = False,
) -> None:
    """Store extracted values with their provenance: a CSV, all or nothing, or one value."""
    from evisynth.review.errors import DomainError
    from evisynth.services import studies

    single = {"study": study, "outcome": outcome, "statistic": statistic, "value": value}
    if csv_file is not None:
        if any(v is not None for v in single.values()):
            raise DomainError("give either --csv or one value's options (--study, --outcome, "
                              "--statistic, --value), not both")
        change = studies.extract_csv(project, csv_file, extractor, actor,
                                     replace_values=replace_values)
    else:
        missing = [f"--{k}" for k, v in single.items() if v is None]
        if missing:
            raise DomainError(f"give --csv, or one value with {', '.join(missing)}")
        fields = {**{k: str(v) for k, v in single.items()}, "arm": arm, "timepoint": timepoint,
                  "unit": unit, "report": report, "location": location, "quote": quote}
        change = studies.extract_one(project, extractor, actor, fields=fields,
                                     replace_values=replace_values)
    emit(change.to_dict(), json_output, f"stored {extractor}'s values ({change.audit_rows} change(s))")


def resolve(
    project: ProjectArg,
    key: Annotated[str, typer.Option(help="study/arm/outcome/timepoint/statistic, as "
                                          "`evisynth extraction` prints it.")],
    value: Annotated[float, typer.Option(help="The value that stands.")],
    by: Annotated[str, typer.Option(help="The arbiter's name.")],
    unit: Annotated[str, typer.Option(help="Its unit.")] = "",
    note: Annotated[str, typer.Option(help="Why.")] = "",
    json_output: JsonOption = False,
) -> None:
    """Settle a discrepancy between two extractors (a second decision replaces the first)."""
    from evisynth.services import studies

    resolution = studies.resolve(project, key, value, by, unit=unit, note=note)
    emit(resolution.to_dict(), json_output, f"resolved {key} = {value:g}")


def grade(
    project: ProjectArg,
    analysis: Annotated[str, typer.Option(metavar="ID", help="The saved analysis's id.")],
    domain: Annotated[str, typer.Option(
        metavar="DOMAIN", help="risk_of_bias, inconsistency, indirectness, imprecision, "
                               "publication_bias, large_effect, dose_response, plausible_confounding.")],
    change: Annotated[int, typer.Option(
        metavar="N", help="Change of certainty: 0, -1, -2 (downgrades); +1, +2 (upgrades).")],
    reason: Annotated[str, typer.Option(
        metavar="TEXT", help="Why (needed when departing from the suggestion).")] = "",
    by: Annotated[str, typer.Option(metavar="NAME", help="Who rated it.")] = "owner",
    json_output: JsonOption = False,
) -> None:
    """Rate one GRADE domain of a saved analysis; the others keep their rating."""
    from evisynth.services import workspace

    certainty = workspace.grade_domain(project, analysis, domain, change, reason, by)
    emit(certainty.to_dict(), json_output, f"GRADE of {analysis}: {certainty.level}")


@analysis_app.command("add")
def analysis_add(
    project: ProjectArg,
    analysis: Annotated[str, typer.Argument(help="Analysis id.")],
    outcome: Annotated[str, typer.Option(help="Outcome id.")],
    measure: Annotated[str, typer.Option(
        help="RR, OR, RD, MD, SMD, … [the outcome's planned measure].")] = "",
    timepoint: Annotated[str, typer.Option(help="Time point of the values ('end': the last).")] = "end",
    title: Annotated[str, typer.Option(help="Title [the outcome's name].")] = "",
    preset: Annotated[str | None, typer.Option(help="revman5 or metafor.")] = None,
    model: Annotated[str | None, typer.Option(help="fixed, random or auto [the preset's].")] = None,
    method: Annotated[str | None, typer.Option(help="IV, MH or Peto [the preset's].")] = None,
    tau2: Annotated[str | None, typer.Option(help="DL, REML, PM, … [the preset's].")] = None,
    subgroup: Annotated[str, typer.Option(
        help="Study characteristic whose values are the subgroups (evisynth study set).")] = "",
    study: Annotated[list[str] | None, typer.Option(help="Only these studies (repeatable).")] = None,
    hksj: Annotated[bool, typer.Option(
        help="Hartung-Knapp-Sidik-Jonkman confidence interval for random effects.")] = False,
    prediction: Annotated[str, typer.Option(
        metavar="z|t|none", help="Prediction interval [the preset's].")] = "",
    moderator: Annotated[str, typer.Option(
        metavar="NAME", help="Study characteristic for a meta-regression.")] = "",
    leave_one_out: Annotated[bool, typer.Option(help="Add a leave-one-out sensitivity analysis.")] = False,
    actor: ActorOption = "owner",
    json_output: JsonOption = False,
) -> None:
    """Save a planned analysis; `evisynth report` runs every saved analysis."""
    from evisynth.services import studies

    change = studies.add_analysis(project, analysis, actor, outcome=outcome, measure=measure,
                                  timepoint=timepoint, title=title, preset=preset, model=model,
                                  method=method, tau2=tau2, subgroup=subgroup, studies=study or (),
                                  hksj=hksj, prediction=prediction, moderator=moderator,
                                  leave_one_out=leave_one_out)
    emit(change.to_dict(), json_output, f"added analysis {analysis}")


@analysis_app.command("list")
def analysis_list(project: ProjectArg, json_output: JsonOption = False) -> None:
    """List the planned analyses and their settings."""
    from evisynth.services import studies

    found = studies.list_analyses(project)
    list_rows(found, json_output, f"{len(found)} planned analyses",
              ("id", "outcome", "timepoint", "measure", "model", "method", "tau2", "preset", "subgroup"),
              lambda a: (a.id, a.outcome, a.timepoint, a.measure, a.model, a.method, a.tau2, a.preset,
                         a.subgroup))
