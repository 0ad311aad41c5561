"""Claim appraisal as data: evidence entries, structured claims, verdicts (frozen, ``to_dict()``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from evisynth.claims.text import Quantity
from evisynth.core.results import Serializable

VerdictLabel = Literal["supported", "overstated", "not_supported", "contradicted", "not_assessable"]
VERDICTS: tuple[str, ...] = ("supported", "overstated", "not_supported", "contradicted", "not_assessable")
VERDICT_WORDS: dict[str, dict[str, str]] = {
    "supported": {"en": "Supported", "zh": "有证据支持"},
    "overstated": {"en": "Overstated", "zh": "言过其实"},
    "not_supported": {"en": "Not supported by trials", "zh": "缺乏试验证据"},
    "contradicted": {"en": "Contradicted", "zh": "与证据相悖"},
    "not_assessable": {"en": "Not assessable", "zh": "无法评估"},
}
#: GRADE levels as evisynth.review.certainty spells them (ascending).
GRADE_LEVELS: tuple[str, ...] = ("very low", "low", "moderate", "high")
GRADE_ZH: dict[str, str] = {"very low": "极低", "low": "低", "moderate": "中", "high": "高"}


@dataclass(frozen=True)
class Effect(Serializable):
    label: str = ""
    measure: str = ""
    value: float | None = None
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class EvidenceEntry(Serializable):
    """One finding of one source, with where its numbers come from.

    ``verified`` is true only when ``quote`` was read in the source itself; unverified entries are
    shown to the reader but never decide a verdict.
    """

    id: str
    citation: str
    design: str
    outcome: str
    endpoint: str
    direction: str
    certainty: str
    source: str
    quote: str
    verified: bool
    doi: str = ""
    pmid: str = ""
    population: str = ""
    population_tags: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    dose_ug: float | None = None
    also: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    effect: Effect = field(default_factory=Effect)
    pk: tuple[tuple[str, str], ...] = ()
    certainty_reason: str = ""
    integrity: str = ""
    where: str = ""
    summary_en: str = ""
    summary_zh: str = ""
    origin: str = "evidence base"

    def covers(self, outcome: str) -> bool:
        return outcome == self.outcome or outcome in self.also

    @property
    def grade_rank(self) -> int:
        return GRADE_LEVELS.index(self.certainty) if self.certainty in GRADE_LEVELS else 0

    def summary(self, language: str) -> str:
        return self.summary_zh if language == "zh" and self.summary_zh else self.summary_en


@dataclass(frozen=True)
class Claim(Serializable):
    """A health claim found in an article, with its parts.

    ``direction``: benefit | no_effect | harm | caution. ``certainty``: how sure the article sounds
    (strong | neutral | hedged). ``ratio``: a claimed relative size (0.5 for "halves", 2 for "twice").
    """

    id: str
    sentence: str
    start: int
    end: int
    language: str
    kind: str
    outcome: str
    outcomes: tuple[str, ...]
    direction: str
    certainty: str
    form: str = ""
    form_inferred: bool = False
    forms: tuple[str, ...] = ()
    dose: Quantity | None = None
    population: tuple[str, ...] = ()
    magnitude: str = ""
    ratio: float | None = None
    ratio_is_lower_bound: bool = False
    certainty_words: tuple[str, ...] = ()
    study_report: bool = False
    observational: bool = False
    recommendation: bool = False
    official: bool = False
    refers_to_intervention: bool = False
    exclusive: bool = False
    comparative: bool = False


@dataclass(frozen=True)
class EvidenceUse(Serializable):
    """An entry as used for one claim: its role in the verdict and its BM25 score."""

    entry: EvidenceEntry
    role: str  # decisive | related | unverified
    score: float


@dataclass(frozen=True)
class ClaimAppraisal(Serializable):
    claim: Claim
    verdict: str
    grade: str
    explanation: str
    rule: str
    evidence: tuple[EvidenceUse, ...] = ()


@dataclass(frozen=True)
class ArticleAppraisal(Serializable):
    """Every claim of one article with its verdict, what the article left out, and wrong terms."""

    language: str
    text: str
    claims: tuple[ClaimAppraisal, ...]
    omissions: tuple[str, ...] = ()
    terminology: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
