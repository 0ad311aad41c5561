"""Risk-of-bias figures: the traffic-light plot (study × domain) and the summary bar plot.

Both take plain data: ``judgements`` maps each study to {domain: judgement}, with judgements
among ``low``, ``unclear``, ``high`` (RoB 1) or ``some_concerns``, ``no_information`` (RoB 2),
and ``domains`` gives the order (with ``domain_labels`` to print). ``rob1_judgements`` turns
RoB 1 assessments (``RobAssessment``) into that data, with the Handbook 8.7 summary as the
"overall" column. Layout and palettes follow robvis (McGuinness & Higgins 2021) and RevMan 5's
"risk of bias summary" and "risk of bias graph".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from evisynth.plotting.fonts import (
    Language,
    bold_effects,
    check_text,
    family_of,
    new_figure,
    note_fallback,
    resolve_language,
)
from evisynth.review.appraisal import ROB1_DOMAINS, ROB1_LABELS, JadadAnswers, RobAssessment, jadad_score

JUDGEMENTS = ("low", "some_concerns", "unclear", "high", "no_information")
SYMBOLS = {"low": "+", "unclear": "?", "some_concerns": "!", "high": "\u2212", "no_information": ""}
PALETTES: dict[str, dict[str, str]] = {
    # Cochrane/robvis colours
    "cochrane": {"low": "#02C100", "unclear": "#E2DF07", "some_concerns": "#E2DF07",
                 "high": "#BF0000", "no_information": "#AAAAAA"},
    # robvis "colourblind": light-to-dark orange, told apart by lightness as well as hue
    "colourblind": {"low": "#FED98E", "unclear": "#FE9929", "some_concerns": "#FE9929",
                    "high": "#993404", "no_information": "#FFFFFF"},
}
_WHITE_SYMBOL = {("cochrane", "high"), ("colourblind", "high")}
LABELS = {
    "en": {"low": "Low risk of bias", "unclear": "Unclear risk of bias", "some_concerns": "Some concerns",
           "high": "High risk of bias", "no_information": "No information", "overall": "Overall",
           "study": "Study", "domains": "Domains", "percent": "Percent of studies",
           "weight": "Percent of the analysis weight"},
    "zh": {"low": "低偏倚风险", "unclear": "偏倚风险不确定", "some_concerns": "有一定担忧",
           "high": "高偏倚风险", "no_information": "无信息", "overall": "总体", "study": "研究",
           "domains": "领域", "percent": "研究所占百分比",
           "weight": "占分析权重的百分比"},
}


@dataclass(frozen=True)
class RobData:
    """Judgements ready to plot: study → domain → judgement, in ``domains`` order."""

    judgements: dict[str, dict[str, str]]
    domains: tuple[str, ...]
    domain_labels: tuple[str, ...]


def rob1_judgements(assessments: Sequence[RobAssessment], *, language: str = "en",
                    overall: bool = True) -> RobData:
    """RoB 1 assessments as plot data; a domain not assessed shows as 'no_information'.

    ``overall`` adds the Handbook 8.7 summary (``RobAssessment.summary``) as a last column.
    """
    zh = language == "zh"
    judgements = {
        a.study: {d: (a.domains[d].judgement if d in a.domains else "no_information") for d in ROB1_DOMAINS}
        for a in assessments
    }
    labels = [ROB1_LABELS[d][1 if zh else 0] for d in ROB1_DOMAINS]
    domains = list(ROB1_DOMAINS)
    if overall:
        for a in assessments:
            judgements[a.study]["overall"] = a.summary()
        domains.append("overall")
        labels.append(LABELS["zh" if zh else "en"]["overall"])
    return RobData(judgements, tuple(domains), tuple(labels))


JADAD_DOMAINS = ("randomisation", "blinding", "withdrawals", "overall")
JADAD_LABELS = {
    "en": ("Randomisation (described, method)", "Double blinding (described, method)",
           "Withdrawals and dropouts described", "Jadad score >= 3"),
    "zh": ("随机化（是否描述及方法）", "双盲（是否描述及方法）", "退出与失访的描述", "Jadad 评分 ≥ 3"),
}


def _jadad_item(done: bool, method: str) -> str:
    if not done or method == "inappropriate":
        return "high"
    return "low" if method == "appropriate" else "unclear"


def jadad_judgements(answers: Mapping[str, JadadAnswers], *, language: str = "en") -> RobData:
    """Jadad items as plot data (Jadad 1996): randomisation and double blinding are low risk
    when described with an appropriate method, unclear when the method is not described, and
    high when not done or done inappropriately; withdrawals low when described; the overall
    column is low for a score of 3 or more (the usual cut-off for a high-quality report)."""
    judgements = {}
    for study, a in answers.items():
        judgements[study] = {
            "randomisation": _jadad_item(a.randomised, a.randomisation_method),
            "blinding": _jadad_item(a.double_blind, a.blinding_method),
            "withdrawals": "low" if a.withdrawals_described else "high",
            "overall": "low" if jadad_score(a) >= 3 else "high",
        }
    return RobData(judgements, JADAD_DOMAINS, JADAD_LABELS["zh" if language == "zh" else "en"])


def _check(data: RobData, palette: str) -> None:
    if palette not in PALETTES:
        raise ValueError(f"palette must be one of {', '.join(PALETTES)} (got {palette!r})")
    if len(data.domains) != len(data.domain_labels):
        raise ValueError("domains and domain_labels must have the same length")
    for study, row in data.judgements.items():
        for domain, j in row.items():
            if j not in JUDGEMENTS:
                raise ValueError(
                    f"judgement {j!r} for {study}, {domain} is not one of {', '.join(JUDGEMENTS)}"
                )


def traffic_light_plot(data: RobData, *, palette: str = "cochrane", language: str = "en") -> Figure:
    """One row per study, one column per domain (D1, D2, ... with a key below): coloured circles
    with +, ?, ! or − in them."""
    _check(data, palette)
    lang = resolve_language(language)
    lab = LABELS[lang]
    studies = list(data.judgements)
    n, m = len(studies), len(data.domains)
    name_in = max([len(s) for s in studies] + [6]) * 0.075 + 0.2
    cell = 0.32
    key_rows = m + 1
    width = max(name_in + m * cell + 0.4, 4.8)
    height = 0.5 + n * cell + 0.25 + key_rows * 0.17 + 0.2
    fig = new_figure(width, height, lang)
    note_fallback(fig, language, lang)
    family = family_of(fig)
    colours = PALETTES[palette]
    top = 0.5 + n * cell
    ax = fig.add_axes((name_in / width, 1 - top / height, m * cell / width, n * cell / height))
    ax.set_xlim(-0.5, m - 0.5)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xticks(range(m))
    short = [lab["overall"] if d == "overall" else f"D{i + 1}" for i, d in enumerate(data.domains)]
    ax.set_xticklabels(short, fontfamily=family, fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(range(n))
    ax.set_yticklabels(studies, fontfamily=family, fontsize=8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_linewidth(0.5)
    for i in range(1, m):
        ax.axvline(i - 0.5, color="#cccccc", linewidth=0.5)
    for i in range(1, n):
        ax.axhline(i - 0.5, color="#cccccc", linewidth=0.5)
    used: set[str] = set()
    for row, study in enumerate(studies):
        for col, domain in enumerate(data.domains):
            j = data.judgements[study].get(domain)
            if j is None:
                continue
            used.add(j)
            ax.scatter([col], [row], s=170, color=colours[j], edgecolors="#555555", linewidths=0.4,
                       zorder=2, gid=f"rob-{study}-{domain}")
            ax.text(col, row, SYMBOLS[j], ha="center", va="center", fontsize=9, fontweight="bold",
                    color="white" if (palette, j) in _WHITE_SYMBOL else "black", zorder=3,
                    fontfamily=family, path_effects=bold_effects(family))
    # Key: the domains, then the judgements
    y = 1 - (top + 0.3) / height
    step = 0.17 / height
    for i, label in enumerate(data.domain_labels):
        if data.domains[i] == "overall":
            continue
        fig.text(0.1 / width, y, f"D{i + 1}: {label}", fontsize=7, fontfamily=family, va="top")
        y -= step
    handles = [Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=colours[j],
                      markeredgecolor="#555555", label=f"{SYMBOLS[j]} {lab[j]}".strip())
               for j in JUDGEMENTS if j in used]
    fig.legend(handles=handles, loc="lower right", fontsize=7, frameon=False,
               prop={"family": family, "size": 7}, bbox_to_anchor=(1.0, 0.0))
    check_text(fig, studies + list(data.domain_labels))
    return fig


def summary_plot(data: RobData, *, palette: str = "cochrane", language: str = "en",
                 include_overall: bool = True, weights: Mapping[str, float] | None = None) -> Figure:
    """Horizontal stacked bars: for each domain, the percent of studies judged low, unclear
    (some concerns) and high risk (RevMan's "risk of bias graph").

    ``weights`` (study → weight, e.g. the meta-analysis weights in %) makes each bar the share
    of the total weight rather than of the studies (robvis ``rob_summary(weighted = TRUE)``);
    every study with a judgement needs a weight >= 0.
    """
    _check(data, palette)
    if weights is not None:
        missing = [s for s in data.judgements if s not in weights]
        if missing:
            raise ValueError(f"weights has no weight for {', '.join(missing[:3])}")
        if any(not w >= 0 for w in weights.values()):
            raise ValueError("weights must be >= 0")
    lang: Language = resolve_language(language)
    lab = LABELS[lang]
    pairs = [(d, label) for d, label in zip(data.domains, data.domain_labels, strict=True)
             if include_overall or d != "overall"]
    m = len(pairs)
    label_in = max(len(label) * (0.11 if lang == "zh" else 0.065) for _, label in pairs) + 0.3
    width, height = label_in + 3.6, 0.9 + m * 0.3 + 0.5
    fig = new_figure(width, height, lang)
    note_fallback(fig, language, lang)
    family = family_of(fig)
    colours = PALETTES[palette]
    ax = fig.add_axes((label_in / width, 0.9 / height, 3.3 / width, m * 0.3 / height))
    order = [j for j in ("low", "some_concerns", "unclear", "high", "no_information")]
    present = [j for j in order if any(j in row.values() for row in data.judgements.values())]
    for row, (domain, _) in enumerate(pairs):
        counted = [(study, row_j[domain]) for study, row_j in data.judgements.items()
                   if row_j.get(domain) is not None]
        weight = {study: (1.0 if weights is None else float(weights[study])) for study, _ in counted}
        total = sum(weight.values())
        left = 0.0
        for j in present:
            share = 100.0 * sum(weight[st] for st, v in counted if v == j) / total if total else 0.0
            if share:
                ax.barh(row, share, left=left, height=0.7, color=colours[j], edgecolor="#555555",
                        linewidth=0.4, gid=f"bar-{domain}-{j}")
            left += share
    ax.set_ylim(m - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_yticks(range(m))
    ax.set_yticklabels([label for _, label in pairs], fontfamily=family, fontsize=8)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xticklabels(["0%", "25%", "50%", "75%", "100%"], fontsize=8)
    ax.set_xlabel(lab["percent" if weights is None else "weight"], fontfamily=family, fontsize=8)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [Patch(facecolor=colours[j], edgecolor="#555555", label=lab[j]) for j in present]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7, frameon=False,
               prop={"family": family, "size": 7}, bbox_to_anchor=(0.5, 0.0))
    check_text(fig, [label for _, label in pairs])
    return fig


def rob1_traffic_light(assessments: Sequence[RobAssessment], *, palette: str = "cochrane",
                       language: str = "en") -> Figure:
    """``traffic_light_plot`` of RoB 1 assessments, with the summary judgement as "Overall"."""
    return traffic_light_plot(rob1_judgements(assessments, language=language), palette=palette,
                              language=language)


def rob1_summary(assessments: Sequence[RobAssessment], *, palette: str = "cochrane",
                 language: str = "en") -> Figure:
    """``summary_plot`` of RoB 1 assessments, per domain (no overall bar)."""
    data = rob1_judgements(assessments, language=language, overall=False)
    return summary_plot(data, palette=palette, language=language)


def judgements_from_mapping(judgements: Mapping[str, Mapping[str, str]], domains: Sequence[str],
                            domain_labels: Sequence[str] | None = None) -> RobData:
    """Plot data from plain mappings (e.g. RoB 2 results): study → {domain: judgement}."""
    return RobData({s: dict(row) for s, row in judgements.items()}, tuple(domains),
                   tuple(domain_labels) if domain_labels is not None else tuple(domains))
