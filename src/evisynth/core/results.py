"""Immutable results of a meta-analysis: typed fields, ``to_dict()`` for JSON, metafor-like print."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from statistics import NormalDist
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


def _identity(x: float) -> float:
    return x


@dataclass(frozen=True)
class DisplayScale:
    """How a result is shown to a reader (metafor's ``transf``): ``transform`` maps a value on the
    analysis scale to the reader's scale, printed with ``digits`` decimals.

    Ratios (RR, OR and any measure pooled as a log, ``PoolResult.scale == 'log'``) are shown as
    ratios, exp of the log value, with RevMan's two decimals (``RR 0.60 [0.31, 1.16]``); other
    measures as analysed, with metafor's four.
    """

    name: str
    transform: Callable[[float], float]
    transform_name: str
    digits: int

    def show(self, x: float) -> str:
        """``x`` (analysis scale) transformed and rounded; 'NA' when not finite."""
        return _num(self.transform(x) if math.isfinite(x) else x, self.digits)


#: One display transform per analysis scale; the engine sets the scale from the measure.
DISPLAY_SCALES: dict[str, DisplayScale] = {
    "log": DisplayScale("ratio", math.exp, "exp", 2),
    "identity": DisplayScale("identity", _identity, "identity", 4),
}
#: Values as pooled (log values for ratios), with metafor's four decimals.
ANALYSIS_SCALE = DisplayScale("analysis", _identity, "identity", 4)


@dataclass(frozen=True)
class StudyRow(Serializable):
    """One study as analysed: estimate and variance on the analysis scale, weight in percent."""

    study: str
    yi: float
    vi: float
    weight: float
    note: str = ""

    def interval(self, level: float) -> tuple[float, float, float]:
        """``(yi, ci_low, ci_high)`` on the analysis scale: yi ± z·sqrt(vi), z the normal quantile
        for ``level`` percent (RevMan's and metafor's per-study interval)."""
        half = NormalDist().inv_cdf(0.5 + level / 200) * math.sqrt(self.vi)
        return self.yi, self.yi - half, self.yi + half


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

    @property
    def display_scale(self) -> DisplayScale:
        """How this result is shown: as ratios for log-scale results, else as analysed."""
        return DISPLAY_SCALES.get(self.scale, ANALYSIS_SCALE)

    def display(self) -> dict[str, Any]:
        """The estimates on the reader's scale (exp of the log values for ratios), unrounded:
        overall estimate, CI and prediction interval, each study's estimate and CI, subgroups."""
        f = self.display_scale.transform

        def shown(e: Estimate) -> dict[str, float]:
            return {key: f(getattr(e, key)) for key in ("estimate", "ci_low", "ci_high")}

        out: dict[str, Any] = {"scale": self.display_scale.name,
                               "transform": self.display_scale.transform_name}
        if self.overall is not None:
            out.update(shown(self.overall), pi_low=f(self.overall.pi_low),
                       pi_high=f(self.overall.pi_high))
        out["studies"] = [
            {"study": s.study, **dict(zip(("estimate", "ci_low", "ci_high"),
                                          map(f, s.interval(self.level)), strict=True))}
            for s in self.studies
        ]
        if self.subgroups is not None:
            out["subgroups"] = {name: shown(e) for name, e in self.subgroups.items()}
        return _clean(out)  # type: ignore[no-any-return]

    def to_text(self, *, analysis_scale: bool = False) -> str:
        """The metafor-like printout; ratios are shown as ratios (``RR 0.60 [0.31, 1.16]``)
        unless ``analysis_scale`` asks for the log values only."""
        return "\n".join(_render(self, ANALYSIS_SCALE if analysis_scale else self.display_scale))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the scalar keys of the overall analysis at the top level (analysis
        scale: logs for ratios), and under ``display`` the values as shown to a reader."""
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
        out["display"] = self.display()
        return out

    def __str__(self) -> str:
        return self.to_text()


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


def _render(r: PoolResult, shown: DisplayScale) -> list[str]:
    random = r.model == "random"
    kind = "Random-effects" if random else "Fixed-effect"
    detail = f"tau^2 estimator: {r.tau2_method}" if random else f"method: {r.method}"
    ratio = shown.name == "ratio"

    def interval(e: Estimate) -> str:
        text = f"{shown.show(e.estimate)} [{shown.show(e.ci_low)}, {shown.show(e.ci_high)}]"
        return f"{r.measure} {text}" if ratio else text

    lines = []
    if r.overall is not None:
        e = r.overall
        lines.append(f"{kind} model (k = {e.k}; {detail}; measure: {r.measure})")
        if r.auto_rule is not None:
            lines.append(f"Model chosen by the auto rule: {r.auto_rule.reason}")
        lines.append("")
        lines += _heterogeneity_lines(e, random)
        lines += ["", "Model Results (log scale):" if r.scale == "log" else "Model Results:", ""]
        lines += _model_table(e, r.test)
        shown_lines = [f"{interval(e)} ({r.level:g}% CI; exp of the log estimate)"] if ratio else []
        if math.isfinite(e.pi_low):
            unit = f"{r.measure} " if ratio else ""
            shown_lines.append(
                f"Prediction interval: {unit}[{shown.show(e.pi_low)}, {shown.show(e.pi_high)}]"
            )
        if shown_lines:
            lines += ["", *shown_lines]
    if r.subgroups:
        lines += ["", "Subgroups:"]
        for name, e in r.subgroups.items():
            lines.append(
                f"  {name}: k = {e.k}, {'' if ratio else 'estimate = '}{interval(e)}, "
                f"tau^2 = {_num(e.tau2)}, I^2 = {_num(e.i2, 2)}%"
            )
        if r.subgroup_test is not None:
            t = r.subgroup_test
            lines.append(
                f"Test for subgroup differences: Chi^2 = {_num(t.q)}, df = {t.df}, "
                f"p-val {_p_eq(t.p)}, I^2 = {_num(t.i2, 2)}%"
            )
    if r.metaregression is not None:
        m = r.metaregression
        on_log = ", coefficients on the log scale" if r.scale == "log" else ""
        lines += ["", f"Meta-regression (tau^2 = {_num(m.tau2)}, R^2 = {_num(m.r2, 2)}%{on_log}):"]
        lines.append(f"Test of moderators: QM(df = {m.qm_df}) = {_num(m.qm)}, p-val {_p_eq(m.qm_p)}")
        for name, c in m.coefficients.items():
            lines.append(
                f"  {name:<12} {_num(c.estimate):>9} {_num(c.se):>8} {format_p(c.p):>8}"
            )
    if r.bias is not None:
        b = r.bias
        filled = _num(b.trimfill["estimate"])
        if ratio:
            filled = f"{r.measure} {shown.show(b.trimfill['estimate'])}, log {filled}"
        lines += [
            "",
            f"Egger's regression test: t = {_num(b.egger['t'])}, p-val {_p_eq(b.egger['p'])}",
            f"Begg's rank correlation: tau = {_num(b.begg['tau'])}, p-val {_p_eq(b.begg['p'])}",
            f"Trim-and-fill: {b.trimfill['k0']} studies filled on the {b.trimfill['side']} side; "
            f"estimate = {filled} (se = {_num(b.trimfill['se'])})",
        ]
    for w in r.warnings:
        lines.append(f"Warning: {w}")
    return lines
