"""Forest plot in the RevMan 5 layout, from a ``PoolResult``.

Columns, left to right: study (or subgroup), the arms' data when ``arm_data`` is given (mean,
SD, total for MD/SMD; events, total for RR/OR/RD), weight %, the effect with its CI as text,
and the plot: a square per study (area proportional to its weight) with its CI line, a
diamond per subgroup and for the total, the line of no effect, and "Favours ..." under the
axis. Ratios (``result.scale == 'log'``) are shown exponentiated on a log axis (STYLE habit 7).
Below the rows: heterogeneity (Tau², Chi², df, P, I²), the test for the overall effect (Z, P)
and, with subgroups, the test for subgroup differences, worded as RevMan 5 does.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from matplotlib.text import Text
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator
from matplotlib.transforms import Transform, blended_transform_factory
from scipy import stats

from evisynth.core.results import Estimate, PoolResult, StudyRow
from evisynth.plotting.fonts import (
    Language,
    add_note,
    bold_effects,
    check_text,
    family_of,
    new_figure,
    note_fallback,
    resolve_language,
)
from evisynth.plotting.rob import _WHITE_SYMBOL, PALETTES, SYMBOLS, RobData

FONT_SIZE = 8.0
ROW_IN = 0.2  # row height in inches
PLOT_IN = 2.6  # width of the plot column in inches

MEASURE_NAMES: dict[str, tuple[str, str]] = {
    "MD": ("Mean Difference", "均数差"),
    "SMD": ("Std. Mean Difference", "标准化均数差"),
    "RR": ("Risk Ratio", "风险比"),
    "OR": ("Odds Ratio", "比值比"),
    "RD": ("Risk Difference", "风险差"),
    "GEN": ("Effect", "效应量"),
    "MC": ("Mean Change", "均数变化"),
}
METHOD_NAMES = {"IV": "IV", "MH": "M-H", "Peto": "Peto"}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "study": "Study or Subgroup",
        "mean": "Mean",
        "sd": "SD",
        "total": "Total",
        "events": "Events",
        "weight": "Weight",
        "random": "Random",
        "fixed": "Fixed",
        "subtotal": "Subtotal ({level} CI)",
        "overall": "Total ({level} CI)",
        "total_events": "Total events",
        "heterogeneity": "Heterogeneity",
        "overall_test": "Test for overall effect",
        "subgroup_test": "Test for subgroup differences",
        "prediction": "Prediction interval",
        "rob_legend": "Risk of bias legend",
        "favours": "Favours {}",
        "not_estimable": "Not estimable",
        "experimental": "Experimental",
        "control": "Control",
        "sep": "; ",
    },
    "zh": {
        "study": "研究或亚组",
        "mean": "均数",
        "sd": "标准差",
        "total": "合计",
        "events": "事件数",
        "weight": "权重",
        "random": "随机",
        "fixed": "固定",
        "subtotal": "小计 ({level} CI)",
        "overall": "合计 ({level} CI)",
        "total_events": "总事件数",
        "heterogeneity": "异质性",
        "overall_test": "总体效应检验",
        "subgroup_test": "亚组差异检验",
        "prediction": "预测区间",
        "rob_legend": "偏倚风险图例",
        "favours": "倾向于{}",
        "not_estimable": "无法估计",
        "experimental": "试验组",
        "control": "对照组",
        "sep": "；",
    },
}
_DEFAULT_LABELS = ("Experimental", "Control")
_DEFAULT_FAVOURS = ("experimental", "control")
_ZH_FAVOURS = {"experimental": "试验组", "control": "对照组"}


def format_p_revman(p: float) -> str:
    """P as RevMan 5 prints it: 'P < 0.00001', else two decimals (one significant figure below .01)."""
    if not math.isfinite(p):
        return "P = NA"
    if p < 1e-5:
        return "P < 0.00001"
    if p >= 0.01 or round(p, 2) >= 0.01:
        return f"P = {p:.2f}"
    digits = -math.floor(math.log10(p))
    return f"P = {p:.{digits}f}"


def format_effect(estimate: float, low: float, high: float, digits: int = 2) -> str:
    """'0.52 [0.31, 0.87]' on the display scale."""
    return f"{estimate:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def heterogeneity_text(e: Estimate, *, random: bool, language: Language = "en") -> str:
    """RevMan 5's line: 'Heterogeneity: Tau² = 0.04; Chi² = 12.30, df = 4 (P = 0.02); I² = 67%'."""
    lab = LABELS[language]
    colon = "：" if language == "zh" else ": "
    parts = []
    if random:
        parts.append(f"Tau² = {e.tau2:.2f}")
    parts.append(f"Chi² = {e.q:.2f}, df = {e.q_df} ({format_p_revman(e.q_p)})")
    parts.append(f"I² = {e.i2:.0f}%")
    return lab["heterogeneity"] + colon + lab["sep"].join(parts)


def overall_test_text(e: Estimate, *, test: str = "z", language: Language = "en") -> str:
    """'Test for overall effect: Z = 2.31 (P = 0.02)' (t under Knapp–Hartung)."""
    colon = "：" if language == "zh" else ": "
    stat = abs(e.estimate / e.se) if e.se > 0 else float("nan")
    name = "t" if test == "t" else "Z"
    return f"{LABELS[language]['overall_test']}{colon}{name} = {stat:.2f} ({format_p_revman(e.p)})"


def _text_width_in(text: str, size: float = FONT_SIZE) -> float:
    """Rough width of ``text`` in inches (wide CJK characters count as one em)."""
    ems = sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.58 for c in text)
    return ems * size / 72


def _fmt_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, (int, np.integer)) or float(value).is_integer():
        return str(int(value))
    return f"{float(value):g}"


@dataclass
class _Row:
    kind: str  # "study", "heading", "subtotal", "overall", "text", "blank", "prediction"
    cells: dict[str, str] = field(default_factory=dict)
    study: StudyRow | None = None
    estimate: Estimate | None = None
    bold: bool = False


def _row_axes(fig: Figure, rect: tuple[float, float, float, float], bottom_row: float
              ) -> tuple[Axes, Transform]:
    """Axes at ``rect`` whose y runs down the rows (-0.5 at the top, ``bottom_row`` at the
    bottom), framed only by the effect axis; and the transform that places text at (figure x,
    row y)."""
    ax = fig.add_axes(rect)
    ax.set_ylim(bottom_row, -0.5)
    ax.yaxis.set_major_locator(NullLocator())
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.patch.set_visible(False)
    return ax, blended_transform_factory(fig.transFigure, ax.transData)


def _set_effect_axis(ax: Axes, limit: float, ticks: list[float], log: bool) -> tuple[float, float]:
    """Scale, range and fixed ticks of an effect axis symmetric around the null; its (low, high)."""
    lo, hi = (1 / limit, limit) if log else (-limit, limit)
    if log:
        ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FixedFormatter([f"{t:g}" for t in ticks]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.tick_params(axis="x", labelsize=FONT_SIZE - 1)
    return lo, hi


def _axis_limit(values: Sequence[float], log: bool) -> tuple[float, list[float]]:
    """A symmetric axis limit around the null and its ticks, as RevMan chooses them."""
    if log:
        extent = max((abs(math.log10(v)) for v in values if v > 0 and math.isfinite(v)), default=1.0)
        table = [
            (2, [0.5, 0.7, 1, 1.5, 2]),
            (5, [0.2, 0.5, 1, 2, 5]),
            (10, [0.1, 0.2, 0.5, 1, 2, 5, 10]),
            (20, [0.05, 0.2, 1, 5, 20]),
            (50, [0.02, 0.1, 1, 10, 50]),
            (100, [0.01, 0.1, 1, 10, 100]),
            (1000, [0.001, 0.1, 1, 10, 1000]),
        ]
        for bound, marks in table:
            if math.log10(bound) >= extent - 1e-12:
                return float(bound), [float(t) for t in marks]
        return 1000.0, [0.001, 0.1, 1.0, 10.0, 1000.0]
    extent = max((abs(v) for v in values if math.isfinite(v)), default=1.0) or 1.0
    exponent = math.floor(math.log10(extent))
    for step in (1, 2, 5, 10):
        limit = step * 10.0**exponent
        if limit >= extent - 1e-12:
            break
    return limit, [-limit, -limit / 2, 0.0, limit / 2, limit]


def forest_plot(
    result: PoolResult,
    *,
    arm_data: pd.DataFrame | None = None,
    labels: tuple[str, str] = _DEFAULT_LABELS,
    language: str = "en",
    favours: tuple[str, str] = _DEFAULT_FAVOURS,
    prediction_interval: bool = False,
    groups: Mapping[str, str] | str | None = None,
    digits: int = 2,
    title: str | None = None,
    rob: RobData | None = None,
    rob_palette: str = "cochrane",
) -> Figure:
    """Draw ``result`` as a RevMan 5 forest plot; returns a Figure (nothing is shown or saved).

    ``arm_data``: the table given to ``evisynth.pool`` (a ``study`` column and ``m1, sd1, n1,
    m2, sd2, n2`` or ``e1, n1, e2, n2``); adds the arms' columns and totals. ``labels``: the
    arms' headings; ``favours``: the words after "Favours" left and right of the null line
    (the defaults are translated for ``language='zh'``). ``groups``: the study → subgroup
    mapping, or the name of the subgroup column of ``arm_data`` (the ``by=`` given to
    ``pool``); required when ``result.subgroups`` is set. ``prediction_interval`` adds a row
    with the prediction interval under the total when the result has one. Numbers are shown
    with ``digits`` decimals (RevMan: 2). ``rob`` (study → domain judgements, e.g.
    ``rob1_judgements``) adds RevMan's risk-of-bias columns right of the plot, one coloured
    circle per study and domain (A, B, ... with a legend under the rows), in ``rob_palette``.
    """
    if result.overall is None:
        raise ValueError("the result has no overall estimate to plot (no study was analysed)")
    lang = resolve_language(language)
    lab = LABELS[lang]
    log = result.scale == "log"
    show = math.exp if log else (lambda v: v)
    z = float(stats.norm.ppf(0.5 + result.level / 200))
    level = f"{result.level:g}%"
    random = result.model == "random"
    binary = result.measure in ("RR", "OR", "RD")

    if lang == "zh":
        if tuple(labels) == _DEFAULT_LABELS:
            labels = (lab["experimental"], lab["control"])
        fav = tuple(_ZH_FAVOURS.get(f, f) for f in favours)
    else:
        fav = tuple(favours)

    # Arm columns
    arms = _arm_lookup(arm_data, binary, result.measure)
    arm_keys = (["e1", "n1"], ["e2", "n2"]) if binary else (["m1", "sd1", "n1"], ["m2", "sd2", "n2"])
    arm_heads = {
        "m1": lab["mean"], "sd1": lab["sd"], "n1": lab["total"], "e1": lab["events"],
        "m2": lab["mean"], "sd2": lab["sd"], "n2": lab["total"], "e2": lab["events"],
    }
    arm_cols = [k for side in arm_keys for k in side] if arms is not None else []

    membership = _membership(result, groups, arm_data)
    rows = _build_rows(result, membership, arms, arm_cols, lab, level, z, show, digits, binary,
                       prediction_interval)
    if rob is not None:
        if rob_palette not in PALETTES:
            raise ValueError(f"rob_palette must be one of {', '.join(PALETTES)} (got {rob_palette!r})")
        rows.append(_Row("text", {"study": lab["rob_legend"]}))
        rows += [_Row("text", {"study": f"({_letter(i)}) {name}"})
                 for i, name in enumerate(rob.domain_labels)]

    # Column geometry (inches)
    method = METHOD_NAMES.get(result.method, result.method)
    model = lab["random"] if random else lab["fixed"]
    measure = MEASURE_NAMES.get(result.measure, (result.measure, result.measure))[lang == "zh"]
    effect_head = f"{method}, {model}, {level} CI"
    pad = 0.18
    name_w = max(_text_width_in(r.cells.get("study", "")) for r in rows if r.kind not in ("text",))
    name_w = max(name_w, _text_width_in(lab["study"]), 1.2) + pad
    num_w = {k: max([_text_width_in(arm_heads[k])] + [_text_width_in(r.cells.get(k, "")) for r in rows])
             + pad for k in arm_cols}
    weight_w = max(_text_width_in(lab["weight"]), _text_width_in("100.0%")) + pad
    effect_w = max([_text_width_in(effect_head), _text_width_in(measure)]
                   + [_text_width_in(r.cells.get("effect", "")) for r in rows]) + pad
    left_margin, right_margin, gap = 0.1, 0.2, 0.15
    text_rows = [r for r in rows if r.kind == "text"]
    text_need = max([_text_width_in(r.cells["study"], FONT_SIZE - 0.5) for r in text_rows], default=0.0)
    used = name_w + sum(num_w.values()) + weight_w + effect_w
    name_w += max(0.0, text_need - used)  # the statistics lines stay left of the plot
    # Column right edges (numbers are right-aligned, as RevMan does)
    x = left_margin + name_w
    right_edge: dict[str, float] = {}
    for k in arm_cols:
        x += num_w[k]
        right_edge[k] = x
    x += weight_w
    right_edge["weight"] = x
    x += effect_w
    right_edge["effect"] = x
    plot_left = x + gap
    rob_cell = 0.17
    rob_left = plot_left + PLOT_IN + gap
    rob_w = (len(rob.domains) * rob_cell + gap) if rob is not None else 0.0
    width = plot_left + PLOT_IN + right_margin + rob_w

    header_rows = 2
    graph_rows = max(i for i, r in enumerate(rows) if r.kind not in ("text", "blank")) + 1
    footer_rows = max(len(rows) - graph_rows, 3)
    top_in, bottom_in = 0.1 + (0.3 if title else 0.0), 0.15
    height = top_in + (header_rows + graph_rows + footer_rows) * ROW_IN + bottom_in

    fig = new_figure(width, height, lang)
    note_fallback(fig, language, lang)
    family = family_of(fig)
    ax_bottom = (bottom_in + footer_rows * ROW_IN) / height
    ax_height = graph_rows * ROW_IN / height
    ax, trans = _row_axes(fig, (plot_left / width, ax_bottom, PLOT_IN / width, ax_height), graph_rows - 0.5)

    def put(xin: float, y: float, s: str, ha: str = "right", bold: bool = False,
            size: float = FONT_SIZE) -> None:
        if s:
            fig.text(xin / width, y, s, transform=trans, ha=ha, va="center", fontsize=size,
                     fontfamily=family, fontweight="bold" if bold else "normal",
                     path_effects=bold_effects(family) if bold else None)

    # Headers
    first_top, first_bottom = -2.0, -1.0
    if title:
        put(left_margin, -3.2, title, ha="left", bold=True)
    if arms is not None:
        for arm, name in zip(arm_keys, labels, strict=True):
            left = right_edge[arm[0]] - num_w[arm[0]]
            put((left + right_edge[arm[-1]]) / 2, first_top, name, ha="center", bold=True)
    put((right_edge["effect"] - effect_w / 2), first_top, measure, ha="center", bold=True)
    put(plot_left + PLOT_IN / 2, first_top, measure, ha="center", bold=True)
    put(left_margin, first_bottom, lab["study"], ha="left", bold=True)
    for k in arm_cols:
        put(right_edge[k] - pad / 2, first_bottom, arm_heads[k], bold=True)
    put(right_edge["weight"] - pad / 2, first_bottom, lab["weight"], bold=True)
    put(right_edge["effect"] - effect_w / 2, first_bottom, effect_head, ha="center", bold=True)
    put(plot_left + PLOT_IN / 2, first_bottom, effect_head, ha="center", bold=True)
    fig.add_artist(Line2D([left_margin / width, 1 - right_margin / width], [-0.5, -0.5],
                          transform=trans, color="black", linewidth=0.8))

    # Axis range
    shown: list[float] = []
    for r in rows:
        if r.study is not None and math.isfinite(r.study.weight):
            se = math.sqrt(r.study.vi)
            shown += [show(r.study.yi - z * se), show(r.study.yi + z * se)]
        if r.estimate is not None:
            shown += [show(r.estimate.ci_low), show(r.estimate.ci_high)]
    estimates = [show(r.study.yi) for r in rows if r.study is not None and math.isfinite(r.study.yi)]
    limit, ticks = _axis_limit(shown, log)
    cap, _ = _axis_limit([*estimates, show(result.overall.ci_low), show(result.overall.ci_high)], log)
    if limit > cap * (10 if log else 4):  # one very wide CI should not flatten the others
        limit, ticks = _axis_limit([cap * (10 if log else 4)], log)
        add_note(fig, "some confidence intervals run past the axis (drawn as arrows)")
    lo, hi = _set_effect_axis(ax, limit, ticks, log)
    for tick_label in ax.get_xticklabels():
        tick_label.set_fontfamily(family)
    null = 1.0 if log else 0.0
    ax.axvline(null, color="black", linewidth=0.6, zorder=1)

    weights = [r.study.weight for r in rows if r.study is not None and math.isfinite(r.study.weight)]
    wmax = max(weights, default=1.0) or 1.0
    # Plain cells of a column share one multi-line Text (one layout and draw per column, not
    # per cell: a 100-study plot has ~900 cells); bold and footnote rows stay separate.
    columns: dict[tuple[float, str], dict[int, str]] = {}

    def cell(xin: float, i: int, s: str, ha: str = "right", bold: bool = False,
             size: float = FONT_SIZE) -> None:
        if bold or size != FONT_SIZE or "\n" in s:
            put(xin, float(i), s, ha=ha, bold=bold, size=size)
        elif s:
            columns.setdefault((xin, ha), {})[i] = s

    markers: list[tuple[StudyRow, float]] = []
    for i, r in enumerate(rows):
        y = float(i)
        cell(left_margin + (0.15 if r.kind == "study" and membership else 0.0), i,
             r.cells.get("study", ""), ha="left", bold=r.bold,
             size=FONT_SIZE - 0.5 if r.kind == "text" else FONT_SIZE)
        for k in arm_cols:
            cell(right_edge[k] - pad / 2, i, r.cells.get(k, ""), bold=r.bold)
        cell(right_edge["weight"] - pad / 2, i, r.cells.get("weight", ""), bold=r.bold)
        cell(right_edge["effect"] - pad / 2, i, r.cells.get("effect", ""), bold=r.bold)
        if r.kind == "study" and r.study is not None and math.isfinite(r.study.weight):
            markers.append((r.study, y))
        elif r.kind in ("subtotal", "overall") and r.estimate is not None:
            e = r.estimate
            gid = "diamond-overall" if r.kind == "overall" else f"diamond-{r.cells.get('group', '')}"
            ax.add_patch(Polygon(
                [(show(e.ci_low), y), (show(e.estimate), y - 0.32), (show(e.ci_high), y),
                 (show(e.estimate), y + 0.32)],
                closed=True, facecolor="black", edgecolor="black", linewidth=0.5, gid=gid,
                clip_on=False, zorder=3,
            ))
        elif r.kind == "prediction" and r.estimate is not None:
            e = r.estimate
            ax.plot([max(show(e.pi_low), lo), min(show(e.pi_high), hi)], [y, y], color="black",
                    linewidth=1.6, solid_capstyle="butt", gid="prediction-interval")

    if rob is not None:
        _rob_columns(fig, ax, trans, rows, rob, rob_palette, rob_left / width, rob_cell / width,
                     first_bottom, family)

    _draw_markers(ax, markers, z, show, lo, hi, wmax)
    spacing = _linespacing(fig, family)
    for (xin, ha), lines in columns.items():
        first, last = min(lines), max(lines)
        fig.text(xin / width, (first + last) / 2, "\n".join(lines.get(i, "") for i in range(first, last + 1)),
                 transform=trans, ha=ha, va="center", fontsize=FONT_SIZE, fontfamily=family,
                 linespacing=spacing)

    # Favours labels under the tick labels
    fav_y = graph_rows - 0.5 + 2.2
    put(plot_left + PLOT_IN / 2 - 0.08, fav_y, lab["favours"].format(fav[0]), ha="right")
    put(plot_left + PLOT_IN / 2 + 0.08, fav_y, lab["favours"].format(fav[1]), ha="left")
    check_text(fig, [t.get_text() for t in fig.texts])
    return fig


def _letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else str(i + 1)


def _rob_columns(fig: Figure, ax: Axes, trans: Any, rows: list[_Row], rob: RobData, palette: str,
                 left: float, cell: float, header_y: float, family: list[str]) -> None:
    """RevMan's risk-of-bias columns: a letter per domain, a coloured circle per study."""
    colours = PALETTES[palette]
    for j, domain in enumerate(rob.domains):
        x = left + (j + 0.5) * cell
        fig.text(x, header_y, _letter(j), transform=trans, ha="center", va="center",
                 fontsize=FONT_SIZE, fontweight="bold", fontfamily=family, path_effects=bold_effects(family))
        ys, faces, marks = [], [], []
        for i, r in enumerate(rows):
            if r.kind != "study" or r.study is None:
                continue
            j_ = rob.judgements.get(r.study.study, {}).get(domain)
            if j_ is None:
                continue
            ys.append(float(i))
            faces.append(colours[j_])
            marks.append((float(i), j_))
        if ys:
            ax.scatter([x] * len(ys), ys, s=42, c=faces, edgecolors="#555555", linewidths=0.3,
                       transform=trans, clip_on=False, zorder=3, gid=f"rob-{domain}")
        for y, j_ in marks:
            fig.text(x, y, SYMBOLS[j_], transform=trans, ha="center", va="center",
                     fontsize=FONT_SIZE - 1.5, fontweight="bold", fontfamily=family,
                     path_effects=bold_effects(family),
                     color="white" if (palette, j_) in _WHITE_SYMBOL else "black")


def _linespacing(fig: Figure, family: list[str]) -> float:
    """The ``linespacing`` that puts the lines of a multi-line Text ROW_IN apart, measured
    (the step between lines depends on the font's metrics and matplotlib's version)."""
    probe = [Text(0, 0, "0\n0\n0", fontsize=FONT_SIZE, fontfamily=family, linespacing=1.0),
             Text(0, 0, "0", fontsize=FONT_SIZE, fontfamily=family, linespacing=1.0)]
    for t in probe:
        t.set_figure(fig)
    three, one = (t.get_window_extent().height for t in probe)
    step_px = (three - one) / 2
    return ROW_IN * fig.dpi / step_px if step_px > 0 else 1.2


def _draw_markers(ax: Axes, markers: list[tuple[StudyRow, float]], z: float, show: Any, lo: float,
                  hi: float, wmax: float) -> None:
    """Each study's CI line and its square (area ∝ weight); CIs past the axis end in arrows.
    The lines are one LineCollection and the squares one scatter, however many studies."""
    segments, squares, sizes, arrows = [], [], [], []
    for s, y in markers:
        se = math.sqrt(s.vi)
        left, right = show(s.yi - z * se), show(s.yi + z * se)
        segments.append([(max(left, lo), y), (min(right, hi), y)])
        for inside, edge, direction in ((left >= lo, lo, "<"), (right <= hi, hi, ">")):
            if not inside:
                arrows.append((edge, y, direction))
        est = show(s.yi)
        if lo <= est <= hi:
            squares.append((est, y))
            sizes.append(max(2.5, 9.0 * math.sqrt(max(s.weight, 0.0) / wmax)) ** 2)
    if not markers:
        return
    ax.add_collection(LineCollection(segments, colors="black", linewidths=0.8, zorder=2, gid="ci-lines"),
                      autolim=False)
    for direction in ("<", ">"):
        points = [(x, y) for x, y, d in arrows if d == direction]
        if points:
            ax.plot(*zip(*points, strict=True), linestyle="", marker=direction, color="black",
                    markersize=3.5, clip_on=False, zorder=2)
    if squares:
        xs, ys = zip(*squares, strict=True)
        ax.scatter(xs, ys, s=sizes, marker="s", color="#1f4e9c", edgecolors="none",
                   zorder=3, gid="squares")


def _arm_lookup(arm_data: pd.DataFrame | None, binary: bool, measure: str
                ) -> dict[str, dict[str, Any]] | None:
    if arm_data is None:
        return None
    need = ("e1", "n1", "e2", "n2") if binary else ("m1", "sd1", "n1", "m2", "sd2", "n2")
    missing = [c for c in ("study", *need) if c not in arm_data.columns]
    if missing:
        raise ValueError(
            f"arm_data for {measure} needs the columns {', '.join(('study', *need))}; "
            f"missing {', '.join(missing)} (pass the table given to evisynth.pool)"
        )
    return {str(row["study"]): {c: row[c] for c in need} for _, row in arm_data.iterrows()}


def _membership(result: PoolResult, groups: Mapping[str, str] | str | None,
                arm_data: pd.DataFrame | None) -> dict[str, str] | None:
    if not result.subgroups:
        return None
    if groups is None:
        raise ValueError("the result has subgroups: pass groups= (study → subgroup, or the by= column "
                         "of arm_data)")
    if isinstance(groups, str):
        if arm_data is None or groups not in arm_data.columns:
            raise ValueError(f"groups={groups!r} names a column of arm_data, which lacks it")
        mapping = {str(s): str(g) for s, g in zip(arm_data["study"], arm_data[groups], strict=True)}
    else:
        mapping = {str(k): str(v) for k, v in groups.items()}
    unknown = [s.study for s in result.studies if s.study not in mapping]
    if unknown:
        raise ValueError(f"groups= has no subgroup for {', '.join(unknown[:3])}")
    return mapping


def _build_rows(result: PoolResult, membership: dict[str, str] | None,
                arms: dict[str, dict[str, Any]] | None, arm_cols: list[str], lab: dict[str, str],
                level: str, z: float, show: Any, digits: int, binary: bool,
                prediction_interval: bool) -> list[_Row]:
    assert result.overall is not None
    random = result.model == "random"
    lang: Language = "zh" if lab is LABELS["zh"] else "en"
    rows: list[_Row] = []

    def study_row(s: StudyRow) -> _Row:
        cells = {"study": s.study}
        if arms is not None and s.study in arms:
            cells.update({k: _fmt_value(arms[s.study][k]) for k in arm_cols})
        if math.isfinite(s.weight) and math.isfinite(s.yi):
            se = math.sqrt(s.vi)
            cells["weight"] = f"{s.weight:.1f}%"
            cells["effect"] = format_effect(show(s.yi), show(s.yi - z * se), show(s.yi + z * se), digits)
        else:
            cells["weight"] = ""
            cells["effect"] = lab["not_estimable"]
        return _Row("study", cells, study=s)

    def total_rows(studies: Sequence[StudyRow], e: Estimate, kind: str, name: str) -> None:
        cells = {"study": name, "group": name}
        weight = sum(s.weight for s in studies if math.isfinite(s.weight))
        cells["weight"] = f"{weight:.1f}%"
        cells["effect"] = format_effect(show(e.estimate), show(e.ci_low), show(e.ci_high), digits)
        if arms is not None:
            for k in ("n1", "n2"):
                cells[k] = _fmt_value(sum(float(arms[s.study][k]) for s in studies if s.study in arms))
        label = lab["subtotal" if kind == "subtotal" else "overall"].format(level=level)
        rows.append(_Row(kind, {**cells, "study": label}, estimate=e, bold=True))
        if arms is not None and binary:
            ev = {k: _fmt_value(sum(float(arms[s.study][k]) for s in studies if s.study in arms))
                  for k in ("e1", "e2")}
            rows.append(_Row("blank", {"study": lab["total_events"], **ev}))
        if e.k > 1 and e.q_df > 0:
            rows.append(_Row("text", {"study": heterogeneity_text(e, random=random, language=lang)}))
        rows.append(_Row("text", {"study": overall_test_text(e, test=result.test, language=lang)}))

    if membership is None:
        rows += [study_row(s) for s in result.studies]
        _overall(rows, result, total_rows, prediction_interval, lab)
    else:
        assert result.subgroups is not None
        for name, e in result.subgroups.items():
            members = [s for s in result.studies if membership[s.study] == name]
            rows.append(_Row("heading", {"study": name}, bold=True))
            rows += [study_row(s) for s in members]
            total_rows(members, e, "subtotal", name)
            rows.append(_Row("blank"))
        _overall(rows, result, total_rows, prediction_interval, lab)
        if result.subgroup_test is not None:
            t = result.subgroup_test
            colon = "：" if lang == "zh" else ": "
            rows.append(_Row("text", {"study": (
                f"{lab['subgroup_test']}{colon}Chi² = {t.q:.2f}, df = {t.df} ({format_p_revman(t.p)})"
                f"{lab['sep']}I² = {t.i2:.1f}%"
            )}))
    return rows


def _overall(rows: list[_Row], result: PoolResult, total_rows: Any, prediction_interval: bool,
             lab: dict[str, str]) -> None:
    assert result.overall is not None
    start = len(rows)
    total_rows(list(result.studies), result.overall, "overall", "")
    e = result.overall
    if prediction_interval and math.isfinite(e.pi_low) and math.isfinite(e.pi_high):
        rows.insert(start + 1, _Row("prediction", {"study": lab["prediction"]}, estimate=e))
