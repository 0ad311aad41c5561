"""What the web's protocol, studies and extraction pages show, and what their forms save.

The changes themselves are the command line's (``services.studies``): one audited
transaction each, a refused change stores nothing. This module turns a page's form into those
calls and the review into what a page lists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evisynth.analysis.pooling import MEASURES
from evisynth.review.errors import DomainError
from evisynth.review.model import ExtractedValue, Outcome, Review, Study
from evisynth.services import studies as study_services
from evisynth.storage import screening as screening_store
from evisynth.storage.project import Project

#: The outcome types offered on the protocol page (the command line's --kind values).
OUTCOME_TYPES = (("dichotomous", "Dichotomous (events / n)"), ("continuous", "Continuous (mean, SD, n)"),
                 ("generic_inverse_variance", "Generic inverse variance (estimate, SE)"),
                 ("time_to_event", "Time to event (log HR, SE)"))
#: The planned effect measures offered on the protocol page (the command line's --measure).
PLANNED_MEASURES = MEASURES
#: The study designs offered on the studies page (the command line's --design values).
STUDY_DESIGNS = study_services.STUDY_DESIGNS
#: Direction of benefit → Outcome.lower_is_better.
DIRECTIONS = {"lower": True, "higher": False, "": None}
#: What the extraction form asks for, per outcome kind: (per arm, for the whole study).
FORM_STATISTICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "binary": (("events", "n"), ()), "count": (("events", "n"), ()),
    "continuous": (("mean", "sd", "n"), ()),
    "generic": (("n",), ("estimate", "se")), "time_to_event": (("n",), ("estimate", "se")),
}
#: The time point a form row starts with when nothing was entered for the outcome yet.
DEFAULT_TIMEPOINT = "end"


def free_id(name: str, taken: Sequence[str], fallback: str) -> str:
    """An id made from ``name`` (lower-case letters, digits, _), not in ``taken``."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:30] or fallback
    found, i = base, 1
    while found in taken:
        i += 1
        found = f"{base}{i}"
    return found


# -- protocol ------------------------------------------------------------------------------


def add_outcome(project: Project, actor: str, *, name: str, kind: str, unit: str = "",
                direction: str = "", measure: str = "", timepoints: str = "") -> str:
    """A planned outcome from the protocol page (its id made from the name); returns the id.
    ``timepoints``: the planned time points' labels, separated by ; or , (either width)."""
    if not name.strip():
        raise DomainError("the outcome's name is empty; name it as the protocol does")
    if direction not in DIRECTIONS:
        raise DomainError(f"direction of benefit {direction!r} must be lower, higher or empty")
    taken = [o.id for o in project.load_review().outcomes]
    outcome_id = free_id(name, taken, f"o{len(taken) + 1}")
    study_services.add_outcome(project, outcome_id, actor, name=name.strip(), kind=kind, unit=unit.strip(),
                               lower_is_better=DIRECTIONS[direction], measure=measure,
                               timepoints=[t for t in re.split(r"[;,；，]", timepoints) if t.strip()])
    return outcome_id


# -- studies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudiesView:
    """The study list, and how many included records are not yet a study's report."""

    studies: tuple[Study, ...]
    waiting: int

    @property
    def splittable(self) -> tuple[Study, ...]:
        """The studies with more than one report."""
        return tuple(s for s in self.studies if len(s.reports) > 1)


def studies_view(project: Project) -> StudiesView:
    review = project.load_review()
    reported = {r.id for s in review.studies for r in s.reports}
    waiting = sum(1 for item in study_services.included_records(project) if str(item.id) not in reported)
    return StudiesView(review.studies, waiting)


def add_arm(project: Project, actor: str, *, label: str, role: str, study: str = "",
            n: int | None = None, dose: float | None = None, dose_unit: str = "") -> tuple[str, ...]:
    """An arm (id made from the label) for one study, or every study lacking it; the studies."""
    if not label.strip():
        raise DomainError("the arm's label is empty; name the group, e.g. Antibiotic or Placebo")
    arm_id = free_id(label, (), "arm")
    return study_services.add_arm(project, arm_id, actor, label=label.strip(), role=role,
                                  studies=(study,) if study else (), n=n, dose=dose,
                                  dose_unit=dose_unit).ids


def describe_study(project: Project, actor: str, *, study: str, design: str = "", country: str = "",
                   population: str = "") -> None:
    """A study's design, country and population, from the studies page; a field left empty
    keeps what is stored."""
    study_services.set_study(project, study, actor, design=design or None,
                             country=country.strip() or None, population=population.strip() or None)


def set_arm(project: Project, actor: str, *, arm: str, n: int | None = None,
            dose: float | None = None, dose_unit: str = "") -> None:
    """One study's arm (``arm`` is ``study id/arm id``, as the page's list names it): its n,
    dose and dose unit; a field left empty keeps what is stored."""
    study, sep, arm_id = arm.partition("/")
    if not sep:
        raise DomainError(f"arm {arm!r} must be STUDY/ARM; choose it from the list")
    study_services.set_arm(project, study, arm_id, actor, n=n, dose=dose,
                           dose_unit=dose_unit.strip() or None)


def set_characteristic(project: Project, actor: str, *, study: str, name: str, value: str) -> None:
    """A study characteristic (``blinding`` = ``double blind``): what subgroups are made of."""
    if not name.strip():
        raise DomainError("the characteristic's name is empty; e.g. blinding, setting, country")
    study_services.set_study(project, study, actor, characteristics={name.strip(): value.strip()})


# -- extraction ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FormField:
    """One number on the form: ``name`` is the input's name, ``value`` the extractor's own."""

    name: str
    arm: str
    statistic: str
    value: float | None


@dataclass(frozen=True)
class OutcomeRows:
    """An outcome's part of the form: its time point, one row of fields per arm (label first),
    the whole-study fields, and the provenance entered with it."""

    outcome: Outcome
    timepoint: str
    arms: tuple[tuple[str, tuple[FormField, ...]], ...]
    whole: tuple[FormField, ...]
    report: str
    location: str
    quote: str


@dataclass(frozen=True)
class ExtractionForm:
    """A study's form: its outcomes' rows, how many values the extractor has entered, the
    next study in the list (None after the last), and the record ids of its reports whose PDF
    was uploaded (shown beside the form)."""

    study: Study
    outcomes: tuple[OutcomeRows, ...]
    entered: int
    next: Study | None
    pdfs: tuple[int, ...] = ()


def _field(outcome: str, arm: str, statistic: str) -> str:
    return f"{outcome}|{arm}|{statistic}"


def extraction_form(project: Project, study_id: str, extractor: str) -> ExtractionForm:
    """The form for ``study_id``: every planned outcome × the study's arms, filled with
    ``extractor``'s own values only (the other extractor's stay hidden)."""
    review = project.load_review()
    study = _study(review, study_id)
    mine = [v for v in review.values if v.study == study.id and v.provenance.extractor == extractor]
    rows = []
    for o in review.outcomes:
        own = [v for v in mine if v.outcome == o.id]
        timepoint = own[0].timepoint if own else _usual_timepoint(review, o.id)
        value = {(v.arm, v.statistic): v.value for v in own if v.timepoint == timepoint}
        per_arm, whole = FORM_STATISTICS[o.kind]
        arms = tuple((a.label, tuple(FormField(_field(o.id, a.id, s), a.id, s, value.get((a.id, s)))
                                     for s in per_arm)) for a in study.arms)
        first = own[0].provenance if own else None
        study_wide = tuple(FormField(_field(o.id, "", s), "", s, value.get(("", s))) for s in whole)
        rows.append(OutcomeRows(o, timepoint, arms, study_wide, first.report if first else "",
                                first.location if first else "", first.quote if first else ""))
    after = review.studies[review.studies.index(study) + 1:]
    files = {rid for rid, ft in screening_store.full_texts(project).items() if ft.kind == "file"}
    pdfs = tuple(int(r.id) for r in study.reports if r.id.isdigit() and int(r.id) in files)
    return ExtractionForm(study, tuple(rows), len(mine), after[0] if after else None, pdfs)


def _usual_timepoint(review: Review, outcome: str) -> str:
    """The time point other studies' values of ``outcome`` use most, else DEFAULT_TIMEPOINT."""
    points = [v.timepoint for v in review.values if v.outcome == outcome]
    return max(set(points), key=points.count) if points else DEFAULT_TIMEPOINT


def save_extraction_form(project: Project, study_id: str, extractor: str,
                         form: Mapping[str, str]) -> int:
    """Store the numbers filled in on the form as ``extractor``'s values (changing their own
    earlier ones), with each outcome's report, location and quote; blanks are skipped. All or
    none. Returns how many values were stored."""
    review = project.load_review()
    study = _study(review, study_id)
    rows: list[dict[str, str]] = []
    for o in review.outcomes:
        timepoint = form.get(f"{o.id}|timepoint", "").strip() or DEFAULT_TIMEPOINT
        per_arm, whole = FORM_STATISTICS[o.kind]
        cells = [(a.id, s) for a in study.arms for s in per_arm] + [("", s) for s in whole]
        for arm, statistic in cells:
            text = form.get(_field(o.id, arm, statistic), "").strip()
            if text:
                rows.append({"study": study.id, "arm": arm, "outcome": o.id, "timepoint": timepoint,
                             "statistic": statistic, "value": text,
                             "report": form.get(f"{o.id}|report", ""),
                             "location": form.get(f"{o.id}|location", "") or "web form",
                             "quote": form.get(f"{o.id}|quote", "")})
    if not rows:
        raise DomainError(f"no number was filled in for {study.label}; enter at least one value")
    study_services.extract_rows(project, rows, extractor, extractor, replace_values=True)
    return len(rows)


def _study(review: Review, study_id: str) -> Study:
    for s in review.studies:
        if s.id == study_id:
            return s
    raise DomainError(f"no study {study_id!r} in this project; make studies on the Studies page")


def visible_values(values: Sequence[ExtractedValue], viewer: str) -> tuple[ExtractedValue, ...]:
    """Blinding: ``viewer``'s own values, and another extractor's only for the keys the viewer
    has entered too."""
    keys = {v.key for v in values if v.provenance.extractor == viewer}
    return tuple(v for v in values if v.provenance.extractor == viewer or v.key in keys)


# -- analyses ------------------------------------------------------------------------------


def save_analysis(project: Project, actor: str, *, outcome: str, measure: str, preset: str = "",
                  model: str = "", tau2: str = "", subgroup: str = "", timepoint: str = "",
                  hksj: bool = False, prediction: str = "", moderator: str = "",
                  leave_one_out: bool = False) -> str:
    """Save an analysis from the analysis page (id a1, a2, …; settings left empty take the
    preset's); returns its id."""
    taken = [a.id for a in project.load_review().analyses]
    analysis_id = next(f"a{i}" for i in range(1, len(taken) + 2) if f"a{i}" not in taken)
    study_services.add_analysis(project, analysis_id, actor, outcome=outcome, measure=measure,
                                timepoint=timepoint.strip() or DEFAULT_TIMEPOINT, preset=preset or None,
                                model=model or None, tau2=tau2 or None, subgroup=subgroup.strip(),
                                hksj=hksj, prediction=prediction, moderator=moderator.strip(),
                                leave_one_out=leave_one_out)
    return analysis_id
