"""Study appraisal: the Jadad scale and Cochrane risk of bias 1, from item answers.

Jadad AR et al. Assessing the quality of reports of randomized clinical trials: is blinding
necessary? Control Clin Trials 1996;17:1-12. Cochrane RoB 1: Higgins JPT, Altman DG, Sterne JAC
(eds), Cochrane Handbook 5.1, chapter 8 (table 8.5.a; summary rule in 8.7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from evisynth.review.errors import DomainError
from evisynth.review.model import _Plain

MethodAnswer = Literal["appropriate", "not_described", "inappropriate"]
Judgement = Literal["low", "high", "unclear"]
METHOD_ANSWERS: tuple[MethodAnswer, ...] = ("appropriate", "not_described", "inappropriate")

ROB1_DOMAINS: tuple[str, ...] = (
    "random_sequence_generation",
    "allocation_concealment",
    "blinding_participants_personnel",
    "blinding_outcome_assessment",
    "incomplete_outcome_data",
    "selective_reporting",
    "other_bias",
)
ROB1_LABELS = {
    "random_sequence_generation": ("Random sequence generation", "随机序列生成"),
    "allocation_concealment": ("Allocation concealment", "分配隐藏"),
    "blinding_participants_personnel": ("Blinding of participants and personnel", "对研究者和受试者施盲"),
    "blinding_outcome_assessment": ("Blinding of outcome assessment", "研究结局盲法评价"),
    "incomplete_outcome_data": ("Incomplete outcome data", "结果数据的完整性"),
    "selective_reporting": ("Selective reporting", "选择性报告"),
    "other_bias": ("Other bias", "其他偏倚来源"),
}
#: Handbook 8.7 leaves the key domains to the review; this default leaves out "other bias".
DEFAULT_KEY_DOMAINS = ROB1_DOMAINS[:-1]


@dataclass(frozen=True)
class JadadAnswers(_Plain):
    """The five Jadad items, answered from the trial report."""

    randomised: bool
    randomisation_method: MethodAnswer
    double_blind: bool
    blinding_method: MethodAnswer
    withdrawals_described: bool

    @classmethod
    def from_dict(cls, answers: Mapping[str, Any], *, study: str = "") -> JadadAnswers:
        where = f" for {study}" if study else ""
        missing = [f for f in ("randomised", "randomisation_method", "double_blind",
                               "blinding_method", "withdrawals_described") if f not in answers]
        if missing:
            raise DomainError(f"Jadad answers{where} lack {', '.join(missing)}; answer every item")
        for name in ("randomisation_method", "blinding_method"):
            if answers[name] not in METHOD_ANSWERS:
                raise DomainError(
                    f"Jadad '{name}'{where} must be one of {', '.join(METHOD_ANSWERS)} "
                    f"(got {answers[name]!r})"
                )
        for name in ("randomised", "double_blind", "withdrawals_described"):
            if not isinstance(answers[name], bool):
                raise DomainError(f"Jadad '{name}'{where} must be true or false (got {answers[name]!r})")
        return cls(
            randomised=answers["randomised"],
            randomisation_method=answers["randomisation_method"],
            double_blind=answers["double_blind"],
            blinding_method=answers["blinding_method"],
            withdrawals_described=answers["withdrawals_described"],
        )


def jadad_score(answers: JadadAnswers) -> int:
    """Jadad 1996: +1 randomised, ±1 for an appropriate/inappropriate randomisation method,
    +1 double-blind, ±1 for an appropriate/inappropriate blinding method, +1 withdrawals
    described. A method earns or loses its point only when the trial is described as
    randomised (double-blind); the score runs from 0 to 5.
    """
    score = 0
    if answers.randomised:
        score += 1 + {"appropriate": 1, "not_described": 0, "inappropriate": -1}[
            answers.randomisation_method
        ]
    if answers.double_blind:
        score += 1 + {"appropriate": 1, "not_described": 0, "inappropriate": -1}[
            answers.blinding_method
        ]
    if answers.withdrawals_described:
        score += 1
    return max(0, score)


@dataclass(frozen=True)
class DomainJudgement(_Plain):
    judgement: Judgement
    support: str
    location: str = ""


@dataclass(frozen=True)
class RobAssessment(_Plain):
    """Cochrane RoB 1 for one study: a judgement with support text for each domain."""

    study: str
    domains: dict[str, DomainJudgement]

    @classmethod
    def from_dict(cls, study: str, answers: Mapping[str, Any]) -> RobAssessment:
        domains: dict[str, DomainJudgement] = {}
        for name, entry in answers.items():
            if name not in ROB1_DOMAINS:
                raise DomainError(
                    f"RoB 1 domain {name!r} for {study} is not one of {', '.join(ROB1_DOMAINS)}"
                )
            judgement = entry.get("judgement")
            if judgement not in ("low", "high", "unclear"):
                raise DomainError(
                    f"RoB 1 '{name}' for {study}: judgement must be low, high or unclear "
                    f"(got {judgement!r})"
                )
            support = str(entry.get("support", "")).strip()
            if not support:
                raise DomainError(f"RoB 1 '{name}' for {study} has no support text; quote the report")
            domains[name] = DomainJudgement(judgement, support, str(entry.get("location", "")))
        return cls(study, domains)

    def summary(self, key_domains: tuple[str, ...] = DEFAULT_KEY_DOMAINS) -> Judgement:
        """Handbook 8.7: high if any key domain is high, low if all are low, else unclear."""
        judged = [self.domains[d].judgement if d in self.domains else "unclear" for d in key_domains]
        if "high" in judged:
            return "high"
        if all(j == "low" for j in judged):
            return "low"
        return "unclear"
