"""Quantitative synthesis of a review: turn extracted values into pooling tables and pool them.

For each planned analysis (:class:`~evisynth.review.model.AnalysisSpec`) every study with an
experimental and a control arm that report mean, SD and n (continuous) or events and n
(binary) at the analysis's time point enters a table for :func:`evisynth.pool`; for the
generic inverse-variance measure (GEN) each study's own ``estimate`` and ``se`` do. Single-arm
studies cannot enter a two-arm comparison and are listed with the reason; so is every study
whose data are incomplete. With one study left, its own estimate is given and the result says
that nothing was pooled (the review then relies on its narrative synthesis). An analysis
with a ``subgroup`` takes each study's subgroup from that characteristic of the study; its
``preset`` (e.g. "revman5") goes to ``pool`` as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from evisynth.analysis.pooling import pool
from evisynth.core.errors import InputError
from evisynth.core.results import PoolResult
from evisynth.review.model import AnalysisSpec, ExtractedValue, Review, Study

#: Time-point label prefixes that are never "the end of treatment".
NOT_FOLLOW_UP = ("baseline", "change")
#: Statistics that count people or events.
COUNTS = ("n", "events")


@dataclass(frozen=True)
class StudyInclusion:
    """Whether a study entered an analysis, and why (or why not)."""

    study: str
    included: bool
    reason: str
    timepoint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"study": self.study, "included": self.included, "reason": self.reason,
                "timepoint": self.timepoint}


@dataclass(frozen=True)
class SynthesisResult:
    """One planned analysis: the table pooled, the result, or why it was not (fully) pooled."""

    spec: AnalysisSpec
    table: tuple[dict[str, Any], ...]
    inclusion: tuple[StudyInclusion, ...]
    result: PoolResult | None
    not_pooled_because: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "analysis": self.spec.to_dict(),
            "table": list(self.table),
            "inclusion": [i.to_dict() for i in self.inclusion],
            "result": self.result.to_dict() if self.result is not None else None,
            "not_pooled_because": self.not_pooled_because,
        }


def _values(review: Review, study: str, outcome: str) -> list[ExtractedValue]:
    return [v for v in review.values if v.study == study and v.outcome == outcome]


def _stat(values: list[ExtractedValue], arm: str, timepoint: str, statistic: str) -> float | None:
    """The value of ``statistic``; a whole-numbered count (n, events) as an int, so that the
    pooling table and its exports (CSV, XLSX, results.json) show 29, not 29.0."""
    for v in values:
        if (v.arm, v.timepoint, v.statistic) == (arm, timepoint, statistic):
            if statistic in COUNTS and float(v.value).is_integer():
                return int(v.value)
            return v.value
    return None


def _generic_row(study: Study, values: list[ExtractedValue], timepoint: str
                 ) -> tuple[dict[str, Any] | None, str]:
    """A study's own effect estimate and SE (whole study: no arm), on the analysis scale, and
    the arms' n (n1, n2) when both are given, for the participants the report counts."""
    row: dict[str, Any] = {"study": study.label, "study_id": study.id, "note": ""}
    for statistic, column in (("estimate", "yi"), ("se", "sei")):
        x = _stat(values, "", timepoint, statistic)
        if x is None:
            return None, f"no {statistic} for the study at {timepoint}"
        row[column] = x
    arms = [next((a for a in study.arms if a.role == role), None) for role in ("experimental", "control")]
    sizes = [None if a is None else _stat(values, a.id, timepoint, "n") for a in arms]
    if sizes[0] is not None and sizes[1] is not None:
        row["n1"], row["n2"] = sizes
    return row, "included"


def _arm_row(
    study: Study, values: list[ExtractedValue], spec: AnalysisSpec, timepoint: str
) -> tuple[dict[str, Any] | None, str]:
    if spec.measure == "GEN":
        return _generic_row(study, values, timepoint)
    experimental = [a for a in study.arms if a.role == "experimental"]
    control = [a for a in study.arms if a.role == "control"]
    if not experimental or not control:
        return None, f"{study.design.replace('_', '-')} study: no control arm to compare with"
    e, c = experimental[0], control[0]
    binary = spec.measure in ("RR", "OR", "RD")
    change = timepoint.startswith("change")
    needed = ("events",) if binary else ("mean_change", "sd_change") if change else ("mean", "sd")
    column = {"events": "e", "mean": "m", "sd": "sd", "mean_change": "m", "sd_change": "sd"}
    row: dict[str, Any] = {"study": study.label, "study_id": study.id}
    notes = []
    for suffix, arm in (("1", e), ("2", c)):
        for statistic in needed:
            x = _stat(values, arm.id, timepoint, statistic)
            if x is None:
                return None, f"no {statistic} for arm '{arm.label}' at {timepoint}"
            row[column[statistic] + suffix] = x
        n = _stat(values, arm.id, timepoint, "n")
        if n is None and arm.n is not None:
            n = arm.n
            notes.append(f"n{suffix} = {arm.n} randomised (analysed n not reported)")
        if n is None:
            return None, f"no n for arm '{arm.label}'"
        row["n" + suffix] = n
    row["note"] = "; ".join(notes)
    return row, "included"


def _follow_up(values: list[ExtractedValue], wanted: str) -> str | None:
    if wanted != "end":
        return wanted
    points = sorted({v.timepoint for v in values if not v.timepoint.startswith(NOT_FOLLOW_UP)})
    return points[-1] if points else None


def synthesise(review: Review, spec: AnalysisSpec) -> SynthesisResult:
    """Build the pooling table for ``spec`` from the review's values and pool it."""
    rows: list[dict[str, Any]] = []
    inclusion: list[StudyInclusion] = []
    studies = [review.study(s) for s in spec.studies] if spec.studies else list(review.studies)
    for study in studies:
        values = _values(review, study.id, spec.outcome)
        if not values:
            inclusion.append(StudyInclusion(study.label, False, f"did not report {spec.outcome}"))
            continue
        timepoint = _follow_up(values, spec.timepoint)
        if timepoint is None:
            inclusion.append(StudyInclusion(study.label, False, "no follow-up values"))
            continue
        row, reason = _arm_row(study, values, spec, timepoint)
        # the moderator's column keeps the characteristic's name: the coefficient is named after it
        for column, characteristic, role in (("subgroup", spec.subgroup, "subgroup"),
                                             (spec.moderator, spec.moderator, "meta-regression")):
            if row is not None and characteristic:
                found = study.characteristics.get(characteristic, "").strip()
                if column in row:  # e.g. a characteristic called "n1"
                    row, reason = None, (f"the characteristic '{characteristic}' has the name of a "
                                         "column of the pooling table; rename the characteristic")
                elif not found:
                    row, reason = None, f"no '{characteristic}' characteristic for its {role}"
                else:
                    row[column] = found
        inclusion.append(StudyInclusion(study.label, row is not None, reason, timepoint))
        if row is not None:
            rows.append(row)
    if not rows:
        return SynthesisResult(spec, (), tuple(inclusion), None,
                               "no study has comparable two-arm data")
    frame = pd.DataFrame(rows).drop(columns=["study_id"])
    try:
        result = pool(frame, measure=spec.measure, model=spec.model, method=spec.method,
                      tau2=spec.tau2, preset=spec.preset or None,
                      by="subgroup" if spec.subgroup else None, hksj=spec.hksj,
                      prediction=spec.prediction or None,
                      moderator=spec.moderator or None,
                      leave_one_out=spec.leave_one_out)
    except InputError as exc:
        return SynthesisResult(spec, tuple(rows), tuple(inclusion), None, str(exc))
    single = "only one study has comparable two-arm data: its own estimate, not a pooled one"
    return SynthesisResult(spec, tuple(rows), tuple(inclusion), result,
                           single if len(rows) == 1 else "")
