"""No text outside its figure, and in the PRISMA diagrams none outside its box, in English and
Chinese: every Text artist's rendered extent is checked against the figure and the boxes."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from evisynth.plotting import (
    judgements_from_mapping,
    prisma2020_flow,
    prisma_flow,
    rob1_summary,
    rob1_traffic_light,
    summary_plot,
    traffic_light_plot,
)
from evisynth.review.appraisal import ROB1_DOMAINS, RobAssessment
from evisynth.review.model import PrismaCounts
from evisynth.review.screening import PrismaFlow

LANGUAGES = ["en", "zh"]
#: pixels (at the figure's 100 dpi) that a text may reach past an edge: anti-aliasing only
SLACK_PX = 0.5

# Reasons as reviews give them: long, mixed Chinese and English, counts not reported (the
# demo review's "Reports excluded" box ran past its edge with these).
REASONS: dict[str, int | None] = {
    "未发表实验结果 (results not published)": None,
    "未进行干预试验 (no intervention trial performed)": None,
    "Wrong population: adults on haemodialysis for less than three months": 4,
    "E1 not an RCT": 5,
}
COUNTS = PrismaCounts(
    identified=1234, identified_by_source={"PubMed": 700, "中国知网 (CNKI, China National Knowledge "
                                                        "Infrastructure)": 534},
    duplicates_removed=301, screened=933, excluded_title_abstract=851, assessed_full_text=82,
    excluded_full_text=41, full_text_exclusion_reasons=REASONS, included=None,
)
FLOW = PrismaFlow(
    database_results=38, database_specific={"CNKI": 18, "PubMed": 20}, register_results=2,
    register_specific={"Chinese Clinical Trial Registry (ChiCTR)": 2}, duplicates=5,
    excluded_automatic=0, excluded_other=1, records_screened=34, records_excluded=21, sought_reports=13,
    notretrieved_reports=1, assessed=12, excluded_reports=8,
    exclusion_reasons={k: v or 0 for k, v in REASONS.items()}, new_studies=4, new_reports=4,
    pending_full_text=2,
)


def _rob_assessments() -> list[RobAssessment]:
    judged = ["low", "unclear", "high"]
    return [RobAssessment.from_dict(study, {d: {"judgement": judged[(i + j) % 3], "support": "quoted"}
                                            for j, d in enumerate(ROB1_DOMAINS)})
            for i, study in enumerate(["Adams 2001", "Brandenburg 2017", "王晓明 2019", "Oikonomaki 2019"])]


def _rob2(language: str) -> tuple[Figure, Figure]:
    data = judgements_from_mapping(
        {"Ueda 2008": {"d1": "low", "d2": "some_concerns", "overall": "high"},
         "Brandenburg 2017": {"d1": "high", "d2": "low", "overall": "high"}},
        ["d1", "d2", "overall"],
        ["Bias arising from the randomisation process", "Bias due to deviations from intended "
                                                        "interventions", "Overall"])
    return (traffic_light_plot(data, language=language),
            summary_plot(data, language=language, weights={"Ueda 2008": 1, "Brandenburg 2017": 3}))


def _texts(fig: Figure) -> list[Text]:
    fig.draw_without_rendering()  # lays out legends and ticks
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _outside(inner: Bbox, outer: Bbox) -> bool:
    return (inner.x0 < outer.x0 - SLACK_PX or inner.y0 < outer.y0 - SLACK_PX
            or inner.x1 > outer.x1 + SLACK_PX or inner.y1 > outer.y1 + SLACK_PX)


def assert_texts_inside_figure(fig: Figure) -> None:
    out = [t.get_text() for t in _texts(fig) if _outside(t.get_window_extent(), fig.bbox)]
    assert out == [], f"text outside the figure: {out}"


def assert_box_texts_inside_boxes(fig: Figure) -> None:
    """Each text anchored inside a box (or phase band) of the diagram lies wholly inside it."""
    ax = fig.axes[0]
    boxes = [p.get_window_extent() for p in ax.patches if isinstance(p, Rectangle)]
    assert len(boxes) >= 9
    checked = 0
    for t in _texts(fig):
        anchor = t.get_transform().transform(t.get_position())
        for box in boxes:
            if box.contains(*anchor):
                checked += 1
                assert not _outside(t.get_window_extent(), box), f"text runs out of its box: {t.get_text()!r}"
    assert checked >= 9


@pytest.mark.parametrize("language", LANGUAGES)
def test_prisma_box_texts_fit_their_boxes(language: str) -> None:
    for fig in (prisma_flow(COUNTS, language=language, title=True),
                prisma2020_flow(FLOW, language=language, title=True)):
        assert_texts_inside_figure(fig)
        assert_box_texts_inside_boxes(fig)


@pytest.mark.parametrize("language", LANGUAGES)
def test_rob_figure_texts_fit_the_figure(language: str) -> None:
    figures = [rob1_traffic_light(_rob_assessments(), language=language),
               rob1_summary(_rob_assessments(), language=language), *_rob2(language)]
    for fig in figures:
        assert_texts_inside_figure(fig)
