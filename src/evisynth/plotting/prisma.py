"""PRISMA 2020 flow diagram (Page et al. BMJ 2021;372:n71, figure 1, new reviews, databases).

Identification → screening → included down the left, with the records removed and the
reports excluded (with reasons) to the right. A count that is ``None`` reads "not reported"
("未报告"), never zero.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from evisynth.plotting.fonts import (
    check_text,
    family_of,
    has_cjk,
    new_figure,
    note_fallback,
    resolve_language,
)
from evisynth.review.model import PrismaCounts

LABELS = {
    "en": {
        "identification": "Identification", "screening": "Screening", "included": "Included",
        "identified": "Records identified from databases", "removed": "Records removed before screening:",
        "duplicates": "Duplicate records removed", "screened": "Records screened",
        "excluded_ta": "Records excluded (title and abstract)",
        "assessed": "Reports assessed for eligibility", "excluded_ft": "Reports excluded",
        "studies": "Studies included in review", "not_reported": "not reported", "n": "n = {}",
        "title": "PRISMA 2020 flow diagram",
    },
    "zh": {
        "identification": "识别", "screening": "筛选", "included": "纳入",
        "identified": "通过数据库检索到的记录", "removed": "筛选前移除的记录：",
        "duplicates": "重复记录", "screened": "筛选的记录", "excluded_ta": "排除的记录（标题和摘要）",
        "assessed": "全文评估的报告", "excluded_ft": "排除的报告", "studies": "纳入系统评价的研究",
        "not_reported": "未报告", "n": "n = {}", "title": "PRISMA 2020 流程图",
    },
}
_LINE_IN = 0.19
_FONT = 8.5


def _n(value: int | None, lab: dict[str, str]) -> str:
    return f"({lab['n'].format(value if value is not None else lab['not_reported'])})"


def prisma_flow(counts: PrismaCounts, *, language: str = "en", title: bool = False) -> Figure:
    """Draw the PRISMA 2020 flow of ``counts``; returns a Figure."""
    lang = resolve_language(language)
    lab = LABELS[lang]
    colon = "：" if lang == "zh" else ":"
    sources = [f"  {name} {_n(n, lab)}" for name, n in counts.identified_by_source.items()]
    reasons = [f"  {reason} {_n(n, lab)}" for reason, n in counts.full_text_exclusion_reasons.items()]
    main = [
        [f"{lab['identified']} {_n(counts.identified, lab)}" + (colon if sources else ""), *sources],
        [lab["screened"], _n(counts.screened, lab)],
        [lab["assessed"], _n(counts.assessed_full_text, lab)],
        [lab["studies"], _n(counts.included, lab)],
    ]
    side: list[list[str] | None] = [
        [lab["removed"], f"  {lab['duplicates']} {_n(counts.duplicates_removed, lab)}"],
        [lab["excluded_ta"], _n(counts.excluded_title_abstract, lab)],
        [f"{lab['excluded_ft']} {_n(counts.excluded_full_text, lab)}" + (colon if reasons else ""),
         *reasons],
        None,
    ]
    phases = [(lab["identification"], 0, 0), (lab["screening"], 1, 2), (lab["included"], 3, 3)]

    band, gap_x, box_w, side_w, margin = 0.45, 0.5, 3.0, 3.2, 0.15
    width = margin + band + 0.15 + box_w + gap_x + side_w + margin
    heights = [max(len(m), len(s) if s else 0) * _LINE_IN + 0.2 for m, s in zip(main, side, strict=True)]
    gap_y = 0.35
    for name, first, last in phases:  # a phase's band must be as tall as its rotated label
        span = sum(heights[first:last + 1]) + gap_y * (last - first)
        need = sum(0.13 if has_cjk(c) else 0.085 for c in name) + 0.25
        heights[last] += max(0.0, need - span)
    top = margin + (0.4 if title else 0.0)
    height = top + sum(heights) + gap_y * (len(heights) - 1) + margin
    fig = new_figure(width, height, lang)
    note_fallback(fig, language, lang)
    family = family_of(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    if title:
        ax.text(width / 2, margin + 0.15, lab["title"], ha="center", va="center", fontsize=11,
                fontweight="bold", fontfamily=family)

    x_main = margin + band + 0.15
    x_side = x_main + box_w + gap_x
    tops, y = [], top
    for h in heights:
        tops.append(y)
        y += h + gap_y

    def box(x: float, y0: float, w: float, h: float, lines: list[str], centre: bool, gid: str) -> None:
        ax.add_patch(Rectangle((x, y0), w, h, facecolor="white", edgecolor="black", linewidth=0.8,
                               gid=gid))
        text = "\n".join(lines)
        if centre:
            ax.text(x + w / 2, y0 + h / 2, text, ha="center", va="center", fontsize=_FONT,
                    fontfamily=family, linespacing=1.35)
        else:
            ax.text(x + 0.1, y0 + h / 2, text, ha="left", va="center", fontsize=_FONT,
                    fontfamily=family, linespacing=1.35)

    for i, (lines, extra) in enumerate(zip(main, side, strict=True)):
        h = heights[i]
        box(x_main, tops[i], box_w, h, lines, centre=len(lines) <= 2, gid=f"prisma-main-{i}")
        if i + 1 < len(main):
            ax.add_patch(FancyArrowPatch((x_main + box_w / 2, tops[i] + h),
                                         (x_main + box_w / 2, tops[i + 1]), arrowstyle="-|>",
                                         mutation_scale=10, color="black", linewidth=0.8))
        if extra is not None:
            box(x_side, tops[i], side_w, h, extra, centre=len(extra) <= 2, gid=f"prisma-side-{i}")
            ax.add_patch(FancyArrowPatch((x_main + box_w, tops[i] + h / 2), (x_side, tops[i] + h / 2),
                                         arrowstyle="-|>", mutation_scale=10, color="black",
                                         linewidth=0.8))
    for name, first, last in phases:
        y0, y1 = tops[first], tops[last] + heights[last]
        ax.add_patch(Rectangle((margin, y0), band, y1 - y0, facecolor="#cfe2f3", edgecolor="#6f8faf",
                               linewidth=0.6))
        ax.text(margin + band / 2, (y0 + y1) / 2, name, rotation=90, ha="center", va="center",
                fontsize=_FONT + 0.5, fontweight="bold", fontfamily=family)
    check_text(fig, [*sources, *reasons])
    return fig
