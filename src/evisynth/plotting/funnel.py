"""Funnel plot: each study's effect against its standard error (SE 0 at the top).

Pseudo-95% limits (estimate ± 1.96·SE) around the pooled estimate (Sterne & Egger 2001);
optional contour shading around the null at p = 0.10, 0.05 and 0.01 (Peters et al. 2008,
contour-enhanced funnel plots); trim-and-fill's filled studies as open circles (Duval &
Tweedie 2000, as metafor ``funnel(trimfill(...))``); optional Egger line (the weighted
regression of yi on sei, metafor ``regtest(model="lm")``, drawn as yi = b0 + b1·sei).
Ratios are drawn exponentiated on a log axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator
from scipy import stats

from evisynth.core import bias
from evisynth.core.results import PoolResult
from evisynth.plotting.fonts import check_text, family_of, new_figure, note_fallback, resolve_language
from evisynth.plotting.forest import MEASURE_NAMES

LABELS = {
    "en": {
        "se": "Standard error", "studies": "Studies", "filled": "Filled studies (trim-and-fill)",
        "pooled": "Pooled estimate", "limits": "Pseudo 95% limits", "egger": "Egger's regression",
        "log": " (log scale)", "contour": "p {}",
    },
    "zh": {
        "se": "标准误", "studies": "研究", "filled": "填补的研究（剪补法）", "pooled": "合并估计",
        "limits": "伪 95% 置信限", "egger": "Egger 回归线", "log": "（对数尺度）", "contour": "p {}",
    },
}
#: as metafor's contour-enhanced funnel: darkest nearest the null; p < 0.01 almost white
CONTOUR_COLOURS = ("#8c8c8c", "#bfbfbf", "#f0f0f0")  # 0.10-0.05, 0.05-0.01, < 0.01


def funnel_plot(
    result: PoolResult,
    *,
    contours: bool = False,
    trim_and_fill: bool = False,
    filled: tuple[Sequence[float], Sequence[float]] | None = None,
    egger: bool = False,
    language: str = "en",
    size: tuple[float, float] = (6.8, 4.5),
) -> Figure:
    """Draw the funnel of ``result``'s analysed studies; returns a Figure.

    ``trim_and_fill=True`` runs trim-and-fill (L0, the result's own model and tau² method)
    and adds the filled studies; ``filled=(yi, vi)`` gives them instead, on the analysis
    scale. ``contours`` shades p = 0.10/0.05/0.01 around the null; ``egger`` adds the line.
    """
    if result.overall is None:
        raise ValueError("the result has no overall estimate (no study was analysed)")
    rows = [s for s in result.studies if math.isfinite(s.weight) and math.isfinite(s.yi)]
    yi = np.array([s.yi for s in rows])
    vi = np.array([s.vi for s in rows])
    sei = np.sqrt(vi)
    log = result.scale == "log"
    lang = resolve_language(language)
    fig = new_figure(*size, lang)
    note_fallback(fig, language, lang)
    lab = LABELS[lang]
    family = family_of(fig)
    ax = fig.add_subplot()

    def show(v: np.ndarray) -> np.ndarray:
        return np.exp(v) if log else v

    filled_y = filled_v = np.empty(0)
    if filled is not None:
        filled_y, filled_v = np.asarray(filled[0], float), np.asarray(filled[1], float)
    elif trim_and_fill:
        tau2_method = result.tau2_method or "DL"
        tf = bias.trim_and_fill(yi, vi, random=result.model == "random",
                                tau2_method=tau2_method)  # type: ignore[arg-type]
        filled_y, filled_v = tf.filled_yi, tf.filled_vi
    se_max = float(max(sei.max(initial=0.0), np.sqrt(filled_v).max(initial=0.0))) * 1.08 or 1.0
    se_grid = np.linspace(0.0, se_max, 100)
    null = 0.0

    if contours:
        bands = ((0.10, 0.05), (0.05, 0.01), (0.01, 0.0))
        outer = float(stats.norm.ppf(1 - 0.0005))
        edge = outer * se_max
        for (p_hi, p_lo), colour in zip(bands, CONTOUR_COLOURS, strict=True):
            z_in = float(stats.norm.ppf(1 - p_hi / 2))
            z_out = float(stats.norm.ppf(1 - p_lo / 2)) if p_lo > 0 else None
            for sign in (-1, 1):
                inner = null + sign * z_in * se_grid
                far = null + sign * (z_out * se_grid if z_out else np.full_like(se_grid, edge * 3))
                label = lab["contour"].format(f"< {p_hi:.2f}" if p_lo == 0 else f"{p_lo:.2f}–{p_hi:.2f}")
                ax.fill_betweenx(se_grid, show(inner), show(far), color=colour, linewidth=0,
                                 label=label if sign == 1 else None, zorder=0)

    est = result.overall.estimate
    ax.plot(show(est - 1.96 * se_grid), se_grid, color="black", linestyle="--", linewidth=0.8,
            label=lab["limits"])
    ax.plot(show(est + 1.96 * se_grid), se_grid, color="black", linestyle="--", linewidth=0.8)
    ax.axvline(float(show(np.array(est))), color="black", linewidth=0.8, label=lab["pooled"])
    ax.scatter(show(yi), sei, s=22, color="black", zorder=3, label=lab["studies"], gid="studies")
    if filled_y.size:
        ax.scatter(show(filled_y), np.sqrt(filled_v), s=22, facecolors="white", edgecolors="black",
                   zorder=3, label=lab["filled"], gid="filled")
    if egger and yi.size >= 3:
        test = bias.egger_test(yi, vi)
        ax.plot(show(test.intercept + test.slope * se_grid), se_grid, color="#c0392b",
                linewidth=1.0, label=lab["egger"], gid="egger")

    if log:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
    spread = np.concatenate([yi, filled_y, [est - 1.96 * se_max, est + 1.96 * se_max]])
    lo, hi = float(spread.min()), float(spread.max())
    margin = 0.05 * (hi - lo or 1.0)
    ax.set_xlim(float(show(np.array(lo - margin))), float(show(np.array(hi + margin))))
    ax.set_ylim(se_max, 0.0)
    measure = MEASURE_NAMES.get(result.measure, (result.measure, result.measure))[lang == "zh"]
    ax.set_xlabel(measure + (lab["log"] if log else ""), fontfamily=family)
    ax.set_ylabel(lab["se"], fontfamily=family)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, borderaxespad=0.0,
              prop={"family": family, "size": 7})
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    check_text(fig, [lab["se"], measure])
    return fig
