"""``evisynth appraise``: once as a real process, then in-process (the CLI starts slowly on CI)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evisynth.cli import main
from evisynth.services import review as review_services
from evisynth.services.claims import project_entries
from tests.test_cli import run


class Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = code, stdout, stderr


def cli(*args: str) -> Result:
    """The command in-process, through the same entry point (and error table) as the console script."""
    result = CliRunner().invoke(main.app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, "")


def entry_point(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.setattr(sys, "argv", ["evisynth", *args])
    with pytest.raises(SystemExit) as stop:
        main.run()
    captured = capsys.readouterr()
    return Result(int(stop.value.code or 0), captured.out, captured.err)


ARTICLE = (
    "大剂量维生素K2增强骨密度\n"
    "临床试验表明，每天45mg维生素K2(MK-4)可增加骨密度并显著降低骨折风险。"
    "因此，维生素K2可以预防心血管疾病。<script>alert('x')</script>维生素K2的推荐摄入量一般在每日50~200微克之间。"
)


def test_json_lists_every_claim_with_a_verdict(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    proc = run("appraise", str(article), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["language"] == "zh"
    verdicts = {c["claim"]["outcome"]: c["verdict"] for c in out["claims"]}
    assert verdicts["fracture"] == "overstated"
    assert verdicts["cvd_events"] == "not_supported"
    assert verdicts["intake"] == "overstated"
    assert any("华法林" in o for o in out["omissions"])


def test_html_report_escapes_the_article_and_shows_words_and_evidence(tmp_path: Path) -> None:
    article = tmp_path / "a.md"
    article.write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "report" / "a.html"
    proc = cli("appraise", str(article), "--html", str(out))
    assert proc.returncode == 0, proc.stderr
    html = out.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert 'class="v-overstated"' in html and "言过其实" in html and "缺乏试验证据" in html
    assert "<details" in html and "doi.org/10.1001/archinte.166.12.1256" in html


def test_english_html_article(tmp_path: Path) -> None:
    article = tmp_path / "a.html"
    article.write_text(
        "<html><head><style>p{}</style></head><body><p>K2 prevents cardiovascular disease.</p>"
        "<p>People taking warfarin should consult their doctor before taking vitamin K.</p></body></html>",
        encoding="utf-8",
    )
    proc = cli("appraise", str(article), "--json", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [c["verdict"] for c in out["claims"]] == ["not_supported", "supported"]
    assert "Evidence:" in out["claims"][0]["explanation"]


def test_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    bad_lang = entry_point(capsys, monkeypatch, "appraise", str(article), "--lang", "fr")
    assert bad_lang.returncode == 2 and bad_lang.stderr.startswith("error: --lang")
    missing = entry_point(capsys, monkeypatch, "appraise", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF")
    assert entry_point(capsys, monkeypatch, "appraise", str(pdf)).returncode == 2


def test_a_review_projects_analyses_join_the_evidence(tmp_path: Path) -> None:
    project = tmp_path / "project.sqlite"
    review_services.import_bundle(project, review_services.EXAMPLE_BUNDLE, actor="test", create=True)
    entries = {e.id: e for e in project_entries(project)}
    cacs = entries["project:delta_cacs"]
    assert (cacs.outcome, cacs.direction, cacs.verified) == ("vascular_calcification", "no_effect", True)
    assert entries["project:dp_ucmgp_end"].outcome == "ucmgp"
    article = tmp_path / "a.txt"
    article.write_text("补充维生素K2可以减缓冠状动脉钙化。", encoding="utf-8")
    proc = cli("appraise", str(article), "--json", "--project", str(project))
    assert proc.returncode == 0, proc.stderr
    claim = json.loads(proc.stdout)["claims"][0]
    assert claim["verdict"] == "contradicted"
    assert any(u["entry"]["id"].startswith("project:") for u in claim["evidence"])
