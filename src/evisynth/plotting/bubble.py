"""Bubble plot for a meta-regression on one continuous moderator (e.g. effect against daily
dose): each study's effect against its moderator value, the point's area proportional to its
weight in the meta-regression, 1/(vi + τ²); the fitted line b0 + b1·x with its confidence
band, var(ŷ) = x'(X'WX)⁻¹x (metafor ``regplot``; Raudenbush 2009). Ratios are drawn
exponentiated on a log axis.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator
from scipy import stats

from evisynth.core.results import PoolResult
from evisynth.plotting.fonts import check_text, family_of, new_figure, note_fallback, resolve_language
from evisynth.plotting.forest import MEASURE_NAMES

LABELS = {
    "en": {"studies": "Studies (area ∝ weight)", "fit": "Meta-regression line",
           "band": "{level} confidence band", "log": " (log scale)",
           "slope": "slope {b:.3f} ({lo:.3f} to {hi:.3f}), p = {p:.3g}; R² = {r2}"},
    "zh": {"studies": "研究（面积 ∝ 权重）", "fit": "Meta 回归线", "band": "{level} 置信带",
           "log": "（对数尺度）", "slope": "斜率 {b:.3f}（{lo:.3f} 至 {hi:.3f}），p = {p:.3g}；R² = {r2}"},
}


def bubble_plot(
    result: PoolResult,
    moderator_values: Mapping[str, float],
    *,
    moderator: str,
    xlabel: str | None = None,
    language: str = "en",
    size: tuple[float, float] = (6.0, 4.2),
) -> Figure:
    """Draw ``result``'s meta-regression on ``moderator`` (the ``moderator=`` column given to
    ``evisynth.pool``); ``moderator_values`` maps each analysed study to its value.

    Raises ValueError when the result has no meta-regression with that one moderator.
    """
    mr = result.metaregression
    if mr is None or set(mr.coefficients) != {"intrcpt", moderator}:
        raise ValueError(
            f"the result needs a meta-regression on the one moderator {moderator!r}; "
            f"pool with moderator={moderator!r}"
        )
    rows = [s for s in result.studies if math.isfinite(s.weight) and math.isfinite(s.yi)]
    missing = [s.study for s in rows if s.study not in moderator_values]
    if missing:
        raise ValueError(f"moderator_values has no value for {', '.join(missing[:3])}")
    x = np.array([float(moderator_values[s.study]) for s in rows])
    yi = np.array([s.yi for s in rows])
    vi = np.array([s.vi for s in rows])
    w = 1 / (vi + mr.tau2)
    design = np.column_stack([np.ones_like(x), x])
    inv = np.linalg.inv(design.T @ (design * w[:, None]))
    b0, b1 = mr.coefficients["intrcpt"], mr.coefficients[moderator]
    # Knapp–Hartung scales (X'WX)⁻¹ by s²; the ratio of the reported SE² recovers it.
    scale = b0.se**2 / inv[0, 0]
    vb = inv * scale
    k = len(rows)
    if result.test == "t":
        crit = float(stats.t.ppf(0.5 + result.level / 200, k - 2))
    else:
        crit = float(stats.norm.ppf(0.5 + result.level / 200))
    span = float(x.max() - x.min()) or 1.0
    grid = np.linspace(x.min() - 0.05 * span, x.max() + 0.05 * span, 101)
    fit = b0.estimate + b1.estimate * grid
    se_fit = np.sqrt(vb[0, 0] + 2 * grid * vb[0, 1] + grid**2 * vb[1, 1])
    log = result.scale == "log"

    def show(v: np.ndarray) -> np.ndarray:
        return np.exp(v) if log else v

    lang = resolve_language(language)
    lab = LABELS[lang]
    fig = new_figure(*size, lang)
    note_fallback(fig, language, lang)
    family = family_of(fig)
    ax = fig.add_axes((0.13, 0.2, 0.82, 0.72))
    level = f"{result.level:g}%"
    ax.fill_between(grid, show(fit - crit * se_fit), show(fit + crit * se_fit), color="#c6dbef",
                    linewidth=0, label=lab["band"].format(level=level), gid="band", zorder=1)
    ax.plot(grid, show(fit), color="#08519c", linewidth=1.2, label=lab["fit"], gid="fit", zorder=2)
    areas = 400 * w / w.max()
    ax.scatter(x, show(yi), s=areas, facecolors="#6baed6", edgecolors="black", linewidths=0.5,
               alpha=0.85, label=lab["studies"], gid="studies", zorder=3)
    ax.axhline(1.0 if log else 0.0, color="black", linewidth=0.6, linestyle=":", zorder=0)
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_locator(NullLocator())
    measure = MEASURE_NAMES.get(result.measure, (result.measure, result.measure))[lang == "zh"]
    ax.set_ylabel(measure + (lab["log"] if log else ""), fontfamily=family, fontsize=8)
    ax.set_xlabel(xlabel or moderator, fontfamily=family, fontsize=8)
    ax.tick_params(labelsize=7)
    r2 = "NA" if mr.r2 is None else f"{mr.r2:.0f}%"
    ax.set_title(lab["slope"].format(b=b1.estimate, lo=b1.ci_low, hi=b1.ci_high, p=b1.p, r2=r2),
                 fontfamily=family, fontsize=8, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="best", frameon=False, prop={"family": family, "size": 7}, markerscale=0.5)
    check_text(fig, [xlabel or moderator])
    return fig
