"""From the first record to the analysis plan: the operations ``evisynth study``, ``outcome``,
``extract``, ``resolve``, ``analysis`` and ``protocol`` call.

Every change reads the review and writes it back in one audited transaction
(:meth:`Project.update_review`): a refused change leaves the project as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, get_args

from evisynth.analysis.pooling import BINARY, MEASURES, METHODS, MODELS, PREDICTIONS, PRESETS
from evisynth.core.tau2 import TAU2_METHODS
from evisynth.review.errors import DomainError
from evisynth.review.extraction import Resolution
from evisynth.review.model import (
    AnalysisSpec,
    Arm,
    Criterion,
    ExtractedValue,
    Outcome,
    Picos,
    Provenance,
    Review,
    Study,
    StudyDesign,
)
from evisynth.review.screening import final_status
from evisynth.review.studies import (
    IncludedRecord,
    join_studies,
    split_study,
    studies_from_records,
)
from evisynth.services.screening import opened
from evisynth.storage import records as record_store
from evisynth.storage import screening as screening_store
from evisynth.storage.project import Project

ProjectRef = str | os.PathLike[str] | Project

#: What users call an outcome's data type → the review's outcome kind.
OUTCOME_KINDS = {"dichotomous": "binary", "binary": "binary", "continuous": "continuous",
                 "count": "count", "time_to_event": "time_to_event",
                 "generic_inverse_variance": "generic", "generic": "generic"}
ARM_ROLES = ("experimental", "control", "single")
STUDY_DESIGNS: tuple[str, ...] = get_args(StudyDesign)


@dataclass(frozen=True)
class Change:
    """What a command changed: the ids it made or touched and the audit rows written."""

    ids: tuple[str, ...]
    audit_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"ids": list(self.ids), "audit_rows": self.audit_rows}


def _today() -> str:
    return dt.date.today().isoformat()


def _study(review: Review, ref: str) -> Study:
    """A study by id or by label."""
    for s in review.studies:
        if ref in (s.id, s.label):
            return s
    raise DomainError(f"no study {ref!r}; give a study id or label "
                      f"({', '.join(s.id for s in review.studies[:12]) or 'none yet'}; "
                      "evisynth study list)")


def _outcome(review: Review, ref: str) -> Outcome:
    for o in review.outcomes:
        if ref in (o.id, o.name, o.name_en):
            return o
    raise DomainError(f"no outcome {ref!r}; add it with `evisynth outcome add` (outcomes: "
                      f"{', '.join(o.id for o in review.outcomes) or 'none yet'})")


# -- studies -------------------------------------------------------------------------------


def included_records(project: Project) -> tuple[IncludedRecord, ...]:
    """The records whose screening ended "included" (at full text), in id order."""
    states = screening_store.load_screening(project)
    ids = [rid for rid, state in states.items() if final_status(state) == "included"]
    return tuple(IncludedRecord(r.id, r.record)
                 for r in record_store.list_records(project, ids=ids)) if ids else ()


def from_records(project: ProjectRef, actor: str) -> Change:
    """A study for each record included at full text that is not yet a study's report."""
    with opened(project) as p:
        included = included_records(p)
        if not included:
            raise DomainError("no record is included at full text yet; screen the records "
                              "(evisynth screen) before making studies")
        made: list[str] = []

        def change(review: Review, _r: tuple[Resolution, ...]) -> tuple[Review, None]:
            new, ids = studies_from_records(review, included)
            made.extend(ids)
            return new, None

        _, rows = p.update_review(change, actor)
        return Change(tuple(made), rows)


def join(project: ProjectRef, study_ids: Sequence[str], actor: str, *, label: str = "") -> Change:
    """Join studies into the first one named (reports, arms, values, resolutions)."""
    with opened(project) as p:
        def change(review: Review,
                   resolutions: tuple[Resolution, ...]) -> tuple[Review, tuple[Resolution, ...]]:
            ids = [_study(review, s).id for s in study_ids]
            return join_studies(review, resolutions, ids, label=label)

        review, rows = p.update_review(change, actor)
        return Change((_study(review, study_ids[0]).id,), rows)


def split(project: ProjectRef, study_id: str, report_ids: Sequence[str], actor: str, *,
          label: str = "") -> Change:
    """Move some reports of a study into a new study."""
    made: list[str] = []
    with opened(project) as p:
        def change(review: Review, _r: tuple[Resolution, ...]) -> tuple[Review, None]:
            new, new_id = split_study(review, _study(review, study_id).id, report_ids, label=label)
            made.append(new_id)
            return new, None

        _, rows = p.update_review(change, actor)
        return Change(tuple(made), rows)


def list_studies(project: ProjectRef) -> tuple[Study, ...]:
    with opened(project) as p:
        return p.load_review().studies


def set_study(project: ProjectRef, study_id: str, actor: str, *, label: str | None = None,
              design: str | None = None, population: str | None = None, country: str | None = None,
              characteristics: Mapping[str, str] | None = None) -> Change:
    """Change a study's label, design, population, country or characteristics (key → text)."""
    if design is not None and design not in STUDY_DESIGNS:
        raise DomainError(f"--design {design!r} must be one of {', '.join(STUDY_DESIGNS)}")
    with opened(project) as p:
        def change(review: Review, _r: tuple[Resolution, ...]) -> tuple[Review, None]:
            s = _study(review, study_id)
            new = replace(s, characteristics={**s.characteristics, **(characteristics or {})})
            if label is not None:
                new = replace(new, label=label)
            if design is not None:
                new = replace(new, design=design)  # type: ignore[arg-type]
            if population is not None:
                new = replace(new, population=population)
            if country is not None:
                new = replace(new, country=country)
            return replace(review, studies=tuple(new if x.id == s.id else x
                                                 for x in review.studies)), None

        review, rows = p.update_review(change, actor)
        return Change((_study(review, study_id).id,), rows)


def _check_dose(dose: float | None, dose_unit: str) -> None:
    if dose is not None and not (math.isfinite(dose) and dose >= 0):
        raise DomainError(f"--dose {dose} must be a number ≥ 0; write the unit in --dose-unit")
    if dose is not None and not dose_unit.strip():
        raise DomainError(f"--dose {dose} has no unit; give --dose-unit, e.g. mg/day")


def add_arm(project: ProjectRef, arm_id: str, actor: str, *, label: str, role: str,
            studies: Sequence[str] = (), n: int | None = None, intervention: str = "",
            dose: float | None = None, dose_unit: str = "") -> Change:
    """Add an arm to the named studies, or (none named) to every study that lacks ``arm_id``."""
    if role not in ARM_ROLES:
        raise DomainError(f"--role {role!r} must be one of {', '.join(ARM_ROLES)}")
    _check_dose(dose, dose_unit)
    if n is not None and len(studies) != 1:
        raise DomainError("--n is a single study's arm size; name one --study with it")
    touched: list[str] = []
    with opened(project) as p:
        def change(review: Review, _r: tuple[Resolution, ...]) -> tuple[Review, None]:
            wanted = {_study(review, s).id for s in studies}
            out = []
            for s in review.studies:
                if (s.id in wanted or not studies) and all(a.id != arm_id for a in s.arms):
                    s = replace(s, arms=(*s.arms, Arm(arm_id, label, n=n, intervention=intervention,
                                                      dose=dose, dose_unit=dose_unit.strip(),
                                                      role=role)))  # type: ignore[arg-type]
                    touched.append(s.id)
                elif s.id in wanted:
                    raise DomainError(f"study {s.id!r} already has arm {arm_id!r}")
                out.append(s)
            if not touched:
                raise DomainError(f"every study already has arm {arm_id!r}; nothing to add")
            return replace(review, studies=tuple(out)), None

        _, rows = p.update_review(change, actor)
        return Change(tuple(touched), rows)


def set_arm(project: ProjectRef, study_id: str, arm_ref: str, actor: str, *, n: int | None = None,
            intervention: str | None = None, dose: float | None = None,
            dose_unit: str | None = None) -> Change:
    """Change one study's arm (by id or label): its size, intervention, dose and dose unit
    (options not given are kept)."""
    if n is not None and n < 0:
        raise DomainError(f"--n {n} must be a count ≥ 0")
    with opened(project) as p:
        def change(review: Review, _r: tuple[Resolution, ...]) -> tuple[Review, None]:
            s = _study(review, study_id)
            arm = next((a for a in s.arms if arm_ref in (a.id, a.label)), None)
            if arm is None:
                raise DomainError(f"study {s.id!r} has no arm {arm_ref!r}; its arms are "
                                  f"{', '.join(a.id for a in s.arms) or 'none yet'}")
            new = replace(arm, n=arm.n if n is None else n,
                          intervention=arm.intervention if intervention is None else intervention,
                          dose=arm.dose if dose is None else dose,
                          dose_unit=arm.dose_unit if dose_unit is None else dose_unit.strip())
            _check_dose(new.dose, new.dose_unit)
            study = replace(s, arms=tuple(new if a.id == arm.id else a for a in s.arms))
            return replace(review, studies=tuple(study if x.id == s.id else x
                                                 for x in review.studies)), None

        review, rows = p.update_review(change, actor)
        return Change((_study(review, study_id).id,), rows)


# -- protocol and outcomes ------------------------------------------------------------------


def set_protocol(project: ProjectRef, actor: str, *, title: str | None = None,
                 question: str | None = None, population: str | None = None,
                 intervention: str | None = None, comparator: str | None = None,
                 outcomes: Sequence[str] | None = None, study_design: str | None = None,
                 inclusion: Sequence[str] | None = None, exclusion: Sequence[str] | None = None,
                 synthesis_plan: str | None = None) -> Change:
    """Set the protocol's question, PICOS fields, criteria (I1, I2, … / E1, E2, …) and plan;
    fields left as None keep their value."""
    with opened(project) as p:
        def change(review: Review, _r: tuple[Resolution, ...]) -> tuple[Review, None]:
            proto = review.protocol
            picos = proto.picos
            given: dict[str, Any] = {"population": population, "intervention": intervention,
                                     "comparator": comparator, "study_design": study_design,
                                     "outcomes": None if outcomes is None else tuple(outcomes)}
            picos = replace(picos, **{k: v for k, v in given.items() if v is not None})
            new = replace(proto, picos=picos, title=proto.title if title is None else title,
                          question=proto.question if question is None else question,
                          synthesis_plan=proto.synthesis_plan if synthesis_plan is None
                          else synthesis_plan)
            if inclusion is not None:
                new = replace(new, inclusion=tuple(Criterion(f"I{i}", t)
                                                   for i, t in enumerate(inclusion, 1)))
            if exclusion is not None:
                new = replace(new, exclusion=tuple(Criterion(f"E{i}", t)
                                                   for i, t in enumerate(exclusion, 1)))
            return replace(review, protocol=new), None

        _, rows = p.update_review(change, actor)
        return Change(("protocol",), rows)


def protocol_picos(project: ProjectRef) -> Picos:
    with opened(project) as p:
        return p.load_review().protocol.picos


def add_outcome(project: ProjectRef, outcome_id: str, actor: str, *, name: str, kind: str,
                unit: str = "", lower_is_better: bool | None = None, name_en: str = "",
                measure: str = "", timepoints: Sequence[str] = ()) -> Change:
    """Add a planned outcome; its name joins the protocol's PICOS outcomes. ``measure`` (RR,
    OR, MD, …) is the planned effect measure, ``timepoints`` the planned time points' labels."""
    if kind not in OUTCOME_KINDS:
        raise DomainError(f"--kind {kind!r} must be one of {', '.join(OUTCOME_KINDS)}")
    if measure and measure not in MEASURES:
        raise DomainError(f"--measure {measure!r} must be one of {', '.join(MEASURES)}")
    labels = tuple(t.strip() for t in timepoints)
    if "" in labels:
        raise DomainError("a --timepoint is empty; label it as the protocol does, e.g. end")
    with opened(project) as p:
        def change(review: Review, _r: tuple[Resolution, ...]) -> tuple[Review, None]:
            if any(o.id == outcome_id for o in review.outcomes):
                raise DomainError(f"outcome {outcome_id!r} exists; choose another id")
            outcome = Outcome(outcome_id, name, name_en=name_en, kind=OUTCOME_KINDS[kind],  # type: ignore[arg-type]
                              unit=unit, lower_is_better=lower_is_better, measure=measure,
                              timepoints=tuple(dict.fromkeys(labels)))
            picos = review.protocol.picos
            if name not in picos.outcomes:
                picos = replace(picos, outcomes=(*picos.outcomes, name))
            return replace(review, outcomes=(*review.outcomes, outcome),
                           protocol=replace(review.protocol, picos=picos)), None

        _, rows = p.update_review(change, actor)
        return Change((outcome_id,), rows)


# -- extraction -----------------------------------------------------------------------------

EXTRACT_COLUMNS = ("study", "arm", "outcome", "timepoint", "statistic", "value")
EXTRACT_OPTIONAL = ("unit", "report", "location", "quote")


def _value(review: Review, row: Mapping[str, str], extractor: str, where: str) -> ExtractedValue:
    study = _study(review, row["study"].strip())
    arm = row["arm"].strip()
    if arm:
        arm = next((a.id for a in study.arms if arm in (a.id, a.label)), arm)
    text = row["value"].strip()
    try:
        number = float(text)
    except ValueError:
        raise DomainError(f"{where}: value {text!r} is not a number; write it with a decimal "
                          "point and no unit") from None
    report = (row.get("report") or "").strip()
    if not report and len(study.reports) == 1:
        report = study.reports[0].id
    return ExtractedValue(
        study=study.id, arm=arm, outcome=_outcome(review, row["outcome"].strip()).id,
        timepoint=row["timepoint"].strip(), statistic=row["statistic"].strip(), value=number,
        unit=(row.get("unit") or "").strip(),
        provenance=Provenance(report=report, location=(row.get("location") or "").strip(),
                              quote=(row.get("quote") or "").strip(), extractor=extractor,
                              extracted_at=_today()))


def _store_values(p: Project, make: Callable[[Review], list[ExtractedValue]], extractor: str,
                  actor: str, replace_: bool) -> Change:
    def change(review: Review, _r: tuple[Resolution, ...]) -> tuple[Review, None]:
        new = make(review)
        mine = {v.key: v for v in review.values if v.provenance.extractor == extractor}
        seen: set[tuple[str, ...]] = set()
        for v in new:
            if v.key in seen:
                raise DomainError(f"{'/'.join(v.key)} is given twice for {extractor!r}; keep one")
            seen.add(v.key)
            if v.key in mine and not replace_:
                raise DomainError(f"{extractor!r} already has {'/'.join(v.key)} "
                                  f"(value {mine[v.key].value:g}); pass --replace to change it")
        kept = [v for v in review.values
                if not (v.provenance.extractor == extractor and v.key in seen)]
        return replace(review, values=(*kept, *new)), None

    _, rows = p.update_review(change, actor)
    return Change((extractor,), rows)


def extract_csv(project: ProjectRef, path: str | os.PathLike[str], extractor: str, actor: str, *,
                replace_values: bool = False) -> Change:
    """Store one extractor's values from a CSV (columns study, arm, outcome, timepoint,
    statistic, value; optional unit, report, location, quote), all or none."""
    if not extractor.strip():
        raise DomainError("--extractor is empty; name who extracted the values")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in EXTRACT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DomainError(f"{path}: missing column(s) {', '.join(missing)}; the header must "
                              f"name {', '.join(EXTRACT_COLUMNS)} (and optionally "
                              f"{', '.join(EXTRACT_OPTIONAL)})")
        rows = list(reader)
    if not rows:
        raise DomainError(f"{path}: no values below the header")

    return extract_rows(project, rows, extractor, actor, replace_values=replace_values,
                        where=f"{path}, line", first=2)


def extract_rows(project: ProjectRef, rows: Sequence[Mapping[str, str]], extractor: str, actor: str, *,
                 replace_values: bool = False, where: str = "row", first: int = 1) -> Change:
    """Store one extractor's values (each row: a CSV row's fields), all or none; a message
    names the row as ``where`` and its number (counted from ``first``)."""
    def make(review: Review) -> list[ExtractedValue]:
        return [_value(review, row, extractor, f"{where} {line}")
                for line, row in enumerate(rows, start=first)]

    with opened(project) as p:
        return _store_values(p, make, extractor, actor, replace_values)


def extract_one(project: ProjectRef, extractor: str, actor: str, *, fields: Mapping[str, str],
                replace_values: bool = False) -> Change:
    """Store one value (the same fields as a CSV row)."""
    with opened(project) as p:
        return _store_values(p, lambda review: [_value(review, fields, extractor, "the value")],
                             extractor, actor, replace_values)


def resolve(project: ProjectRef, key: str, value: float, arbiter: str, *, unit: str = "",
            note: str = "") -> Resolution:
    """The arbiter's value for a key (study/arm/outcome/timepoint/statistic, as
    ``evisynth extraction`` prints it)."""
    parts = key.split("/")
    if len(parts) != 5:
        raise DomainError(f"--key {key!r} must be study/arm/outcome/timepoint/statistic (the arm "
                          "may be empty), as `evisynth extraction` prints it")
    with opened(project) as p:
        study, arm, outcome, timepoint, statistic = parts
        resolution = Resolution(study, arm, outcome, timepoint, statistic, value=value, unit=unit,
                                resolved_by=arbiter, resolved_at=_today(), note=note)
        p.record_resolution(resolution, arbiter)
    return resolution


# -- analyses -------------------------------------------------------------------------------


def add_analysis(project: ProjectRef, analysis_id: str, actor: str, *, outcome: str,
                 measure: str = "", timepoint: str, title: str = "", preset: str | None = None,
                 model: str | None = None, method: str | None = None, tau2: str | None = None,
                 subgroup: str = "", studies: Sequence[str] = (), hksj: bool = False,
                 prediction: str = "", moderator: str = "", leave_one_out: bool = False) -> Change:
    """Save a planned analysis. Settings not given take the preset's (revman5: random effects,
    Mantel–Haenszel for RR/OR/RD else inverse variance, DerSimonian–Laird τ²), else the
    review defaults (the auto model rule, inverse variance, DerSimonian–Laird). ``hksj``,
    ``prediction`` ("" the preset's, z, t, none), ``moderator`` (a study characteristic) and
    ``leave_one_out`` are ``evisynth.pool``'s options of those names. Without ``measure`` the
    analysis takes the outcome's planned measure."""
    if not measure:
        with opened(project) as p:
            o = _outcome(p.load_review(), outcome)
        if not o.measure:
            raise DomainError(f"outcome {o.id!r} plans no effect measure; give --measure "
                              f"({', '.join(MEASURES)})")
        measure = o.measure
    if measure not in MEASURES:
        raise DomainError(f"--measure {measure!r} must be one of {', '.join(MEASURES)}")
    for option, given, allowed in (("preset", preset, tuple(PRESETS)), ("model", model, MODELS),
                                   ("method", method, METHODS), ("tau2", tau2, TAU2_METHODS),
                                   ("prediction", prediction or None, PREDICTIONS)):
        if given is not None and given not in allowed:
            raise DomainError(f"--{option} {given!r} must be one of {', '.join(allowed)}")
    if method == "MH" and measure not in BINARY:
        raise DomainError(f"--method MH pools RR, OR or RD, not {measure}; use --method IV")
    defaults = AnalysisSpec("", "", "", "", measure)
    if preset == "revman5":
        defaults = replace(defaults, model="random", tau2="DL",
                           method="MH" if measure in BINARY else "IV")
    elif preset is not None:
        defaults = replace(defaults, model="random", tau2=str(PRESETS[preset]["tau2"]))
    with opened(project) as p:
        def change(review: Review, _r: tuple[Resolution, ...]) -> tuple[Review, None]:
            if any(a.id == analysis_id for a in review.analyses):
                raise DomainError(f"analysis {analysis_id!r} exists; choose another id")
            o = _outcome(review, outcome)
            spec = AnalysisSpec(
                id=analysis_id, outcome=o.id,
                title=title or (o.name_en or o.name) + (f", by {subgroup}" if subgroup else ""),
                timepoint=timepoint, measure=measure, model=model or defaults.model,
                method=method or defaults.method, tau2=tau2 or defaults.tau2,
                studies=tuple(_study(review, s).id for s in studies), preset=preset or "",
                subgroup=subgroup, hksj=hksj, prediction=prediction, moderator=moderator,
                leave_one_out=leave_one_out)
            return replace(review, analyses=(*review.analyses, spec)), None

        _, rows = p.update_review(change, actor)
        return Change((analysis_id,), rows)


def list_analyses(project: ProjectRef) -> tuple[AnalysisSpec, ...]:
    with opened(project) as p:
        return p.load_review().analyses
