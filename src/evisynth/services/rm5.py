"""Redo every analysis of a RevMan 5 review with ``evisynth.pool`` and pair each number with RevMan's.

:func:`reanalyse_rm5` reads the ``.rm5`` file, pools each outcome with ``preset="revman5"``
and the outcome's own settings (measure, MH/IV/Peto, fixed/random, subgroups, CI level), and
returns one :class:`OutcomeCheck` per outcome: every statistic RevMan stored (pooled effect
and CI, Z and its p, Chi², df, its p, I², Tau², the test for subgroup differences, and per
study the effect, CI, SE, weight and whether it was estimable) beside evisynth's.

Scales: effects and CIs are compared on RevMan's display scale (ratios for RR, OR and IV
outcomes with log data, as RevMan stores them in EFFECT_SIZE); SEs on the analysis scale;
Z as |estimate|/SE (RevMan stores its absolute value); weights and I² in percent.

What is left out, and why (each case is counted in ``OutcomeCheck.skipped``):

- TOTALS="NO": RevMan pools nothing, so only the per-study effects are compared.
- TOTALS="SUB": RevMan shows no overall result; the overall numbers it still writes are
  compared (scope ``overall``) but study weights are those within each subgroup.
- I² where df = 0 (one estimable study): RevMan computes (Q - df)/Q from a Q that is
  rounding noise (1e-32 gives I² = 100 %); there is no heterogeneity to compare.
- Tau² of fixed-effect analyses (both sides report 0; it says nothing).
- Per-study effects, CIs and SEs of rows RevMan marks ESTIMABLE="NO" (it stores zeros);
  their ``estimable`` flag is compared instead.
- Values RevMan left empty or NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scipy.stats import norm

from evisynth.analysis import pool
from evisynth.core.errors import ConvergenceError, InputError
from evisynth.core.results import Estimate, PoolResult
from evisynth.io.rm5 import (
    Rm5Outcome,
    Rm5Pooled,
    Rm5Review,
    Rm5UnsupportedOutcome,
    is_ratio,
    outcome_frame,
    pool_arguments,
    read_rm5,
    rows_with_data,
    study_labels,
    subgroup_labels,
)


@dataclass(frozen=True)
class StatisticCheck:
    """One statistic: RevMan's stored value beside evisynth's.

    ``scope``: "overall", "subgroup", "subgroup test" or "study"; ``name``: the subgroup or
    study label ("" for the overall analysis and the subgroup test).
    """

    scope: str
    name: str
    statistic: str
    revman: float | None
    evisynth: float | None

    @property
    def difference(self) -> float | None:
        """evisynth - RevMan (None when either is missing)."""
        if self.revman is None or self.evisynth is None:
            return None
        if self.revman == self.evisynth:
            return 0.0
        return self.evisynth - self.revman

    def agrees(self, *, rel_tol: float, abs_tol: float) -> bool:
        """Both present and within ``rel_tol`` (relative) or ``abs_tol`` (absolute) of each other."""
        if self.revman is None or self.evisynth is None:
            return False
        return math.isclose(self.evisynth, self.revman, rel_tol=rel_tol, abs_tol=abs_tol)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "name": self.name,
            "statistic": self.statistic,
            "revman": _finite(self.revman),
            "evisynth": _finite(self.evisynth),
            "difference": _finite(self.difference),
        }


@dataclass(frozen=True)
class OutcomeCheck:
    """One outcome of the review re-analysed.

    ``status``: "checked" (pooled and compared), "not estimable" (no study could be
    analysed, on either side: only the estimable flags are compared), "no data" (no data
    row), "unsupported" (an outcome kind evisynth does not read) or "failed" (``pool``
    refused the data; ``message`` says why). ``analysis``: the ``evisynth.pool`` keyword
    arguments used. ``skipped``: what was not compared and why (see the module docstring).
    """

    file: str
    comparison: str
    outcome_id: str
    label: str
    kind: str
    effect_measure: str
    method: str
    model: str
    totals: str
    status: str
    message: str
    analysis: dict[str, Any]
    statistics: tuple[StatisticCheck, ...]
    skipped: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "comparison": self.comparison,
            "outcome_id": self.outcome_id,
            "label": self.label,
            "kind": self.kind,
            "effect_measure": self.effect_measure,
            "method": self.method,
            "model": self.model,
            "totals": self.totals,
            "status": self.status,
            "message": self.message,
            "analysis": dict(self.analysis),
            "statistics": [s.to_dict() for s in self.statistics],
            "skipped": dict(self.skipped),
        }


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


class _Pairs:
    """Collects the pairs of one outcome and counts what is skipped."""

    def __init__(self) -> None:
        self.items: list[StatisticCheck] = []
        self.skipped: dict[str, int] = {}

    def add(self, scope: str, name: str, statistic: str, revman: float | None,
            ours: float | None) -> None:
        if revman is None:
            self.skip("not stored by RevMan")
            return
        self.items.append(StatisticCheck(scope, name, statistic, revman, ours))

    def skip(self, why: str, n: int = 1) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + n


def _display(x: float, ratio: bool) -> float:
    return math.exp(x) if ratio else x


def _pooled_pairs(pairs: _Pairs, scope: str, name: str, stored: Rm5Pooled, ours: Estimate,
                  *, ratio: bool, random: bool, heterogeneity_only: bool = False) -> None:
    if heterogeneity_only:
        pairs.skip("hidden overall effect, CI, Z and P of a TOTALS=SUB outcome", 5)
    else:
        pairs.add(scope, name, "effect", stored.effect_size, _display(ours.estimate, ratio))
        pairs.add(scope, name, "ci_low", stored.ci_start, _display(ours.ci_low, ratio))
        pairs.add(scope, name, "ci_high", stored.ci_end, _display(ours.ci_high, ratio))
        z = abs(ours.estimate) / ours.se if ours.se > 0 else math.nan
        pairs.add(scope, name, "z", stored.z, z)
        pairs.add(scope, name, "p_z", stored.p_z, ours.p)
    pairs.add(scope, name, "chi2", stored.chi2, ours.q)
    pairs.add(scope, name, "df", stored.df, float(ours.q_df))
    if ours.q_df > 0:
        pairs.add(scope, name, "p_chi2", stored.p_chi2, ours.q_p)
        pairs.add(scope, name, "i2", stored.i2, ours.i2)
    else:
        pairs.skip("I² and its p with df = 0 (one study)", 2)
    if random:
        pairs.add(scope, name, "tau2", stored.tau2, ours.tau2)
    else:
        pairs.skip("Tau² of a fixed-effect analysis")


def _pools_anything(outcome: Rm5Outcome) -> bool:
    """RevMan pools when TOTALS="YES", or "SUB" with subgroups (each subgroup pooled)."""
    return outcome.totals == "YES" or (outcome.totals == "SUB" and bool(outcome.subgroups))


def _study_weights(outcome: Rm5Outcome, result: PoolResult, frame: Any,
                   args: dict[str, Any]) -> dict[str, float]:
    """Each study's weight in percent as RevMan stores it: in the overall analysis when
    TOTALS="YES", within its subgroup when TOTALS="SUB"."""
    if outcome.totals == "YES" or not outcome.subgroups:
        return {s.study: s.weight for s in result.studies}
    weights: dict[str, float] = {}
    within = {k: v for k, v in args.items() if k != "by"}
    for label in subgroup_labels(outcome):
        part = frame[frame["subgroup"] == label]
        if len(part) == 0:
            continue
        try:
            sub = pool(part.drop(columns="subgroup"), **within)
        except InputError:
            continue
        weights.update({s.study: s.weight for s in sub.studies})
    return weights


def _study_pairs(pairs: _Pairs, outcome: Rm5Outcome, result: PoolResult | None,
                 weights: dict[str, float]) -> None:
    ratio = is_ratio(outcome)
    z = float(norm.ppf(1 - (1 - outcome.ci_study / 100) / 2))
    ours = {s.study: s for s in result.studies} if result is not None else {}
    for row, label, has_data in zip(outcome.rows, study_labels(outcome), rows_with_data(outcome),
                                    strict=True):
        stored = row.stored
        mine = ours.get(label)
        estimable = mine is not None and math.isfinite(mine.yi)
        pairs.add("study", label, "estimable", 1.0 if stored.estimable else 0.0,
                  1.0 if estimable else 0.0)
        if not has_data:
            pairs.skip("study without data (an arm with no participants)")
            continue
        if not stored.estimable or not estimable or mine is None:
            pairs.skip("effect, CI and SE of a study not estimable", 3)
            continue
        se = math.sqrt(mine.vi)
        pairs.add("study", label, "effect", stored.effect_size, _display(mine.yi, ratio))
        pairs.add("study", label, "ci_low", stored.ci_start, _display(mine.yi - z * se, ratio))
        pairs.add("study", label, "ci_high", stored.ci_end, _display(mine.yi + z * se, ratio))
        pairs.add("study", label, "se", stored.se, se)
        if not _pools_anything(outcome):
            pairs.skip("study weight when RevMan pools nothing (TOTALS=NO, or SUB without subgroups)")
        else:
            pairs.add("study", label, "weight", stored.weight, weights.get(label))


def _header(review: Rm5Review, outcome: Rm5Outcome, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "file": review.path.name,
        "comparison": f"{outcome.comparison_number} {outcome.comparison_name}",
        "outcome_id": outcome.id,
        "label": outcome.label,
        "kind": outcome.kind,
        "effect_measure": outcome.effect_measure,
        "method": outcome.method,
        "model": "random" if outcome.random else "fixed",
        "totals": outcome.totals,
        "analysis": args,
    }


def check_outcome(review: Rm5Review, outcome: Rm5Outcome) -> OutcomeCheck:
    """Re-analyse one outcome of ``review`` and pair every stored statistic with ours."""
    args = pool_arguments(outcome)
    header = _header(review, outcome, args)
    pairs = _Pairs()
    frame = outcome_frame(outcome)
    if len(frame) == 0:
        if outcome.totals == "YES":
            pairs.add("overall", "", "estimable", 1.0 if outcome.stats.estimable else 0.0, 0.0)
        return OutcomeCheck(**header, status="no data", message="the outcome has no data rows",
                            statistics=tuple(pairs.items), skipped=pairs.skipped)
    try:
        result = pool(frame, **args)
    except InputError as exc:
        if "no study can be analysed" not in str(exc):
            return OutcomeCheck(**header, status="failed", message=str(exc),
                                statistics=tuple(pairs.items), skipped=pairs.skipped)
        _study_pairs(pairs, outcome, None, {})
        if outcome.totals == "YES":
            pairs.add("overall", "", "estimable", 1.0 if outcome.stats.estimable else 0.0, 0.0)
        return OutcomeCheck(**header, status="not estimable", message=str(exc),
                            statistics=tuple(pairs.items), skipped=pairs.skipped)
    except ConvergenceError as exc:
        return OutcomeCheck(**header, status="failed", message=str(exc),
                            statistics=tuple(pairs.items), skipped=pairs.skipped)

    ratio = is_ratio(outcome)
    random = result.model == "random"
    pools = _pools_anything(outcome)
    if not pools:
        pairs.skip("pooled statistics when RevMan pools nothing (TOTALS=NO, or SUB without subgroups)")
    elif result.overall is not None:
        if outcome.totals == "YES":
            pairs.add("overall", "", "estimable", 1.0 if outcome.stats.estimable else 0.0, 1.0)
        _pooled_pairs(pairs, "overall", "", outcome.stats, result.overall, ratio=ratio,
                      random=random, heterogeneity_only=outcome.totals == "SUB")
    if pools and result.subgroups is not None:
        for sub, label in zip(outcome.subgroups, subgroup_labels(outcome), strict=True):
            ours = result.subgroups.get(label)
            if ours is None:
                pairs.skip("subgroup with no estimable study")
                continue
            _pooled_pairs(pairs, "subgroup", label, sub.stats, ours, ratio=ratio, random=random)
        test = result.subgroup_test
        if test is not None:
            stored = outcome.subgroup_test
            pairs.add("subgroup test", "", "q", stored.q, test.q)
            pairs.add("subgroup test", "", "p", stored.p, test.p)
            pairs.add("subgroup test", "", "i2", stored.i2, test.i2)
        else:
            pairs.skip("subgroup test with fewer than 2 estimable subgroups")
    weights = _study_weights(outcome, result, frame, args)
    _study_pairs(pairs, outcome, result, weights)
    return OutcomeCheck(**header, status="checked", message="; ".join(result.warnings),
                        statistics=tuple(pairs.items), skipped=pairs.skipped)


def _unsupported(review: Rm5Review, u: Rm5UnsupportedOutcome) -> OutcomeCheck:
    comparison = next(c for c in review.comparisons if c.id == u.comparison_id)
    return OutcomeCheck(
        file=review.path.name,
        comparison=f"{comparison.number} {comparison.name}",
        outcome_id=u.id,
        label=f"{u.comparison_number}.{u.number if u.number is not None else '?'} {u.name}",
        kind=u.kind,
        effect_measure="",
        method="",
        model="",
        totals="",
        status="unsupported",
        message=u.reason,
        analysis={},
        statistics=(),
    )


def reanalyse_review(review: Rm5Review) -> list[OutcomeCheck]:
    """Every outcome of an already read review, in file order (unsupported kinds last)."""
    checks = [check_outcome(review, outcome) for outcome in review.outcomes]
    checks += [_unsupported(review, u) for u in review.unsupported]
    return checks


def reanalyse_rm5(path: str | Path) -> list[OutcomeCheck]:
    """Read the RevMan 5 review at ``path`` and re-analyse every outcome (see the module doc)."""
    return reanalyse_review(read_rm5(path))
