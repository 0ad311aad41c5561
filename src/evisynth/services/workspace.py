"""What the web pages show, computed from the project (no HTML here): the screening view of
one record with its keyword highlighting, progress and the criteria; conflicts with their
records; the PRISMA figure; the report.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from evisynth.analysis.review import SynthesisResult, synthesise
from evisynth.core.results import format_p
from evisynth.plotting import figure_to_bytes, forest_plot, funnel_plot, prisma2020_flow
from evisynth.review.appraisal import (
    METHOD_ANSWERS,
    ROB1_DOMAINS,
    ROB1_LABELS,
    JadadAnswers,
    RobAssessment,
    jadad_score,
)
from evisynth.review.certainty import (
    ALLOWED_CHANGES,
    DOWNGRADE_DOMAINS,
    UPGRADE_DOMAINS,
    Certainty,
    Rating,
    judge,
)
from evisynth.review.errors import DomainError
from evisynth.review.extraction import compare_extractions, standing_values
from evisynth.review.model import (
    AnalysisSpec,
    Criterion,
    ExtractedValue,
    GradeJudgement,
    Provenance,
    Review,
)
from evisynth.review.rob2 import (
    ASKED_IF,
    DOMAIN_NAMES,
    QUESTIONS,
    Rob2Assessment,
    Rob2Discrepancy,
    assessment_from_dict,
    compare_assessments,
)
from evisynth.review.screening import (
    Conflict,
    Keywords,
    Policy,
    RecordScreening,
    ScreeningEvent,
    Span,
    highlight,
    visible_events,
)
from evisynth.services import screening as screening_services
from evisynth.services.forms import visible_values
from evisynth.storage import records as record_store
from evisynth.storage import screening as screening_store
from evisynth.storage.bundle import Appraisals
from evisynth.storage.project import Project

#: A piece of text and how it is marked: "" (plain), "include" or "exclude".
Segment = tuple[str, str]


def segments(text: str, spans: Sequence[Span]) -> list[Segment]:
    """Split ``text`` at the keyword spans (non-overlapping, in order) for rendering."""
    out: list[Segment] = []
    at = 0
    for s in sorted(spans, key=lambda s: s.start):
        if s.start < at:
            continue
        if s.start > at:
            out.append((text[at:s.start], ""))
        out.append((text[s.start:s.end], s.kind))
        at = s.end
    if at < len(text):
        out.append((text[at:], ""))
    return out


@dataclass(frozen=True)
class ScreenView:
    """One record to screen (or none left) and what surrounds it."""

    stage: str
    record_id: int | None
    title: list[Segment]
    abstract: list[Segment]
    keywords: tuple[str, ...]
    source: str
    visible: tuple[ScreeningEvent, ...]
    full_text: str
    decided: int
    remaining: int
    inclusion: tuple[Criterion, ...]
    exclusion: tuple[Criterion, ...]
    words: Keywords
    policy: Policy

    @property
    def progress(self) -> float:
        total = self.decided + self.remaining
        return 100.0 if total == 0 else 100.0 * self.decided / total


def record_view(project: Project, session: screening_services.ScreeningSession,
                states: Mapping[int, RecordScreening], rid: int | None, decided: int) -> ScreenView:
    """Record ``rid`` as ``session``'s reviewer sees it at the session's stage (None: nothing
    to show); ``decided``: how many records they decided at that stage."""
    if rid is None:
        return ScreenView(session.stage, None, [], [], (), "", (), "", decided, session.remaining,
                          session.inclusion, session.exclusion, session.keywords, session.policy)
    stored = record_store.get_record(project, rid).record
    state = states.get(rid, RecordScreening(rid))
    ft = screening_store.full_texts(project).get(rid)
    return ScreenView(
        session.stage, rid, segments(stored.title, highlight(stored.title, session.keywords)),
        segments(stored.abstract, highlight(stored.abstract, session.keywords)), stored.keywords,
        stored.database, visible_events(state, session.stage, session.reviewer, session.policy),
        "" if ft is None else ft.kind, decided, session.remaining, session.inclusion, session.exclusion,
        session.keywords, session.policy)


def undo(project: Project, reviewer: str, stage: str, record_id: int) -> RecordScreening:
    """Withdraw the reviewer's decision on the record (a retraction is appended)."""
    states = screening_store.load_screening(project, [record_id])
    state = states.get(record_id)
    mine = state is not None and any(d.reviewer == reviewer for d in state.stage(stage).decisions)  # type: ignore[arg-type]
    if not mine:
        raise DomainError(f"you have no decision on record {record_id} to undo")
    return screening_services.decide(project, record_id, stage, reviewer, "retract")


@dataclass(frozen=True)
class ConflictView:
    conflict: Conflict
    title: str
    abstract: str


def conflict_views(project: Project, stage: str | None = None) -> list[ConflictView]:
    out = []
    for c in screening_services.list_conflicts(project, stage):
        r = record_store.get_record(project, int(c.record_id)).record
        out.append(ConflictView(c, r.title, r.abstract))
    return out


def prisma_svg(project: Project, language: str = "en") -> bytes:
    return figure_to_bytes(prisma2020_flow(screening_services.prisma(project), language=language), "svg")


def prisma_counts(project: Project) -> dict[str, Any]:
    return screening_services.prisma(project).to_dict()


# ---------------------------------------------------------------------------------------------
# Analysis, extraction and the report

#: Presets (``evisynth.pool(preset=...)``): RevMan 5's or metafor's conventions, or none
#: (evisynth's defaults); the tau² estimator each uses by default is shown (RevMan 5:
#: DerSimonian–Laird; metafor and the defaults: REML).
PRESETS = {"revman5": "DL", "metafor": "REML", "": "REML"}
MEASURES = ("MD", "SMD", "RR", "OR", "RD")
MODELS = ("random", "fixed", "auto")
#: The prediction interval ("" takes the preset's: none for RevMan 5, z otherwise).
PREDICTIONS = ("", "z", "t", "none")
STATISTICS = ("mean", "sd", "n", "events", "total", "median", "p")


@dataclass(frozen=True)
class AnalysisChoice:
    """What the analysis page pools: the outcome and every ``evisynth.pool`` option it offers
    ("" takes the planned analysis's or the preset's value)."""

    outcome: str = ""
    measure: str = ""
    model: str = "random"
    preset: str = "revman5"
    tau2: str = ""
    hksj: bool = False
    prediction: str = ""
    subgroup: str = ""
    moderator: str = ""
    leave_one_out: bool = False

    def check(self) -> None:
        from evisynth.core.tau2 import TAU2_METHODS

        for name, value, allowed in (
                ("preset", self.preset, tuple(PRESETS)), ("model", self.model, MODELS),
                ("measure", self.measure, ("", *MEASURES)), ("tau2", self.tau2, ("", *TAU2_METHODS)),
                ("prediction", self.prediction, PREDICTIONS)):
            if value not in allowed:
                shown = ", ".join(a or '"" (the default)' for a in allowed)
                raise DomainError(f"{name} {value!r} must be one of {shown}")


@dataclass(frozen=True)
class AnalysisView:
    """One analysis as chosen on the page: the synthesis, its forest and funnel plots (SVG
    data URIs), heterogeneity statistics as text, and the subgroup, meta-regression and
    leave-one-out results when asked for."""

    outcomes: tuple[tuple[str, str], ...]
    outcome: str
    timepoint: str
    measure: str
    model: str
    preset: str
    synthesis: SynthesisResult | None
    forest: str
    heterogeneity: dict[str, str]
    analyses: tuple[AnalysisSpec, ...] = ()
    saved: AnalysisSpec | None = None
    spec: AnalysisSpec | None = None
    funnel: str = ""
    subgroups: tuple[tuple[str, str, str], ...] = ()  # group, k, estimate [CI]
    subgroup_test: str = ""
    metaregression: tuple[tuple[str, str, str, str], ...] = ()  # term, estimate, CI, p
    metaregression_test: str = ""
    leave_one_out: tuple[tuple[str, str, str], ...] = ()  # omitted, estimate [CI], I²
    characteristics: tuple[str, ...] = ()  # the studies' characteristics (subgroups, moderators)


def _fmt(x: float | None, digits: int = 2) -> str:
    return "NA" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def _svg_uri(fig: Any) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(figure_to_bytes(fig, "svg")).decode()


def analysis_spec(review: Review, choice: AnalysisChoice) -> AnalysisSpec:
    """The analysis the page's ``choice`` describes: the planned analysis of the outcome (its
    time point and studies), with the page's measure and options. Without a planned analysis
    or a chosen measure, the outcome's planned measure (else RR for events, MD otherwise)."""
    choice.check()
    outcomes = {o.id: o for o in review.outcomes}
    if choice.outcome not in outcomes:
        raise DomainError(f"outcome {choice.outcome!r} is not in this review; choose one of the list")
    planned = {a.outcome: a for a in review.analyses}
    o = outcomes[choice.outcome]
    base = planned.get(choice.outcome) or AnalysisSpec(
        id=choice.outcome, title=o.name_en or o.name, outcome=choice.outcome, timepoint="end",
        measure=o.measure or ("RR" if o.kind == "binary" else "MD"))
    return replace(base, measure=choice.measure or base.measure, model=choice.model, method="IV",
                   preset=choice.preset, tau2=choice.tau2 or PRESETS[choice.preset], hksj=choice.hksj,
                   prediction=choice.prediction, subgroup=choice.subgroup.strip(),
                   moderator=choice.moderator.strip(), leave_one_out=choice.leave_one_out)


def analysis_view(project: Project, choice: AnalysisChoice | None = None, saved: str = "") -> AnalysisView:
    """Pool ``choice.outcome`` (default: the first planned analysis) with the options chosen;
    the time point and studies follow the planned analysis of that outcome. ``saved``: show
    that saved analysis instead, pooled from the values stored now with its own settings (as
    the report pools it)."""
    choice = choice or AnalysisChoice()
    choice.check()
    review = project.load_review()
    # the values that stand (agreed, or the arbiter's), as the report pools them
    review = replace(review, values=standing_values(review.values, project.load_resolutions())[0])
    outcomes = tuple((o.id, o.name_en or o.name) for o in review.outcomes)
    characteristics = tuple(sorted({k for s in review.studies for k in s.characteristics}))
    if saved:
        spec = next((a for a in review.analyses if a.id == saved), None)
        if spec is None:
            raise DomainError(f"no saved analysis {saved!r}; choose one of the list")
        view = _pooled_view(review, spec, synthesise(review, spec), outcomes, spec.preset)
        return replace(view, analyses=review.analyses, saved=spec, characteristics=characteristics)
    first = review.analyses[0].outcome if review.analyses else (outcomes[0][0] if outcomes else "")
    if not (choice.outcome or first):
        return AnalysisView(outcomes, "", "", choice.measure, choice.model, choice.preset, None, "", {},
                            review.analyses)
    spec = analysis_spec(review, replace(choice, outcome=choice.outcome or first))
    view = _pooled_view(review, spec, synthesise(review, spec), outcomes, choice.preset)
    return replace(view, analyses=review.analyses, characteristics=characteristics)


def _pooled_view(review: Review, spec: AnalysisSpec, synthesis: SynthesisResult,
                 outcomes: tuple[tuple[str, str], ...], preset: str) -> AnalysisView:
    view = AnalysisView(outcomes, spec.outcome, spec.timepoint, spec.measure, spec.model, preset, synthesis,
                        "", {}, spec=spec)
    result = synthesis.result
    if result is None or result.overall is None:
        return view
    e, shown = result.overall, result.display_scale.transform  # ratios as ratios, not logs

    def interval(low: float, high: float) -> str:
        return f"{_fmt(shown(low))} to {_fmt(shown(high))}"

    heterogeneity = {"k": str(e.k), "estimate": _fmt(shown(e.estimate)), "ci": interval(e.ci_low, e.ci_high),
                     "p": format_p(e.p), "tau2": _fmt(e.tau2, 4), "i2": _fmt(e.i2, 0), "q": _fmt(e.q),
                     "q_df": str(e.q_df), "q_p": format_p(e.q_p), "tau2_method": result.tau2_method or "",
                     "model": result.model, "test": result.test,
                     "pi": interval(e.pi_low, e.pi_high) if math.isfinite(e.pi_low) else ""}
    forest = funnel = ""
    if result.k > 1:
        arm_data = pd.DataFrame(list(synthesis.table)).drop(
            columns=["study_id", "note", "subgroup", spec.moderator], errors="ignore")
        language = review.protocol.language
        groups = {str(r["study"]): str(r["subgroup"]) for r in synthesis.table} if spec.subgroup else None
        forest = _svg_uri(forest_plot(result, arm_data=arm_data, language=language, groups=groups,
                                      prediction_interval=bool(heterogeneity["pi"])))
        funnel = _svg_uri(funnel_plot(result, language=language))
    subgroups = tuple((g, str(x.k), f"{_fmt(shown(x.estimate))} [{interval(x.ci_low, x.ci_high)}]")
                      for g, x in (result.subgroups or {}).items())
    t = result.subgroup_test
    mr = result.metaregression
    return replace(
        view, forest=forest, funnel=funnel, heterogeneity=heterogeneity, subgroups=subgroups,
        subgroup_test="" if t is None else f"Q = {_fmt(t.q)}, df {t.df}, p {format_p(t.p)}",
        metaregression=() if mr is None else tuple(
            (term, _fmt(c.estimate, 4), f"{_fmt(c.ci_low, 4)} to {_fmt(c.ci_high, 4)}", format_p(c.p))
            for term, c in mr.coefficients.items()),
        metaregression_test="" if mr is None else (
            f"QM = {_fmt(mr.qm)}, df {mr.qm_df}, p {format_p(mr.qm_p)}; residual τ² {_fmt(mr.tau2, 4)}"),
        leave_one_out=tuple((r.label, f"{_fmt(shown(r.estimate))} [{interval(r.ci_low, r.ci_high)}]",
                             _fmt(r.i2, 0)) for r in result.leave_one_out or ()))


# ---------------------------------------------------------------------------------------------
# GRADE per saved analysis: the reviewers' ratings beside evisynth's suggestion

#: The domains the GRADE page rates, in GRADE's order, with the changes each allows.
GRADE_DOMAINS = tuple((d, ALLOWED_CHANGES[d]) for d in (*DOWNGRADE_DOMAINS, *UPGRADE_DOMAINS))


@dataclass(frozen=True)
class GradeView:
    analyses: tuple[tuple[str, str, bool], ...]  # id, title, graded by the reviewers
    analysis: str
    suggestion: Certainty | None  # evisynth's, from the data
    certainty: Certainty | None  # the reviewers' (None: not graded yet)
    participants: int = 0
    studies: int = 0

    def judged(self, domain: str) -> Rating | None:
        """The reviewers' rating of ``domain`` (None: not rated)."""
        return _rating(self.certainty, domain)

    def suggested(self, domain: str) -> Rating | None:
        """evisynth's suggestion for ``domain`` (None: it suggests nothing there)."""
        return _rating(self.suggestion, domain)


def _rating(certainty: Certainty | None, domain: str) -> Rating | None:
    return next((r for r in certainty.ratings if r.domain == domain), None) if certainty else None


def _graded(project: Project, analysis: str
            ) -> tuple[Review, AnalysisSpec | None, Certainty | None, int, int]:
    """The review, the saved analysis (default: the first), evisynth's suggested GRADE for it
    computed from the values that stand, its participants and studies."""
    from evisynth.services.appraisal_tables import rob_summaries, suggested_certainty

    review = project.load_review()
    spec = next((a for a in review.analyses if a.id == analysis), None) if analysis else (
        review.analyses[0] if review.analyses else None)
    if analysis and spec is None:
        raise DomainError(f"no saved analysis {analysis!r}; save it on the Analysis page first")
    if spec is None:
        return review, None, None, 0, 0
    standing = replace(review, values=standing_values(review.values, project.load_resolutions())[0])
    suggestion, participants, k = suggested_certainty(standing, synthesise(standing, spec),
                                                      rob_summaries(review, project.load_appraisals()))
    return review, spec, suggestion, participants, k


def grade_view(project: Project, analysis: str = "") -> GradeView:
    """The GRADE page of a saved analysis: evisynth's suggestion per domain beside the
    reviewers' rating, and the certainty each gives."""
    review, spec, suggestion, participants, k = _graded(project, analysis)
    analyses = tuple((a.id, a.title, bool(a.grade)) for a in review.analyses)
    if spec is None or suggestion is None:
        return GradeView(analyses, "", None, None)
    mine = Certainty(suggestion.design, tuple(Rating(g.domain, g.change, g.reason, g.suggested)
                                              for g in spec.grade)) if spec.grade else None
    return GradeView(analyses, spec.id, suggestion, mine, participants, k)


def save_grade(project: Project, analysis: str, entered: Mapping[str, tuple[int, str]],
               actor: str) -> Certainty:
    """Store the reviewers' GRADE of a saved analysis: per domain the change and the reason
    (``entered``: domain → (change, reason)). A downgrade domain left at the suggestion takes
    its reason; a departure needs one (``review.certainty.judge``); an upgrade domain left at
    0 without a reason is not rated. Audited as a change of the analysis."""
    _, spec, suggestion, _, _ = _graded(project, analysis)
    if spec is None or suggestion is None:
        raise DomainError("no saved analysis to grade; save one on the Analysis page first")
    suggested = {r.domain: r for r in suggestion.ratings}
    ratings = []
    for domain, (change, reason) in entered.items():
        if domain not in ALLOWED_CHANGES:
            raise DomainError(f"unknown GRADE domain {domain!r}; use one of {', '.join(ALLOWED_CHANGES)}")
        if domain in suggested:
            ratings.append(judge(suggested[domain], change=change, reason=reason.strip()))
        elif change or reason.strip():
            ratings.append(Rating(domain, change, reason.strip()))
    certainty = Certainty(suggestion.design, tuple(ratings))  # checks upgrades against the design
    grade = tuple(GradeJudgement(r.domain, r.change, r.reason, r.suggested) for r in certainty.ratings)

    def change_spec(review: Review, _r: Any) -> tuple[Review, None]:
        return replace(review, analyses=tuple(replace(a, grade=grade) if a.id == spec.id else a
                                              for a in review.analyses)), None

    project.update_review(change_spec, actor)
    return certainty


def grade_domain(project: Project | str | Path, analysis: str, domain: str, change: int, reason: str,
                 actor: str) -> Certainty:
    """Rate one GRADE domain of a saved analysis (the command line's ``evisynth grade``): the
    other domains keep the reviewers' stored rating, or evisynth's suggestion when there is none;
    then as ``save_grade``."""
    with screening_services.opened(project) as p:
        _, spec, suggestion, _, _ = _graded(p, analysis)
        if spec is None or suggestion is None:
            raise DomainError("no saved analysis to grade; save one with `evisynth analysis add`")
        entered = ({g.domain: (g.change, g.reason) for g in spec.grade} if spec.grade
                   else {r.domain: (r.change, "") for r in suggestion.ratings})
        entered[domain] = (change, reason)
        return save_grade(p, spec.id, entered, actor)


@dataclass(frozen=True)
class ExtractionView:
    studies: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]  # id, label, arms (id, label)
    outcomes: tuple[tuple[str, str], ...]
    extractors: tuple[str, ...]
    values: tuple[ExtractedValue, ...]
    comparison: dict[str, Any] | None


def extraction_view(project: Project, first: str = "", second: str = "", *,
                    viewer: str | None = None) -> ExtractionView:
    """The form's choices (built from the protocol's outcome list and the studies' arms), the
    values entered, and the discrepancies between two extractors side by side, each with the
    arbiter's value where one was given. ``viewer``: an extractor, blinded (their own values,
    and another's only for the keys they entered too); None shows every value."""
    review = project.load_review()
    values = review.values if viewer is None else visible_values(review.values, viewer)
    extractors = tuple(sorted({v.provenance.extractor for v in review.values}))
    resolved = {r.key: r.value for r in project.load_resolutions()}
    comparison = None
    if first and second:
        c = compare_extractions(values, first, second)
        comparison = {"first": first, "second": second, "agreed": len(c.agreed),
                      "keys_compared": c.keys_compared, "agreement": c.agreement,
                      "discrepancies": [{"key": "/".join(d.key), "kind": d.kind,
                                         "first": None if d.first is None else d.first.value,
                                         "second": None if d.second is None else d.second.value,
                                         "resolved": resolved.get(d.key)}
                                        for d in c.discrepancies]}
    return ExtractionView(
        tuple((s.id, s.label, tuple((a.id, a.label) for a in s.arms)) for s in review.studies),
        tuple((o.id, o.name_en or o.name) for o in review.outcomes), extractors, values, comparison)


def enter_value(project: Project, *, study: str, arm: str, outcome: str, timepoint: str, statistic: str,
                value: float, extractor: str, location: str, unit: str = "") -> None:
    """Store one extracted value (or change the extractor's own value of the same key)."""
    if statistic not in STATISTICS:
        raise DomainError(f"statistic {statistic!r} must be one of {', '.join(STATISTICS)}")
    review = project.load_review()
    reports = next((s.reports for s in review.studies if s.id == study), ())
    v = ExtractedValue(study, arm, outcome, timepoint.strip(), statistic, value, unit,
                       Provenance(reports[0].id if reports else "", location.strip() or "web form",
                                  extractor=extractor, extracted_at=dt.date.today().isoformat()))
    mine = any(x.key == v.key and x.provenance.extractor == extractor for x in review.values)
    (project.set_value if mine else project.add_value)(v, extractor)


def report_html(project: Project) -> str:
    """The review's full HTML report (the same as ``evisynth report``)."""
    from evisynth.services.review import review_report

    return review_report(project)[0]


def report_results(project: Project) -> dict[str, Any]:
    """The report's numbers, as ``evisynth report`` writes them to results.json."""
    from evisynth.services.review import review_report

    return review_report(project)[1]


def report_docx(project: Project) -> bytes:
    """The review's report as a Word document (the same as ``evisynth report --docx``)."""
    from evisynth.services.review import build_report

    docx = build_report(project, docx=True).docx
    if docx is None:
        raise DomainError("the DOCX report could not be built")
    return docx


# ---------------------------------------------------------------------------------------------
# Full texts

PDF_MAGIC = b"%PDF-"


def attach_pdf(project: Project, folder: Path, record_id: int, data: bytes, actor: str, *,
               max_bytes: int) -> Path:
    """Keep an uploaded PDF with the project (``folder``) and link it to the record.

    Refused unless it starts with the PDF signature ``%PDF-`` (whatever its name or declared
    type says) and is at most ``max_bytes`` long."""
    if len(data) > max_bytes:
        raise DomainError(f"the file is larger than {max_bytes // 2**20} MiB; upload a smaller PDF")
    if not data.startswith(PDF_MAGIC):
        raise DomainError("the file is not a PDF (it does not start with %PDF-); upload the article's PDF")
    record_store.get_record(project, record_id)  # an unknown record is refused before writing
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = folder / f"record-{record_id}-{digest}.pdf"
    path.write_bytes(data)
    screening_services.set_full_text(project, record_id, "file", str(path), actor)
    return path


def pdf_of(project: Project, folder: Path, record_id: int) -> Path:
    """The record's uploaded PDF; refused when it has none (or its file lies outside ``folder``)."""
    ft = screening_store.full_texts(project).get(record_id)
    if ft is None or ft.kind != "file":
        raise DomainError(f"record {record_id} has no uploaded full text")
    path = Path(ft.location).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        raise DomainError(f"record {record_id}'s full text is not a file kept by this server")
    return path


# ---------------------------------------------------------------------------------------------
# Appraisal by two assessors blinded to each other, then agreed (RoB 1, Jadad, RoB 2)

#: Each assessor's own appraisal of a study is kept as its own tool, ``<tool>_user<id>`` (the
#: account's id; the name goes in ``assessor``), beside the agreed one (``<tool>``, the report's).
OWN_COPY = "_user"


def appraisal_tool(tool: str, copy: str, user_id: int) -> str:
    """The stored tool of the agreed appraisal (``copy="agreed"``) or the user's own (``"mine"``)."""
    if copy not in ("agreed", "mine"):
        raise DomainError(f"copy {copy!r} must be agreed or mine")
    return tool if copy == "agreed" else f"{tool}{OWN_COPY}{user_id}"


def assessor_copies(tools: Mapping[str, Mapping[str, Any]], tool: str, user_id: int
                    ) -> tuple[tuple[str, dict[str, Any]], ...]:
    """The assessors' own copies of ``tool`` (name, answers) that user ``user_id`` may see:
    every one once two assessors have assessed; until then only the user's own (blinding)."""
    prefix = f"{tool}{OWN_COPY}"
    own = sorted((name, data) for name, data in tools.items() if name.startswith(prefix))
    if len(own) < 2:
        own = [(name, data) for name, data in own if name == f"{prefix}{user_id}"]
    shown = ((str(data.get("assessor") or name), {k: v for k, v in data.items() if k != "assessor"})
             for name, data in own)
    return tuple(sorted(shown, key=lambda x: x[0]))


def _check_agreement(tools: Mapping[str, Any], tool: str) -> None:
    """The agreed appraisal waits for the second assessor once a first one has assessed alone."""
    if sum(1 for name in tools if name.startswith(f"{tool}{OWN_COPY}")) == 1:
        raise DomainError("one assessor has assessed this study so far: the agreed judgement "
                          "waits for the second assessor's own (blinded) assessment")


def _save_copy(project: Project, study: str, tool: str, answers: dict[str, Any], actor: str, copy: str,
               user_id: int) -> None:
    stored = appraisal_tool(tool, copy, user_id)
    if copy == "agreed":
        _check_agreement(project.load_appraisals().get(study, {}), tool)
    project.save_appraisal(study, stored, {**answers, "assessor": actor} if copy == "mine" else answers,
                           actor)


def _disagreements(copies: Sequence[tuple[str, Mapping[str, Any]]], items: Sequence[tuple[str, str]],
                   answer: Any) -> tuple[tuple[str, str], ...]:
    """(item label, "olga low · rui high") for each item the visible assessors answered differently."""
    if len(copies) < 2:
        return ()
    out = []
    for item, label in items:
        given = [(name, answer(data, item)) for name, data in copies]
        if len({a for _, a in given}) > 1:
            out.append((label, " · ".join(f"{name} {a or '—'}" for name, a in given)))
    return tuple(out)


@dataclass(frozen=True)
class RobView:
    studies: tuple[tuple[str, str], ...]
    study: str
    domains: tuple[tuple[str, str], ...]  # id, label
    answers: dict[str, dict[str, str]]  # the chosen study's stored answers (the copy shown)
    table: tuple[tuple[str, dict[str, str]], ...]  # study label, domain → judgement
    copy: str = "agreed"
    assessors: tuple[tuple[str, dict[str, Any]], ...] = ()  # the visible assessors' own copies
    disagreements: tuple[tuple[str, str], ...] = ()  # domain label, each assessor's judgement


def _appraisal_page(project: Project, study: str
                    ) -> tuple[Review, Appraisals, tuple[tuple[str, str], ...], str]:
    """The review, its stored appraisals, its (id, label) studies and the chosen study (default:
    the first); a DomainError when ``study`` is not in the review."""
    review = project.load_review()
    appraisals = project.load_appraisals()
    studies = tuple((s.id, s.label) for s in review.studies)
    study = study or (studies[0][0] if studies else "")
    if study and study not in {s for s, _ in studies}:
        raise DomainError(f"no study {study!r} in this review")
    return review, appraisals, studies, study


def rob_view(project: Project, study: str = "", *, user_id: int = 0, copy: str = "agreed") -> RobView:
    """The RoB 1 page: the form of the agreed assessment or of the user's own (``copy``), the
    assessors' own side by side with the domains they judged differently (once both have
    assessed), and the agreed summary."""
    tool = appraisal_tool("rob1", copy, user_id)
    review, appraisals, studies, study = _appraisal_page(project, study)
    english = review.protocol.language != "zh"
    domains = tuple((d, ROB1_LABELS[d][0 if english else 1]) for d in ROB1_DOMAINS)
    table = tuple((label, {d: str(a.get("judgement", ""))
                           for d, a in appraisals.get(sid, {}).get("rob1", {}).items()})
                  for sid, label in studies)
    tools = appraisals.get(study, {})
    answers = {d: a for d, a in tools.get(tool, {}).items() if d != "assessor"}
    copies = assessor_copies(tools, "rob1", user_id)
    return RobView(studies, study, domains, answers, table, copy, copies,
                   _disagreements(copies, domains, lambda data, d: str(data.get(d, {}).get("judgement", ""))))


def save_rob1(project: Project, study: str, answers: dict[str, dict[str, str]], actor: str, *,
              copy: str = "agreed", user_id: int = 0) -> None:
    """Store a study's RoB 1 judgements (each domain: judgement, support quote, location): the
    agreed ones (the report's; refused while only one assessor has assessed) or the assessor's own."""
    filled = {d: a for d, a in answers.items() if a.get("judgement")}
    RobAssessment.from_dict(study, filled)  # validates: known domains, judgement, support text
    _save_copy(project, study, "rob1", filled, actor, copy, user_id)


#: The Jadad items as the form asks them: (item, question, answers offered).
JADAD_ITEMS = (
    ("randomised", "Was the study described as randomised?", ("yes", "no")),
    ("randomisation_method", "Was the method of randomisation appropriate?", METHOD_ANSWERS),
    ("double_blind", "Was the study described as double blind?", ("yes", "no")),
    ("blinding_method", "Was the method of blinding appropriate?", METHOD_ANSWERS),
    ("withdrawals_described", "Was there a description of withdrawals and dropouts?", ("yes", "no")),
)


@dataclass(frozen=True)
class JadadView:
    studies: tuple[tuple[str, str], ...]
    study: str
    answers: dict[str, Any]  # the copy shown
    score: int | None  # its total (Jadad 1996), computed from the answers
    table: tuple[tuple[str, str], ...]  # study label, the agreed total
    copy: str = "agreed"
    assessors: tuple[tuple[str, dict[str, Any], int], ...] = ()  # name, answers, total
    disagreements: tuple[tuple[str, str], ...] = ()


def _jadad_total(answers: Mapping[str, Any], study: str) -> int:
    return jadad_score(JadadAnswers.from_dict(answers, study=study))


def jadad_view(project: Project, study: str = "", *, user_id: int = 0, copy: str = "agreed") -> JadadView:
    """The Jadad page: like ``rob_view``, with each copy's total computed from its answers."""
    tool = appraisal_tool("jadad", copy, user_id)
    _, appraisals, studies, study = _appraisal_page(project, study)
    table = tuple((label, str(_jadad_total(appraisals[sid]["jadad"], sid)))
                  for sid, label in studies if "jadad" in appraisals.get(sid, {}))
    tools = appraisals.get(study, {})
    answers = {k: v for k, v in tools.get(tool, {}).items() if k != "assessor"}
    copies = assessor_copies(tools, "jadad", user_id)
    items = tuple((item, question) for item, question, _ in JADAD_ITEMS)
    return JadadView(studies, study, answers, _jadad_total(answers, study) if answers else None, table, copy,
                     tuple((name, data, _jadad_total(data, study)) for name, data in copies),
                     _disagreements(copies, items, lambda data, item: _shown_answer(data.get(item))))


def _shown_answer(value: Any) -> str:
    return "yes" if value is True else "no" if value is False else str(value or "")


def jadad_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The stored Jadad answers from the page's fields (yes/no items as true/false)."""
    out: dict[str, Any] = {}
    for item, _, offered in JADAD_ITEMS:
        given = form.get(item, "").strip()
        if given:
            out[item] = given == "yes" if offered == ("yes", "no") else given
    return out


def save_jadad(project: Project, study: str, answers: dict[str, Any], actor: str, *, copy: str = "agreed",
               user_id: int = 0) -> int:
    """Check a study's Jadad answers (every item) and store them; returns the total."""
    total = _jadad_total(answers, study)
    _save_copy(project, study, "jadad", answers, actor, copy, user_id)
    return total


# ---------------------------------------------------------------------------------------------
# Risk of bias (RoB 2, one result per study: tool "rob2")


@dataclass(frozen=True)
class Rob2Question:
    id: str
    text: str
    asked_if: str  # "" when always asked


@dataclass(frozen=True)
class Rob2View:
    """The RoB 2 form of one study (its signalling questions grouped by domain, the stored
    answers, and the algorithm's suggestion beside the judgement) and the summary table."""

    studies: tuple[tuple[str, str], ...]
    study: str
    outcomes: tuple[tuple[str, str], ...]  # from the protocol's outcome list
    domains: tuple[tuple[str, str, tuple[Rob2Question, ...]], ...]  # id, name, questions
    answers: dict[str, Any]
    assessment: Rob2Assessment | None
    table: tuple[tuple[str, str, dict[str, str], str], ...]  # study, outcome, domain → judgement, overall
    error: str = ""
    copy: str = "agreed"  # the form edits the agreed assessment (tool rob2) or the user's own
    assessors: tuple[tuple[str, Rob2Assessment], ...] = ()  # each assessor's own, by name
    discrepancies: tuple[tuple[str, str, tuple[Rob2Discrepancy, ...]], ...] = ()  # per pair

    @property
    def differing(self) -> frozenset[str]:
        """The items (question ids, "D1 judgement", …) on which any two assessors differ."""
        return frozenset(d.item for _, _, found in self.discrepancies for d in found)


def _rob2_domains() -> tuple[tuple[str, str, tuple[Rob2Question, ...]], ...]:
    return tuple((d, DOMAIN_NAMES[d], tuple(Rob2Question(q, text, ASKED_IF[q][0] if q in ASKED_IF else "")
                                            for q, text in QUESTIONS[d].items()))
                 for d in QUESTIONS)


def rob2_view(project: Project, study: str = "", *, user_id: int = 0, copy: str = "agreed",
              entered: dict[str, Any] | None = None, error: str = "") -> Rob2View:
    """The RoB 2 page for ``study`` (default: the first study): the form of the agreed
    assessment or of the user's own (``copy``), every assessor's own side by side with their
    discrepancies; ``entered``: answers sent back with ``error`` when they were refused,
    shown instead of the stored ones."""
    tool = appraisal_tool("rob2", copy, user_id)
    review, appraisals, studies, study = _appraisal_page(project, study)
    table: list[tuple[str, str, dict[str, str], str]] = []
    for sid, label in studies:
        stored = appraisals.get(sid, {}).get("rob2")
        if stored is not None:
            a = assessment_from_dict(sid, stored)
            table.append((label, a.outcome, {d.domain: d.judgement for d in a.domains}, a.overall))
    tools = appraisals.get(study, {})
    stored = dict(tools.get(tool, {}))
    assessment = assessment_from_dict(study, stored) if stored and entered is None else None
    assessors = tuple((name, assessment_from_dict(study, data))
                      for name, data in assessor_copies(tools, "rob2", user_id))
    pairs = tuple((a, b, compare_assessments(x, y)) for i, (a, x) in enumerate(assessors)
                  for b, y in assessors[i + 1:])
    return Rob2View(studies, study, tuple((o.id, o.name_en or o.name) for o in review.outcomes),
                    _rob2_domains(), entered if entered is not None else stored, assessment, tuple(table),
                    error, copy, assessors, pairs)


def rob2_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The stored form of a RoB 2 assessment from the page's fields (``q1.1`` … for the
    answers, ``D1.support``, ``D1.judgement``, ``D1.override_reason`` …); blank answers and a
    blank judgement (take the algorithm's) are left out."""
    domains: dict[str, Any] = {}
    for d, questions in QUESTIONS.items():
        entry: dict[str, Any] = {
            "answers": {q: form[f"q{q}"].strip() for q in questions if form.get(f"q{q}", "").strip()},
            "support": form.get(f"{d}.support", "").strip()}
        if form.get(f"{d}.judgement", "").strip():
            entry["judgement"] = form[f"{d}.judgement"].strip()
        if form.get(f"{d}.override_reason", "").strip():
            entry["override_reason"] = form[f"{d}.override_reason"].strip()
        domains[d] = entry
    return {"outcome": form.get("outcome", "").strip(),
            "several_concerns_mean_high": form.get("several_concerns_mean_high", "") == "on",
            "domains": domains}


def save_rob2(project: Project, study: str, data: dict[str, Any], actor: str, *, copy: str = "agreed",
              user_id: int = 0) -> Rob2Assessment:
    """Check a study's RoB 2 (every asked question answered, support text, a reason for each
    judgement that differs from the algorithm's) and store it: the agreed one as tool
    ``rob2`` (the report's), the assessor's own (``copy="mine"``) as ``rob2_user<id>``."""
    appraisal_tool("rob2", copy, user_id)  # refuses an unknown copy before anything is read
    review = project.load_review()
    if study not in {s.id for s in review.studies}:
        raise DomainError(f"no study {study!r} in this review")
    outcomes = {o.id for o in review.outcomes}
    if data.get("outcome") not in outcomes:
        raise DomainError(f"RoB 2 is judged for one result: choose an outcome of the protocol "
                          f"({', '.join(sorted(outcomes)) or 'none yet'})")
    assessment = assessment_from_dict(study, data)
    _save_copy(project, study, "rob2", data, actor, copy, user_id)
    return assessment


# ---------------------------------------------------------------------------------------------
# The protocol (owner)


def _criteria_lines(text: str, prefix: str) -> tuple[Criterion, ...]:
    """One criterion a line, ``ID: text`` or just text (numbered ``I1``, ``I2`` … then)."""
    out = []
    for n, line in enumerate((x.strip() for x in text.splitlines() if x.strip()), start=1):
        ident, sep, rest = line.partition(":")
        if sep and ident.strip() and " " not in ident.strip() and rest.strip():
            out.append(Criterion(ident.strip(), rest.strip()))
        else:
            out.append(Criterion(f"{prefix}{n}", line))
    ids = [c.id for c in out]
    if len(set(ids)) != len(ids):
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        raise DomainError(f"criterion ids repeat ({', '.join(repeated)}); give each line its own id")
    return tuple(out)


def criteria_text(criteria: Sequence[Criterion]) -> str:
    return "\n".join(f"{c.id}: {c.text}" for c in criteria)


def save_protocol(project: Project, actor: str, *, question: str, inclusion: str,
                  exclusion: str, picos: Mapping[str, str | None] | None = None) -> None:
    """Change the protocol's question, criteria (one per line, ``ID: text``) and the PICOS
    fields given in ``picos`` (population, intervention, comparator, study_design; outcomes
    one per line; None keeps a field)."""
    review = project.load_review()
    given: dict[str, Any] = {k: v.strip() for k, v in (picos or {}).items() if v is not None}
    if "outcomes" in given:
        given["outcomes"] = tuple(line.strip() for line in given["outcomes"].splitlines() if line.strip())
    protocol = replace(review.protocol, question=question.strip(), inclusion=_criteria_lines(inclusion, "I"),
                       exclusion=_criteria_lines(exclusion, "E"),
                       picos=replace(review.protocol.picos, **given))
    project.save_review(replace(review, protocol=protocol), actor)
