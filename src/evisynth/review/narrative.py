"""Synthesis without meta-analysis (SWiM): effect direction per study and vote counting.

Campbell M, McKenzie JE, Sowden A, et al. Synthesis without meta-analysis (SWiM) in systematic
reviews: reporting guideline. BMJ 2020;368:l6890. McKenzie JE, Brennan SE. Cochrane Handbook v6,
12.2.2.5: vote counting based on the direction of effect — each study counts once, as benefit or
harm whatever its statistical significance; the two-sided sign test (binomial test of the count
of benefit against 0.5) asks whether there is any evidence of an effect, and the proportion of
studies showing benefit is given with a confidence interval (Wilson).

The effect direction plot (Thomson HJ, Thomas S. Res Synth Methods 2013;4:95-101; revised without
statistical significance by Boon MH, Thomson H. Res Synth Methods 2021;12:29-33): ▲ benefit,
▼ harm, ◆ no change, ◄► conflicting. Where a study reports several outcomes within one outcome
domain, the domain takes the direction shared by at least 70% of them, otherwise conflicting
(``combine_directions``). Outcomes without a better direction show ↑/↓ and are not voted on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from scipy.stats import binomtest

from evisynth.review.errors import DomainError
from evisynth.review.model import ExtractedValue, Outcome, Review, Study, _Plain

Direction = Literal["benefit", "harm", "no_change", "conflicting", "increase", "decrease", "not_assessable"]
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)
SYMBOLS = {"benefit": "▲", "harm": "▼", "no_change": "◆", "conflicting": "◄►", "increase": "↑",
           "decrease": "↓", "not_assessable": "—"}
LEGEND = "▲ benefit  ▼ harm  ◆ no change  ◄► conflicting  ↑/↓ no better direction defined  — not assessable"
#: Thomson & Thomas 2013, kept by Boon & Thomson 2021: the share of a study's outcomes within a
#: domain that must agree for the domain to take their direction.
DEFAULT_AGREEMENT = 0.7


@dataclass(frozen=True)
class EffectDirection(_Plain):
    """The direction of the intervention's effect on one outcome in one study, and its basis
    (the numbers or the report's words it was read from)."""

    study: str
    outcome: str
    direction: Direction
    basis: str

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise DomainError(f"effect direction for {self.study}, {self.outcome} must be one of "
                              f"{', '.join(DIRECTIONS)} (got {self.direction!r})")
        if not self.basis.strip():
            raise DomainError(f"effect direction for {self.study}, {self.outcome} needs its basis: the "
                              "numbers or the report's words it was read from")


@dataclass(frozen=True)
class VoteCount(_Plain):
    """Vote count by direction of effect for one outcome, with the sign test.

    Only benefit and harm enter the sign test and the proportion; studies with no change,
    conflicting results, or no better direction defined are counted but not tested.
    ``proportion_benefit`` is benefit / (benefit + harm) with its Wilson interval.
    """

    outcome: str
    benefit: int
    harm: int
    no_change: int
    conflicting: int = 0
    confidence: float = 0.95
    p: float | None = field(init=False)
    proportion_benefit: float | None = field(init=False)
    ci_low: float | None = field(init=False)
    ci_high: float | None = field(init=False)

    def __post_init__(self) -> None:
        if not 0 < self.confidence < 1:
            raise DomainError(f"confidence must lie in (0, 1) (got {self.confidence})")
        n = self.benefit + self.harm
        object.__setattr__(self, "p", sign_test(self.benefit, self.harm))
        proportion = ci_low = ci_high = None
        if n:
            ci = binomtest(self.benefit, n, 0.5).proportion_ci(self.confidence, method="wilson")
            proportion, ci_low, ci_high = self.benefit / n, float(ci.low), float(ci.high)
        object.__setattr__(self, "proportion_benefit", proportion)
        object.__setattr__(self, "ci_low", ci_low)
        object.__setattr__(self, "ci_high", ci_high)

    def __str__(self) -> str:
        n = self.benefit + self.harm
        text = (f"Vote count by direction of effect: {self.outcome}\n"
                f"  {self.benefit} of {n} studies with a direction favour the intervention ({self.harm} "
                f"harm); not tested: {self.no_change} no change, {self.conflicting} conflicting")
        if self.p is None:
            return text + "\n  sign test: no study with a benefit or harm direction"
        p = "< .0001" if self.p < 1e-4 else f"= {self.p:.4f}"
        return (f"{text}\n  proportion favouring {self.proportion_benefit:.2f} ({self.confidence:.0%} CI "
                f"{self.ci_low:.2f} to {self.ci_high:.2f}, Wilson); two-sided sign test p {p}")


def sign_test(benefit: int, harm: int) -> float | None:
    """Two-sided sign test: the binomial probability of a split at least as uneven as
    ``benefit`` : ``harm`` when each study is equally likely to go either way; None without studies."""
    if benefit < 0 or harm < 0:
        raise DomainError(f"study counts must be >= 0 (got benefit {benefit}, harm {harm})")
    n = benefit + harm
    return float(binomtest(benefit, n, 0.5, alternative="two-sided").pvalue) if n else None


def direction_from_estimate(estimate: float, *, null_value: float = 0.0, higher_is_better: bool) -> Direction:
    """The direction of an effect estimate (intervention vs control) against ``null_value`` (0 for
    a difference, 1 for a ratio); statistical significance plays no part (Handbook 12.2.2.5)."""
    if not math.isfinite(estimate):
        raise DomainError(f"effect estimate must be a finite number (got {estimate})")
    if estimate == null_value:
        return "no_change"
    return "benefit" if (estimate > null_value) == higher_is_better else "harm"


def combine_directions(directions: Sequence[Direction], *, agreement: float = DEFAULT_AGREEMENT) -> Direction:
    """One direction for several outcomes of a study within one outcome domain: the direction
    shared by at least ``agreement`` of the assessable ones (70%, Thomson & Thomas 2013), else
    conflicting; not assessable when none is."""
    if not 0.5 < agreement <= 1:
        raise DomainError(f"agreement must be a share in (0.5, 1] (got {agreement})")
    for d in directions:
        if d not in DIRECTIONS:
            raise DomainError(f"direction must be one of {', '.join(DIRECTIONS)} (got {d!r})")
    assessable = [d for d in directions if d != "not_assessable"]
    if not assessable:
        return "not_assessable"
    for d in dict.fromkeys(assessable):
        if assessable.count(d) >= agreement * len(assessable):
            return d
    return "conflicting"


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


def vote_count(directions: Sequence[EffectDirection], outcome: str, *, confidence: float = 0.95) -> VoteCount:
    """Count the studies by direction for ``outcome`` and run the sign test on benefit vs harm.

    Each study counts once: two directions from one study for the same outcome are refused
    (combine them first with ``combine_directions``).
    """
    rows = [d for d in directions if d.outcome == outcome]
    seen: set[str] = set()
    for d in rows:
        if d.study in seen:
            raise DomainError(f"study {d.study!r} has more than one direction for {outcome!r}; a study "
                              "counts once: combine its results with combine_directions")
        seen.add(d.study)
    count = {k: sum(d.direction == k for d in rows) for k in DIRECTIONS}
    return VoteCount(outcome, count["benefit"], count["harm"], count["no_change"], count["conflicting"],
                     confidence)


@dataclass(frozen=True)
class EffectDirectionTable(_Plain):
    """Studies by outcomes: the direction in each cell that has one, and the vote count per outcome."""

    outcomes: tuple[str, ...]
    studies: tuple[str, ...]
    cells: dict[str, dict[str, EffectDirection]]
    votes: tuple[VoteCount, ...]

    def symbols(self) -> list[list[str]]:
        """One row per study: the symbol for each outcome, "" where the study has none."""
        return [[SYMBOLS[self.cells[s][o].direction] if o in self.cells[s] else "" for o in self.outcomes]
                for s in self.studies]

    def __str__(self) -> str:
        width = max(len(s) for s in (*self.studies, "Study"))
        lines = ["  ".join(["Study".ljust(width), *self.outcomes])]
        for study, row in zip(self.studies, self.symbols(), strict=True):
            cells = (sym.center(len(o)) for sym, o in zip(row, self.outcomes, strict=True))
            lines.append("  ".join([study.ljust(width), *cells]))
        for v in self.votes:
            p = "—" if v.p is None else f"{v.p:.4f}"
            lines.append(f"{v.outcome}: {v.benefit} benefit, {v.harm} harm, {v.no_change} no change, "
                         f"{v.conflicting} conflicting; sign test p = {p}")
        lines.append(LEGEND)
        return "\n".join(lines)


def effect_direction_table(directions: Sequence[EffectDirection]) -> EffectDirectionTable:
    """The effect direction table: studies and outcomes in order of first appearance, one cell
    per study and outcome, and the vote count for each outcome."""
    studies: dict[str, None] = {}
    outcomes: dict[str, None] = {}
    cells: dict[str, dict[str, EffectDirection]] = {}
    for d in directions:
        studies.setdefault(d.study)
        outcomes.setdefault(d.outcome)
        row = cells.setdefault(d.study, {})
        if d.outcome in row:
            raise DomainError(f"study {d.study!r} has more than one direction for {d.outcome!r}; "
                              "combine them with combine_directions")
        row[d.outcome] = d
    votes = tuple(vote_count(directions, o) for o in outcomes)
    return EffectDirectionTable(tuple(outcomes), tuple(studies), cells, votes)
