"""The PRISMA 2020 template diagram drawn from computed counts (Page et al. BMJ 2021, figure 1)."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from evisynth.plotting import figure_to_bytes, prisma2020_flow
from evisynth.review.screening import PrismaFlow

FLOW = PrismaFlow(
    database_results=38, database_specific={"CNKI": 18, "PubMed": 20}, register_results=2,
    register_specific={"ClinicalTrials.gov": 2}, duplicates=5, excluded_automatic=0, excluded_other=1,
    records_screened=34, records_excluded=21, sought_reports=13, notretrieved_reports=1, assessed=12,
    excluded_reports=8, exclusion_reasons={"E1 not an RCT": 5, "wrong population": 3}, new_studies=4,
    new_reports=4, pending_full_text=0,
)


def texts(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))


def test_every_box_of_the_databases_and_registers_template_is_drawn_with_its_count() -> None:
    fig = prisma2020_flow(FLOW)
    shown = texts(fig)
    for label, n in [("Databases", 38), ("PubMed", 20), ("CNKI", 18), ("Registers", 2),
                     ("ClinicalTrials.gov", 2), ("Duplicate records removed", 5),
                     ("Records marked as ineligible by automation tools", 0),
                     ("Records removed for other reasons", 1), ("E1 not an RCT", 5),
                     ("wrong population", 3), ("Studies included in review", 4),
                     ("Reports of included studies", 4)]:
        assert f"{label} (n = {n})" in shown
    for label, n in [("Records screened", 34), ("Records excluded", 21),
                     ("Reports sought for retrieval", 13), ("Reports not retrieved", 1),
                     ("Reports assessed for eligibility", 12)]:
        assert f"{label}\n(n = {n})" in shown
    assert "Identification of new studies via databases and registers" in shown
    boxes = [p for p in fig.findobj(Rectangle) if (p.get_gid() or "").startswith("prisma-")]
    assert len(boxes) == 10  # header, 5 down the left, 4 to the right
    assert b"<svg" in figure_to_bytes(fig, "svg")


def test_pending_records_are_noted() -> None:
    pending = PrismaFlow(**{**FLOW.to_dict(), "pending_title_abstract": 3, "notes": ()})
    assert "Still being screened: 3 (title/abstract), 0 (full text)" in texts(prisma2020_flow(pending))


def test_chinese_labels_are_used() -> None:
    shown = texts(prisma2020_flow(FLOW, language="zh"))
    assert "筛选的记录" in shown and "未能获取全文的报告" in shown
