"""Map the domain model to table rows and back (the model is not the schema).

A table's rows are a dict from the row's natural key to its columns (surrogate ``id``
columns left out), so the repository can compare what is stored with what is wanted and
write, and audit, only the difference. Positions are 1-based and keep the review's order.
Extracted values and resolutions have no order of their own: they come back sorted by key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table

from evisynth.review.extraction import Resolution
from evisynth.review.model import (
    AnalysisSpec,
    Arm,
    Criterion,
    ExtractedValue,
    GradeJudgement,
    Outcome,
    Picos,
    PrismaCounts,
    Protocol,
    Provenance,
    Report,
    ReportedTotal,
    Review,
    SearchStrategy,
    Study,
)
from evisynth.storage import schema

Key = tuple[Any, ...]
Rows = dict[Key, dict[str, Any]]
Row = Mapping[str, Any]


@dataclass(frozen=True)
class Entity:
    """A kind of stored thing: its name in the audit log, its table and its natural key."""

    name: str
    table: Table
    key: tuple[str, ...]
    singleton: bool = False  # one row per project: its audit entity_id is the review id
    surrogate: bool = False  # an integer ``id`` column that is not part of the domain

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the domain has: all but a surrogate ``id``."""
        return tuple(c.name for c in self.table.c if not (self.surrogate and c.name == "id"))

    def entity_id(self, key: Key, review_id: str) -> str:
        return review_id if self.singleton else "/".join(str(k) for k in key)

    def key_of(self, row: Row) -> Key:
        return tuple(row[c] for c in self.key)


def _t(cls: type[schema.Base]) -> Table:
    return cast(Table, cls.__table__)


PROJECT = Entity("project", _t(schema.ProjectRow), ("id",), singleton=True)
PROTOCOL = Entity("protocol", _t(schema.ProtocolRow), ("id",), singleton=True)
CRITERION = Entity("criterion", _t(schema.CriterionRow), ("id",))
SEARCH = Entity("search", _t(schema.SearchRow), ("position",))
PRISMA = Entity("prisma", _t(schema.PrismaCountsRow), ("id",), singleton=True)
LOCATION = Entity("location", _t(schema.LocationRow), ("key",))
STUDY = Entity("study", _t(schema.StudyRow), ("id",))
REPORT = Entity("report", _t(schema.ReportRow), ("study_id", "id"))
ARM = Entity("arm", _t(schema.ArmRow), ("study_id", "id"))
OUTCOME = Entity("outcome", _t(schema.OutcomeRow), ("id",))
REPORTED_TOTAL = Entity("reported_total", _t(schema.ReportedTotalRow), ("id",))
ANALYSIS = Entity("analysis", _t(schema.AnalysisRow), ("id",))
VALUE = Entity("value", _t(schema.ExtractedValueRow),
               ("study_id", "arm_id", "outcome_id", "timepoint", "statistic", "extractor"), surrogate=True)
RESOLUTION = Entity("resolution", _t(schema.ResolutionRow),
                    ("study_id", "arm_id", "outcome_id", "timepoint", "statistic"), surrogate=True)
APPRAISAL = Entity("appraisal", _t(schema.AppraisalRow), ("study_id", "tool"))
AUDIT_LOG = _t(schema.AuditLogRow)

# Parents before children: inserts and updates go in this order, deletes in reverse.
REVIEW_ENTITIES = (PROJECT, PROTOCOL, CRITERION, SEARCH, PRISMA, LOCATION, STUDY, REPORT, ARM,
                   OUTCOME, REPORTED_TOTAL, ANALYSIS, VALUE)
ALL_ENTITIES = (*REVIEW_ENTITIES, RESOLUTION, APPRAISAL)


def _keyed(entity: Entity, rows: Iterable[dict[str, Any]]) -> Rows:
    return {entity.key_of(r): r for r in rows}


def value_row(v: ExtractedValue) -> dict[str, Any]:
    p = v.provenance
    return {"study_id": v.study, "arm_id": v.arm, "outcome_id": v.outcome, "timepoint": v.timepoint,
            "statistic": v.statistic, "value": float(v.value), "unit": v.unit, "report_id": p.report,
            "location": p.location, "quote": p.quote, "extractor": p.extractor,
            "extracted_at": p.extracted_at}


def resolution_row(r: Resolution) -> dict[str, Any]:
    return {"study_id": r.study, "arm_id": r.arm, "outcome_id": r.outcome, "timepoint": r.timepoint,
            "statistic": r.statistic, "value": float(r.value), "unit": r.unit,
            "resolved_by": r.resolved_by, "resolved_at": r.resolved_at, "note": r.note}


def review_rows(review: Review) -> dict[str, Rows]:
    """The rows that store ``review``, by entity name."""
    p, picos, prisma = review.protocol, review.protocol.picos, review.prisma
    criteria = [
        {"id": c.id, "kind": kind, "position": i, "text": c.text, "text_en": c.text_en}
        for kind, items in (("inclusion", p.inclusion), ("exclusion", p.exclusion))
        for i, c in enumerate(items, 1)
    ]
    rows: dict[str, Iterable[dict[str, Any]]] = {
        "project": [{"id": 1, "review_id": review.id, "source": review.source}],
        "protocol": [{
            "id": 1, "title": p.title, "question": p.question, "language": p.language,
            "picos_population": picos.population, "picos_intervention": picos.intervention,
            "picos_comparator": picos.comparator, "picos_outcomes": list(picos.outcomes),
            "picos_study_design": picos.study_design, "synthesis_plan": p.synthesis_plan,
        }],
        "criterion": criteria,
        "search": [
            {"position": i, "database": s.database, "query": s.query, "date_range": s.date_range,
             "searched_on": s.searched_on, "records": s.records}
            for i, s in enumerate(p.searches, 1)
        ],
        "prisma": [{
            "id": 1, "identified": prisma.identified,
            "identified_by_source": dict(prisma.identified_by_source),
            "duplicates_removed": prisma.duplicates_removed, "screened": prisma.screened,
            "excluded_title_abstract": prisma.excluded_title_abstract,
            "assessed_full_text": prisma.assessed_full_text,
            "excluded_full_text": prisma.excluded_full_text,
            "full_text_exclusion_reasons": dict(prisma.full_text_exclusion_reasons),
            "included": prisma.included,
        }],
        "location": [
            {"key": k, "position": i, "text": text} for i, (k, text) in enumerate(review.locations.items(), 1)
        ],
        "study": [
            {"id": s.id, "position": i, "label": s.label, "year": s.year, "design": s.design,
             "country": s.country, "centres": s.centres, "population": s.population,
             "characteristics": dict(s.characteristics)}
            for i, s in enumerate(review.studies, 1)
        ],
        "report": [
            {"study_id": s.id, "id": r.id, "position": i, "citation": r.citation, "year": r.year,
             "doi": r.doi, "pmid": r.pmid, "language": r.language}
            for s in review.studies for i, r in enumerate(s.reports, 1)
        ],
        "arm": [
            {"study_id": s.id, "id": a.id, "position": i, "label": a.label, "n": a.n,
             "intervention": a.intervention, "dose": None if a.dose is None else float(a.dose),
             "dose_unit": a.dose_unit, "frequency": a.frequency, "duration": a.duration,
             "role": a.role}
            for s in review.studies for i, a in enumerate(s.arms, 1)
        ],
        "outcome": [
            {"id": o.id, "position": i, "name": o.name, "name_en": o.name_en, "kind": o.kind,
             "unit": o.unit, "lower_is_better": o.lower_is_better, "measure": o.measure,
             "timepoints": list(o.timepoints)}
            for i, o in enumerate(review.outcomes, 1)
        ],
        "reported_total": [
            {"id": t.id, "position": i, "value": t.value, "role": t.role, "population": t.population,
             "location": t.location, "quote": t.quote}
            for i, t in enumerate(review.reported_totals, 1)
        ],
        "analysis": [
            {"id": a.id, "position": i, "title": a.title, "outcome_id": a.outcome,
             "timepoint": a.timepoint,
             "settings": {"measure": a.measure, "model": a.model, "method": a.method, "tau2": a.tau2,
                          "studies": list(a.studies),
                          # Written only when set, so that projects without them are unchanged.
                          **({"preset": a.preset} if a.preset else {}),
                          **({"subgroup": a.subgroup} if a.subgroup else {}),
                          **{k: v for k, v in (("hksj", a.hksj), ("prediction", a.prediction),
                                               ("moderator", a.moderator),
                                               ("leave_one_out", a.leave_one_out)) if v},
                          **({"grade": [g.to_dict() for g in a.grade]} if a.grade else {})},
             "rationale": a.rationale}
            for i, a in enumerate(review.analyses, 1)
        ],
        "value": [value_row(v) for v in review.values],
    }
    return {e.name: _keyed(e, rows[e.name]) for e in REVIEW_ENTITIES}


def resolution_rows(resolutions: Iterable[Resolution]) -> Rows:
    return _keyed(RESOLUTION, (resolution_row(r) for r in resolutions))


def appraisal_rows(appraisals: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Rows:
    return _keyed(APPRAISAL, ({"study_id": s, "tool": t, "answers": dict(answers)}
                              for s, tools in appraisals.items() for t, answers in tools.items()))


def _ordered(rows: Iterable[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: r["position"])


def _by_study(rows: Iterable[Row]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for r in _ordered(rows):
        out.setdefault(r["study_id"], []).append(r)
    return out


def value_from_row(r: Row) -> ExtractedValue:
    return ExtractedValue(
        study=r["study_id"], arm=r["arm_id"], outcome=r["outcome_id"], timepoint=r["timepoint"],
        statistic=r["statistic"], value=float(r["value"]), unit=r["unit"],
        provenance=Provenance(report=r["report_id"], location=r["location"], quote=r["quote"],
                              extractor=r["extractor"], extracted_at=r["extracted_at"]),
    )


def value_sort_key(v: ExtractedValue) -> tuple[str, ...]:
    return (*v.key, v.provenance.extractor)


def review_from_rows(rows: Mapping[str, Sequence[Row]]) -> Review:
    """The review stored in ``rows`` (entity name → the table's rows, any order)."""
    project, protocol, prisma = rows["project"][0], rows["protocol"][0], rows["prisma"][0]
    criteria = _ordered(rows["criterion"])
    reports, arms = _by_study(rows["report"]), _by_study(rows["arm"])

    def criterion(kind: str) -> tuple[Criterion, ...]:
        return tuple(Criterion(c["id"], c["text"], c["text_en"]) for c in criteria if c["kind"] == kind)

    return Review(
        id=project["review_id"],
        source=project["source"],
        protocol=Protocol(
            title=protocol["title"], question=protocol["question"], language=protocol["language"],
            picos=Picos(population=protocol["picos_population"],
                        intervention=protocol["picos_intervention"],
                        comparator=protocol["picos_comparator"],
                        outcomes=tuple(protocol["picos_outcomes"]),
                        study_design=protocol["picos_study_design"]),
            inclusion=criterion("inclusion"),
            exclusion=criterion("exclusion"),
            searches=tuple(
                SearchStrategy(database=s["database"], query=s["query"], date_range=s["date_range"],
                               searched_on=s["searched_on"], records=s["records"])
                for s in _ordered(rows["search"])
            ),
            synthesis_plan=protocol["synthesis_plan"],
        ),
        studies=tuple(
            Study(
                id=s["id"], label=s["label"], year=s["year"], design=s["design"], country=s["country"],
                centres=s["centres"], population=s["population"],
                reports=tuple(
                    Report(id=r["id"], citation=r["citation"], year=r["year"], doi=r["doi"],
                           pmid=r["pmid"], language=r["language"])
                    for r in reports.get(s["id"], [])
                ),
                arms=tuple(
                    Arm(id=a["id"], label=a["label"], n=a["n"], intervention=a["intervention"],
                        dose=a["dose"], dose_unit=a["dose_unit"], frequency=a["frequency"],
                        duration=a["duration"], role=a["role"])
                    for a in arms.get(s["id"], [])
                ),
                characteristics=dict(s["characteristics"]),
            )
            for s in _ordered(rows["study"])
        ),
        outcomes=tuple(
            Outcome(id=o["id"], name=o["name"], name_en=o["name_en"], kind=o["kind"], unit=o["unit"],
                    lower_is_better=o["lower_is_better"], measure=o["measure"],
                    timepoints=tuple(o["timepoints"] or ()))
            for o in _ordered(rows["outcome"])
        ),
        values=tuple(sorted((value_from_row(v) for v in rows["value"]), key=value_sort_key)),
        prisma=PrismaCounts(
            identified=prisma["identified"],
            identified_by_source=dict(prisma["identified_by_source"]),
            duplicates_removed=prisma["duplicates_removed"], screened=prisma["screened"],
            excluded_title_abstract=prisma["excluded_title_abstract"],
            assessed_full_text=prisma["assessed_full_text"],
            excluded_full_text=prisma["excluded_full_text"],
            full_text_exclusion_reasons=dict(prisma["full_text_exclusion_reasons"]),
            included=prisma["included"],
        ),
        reported_totals=tuple(
            ReportedTotal(id=t["id"], value=t["value"], role=t["role"], population=t["population"],
                          location=t["location"], quote=t["quote"])
            for t in _ordered(rows["reported_total"])
        ),
        analyses=tuple(
            AnalysisSpec(id=a["id"], title=a["title"], outcome=a["outcome_id"], timepoint=a["timepoint"],
                         measure=a["settings"]["measure"], model=a["settings"]["model"],
                         method=a["settings"]["method"], tau2=a["settings"]["tau2"],
                         studies=tuple(a["settings"]["studies"]), rationale=a["rationale"],
                         preset=a["settings"].get("preset", ""),
                         subgroup=a["settings"].get("subgroup", ""),
                         hksj=a["settings"].get("hksj", False),
                         prediction=a["settings"].get("prediction", ""),
                         moderator=a["settings"].get("moderator", ""),
                         leave_one_out=a["settings"].get("leave_one_out", False),
                         grade=tuple(GradeJudgement(**g) for g in a["settings"].get("grade", ())))
            for a in _ordered(rows["analysis"])
        ),
        locations={loc["key"]: loc["text"] for loc in _ordered(rows["location"])},
    )


def resolution_from_row(r: Row) -> Resolution:
    return Resolution(study=r["study_id"], arm=r["arm_id"], outcome=r["outcome_id"],
                      timepoint=r["timepoint"], statistic=r["statistic"], value=float(r["value"]),
                      unit=r["unit"], resolved_by=r["resolved_by"], resolved_at=r["resolved_at"],
                      note=r["note"])


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as an aware UTC datetime (SQLite gives it back naive, PostgreSQL aware)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
