"""Leave-one-out and cumulative meta-analysis plots, from ``PoolResult.leave_one_out`` and
``PoolResult.cumulative`` (``evisynth.pool(..., leave_one_out=True, cumulative="year")``).

One row per refitted analysis (the study omitted, or the study added last), its pooled
estimate as a point with its CI as a line; a dashed line at the estimate with every study
and a solid line at the null. Columns: the label, the effect with its CI as text, and
(leave-one-out) I². Ratios are drawn exponentiated on a log axis, as in the forest plot
(metafor ``forest(leave1out(...))``, ``forest(cumul(...))``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.figure import Figure

from evisynth.core.results import PoolResult, SensitivityRow
from evisynth.plotting.fonts import (
    bold_effects,
    check_text,
    family_of,
    new_figure,
    note_fallback,
    resolve_language,
)
from evisynth.plotting.forest import (
    MEASURE_NAMES,
    _axis_limit,
    _row_axes,
    _set_effect_axis,
    _text_width_in,
    format_effect,
)

FONT_SIZE = 8.0
ROW_IN = 0.2
PLOT_IN = 2.6

LABELS = {
    "en": {"leave_one_out": "Omitting", "cumulative": "Adding", "all": "All studies",
           "title_leave_one_out": "Leave-one-out analysis", "title_cumulative": "Cumulative meta-analysis",
           "i2": "I²", "ci": "{level} CI"},
    "zh": {"leave_one_out": "剔除", "cumulative": "加入", "all": "全部研究",
           "title_leave_one_out": "逐一剔除分析", "title_cumulative": "累积 Meta 分析",
           "i2": "I²", "ci": "{level} CI"},
}
KINDS = ("leave_one_out", "cumulative")


def sensitivity_plot(result: PoolResult, kind: str = "leave_one_out", *, language: str = "en",
                     digits: int = 2, title: str | None = None) -> Figure:
    """Plot ``result``'s leave-one-out (``kind='leave_one_out'``) or cumulative rows.

    Raises ValueError when the result lacks them (pool with ``leave_one_out=True`` or
    ``cumulative=COLUMN``).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
    rows: Sequence[SensitivityRow] | None = getattr(result, kind)
    if not rows or result.overall is None:
        option = "leave_one_out=True" if kind == "leave_one_out" else "cumulative=COLUMN"
        raise ValueError(f"the result has no {kind.replace('_', '-')} rows; pool with {option}")
    lang = resolve_language(language)
    lab = LABELS[lang]
    log = result.scale == "log"

    def show(v: float) -> float:
        return math.exp(v) if log else v

    level = f"{result.level:g}%"
    o = result.overall
    labels = [r.label for r in rows] + [lab["all"]]
    effects = [format_effect(show(r.estimate), show(r.ci_low), show(r.ci_high), digits) for r in rows]
    effects.append(format_effect(show(o.estimate), show(o.ci_low), show(o.ci_high), digits))
    i2s = [f"{r.i2:.0f}%" for r in rows] + [f"{o.i2:.0f}%"]
    measure = MEASURE_NAMES.get(result.measure, (result.measure, result.measure))[lang == "zh"]
    head = lab[kind]
    pad = 0.18
    name_w = max([_text_width_in(s) for s in [*labels, head]] + [1.0]) + pad
    effect_head = f"{measure} [{lab['ci'].format(level=level)}]"
    effect_w = max(_text_width_in(s) for s in [*effects, effect_head]) + pad
    i2_w = 0.5
    left_margin, gap, right_margin = 0.1, 0.15, 0.2
    plot_left = left_margin + name_w + effect_w + i2_w + gap
    width = plot_left + PLOT_IN + right_margin
    n = len(labels)
    top_in = 0.45 + (0.3 if title else 0.0)
    bottom_in = 0.55
    height = top_in + (n + 0.5) * ROW_IN + bottom_in
    fig = new_figure(width, height, lang)
    note_fallback(fig, language, lang)
    family = family_of(fig)
    ax, trans = _row_axes(fig, (plot_left / width, bottom_in / height, PLOT_IN / width,
                                (n + 0.5) * ROW_IN / height), n)

    def put(xin: float, y: float, s: str, ha: str = "right", bold: bool = False) -> None:
        fig.text(xin / width, y, s, transform=trans, ha=ha, va="center", fontsize=FONT_SIZE,
                 fontfamily=family, fontweight="bold" if bold else "normal",
                 path_effects=bold_effects(family) if bold else None)

    if title:
        fig.text(left_margin / width, 1 - 0.2 / height, title, ha="left", va="center",
                 fontsize=FONT_SIZE + 1, fontweight="bold", fontfamily=family,
                 path_effects=bold_effects(family))
    header_y = -1.2
    put(left_margin, header_y, head, ha="left", bold=True)
    effect_right = left_margin + name_w + effect_w
    put(effect_right - pad / 2, header_y, effect_head, bold=True)
    put(effect_right + i2_w - pad / 2, header_y, lab["i2"], bold=True)
    values = [show(v) for r in rows for v in (r.ci_low, r.ci_high)] + [show(o.ci_low), show(o.ci_high)]
    limit, ticks = _axis_limit(values, log)
    lo, hi = _set_effect_axis(ax, limit, ticks, log)
    ax.axvline(1.0 if log else 0.0, color="black", linewidth=0.6, zorder=1)
    ax.axvline(show(o.estimate), color="#555555", linewidth=0.6, linestyle="--", zorder=1,
               gid="overall-line")
    xs, ys = [], []
    for i, (r, label, effect, i2) in enumerate(zip([*rows, None], labels, effects, i2s, strict=True)):
        bold = r is None
        y = float(i) + (0.3 if bold else 0.0)
        put(left_margin, y, label, ha="left", bold=bold)
        put(effect_right - pad / 2, y, effect, bold=bold)
        put(effect_right + i2_w - pad / 2, y, i2, bold=bold)
        e = r if r is not None else o
        low, high = max(show(e.ci_low), lo), min(show(e.ci_high), hi)
        ax.plot([low, high], [y, y], color="black", linewidth=0.8, zorder=2,
                gid=f"ci-{i}" if r is not None else "ci-all")
        if r is None:
            ax.scatter([show(e.estimate)], [y], s=40, marker="D", color="black", zorder=3, gid="all")
        else:
            xs.append(show(e.estimate))
            ys.append(y)
    ax.scatter(xs, ys, s=22, marker="s", color="#1f4e9c", zorder=3, gid="estimates")
    check_text(fig, labels)
    return fig


def leave_one_out_plot(result: PoolResult, *, language: str = "en", digits: int = 2) -> Figure:
    """``sensitivity_plot(result, 'leave_one_out')``."""
    return sensitivity_plot(result, "leave_one_out", language=language, digits=digits)


def cumulative_plot(result: PoolResult, *, language: str = "en", digits: int = 2) -> Figure:
    """``sensitivity_plot(result, 'cumulative')``."""
    return sensitivity_plot(result, "cumulative", language=language, digits=digits)
