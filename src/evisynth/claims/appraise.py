"""Appraise an article: its claims, each with a verdict, the evidence behind it, and what is missing.

``appraise(text, base)`` where ``base`` is an :class:`EvidenceBase` (entries from the shipped
YAML, loaded by ``evisynth.io.evidence``, plus any from a review project). Retrieval ranks every
entry for every claim with BM25 so the reader sees related evidence even where nothing decides
the verdict; the verdict itself comes from ``verdict.judge``.

Omissions, in the spirit of seed 002's critique: an article that recommends or praises vitamin K
supplements without mentioning anticoagulants, or that gives doses without saying which form
(MK-4 at milligrams, MK-7 at micrograms), is told so.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evisynth.claims import lexicon
from evisynth.claims.extract import extract_claims
from evisynth.claims.model import (
    VERDICTS,
    ArticleAppraisal,
    ClaimAppraisal,
    Effect,
    EvidenceEntry,
    EvidenceUse,
)
from evisynth.claims.retrieve import BM25
from evisynth.claims.text import detect_language, normalize
from evisynth.claims.verdict import explain, judge, verdict_grade

_GRADE_ALIASES = {
    "very_low": "very low",
    "very low": "very low",
    "low": "low",
    "moderate": "moderate",
    "high": "high",
}


def entry_from_dict(d: Mapping[str, Any], origin: str = "evidence base") -> EvidenceEntry:
    """An :class:`EvidenceEntry` from a plain mapping (one item of evidence.yaml)."""
    eff = d.get("effect") or {}
    grade = _GRADE_ALIASES.get(str(d.get("certainty", "")).strip(), "")
    if not grade:
        raise ValueError(f"evidence entry {d.get('id')!r}: certainty must be high, moderate, low or very_low")
    for key in ("id", "citation", "design", "outcome", "endpoint", "direction", "source"):
        if not d.get(key):
            raise ValueError(f"evidence entry {d.get('id')!r}: {key!r} is required")
    verified = bool(d.get("verified", False))
    if verified and not d.get("quote"):
        raise ValueError(
            f"evidence entry {d['id']!r}: a verified entry needs the quote its numbers come from"
        )
    return EvidenceEntry(
        id=str(d["id"]),
        citation=str(d["citation"]),
        design=str(d["design"]),
        outcome=str(d["outcome"]),
        endpoint=str(d["endpoint"]),
        direction=str(d["direction"]),
        certainty=grade,
        source=str(d["source"]),
        quote=str(d.get("quote") or ""),
        verified=verified,
        doi=str(d.get("doi") or ""),
        pmid=str(d.get("pmid") or ""),
        population=str(d.get("population") or ""),
        population_tags=tuple(d.get("population_tags") or ()),
        forms=tuple(d.get("forms") or ()),
        dose_ug=float(d["dose_ug"]) if d.get("dose_ug") is not None else None,
        also=tuple(d.get("also") or ()),
        topics=tuple(d.get("topics") or ()),
        effect=Effect(
            label=str(eff.get("label", "")),
            measure=str(eff.get("measure", "")),
            value=eff.get("value"),
            lower=eff.get("lower"),
            upper=eff.get("upper"),
        ),
        pk=tuple(sorted((str(k), str(v)) for k, v in (d.get("pk") or {}).items())),
        certainty_reason=str(d.get("certainty_reason") or ""),
        integrity=str(d.get("integrity") or ""),
        where=str(d.get("where") or ""),
        summary_en=str(d.get("summary_en") or ""),
        summary_zh=str(d.get("summary_zh") or ""),
        origin=origin,
    )


def _document(e: EvidenceEntry) -> str:
    return " ".join(
        (
            e.citation,
            e.design,
            e.population,
            e.outcome,
            " ".join(e.also),
            " ".join(e.forms),
            e.effect.label,
            e.summary_en,
            e.summary_zh,
        )
    )


@dataclass
class EvidenceBase:
    """The entries and their BM25 index (built once, reused for every article)."""

    entries: tuple[EvidenceEntry, ...]
    index: BM25 = field(init=False)

    def __post_init__(self) -> None:
        self.index = BM25().fit([_document(e) for e in self.entries])

    @classmethod
    def from_dicts(cls, items: Iterable[Mapping[str, Any]], origin: str = "evidence base") -> EvidenceBase:
        return cls(tuple(entry_from_dict(d, origin) for d in items))

    def extended(self, more: Sequence[EvidenceEntry]) -> EvidenceBase:
        return EvidenceBase(self.entries + tuple(more))


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", normalize(s))


def _omissions(text: str, appraisals: Sequence[ClaimAppraisal], language: str) -> tuple[str, ...]:
    t = normalize(text).lower()
    zh = language == "zh"
    out = []
    promotes = any(
        a.claim.direction == "benefit" and a.claim.form in ("k2", "mk4", "mk7", "k", "k1") for a in appraisals
    )
    if promotes and not re.search(r"华法林|抗凝|warfarin|anticoagul|blood thinner", t):
        out.append(
            "未提及维生素K补充剂会干扰华法林等抗凝药（每天50 µg以上的MK-7即可能有影响）。"
            if zh
            else "It does not mention that vitamin K supplements interfere with warfarin-type anticoagulants "
            "(50 µg/day of MK-7 may be enough)."
        )
    doses = [a.claim for a in appraisals if a.claim.dose is not None]
    if doses and any(not c.form or c.form_inferred or c.form in ("k2", "k") for c in doses):
        out.append(
            "给出剂量时未说明是哪种形式：MK-4的试验剂量为每天45毫克，MK-7为每天数百微克，二者不可互换。"
            if zh
            else "Doses are given without the form: MK-4 trials used 45 mg a day, MK-7 trials a few hundred "
            "micrograms; the two are not interchangeable."
        )
    says_limits = re.search(r"替代终点|替代指标|开放标签|真实性|surrogate|open-label|integrity", t)
    if not says_limits and any(
        a.verdict in ("overstated", "not_supported") and a.claim.outcome in ("fracture", "cvd_events")
        for a in appraisals
    ):
        out.append(
            "未说明骨折获益的证据主要来自日本的开放标签试验且部分试验的真实性受到质疑，心血管方面只有替代指标。"
            if zh
            else "It does not say that the fracture evidence comes mostly from open-label Japanese "
            "trials, some of them questioned, or that for the heart only surrogate markers were studied."
        )
    return tuple(out)


def appraise(text: str, base: EvidenceBase, *, language: str = "auto", top_k: int = 5) -> ArticleAppraisal:
    """Every claim in ``text`` with its verdict, GRADE certainty, explanation and evidence."""
    lang = detect_language(text) if language == "auto" else language
    if lang not in ("zh", "en"):
        raise ValueError(f"language must be auto, zh or en (got {language!r})")
    article = _squash(text)
    # An expert statement quoted from this very article is not independent evidence for it.
    usable = [
        e for e in base.entries if not (e.endpoint == "expert" and e.quote and _squash(e.quote) in article)
    ]
    usable_ids = {e.id for e in usable}
    results = []
    for claim in extract_claims(text, lang):
        j = judge(claim, usable)
        scores = base.index.scores(claim.sentence)
        order = sorted(range(len(base.entries)), key=lambda i: -scores[i])
        decisive = {e.id for e in j.decisive}
        uses = [EvidenceUse(e, "decisive", float(scores[base.entries.index(e)])) for e in j.decisive]
        for i in order:
            e = base.entries[i]
            if len(uses) >= max(top_k, len(decisive)) or scores[i] <= 0:
                break
            if e.id in decisive:
                continue
            role = (
                "related" if e.verified and e.id in usable_ids else "unverified" if not e.verified else "self"
            )
            uses.append(EvidenceUse(e, role, float(scores[i])))
        results.append(
            ClaimAppraisal(
                claim=claim,
                verdict=j.verdict,
                grade=verdict_grade(claim, j),
                explanation=explain(claim, j, lang),
                rule=j.rule,
                evidence=tuple(uses),
            )
        )
    counts = Counter(a.verdict for a in results)
    notes = tuple(zh if lang == "zh" else en for _, zh, en in lexicon.terminology(text))
    return ArticleAppraisal(
        terminology=notes,
        language=lang,
        text=text,
        claims=tuple(results),
        omissions=_omissions(text, results, lang),
        counts={v: counts.get(v, 0) for v in VERDICTS},
    )


@dataclass(frozen=True)
class AgreementReport:
    """Claim recall and verdict agreement against a hand-annotated set."""

    annotated: int
    found: int
    agreed: int
    supported_but_contradicted: int
    misses: tuple[str, ...]
    disagreements: tuple[tuple[str, str, str], ...]

    @property
    def recall(self) -> float:
        return self.found / self.annotated if self.annotated else 0.0

    @property
    def agreement(self) -> float:
        return self.agreed / self.found if self.found else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "annotated": self.annotated,
            "found": self.found,
            "agreed": self.agreed,
            "recall": round(self.recall, 4),
            "agreement": round(self.agreement, 4),
            "supported_but_contradicted": self.supported_but_contradicted,
            "misses": list(self.misses),
            "disagreements": [list(d) for d in self.disagreements],
        }


def compare(appraisal: ArticleAppraisal, annotations: Sequence[Mapping[str, Any]]) -> AgreementReport:
    """Match each annotated claim (by its quote) to an appraised claim and compare verdicts.

    A claim is found when its quote (whitespace and width ignored) lies inside one detected claim
    sentence. "supported_but_contradicted" counts claims the engine calls supported that the
    annotation says the evidence contradicts.
    """
    found = agreed = bad = 0
    misses, disagreements = [], []
    sentences = [(_squash(a.claim.sentence), a) for a in appraisal.claims]
    for ann in annotations:
        q = _squash(str(ann["quote"]))
        match = next((a for s, a in sentences if q in s), None)
        if match is None:
            misses.append(str(ann["quote"]))
            continue
        found += 1
        if match.verdict == ann["verdict"]:
            agreed += 1
        else:
            disagreements.append((str(ann["quote"]), str(ann["verdict"]), match.verdict))
        if match.verdict == "supported" and ann["verdict"] == "contradicted":
            bad += 1
    return AgreementReport(len(annotations), found, agreed, bad, tuple(misses), tuple(disagreements))
