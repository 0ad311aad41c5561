"""Report tables for appraisal, narrative synthesis and GRADE, as plain JSON-ready dicts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from evisynth.analysis.review import SynthesisResult
from evisynth.core.results import format_p
from evisynth.review.appraisal import (
    DEFAULT_KEY_DOMAINS,
    ROB1_DOMAINS,
    ROB1_LABELS,
    JadadAnswers,
    RobAssessment,
    jadad_score,
)
from evisynth.review.certainty import (
    LEVEL_SYMBOLS,
    LEVELS_ZH,
    Certainty,
    Rating,
    RelativeEffect,
    absolute_effect,
    suggest_imprecision,
    suggest_inconsistency,
    suggest_publication_bias,
    suggest_risk_of_bias,
)
from evisynth.review.model import Review
from evisynth.review.narrative import SYMBOLS, effect_direction, vote_count
from evisynth.review.rob2 import DOMAIN_NAMES, assessment_from_dict

Appraisals = Mapping[str, Mapping[str, Mapping[str, Any]]]


def _zh(review: Review) -> bool:
    return review.protocol.language == "zh"


def rob_summaries(review: Review, appraisals: Appraisals) -> dict[str, str]:
    """Overall RoB 1 judgement per study (Handbook 8.7) for the studies assessed."""
    return {
        s.id: RobAssessment.from_dict(s.id, appraisals[s.id]["rob1"]).summary()
        for s in review.studies
        if "rob1" in appraisals.get(s.id, {})
    }


def quality_table(review: Review, appraisals: Appraisals) -> dict[str, Any] | None:
    """RoB 1 domains with support text, the overall judgement, and the Jadad score per study.

    The Jadad score is computed from the item answers; where the review also states a score
    (``jadad_reported``), both are shown.
    """
    if not appraisals:
        return None
    zh = _zh(review)
    columns = [ROB1_LABELS[d][1 if zh else 0] for d in ROB1_DOMAINS]
    columns += ["总体" if zh else "Overall", "Jadad"]
    rows = []
    for study in review.studies:
        tools = appraisals.get(study.id, {})
        cells: list[dict[str, str]] = []
        rob = RobAssessment.from_dict(study.id, tools["rob1"]) if "rob1" in tools else None
        for domain in ROB1_DOMAINS:
            d = rob.domains.get(domain) if rob else None
            cells.append({"text": d.judgement if d else "", "css": d.judgement if d else "",
                          "support": f"{d.support} [{d.location}]" if d else ""})
        summary = rob.summary() if rob else ""
        cells.append({"text": summary, "css": summary,
                      "support": f"key domains: {', '.join(DEFAULT_KEY_DOMAINS)}"})
        jadad = ""
        if "jadad" in tools:
            jadad = str(jadad_score(JadadAnswers.from_dict(tools["jadad"], study=study.id)))
            reported = tools.get("jadad_reported", {}).get("score")
            if reported is not None and str(reported) != jadad:
                jadad += f" (reported {reported})"
        cells.append({"text": jadad, "css": "", "support": "Jadad 1996, from the item answers"})
        rows.append({"study": study.label, "cells": cells})
    return {"columns": columns, "rows": rows}


def study_appraisal(study_id: str, tools: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """One study's appraisals as data (results.json ``studies[].appraisal``, docs/results-json.md).

    ``jadad``: the item answers, the total computed from them, and the score the review states
    (``jadad_reported``) with where it says so; ``rob1``: each assessed domain's judgement with
    support text and location, and the overall judgement (Handbook 8.7) over the key domains;
    ``rob2``: the agreed assessment's domains (answers, the algorithm's suggestion, the judgement)
    and the overall judgement. A tool the study was not appraised with is null.
    """
    jadad = None
    if "jadad" in tools or "jadad_reported" in tools:
        answers = JadadAnswers.from_dict(tools["jadad"], study=study_id) if "jadad" in tools else None
        reported = tools.get("jadad_reported")
        jadad = {"items": answers.to_dict() if answers else None,
                 "total": jadad_score(answers) if answers else None,
                 "reported": None if reported is None else {
                     "score": reported.get("score"), "location": str(reported.get("location", "")),
                     "quote": str(reported.get("quote", ""))}}
    rob1 = None
    if "rob1" in tools:
        rob = RobAssessment.from_dict(study_id, tools["rob1"])
        rob1 = {"domains": {d: rob.domains[d].to_dict() for d in ROB1_DOMAINS if d in rob.domains},
                "overall": rob.summary(), "key_domains": list(DEFAULT_KEY_DOMAINS)}
    rob2 = None
    if "rob2" in tools:
        a = assessment_from_dict(study_id, tools["rob2"])
        rob2 = {"outcome": a.outcome,
                "domains": [{**d.to_dict(), "name": DOMAIN_NAMES[d.domain]} for d in a.domains],
                "overall": a.overall, "overall_reason": a.overall_reason,
                "several_concerns_mean_high": a.several_concerns_mean_high}
    return {"jadad": jadad, "rob1": rob1, "rob2": rob2}


def rob2_table(review: Review, appraisals: Appraisals) -> dict[str, Any] | None:
    """RoB 2 per study (five domains with the algorithm's suggestion, and the overall)."""
    assessed = [(s, appraisals[s.id]["rob2"]) for s in review.studies
                if "rob2" in appraisals.get(s.id, {})]
    if not assessed:
        return None
    rows = []
    for study, data in assessed:
        a = assessment_from_dict(study.id, data)
        cells = [{"text": d.judgement, "css": _ROB2_CSS[d.judgement],
                  "support": f"{d.support} (algorithm: {d.suggested}"
                             + (f"; overridden: {d.override_reason})" if d.override_reason else ")")}
                 for d in a.domains]
        cells.append({"text": a.overall, "css": _ROB2_CSS[a.overall], "support": "worst domain"})
        rows.append({"study": f"{study.label} ({a.outcome})" if a.outcome else study.label,
                     "cells": cells})
    return {"columns": [*DOMAIN_NAMES.values(), "Overall"], "rows": rows}


_ROB2_CSS = {"low": "low", "some concerns": "unclear", "high": "high"}


def narrative_table(review: Review) -> dict[str, Any] | None:
    """SWiM effect-direction table and vote counts for every outcome with a direction."""
    outcomes = [o for o in review.outcomes if o.kind == "continuous" and o.id != "dose"]
    directions = [effect_direction(review, s, o) for s in review.studies for o in outcomes]
    assessed = {d.outcome for d in directions if d.direction != "not_assessable"}
    outcomes = [o for o in outcomes if o.id in assessed]
    if not outcomes:
        return None
    zh = _zh(review)
    by = {(d.study, d.outcome): d for d in directions}
    rows = [
        {"study": s.label,
         "cells": [{"symbol": SYMBOLS[by[(s.label, o.id)].direction],
                    "basis": by[(s.label, o.id)].basis} for o in outcomes]}
        for s in review.studies
    ]
    votes = []
    for o in outcomes:
        v = vote_count(directions, o.id)
        votes.append({"outcome": o.name if zh else (o.name_en or o.name), "benefit": v.benefit,
                      "harm": v.harm, "no_change": v.no_change,
                      "p": format_p(v.p) if v.p is not None else "—"})
    legend = ("▲ 有利于维生素 K2  ▼ 不利  ◆ 无变化  ↑/↓ 升高/降低（方向未定义优劣）  — 无法评估"
              if zh else "▲ favours the intervention  ▼ favours control  ◆ no change  "
              "↑/↓ increase/decrease (no better direction defined)  — not assessable")
    return {"outcomes": [o.name if zh else (o.name_en or o.name) for o in outcomes],
            "rows": rows, "votes": votes, "legend": legend,
            "directions": [d.to_dict() for d in directions]}


def suggested_certainty(review: Review, s: SynthesisResult, summaries: Mapping[str, str]
                        ) -> tuple[Certainty, int, int]:
    """evisynth's suggested GRADE rating for one analysis, its participants and studies."""
    included = [i for i in s.inclusion if i.included]
    ids = {st.id for st in review.studies if st.label in {i.study for i in included}}
    participants = int(sum(r.get("n1", 0) + r.get("n2", 0) for r in s.table))
    e = s.result.overall if s.result is not None else None
    ratings: list[Rating] = [
        suggest_risk_of_bias({k: v for k, v in summaries.items() if k in ids}),
        suggest_inconsistency(e.i2 if e else None, e.q_p if e else None, len(included)),
        Rating("indirectness", 0, "not judged by evisynth: the reviewer's call"),
        suggest_imprecision(participants, e.ci_low if e else None, e.ci_high if e else None),
        suggest_publication_bias(len(included)),
    ]
    return Certainty("randomised", tuple(ratings)), participants, len(included)


def certainty_of(review: Review, s: SynthesisResult, summaries: Mapping[str, str]
                 ) -> tuple[Certainty, int, int, bool]:
    """The reviewers' GRADE rating of the analysis where they graded it (``spec.grade``), else
    evisynth's suggestion; its participants and studies; whether the reviewers graded it."""
    suggestion, participants, k = suggested_certainty(review, s, summaries)
    if not s.spec.grade:
        return suggestion, participants, k, False
    ratings = tuple(Rating(g.domain, g.change, g.reason, g.suggested) for g in s.spec.grade)
    return Certainty(suggestion.design, ratings), participants, k, True


def _grade_note(graded: list[bool], zh: bool) -> str:
    """Whose GRADE the report shows: the reviewers', evisynth's suggestion, or both (marked *)."""
    if graded and all(graded):
        return ("GRADE 评级由评价者给出（evisynth 根据数据给出的建议列于网页版旁）。" if zh else
                "GRADE ratings are the reviewers' (evisynth's suggestion from the data is shown beside "
                "them in the web app).")
    if any(graded):
        return ("标 * 者为 evisynth 根据数据给出的建议（评价者尚未评级），需由评价者确认；"
                "其余由评价者评级。" if zh else
                "Ratings marked * are evisynth's suggestions from the data (the reviewers have not "
                "graded those analyses yet); the others are the reviewers'.")
    return ("GRADE 评级为 evisynth 根据数据给出的建议（原文未做 GRADE 评价），需由评价者确认。" if zh else
            "GRADE ratings are evisynth's suggestions from the data (the review itself did not "
            "grade the evidence); the reviewers' judgement decides.")


def certainty_by_analysis(review: Review, syntheses: list[SynthesisResult],
                          appraisals: Appraisals) -> list[dict[str, Any]]:
    """The GRADE rating of each analysis as data (results.json ``certainty``): the reviewers'
    where they graded it, else evisynth's suggestion (``graded_by``); the start level, each
    domain's change with its reason, the resulting level, and the participants and studies
    it rests on — the numbers behind ``grade_table`` and ``sof_table``."""
    summaries = rob_summaries(review, appraisals)
    out = []
    for s in syntheses:
        certainty, participants, k, graded = certainty_of(review, s, summaries)
        out.append({"analysis": s.spec.id, "outcome": s.spec.outcome, **certainty.to_dict(),
                    "participants": participants, "studies": k,
                    "graded_by": "reviewers" if graded else "suggestion"})
    return out


def grade_table(review: Review, syntheses: list[SynthesisResult],
                appraisals: Appraisals) -> dict[str, Any] | None:
    """Summary of Findings rows with the GRADE rating per analysis: the reviewers', else
    evisynth's suggestion (marked * when some analyses are graded and others not)."""
    if not syntheses:
        return None
    zh = _zh(review)
    summaries = rob_summaries(review, appraisals)
    rows = []
    graded = [bool(s.spec.grade) for s in syntheses]
    for s in syntheses:
        certainty, participants, k, by_reviewers = certainty_of(review, s, summaries)
        e = s.result.overall if s.result is not None else None
        level = (LEVELS_ZH[certainty.level] if zh else certainty.level) + (
            "" if by_reviewers or not any(graded) else " *")
        effect = "—"
        if e is not None and s.result is not None:
            effect = (f"{s.result.measure} {e.estimate:.2f} ({e.ci_low:.2f} to {e.ci_high:.2f})")
        rows.append([s.spec.title, f"{participants} ({k})", effect, level,
                     "; ".join(certainty.reasons) or "—"])
    columns = (["结局", "受试者（研究数）", "效应 (95% CI)", "证据质量", "降级理由"] if zh else
               ["Outcome", "Participants (studies)", "Effect (95% CI)", "Certainty", "Reasons"])
    return {"columns": columns, "rows": rows, "note": _grade_note(graded, zh)}


_LEVEL_EN = {"high": "High", "moderate": "Moderate", "low": "Low", "very low": "Very low"}


def _weighted_mean(table: tuple[dict[str, Any], ...], mean: str, n: str) -> float | None:
    pairs = [(float(r[mean]), float(r[n])) for r in table if r.get(mean) is not None and r.get(n)]
    total = sum(w for _, w in pairs)
    return sum(m * w for m, w in pairs) / total if total else None


def sof_table(review: Review, syntheses: list[SynthesisResult],
              appraisals: Appraisals) -> dict[str, Any] | None:
    """The Summary of Findings table in the GRADEpro layout (Cochrane Handbook v6, 14.1.6).

    Columns: outcome; anticipated absolute effects — the risk (or mean) with the comparator
    and with the intervention; the relative effect; participants (studies); the certainty
    (⊕ symbols, level and lettered footnotes giving each reason for downgrading); comments.
    Binary outcomes: the comparator risk is the pooled control-arm risk (Σ events / Σ total)
    and the risk with the intervention follows Handbook 14.1.5 (``absolute_effect``).
    Continuous outcomes: the comparator mean is the control arms' mean weighted by size, and
    the intervention column gives the pooled difference ("MD 0.5 higher (0.1 lower to 1.1
    higher)"), as GRADEpro words it.
    """
    if not syntheses:
        return None
    zh = _zh(review)
    summaries = rob_summaries(review, appraisals)
    outcomes = {o.id: o for o in review.outcomes}
    rows: list[list[str]] = []
    footnotes: list[str] = []
    graded = [bool(s.spec.grade) for s in syntheses]
    for s in syntheses:
        certainty, participants, k, by_reviewers = certainty_of(review, s, summaries)
        outcome = outcomes.get(s.spec.outcome)
        unit = outcome.unit if outcome is not None else ""
        marks = []
        for reason in certainty.reasons:
            if reason not in footnotes:
                footnotes.append(reason)
            marks.append(_footnote_mark(footnotes.index(reason) + 1))
        level = LEVELS_ZH[certainty.level] if zh else _LEVEL_EN[certainty.level]
        grade = f"{LEVEL_SYMBOLS[certainty.level]} {level}" + (f" ({', '.join(marks)})" if marks else "") + (
            "" if by_reviewers or not any(graded) else " *")
        studies = f"{participants} ({k} {'项 RCT' if zh else ('RCT' if k == 1 else 'RCTs')})"
        if k == 0:
            grade = studies = "—"
        comparator, intervention, relative = "—", "—", "—"
        r = s.result
        if r is not None and r.overall is not None:
            e = r.overall
            if r.measure in ("RR", "OR"):
                rel = RelativeEffect(r.measure, math.exp(e.estimate), math.exp(e.ci_low),  # type: ignore[arg-type]
                                     math.exp(e.ci_high))
                relative = str(rel)
                events = sum(float(x.get("e2", 0)) for x in s.table)
                total = sum(float(x.get("n2", 0)) for x in s.table)
                if total > 0 and 0 < events < total:
                    a = absolute_effect(rel, events / total)
                    per = "每 1000 人" if zh else "per 1,000"
                    comparator = f"{round(a.assumed_risk * 1000)} {per}"
                    intervention = (f"{round(a.corresponding_risk * 1000)} {per} "
                                    f"({round(a.corresponding_low * 1000)} {'至' if zh else 'to'} "
                                    f"{round(a.corresponding_high * 1000)})")
            else:
                # an SMD pools outcomes on different scales: no comparator mean to show
                mean = _weighted_mean(s.table, "m2", "n2") if r.measure != "SMD" else None
                if mean is not None:
                    shown = f"{mean:.0f}" if abs(mean) >= 1000 else f"{mean:.3g}"
                    comparator = (f"平均 {shown} {unit}".strip() if zh else
                                  f"The mean was {shown} {unit}".strip())
                intervention = _difference_text(r.measure, e.estimate, e.ci_low, e.ci_high, zh)
        rows.append([s.spec.title, comparator, intervention, relative, studies, grade,
                     s.not_pooled_because])
    columns = (["结局", "对照组风险/均值", "干预组（95% CI）", "相对效应（95% CI）",
                "受试者（研究数）", "证据质量（GRADE）", "备注"] if zh else
               ["Outcomes", "Risk with control", "Risk with intervention (95% CI)",
                "Relative effect (95% CI)", "№ of participants (studies)",
                "Certainty of the evidence (GRADE)", "Comments"])
    notes = [f"{_footnote_mark(i + 1)}. {text}" for i, text in enumerate(footnotes)]
    return {"columns": columns, "rows": rows, "footnotes": notes}


def _footnote_mark(i: int) -> str:
    return chr(ord("a") + i - 1) if i <= 26 else str(i)


def _difference_text(measure: str, est: float, low: float, high: float, zh: bool) -> str:
    """GRADEpro's wording of a mean difference: 'MD 0.5 higher (0.1 lower to 1.1 higher)'."""
    def side(x: float) -> str:
        if zh:
            return f"高 {abs(x):.2f}" if x >= 0 else f"低 {abs(x):.2f}"
        return f"{abs(x):.2f} {'higher' if x >= 0 else 'lower'}"

    return f"{measure} {side(est)} ({side(low)} {'至' if zh else 'to'} {side(high)})"
