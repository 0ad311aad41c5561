"""The Cochrane risk-of-bias tool for randomised trials (RoB 1).

Higgins JPT, Altman DG, Sterne JAC (eds). Chapter 8: Assessing risk of bias in included studies.
Cochrane Handbook for Systematic Reviews of Interventions 5.1.0, 2011: the seven domains of
table 8.5.a, each judged low, high or unclear risk with support text quoting the report
(table 8.5.d gives the criteria), and the summary across domains of table 8.7.a:

- low risk of bias: low risk for all key domains;
- unclear risk of bias: unclear risk for one or more key domains;
- high risk of bias: high risk for one or more key domains.

Which domains are key is the review's choice, made in advance (section 8.7); evisynth's default
leaves out "other bias", whose content differs from study to study.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from evisynth.review.errors import DomainError
from evisynth.review.model import _Plain

Judgement = Literal["low", "high", "unclear"]
JUDGEMENTS: tuple[Judgement, ...] = get_args(Judgement)

ROB1_DOMAINS: tuple[str, ...] = (
    "random_sequence_generation",
    "allocation_concealment",
    "blinding_participants_personnel",
    "blinding_outcome_assessment",
    "incomplete_outcome_data",
    "selective_reporting",
    "other_bias",
)
#: English and Chinese names (the Chinese as Chinese reviews, seed 000 among them, print them).
ROB1_LABELS: dict[str, tuple[str, str]] = {
    "random_sequence_generation": ("Random sequence generation", "随机序列生成"),
    "allocation_concealment": ("Allocation concealment", "分配隐藏"),
    "blinding_participants_personnel": ("Blinding of participants and personnel", "对研究者和受试者施盲"),
    "blinding_outcome_assessment": ("Blinding of outcome assessment", "研究结局盲法评价"),
    "incomplete_outcome_data": ("Incomplete outcome data", "结果数据的完整性"),
    "selective_reporting": ("Selective reporting", "选择性报告"),
    "other_bias": ("Other bias", "其他偏倚来源"),
}
#: The bias each domain addresses (Handbook table 8.5.a).
ROB1_BIAS: dict[str, str] = {
    "random_sequence_generation": "selection bias",
    "allocation_concealment": "selection bias",
    "blinding_participants_personnel": "performance bias",
    "blinding_outcome_assessment": "detection bias",
    "incomplete_outcome_data": "attrition bias",
    "selective_reporting": "reporting bias",
    "other_bias": "other bias",
}
#: evisynth's default key domains: all but "other bias". Changing them can change a summary.
DEFAULT_KEY_DOMAINS: tuple[str, ...] = ROB1_DOMAINS[:-1]
_ENTRY_KEYS = ("judgement", "support", "location")


def _label(domain: str) -> str:
    return ROB1_LABELS[domain][0].lower()


@dataclass(frozen=True)
class DomainJudgement(_Plain):
    """One domain's judgement, the support for it (quoted or paraphrased), and where it stands."""

    judgement: Judgement
    support: str
    location: str = ""


@dataclass(frozen=True)
class RobAssessment(_Plain):
    """RoB 1 for one study (or one outcome of it, for the domains judged per outcome)."""

    study: str
    domains: dict[str, DomainJudgement] = field(default_factory=dict)
    outcome: str = ""

    def __post_init__(self) -> None:
        for name, d in self.domains.items():
            if name not in ROB1_DOMAINS:
                raise DomainError(f"RoB 1 domain {name!r} for {self.study} is not one of "
                                  f"{', '.join(ROB1_DOMAINS)}; check the spelling")
            if d.judgement not in JUDGEMENTS:
                raise DomainError(f"RoB 1 '{name}' for {self.study}: judgement must be low, high or unclear "
                                  f"(got {d.judgement!r})")
            if not d.support.strip():
                raise DomainError(f"RoB 1 '{name}' for {self.study} has no support text; quote the report "
                                  "(or say that it reports nothing) to support the judgement")

    @classmethod
    def from_dict(cls, study: str, answers: Mapping[str, Any], *, outcome: str = "") -> RobAssessment:
        """RoB 1 from its stored form (``appraisal.yaml``, tool ``rob1``)::

            {random_sequence_generation: {judgement: low, support: "...", location: "Table 1"}, ...}
        """
        domains: dict[str, DomainJudgement] = {}
        for name, entry in answers.items():
            if not isinstance(entry, Mapping):
                raise DomainError(f"RoB 1 '{name}' for {study} must be a mapping with judgement and support "
                                  f"(got {entry!r})")
            unknown = sorted(set(entry) - set(_ENTRY_KEYS))
            if unknown:
                raise DomainError(f"RoB 1 '{name}' for {study} has unknown field(s) "
                                  f"{', '.join(map(repr, unknown))}; use {', '.join(_ENTRY_KEYS)}")
            domains[str(name)] = DomainJudgement(entry.get("judgement"),  # checked in __post_init__
                                                 str(entry.get("support") or ""),
                                                 str(entry.get("location") or ""))
        return cls(study, domains, outcome)

    def _key(self, key_domains: tuple[str, ...]) -> list[tuple[str, Judgement]]:
        if not key_domains:
            raise DomainError("RoB 1 summary needs at least one key domain")
        judged = []
        for name in key_domains:
            if name not in ROB1_DOMAINS:
                raise DomainError(f"key domain {name!r} is not one of {', '.join(ROB1_DOMAINS)}")
            if name not in self.domains:
                raise DomainError(f"RoB 1 for {self.study} has no judgement for the key domain '{name}'; "
                                  "judge it (unclear when the report says nothing) or leave it out of the "
                                  "key domains")
            judged.append((name, self.domains[name].judgement))
        return judged

    def summary(self, key_domains: tuple[str, ...] = DEFAULT_KEY_DOMAINS) -> Judgement:
        """Handbook table 8.7.a: high if any key domain is high, low if all are low, else unclear."""
        judged = [j for _, j in self._key(key_domains)]
        if "high" in judged:
            return "high"
        if all(j == "low" for j in judged):
            return "low"
        return "unclear"

    def summary_reason(self, key_domains: tuple[str, ...] = DEFAULT_KEY_DOMAINS) -> str:
        """The summary in words: which key domains made it."""
        judged = self._key(key_domains)
        high = [_label(n) for n, j in judged if j == "high"]
        unclear = [_label(n) for n, j in judged if j == "unclear"]
        if high:
            return f"high risk of bias: high risk for {', '.join(high)}"
        if unclear:
            return f"unclear risk of bias: unclear risk for {', '.join(unclear)} (no key domain at high risk)"
        return f"low risk of bias: low risk for all {len(judged)} key domains"
