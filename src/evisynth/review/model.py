"""The review project as a domain model: immutable dataclasses, no I/O, no database.

A review is a protocol, the studies it includes (a study may have several reports), their
arms, the outcomes, and the values extracted for them. Every extracted value carries its
provenance: which report, where in it (page, table, section), the words quoted, who
extracted it and when. Storage (``evisynth.storage``) maps these classes to tables; the
plain-text bundle (``evisynth.storage.bundle``) writes them as YAML and CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from evisynth.core.results import Serializable

Language = Literal["en", "zh"]
StudyDesign = Literal["rct", "single_arm", "non_randomised", "observational"]
#: ``generic``: each study gives its effect estimate and its SE (generic inverse variance).
OutcomeKind = Literal["continuous", "binary", "count", "time_to_event", "generic"]
Statistic = Literal[
    "n", "mean", "sd", "se", "median", "q1", "q3", "min", "max", "ci_low", "ci_high",
    "events", "p", "mean_change", "sd_change", "score", "r", "dose", "estimate",
]
STATISTICS: tuple[str, ...] = (
    "n", "mean", "sd", "se", "median", "q1", "q3", "min", "max", "ci_low", "ci_high",
    "events", "p", "mean_change", "sd_change", "score", "r", "dose", "estimate",
)


#: Domain classes share the core's JSON-ready ``to_dict()``.
_Plain = Serializable


@dataclass(frozen=True)
class Criterion(_Plain):
    """An inclusion or exclusion criterion, in the review's language (``text``)."""

    id: str
    text: str
    text_en: str = ""


@dataclass(frozen=True)
class SearchStrategy(_Plain):
    """One database search: the query as run, when, the date range covered, hits found."""

    database: str
    query: str = ""
    date_range: str = ""
    searched_on: str = ""
    records: int | None = None


@dataclass(frozen=True)
class Picos(_Plain):
    population: str = ""
    intervention: str = ""
    comparator: str = ""
    outcomes: tuple[str, ...] = ()
    study_design: str = ""


@dataclass(frozen=True)
class Protocol(_Plain):
    """What the review set out to do, before seeing the results."""

    title: str
    question: str = ""
    language: Language = "en"
    picos: Picos = field(default_factory=Picos)
    inclusion: tuple[Criterion, ...] = ()
    exclusion: tuple[Criterion, ...] = ()
    searches: tuple[SearchStrategy, ...] = ()
    synthesis_plan: str = ""


@dataclass(frozen=True)
class Report(_Plain):
    """A publication (or registry entry) that reports a study."""

    id: str
    citation: str
    year: int | None = None
    doi: str = ""
    pmid: str = ""
    language: str = ""


@dataclass(frozen=True)
class Arm(_Plain):
    """A group of a study: what it received and how many were randomised to it."""

    id: str
    label: str
    n: int | None = None
    intervention: str = ""
    dose: float | None = None
    dose_unit: str = ""
    frequency: str = ""
    duration: str = ""
    role: Literal["experimental", "control", "single"] = "experimental"


@dataclass(frozen=True)
class Study(_Plain):
    """An included study with its reports, arms and descriptive characteristics."""

    id: str
    label: str
    year: int | None = None
    design: StudyDesign = "rct"
    country: str = ""
    centres: str = ""
    population: str = ""
    reports: tuple[Report, ...] = ()
    arms: tuple[Arm, ...] = ()
    characteristics: dict[str, str] = field(default_factory=dict)

    def arm(self, arm_id: str) -> Arm:
        for a in self.arms:
            if a.id == arm_id:
                return a
        raise KeyError(arm_id)


@dataclass(frozen=True)
class Outcome(_Plain):
    """An outcome the review extracts, with its unit and which direction is better.

    ``measure`` is the planned effect measure (RR, OR, MD, …; empty when not planned), the one
    an analysis of the outcome takes unless told otherwise; ``timepoints`` the planned time
    points' labels ("end", "12 months").
    """

    id: str
    name: str
    name_en: str = ""
    kind: OutcomeKind = "continuous"
    unit: str = ""
    lower_is_better: bool | None = None
    measure: str = ""
    timepoints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provenance(_Plain):
    """Where a value came from: the report, the place in it, the words, who and when."""

    report: str
    location: str
    quote: str = ""
    extractor: str = ""
    extracted_at: str = ""


@dataclass(frozen=True)
class ExtractedValue(_Plain):
    """One number: a statistic of an outcome in an arm (or the whole study) at a time point.

    ``arm`` is empty for between-group statistics (a p value of the comparison, the total n).
    """

    study: str
    arm: str
    outcome: str
    timepoint: str
    statistic: str
    value: float
    unit: str
    provenance: Provenance

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.study, self.arm, self.outcome, self.timepoint, self.statistic)


@dataclass(frozen=True)
class PrismaCounts(_Plain):
    """PRISMA 2020 flow counts as a review reports them (later computed from records)."""

    identified: int | None = None
    identified_by_source: dict[str, int] = field(default_factory=dict)
    duplicates_removed: int | None = None
    screened: int | None = None
    excluded_title_abstract: int | None = None
    assessed_full_text: int | None = None
    excluded_full_text: int | None = None
    full_text_exclusion_reasons: dict[str, int | None] = field(default_factory=dict)
    included: int | None = None


@dataclass(frozen=True)
class ReportedTotal(_Plain):
    """A participant total the review states, to be checked against its arms.

    ``role`` selects the arms summed ("all", "experimental" — single-arm groups count here —
    or "control"); ``population`` restricts to studies whose ``population`` contains it.
    """

    id: str
    value: int
    role: Literal["all", "experimental", "control"] = "all"
    population: str = ""
    location: str = ""
    quote: str = ""


@dataclass(frozen=True)
class GradeJudgement(_Plain):
    """The reviewers' GRADE rating of one domain for an analysis: the change of certainty
    (``review.certainty.ALLOWED_CHANGES``) and the reason (a Summary of Findings footnote);
    checked as a ``review.certainty.Rating`` when saved."""

    domain: str
    change: int
    reason: str
    suggested: int | None = None  # evisynth's suggestion, kept when the reviewers departed from it


@dataclass(frozen=True)
class AnalysisSpec(_Plain):
    """A planned synthesis of one outcome at one time point and its settings.

    ``measure`` is an ``evisynth.pool`` measure (MD, SMD, RR, OR, RD, MC); ``model`` is
    fixed, random or auto; ``studies`` restricts the analysis (empty: every study with data).
    ``preset`` is an ``evisynth.pool`` preset ("revman5", "metafor"; "" for none) and
    ``subgroup`` the study characteristic whose values split the studies into subgroups
    ("" for none). ``hksj``: Hartung–Knapp–Sidik–Jonkman intervals; ``prediction``: the
    prediction interval ("z", "t", "none"; "" takes the preset's); ``moderator``: the study
    characteristic regressed on (meta-regression; "" for none); ``leave_one_out``: the
    sensitivity analysis omitting each study in turn. ``grade``: the reviewers' GRADE
    ratings of the five domains (empty: not graded yet, the report shows evisynth's
    suggestion).
    """

    id: str
    title: str
    outcome: str
    timepoint: str
    measure: str
    model: str = "auto"
    method: str = "IV"
    tau2: str = "DL"
    studies: tuple[str, ...] = ()
    rationale: str = ""
    preset: str = ""
    subgroup: str = ""
    hksj: bool = False
    prediction: str = ""
    moderator: str = ""
    leave_one_out: bool = False
    grade: tuple[GradeJudgement, ...] = ()


@dataclass(frozen=True)
class Review(_Plain):
    """A whole review project."""

    id: str
    protocol: Protocol
    studies: tuple[Study, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    values: tuple[ExtractedValue, ...] = ()
    prisma: PrismaCounts = field(default_factory=PrismaCounts)
    reported_totals: tuple[ReportedTotal, ...] = ()
    analyses: tuple[AnalysisSpec, ...] = ()
    locations: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def study(self, study_id: str) -> Study:
        for s in self.studies:
            if s.id == study_id:
                return s
        raise KeyError(study_id)

    def outcome(self, outcome_id: str) -> Outcome:
        for o in self.outcomes:
            if o.id == outcome_id:
                return o
        raise KeyError(outcome_id)
