"""Importing export files into a project: all files or none, one batch, per-file summaries,
XLSX with a column mapping, and the ``evisynth import`` / ``evisynth records`` commands."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner, Result

from evisynth.cli.main import app
from evisynth.core.errors import InputError
from evisynth.io.errors import ImportFormatError
from evisynth.io.records import read_file, read_records
from evisynth.services import records as services
from evisynth.storage import open_project
from evisynth.storage import records as store

NBIB = """PMID- 26176405
TI  - Effect of vitamin K2 on progression of atherosclerosis and vascular calcification
      in nondialyzed patients with chronic kidney disease stages 3-5.
AU  - Kurnatowska I
AU  - Grzelak P
DP  - 2015
TA  - Pol Arch Med Wewn
LA  - eng

PMID- 31421429
TI  - Vitamin K2 in hemodialysis patients.
AU  - Oikonomaki T
DP  - 2019 Aug
"""
RIS_GB = ("TY  - JOUR\nTI  - 维生素K2对慢性肾脏病血管钙化的影响\nAU  - 王斌\nPY  - 2020\n"
          "DB  - CNKI\nER  - \n")


@pytest.fixture
def exports(tmp_path: Path) -> dict[str, Path]:
    nbib = tmp_path / "pubmed.nbib"
    nbib.write_text(NBIB, encoding="utf-8")
    cnki = tmp_path / "cnki.ris"
    cnki.write_bytes(RIS_GB.encode("gb18030"))
    truncated = tmp_path / "truncated.ris"
    truncated.write_text("TY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two, cut off\n",
                         encoding="utf-8")
    return {"nbib": nbib, "cnki": cnki, "truncated": truncated}


def test_files_are_imported_as_one_batch_with_per_file_summaries(tmp_path: Path,
                                                                 exports: dict[str, Path]) -> None:
    project = tmp_path / "p.evisynth"
    seen: list[tuple[int, int]] = []
    result = services.import_records(project, [exports["nbib"], exports["cnki"]], actor="reviewer-a",
                                     create=True, progress=lambda done, total, _p: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]
    batch = result.batch
    assert batch.record_count == 3 and (batch.first_id, batch.last_id) == (1, 3)
    assert [(f.format, f.encoding, f.records) for f in batch.files] == [
        ("medline", "utf-8", 2), ("ris", "gb18030", 1)]
    assert any("GB18030" in w for w in batch.files[1].warnings)
    assert batch.files[1].sha256 == hashlib.sha256(exports["cnki"].read_bytes()).hexdigest()
    with open_project(project) as p:
        stored = store.list_records(p)
        assert stored[2].record.title == "维生素K2对慢性肾脏病血管钙化的影响"
        assert stored[0].record.pmid == "26176405" and stored[0].record.line == 1
        assert stored[2].record.database == "CNKI"


def test_one_bad_file_imports_nothing_and_names_file_and_line(tmp_path: Path,
                                                              exports: dict[str, Path]) -> None:
    project = tmp_path / "p.evisynth"
    services.import_records(project, [exports["nbib"]], actor="a", create=True)
    with pytest.raises(ImportFormatError) as caught:
        services.import_records(project, [exports["cnki"], exports["truncated"]], actor="a")
    message = str(caught.value)
    assert "truncated.ris, line 5" in message and "file 2 of 2" in message
    assert message.endswith("nothing was imported")
    with open_project(project) as p:
        assert store.count_records(p) == {"PubMed": 2}
        assert len(store.list_batches(p)) == 1


def test_a_file_given_twice_is_refused(exports: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(InputError, match="given twice"):
        services.import_records(tmp_path / "p", [exports["nbib"], exports["nbib"]], actor="a", create=True)


def test_column_map_is_parsed_and_checked() -> None:
    assert services.parse_column_map("title=Article Title, authors=Author") == {
        "title": "Article Title", "authors": "Author"}
    assert services.parse_column_map(None) is None
    with pytest.raises(InputError, match="unknown field 'titel'"):
        services.parse_column_map("titel=Title")
    with pytest.raises(InputError, match="must be field=Column"):
        services.parse_column_map("title")


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_rows_become_records_with_a_column_mapping(tmp_path: Path) -> None:
    sheet = _workbook(tmp_path / "cnki.xlsx", [
        ["篇名", "作者", "年", "刊名", "DOI"],
        ["维生素K2与血管钙化", "王斌; 李明", 2020, "中华肾脏病杂志",
         "10.3760/cma.j.issn.1001-7097.2020.01.001"],
        [None, None, None, None, None],
        ["Menaquinone-7 in CKD", "Smith J", 2019.0, "Nephron", ""],
    ])
    mapping = {"title": "篇名", "authors": "作者", "year": "年", "journal": "刊名", "doi": "DOI"}
    read = read_file(sheet, columns=mapping, source="CNKI")
    assert (read.format, read.encoding) == ("xlsx", "")
    first, second = read.records
    assert (first.title, first.authors, first.year, first.journal) == (
        "维生素K2与血管钙化", ("王斌", "李明"), 2020, "中华肾脏病杂志")
    assert first.doi == "10.3760/cma.j.issn.1001-7097.2020.01.001" and first.database == "CNKI"
    assert (second.entry, second.line, second.year) == (2, 4, 2019)
    assert second.original == "Menaquinone-7 in CKD\tSmith J\t2019\tNephron\t"


def test_xlsx_with_the_usual_headers_needs_no_mapping(tmp_path: Path) -> None:
    sheet = _workbook(tmp_path / "scopus.xlsx", [["Title", "Authors", "Year"], ["A trial", "Doe J", 2021]])
    (record,) = read_records(sheet)
    assert (record.title, record.year, record.format) == ("A trial", 2021, "xlsx")


def test_a_mapping_that_names_an_unknown_column_says_which(tmp_path: Path) -> None:
    sheet = _workbook(tmp_path / "s.xlsx", [["Title", "Authors"], ["A trial", "Doe J"]])
    with pytest.raises(ImportFormatError, match=r"s\.xlsx, line 1: column\(s\) 'Author' not in the header; "
                                                r"the header has 'Title', 'Authors'"):
        read_records(sheet, columns={"title": "Title", "authors": "Author"})


def test_a_broken_xlsx_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not really a workbook")
    with pytest.raises(ImportFormatError, match=r"bad\.xlsx: not a readable \.xlsx workbook"):
        read_records(bad)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evisynth", *args], capture_output=True, text=True,
                          env={**os.environ}, timeout=120)


def invoke(*args: str) -> Result:
    """In-process: a subprocess costs seconds of imports."""
    return CliRunner().invoke(app, list(args))


def test_cli_import_list_export_round_trip(tmp_path: Path, exports: dict[str, Path]) -> None:
    project = tmp_path / "p.evisynth"
    proc = invoke("import", str(exports["nbib"]), str(exports["cnki"]), "--project", str(project), "--create",
                  "--source", "mixed", "--json")
    assert proc.exit_code == 0, proc.output
    summary = json.loads(proc.stdout)
    assert summary["record_count"] == 3 and [f["records"] for f in summary["files"]] == [2, 1]
    assert summary["source"] == "mixed"
    listed = json.loads(invoke("records", "list", str(project), "--json").stdout)
    assert [r["id"] for r in listed] == [1, 2, 3] and listed[0]["database"] == "mixed"
    human = invoke("records", "list", str(project))
    assert human.exit_code == 0 and "维生素K2" in human.stdout
    assert len(json.loads(invoke("records", "list", str(project), "--batch", "2", "--json").stdout)) == 0
    mixed = invoke("records", "list", str(project), "--database", "mixed", "--json")
    assert len(json.loads(mixed.stdout)) == 3
    out = tmp_path / "all.ris"
    proc = invoke("records", "export", str(project), "--format", "ris", "--out", str(out))
    assert proc.exit_code == 0, proc.output
    assert [r.title for r in read_records(out)] == [r["title"] for r in listed]
    csv_out = tmp_path / "all.csv"
    assert invoke("records", "export", str(project), "--format", "csv", "--out", str(csv_out)).exit_code == 0
    assert [r.title for r in read_records(csv_out)] == [r["title"] for r in listed]


def test_cli_failed_import_is_one_line_and_stores_nothing(tmp_path: Path, exports: dict[str, Path]) -> None:
    project = tmp_path / "p.evisynth"
    failed = run("import", str(exports["nbib"]), str(exports["truncated"]), "--project", str(project),
                 "--create")
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert "truncated.ris, line 5" in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
    assert not project.exists()  # files are read before the project is even opened


def test_import_into_a_missing_project_names_the_command_that_creates_one(
        tmp_path: Path, exports: dict[str, Path]) -> None:
    project = tmp_path / "missing.sqlite"
    failed = run("import", str(exports["nbib"]), "--project", str(project))
    assert failed.returncode != 0 and "Traceback" not in failed.stderr
    assert "evisynth init" not in failed.stderr
    assert f"evisynth new {project} --title" in " ".join(failed.stderr.split())
    assert not project.exists()
    # the command it names exists and creates the project
    made = invoke("new", str(project), "--title", "Vitamin K2")
    assert made.exit_code == 0, made.output
    assert invoke("import", str(exports["nbib"]), "--project", str(project)).exit_code == 0


def test_new_commands_have_help() -> None:
    for args in (["import", "--help"], ["records", "--help"], ["records", "import", "--help"],
                 ["records", "list", "--help"], ["records", "export", "--help"],
                 ["search", "pubmed", "--help"], ["search", "ctgov", "--help"], ["dedup", "--help"]):
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_binary_junk_and_missing_files_are_one_clear_error(tmp_path: Path, exports: dict[str, Path]) -> None:
    junk = tmp_path / "figure.ris"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    project = tmp_path / "p.evisynth"
    with pytest.raises(ImportFormatError, match=r"figure\.ris, line 1: .*nothing was imported"):
        services.import_records(project, [exports["nbib"], junk], actor="a", create=True)
    with pytest.raises(ImportFormatError, match=r"nope\.ris: no such file"):
        services.import_records(project, [tmp_path / "nope.ris"], actor="a", create=True)
    assert not project.exists()


def test_a_medline_file_cut_mid_line_imports_with_a_warning(tmp_path: Path) -> None:
    # MEDLINE has no end tag: a cut inside the last abstract still parses, so the importer warns.
    cut = tmp_path / "cut.nbib"
    cut.write_text(NBIB.rstrip("\n")[:-2], encoding="utf-8")  # "DP  - 2019 Aug" → "DP  - 2019 A"
    result = services.import_records(tmp_path / "p.evisynth", [cut], actor="a", create=True)
    (summary,) = result.batch.files
    assert any("ends in the middle of a line" in w and "entry 2 (line 10)" in w for w in summary.warnings)


def test_record_options_with_a_bundle_folder_are_refused(tmp_path: Path) -> None:
    result = invoke("import", str(tmp_path), "--project", str(tmp_path / "p.evisynth"), "--source", "CNKI")
    assert isinstance(result.exception, InputError)
    assert "--source apply to record export files, not to the review bundle" in str(result.exception)


def test_real_embase_ris_and_csv_exports_import_and_deduplicate(tmp_path: Path, formats: Path) -> None:
    """ASReview's embase.ris and embase.csv are the same six Embase records exported twice:
    imported as two batches, deduplication must link each CSV row to its RIS entry."""
    from evisynth.services import dedup

    project = tmp_path / "p.evisynth"
    ris = services.import_records(project, [formats / "asreview" / "embase.ris"], actor="a", create=True)
    csv = services.import_records(project, [formats / "asreview" / "embase.csv"], actor="a",
                                  source="Embase")
    assert (ris.batch.record_count, csv.batch.record_count) == (6, 6)
    run = dedup.deduplicate(project)
    counts = run.counts
    assert (counts.identified, counts.duplicates_removed, counts.screened) == (12, 6, 6)
    assert counts.by_source == {"Embase": 12}
    with open_project(project) as p:
        pairs = {(s.link.record, s.link.duplicate_of) for s in store.list_links(p)}
    assert pairs == {(7 + k, 1 + k) for k in range(6)}  # CSV row k (ids 7–12) ↔ RIS entry k (ids 1–6)


def test_source_once_per_file(tmp_path: Path, exports: dict[str, Path]) -> None:
    project = tmp_path / "p.evisynth"
    proc = invoke("import", str(exports["nbib"]), str(exports["cnki"]), "--project", str(project), "--create",
                  "--source", "PubMed", "--source", "Wanfang", "--json")
    assert proc.exit_code == 0, proc.output
    assert json.loads(proc.stdout)["source"] == "PubMed; Wanfang"
    with open_project(project) as p:
        assert store.count_records(p) == {"PubMed": 2, "Wanfang": 1}
    with pytest.raises(InputError, match="--source is given 2 times for 1 files"):
        services.import_records(project, [exports["nbib"]], actor="a", source=["A", "B"])
