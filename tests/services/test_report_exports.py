"""The report's DOCX and CSV/XLSX exports, the methods and results paragraphs and the
GRADEpro Summary of Findings, checked against seed 000's printed numbers and hand sums."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
from docx import Document
from openpyxl import load_workbook

import evisynth
from evisynth.analysis.review import StudyInclusion, SynthesisResult
from evisynth.review.model import AnalysisSpec, Arm, Outcome, Protocol, Review, Study
from evisynth.services import appraisal_tables
from evisynth.services import review as review_services
from tests.services.conftest import dp_ucmgp_by_hand

#: seed 000 Table 2: arm sizes (experimental, control) of the four included studies
ARM_SIZES = {"Kurnatowska 2015": [29, 13], "Oikonomaki 2019": [22, 30], "Witham 2020": [80, 79],
             "Mansour 2017": [60]}


def test_docx_holds_the_reports_headings_paragraphs_tables_and_figures(demo) -> None:
    assert demo.docx is not None
    doc = Document(str(demo.docx))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    # zh review: Chinese headings, in the HTML page's order
    for h in ("研究方案", "方法", "纳入研究的基本特征", "定量合并", "结果总结表（GRADE）", "数据核查"):
        assert h in headings
    assert headings.index("方法") < headings.index("定量合并") < headings.index("数据核查")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"evisynth {evisynth.__version__}" in text and "DerSimonian–Laird" in text
    # every table of the tables export is in the document
    assert len(doc.tables) == len([p for p in demo.tables if p.suffix == ".csv"])
    prisma = next(t for t in doc.tables if t.rows[0].cells[1].text == "数量")
    counts = {r.cells[0].text: r.cells[1].text for r in prisma.rows}
    assert (counts["Records identified"], counts["Duplicates removed"], counts["Studies included"]) == (
        "38", "5", "4")
    # figures: PRISMA, RoB traffic light and graph, effect direction, the one forest plot (k = 2)
    assert len(doc.inline_shapes) == 5
    with zipfile.ZipFile(demo.docx) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert media and all(z.read(n)[:8] == b"\x89PNG\r\n\x1a\n" for n in media)


def test_tables_export_one_csv_per_table_and_one_sheet_each(demo) -> None:
    csvs = {p.stem: p for p in demo.tables if p.suffix == ".csv"}
    xlsx = next(p for p in demo.tables if p.suffix == ".xlsx")
    book = load_workbook(xlsx, read_only=True)
    assert set(book.sheetnames) == set(csvs)
    assert {"prisma", "characteristics", "quality", "summary_of_findings", "checks"} <= set(csvs)
    chars = pd.read_csv(csvs["characteristics"], encoding="utf-8-sig")
    sizes = chars.groupby(chars.columns[0], sort=False)[chars.columns[6]].apply(list).to_dict()
    assert sizes == ARM_SIZES
    sheet = pd.read_excel(xlsx, sheet_name="characteristics")
    assert sheet.iloc[:, 6].tolist() == chars.iloc[:, 6].tolist()
    quality = pd.read_excel(xlsx, sheet_name="quality")
    assert [str(j).split()[0] for j in quality["Jadad"]] == ["5", "4", "5", "3"]  # seed 000 Table 1
    checks = pd.read_csv(csvs["checks"], encoding="utf-8-sig")
    assert len(checks) == len(demo.content["checks"])


def test_sof_follows_the_gradepro_layout_with_hand_summed_participants(demo) -> None:
    sof = demo.content["summary_of_findings"]
    assert sof["columns"][1:3] == ["对照组风险/均值", "干预组（95% CI）"]
    row = next(r for r in sof["rows"] if r[0].startswith("DP-ucMGP"))
    assert row[4] == "94 (2 项 RCT)"  # 29 + 13 + 22 + 30 (seed 000 Table 2)
    assert row[1] == "—"  # SMD: no comparator mean on a common scale
    by_hand = dp_ucmgp_by_hand()
    r = evisynth.pool(by_hand, measure="SMD", model="auto")
    assert row[2] == f"SMD 低 {abs(r.estimate):.2f} (低 {abs(r.ci_low):.2f} 至 高 {r.ci_high:.2f})"
    assert row[5].startswith("⊕") and "(" in row[5]
    letters = [n.split(".")[0] for n in sof["footnotes"]]
    assert letters == [chr(ord("a") + i) for i in range(len(letters))]


def test_results_paragraph_gives_the_pooled_numbers(demo) -> None:
    html = demo.html.read_text(encoding="utf-8")
    by_hand = dp_ucmgp_by_hand()
    r = evisynth.pool(by_hand, measure="SMD", model="auto")
    sentence = (f"合并 2 项研究（94 例），标准化均数差（SMD，Hedges&#39; g）为 {r.estimate:.2f}"
                f"（95% CI {r.ci_low:.2f} 至 {r.ci_high:.2f}")
    assert sentence in html


def _tiny_review(model: str, tau2: str, measure: str = "MD") -> Review:
    return Review(
        id="t", protocol=Protocol(title="T", language="en"),
        studies=(Study("a", "A 2001", arms=(Arm("e", "E", 10), Arm("c", "C", 10, role="control"))),),
        outcomes=(Outcome("o", "O"),),
        analyses=(AnalysisSpec("x", "X", "o", "end", measure, model=model, tau2=tau2),),
    )


def _two_binary_studies_pooled() -> tuple[Review, SynthesisResult]:
    """Two trials (10/100 vs 20/100, 15/100 vs 30/100) pooled as a fixed-effect MH risk ratio."""
    table = ({"study": "A", "e1": 10, "n1": 100, "e2": 20, "n2": 100},
             {"study": "B", "e1": 15, "n1": 100, "e2": 30, "n2": 100})
    r = evisynth.pool(pd.DataFrame(table), measure="RR", model="fixed", method="MH")
    review = _tiny_review("fixed", "DL", "RR")
    s = SynthesisResult(review.analyses[0], table,
                        (StudyInclusion("A", True, "ok"), StudyInclusion("B", True, "ok")), r)
    return review, s


def test_methods_paragraph_names_the_settings_actually_used() -> None:
    review = _tiny_review("random", "REML")
    s = SynthesisResult(review.analyses[0], (), (StudyInclusion("A 2001", False, "no data"),), None)
    text = review_services.methods_paragraph(review, [s])
    assert "random-effects model (inverse-variance; τ² by the restricted maximum likelihood method)" in text
    assert "review's rule" not in text and evisynth.__version__ in text
    auto_review = _tiny_review("auto", "PM")
    auto_s = SynthesisResult(auto_review.analyses[0], (), s.inclusion, None)
    auto = review_services.methods_paragraph(auto_review, [auto_s])
    assert "P >= 0.10 and I² <= 50%" in auto and "Paule–Mandel" in auto


def test_sof_binary_row_gives_risks_per_1000_from_the_control_risk() -> None:
    review, s = _two_binary_studies_pooled()
    sof = appraisal_tables.sof_table(review, [s], {})
    assert sof is not None
    row = sof["rows"][0]
    # MH RR = (10 + 15) / (20 + 30) = 0.5; control risk 50/200 = 250 per 1000; 0.5 × 250 = 125
    assert row[3].startswith("RR 0.50 (")
    assert row[1] == "250 per 1,000"
    assert row[2].startswith("125 per 1,000 (")
    assert row[4] == "400 (2 RCTs)"


def test_report_command_writes_docx_and_tables(demo, tmp_path: Path) -> None:
    project = demo.html.parent / review_services.PROJECT_FILE
    proc = subprocess.run([sys.executable, "-m", "evisynth", "report", str(project), "--docx",
                           str(tmp_path / "r.docx"), "--tables-dir", str(tmp_path / "t")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "r.docx").stat().st_size > 10_000 and (tmp_path / "t" / "tables.xlsx").exists()
    assert not (tmp_path / "report.html").exists()
    bare = subprocess.run([sys.executable, "-m", "evisynth", "report", str(project)],
                          capture_output=True, text=True, timeout=300)
    assert bare.returncode == 2 and "--docx" in bare.stderr and "Traceback" not in bare.stderr


def test_results_paragraph_in_english_and_for_ratios() -> None:
    review, s = _two_binary_studies_pooled()
    text = review_services.results_paragraph(s, "en")
    # MH RR = 25/50 = 0.50 shown on the ratio scale, 400 participants (hand sums)
    assert text.startswith("X: 2 studies with 400 participants were pooled; "
                           "the risk ratio (RR) was 0.50 (95% CI ")
    assert "under a fixed-effect model" in text and "I² = " in text
    zh = review_services.results_paragraph(s, "zh")
    assert zh.startswith("X：合并 2 项研究（400 例），风险比（RR）为 0.50（95% CI ")
    none = SynthesisResult(review.analyses[0], (), (), None, "no study has comparable two-arm data")
    assert (review_services.results_paragraph(none, "en")
            == "X: not pooled (no study has comparable two-arm data).")


def test_analyses_with_three_or_more_studies_get_every_figure() -> None:
    table = (
        {"study": "A 2001", "m1": 10.2, "sd1": 2.1, "n1": 30, "m2": 11.0, "sd2": 2.0, "n2": 31},
        {"study": "B 2005", "m1": 11.5, "sd1": 2.5, "n1": 45, "m2": 12.9, "sd2": 2.7, "n2": 44},
        {"study": "C 2010", "m1": 9.8, "sd1": 1.9, "n1": 28, "m2": 10.1, "sd2": 2.2, "n2": 30},
        {"study": "D 2012", "m1": 12.0, "sd1": 3.0, "n1": 60, "m2": 13.5, "sd2": 3.1, "n2": 58},
    )
    spec = AnalysisSpec("x", "X", "o", "end", "MD", model="random", tau2="DL")
    r = evisynth.pool(pd.DataFrame(table), measure="MD", model="random", tau2="DL")
    s = SynthesisResult(spec, table, tuple(StudyInclusion(t["study"], True, "ok") for t in table), r)
    years = {"A 2001": 2001, "B 2005": 2005, "C 2010": 2010, "D 2012": 2012}
    doses = {"A 2001": 90.0, "B 2005": 180.0, "C 2010": 90.0, "D 2012": 360.0}
    figures = review_services.analysis_figures(s, "en", 3, years=years, doses=doses)
    assert list(figures) == ["forest_3", "funnel_3", "loo_3", "cumulative_3", "bubble_3"]
    bubble, caption = figures["bubble_3"]
    assert caption == "Meta-regression on daily dose: X"
    (points,) = [c for c in bubble.axes[0].collections if c.get_gid() == "studies"]
    assert sorted(points.get_offsets()[:, 0]) == [90, 90, 180, 360]
    # two studies only: the forest plot alone; same dose everywhere: no bubble plot
    assert list(review_services.analysis_figures(
        SynthesisResult(spec, table[:2], s.inclusion[:2],
                        evisynth.pool(pd.DataFrame(table[:2]), measure="MD")), "en", 1)) == ["forest_1"]
    same = dict.fromkeys(doses, 90.0)
    assert "bubble_3" not in review_services.analysis_figures(s, "en", 3, doses=same)


def test_rob2_table_becomes_a_traffic_light_with_the_overall_column() -> None:
    table = {"columns": ["D1 name", "D2 name", "D3 name", "D4 name", "D5 name", "Overall"],
             "rows": [{"study": "Ueda 2008", "cells": [
                 {"text": t} for t in ("low", "some concerns", "low", "low", "high", "high")]}]}
    data = review_services.rob2_plot_data(table)
    assert data.domains == ("d1", "d2", "d3", "d4", "d5", "overall")
    assert data.judgements["Ueda 2008"]["d2"] == "some_concerns"
    assert data.judgements["Ueda 2008"]["overall"] == "high"
    assert data.domain_labels[-1] == "Overall"


def test_reported_prisma_only_without_records(demo) -> None:
    html = demo.html.read_text(encoding="utf-8")
    assert "按原文报告" in html and "计算所得" not in html and "prisma_computed" not in demo.content


def test_a_project_with_records_and_decisions_gets_the_computed_prisma_flow(tmp_path: Path) -> None:
    import csv as csv_module
    import re

    from evisynth.services import screening as screening_services
    from tests.services.test_screening_service import _csv, make_project

    path, r = make_project(tmp_path)  # 6 records: 4 PubMed, 2 CNKI; r[5] a duplicate of r[4]
    screening_services.remove(path, [r[1]], "automation", "RCT classifier < 0.1", "ann")
    rows = [(r[0], "ta", "ann", "include", "", ""), (r[0], "ta", "bo", "include", "", ""),
            (r[2], "ta", "ann", "exclude", "E1", ""), (r[2], "ta", "bo", "exclude", "E1", ""),
            (r[3], "ta", "ann", "exclude", "E1", ""), (r[3], "ta", "bo", "exclude", "E1", ""),
            (r[4], "ta", "ann", "include", "", ""), (r[4], "ta", "bo", "include", "", ""),
            (r[0], "ft", "ann", "include", "", ""), (r[0], "ft", "bo", "include", "", ""),
            (r[4], "ft", "ann", "exclude", "wrong comparator", ""),
            (r[4], "ft", "bo", "exclude", "wrong comparator", "")]
    screening_services.import_decisions(path, _csv(tmp_path, rows))
    out = review_services.write_report(path, tmp_path / "report", tables_dir=tmp_path / "tables")
    # By hand: 6 identified (PubMed 4, CNKI 2); 1 duplicate, 1 by automation, 0 other;
    # 4 screened (r0, r2, r3, r4), 2 excluded; 2 sought, 0 not retrieved, 2 assessed,
    # 1 excluded (wrong comparator); 1 study, 1 report included.
    expected = [("Records identified from databases", 6), ("CNKI", 2), ("PubMed", 4),
                ("Records identified from registers", 0), ("Duplicate records removed", 1),
                ("Records marked as ineligible by automation tools", 1),
                ("Records removed for other reasons", 0), ("Records screened", 4), ("Records excluded", 2),
                ("Reports sought for retrieval", 2), ("Reports not retrieved", 0),
                ("Reports assessed for eligibility", 2), ("Reports excluded", 1), ("wrong comparator", 1),
                ("Studies included in review", 1), ("Reports of included studies", 1)]
    html = out.html.read_text(encoding="utf-8")
    section = html.split("PRISMA 2020 flow computed", 1)[1].split("<h2>", 1)[0]
    image = r'<img alt="PRISMA 2020 \(computed\)" src="data:image/[a-z+]+;base64,[A-Za-z0-9+/=]{1000,}"'
    assert re.search(image, section)
    cells = re.findall(r"<tr><th>([^<]*)</th><td class=\"num\">(\d+)</td></tr>", section)
    assert [(label.strip(), int(n)) for label, n in cells] == expected
    flow = out.content["prisma_computed"]
    assert (flow["duplicates"], flow["excluded_automatic"], flow["records_screened"], flow["assessed"],
            flow["new_studies"]) == (1, 1, 4, 2, 1)
    with open(tmp_path / "tables" / "prisma_computed.csv", encoding="utf-8-sig", newline="") as fh:
        table = [(row[0], int(row[1])) for row in list(csv_module.reader(fh))[1:]]
    assert table == expected
