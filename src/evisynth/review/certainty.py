"""GRADE certainty of evidence per outcome and the Summary of Findings row.

Schünemann H, Brożek J, Guyatt G, Oxman A (eds). GRADE Handbook, 2013: evidence from randomised
trials starts high, from observational studies low (5.1); five domains can lower it by one or
two levels each (5.2), three can raise observational evidence (5.3). The suggestions below turn
numbers into a starting point for the reviewer; the reviewer's judgement is what is recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from evisynth.review.errors import DomainError
from evisynth.review.model import _Plain

LEVELS = ("very low", "low", "moderate", "high")
LEVELS_ZH = {"very low": "极低", "low": "低", "moderate": "中", "high": "高"}
DOWNGRADE_DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision",
                     "publication_bias")
UPGRADE_DOMAINS = ("large_effect", "dose_response", "plausible_confounding")

#: GRADE Handbook 5.2.6: an optimal information size of about 400 participants for a
#: continuous outcome (a standardised difference of 0.2 with α 0.05 and β 0.2 needs ~400).
DEFAULT_OPTIMAL_INFORMATION_SIZE = 400


@dataclass(frozen=True)
class Rating(_Plain):
    """A change of certainty in one domain: 0, -1, -2 (downgrade) or +1, +2 (upgrade)."""

    domain: str
    change: int
    reason: str


@dataclass(frozen=True)
class Certainty(_Plain):
    """Start level by design, ratings, and the resulting level."""

    design: Literal["randomised", "observational"]
    ratings: tuple[Rating, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for r in self.ratings:
            if r.domain in DOWNGRADE_DOMAINS and r.change not in (0, -1, -2):
                raise DomainError(f"{r.domain}: a downgrade is 0, -1 or -2 (got {r.change})")
            if r.domain in UPGRADE_DOMAINS:
                if r.change not in (0, 1, 2):
                    raise DomainError(f"{r.domain}: an upgrade is 0, +1 or +2 (got {r.change})")
                if r.change and self.design == "randomised":
                    raise DomainError(
                        f"{r.domain}: GRADE upgrades observational evidence only; remove it"
                    )
            if r.domain not in DOWNGRADE_DOMAINS + UPGRADE_DOMAINS:
                raise DomainError(f"unknown GRADE domain {r.domain!r}")

    @property
    def start(self) -> str:
        return "high" if self.design == "randomised" else "low"

    @property
    def level(self) -> str:
        index = LEVELS.index(self.start) + sum(r.change for r in self.ratings)
        return LEVELS[min(max(index, 0), len(LEVELS) - 1)]

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(f"{r.domain.replace('_', ' ')} ({r.change:+d}): {r.reason}"
                     for r in self.ratings if r.change)


def suggest_inconsistency(i2: float | None, q_p: float | None, k: int) -> Rating:
    """Suggest -1 when I² >= 50% with a heterogeneity p < 0.10 (Handbook 5.2.3), -2 at I² >= 75%."""
    if k < 2 or i2 is None or q_p is None or not math.isfinite(i2):
        return Rating("inconsistency", 0, "single study: inconsistency cannot be judged")
    if i2 >= 75 and q_p < 0.10:
        return Rating("inconsistency", -2, f"I² = {i2:.0f}%, heterogeneity p = {q_p:.2f}")
    if i2 >= 50 and q_p < 0.10:
        return Rating("inconsistency", -1, f"I² = {i2:.0f}%, heterogeneity p = {q_p:.2f}")
    return Rating("inconsistency", 0, f"I² = {i2:.0f}%, heterogeneity p = {q_p:.2f}")


def suggest_imprecision(
    participants: int,
    ci_low: float | None,
    ci_high: float | None,
    *,
    null_value: float = 0.0,
    optimal_information_size: int = DEFAULT_OPTIMAL_INFORMATION_SIZE,
) -> Rating:
    """Suggest a downgrade for imprecision (Handbook 5.2.6): -1 for each of 'fewer participants
    than the optimal information size' and 'the confidence interval includes no effect'."""
    reasons, change = [], 0
    if participants < optimal_information_size:
        change -= 1
        reasons.append(f"{participants} participants < optimal information size "
                       f"{optimal_information_size}")
    if ci_low is not None and ci_high is not None and ci_low <= null_value <= ci_high:
        change -= 1
        reasons.append("the confidence interval includes no effect")
    return Rating("imprecision", change, "; ".join(reasons) or "adequately precise")


def suggest_risk_of_bias(summaries: dict[str, str]) -> Rating:
    """Suggest -1 when most studies are at unclear or high risk, -2 when most are at high risk."""
    if not summaries:
        return Rating("risk_of_bias", 0, "no risk-of-bias assessment")
    n = len(summaries)
    high = sum(1 for s in summaries.values() if s == "high")
    not_low = sum(1 for s in summaries.values() if s != "low")
    text = f"{not_low} of {n} studies at unclear or high risk of bias ({high} high)"
    if high * 2 > n:
        return Rating("risk_of_bias", -2, text)
    if not_low * 2 > n:
        return Rating("risk_of_bias", -1, text)
    return Rating("risk_of_bias", 0, text)


def suggest_publication_bias(k: int) -> Rating:
    """With fewer than 10 studies small-study tests have too little power (Handbook 5.2.5)."""
    if k < 10:
        return Rating("publication_bias", 0,
                      f"not assessable with {k} studies (tests need about 10)")
    return Rating("publication_bias", 0, "assess with a funnel plot and Egger's test")


def corresponding_risk(assumed_risk: float, ratio: float, *, measure: str) -> float:
    """Risk in the intervention group from a control-group risk and an RR or OR
    (GRADE Handbook 5.3 / Cochrane Handbook 14.1.5): RR·ACR, or OR·ACR/(1 - ACR + OR·ACR)."""
    if not 0 <= assumed_risk <= 1:
        raise DomainError(f"assumed risk must lie in [0, 1] (got {assumed_risk})")
    if measure == "RR":
        return ratio * assumed_risk
    if measure == "OR":
        return ratio * assumed_risk / (1 - assumed_risk + ratio * assumed_risk)
    raise DomainError(f"corresponding risk needs an RR or OR (got {measure!r})")
