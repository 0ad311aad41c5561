"""GRADE certainty of evidence per outcome, and the Summary of Findings row.

Schünemann H, Brożek J, Guyatt G, Oxman A (eds). GRADE Handbook, updated October 2013, section 5:
evidence from randomised trials starts at high certainty, from observational studies at low
(5.1); five domains can lower it by one or two levels each (risk of bias, inconsistency,
indirectness, imprecision, publication bias; 5.2); three can raise observational evidence (large
effect by one or two levels, dose-response gradient by one, plausible confounding that would
reduce a demonstrated effect by one; 5.3). The result is one of high, moderate, low, very low.

The ``suggest_*`` helpers turn numbers into a starting point for the reviewer and say why; the
reviewer's ratings are what the certainty is computed from (``judge`` records a departure from
a suggestion with its reason, so a suggestion never silently becomes the judgement).

The absolute effects of a Summary of Findings row follow the Cochrane Handbook (v6, 14.1.5 and
15.4.4): from an assumed control-group risk ACR and a risk ratio, the corresponding risk is
``RR × ACR``; from an odds ratio it is ``OR × ACR / (1 − ACR + OR × ACR)``; both are shown per
1000, with the difference from ACR.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from scipy.stats import norm

from evisynth.review.errors import DomainError
from evisynth.review.model import _Plain

Level = Literal["very low", "low", "moderate", "high"]
LEVELS: tuple[Level, ...] = get_args(Level)
LEVELS_ZH: dict[str, str] = {"very low": "极低", "low": "低", "moderate": "中", "high": "高"}
LEVEL_SYMBOLS: dict[str, str] = {"high": "⊕⊕⊕⊕", "moderate": "⊕⊕⊕◯", "low": "⊕⊕◯◯", "very low": "⊕◯◯◯"}
Design = Literal["randomised", "observational"]
DESIGNS: tuple[Design, ...] = get_args(Design)
RatioMeasure = Literal["RR", "OR"]

DOWNGRADE_DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
UPGRADE_DOMAINS = ("large_effect", "dose_response", "plausible_confounding")
#: The changes GRADE allows per domain (Handbook 5.2 and 5.3): a downgrade of one or two levels;
#: a large effect +1, a very large one +2; a dose-response gradient and plausible confounding +1.
ALLOWED_CHANGES: dict[str, tuple[int, ...]] = {
    **{d: (0, -1, -2) for d in DOWNGRADE_DOMAINS},
    "large_effect": (0, 1, 2),
    "dose_response": (0, 1),
    "plausible_confounding": (0, 1),
}

#: GRADE Handbook 5.2 (imprecision) and GRADE guidelines 6 (Guyatt et al. J Clin Epidemiol 2011;64:1283):
#: "consider rating down" a continuous outcome with fewer than about 400 participants, the
#: number quoted for a standardised difference of 0.2 SD with α 0.05 and β 0.2. The conventional
#: calculation gives 393 per group (786 in all: ``optimal_information_size_continuous``); 400 is
#: kept as the default because it is the rule of thumb reviews cite.
DEFAULT_OPTIMAL_INFORMATION_SIZE = 400


def _title(domain: str) -> str:
    return domain.replace("_", " ")


@dataclass(frozen=True)
class Rating(_Plain):
    """A change of certainty in one GRADE domain, with the reason.

    ``change`` is 0, -1 or -2 for the five downgrade domains; 0, +1 or +2 for a large effect;
    0 or +1 for a dose-response gradient and for plausible confounding. ``suggested`` keeps the
    change a ``suggest_*`` helper proposed when the reviewer departed from it (see ``judge``).
    """

    domain: str
    change: int
    reason: str
    suggested: int | None = None

    def __post_init__(self) -> None:
        if self.domain not in ALLOWED_CHANGES:
            raise DomainError(f"unknown GRADE domain {self.domain!r}; use one of "
                              f"{', '.join(ALLOWED_CHANGES)}")
        allowed = ALLOWED_CHANGES[self.domain]
        if isinstance(self.change, bool) or self.change not in allowed:
            raise DomainError(f"GRADE {_title(self.domain)}: the change must be one of "
                              f"{', '.join(f'{c:+d}' if c else '0' for c in allowed)} (got {self.change!r})")
        if not self.reason.strip():
            raise DomainError(f"GRADE {_title(self.domain)} ({self.change:+d}) needs a reason; "
                              "say why (a footnote of the Summary of Findings table)")


def judge(suggestion: Rating, *, change: int | None = None, reason: str = "") -> Rating:
    """The reviewer's rating for a domain, starting from a suggestion.

    Without ``change`` the suggestion is accepted (``reason`` may replace its wording). A
    ``change`` that differs from the suggestion needs ``reason``; the suggestion is kept in
    ``suggested`` so the departure stays visible.
    """
    if change is None or change == suggestion.change:
        return Rating(suggestion.domain, suggestion.change, reason or suggestion.reason)
    if not reason.strip():
        raise DomainError(f"GRADE {_title(suggestion.domain)}: {change:+d} departs from the suggested "
                          f"{suggestion.change:+d} ({suggestion.reason}); give the reason")
    return Rating(suggestion.domain, change, reason, suggested=suggestion.change)


@dataclass(frozen=True)
class Certainty(_Plain):
    """The certainty of the evidence for one outcome: start level by design, ratings, result.

    ``start`` is high for randomised trials and low for observational studies; ``level`` adds
    the ratings' changes and stays within very low .. high. Upgrades apply to observational
    evidence only (GRADE Handbook 5.3), and each domain is rated at most once.
    """

    design: Design
    ratings: tuple[Rating, ...] = ()
    start: Level = field(init=False)
    level: Level = field(init=False)
    reasons: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        if self.design not in DESIGNS:
            raise DomainError(f"GRADE design must be one of {', '.join(DESIGNS)} (got {self.design!r}); "
                              "non-randomised studies start as observational")
        seen: set[str] = set()
        for r in self.ratings:
            if r.domain in seen:
                raise DomainError(f"GRADE {_title(r.domain)} is rated twice; give one rating per domain")
            seen.add(r.domain)
            if r.domain in UPGRADE_DOMAINS and r.change and self.design == "randomised":
                raise DomainError(f"GRADE {_title(r.domain)} ({r.change:+d}): GRADE rates up observational "
                                  "evidence only (randomised evidence starts high); remove the upgrade")
        start: Level = "high" if self.design == "randomised" else "low"
        index = LEVELS.index(start) + sum(r.change for r in self.ratings)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "level", LEVELS[min(max(index, 0), len(LEVELS) - 1)])
        object.__setattr__(self, "reasons", tuple(
            f"{_title(r.domain)} ({r.change:+d}): {r.reason}" for r in self.ratings if r.change))

    def __str__(self) -> str:
        head = f"{LEVEL_SYMBOLS[self.level]} {self.level} (from {self.start}: {self.design} evidence)"
        return "\n".join([head, *(f"  {r}" for r in self.reasons)])


# Suggestions from numbers. Each returns a Rating the reviewer may accept or change (``judge``).

def suggest_risk_of_bias(summaries: Mapping[str, str]) -> Rating:
    """Suggest -1 when most studies are at unclear or high risk of bias, -2 when most are at high
    risk (study-level RoB summaries: low / unclear / some concerns / high). GRADE guidelines 4
    weighs studies by their contribution; this count is a first pass for the reviewer."""
    if not summaries:
        return Rating("risk_of_bias", 0, "no risk-of-bias assessment to go on")
    n = len(summaries)
    high = sum(1 for s in summaries.values() if s == "high")
    not_low = sum(1 for s in summaries.values() if s != "low")
    text = f"{not_low} of {n} studies at unclear or high risk of bias ({high} high)"
    if high * 2 > n:
        return Rating("risk_of_bias", -2, text)
    if not_low * 2 > n:
        return Rating("risk_of_bias", -1, text)
    return Rating("risk_of_bias", 0, text)


def suggest_inconsistency(
    i2: float | None,
    q_p: float | None,
    k: int,
    *,
    serious_i2: float = 50.0,
    very_serious_i2: float = 75.0,
    p_threshold: float = 0.10,
) -> Rating:
    """Suggest a downgrade for inconsistency from I² (percent) and the heterogeneity test's p.

    -1 when I² >= ``serious_i2`` and p < ``p_threshold``; -2 when I² >= ``very_serious_i2`` and
    p < ``p_threshold``. The defaults are the Cochrane Handbook's "substantial" (50-90%) and
    "considerable" (75-100%) heterogeneity and its χ² threshold of 0.10 (GRADE Handbook 5.2,
    inconsistency; GRADE guidelines 7); a single study cannot show inconsistency.
    """
    if k < 2 or i2 is None or q_p is None or not math.isfinite(i2) or not math.isfinite(q_p):
        return Rating("inconsistency", 0, "single study: inconsistency cannot be judged" if k < 2
                      else "no heterogeneity statistics: inconsistency not judged from numbers")
    if not 0 <= i2 <= 100 or not 0 <= q_p <= 1:
        raise DomainError(f"I² must be a percentage in [0, 100] and p in [0, 1] (got I² {i2}, p {q_p})")
    text = f"I² = {i2:.0f}%, heterogeneity p = {q_p:.2f}"
    if q_p < p_threshold and i2 >= very_serious_i2:
        return Rating("inconsistency", -2, f"{text} (considerable heterogeneity)")
    if q_p < p_threshold and i2 >= serious_i2:
        return Rating("inconsistency", -1, f"{text} (substantial heterogeneity)")
    return Rating("inconsistency", 0, text)


def suggest_imprecision(
    participants: int,
    ci_low: float | None,
    ci_high: float | None,
    *,
    null_value: float = 0.0,
    optimal_information_size: int = DEFAULT_OPTIMAL_INFORMATION_SIZE,
) -> Rating:
    """Suggest a downgrade for imprecision (GRADE Handbook 5.2, imprecision; GRADE guidelines 6).

    -1 when fewer participants than the optimal information size (OIS) were analysed, and -1
    when the confidence interval includes no effect (``null_value``: 0 for differences, 1 for
    ratios on their own scale); -2 when both. Compute the OIS for the outcome with
    ``optimal_information_size_binary`` or ``_continuous``.
    """
    if participants < 0 or optimal_information_size <= 0:
        raise DomainError(f"participants must be >= 0 and the optimal information size > 0 "
                          f"(got {participants} and {optimal_information_size})")
    reasons, change = [], 0
    if participants < optimal_information_size:
        change -= 1
        reasons.append(f"{participants} participants, fewer than the optimal information size "
                       f"{optimal_information_size}")
    else:
        reasons.append(f"{participants} participants, at least the optimal information size "
                       f"{optimal_information_size}")
    if ci_low is None or ci_high is None or not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        reasons.append("no confidence interval to judge")
    elif ci_low > ci_high:
        raise DomainError(f"confidence interval limits are reversed ({ci_low} > {ci_high}); swap them")
    elif ci_low <= null_value <= ci_high:
        change -= 1
        reasons.append(f"the confidence interval ({ci_low:g} to {ci_high:g}) includes no effect "
                       f"({null_value:g})")
    else:
        reasons.append(f"the confidence interval ({ci_low:g} to {ci_high:g}) excludes no effect")
    return Rating("imprecision", change, "; ".join(reasons))


def suggest_publication_bias(k: int) -> Rating:
    """No suggestion from fewer than 10 studies: small-study tests then have too little power
    (Cochrane Handbook 5.1, 10.4.3.1); from 10 on the reviewer reads the funnel plot and the test."""
    if k < 10:
        return Rating("publication_bias", 0, f"not assessable with {k} studies (tests need about 10)")
    return Rating("publication_bias", 0, "assess with a funnel plot and a small-study test")


def suggest_large_effect(ratio: float, *, design: Design = "observational") -> Rating:
    """Suggest rating up observational evidence for a large effect (GRADE guidelines 9, Guyatt et
    al. J Clin Epidemiol 2011;64:1311): +1 when the RR or OR is > 2 or < 0.5, +2 when > 5 or < 0.2,
    provided the reviewer finds no plausible confounders. Randomised evidence is not rated up."""
    if not ratio > 0:
        raise DomainError(f"a large effect needs a ratio > 0 (got {ratio}); give the RR or OR, not its log")
    if design == "randomised":
        return Rating("large_effect", 0, "randomised evidence is not rated up")
    if ratio > 5 or ratio < 0.2:
        return Rating("large_effect", 2, f"very large effect (ratio {ratio:g}, beyond 5 or 0.2)")
    if ratio > 2 or ratio < 0.5:
        return Rating("large_effect", 1, f"large effect (ratio {ratio:g}, beyond 2 or 0.5)")
    return Rating("large_effect", 0, f"ratio {ratio:g} is within 0.5 to 2")


def optimal_information_size_binary(
    control_risk: float, relative_risk_reduction: float = 0.25, *, alpha: float = 0.05, power: float = 0.80
) -> int:
    """The participants (both groups) a single trial needs to detect ``relative_risk_reduction``
    from ``control_risk`` (GRADE guidelines 6): per group
    ``(z₁₋α/₂ + z_power)² (p₁(1 − p₁) + p₂(1 − p₂)) / (p₁ − p₂)²`` with ``p₂ = p₁(1 − RRR)``."""
    if not 0 < control_risk < 1 or not 0 < relative_risk_reduction < 1:
        raise DomainError(f"control risk and relative risk reduction must lie in (0, 1) "
                          f"(got {control_risk} and {relative_risk_reduction})")
    p1, p2 = control_risk, control_risk * (1 - relative_risk_reduction)
    z = float(norm.ppf(1 - alpha / 2) + norm.ppf(power))
    return 2 * math.ceil(z**2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p1 - p2) ** 2)


def optimal_information_size_continuous(smd: float = 0.2, *, alpha: float = 0.05, power: float = 0.80) -> int:
    """The participants (both groups) a single trial needs to detect a standardised difference
    ``smd``: per group ``2 (z₁₋α/₂ + z_power)² / smd²`` (393 per group for 0.2 SD)."""
    if not smd > 0:
        raise DomainError(f"the standardised difference must be > 0 (got {smd})")
    z = float(norm.ppf(1 - alpha / 2) + norm.ppf(power))
    return 2 * math.ceil(2 * z**2 / smd**2)


# Absolute effects and the Summary of Findings row.

def corresponding_risk(assumed_risk: float, ratio: float, *, measure: str) -> float:
    """The intervention-group risk from an assumed control-group risk (ACR) and a ratio:
    RR → RR·ACR; OR → OR·ACR / (1 − ACR + OR·ACR) (Cochrane Handbook 15.4.4)."""
    if not 0 <= assumed_risk <= 1:
        raise DomainError(f"assumed control-group risk must lie in [0, 1] (got {assumed_risk}); "
                          "give a proportion, e.g. 0.2 for 200 per 1000")
    if not ratio > 0:
        raise DomainError(f"{measure} must be > 0 (got {ratio}); give the ratio, not its log")
    if measure == "RR":
        risk = ratio * assumed_risk
        if risk > 1:
            raise DomainError(f"RR {ratio:g} with an assumed risk of {assumed_risk:g} gives a risk of "
                              f"{risk:g} > 1; no RR this large holds at this baseline risk (use the OR)")
        return risk
    if measure == "OR":
        return ratio * assumed_risk / (1 - assumed_risk + ratio * assumed_risk)
    raise DomainError(f"a corresponding risk needs an RR or OR (got {measure!r})")


@dataclass(frozen=True)
class RelativeEffect(_Plain):
    """A pooled risk ratio or odds ratio with its confidence interval (on the ratio scale)."""

    measure: RatioMeasure
    estimate: float
    ci_low: float
    ci_high: float

    def __post_init__(self) -> None:
        if self.measure not in ("RR", "OR"):
            raise DomainError(f"relative effect measure must be RR or OR (got {self.measure!r})")
        if not 0 < self.ci_low <= self.estimate <= self.ci_high:
            raise DomainError(f"{self.measure} {self.estimate} ({self.ci_low} to {self.ci_high}) must "
                              "satisfy 0 < lower <= estimate <= upper; give ratios, not logs")

    def __str__(self) -> str:
        return f"{self.measure} {self.estimate:.2f} ({self.ci_low:.2f} to {self.ci_high:.2f})"


def _per_1000(x: float) -> str:
    return f"{round(x * 1000):d}"


def _difference(d: float) -> str:
    """A risk difference per 1000 in words, as GRADEpro prints it ("23 fewer", "179 more")."""
    n = abs(round(d * 1000))
    return f"{n} {'more' if d > 0 else 'fewer'}"


@dataclass(frozen=True)
class AbsoluteEffect(_Plain):
    """Assumed and corresponding risks (proportions) with the corresponding risk's CI.

    The CI comes from applying the formula to the ratio's CI limits (the formula is increasing
    in the ratio). ``difference`` is corresponding minus assumed.
    """

    assumed_risk: float
    corresponding_risk: float
    corresponding_low: float
    corresponding_high: float
    difference: float = field(init=False)
    difference_low: float = field(init=False)
    difference_high: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "difference", self.corresponding_risk - self.assumed_risk)
        object.__setattr__(self, "difference_low", self.corresponding_low - self.assumed_risk)
        object.__setattr__(self, "difference_high", self.corresponding_high - self.assumed_risk)

    def __str__(self) -> str:
        return (f"{_per_1000(self.assumed_risk)} per 1000 → {_per_1000(self.corresponding_risk)} per 1000 "
                f"({_per_1000(self.corresponding_low)} to {_per_1000(self.corresponding_high)}); "
                f"{_difference(self.difference)} per 1000 (from {_difference(self.difference_low)} to "
                f"{_difference(self.difference_high)})")


def absolute_effect(effect: RelativeEffect, assumed_risk: float) -> AbsoluteEffect:
    """The absolute effect of ``effect`` at an assumed control-group risk (a proportion)."""
    def at(ratio: float) -> float:
        return corresponding_risk(assumed_risk, ratio, measure=effect.measure)

    return AbsoluteEffect(assumed_risk, at(effect.estimate), at(effect.ci_low), at(effect.ci_high))


@dataclass(frozen=True)
class SummaryOfFindingsRow(_Plain):
    """One outcome of a Summary of Findings table (Cochrane Handbook v6, chapter 14; GRADEpro layout).

    ``absolute`` holds one entry per assumed control-group risk (e.g. a low- and a high-risk
    population), computed from ``relative``. For continuous outcomes leave ``relative`` empty
    and describe the effect in ``comments``.
    """

    outcome: str
    participants: int
    studies: int
    certainty: Certainty
    relative: RelativeEffect | None = None
    absolute: tuple[AbsoluteEffect, ...] = ()
    comments: str = ""

    def __post_init__(self) -> None:
        if not self.outcome.strip():
            raise DomainError("a Summary of Findings row needs the outcome's name")
        if self.participants < 0 or self.studies < 1:
            raise DomainError(f"{self.outcome}: participants must be >= 0 and studies >= 1 "
                              f"(got {self.participants} and {self.studies})")

    def cells(self) -> dict[str, str]:
        """The row as the table prints it (risks per 1000, rounded as GRADEpro rounds them)."""
        certainty = f"{LEVEL_SYMBOLS[self.certainty.level]} {self.certainty.level}"
        if self.certainty.reasons:
            certainty += f" ({'; '.join(self.certainty.reasons)})"
        return {
            "outcome": self.outcome,
            "participants (studies)": f"{self.participants} ({self.studies} "
                                      f"{'study' if self.studies == 1 else 'studies'})",
            "certainty": certainty,
            "relative effect (95% CI)": str(self.relative) if self.relative else "—",
            "assumed risk": "; ".join(f"{_per_1000(a.assumed_risk)} per 1000" for a in self.absolute) or "—",
            "corresponding risk": "; ".join(
                f"{_per_1000(a.corresponding_risk)} per 1000 ({_per_1000(a.corresponding_low)} to "
                f"{_per_1000(a.corresponding_high)})" for a in self.absolute) or "—",
            "risk difference": "; ".join(
                f"{_difference(a.difference)} per 1000 (from {_difference(a.difference_low)} to "
                f"{_difference(a.difference_high)})" for a in self.absolute) or "—",
            "comments": self.comments,
        }


def sof_row(
    outcome: str,
    *,
    participants: int,
    studies: int,
    certainty: Certainty,
    relative: RelativeEffect | None = None,
    assumed_risks: tuple[float, ...] = (),
    comments: str = "",
) -> SummaryOfFindingsRow:
    """A Summary of Findings row, computing the absolute effects at each assumed risk."""
    if assumed_risks and relative is None:
        raise DomainError(f"{outcome}: assumed risks need a relative effect (RR or OR) to apply to")
    absolute = tuple(absolute_effect(relative, r) for r in assumed_risks) if relative else ()
    return SummaryOfFindingsRow(outcome, participants, studies, certainty, relative, absolute, comments)
