"""Storage tests run on SQLite always, and on PostgreSQL when EVISYNTH_TEST_PG names a server
(skipped with that reason otherwise).

EVISYNTH_TEST_PG is a SQLAlchemy URL such as
``postgresql+psycopg://evisynth:evisynth@localhost/evisynth_test``; each test gets a fresh
schema in that database (dropped afterwards), selected through the connection's search_path.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from evisynth.review.extraction import Resolution
from evisynth.review.model import (
    AnalysisSpec,
    Arm,
    Criterion,
    ExtractedValue,
    GradeJudgement,
    Outcome,
    Picos,
    PrismaCounts,
    Protocol,
    Provenance,
    Report,
    ReportedTotal,
    Review,
    SearchStrategy,
    Study,
)
from evisynth.storage import Bundle, Project, open_project

PG_URL = os.environ.get("EVISYNTH_TEST_PG", "")
#: Always collected, so that a run without a server says what it did not run.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="needs a PostgreSQL server: set "
                       "EVISYNTH_TEST_PG=postgresql+psycopg://USER:PASSWORD@HOST/DATABASE"))]


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a fresh, empty project can be created: a SQLite path or a PostgreSQL URL."""
    if request.param == "sqlite":
        yield str(tmp_path / "review.evisynth")
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def project(location: str) -> Iterator[Project]:
    with open_project(location, create=True) as p:
        yield p


def value(study: str, arm: str, outcome: str, timepoint: str, statistic: str, number: float,
          unit: str = "", extractor: str = "reviewer-a", location: str = "Table 2") -> ExtractedValue:
    return ExtractedValue(
        study=study, arm=arm, outcome=outcome, timepoint=timepoint, statistic=statistic,
        value=number, unit=unit,
        provenance=Provenance(report=f"{study}-r1", location=location, quote=f"{number:g}",
                              extractor=extractor, extracted_at="2026-01-15"),
    )


def small_review() -> Review:
    """A hand-made review that uses every field of the model, with Chinese text and edge cases."""
    protocol = Protocol(
        title="维生素K2治疗慢性肾脏病血管钙化的Meta分析",
        question="Does vitamin K2 slow vascular calcification in CKD?",
        language="zh",
        picos=Picos(population="CKD 3-5, dialysis or transplant", intervention="vitamin K2 (MK-7)",
                    comparator="placebo or no K2", outcomes=("dp-ucMGP", "cfPWV"),
                    study_design="RCT"),
        inclusion=(Criterion("I1", "随机对照试验", "randomised controlled trials"),
                   Criterion("I2", "慢性肾脏病患者")),
        exclusion=(Criterion("E1", "动物实验", "animal studies"),),
        searches=(SearchStrategy("PubMed", '"vitamin K2"[tiab] AND CKD', "inception-2025-06",
                                 "2025-06-30", 26),
                  SearchStrategy("CNKI", "维生素K2 AND 肾", searched_on="2025-06-30")),
        synthesis_plan="Random effects when I² > 50%.\nSMD for outcomes measured on different scales.\n",
    )
    studies = (
        Study(
            id="kurnatowska2015", label="Kurnatowska 2015", year=2015, design="rct", country="Poland",
            centres="single", population="non-dialysis CKD 3-5",
            reports=(Report("kurnatowska2015-r1", "Kurnatowska I, et al. Pol Arch Med Wewn 2015.",
                            2015, doi="10.20452/pamw.3041", pmid="26176405", language="en"),
                     Report("kurnatowska2015-r2", "Conference abstract", None)),
            arms=(Arm("k2d", "MK-7 90 μg + D3 10 μg", 29, "menaquinone-7 + cholecalciferol", 90.0, "μg",
                      "qd", "270 ± 12 d", "experimental"),
                  Arm("d", "D3 10 μg", 13, "cholecalciferol", 10.0, "μg", "qd", "270 ± 12 d", "control")),
            characteristics={"age_experimental": "59.4 ± 9.6", "age_control": "60.1 ± 11.2",
                             "sex (M/F)": "15/14"},
        ),
        Study(id="oikonomaki2019", label="Oikonomaki 2019", year=2019, design="single_arm",
              arms=(Arm("k2", "MK-7 200 μg", 52, dose=200.0, dose_unit="μg", role="single"),),
              reports=(Report("oikonomaki2019-r1", "Oikonomaki T, et al. 2019"),)),
    )
    outcomes = (
        Outcome("dp_ucmgp", "去磷酸化未羧化基质γ蛋白", "dp-ucMGP", "continuous", "pmol/L", True),
        Outcome("cac", "冠状动脉钙化积分", "coronary calcification score", "continuous", "", None),
        Outcome("death", "死亡", "death", "binary", "", True),
    )
    values = (
        value("kurnatowska2015", "k2d", "dp_ucmgp", "baseline", "mean", 1077.1, "pmol/L"),
        value("kurnatowska2015", "k2d", "dp_ucmgp", "baseline", "sd", 506.7, "pmol/L"),
        value("kurnatowska2015", "k2d", "dp_ucmgp", "baseline", "sd", 507.6, "pmol/L",
              extractor="reviewer-b"),
        value("kurnatowska2015", "k2d", "dp_ucmgp", "270d", "mean", 961.5, "pmol/L"),
        value("kurnatowska2015", "k2d", "dp_ucmgp", "270d", "n", 29),
        value("kurnatowska2015", "d", "dp_ucmgp", "270d", "mean", 1209.25, "pmol/L"),
        value("kurnatowska2015", "", "dp_ucmgp", "270d", "p", 0.0001),
        value("kurnatowska2015", "", "cac", "270d", "median", 1.0e-7),
        value("oikonomaki2019", "k2", "death", "1y", "events", 3, location="§3.2, p. 4"),
        value("oikonomaki2019", "k2", "cac", "1y", "mean_change", -12.5),
    )
    return Review(
        id="vitk2-test", protocol=protocol, studies=studies, outcomes=outcomes, values=values,
        prisma=PrismaCounts(identified=38, identified_by_source={"English": 26, "Chinese": 12},
                            duplicates_removed=5, screened=33, excluded_title_abstract=21,
                            assessed_full_text=12, excluded_full_text=8,
                            full_text_exclusion_reasons={"未发表实验结果 (results not published)": None,
                                                         "no intervention": 3},
                            included=4),
        reported_totals=(ReportedTotal("total", 313, "all", "", "摘要 (abstract)", "共313例"),
                         ReportedTotal("control", 182, "control")),
        analyses=(AnalysisSpec("dpucmgp-final", "dp-ucMGP after treatment", "dp_ucmgp", "270d", "SMD",
                               studies=("kurnatowska2015",), rationale="units differ: \"pmol/L\"",
                               hksj=True, prediction="t", moderator="dose", leave_one_out=True,
                               grade=(GradeJudgement("imprecision", -1, "n < 400 (不精确)", -2),)),),
        locations={"T2": "Table 2 (表 2), p. 655", "F1": "Figure 1"},
        source="Wang B, et al. Adv Clin Med 2026. doi:10.12677/acm.2026.162435",
    )


def small_bundle() -> Bundle:
    return Bundle(
        review=small_review(),
        resolutions=(Resolution("kurnatowska2015", "k2d", "dp_ucmgp", "baseline", "sd", 506.7, "pmol/L",
                                resolved_by="reviewer-c", resolved_at="2026-01-20",
                                note="checked against the PDF, Table 2"),),
        appraisals={
            "kurnatowska2015": {
                "rob1": {"random_sequence_generation": {"judgement": "low", "support": "计算机数字法",
                                                        "location": "Table 1"},
                         "allocation_concealment": {"judgement": "unclear", "support": ""}},
                "jadad": {"randomised": True, "randomisation_method": "appropriate",
                          "double_blind": False, "score": 3, "weights": [0.5, 1.25]},
            },
        },
    )
