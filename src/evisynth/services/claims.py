"""Claim appraisal operations the CLI calls: build the evidence base, appraise a file, render.

``appraise_file(path, language=..., project=...)`` reads the article (``evisynth.io.evidence``),
appraises it against the shipped vitamin K evidence base — plus, with ``project``, one entry per
pooled analysis of a review project (its GRADE rating as evisynth suggests it) — and returns the
:class:`~evisynth.claims.ArticleAppraisal`. ``appraisal_json`` and ``appraisal_html`` render it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from evisynth.claims import ArticleAppraisal, EvidenceBase, EvidenceEntry, appraise, lexicon
from evisynth.claims.model import GRADE_ZH, VERDICT_WORDS, VERDICTS, Effect
from evisynth.io.evidence import load_evidence, read_article
from evisynth.report.claims import render_claims_html

_LEVEL_FROM_ZH = {v: k for k, v in GRADE_ZH.items()}


@lru_cache(maxsize=1)
def default_base() -> EvidenceBase:
    """The shipped evidence base, read and indexed once per process."""
    return EvidenceBase.from_dicts(load_evidence())


def project_entries(project_path: Path) -> list[EvidenceEntry]:
    """One verified entry per pooled analysis of a review project.

    The outcome is recognised from the outcome's names with the lexicon; the direction is
    ``no_effect`` when the CI includes the null, else benefit or harm by the outcome's
    ``lower_is_better``; the certainty is evisynth's suggested GRADE rating for the analysis.
    """
    # Imported here: appraising an article alone should not pay for the database and statistics stack.
    from evisynth.analysis.review import synthesise
    from evisynth.services import appraisal_tables
    from evisynth.storage.project import open_project

    project = open_project(project_path)
    review = project.load_review()
    appraisals = project.load_appraisals()
    syntheses = [synthesise(review, spec) for spec in review.analyses]
    grade = appraisal_tables.grade_table(review, syntheses, appraisals) or {"rows": []}
    levels = {row[0]: _LEVEL_FROM_ZH.get(row[3], row[3]) for row in grade["rows"]}
    outcomes = {o.id: o for o in review.outcomes}
    entries = []
    for s in syntheses:
        e = s.result.overall if s.result is not None else None
        outcome = outcomes.get(s.spec.outcome)
        if e is None or outcome is None:
            continue
        found = lexicon.find(outcome.name_en, "outcome") or lexicon.find(outcome.name, "outcome")
        if not found:
            continue
        null = 0.0
        if e.ci_low <= null <= e.ci_high or outcome.lower_is_better is None:
            direction = "no_effect"
        else:
            better = (e.estimate < null) == bool(outcome.lower_is_better)
            direction = "benefit" if better else "harm"
        level = levels.get(s.spec.title, "low")
        result = s.result
        assert result is not None
        label = (
            f"{result.measure} {e.estimate:.2f} ({e.ci_low:.2f} to {e.ci_high:.2f}), "
            f"k = {len(result.studies)}"
        )
        entries.append(
            EvidenceEntry(
                id=f"project:{s.spec.id}",
                citation=f"{review.protocol.title} — {s.spec.title}",
                design="meta-analysis in the review project",
                outcome=found[0],
                also=tuple(found[1:]),
                endpoint="surrogate",
                direction=direction,
                certainty=level if level in GRADE_ZH else "low",
                source=f"project:{project_path.name}#{s.spec.id}",
                quote=label,
                verified=True,
                forms=("k2", "mk7"),
                effect=Effect(
                    label=label, measure=result.measure, value=e.estimate, lower=e.ci_low, upper=e.ci_high
                ),
                certainty_reason="evisynth's suggested GRADE rating for this analysis",
                where=f"analysis {s.spec.id}",
                summary_en=f"{s.spec.title}: {label}",
                summary_zh=f"{s.spec.title}：{label}",
                origin="review project",
            )
        )
    return entries


def appraise_file(path: Path, *, language: str = "auto", project: Path | None = None) -> ArticleAppraisal:
    """Read ``path`` and appraise every claim in it."""
    text = read_article(path)
    base = default_base()
    if project is not None:
        base = base.extended(project_entries(project))
    return appraise(text, base, language=language)


def appraisal_json(appraisal: ArticleAppraisal) -> dict[str, Any]:
    """The appraisal as JSON-ready data (without the article text)."""
    d = appraisal.to_dict()
    d.pop("text", None)
    return d


def _segments(appraisal: ArticleAppraisal) -> list[dict[str, Any]]:
    lang = "zh" if appraisal.language == "zh" else "en"
    out: list[dict[str, Any]] = []
    pos = 0
    text = appraisal.text
    for a in sorted(appraisal.claims, key=lambda a: a.claim.start):
        c = a.claim
        if c.start < pos:
            continue
        if c.start > pos:
            out.append({"text": text[pos : c.start], "claim": None})
        out.append(
            {
                "text": text[c.start : c.end],
                "claim": {
                    "id": c.id,
                    "verdict": a.verdict,
                    "word": VERDICT_WORDS[a.verdict][lang],
                    "grade": (GRADE_ZH.get(a.grade, a.grade) if lang == "zh" else a.grade),
                    "explanation": a.explanation,
                    "evidence": [
                        {
                            "id": u.entry.id,
                            "role": u.role,
                            "citation": u.entry.citation,
                            "doi": u.entry.doi,
                            "design": u.entry.design,
                            "population": u.entry.population,
                            "summary": u.entry.summary(lang),
                            "effect": u.entry.effect.label,
                            "certainty": GRADE_ZH.get(u.entry.certainty, u.entry.certainty)
                            if lang == "zh"
                            else u.entry.certainty,
                            "integrity": u.entry.integrity,
                            "source": u.entry.source,
                            "where": u.entry.where,
                            "quote": u.entry.quote,
                            "verified": u.entry.verified,
                        }
                        for u in a.evidence
                        if u.role != "self"
                    ],
                },
            }
        )
        pos = c.end
    out.append({"text": text[pos:], "claim": None})
    return out


def appraisal_html(appraisal: ArticleAppraisal, *, title: str) -> str:
    """A self-contained HTML page: the article with each claim coloured by its verdict."""
    lang = "zh" if appraisal.language == "zh" else "en"
    legend = [
        {"verdict": v, "word": VERDICT_WORDS[v][lang], "count": appraisal.counts.get(v, 0)} for v in VERDICTS
    ]
    return render_claims_html(
        {
            "title": title,
            "language": lang,
            "legend": legend,
            "segments": _segments(appraisal),
            "omissions": list(appraisal.omissions),
            "terminology": list(appraisal.terminology),
            "n_claims": len(appraisal.claims),
        }
    )
