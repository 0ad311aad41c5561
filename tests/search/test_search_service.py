"""Searches saved as files to import: written whole or not at all; offline is one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evisynth.core.errors import InputError
from evisynth.io.records import read_file
from evisynth.io.search import HttpResponse, SearchError
from evisynth.services.search import ctgov_query, pubmed_query, search_ctgov, search_pubmed
from tests.search.conftest import Replay, recorded


def test_pubmed_hits_are_saved_as_medline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda s: None)
    out = tmp_path / "pubmed.nbib"
    replay = Replay(recorded("esearch.xml"), recorded("efetch_1.txt"), recorded("efetch_2.txt"),
                    recorded("efetch_3.txt"))
    result = search_pubmed("k2", out, transport=replay, batch_size=2)
    assert result.fetched == 5
    assert out.read_text(encoding="utf-8").count("PMID- ") == 5
    assert list(tmp_path.iterdir()) == [out]


def test_a_failed_download_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda s: None)
    out = tmp_path / "pubmed.nbib"
    replay = Replay(recorded("esearch.xml"), recorded("efetch_1.txt"), HttpResponse(400, b"bad"))
    with pytest.raises(SearchError, match="HTTP 400"):
        search_pubmed("k2", out, transport=replay, batch_size=2)
    assert list(tmp_path.iterdir()) == []


def test_ctgov_studies_are_saved_as_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda s: None)
    out = tmp_path / "ctgov.json"
    replay = Replay(recorded("ctgov_page1.json"), recorded("ctgov_page2.json"))
    summary = search_ctgov({"query.cond": "chronic kidney disease", "query.intr": ""}, out, transport=replay,
                           page_size=2)
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["query"] == {"query.cond": "chronic kidney disease"} and saved["totalCount"] == 3
    assert len(saved["studies"]) == summary.fetched == 3


def test_cli_offline_search_is_one_line_exit_2(tmp_path: Path) -> None:
    # A proxy on a closed local port: the connection is refused at once, as when offline.
    env = {**os.environ, "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
           "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": ""}
    proc = subprocess.run([sys.executable, "-m", "evisynth", "search", "pubmed", "vitamin K2",
                           "--out", str(tmp_path / "x.nbib")], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "cannot reach eutils.ncbi.nlm.nih.gov" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.nbib").exists()


def test_a_saved_ctgov_search_imports_as_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda s: None)
    out = tmp_path / "ctgov.json"
    search_ctgov({"query.cond": "chronic kidney disease"}, out, page_size=2,
                 transport=Replay(recorded("ctgov_page1.json"), recorded("ctgov_page2.json")))
    read = read_file(out)
    assert (read.format, len(read.records)) == ("ctgov_json", 3)
    first, second, third = read.records
    assert first.title.startswith("A Randomised Trial of Menaquinone-7")  # officialTitle preferred
    assert (first.year, first.journal, first.database) == (2018, "ClinicalTrials.gov NCT09900001",
                                                            "ClinicalTrials.gov")
    assert first.keywords == ("Chronic Kidney Disease", "Vascular Calcification", "vitamin K2", "MK-7")
    assert (second.title, second.year) == ("Menaquinone-7 in Haemodialysis Patients", 2016)
    assert third.year == 2022 and '"nctId": "NCT09900003"' in third.original
    # A single API page reads the same way.
    assert len(read_file(Path(__file__).parent / "fixtures" / "ctgov_page2.json").records) == 1


def test_the_seed_000_strategy_file_builds_both_queries() -> None:
    strategy = Path(__file__).parent / "fixtures" / "seed000_strategy.yaml"
    term, mindate, maxdate = pubmed_query(None, strategy)
    assert term.startswith('("Vitamin K 2"[Mesh] OR "vitamin K2"[tiab] OR menaquinone*[tiab] '
                           'OR "MK-4"[tiab])')
    assert ' AND ("Renal Insufficiency, Chronic"[Mesh] OR ' in term
    assert (mindate, maxdate) == ("", "2023/01/31")
    params = ctgov_query({"query.cond": ""}, strategy)
    assert params["query.intr"] == '("Vitamin K 2" OR "vitamin K2" OR menaquinone OR "MK-4")'
    assert params["filter.advanced"] == "AREA[StudyFirstPostDate]RANGE[MIN,2023-01-31]"


def test_bad_strategy_files_name_file_and_concept(tmp_path: Path) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("concepts:\n  - name: k2\n    free_text: [k2]\n  - name: ckd\n    role: population\n"
                   "    free_text: [CKD]\n", encoding="utf-8")
    with pytest.raises(SearchError, match=r"s\.yaml, concept 2: concept 'ckd': role must be one of"):
        pubmed_query(None, bad)
    with pytest.raises(InputError, match="one of them"):
        pubmed_query("x", bad)
    with pytest.raises(InputError, match="not both"):
        ctgov_query({"query.cond": "CKD"}, bad)
