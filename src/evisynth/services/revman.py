"""Re-analyse every outcome of a RevMan 5 file and set each statistic beside RevMan's own."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evisynth.analysis.pooling import pool
from evisynth.core.errors import InputError
from evisynth.core.results import Estimate, PoolResult
from evisynth.io.revman import Outcome, Rm5Review, StoredStats, log_scale, pool_arguments, read_rm5

#: RevMan stores doubles computed with the same closed forms as the revman5 preset, so the
#: agreement is at rounding level; 1e-7 relative leaves room for a different summation order.
RELATIVE_TOLERANCE = 1e-7
ABSOLUTE_TOLERANCE = 1e-9
#: RevMan's p values come from its own approximations of the normal and chi-square tails, which
#: agree with exact tail areas (scipy) to about six significant digits.
P_VALUE_RELATIVE_TOLERANCE = 1e-5
P_VALUE_ABSOLUTE_TOLERANCE = 1e-7
P_VALUES = ("p_z", "p_chi2", "p_q")


@dataclass(frozen=True)
class StatCheck:
    """One statistic: where it belongs, RevMan's value, ours, and whether they agree."""

    scope: str  # "overall", "subgroup NAME", "study NAME", "subgroup differences"
    statistic: str
    revman: float
    evisynth: float | None

    @property
    def agrees(self) -> bool:
        if self.evisynth is None or not math.isfinite(self.evisynth):
            return False
        if self.statistic in P_VALUES:
            return math.isclose(self.evisynth, self.revman, rel_tol=P_VALUE_RELATIVE_TOLERANCE,
                                abs_tol=P_VALUE_ABSOLUTE_TOLERANCE)
        return math.isclose(self.evisynth, self.revman, rel_tol=RELATIVE_TOLERANCE,
                            abs_tol=ABSOLUTE_TOLERANCE)

    def to_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "statistic": self.statistic, "revman": self.revman,
                "evisynth": self.evisynth, "agrees": self.agrees}


@dataclass(frozen=True)
class OutcomeCheck:
    outcome: Outcome
    checks: tuple[StatCheck, ...]
    skipped: str = ""

    @property
    def agrees(self) -> bool:
        return all(c.agrees for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        o = self.outcome
        return {"id": o.id, "comparison": o.comparison, "name": o.name, "kind": o.kind,
                "measure": o.measure, "method": o.method, "random": o.random,
                "totals": o.totals, "skipped": self.skipped,
                "checks": [c.to_dict() for c in self.checks]}


def _pairs(scope: str, stored: StoredStats, ours: Estimate, *, log: bool, random: bool,
           single_study_noise: bool) -> list[StatCheck]:
    show = math.exp if log else (lambda x: x)
    pairs: list[tuple[str, float | None, float | None]] = [
        ("effect", stored.effect, show(ours.estimate)),
        ("ci_low", stored.ci_low, show(ours.ci_low)),
        ("ci_high", stored.ci_high, show(ours.ci_high)),
        ("z", stored.z, abs(ours.estimate / ours.se) if ours.se > 0 else None),
        ("p_z", stored.p_z, ours.p),
    ]
    if ours.k > 1:
        pairs += [("chi2", stored.chi2, ours.q), ("df", stored.df, float(ours.q_df)),
                  ("p_chi2", stored.p_chi2, ours.q_p)]
        if not single_study_noise:
            pairs.append(("i2", stored.i2, ours.i2))
        if random:
            pairs.append(("tau2", stored.tau2, ours.tau2))
    return [StatCheck(scope, name, rv, ev) for name, rv, ev in pairs if rv is not None]


def check_outcome(outcome: Outcome) -> OutcomeCheck:
    """Re-run one outcome with ``preset="revman5"`` and pair every stored statistic with ours."""
    rows, kwargs, used = pool_arguments(outcome)
    if not rows:
        return OutcomeCheck(outcome, (), "no usable study data")
    frame = pd.DataFrame(rows)
    by = "subgroup" if outcome.has_subgroups and frame["subgroup"].ne("").any() else None
    try:
        result: PoolResult = pool(frame, by=by, **kwargs)
    except InputError as exc:
        if "no study can be analysed" in str(exc):
            return OutcomeCheck(outcome, (), "no estimable study")
        raise
    log = log_scale(outcome)
    checks: list[StatCheck] = []
    if outcome.totals != "SUB" and outcome.stats.estimable and result.overall is not None:
        checks += _pairs("overall", outcome.stats, result.overall, log=log, random=outcome.random,
                         single_study_noise=result.overall.k == 1)
    if result.subgroups:
        for sub in outcome.subgroups:
            ours = result.subgroups.get(sub.id)
            if ours is not None and sub.stats.estimable:
                checks += _pairs(f"subgroup {sub.name}", sub.stats, ours, log=log,
                                 random=outcome.random, single_study_noise=ours.k == 1)
        test = result.subgroup_test
        if (test is not None and outcome.stats.q is not None and outcome.totals != "SUB"
                and outcome.subgroup_test):
            checks += [StatCheck("subgroup differences", "q", outcome.stats.q, test.q),
                       StatCheck("subgroup differences", "i2_q", outcome.stats.i2_q or 0.0, test.i2)]
            if outcome.stats.p_q is not None:
                checks.append(StatCheck("subgroup differences", "p_q", outcome.stats.p_q, test.p))
    for r, s in zip(used, result.studies, strict=True):
        if r.stored.estimable and r.stored.effect is not None and math.isfinite(s.yi):
            checks.append(StatCheck(f"study {s.study}", "effect", r.stored.effect,
                                    math.exp(s.yi) if log else s.yi))
    return OutcomeCheck(outcome, tuple(checks))


def reanalyse_rm5(path: str | Path) -> tuple[Rm5Review, tuple[OutcomeCheck, ...]]:
    """Every outcome of the file re-analysed beside RevMan's stored numbers."""
    review = read_rm5(path)
    return review, tuple(check_outcome(o) for o in review.outcomes)
