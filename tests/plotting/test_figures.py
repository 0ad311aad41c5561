from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import evisynth
from evisynth.plotting import (
    figure_to_bytes,
    funnel_plot,
    judgements_from_mapping,
    prisma_flow,
    rob1_judgements,
    rob1_summary,
    rob1_traffic_light,
    summary_plot,
    traffic_light_plot,
)
from evisynth.review.appraisal import ROB1_DOMAINS, RobAssessment
from evisynth.review.model import PrismaCounts


def texts(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))


def assessments() -> list[RobAssessment]:
    def one(study: str, judged: dict[str, str]) -> RobAssessment:
        answers = {d: {"judgement": j, "support": "quoted"} for d, j in judged.items()}
        return RobAssessment.from_dict(study, answers)

    everything_low = dict.fromkeys(ROB1_DOMAINS, "low")
    return [
        one("Adams 2001", everything_low),
        one("Baker 2005", {**everything_low, "allocation_concealment": "unclear"}),
        one("Chen 2010", {**everything_low, "blinding_participants_personnel": "high"}),
        one("Dong 2012", {d: "unclear" for d in ROB1_DOMAINS[:-1]}),  # other bias not assessed
    ]


PRISMA = PrismaCounts(
    identified=1234, identified_by_source={"PubMed": 700, "CNKI": 534}, duplicates_removed=301,
    screened=933, excluded_title_abstract=851, assessed_full_text=82, excluded_full_text=70,
    full_text_exclusion_reasons={"Wrong population": 41, "No outcome data": 29, "Other": None},
    included=None,
)


def all_figures(binary: pd.DataFrame) -> dict[str, Figure]:
    result = evisynth.pool(binary, measure="OR")
    return {
        "funnel": funnel_plot(result, contours=True, trim_and_fill=True, egger=True),
        "traffic_light": rob1_traffic_light(assessments()),
        "summary": rob1_summary(assessments(), palette="colourblind"),
        "prisma": prisma_flow(PRISMA, title=True),
    }


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_every_figure_renders_without_warnings(binary: pd.DataFrame, fmt: str) -> None:
    for name, fig in all_figures(binary).items():
        data = figure_to_bytes(fig, fmt, dpi=80)
        assert data.startswith(b"\x89PNG") if fmt == "png" else b"<svg" in data[:500], name


def test_export_checks_its_options(binary: pd.DataFrame) -> None:
    fig = prisma_flow(PRISMA)
    with pytest.raises(ValueError, match="format"):
        figure_to_bytes(fig, "jpeg")
    with pytest.raises(ValueError, match="dpi"):
        figure_to_bytes(fig, "png", dpi=0)
    assert len(figure_to_bytes(fig, "png", dpi=200)) > len(figure_to_bytes(fig, "png", dpi=50))


def test_funnel_marks_trim_and_fill_studies_as_open_circles(binary: pd.DataFrame) -> None:
    result = evisynth.pool(binary, measure="OR", bias=True)
    assert result.bias is not None
    k0 = result.bias.trimfill["k0"]
    assert k0 > 0
    ax = funnel_plot(result, trim_and_fill=True).axes[0]
    filled = [c for c in ax.collections if c.get_gid() == "filled"]
    assert len(filled) == 1 and len(filled[0].get_offsets()) == k0
    assert (filled[0].get_facecolor()[0][:3] == 1).all()  # open: white inside
    assert ax.get_xscale() == "log"
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # SE 0 at the top
    assert not [c for c in funnel_plot(result).axes[0].collections if c.get_gid() == "filled"]


def test_funnel_contours_and_egger_line_only_when_asked(continuous: pd.DataFrame) -> None:
    result = evisynth.pool(continuous, measure="MD")
    plain = funnel_plot(result).axes[0]
    full = funnel_plot(result, contours=True, egger=True).axes[0]
    assert [ln.get_gid() for ln in full.lines].count("egger") == 1
    assert "egger" not in [ln.get_gid() for ln in plain.lines]
    assert len(full.collections) == len(plain.collections) + 6  # 3 bands, both sides
    labels = full.get_legend_handles_labels()[1]
    assert {"p < 0.01", "p 0.01–0.05", "p 0.05–0.10"} <= set(labels)


def test_traffic_light_has_a_circle_and_symbol_per_judgement() -> None:
    fig = rob1_traffic_light(assessments())
    ax = fig.axes[0]
    circles = {c.get_gid() for c in ax.collections}
    assert len(circles) == 4 * (len(ROB1_DOMAINS) + 1)  # 7 domains and the overall column
    symbols = [t.get_text() for t in ax.texts]
    assert symbols.count("−") == 2  # Chen: blinding high, and its overall judgement high
    assert "Overall" in texts(fig)
    assert "D3: Blinding of participants and personnel" in texts(fig)
    data = rob1_judgements(assessments())
    assert data.judgements["Dong 2012"]["other_bias"] == "no_information"
    assert data.judgements["Chen 2010"]["overall"] == "high"


def test_summary_bars_give_the_percent_of_studies_per_judgement() -> None:
    ax = rob1_summary(assessments()).axes[0]
    bars = {p.get_gid(): p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid()}
    assert bars["bar-allocation_concealment-low"].get_width() == pytest.approx(50.0)
    assert bars["bar-allocation_concealment-unclear"].get_width() == pytest.approx(50.0)
    assert bars["bar-blinding_participants_personnel-high"].get_width() == pytest.approx(25.0)
    for domain in ROB1_DOMAINS:
        total = sum(p.get_width() for gid, p in bars.items() if gid.startswith(f"bar-{domain}-"))
        assert total == pytest.approx(100.0)


def test_rob_plots_take_plain_data_for_rob2_and_check_it() -> None:
    data = judgements_from_mapping(
        {"Trial A": {"D1": "low", "D2": "some_concerns"}, "Trial B": {"D1": "high", "D2": "low"}},
        ["D1", "D2"], ["Randomisation process", "Deviations from intended interventions"],
    )
    assert "!" in [t.get_text() for t in traffic_light_plot(data).axes[0].texts]
    summary_plot(data, palette="colourblind")
    with pytest.raises(ValueError, match="palette"):
        traffic_light_plot(data, palette="rainbow")
    bad = judgements_from_mapping({"Trial A": {"D1": "fine"}}, ["D1"])
    with pytest.raises(ValueError, match="'fine'"):
        summary_plot(bad)


def test_prisma_shows_every_count_and_not_reported_for_missing_ones() -> None:
    shown = texts(prisma_flow(PRISMA))
    for n in (1234, 700, 534, 301, 933, 851, 82, 70, 41, 29):
        assert f"(n = {n})" in shown
    assert shown.count("n = not reported") == 2  # the "Other" reason and the included studies
    assert "Wrong population" in shown and "Records screened" in shown


def test_chinese_figures_use_chinese_labels() -> None:
    assert "未报告" in texts(prisma_flow(PRISMA, language="zh"))
    assert "纳入系统评价的研究" in texts(prisma_flow(PRISMA, language="zh"))
    assert "随机序列生成" in texts(rob1_summary(assessments(), language="zh"))
    assert "总体" in texts(rob1_traffic_light(assessments(), language="zh"))
    for fig in (prisma_flow(PRISMA, language="zh"), rob1_summary(assessments(), language="zh")):
        figure_to_bytes(fig, "png", dpi=60)
