"""Consistency checks on an extracted review: do its numbers agree with each other?

``run_checks(review)`` returns findings, errors first. Each finding names a rule (``code``), says
what is wrong in English and Chinese, and carries the numbers it rests on with their places in
the source (``evidence``) and what the check computed from them (``computed``). Nothing is
changed: a finding asks a person to look again at the source.

Severities: ``error`` — the bundle as recorded cannot be right (an impossible value, a broken
reference, two statements of one quantity that cannot both hold); ``warning`` — suspicious or
misleading; ``info`` — worth a look, within the tolerance of rounding and of the unknown test.

Conventions read from ``values`` (docs/review-bundle.md):

- time point ``baseline`` is the pre-treatment value; time points starting with ``change`` hold
  change scores, which may be negative;
- a ``p`` with an empty ``arm`` compares the study's arms at its time point; a ``p`` in an arm at
  a time point other than ``baseline`` is that arm's before-after test;
- ``n`` is an ``n`` value at the same arm, outcome and time point if there is one, else the arm's
  randomised ``n`` (which overstates the analysed n after withdrawals, making recomputed p
  values smaller);
- the model has no field for an inequality, so ``p < 0.001`` is recognised in the quote (``p``,
  then ``<``, ``≤``, ``>`` or ``≥``, then the recorded number).

Values are compared within one extractor; disagreements between extractors are the discrepancy
list's business (``evisynth.review.extraction``).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Literal

from scipy import stats

from evisynth.review.model import STATISTICS, Arm, ExtractedValue, ReportedTotal, Review, Study, _Plain

Severity = Literal["error", "warning", "info"]
Key = tuple[str, str, str, str, str]

ALPHA = 0.05
"""Significance level the p-value check judges verdicts by (the level seed 000 and most reviews use)."""
P_BAND = 4.0
"""A verdict flips beyond tolerance when a reported p < ALPHA is recomputed above P_BAND·ALPHA (0.2),
or a reported p ≥ ALPHA below ALPHA/P_BAND (0.0125). Rounded means and SDs, analysed rather than
randomised n and another test (rank test, ANCOVA) move p, but rarely across that band."""
Z_TOLERANCE = 1.0
"""Reported and recomputed p are "not reproduced" (info) when they lie more than this apart on the
two-sided normal-quantile scale, z = Φ⁻¹(1 − p/2) (p = 0.05 ↔ 1.96, p = 0.003 ↔ 2.97)."""
R_RANGE = (0.0, 0.95)
"""Before-after correlations a paired test is recomputed over: r is unknown from summary data
(Cochrane Handbook 6.5.2.8 on imputing it); 0 (independent) to 0.95 (near-identical) is this
module's choice, wide enough that a p outside the range needs another explanation."""
BASELINE = "baseline"
_ESTIMATES = ("mean", "mean_change", "median")
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_ROLE_EN = {"all": "overall", "experimental": "experimental-group", "control": "control-group"}
_ROLE_ZH = {"all": "总", "experimental": "实验组", "control": "对照组"}

# unit (lower case, micro sign as Greek mu) → (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, float]] = {
    "g": ("mass", 1.0), "mg": ("mass", 1e-3), "μg": ("mass", 1e-6), "ug": ("mass", 1e-6),
    "mcg": ("mass", 1e-6), "ng": ("mass", 1e-9), "pg": ("mass", 1e-12),
    "m": ("length", 1.0), "cm": ("length", 1e-2), "mm": ("length", 1e-3), "μm": ("length", 1e-6),
    "um": ("length", 1e-6),
    "mol/l": ("amount concentration", 1.0), "mmol/l": ("amount concentration", 1e-3),
    "μmol/l": ("amount concentration", 1e-6), "umol/l": ("amount concentration", 1e-6),
    "nmol/l": ("amount concentration", 1e-9), "pmol/l": ("amount concentration", 1e-12),
    "g/l": ("mass concentration", 1.0), "g/dl": ("mass concentration", 10.0),
    "mg/l": ("mass concentration", 1e-3), "mg/dl": ("mass concentration", 1e-2),
    "μg/l": ("mass concentration", 1e-6), "ug/l": ("mass concentration", 1e-6),
    "ng/ml": ("mass concentration", 1e-6), "ng/l": ("mass concentration", 1e-9),
    "pg/ml": ("mass concentration", 1e-9),
    "m/s": ("velocity", 1.0), "cm/s": ("velocity", 1e-2),
    "%": ("percent", 1.0),
}


@dataclass(frozen=True)
class Evidence(_Plain):
    """A number a finding rests on and where it stands (for an arm size: the study and arm)."""

    label: str
    value: float | None
    unit: str = ""
    location: str = ""
    quote: str = ""


@dataclass(frozen=True)
class Finding(_Plain):
    """One problem: its rule, how serious, what is wrong (English and Chinese), and the numbers."""

    code: str
    severity: Severity
    message: str
    message_zh: str
    study: str = ""
    evidence: tuple[Evidence, ...] = ()
    computed: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"{self.severity} [{self.code}] {self.message}"]
        lines += [f"    {e.label} = {_fmt(e.value)} {e.unit}".rstrip() + f"  ({e.location})"
                  for e in self.evidence]
        lines += [f"    computed {k} = {v:.4g}" for k, v in self.computed.items()]
        return "\n".join(lines)


def run_checks(review: Review, *, non_negative: Collection[str] | None = None) -> tuple[Finding, ...]:
    """Every check on ``review``, errors first, then warnings, then notes.

    ``non_negative``: outcome ids whose values cannot be negative, for the SD-exceeds-mean check;
    default: every outcome whose level means (not change scores) are all >= 0.
    """
    found = (
        *check_references(review),
        *check_totals(review),
        *check_sds(review, non_negative=non_negative),
        *check_units(review),
        *check_intervals(review),
        *check_p_values(review),
    )
    return tuple(sorted(found, key=lambda f: _SEVERITY_ORDER[f.severity]))


# --- references ---------------------------------------------------------------------------------


def check_references(review: Review) -> tuple[Finding, ...]:
    """Values that name an unknown study, arm, outcome, report or statistic, or repeat a key."""
    studies = {s.id: s for s in review.studies}
    outcomes = {o.id for o in review.outcomes}
    found: list[Finding] = []
    seen: set[tuple[str, Key]] = set()
    for v in review.values:
        ev = (_evidence(v),)
        label = "/".join(v.key)
        study = studies.get(v.study)
        if study is None:
            found.append(Finding(
                "unknown-study", "error",
                f"{label}: study {v.study!r} is not in the review; add it to studies.yaml or fix the id",
                f"{label}：研究 {v.study!r} 不在本评价中；请在 studies.yaml 中添加或更正编号",
                v.study, ev))
        else:
            if v.arm and v.arm not in {a.id for a in study.arms}:
                found.append(Finding(
                    "unknown-arm", "error",
                    f"{label}: study {v.study!r} has no arm {v.arm!r} "
                    f"(arms: {', '.join(a.id for a in study.arms) or 'none'})",
                    f"{label}：研究 {v.study!r} 没有组别 {v.arm!r}", v.study, ev))
            if v.provenance.report not in {r.id for r in study.reports}:
                found.append(Finding(
                    "unknown-report", "error",
                    f"{label}: report {v.provenance.report!r} is not a report of study {v.study!r}",
                    f"{label}：文献 {v.provenance.report!r} 不属于研究 {v.study!r}", v.study, ev))
        if v.outcome not in outcomes:
            found.append(Finding(
                "unknown-outcome", "error",
                f"{label}: outcome {v.outcome!r} is not defined; add it to outcomes.yaml or fix the id",
                f"{label}：结局指标 {v.outcome!r} 未定义；请在 outcomes.yaml 中添加或更正编号", v.study, ev))
        if v.statistic not in STATISTICS:
            found.append(Finding(
                "unknown-statistic", "error",
                f"{label}: statistic {v.statistic!r} is not one of {', '.join(STATISTICS)}",
                f"{label}：统计量 {v.statistic!r} 不在允许的列表中", v.study, ev))
        ident = (v.provenance.extractor, v.key)
        if ident in seen:
            found.append(Finding(
                "duplicate-value", "error",
                f"{label}: extractor {v.provenance.extractor!r} has two values for this key; keep one",
                f"{label}：提取者 {v.provenance.extractor!r} 对同一项有两个数值；请保留一个", v.study, ev))
        seen.add(ident)
    return tuple(found)


# --- reported totals ----------------------------------------------------------------------------


def _arms_for(study: Study, role: str) -> tuple[Arm, ...]:
    if role == "all":
        return study.arms
    if role == "experimental":
        return tuple(a for a in study.arms if a.role in ("experimental", "single"))
    return tuple(a for a in study.arms if a.role == "control")


def check_totals(review: Review) -> tuple[Finding, ...]:
    """Totals the review states against the sum of its arms' n, and against each other.

    Single-arm groups count as experimental. When a control total exceeds the control arms by
    exactly the single-arm groups, the message says so: the review then counted single-arm
    participants again as their own before-after controls.
    """
    found: list[Finding] = []
    for rt in review.reported_totals:
        stated = _total_evidence(rt)
        studies = [s for s in review.studies if rt.population in s.population]
        if not studies:
            found.append(Finding(
                "total-unmatched", "warning",
                f"reported total {rt.id!r} ({rt.value}): no study's population contains "
                f"{rt.population!r}; check the filter or the studies' population",
                f"报告合计 {rt.id!r}（{rt.value}）：没有研究的人群包含 {rt.population!r}", "", (stated,)))
            continue
        arms = [(s, a) for s in studies for a in _arms_for(s, rt.role)]
        arm_evidence = tuple(_arm_evidence(s, a) for s, a in arms)
        unknown = [f"{s.id}/{a.id}" for s, a in arms if a.n is None]
        if unknown:
            found.append(Finding(
                "total-unchecked", "info",
                f"reported total {rt.id!r} ({rt.value}) cannot be checked: "
                f"n missing for {', '.join(unknown)}",
                f"报告合计 {rt.id!r}（{rt.value}）无法核对：{', '.join(unknown)} 缺少例数", "",
                (stated, *arm_evidence)))
            continue
        sizes = [a.n for _, a in arms if a.n is not None]
        total = sum(sizes)
        if total == rt.value:
            continue
        terms = " + ".join(str(n) for n in sizes) or "0"
        difference = rt.value - total
        where = f" among studies whose population contains {rt.population!r}" if rt.population else ""
        message = (f"reported {_ROLE_EN[rt.role]} total {rt.value} ({rt.location}) differs from the sum of "
                   f"the {'' if rt.role == 'all' else rt.role + ' '}arms{where}, {terms} = {total} "
                   f"(difference {difference:+d}); check the total or the arm sizes")
        message_zh = (f"报告的{_ROLE_ZH[rt.role]}合计 {rt.value}（{rt.location}）与各组例数之和 "
                      f"{terms} = {total} 不符（差 {difference:+d}）；请核对合计或各组例数")
        single = [(s, a) for s in studies for a in s.arms if a.role == "single" and a.n is not None]
        single_n = sum(a.n for _, a in single if a.n is not None)
        if rt.role == "control" and single and difference == single_n:
            names = ", ".join(f"{s.id} ({a.n})" for s, a in single)
            message += (f"; the difference equals the single-arm group(s) {names}: their participants "
                        "seem to be counted again as their own before-after controls")
            message_zh += f"；差值等于单臂研究例数 {names}：单臂研究的病例似乎又被计为自身前后对照"
        found.append(Finding("total-mismatch", "warning", message, message_zh, "", (stated, *arm_evidence),
                             {"arm_sum": float(total), "difference": float(difference)}))
    found += _totals_add_up(review)
    return tuple(found)


def _totals_add_up(review: Review) -> list[Finding]:
    """For each population, experimental + control totals against the stated overall total."""
    by_population: dict[str, dict[str, list[ReportedTotal]]] = defaultdict(lambda: defaultdict(list))
    for rt in review.reported_totals:
        by_population[rt.population][rt.role].append(rt)
    found: list[Finding] = []
    for population, roles in by_population.items():
        combinations = [(a, e, c) for a in roles["all"] for e in roles["experimental"]
                        for c in roles["control"]]
        for overall, exp, ctl in combinations:
            parts = exp.value + ctl.value
            if parts == overall.value:
                continue
            scope = f" ({population})" if population else ""
            found.append(Finding(
                "totals-do-not-add-up", "warning",
                f"reported totals{scope} do not add up: experimental {exp.value} + control {ctl.value} = "
                f"{parts}, but the overall total is {overall.value}",
                f"报告的合计{scope}不一致：实验组 {exp.value} + 对照组 {ctl.value} = {parts}，"
                f"而总例数为 {overall.value}",
                "", tuple(_total_evidence(rt) for rt in (overall, exp, ctl)),
                {"difference": float(parts - overall.value)}))
    return found


def _arm_evidence(study: Study, arm: Arm) -> Evidence:
    return Evidence(f"{study.id}/{arm.id} n ({arm.role})", arm.n, "", f"studies: {study.label}, arm {arm.id}")


def _total_evidence(rt: ReportedTotal) -> Evidence:
    return Evidence(f"reported {rt.role} total ({rt.id})", rt.value, "", rt.location, rt.quote)


# --- standard deviations ------------------------------------------------------------------------


def check_sds(review: Review, *, non_negative: Collection[str] | None = None) -> tuple[Finding, ...]:
    """SDs (and SEs) that are not positive (error); SD above the mean of a non-negative quantity.

    For a quantity that cannot be negative, a mean below its SD means a strongly right-skewed
    distribution (Altman & Bland, BMJ 1996;313:1200, flag already a mean below 2 SD): mean ± SD
    then misdescribes the data, and a mean difference of them is doubtful. Change scores
    (time points ``change…``) are exempt: they can be negative.
    """
    if non_negative is None:
        non_negative = _non_negative_outcomes(review.values)
    found: list[Finding] = []
    index = _index(review.values)
    for v in review.values:
        label = "/".join(v.key)
        if v.statistic in ("sd", "sd_change", "se") and not v.value > 0:
            found.append(Finding(
                "sd-nonpositive", "error",
                f"{label}: {v.statistic.upper()} {_fmt(v.value)} must be > 0; check the sign, the column "
                "or whether a missing value was entered as 0",
                f"{label}：{v.statistic.upper()} {_fmt(v.value)} 必须大于 0；"
                "请检查符号、列或缺失值是否被记为 0",
                v.study, (_evidence(v),)))
            continue
        if v.statistic != "sd" or v.timepoint.startswith("change") or v.outcome not in non_negative:
            continue
        mean = index.get((v.provenance.extractor, (v.study, v.arm, v.outcome, v.timepoint, "mean")))
        if mean is None or not 0 <= mean.value < v.value:
            continue
        found.append(Finding(
            "sd-exceeds-mean", "warning",
            f"{v.study}/{v.arm or '-'} {v.outcome} at {v.timepoint}: SD {_fmt(v.value)} exceeds the mean "
            f"{_fmt(mean.value)} of a quantity that cannot be negative, so its distribution is strongly "
            "skewed and mean ± SD misdescribes it; prefer medians or a log scale if the study reports them",
            f"{v.study}/{v.arm or '-'} {v.outcome}（{v.timepoint}）：标准差 {_fmt(v.value)} 大于均数 "
            f"{_fmt(mean.value)}，而该指标不可能为负，说明分布严重偏态，均数 ± 标准差不能恰当描述；"
            "如研究报告了中位数或对数尺度结果，宜优先使用",
            v.study, (_evidence(mean), _evidence(v)),
            {"sd_over_mean": v.value / mean.value if mean.value > 0 else math.inf}))
    return tuple(found)


def _non_negative_outcomes(values: Iterable[ExtractedValue]) -> frozenset[str]:
    means: dict[str, list[float]] = defaultdict(list)
    for v in values:
        if v.statistic == "mean" and not v.timepoint.startswith("change"):
            means[v.outcome].append(v.value)
    return frozenset(o for o, ms in means.items() if all(m >= 0 for m in ms))


# --- units --------------------------------------------------------------------------------------


def _unit(unit: str) -> tuple[str, float] | None:
    return _UNITS.get(unit.strip().replace("µ", "μ").lower())


def check_units(review: Review) -> tuple[Finding, ...]:
    """Units that disagree for the same study, arm, outcome and statistic (any time point).

    Units of one dimension (mass: g, mg, μg/µg/ug/mcg, ng …) on different scales: an error when
    the same number is printed with both (one unit must be wrong, e.g. 90 μg and 90 mg); no
    finding when the numbers convert to one value (90 μg and 0.09 mg); else a warning (convert
    before comparing or pooling). Two units unknown to the table that differ: a note.
    Units of different known dimensions (m/s and %) are different quantities and pass.
    """
    groups: dict[tuple[str, str, str, str, str], list[ExtractedValue]] = defaultdict(list)
    for v in review.values:
        if v.unit.strip():
            groups[(v.provenance.extractor, v.study, v.arm, v.outcome, v.statistic)].append(v)
    found: list[Finding] = []
    for (_, study, arm, outcome, statistic), vs in groups.items():
        head = f"{study}/{arm or '-'} {outcome} ({statistic})"
        by_dimension: dict[str, list[tuple[ExtractedValue, float]]] = defaultdict(list)
        unknown: dict[str, list[ExtractedValue]] = defaultdict(list)
        for v in vs:
            known = _unit(v.unit)
            if known is None:
                unknown[v.unit.strip()].append(v)
            else:
                by_dimension[known[0]].append((v, known[1]))
        for dimension, scaled in by_dimension.items():
            factors = {factor for _, factor in scaled}
            if len(factors) < 2:
                continue
            ratio = max(factors) / min(factors)
            same_number = any(a.value == b.value and fa != fb for a, fa in scaled for b, fb in scaled)
            converted = [v.value * factor for v, factor in scaled]
            if not same_number and all(math.isclose(c, converted[0], rel_tol=1e-9) for c in converted):
                continue
            dvs = [v for v, _ in scaled]
            places = _places(dvs)
            if same_number:
                found.append(Finding(
                    "unit-mismatch", "error",
                    f"{head}: the same number is given as {places} — units {_fmt(ratio)}× apart; "
                    "one of them must be wrong",
                    f"{head}：同一数值分别记为 {places}，单位相差 {_fmt(ratio)} 倍，其中必有一处单位有误",
                    study, tuple(_evidence(v) for v in dvs), {"scale_ratio": ratio}))
            else:
                found.append(Finding(
                    "unit-mismatch", "warning",
                    f"{head}: {dimension} given in units {_fmt(ratio)}× apart ({places}); "
                    "convert to one unit before comparing or pooling",
                    f"{head}：数值使用了相差 {_fmt(ratio)} 倍的不同单位（{places}）；比较或合并前请统一单位",
                    study, tuple(_evidence(v) for v in dvs), {"scale_ratio": ratio}))
        if len(unknown) > 1:
            uvs = [v for group in unknown.values() for v in group]
            found.append(Finding(
                "unit-unknown", "info",
                f"{head}: different units that cannot be converted ({_places(uvs)}); check they name "
                "the same quantity",
                f"{head}：单位不同且无法换算（{_places(uvs)}）；请确认是否为同一指标", study,
                tuple(_evidence(v) for v in uvs)))
    return tuple(found)


def _places(vs: Iterable[ExtractedValue]) -> str:
    by_statement: dict[tuple[str, str], list[str]] = defaultdict(list)
    for v in vs:
        by_statement[(_fmt(v.value), v.unit)].append(v.provenance.location)
    return ", ".join(f"{number} {unit} ({'; '.join(locs)})" for (number, unit), locs in by_statement.items())


# --- confidence intervals -----------------------------------------------------------------------


def check_intervals(review: Review) -> tuple[Finding, ...]:
    """Confidence intervals whose bounds are reversed or that do not contain their estimate."""
    index = _index(review.values)
    found: list[Finding] = []
    for (extractor, key), low in index.items():
        study, arm, outcome, timepoint, statistic = key
        if statistic != "ci_low":
            continue
        high = index.get((extractor, (study, arm, outcome, timepoint, "ci_high")))
        if high is None:
            continue
        problems_en: list[str] = []
        problems_zh: list[str] = []
        evidence = [_evidence(low), _evidence(high)]
        if low.value > high.value:
            problems_en.append(
                f"its lower bound {_fmt(low.value)} exceeds its upper bound {_fmt(high.value)}")
            problems_zh.append(f"下限 {_fmt(low.value)} 大于上限 {_fmt(high.value)}")
        for name in _ESTIMATES:
            est = index.get((extractor, (study, arm, outcome, timepoint, name)))
            if est is not None and not low.value <= est.value <= high.value:
                evidence.insert(0, _evidence(est))
                problems_en.append(f"it does not contain the estimate {_fmt(est.value)} ({name})")
                problems_zh.append(f"不包含点估计 {_fmt(est.value)}")
        if problems_en:
            head = f"{study}/{arm or '-'} {outcome} at {timepoint}"
            found.append(Finding(
                "ci-inconsistent", "error",
                f"{head}: the interval {_fmt(low.value)} to {_fmt(high.value)} is impossible: "
                f"{'; '.join(problems_en)}. A minus sign lost in extraction ('−' dropped or read as "
                "another character) is a common cause; check the source",
                f"{head}：区间 {_fmt(low.value)} 至 {_fmt(high.value)} 不成立：{'；'.join(problems_zh)}。"
                "常见原因是负号在提取时丢失或被误识别；请核对原文",
                study, tuple(evidence)))
    return tuple(found)


# --- p values -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Summary:
    mean: ExtractedValue
    sd: ExtractedValue
    n: int
    n_source: str


def check_p_values(review: Review) -> tuple[Finding, ...]:
    """Reported p values against p recomputed from the reported means, SDs and n.

    Between arms (a ``p`` with an empty arm, exactly two arms with mean and SD — or mean_change
    and sd_change — at its time point): Welch's t test. Within an arm (``p`` in an arm at a
    follow-up time point, mean and SD at baseline and there): the paired t test, whose p depends
    on the unknown before-after correlation r; the range over r in ``R_RANGE`` is computed.

    Tolerance: a **warning** when the verdict flips beyond the band — reported p < ALPHA while
    every recomputed p > P_BAND·ALPHA (0.2), or reported p ≥ ALPHA while every recomputed p <
    ALPHA/P_BAND (0.0125); a **note** when the verdict differs within the band, or when reported
    and recomputed p are more than Z_TOLERANCE apart on the normal-quantile scale. p outside
    [0, 1] is an error.
    """
    index = _index(review.values)
    studies = {s.id: s for s in review.studies}
    found: list[Finding] = []
    for (extractor, key), p in index.items():
        study_id, arm, _, timepoint, statistic = key
        if statistic != "p":
            continue
        if not 0 <= p.value <= 1:
            found.append(Finding(
                "p-out-of-range", "error", f"{'/'.join(key)}: p = {_fmt(p.value)} is not between 0 and 1",
                f"{'/'.join(key)}：p = {_fmt(p.value)} 不在 0 到 1 之间", study_id, (_evidence(p),)))
            continue
        study = studies.get(study_id)
        if study is None:
            continue
        if arm == "":
            found += _between_arms(index, extractor, study, p)
        elif timepoint != BASELINE and not timepoint.startswith("change"):
            found += _within_arm(index, extractor, study, p)
    return tuple(found)


def _summary(index: dict[tuple[str, Key], ExtractedValue], extractor: str, study: Study, arm: Arm,
             outcome: str, timepoint: str, change: bool) -> _Summary | None:
    mean_name, sd_name = ("mean_change", "sd_change") if change else ("mean", "sd")
    mean = index.get((extractor, (study.id, arm.id, outcome, timepoint, mean_name)))
    sd = index.get((extractor, (study.id, arm.id, outcome, timepoint, sd_name)))
    if mean is None or sd is None or not sd.value > 0:
        return None
    n_value = index.get((extractor, (study.id, arm.id, outcome, timepoint, "n")))
    if n_value is not None:
        return _Summary(mean, sd, round(n_value.value), n_value.provenance.location)
    if arm.n is None:
        return None
    return _Summary(mean, sd, arm.n, f"arm size, studies: {study.label}, arm {arm.id}")


def _between_arms(index: dict[tuple[str, Key], ExtractedValue], extractor: str, study: Study,
                  p: ExtractedValue) -> list[Finding]:
    for change in (False, True):
        groups = [(a, s) for a in study.arms
                  if (s := _summary(index, extractor, study, a, p.outcome, p.timepoint, change)) is not None]
        if len(groups) == 2:
            break
    else:
        return []
    (arm1, s1), (arm2, s2) = groups
    if s1.n < 2 or s2.n < 2:
        return []
    v1, v2 = s1.sd.value ** 2 / s1.n, s2.sd.value ** 2 / s2.n
    se = math.sqrt(v1 + v2)
    t = (s1.mean.value - s2.mean.value) / se
    df = (v1 + v2) ** 2 / (v1**2 / (s1.n - 1) + v2**2 / (s2.n - 1))
    recomputed = 2.0 * float(stats.t.sf(abs(t), df))
    what = (f"Welch's t test on {_fmt(s1.mean.value)} ± {_fmt(s1.sd.value)} (n = {s1.n}, {arm1.id}) vs "
            f"{_fmt(s2.mean.value)} ± {_fmt(s2.sd.value)} (n = {s2.n}, {arm2.id})")
    what_zh = (f"Welch t 检验（{arm1.id}: {_fmt(s1.mean.value)} ± {_fmt(s1.sd.value)}, n = {s1.n}；"
               f"{arm2.id}: {_fmt(s2.mean.value)} ± {_fmt(s2.sd.value)}, n = {s2.n}）")
    evidence = (_evidence(p), _evidence(s1.mean), _evidence(s1.sd), _evidence(s2.mean), _evidence(s2.sd),
                Evidence(f"{arm1.id} n", s1.n, "", s1.n_source),
                Evidence(f"{arm2.id} n", s2.n, "", s2.n_source))
    return _judge_p(study.id, p, recomputed, recomputed, what, what_zh, evidence,
                    {"t": t, "df": df, "p_recomputed": recomputed})


def _within_arm(index: dict[tuple[str, Key], ExtractedValue], extractor: str, study: Study,
                p: ExtractedValue) -> list[Finding]:
    arm = next((a for a in study.arms if a.id == p.arm), None)
    if arm is None:
        return []
    before = _summary(index, extractor, study, arm, p.outcome, BASELINE, False)
    after = _summary(index, extractor, study, arm, p.outcome, p.timepoint, False)
    if before is None or after is None:
        return []
    n = after.n
    if n < 2:
        return []
    s1, s2 = before.sd.value, after.sd.value
    diff = after.mean.value - before.mean.value
    ps = []
    for r in R_RANGE:
        sd_diff = math.sqrt(max(s1**2 + s2**2 - 2.0 * r * s1 * s2, 0.0))
        if sd_diff == 0:
            ps.append(0.0 if diff else 1.0)
            continue
        ps.append(2.0 * float(stats.t.sf(abs(diff) / (sd_diff / math.sqrt(n)), n - 1)))
    low, high = min(ps), max(ps)
    what = (f"the paired t test on {_fmt(before.mean.value)} ± {_fmt(s1)} → {_fmt(after.mean.value)} ± "
            f"{_fmt(s2)} (n = {n}) for r from {_fmt(R_RANGE[0])} to {_fmt(R_RANGE[1])}")
    what_zh = (f"配对 t 检验（{_fmt(before.mean.value)} ± {_fmt(s1)} → {_fmt(after.mean.value)} ± "
               f"{_fmt(s2)}，n = {n}，前后相关系数 r 取 {_fmt(R_RANGE[0])}–{_fmt(R_RANGE[1])}）")
    evidence = (_evidence(p), _evidence(before.mean), _evidence(before.sd), _evidence(after.mean),
                _evidence(after.sd), Evidence(f"{arm.id} n", n, "", after.n_source))
    return _judge_p(study.id, p, low, high, what, what_zh, evidence,
                    {"p_recomputed_min": low, "p_recomputed_max": high})


def _judge_p(study: str, p: ExtractedValue, low: float, high: float, what: str, what_zh: str,
             evidence: tuple[Evidence, ...], computed: dict[str, float]) -> list[Finding]:
    relation = _p_relation(p)
    rep_low, rep_high = {"<": (0.0, p.value), ">": (p.value, 1.0)}.get(relation, (p.value, p.value))
    significant = rep_high <= ALPHA if relation == "<" else rep_high < ALPHA
    not_significant = rep_low >= ALPHA
    gap = max(0.0, _z(rep_high) - _z(low), _z(high) - _z(rep_low))
    computed = {**computed, "z_gap": gap}
    got = _fmt_p(low) if low == high else f"{_fmt_p(low)} to {_fmt_p(high)}"
    printed = f"p {relation} {_fmt(p.value)}"
    head = f"{study}/{p.arm or '-'} {p.outcome} at {p.timepoint}"
    if (significant and low > P_BAND * ALPHA) or (not_significant and high < ALPHA / P_BAND):
        return [Finding(
            "p-inconsistent", "warning",
            f"{head}: reported {printed}, but {what} gives p = {got}; the verdict at {_fmt(ALPHA)} flips "
            f"beyond the tolerance band ({_fmt(ALPHA / P_BAND)} to {_fmt(P_BAND * ALPHA)})",
            f"{head}：报告 {printed}，但按{what_zh}重算 p = {got}；"
            f"以 {_fmt(ALPHA)} 为界的结论相反，且超出容差范围",
            study, evidence, computed)]
    if (significant and low >= ALPHA) or (not_significant and high < ALPHA) or gap > Z_TOLERANCE:
        return [Finding(
            "p-not-reproduced", "info",
            f"{head}: reported {printed}, but {what} gives p = {got}; within tolerance of rounding, the "
            "analysed n and another test, but worth checking against the study",
            f"{head}：报告 {printed}，但按{what_zh}重算 p = {got}；"
            "可能源于舍入、实际分析例数或所用检验不同，建议核对原文",
            study, evidence, computed)]
    return []


def _z(p: float) -> float:
    """Two-sided normal quantile of p: 1.96 for 0.05; inf for 0."""
    return float(stats.norm.isf(p / 2.0)) if p > 0 else math.inf


def _p_relation(p: ExtractedValue) -> str:
    number = re.escape(_fmt(p.value))
    match = re.search(r"[pP]\s*([<>≤≥=])\s*" + number + r"0*(?![\d])", p.provenance.quote)
    if match is None:
        return "="
    return {"≤": "<", "≥": ">"}.get(match.group(1), match.group(1))


# --- helpers ------------------------------------------------------------------------------------


def _index(values: Iterable[ExtractedValue]) -> dict[tuple[str, Key], ExtractedValue]:
    """Values by (extractor, key); the first of duplicates (reported by check_references)."""
    out: dict[tuple[str, Key], ExtractedValue] = {}
    for v in values:
        out.setdefault((v.provenance.extractor, v.key), v)
    return out


def _evidence(v: ExtractedValue) -> Evidence:
    return Evidence("/".join(v.key), v.value, v.unit, v.provenance.location, v.provenance.quote)


def _fmt_p(p: float) -> str:
    """A recomputed p to two significant digits (``<1e-10`` below that)."""
    return f"{p:.2g}" if p >= 1e-10 else "<1e-10"


def _fmt(x: float | None) -> str:
    if x is None:
        return "NA"
    if math.isinf(x):
        return "inf"
    return f"{x:.4g}" if 0 < abs(x) < 1e-3 else f"{x:.10g}"
