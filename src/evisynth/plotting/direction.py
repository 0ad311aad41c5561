"""Effect direction plot for synthesis without meta-analysis (SWiM), from the table that
``evisynth.review.narrative.effect_direction_table`` builds.

Thomson HJ, Thomas S. Res Synth Methods 2013;4:95-101, revised by Boon MH, Thomson H. Res
Synth Methods 2021;12:29-33: one row per study, one column per outcome; ▲ benefit, ▼ harm,
◆ no change, ◄► conflicting (no statistical significance shown); the arrow's size may show
the study's sample size. Outcomes without a better direction show ↑/↓ as text. Under the
grid, the vote count per outcome with the sign test's p.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from evisynth.plotting.fonts import check_text, family_of, new_figure, note_fallback, resolve_language
from evisynth.review.narrative import EffectDirectionTable

#: direction → (marker, colour); "conflicting" is drawn as two markers ◄►.
MARKERS: dict[str, tuple[str, str]] = {
    "benefit": ("^", "#1a9641"),
    "harm": ("v", "#d7191c"),
    "no_change": ("D", "#636363"),
    "conflicting": ("<", "#fdae61"),
}
TEXT_SYMBOLS = {"increase": "↑", "decrease": "↓", "not_assessable": "—"}
LABELS = {
    "en": {"study": "Study", "benefit": "Benefit", "harm": "Harm", "no_change": "No change",
           "conflicting": "Conflicting", "arrows": "↑/↓ increase/decrease (no better direction defined)",
           "votes": "Benefit / studies (sign test p)", "size": "Marker size: sample size"},
    "zh": {"study": "研究", "benefit": "有利", "harm": "不利", "no_change": "无变化",
           "conflicting": "结果不一致", "arrows": "↑/↓ 升高/降低（方向未定义优劣）",
           "votes": "有利研究数 / 研究数（符号检验 p）", "size": "标记大小：样本量"},
}


def effect_direction_plot(
    table: EffectDirectionTable,
    *,
    outcome_labels: Mapping[str, str] | None = None,
    sample_sizes: Mapping[str, float] | None = None,
    language: str = "en",
) -> Figure:
    """Draw ``table`` as an effect direction plot; returns a Figure.

    ``outcome_labels`` maps outcome ids to column headings (default: the ids);
    ``sample_sizes`` (study → participants) scales the markers into three sizes (by
    tertile of the studies' sizes), as Boon & Thomson suggest; without it all are equal.
    """
    lang = resolve_language(language)
    lab = LABELS[lang]
    studies: Sequence[str] = table.studies
    wrap = 7 if lang == "zh" else 14
    outcomes = [(o, _wrap((outcome_labels or {}).get(o, o), wrap)) for o in table.outcomes]
    n, m = len(studies), len(outcomes)
    if n == 0 or m == 0:
        raise ValueError("the effect direction table is empty (no study or no outcome)")
    name_in = max([len(s) for s in studies] + [6]) * 0.075 + 0.3
    col_in = max([0.8] + [len(line) * (0.12 if lang == "zh" else 0.07) + 0.15
                          for _, label in outcomes for line in label.split("\n")])
    row_in = 0.3
    head_lines = max(label.count("\n") + 1 for _, label in outcomes)
    head_in, foot_in = 0.25 + 0.16 * head_lines, 1.0
    width = name_in + m * col_in + 0.3
    height = head_in + (n + 1) * row_in + foot_in
    fig = new_figure(max(width, 4.5), height, lang)
    width = max(width, 4.5)
    note_fallback(fig, language, lang)
    family = family_of(fig)
    ax = fig.add_axes((name_in / width, foot_in / height, m * col_in / width, (n + 1) * row_in / height))
    ax.set_xlim(-0.5, m - 0.5)
    ax.set_ylim(n + 0.5, -0.5)
    ax.set_xticks(range(m))
    ax.set_xticklabels([label for _, label in outcomes], fontfamily=family, fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(range(n + 1))
    ax.set_yticklabels([*studies, lab["votes"].split(" (")[0].split("（")[0]], fontfamily=family,
                       fontsize=8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.axhline(n - 0.5, color="black", linewidth=0.6)
    sizes = _size_classes(studies, sample_sizes)
    used: set[str] = set()
    for row, study in enumerate(studies):
        for col, (outcome, _) in enumerate(outcomes):
            cell = table.cells.get(study, {}).get(outcome)
            if cell is None:
                continue
            d = cell.direction
            gid = f"dir-{study}-{outcome}"
            if d in MARKERS:
                used.add(d)
                marker, colour = MARKERS[d]
                s = sizes[study]
                if d == "conflicting":
                    ax.scatter([col - 0.09], [row], s=s * 0.6, marker="<", color=colour,
                               edgecolors="black", linewidths=0.3, gid=gid)
                    ax.scatter([col + 0.09], [row], s=s * 0.6, marker=">", color=colour,
                               edgecolors="black", linewidths=0.3, gid=gid + "-right")
                else:
                    ax.scatter([col], [row], s=s, marker=marker, color=colour, edgecolors="black",
                               linewidths=0.3, gid=gid)
            else:
                ax.text(col, row, TEXT_SYMBOLS[d], ha="center", va="center", fontsize=10,
                        fontfamily=family, gid=gid)
    votes = {v.outcome: v for v in table.votes}
    for col, (outcome, _) in enumerate(outcomes):
        v = votes.get(outcome)
        if v is None:
            continue
        voted = v.benefit + v.harm
        p = "—" if v.p is None else f"{v.p:.2f}"
        ax.text(col, n, f"{v.benefit}/{voted} ({p})" if voted else "—", ha="center", va="center",
                fontsize=7, fontfamily=family, gid=f"vote-{outcome}")
    handles = [Line2D([], [], marker=MARKERS[d][0], linestyle="", markersize=7,
                      markerfacecolor=MARKERS[d][1], markeredgecolor="black", markeredgewidth=0.3,
                      label=lab[d]) for d in ("benefit", "harm", "no_change", "conflicting") if d in used]
    if handles:
        fig.legend(handles=handles, loc="lower left", ncol=len(handles), frameon=False,
                   prop={"family": family, "size": 7}, bbox_to_anchor=(0.02, 0.3 / height))
    notes = [lab["votes"]]
    if any(c.direction in ("increase", "decrease") for row in table.cells.values() for c in row.values()):
        notes.append(lab["arrows"])
    if sample_sizes is not None:
        notes.append(lab["size"])
    fig.text(0.02, 0.12 / height, "; ".join(notes), fontsize=6.5, fontfamily=family, va="bottom")
    check_text(fig, [*studies, *(label for _, label in outcomes)])
    return fig


def _wrap(text: str, width: int) -> str:
    """Break a heading into lines of about ``width`` characters (at spaces when there are any)."""
    if len(text) <= width:
        return text
    if " " in text:
        return textwrap.fill(text, width)
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))


def _size_classes(studies: Sequence[str], sample_sizes: Mapping[str, float] | None) -> dict[str, float]:
    """Marker areas: three sizes by tertile of the sample sizes (one size without them)."""
    if sample_sizes is None:
        return dict.fromkeys(studies, 80.0)
    known = sorted(float(sample_sizes[s]) for s in studies if s in sample_sizes)
    if not known:
        return dict.fromkeys(studies, 80.0)
    low, high = known[len(known) // 3], known[(2 * len(known)) // 3]
    out = {}
    for s in studies:
        size = sample_sizes.get(s)
        out[s] = 80.0 if size is None else (40.0 if size < low else 130.0 if size >= high else 80.0)
    return out
