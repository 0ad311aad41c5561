"""The main job: the vitamin K2 review (seed 000) rebuilt from its bundle into a report."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import evisynth
from evisynth.services import review as review_services
from evisynth.storage.errors import StorageError
from tests.services.conftest import dp_ucmgp_by_hand, results_validator


def test_dp_ucmgp_pooling_uses_the_numbers_printed_in_seed_000(demo) -> None:
    by_hand = dp_ucmgp_by_hand()
    expected = evisynth.pool(by_hand, measure="SMD", model="auto").to_dict()
    analysis = next(a for a in demo.content["analyses"] if a["analysis"]["id"] == "dp_ucmgp_end")
    got = analysis["result"]
    for key in ("estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q", "q_p"):
        assert got[key] == pytest.approx(expected[key], rel=1e-12), key
    assert got["auto_rule"]["chose"] == expected["auto_rule"]["chose"]
    excluded = {i["study"]: i["reason"] for i in analysis["inclusion"] if not i["included"]}
    assert "single-arm" in excluded["Mansour 2017"]


def test_report_holds_prisma_counts_checks_and_quality(demo) -> None:
    html = demo.html.read_text(encoding="utf-8")
    prisma = demo.content["prisma_reported"]
    assert (prisma["identified"], prisma["duplicates_removed"], prisma["included"]) == (38, 5, 4)
    codes = {c["code"] for c in demo.content["checks"]}
    control = [c for c in demo.content["checks"] if "182" in c["message"]]
    assert control and "122" in control[0]["message"]
    assert len(codes) >= 3
    jadad = [row["cells"][-1]["text"] for row in demo.content["quality"]["rows"]]
    assert [j.split()[0] for j in jadad] == ["5", "4", "5", "3"]  # seed 000 Table 1
    assert "系统评价" in html and "DP-ucMGP" in html
    # figures are embedded (self-contained): PRISMA, RoB traffic light and graph, the effect
    # direction plot, and a forest plot for the one pooled analysis (k = 2: no funnel)
    assert html.count("data:image/svg+xml;base64,") == 5


def test_report_escapes_text_from_the_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(review_services.EXAMPLE_BUNDLE, bundle)
    studies = bundle / "studies.yaml"
    studies.write_text(studies.read_text(encoding="utf-8").replace(
        "label: Kurnatowska 2015", "label: \"<script>alert(1)</script>\"", 1), encoding="utf-8")
    out = review_services.demo(tmp_path / "out", bundle=bundle)
    html = out.html.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_demo_refuses_a_folder_with_content_unless_replacing(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(StorageError, match="--replace"):
        review_services.demo(tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_demo_command_writes_report_and_results(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "evisynth", "demo", "--out", str(tmp_path / "o"),
                           "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert (tmp_path / "o" / "report.html").exists()
    assert results == json.loads((tmp_path / "o" / "results.json").read_text(encoding="utf-8"))


def test_dual_extraction_lists_discrepancies_and_the_arbiter_resolves(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(review_services.EXAMPLE_BUNDLE, bundle)
    values = bundle / "values.csv"
    lines = values.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    agree = next(line for line in lines if line.startswith("kurnatowska2015,d,dp_ucmgp,270d,mean,"))
    differ = next(line for line in lines if line.startswith("kurnatowska2015,d,dp_ucmgp,270d,sd,"))
    assert header[-2:] == ["extractor", "extracted_at"]
    second = [agree.replace(",seed000,", ",reviewer-b,"),
              differ.replace(",565.2,", ",562.5,").replace(",seed000,", ",reviewer-b,")]
    values.write_text("\n".join([*lines, *second]) + "\n", encoding="utf-8")
    (bundle / "resolutions.csv").write_text(
        "study,arm,outcome,timepoint,statistic,value,unit,resolved_by,resolved_at,note\n"
        "kurnatowska2015,d,dp_ucmgp,270d,sd,565.2,,arbiter,2026-11-22,checked §3.4.1\n",
        encoding="utf-8")
    project = tmp_path / "p.sqlite"
    review_services.import_bundle(project, bundle, actor="t", create=True)
    result = review_services.compare_extractors(project, "seed000", "reviewer-b")
    kinds = {d["key"]: (d["kind"], d["resolved"]) for d in result["discrepancies"]}
    assert kinds["kurnatowska2015/d/dp_ucmgp/270d/sd"] == ("different value", True)
    assert result["agreed"] == 1
    assert result["agreement"] == pytest.approx(1 / result["keys_compared"])
    assert result["open"] == result["keys_compared"] - 2  # the rest only seed000 extracted


def test_rob2_assessment_in_the_bundle_reaches_the_report(tmp_path: Path) -> None:
    import yaml

    bundle = tmp_path / "bundle"
    shutil.copytree(review_services.EXAMPLE_BUNDLE, bundle)
    appraisal = yaml.safe_load((bundle / "appraisal.yaml").read_text(encoding="utf-8"))
    low = {"answers": {}, "support": "see Table 1"}
    appraisal["witham2020"]["rob2"] = {
        "outcome": "cfpwv",
        "domains": {
            "D1": {"answers": {"1.1": "Y", "1.2": "Y", "1.3": "N"}, "support": "计算机随机系统"},
            "D2": {"answers": {"2.1": "N", "2.2": "N", "2.6": "Y"}, "support": "双盲"},
            "D3": {"answers": {"3.1": "Y"}, "support": "完整"},
            "D4": {"answers": {"4.1": "N", "4.2": "N", "4.3": "N"}, "support": "双盲"},
            "D5": {**low, "answers": {"5.1": "NI", "5.2": "N", "5.3": "N"}},
        },
    }
    (bundle / "appraisal.yaml").write_text(yaml.safe_dump(appraisal, allow_unicode=True),
                                           encoding="utf-8")
    out = review_services.demo(tmp_path / "out", bundle=bundle)
    rows = out.content["rob2"]["rows"]
    assert [r["study"] for r in rows] == ["Witham 2020 (cfpwv)"]
    # D1, D2, D3, D4 low by their algorithms; D5 with 5.1 NI: some concerns; overall the worst
    assert [c["text"] for c in rows[0]["cells"]] == ["low"] * 4 + ["some concerns"] * 2
    assert "RoB 2" in out.html.read_text(encoding="utf-8")
    # and as data in results.json, which still meets its schema
    results_validator().validate(out.content)
    rob2 = next(s for s in out.content["studies"] if s["id"] == "witham2020")["appraisal"]["rob2"]
    assert rob2["outcome"] == "cfpwv" and rob2["overall"] == "some concerns"
    assert [d["domain"] for d in rob2["domains"]] == ["D1", "D2", "D3", "D4", "D5"]
    stored = appraisal["witham2020"]["rob2"]["domains"]
    for d in rob2["domains"]:
        assert {q: a for q, a in d["answers"].items() if a != "NA"} == stored[d["domain"]]["answers"]
        assert d["support"] == stored[d["domain"]]["support"]
    assert [d["judgement"] for d in rob2["domains"]] == ["low"] * 4 + ["some concerns"]
