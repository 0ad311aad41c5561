"""Immutable results of a meta-analysis: typed fields, ``to_dict()`` for JSON, metafor-like print."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any


def _clean(value: Any) -> Any:
    """JSON-ready: NaN and infinities become None, tuples lists, nested results dicts."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (tuple, list)):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


class Serializable:
    """``to_dict()`` for frozen dataclasses: JSON-ready, nested results included."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _clean(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


def format_p(p: float | None) -> str:
    """p as metafor prints it: '<.0001' below 1e-4, else four decimals without the 0."""
    if p is None or not math.isfinite(p):
        return "NA"
    if p < 1e-4:
        return "<.0001"
    return f"{p:.4f}".lstrip("0")


def _num(x: float | None, digits: int = 4) -> str:
    return "NA" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


@dataclass(frozen=True)
class StudyRow(Serializable):
    """One study as analysed: estimate and variance on the analysis scale, weight in percent."""

    study: str
    yi: float
    vi: float
    weight: float
    note: str = ""


Interval = tuple[float, float]

#: The public scalars of an :class:`Estimate`, in the order ``to_dict`` writes them.
ESTIMATE_KEYS = (
    "k", "estimate", "se", "ci_low", "ci_high", "p", "tau2", "tau2_ci", "i2", "h2", "q",
    "q_df", "q_p", "pi_low", "pi_high",
)


@dataclass(frozen=True)
class Estimate(Serializable):
    """The scalar results of one pooled analysis (a whole analysis or a subgroup).

    ``tau2_ci`` (the Q-profile interval of tau², None for fixed effect or k = 1) may be
    given as a function, run on first access: like metafor, which leaves it to
    ``confint()``, a pool whose caller never reads it does not pay for the extra solve.
    """

    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    pi_low: float
    pi_high: float
    _tau2_ci: Interval | Callable[[], Interval | None] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def tau2_ci(self) -> Interval | None:
        value = self._tau2_ci
        if callable(value):
            value = value()
            object.__setattr__(self, "_tau2_ci", value)  # computed once, then kept
        return value

    def to_dict(self) -> dict[str, Any]:
        return {name: _clean(getattr(self, name)) for name in ESTIMATE_KEYS}


@dataclass(frozen=True)
class SubgroupTest(Serializable):
    """Test for subgroup differences: Q between subgroup estimates weighted by 1/SE²."""

    q: float
    df: int
    p: float
    i2: float


@dataclass(frozen=True)
class Coefficient(Serializable):
    estimate: float
    se: float
    p: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class MetaRegression(Serializable):
    coefficients: dict[str, Coefficient]
    qm: float
    qm_p: float
    qm_df: int
    tau2: float
    r2: float | None
    qe: float
    qe_p: float


@dataclass(frozen=True)
class SmallStudyTests(Serializable):
    """Egger {t, p}, Begg {tau, p}, trim-and-fill {k0, side, estimate, se}."""

    egger: dict[str, float]
    begg: dict[str, float]
    trimfill: dict[str, Any]


@dataclass(frozen=True)
class SensitivityRow(Serializable):
    """One row of a leave-one-out (``omitted``) or cumulative (``added``) analysis."""

    label: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float


@dataclass(frozen=True)
class AutoRule(Serializable):
    chose: str
    reason: str


@dataclass(frozen=True)
class PoolResult:
    """A meta-analysis. Estimates stay on the analysis scale (``scale``: 'log' for ratios)."""

    measure: str
    model: str
    method: str
    tau2_method: str | None
    level: float
    scale: str
    test: str
    overall: Estimate | None
    studies: tuple[StudyRow, ...]
    subgroups: dict[str, Estimate] | None = None
    subgroup_test: SubgroupTest | None = None
    metaregression: MetaRegression | None = None
    bias: SmallStudyTests | None = None
    leave_one_out: tuple[SensitivityRow, ...] | None = None
    cumulative: tuple[SensitivityRow, ...] | None = None
    auto_rule: AutoRule | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __getattr__(self, name: str) -> Any:
        overall = object.__getattribute__(self, "overall")
        if overall is not None and name in ESTIMATE_KEYS:
            return getattr(overall, name)
        raise AttributeError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the scalar keys of the overall analysis at the top level."""
        out: dict[str, Any] = {
            "measure": self.measure,
            "model": self.model,
            "method": self.method,
            "tau2_method": self.tau2_method,
            "level": self.level,
            "scale": self.scale,
            "test": self.test,
        }
        scalars = (self.overall.to_dict() if self.overall is not None
                   else dict.fromkeys(ESTIMATE_KEYS))
        out.update(scalars)
        out["studies"] = [s.to_dict() for s in self.studies]
        if self.subgroups is not None:
            out["subgroups"] = {name: e.to_dict() for name, e in self.subgroups.items()}
            out["subgroup_test"] = _clean(self.subgroup_test)
        if self.metaregression is not None:
            out["metaregression"] = self.metaregression.to_dict()
        if self.bias is not None:
            out["bias"] = self.bias.to_dict()
        if self.leave_one_out is not None:
            out["leave_one_out"] = [_rename(r.to_dict(), "omitted") for r in self.leave_one_out]
        if self.cumulative is not None:
            out["cumulative"] = [_rename(r.to_dict(), "added") for r in self.cumulative]
        if self.auto_rule is not None:
            out["auto_rule"] = self.auto_rule.to_dict()
        out["warnings"] = list(self.warnings)
        return out

    def __str__(self) -> str:
        return "\n".join(_render(self))


def _rename(row: dict[str, Any], key: str) -> dict[str, Any]:
    row[key] = row.pop("label")
    return {key: row[key], **{k: v for k, v in row.items() if k != key}}


def _heterogeneity_lines(e: Estimate, random: bool) -> list[str]:
    lines = []
    if random:
        ci = ""
        if e.tau2_ci is not None and all(math.isfinite(x) for x in e.tau2_ci):
            ci = f" [{_num(e.tau2_ci[0])}, {_num(e.tau2_ci[1])}]"
        lines += [
            f"tau^2 (estimated amount of total heterogeneity): {_num(e.tau2)}{ci}",
            f"tau (square root of estimated tau^2 value):      {_num(math.sqrt(e.tau2))}",
        ]
    lines += [
        f"I^2 ({'total heterogeneity / total variability' if random else 'heterogeneity'}):"
        f"   {_num(e.i2, 2)}%",
        f"H^2 ({'total variability / sampling variability' if random else 'Q / df'}):  "
        f"{_num(e.h2, 2)}",
    ]
    if e.q_df > 0:
        lines += ["", "Test for Heterogeneity:", f"Q(df = {e.q_df}) = {_num(e.q)}, p-val {_p_eq(e.q_p)}"]
    return lines


def _p_eq(p: float) -> str:
    text = format_p(p)
    return text if text.startswith("<") else f"= {text}"


def _model_table(e: Estimate, test: str) -> list[str]:
    stat = e.estimate / e.se if e.se > 0 else float("nan")
    head = f"{'estimate':>9} {'se':>8} {test + 'val':>9} {'pval':>8} {'ci.lb':>9} {'ci.ub':>9}"
    row = (
        f"{_num(e.estimate):>9} {_num(e.se):>8} {_num(stat):>9} {format_p(e.p):>8} "
        f"{_num(e.ci_low):>9} {_num(e.ci_high):>9}"
    )
    return [head, row]


def _render(r: PoolResult) -> list[str]:
    random = r.model == "random"
    kind = "Random-effects" if random else "Fixed-effect"
    detail = f"tau^2 estimator: {r.tau2_method}" if random else f"method: {r.method}"
    lines = []
    if r.overall is not None:
        lines.append(f"{kind} model (k = {r.overall.k}; {detail}; measure: {r.measure})")
        if r.auto_rule is not None:
            lines.append(f"Model chosen by the auto rule: {r.auto_rule.reason}")
        lines.append("")
        lines += _heterogeneity_lines(r.overall, random)
        lines += ["", "Model Results:", ""]
        lines += _model_table(r.overall, r.test)
        if r.scale == "log":
            e = r.overall
            lines.append(
                f"\nexp(estimate) = {_num(math.exp(e.estimate))} "
                f"[{_num(math.exp(e.ci_low))}, {_num(math.exp(e.ci_high))}]"
            )
        if math.isfinite(r.overall.pi_low):
            lines.append(
                f"Prediction interval: [{_num(r.overall.pi_low)}, {_num(r.overall.pi_high)}]"
            )
    if r.subgroups:
        lines += ["", "Subgroups:"]
        for name, e in r.subgroups.items():
            lines.append(
                f"  {name}: k = {e.k}, estimate = {_num(e.estimate)} "
                f"[{_num(e.ci_low)}, {_num(e.ci_high)}], tau^2 = {_num(e.tau2)}, "
                f"I^2 = {_num(e.i2, 2)}%"
            )
        if r.subgroup_test is not None:
            t = r.subgroup_test
            lines.append(
                f"Test for subgroup differences: Chi^2 = {_num(t.q)}, df = {t.df}, "
                f"p-val {_p_eq(t.p)}, I^2 = {_num(t.i2, 2)}%"
            )
    if r.metaregression is not None:
        m = r.metaregression
        lines += ["", f"Meta-regression (tau^2 = {_num(m.tau2)}, R^2 = {_num(m.r2, 2)}%):"]
        lines.append(f"Test of moderators: QM(df = {m.qm_df}) = {_num(m.qm)}, p-val {_p_eq(m.qm_p)}")
        for name, c in m.coefficients.items():
            lines.append(
                f"  {name:<12} {_num(c.estimate):>9} {_num(c.se):>8} {format_p(c.p):>8}"
            )
    if r.bias is not None:
        b = r.bias
        lines += [
            "",
            f"Egger's regression test: t = {_num(b.egger['t'])}, p-val {_p_eq(b.egger['p'])}",
            f"Begg's rank correlation: tau = {_num(b.begg['tau'])}, p-val {_p_eq(b.begg['p'])}",
            f"Trim-and-fill: {b.trimfill['k0']} studies filled on the {b.trimfill['side']} side; "
            f"estimate = {_num(b.trimfill['estimate'])} (se = {_num(b.trimfill['se'])})",
        ]
    for w in r.warnings:
        lines.append(f"Warning: {w}")
    return lines
