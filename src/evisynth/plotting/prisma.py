"""PRISMA 2020 flow diagram (Page et al. BMJ 2021;372:n71, figure 1, new reviews, databases).

Identification → screening → included down the left, with the records removed and the
reports excluded (with reasons) to the right. A count that is ``None`` reads "not reported"
("未报告"), never zero.
"""

from __future__ import annotations

import re

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from evisynth.plotting.fonts import (
    CJK_RANGES,
    Language,
    bold_effects,
    check_text,
    family_of,
    font_family,
    new_figure,
    note_fallback,
    resolve_language,
    text_width_in,
)
from evisynth.review.model import PrismaCounts
from evisynth.review.screening import PrismaFlow

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
#: Box texts of the PRISMA 2020 template "new systematic reviews which included searches of
#: databases and registers only" (Page et al. BMJ 2021;372:n71, figure 1); the Chinese texts
#: are ours, following the wording of LABELS above.
LABELS_2020 = {
    "en": {
        "header": "Identification of new studies via databases and registers",
        "identified": "Records identified from:", "databases": "Databases", "registers": "Registers",
        "removed": "Records removed before screening:", "duplicates": "Duplicate records removed",
        "automation": "Records marked as ineligible by automation tools",
        "other": "Records removed for other reasons", "screened": "Records screened",
        "excluded": "Records excluded", "sought": "Reports sought for retrieval",
        "not_retrieved": "Reports not retrieved", "assessed": "Reports assessed for eligibility",
        "reports_excluded": "Reports excluded:", "studies": "Studies included in review",
        "reports": "Reports of included studies",
        "pending": "Still being screened: {} (title/abstract), {} (full text)",
    },
    "zh": {
        "header": "通过数据库和注册平台识别新研究",
        "identified": "识别的记录：", "databases": "数据库", "registers": "注册平台",
        "removed": "筛选前移除的记录：", "duplicates": "移除的重复记录",
        "automation": "经自动化工具标记为不合格的记录", "other": "因其他原因移除的记录",
        "screened": "筛选的记录", "excluded": "排除的记录", "sought": "尝试获取全文的报告",
        "not_retrieved": "未能获取全文的报告", "assessed": "评估合格性的报告",
        "reports_excluded": "排除的报告：", "studies": "纳入系统评价的研究", "reports": "纳入研究的报告",
        "pending": "仍在筛选：{}（标题和摘要），{}（全文）",
    },
}
_LINE_IN = 0.19
_FONT = 8.5
#: Space (inches) between a box's edge and its text.
_PAD = 0.1
#: Where a box's line may break: after a count "(n = ...)" kept whole, after a CJK character
#: (with the closing punctuation that follows it), or after a word.
_BREAKS = re.compile(rf"\(n = [^)]*\) *|[{CJK_RANGES}][，。：；、）》」』]* *|[^ {CJK_RANGES}]+ *")


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
    fig = _flow_figure(main, side, phases, lang, lab["title"] if title else None)
    note_fallback(fig, language, lang)
    check_text(fig, [*sources, *reasons])
    return fig


def prisma2020_flow(flow: PrismaFlow, *, language: str = "en", title: bool = False) -> Figure:
    """Draw the PRISMA 2020 template (new reviews, databases and registers only) from ``flow``.

    Every box of the template is drawn, each with its count (computed, never typed): records
    identified per database and register, removed before screening (duplicates, automation,
    other), screened and excluded, reports sought and not retrieved, assessed and excluded
    with each reason, studies and reports included. Records still being screened are noted
    under the figure, since the template has no box for them.
    """
    lang = resolve_language(language)
    lab, base = LABELS_2020[lang], LABELS[lang]

    def n(value: int) -> str:
        return _n(value, base)

    sources = [f"    {name} {n(k)}" for name, k in flow.database_specific.items()]
    registers = [f"    {name} {n(k)}" for name, k in flow.register_specific.items()]
    reasons = [f"  {reason} {n(k)}" for reason, k in flow.exclusion_reasons.items()]
    main = [
        [lab["identified"], f"  {lab['databases']} {n(flow.database_results)}", *sources,
         f"  {lab['registers']} {n(flow.register_results)}", *registers],
        [lab["screened"], n(flow.records_screened)],
        [lab["sought"], n(flow.sought_reports)],
        [lab["assessed"], n(flow.assessed)],
        [f"{lab['studies']} {n(flow.new_studies)}", f"{lab['reports']} {n(flow.new_reports)}"],
    ]
    side: list[list[str] | None] = [
        [lab["removed"], f"  {lab['duplicates']} {n(flow.duplicates)}",
         f"  {lab['automation']} {n(flow.excluded_automatic)}",
         f"  {lab['other']} {n(flow.excluded_other)}"],
        [lab["excluded"], n(flow.records_excluded)],
        [lab["not_retrieved"], n(flow.notretrieved_reports)],
        [lab["reports_excluded"], *reasons] if reasons else [lab["reports_excluded"], n(0)],
        None,
    ]
    phases = [(base["identification"], 0, 0), (base["screening"], 1, 3), (base["included"], 4, 4)]
    fig = _flow_figure(main, side, phases, lang, base["title"] if title else None, header=lab["header"],
                       side_w=3.9)
    note_fallback(fig, language, lang)
    if flow.pending_title_abstract or flow.pending_full_text:
        fig.text(0.01, 0.005, lab["pending"].format(flow.pending_title_abstract, flow.pending_full_text),
                 fontsize=_FONT - 1, ha="left", va="bottom", fontfamily=family_of(fig), style="italic")
    check_text(fig, [*sources, *registers, *reasons])
    return fig


def _wrap(line: str, width_in: float, family: list[str]) -> list[str]:
    """``line`` broken into lines that fit ``width_in``; the continuations are indented two
    spaces more than the line. A word wider than the box stays whole."""
    if text_width_in(line, family, _FONT) <= width_in:
        return [line]
    body = line.lstrip(" ")
    hanging = line[: len(line) - len(body)] + "  "
    lines, current = [], line[: len(line) - len(body)]
    for piece in _BREAKS.findall(body):
        if current.strip() and text_width_in((current + piece).rstrip(), family, _FONT) > width_in:
            lines.append(current.rstrip())
            current = hanging
        current += piece
    return [*lines, current.rstrip()]


def _flow_figure(main: list[list[str]], side: list[list[str] | None], phases: list[tuple[str, int, int]],
                 lang: Language, title: str | None, header: str | None = None,
                 side_w: float = 3.2) -> Figure:
    """Boxes down the left (``main``), side boxes to the right, phase bands, an optional header."""

    band, gap_x, box_w, margin, header_h = 0.45, 0.5, 3.0, 0.15, 0.4
    width = margin + band + 0.15 + box_w + gap_x + side_w + margin
    family = font_family(lang)
    # A box's text is centred when it has one or two lines (before wrapping), as in the template.
    centred = [(len(m) <= 2, s is not None and len(s) <= 2) for m, s in zip(main, side, strict=True)]
    main = [[part for line in m for part in _wrap(line, box_w - 2 * _PAD, family)] for m in main]
    side = [None if s is None else [part for line in s for part in _wrap(line, side_w - 2 * _PAD, family)]
            for s in side]
    heights = [max(len(m), len(s) if s else 0) * _LINE_IN + 0.2 for m, s in zip(main, side, strict=True)]
    gap_y = 0.35
    for name, first, last in phases:  # a phase's band must be as tall as its rotated label
        span = sum(heights[first:last + 1]) + gap_y * (last - first)
        need = text_width_in(name, family, _FONT + 0.5, bold=True) + 0.25
        heights[last] += max(0.0, need - span)
    top = margin + (0.4 if title else 0.0) + (header_h + gap_y if header else 0.0)
    height = top + sum(heights) + gap_y * (len(heights) - 1) + margin
    fig = new_figure(width, height, lang)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    if title:
        ax.text(width / 2, margin + 0.15, title, ha="center", va="center", fontsize=11,
                fontweight="bold", fontfamily=family, path_effects=bold_effects(family))

    x_main = margin + band + 0.15
    if header:
        y_header = margin + (0.4 if title else 0.0)
        ax.add_patch(Rectangle((x_main, y_header), box_w + gap_x + side_w, header_h, facecolor="#ffd966",
                               edgecolor="black", linewidth=0.8, gid="prisma-header"))
        ax.text(x_main + (box_w + gap_x + side_w) / 2, y_header + header_h / 2, header, ha="center",
                va="center", fontsize=_FONT + 0.5, fontweight="bold", fontfamily=family,
                path_effects=bold_effects(family))
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
            ax.text(x + _PAD, y0 + h / 2, text, ha="left", va="center", fontsize=_FONT,
                    fontfamily=family, linespacing=1.35)

    for i, (lines, extra) in enumerate(zip(main, side, strict=True)):
        h = heights[i]
        box(x_main, tops[i], box_w, h, lines, centre=centred[i][0], gid=f"prisma-main-{i}")
        if i + 1 < len(main):
            ax.add_patch(FancyArrowPatch((x_main + box_w / 2, tops[i] + h),
                                         (x_main + box_w / 2, tops[i + 1]), arrowstyle="-|>",
                                         mutation_scale=10, color="black", linewidth=0.8))
        if extra is not None:
            box(x_side, tops[i], side_w, h, extra, centre=centred[i][1], gid=f"prisma-side-{i}")
            ax.add_patch(FancyArrowPatch((x_main + box_w, tops[i] + h / 2), (x_side, tops[i] + h / 2),
                                         arrowstyle="-|>", mutation_scale=10, color="black",
                                         linewidth=0.8))
    for name, first, last in phases:
        y0, y1 = tops[first], tops[last] + heights[last]
        ax.add_patch(Rectangle((margin, y0), band, y1 - y0, facecolor="#cfe2f3", edgecolor="#6f8faf",
                               linewidth=0.6))
        ax.text(margin + band / 2, (y0 + y1) / 2, name, rotation=90, ha="center", va="center",
                fontsize=_FONT + 0.5, fontweight="bold", fontfamily=family,
                path_effects=bold_effects(family))
    return fig
