"""Synthesis without meta-analysis (SWiM): effect direction per study and vote counting.

Campbell M et al. Synthesis without meta-analysis (SWiM) in systematic reviews: reporting
guideline. BMJ 2020;368:l6890. Effect direction as in Thomson HJ, Thomas S. The effect
direction plot. Res Synth Methods 2013;4:95-101; vote counting by direction of effect with a
two-sided sign test (Cochrane Handbook 12.2.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scipy.stats import binomtest

from evisynth.review.model import ExtractedValue, Outcome, Review, Study, _Plain

Direction = Literal["benefit", "harm", "no_change", "increase", "decrease", "not_assessable"]
SYMBOLS = {"benefit": "▲", "harm": "▼", "no_change": "◆", "increase": "↑", "decrease": "↓",
           "not_assessable": "—"}


@dataclass(frozen=True)
class EffectDirection(_Plain):
    study: str
    outcome: str
    direction: Direction
    basis: str  # how the direction was read from the data


@dataclass(frozen=True)
class VoteCount(_Plain):
    """Studies favouring the intervention vs not, with the sign test's two-sided p."""

    outcome: str
    benefit: int
    harm: int
    no_change: int
    p: float | None


def _stat(values: list[ExtractedValue], arm: str, timepoint: str, statistic: str) -> float | None:
    for v in values:
        if (v.arm, v.timepoint, v.statistic) == (arm, timepoint, statistic):
            return v.value
    return None


def _arm_change(values: list[ExtractedValue], arm: str) -> tuple[float, str] | None:
    """Change in an arm: a reported mean change, else the last follow-up mean minus baseline."""
    for v in values:
        if v.arm == arm and v.statistic == "mean_change" and v.timepoint == "change":
            return v.value, "reported mean change"
    base = _stat(values, arm, "baseline", "mean")
    ends = sorted(v.timepoint for v in values
                  if v.arm == arm and v.statistic == "mean"
                  and not v.timepoint.startswith(("baseline", "change")))
    if base is None or not ends:
        return None
    end = _stat(values, arm, ends[-1], "mean")
    assert end is not None
    return end - base, f"{ends[-1]} mean {end:g} minus baseline {base:g}"


def _direction(delta: float, outcome: Outcome) -> Direction:
    if delta == 0:
        return "no_change"
    if outcome.lower_is_better is None:
        return "increase" if delta > 0 else "decrease"
    better = delta < 0 if outcome.lower_is_better else delta > 0
    return "benefit" if better else "harm"


def effect_direction(review: Review, study: Study, outcome: Outcome) -> EffectDirection:
    """The direction of the intervention's effect on ``outcome`` in ``study``.

    Two-arm studies: the experimental arm's change minus the control arm's. Single-arm
    studies: the change from baseline (a weaker basis, said so in ``basis``).
    """
    values = [v for v in review.values if v.study == study.id and v.outcome == outcome.id]
    experimental = [a for a in study.arms if a.role in ("experimental", "single")]
    control = [a for a in study.arms if a.role == "control"]
    if not values or not experimental:
        return EffectDirection(study.label, outcome.id, "not_assessable", "not reported")
    e = _arm_change(values, experimental[0].id)
    if e is None:
        return EffectDirection(study.label, outcome.id, "not_assessable",
                               "no before/after values for the intervention arm")
    if not control:
        return EffectDirection(study.label, outcome.id, _direction(e[0], outcome),
                               f"single arm, before/after: {e[1]}")
    c = _arm_change(values, control[0].id)
    if c is None:
        return EffectDirection(study.label, outcome.id, "not_assessable",
                               "no before/after values for the control arm")
    delta = e[0] - c[0]
    return EffectDirection(study.label, outcome.id, _direction(delta, outcome),
                           f"change {e[0]:+.4g} vs control {c[0]:+.4g} ({e[1]}; {c[1]})")


def vote_count(directions: list[EffectDirection], outcome: str) -> VoteCount:
    """Sign test on the studies with a benefit or harm direction (ties and unknowns excluded)."""
    rows = [d for d in directions if d.outcome == outcome]
    benefit = sum(d.direction == "benefit" for d in rows)
    harm = sum(d.direction == "harm" for d in rows)
    no_change = sum(d.direction == "no_change" for d in rows)
    n = benefit + harm
    p = float(binomtest(benefit, n, 0.5).pvalue) if n else None
    return VoteCount(outcome, benefit, harm, no_change, p)
