"""Screening services and CLI: the terminal session, batch import, conflicts, kappa, PRISMA outputs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evisynth.cli.main import app
from evisynth.review.errors import DomainError
from evisynth.review.links import DuplicateLink
from evisynth.review.model import Criterion, Protocol, Review
from evisynth.review.records import Record
from evisynth.services import screening as services
from evisynth.storage import Project, StorageError, open_project
from evisynth.storage import records as record_store

runner = CliRunner()


def make_project(tmp_path: Path) -> tuple[Path, list[int]]:
    path = tmp_path / "review.evisynth"
    with open_project(path, create=True) as p:
        p.save_review(Review(id="t", protocol=Protocol(
            title="K2", inclusion=(Criterion("I1", "randomised controlled trials"),),
            exclusion=(Criterion("E1", "animal studies"),))), "owner")
        recs = [Record(source_file="a.nbib", entry=i, format="medline", original="x",
                       database="PubMed" if i <= 4 else "CNKI",
                       title=f"A randomised trial {i}" if i != 2 else "维生素K2 动物实验",
                       abstract="Rats were given MK-7.") for i in range(1, 7)]
        batch = record_store.add_records(p, recs, "importer")
        rids = list(range(batch.first_id or 0, (batch.last_id or 0) + 1))
        record_store.add_links(p, [DuplicateLink(rids[5], rids[4], 0.99, "doi", "auto")], "dedup")
        services.settings(p, "owner", include=("randomi*",), exclude=("rats", "动物实验"))
    return path, rids


def test_session_queues_highlights_decides_and_undoes(tmp_path: Path) -> None:
    path, rids = make_project(tmp_path)
    with open_project(path) as p:
        s = services.session(p, "ann")
        assert s.remaining == 5  # the duplicate (last record) is never queued
        item = s.current()
        assert item is not None and item.record_id == rids[0]
        assert [item.title[sp.start:sp.end] for sp in item.title_spans] == ["randomised"]
        assert [item.abstract[sp.start:sp.end] for sp in item.abstract_spans] == ["Rats"]
        assert [c.id for c in s.exclusion] == ["E1"]
        s.decide("i")
        s.decide("e", "E1")
        assert s.remaining == 3
        s.decide("e", "no control group")
        assert s.reasons() == ["E1", "no control group"]
        s.undo()
        s.undo()
        assert s.remaining == 4 and s.current() is not None
        assert s.current().record_id == rids[1]  # type: ignore[union-attr]
        # Blinding: bo does not see ann's decision on record 1 until bo has decided it.
        bo = services.session(p, "bo")
        assert bo.current().visible == ()  # type: ignore[union-attr]
        bo.decide("m")
        states = services.store.load_screening(p)
        assert states[rids[0]].state == "ft:open"
        assert [e.action for e in states[rids[1]].events] == ["exclude", "retract"]
        # Full text: the record both passed is queued with its linked report.
        services.set_full_text(p, rids[0], "url", "https://doi.org/10.1/k2", "ann")
        ft = services.session(p, "bo", "ft")
        item = ft.current()
        assert item is not None and item.record_id == rids[0]
        assert item.full_text == "url: https://doi.org/10.1/k2"
        with pytest.raises(DomainError, match="needs a reason"):
            ft.decide("e")
        assert ft.remaining == 1


def test_cli_screen_drives_the_terminal_session_with_single_keys(tmp_path: Path) -> None:
    path, rids = make_project(tmp_path)
    result = runner.invoke(app, ["screen", str(path), "--reviewer", "ann", "--order", "id"],
                           input="irE1\nemuq")
    assert result.exit_code == 0, result.output
    assert "criteria" in result.output and "animal studies" in result.output
    assert "undone" in result.output and "2 decision(s) recorded" in result.output
    with open_project(path) as p:
        states = services.store.load_screening(p)
    assert [e.action for e in states[rids[0]].events] == ["include"]
    assert [(e.action, e.reason) for e in states[rids[1]].events] == [("exclude", "E1")]
    assert [e.action for e in states[rids[2]].events] == ["maybe", "retract"]


HEADER = "record_id,stage,reviewer,decision,reason,role"


def _csv(tmp_path: Path, rows: list[tuple[object, ...]], header: str = HEADER) -> Path:
    out = io.StringIO()
    out.write(header + "\n")
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / "decisions.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_import_conflicts_resolve_agreement_and_prisma_end_to_end(tmp_path: Path) -> None:
    path, r = make_project(tmp_path)
    rows = [(r[0], "ta", "ann", "include", "", ""), (r[0], "ta", "bo", "include", "", ""),
            (r[1], "ta", "ann", "exclude", "E1", ""), (r[1], "ta", "bo", "exclude", "E1", ""),
            (r[2], "ta", "ann", "include", "", ""), (r[2], "ta", "bo", "exclude", "E1", ""),
            (r[3], "ta", "ann", "maybe", "", ""), (r[3], "ta", "bo", "include", "", ""),
            (r[4], "ta", "ann", "exclude", "", ""), (r[4], "ta", "bo", "exclude", "", ""),
            (r[0], "ft", "ann", "include", "", ""), (r[0], "ft", "bo", "include", "", ""),
            (r[3], "ft", "ann", "exclude", "wrong comparator", ""),
            (r[3], "ft", "bo", "exclude", "wrong comparator", "")]
    decisions = _csv(tmp_path, rows)
    result = runner.invoke(app, ["screen", "import-decisions", str(path), str(decisions), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"imported": 14}

    result = runner.invoke(app, ["screen", "conflicts", str(path), "--json"])
    assert [c["record_id"] for c in json.loads(result.output)] == [r[2]]
    # A third reviewer on a record without conflict is refused; the arbiter resolves the conflict.
    with pytest.raises(DomainError, match="no title/abstract conflict"):
        services.resolve(path, r[0], "ta", "cy", "exclude")
    result = runner.invoke(app, ["screen", "resolve", str(path), str(r[2]), "include", "--arbiter", "cy"])
    assert result.exit_code == 0 and "ft:open" in result.output
    with open_project(path) as p:
        services.set_full_text(p, r[2], "not_retrieved", "", "ann")

    result = runner.invoke(app, ["screen", "agreement", str(path), "--json"])
    kappas = json.loads(result.output)
    ta = next(k for k in kappas if k["stage"] == "ta")
    # ann vs bo at title/abstract, by hand: categories include, exclude, maybe;
    # table [[1,1,0],[0,2,0],[1,0,0]] → po = 3/5, pe = (2·2 + 2·3 + 1·0)/25 = 10/25, kappa = 1/3.
    assert ta["table"] == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert ta["kappa"] == pytest.approx(1 / 3)

    svg, png, csv_out = tmp_path / "p.svg", tmp_path / "p.png", tmp_path / "p.csv"
    result = runner.invoke(app, ["prisma", str(path), "--svg", str(svg), "--png", str(png),
                                 "--csv", str(csv_out), "--json"])
    assert result.exit_code == 0, result.output
    flow = json.loads(result.output)
    # By hand: 6 records (4 PubMed, 2 CNKI), 1 duplicate; 5 screened, 2 excluded; 3 sought,
    # 1 not retrieved, 2 assessed, 1 excluded (wrong comparator); 1 study included.
    assert (flow["database_results"], flow["database_specific"]) == (6, {"CNKI": 2, "PubMed": 4})
    assert (flow["duplicates"], flow["records_screened"], flow["records_excluded"]) == (1, 5, 2)
    assert (flow["sought_reports"], flow["notretrieved_reports"], flow["assessed"]) == (3, 1, 2)
    assert flow["exclusion_reasons"] == {"wrong comparator": 1}
    assert (flow["new_studies"], flow["new_reports"]) == (1, 1)
    assert svg.read_text(encoding="utf-8").startswith("<?xml") and png.read_bytes()[:4] == b"\x89PNG"
    table = list(csv.DictReader(io.StringIO(csv_out.read_text(encoding="utf-8"))))
    n = {row["data"]: row["n"] for row in table}
    assert (n["database_results"], n["duplicates"], n["records_screened"], n["dbr_assessed"]) == \
        ("6", "1", "5", "2")
    assert n["database_specific_results"] == "CNKI, 2; PubMed, 4"
    assert n["dbr_excluded"] == "wrong comparator, 1"


def test_import_refuses_bad_files_whole(tmp_path: Path) -> None:
    path, r = make_project(tmp_path)
    bad = _csv(tmp_path, [(r[0], "ta", "ann", "include", "", ""), (999999, "ta", "ann", "include", "", "")])
    result = runner.invoke(app, ["screen", "import-decisions", str(path), str(bad)])
    assert result.exit_code != 0 and isinstance(result.exception, DomainError)
    assert "no record 999999" in str(result.exception)
    with open_project(path) as p:
        assert services.store.load_screening(p) == {}
    with pytest.raises(DomainError, match="missing column"):
        services.import_decisions(path, _csv(tmp_path, [], header="id,decision"))


def test_prisma_csv_has_the_template_rows_in_order() -> None:
    # The data column of PRISMA.csv in prisma-flowdiagram/PRISMA2020 (Shiny app template).
    from evisynth.io.prisma_csv import TEMPLATE

    expected = ["NA", "previous_studies", "previous_reports", "NA", "database_results",
                "database_specific_results", "register_results", "register_specific_results", "NA",
                "website_results", "organisation_results", "citations_results", "duplicates",
                "excluded_automatic", "excluded_other", "records_screened", "records_excluded",
                "dbr_sought_reports", "dbr_notretrieved_reports", "other_sought_reports",
                "other_notretrieved_reports", "dbr_assessed", "dbr_excluded", "other_assessed",
                "other_excluded", "new_studies", "new_reports", "total_studies", "total_reports",
                "identification", "screening", "included"]
    assert [row[0] for row in TEMPLATE] == expected


def test_relevance_order_puts_records_like_the_included_ones_first(tmp_path: Path) -> None:
    path, rids = make_project(tmp_path)
    with open_project(path) as p:
        s = services.session(p, "ann", order=services.relevance_order(p))
        assert sorted(s._queue) == rids[:5]
        while s.remaining:
            item = s.current()
            assert item is not None
            s.decide("e" if "动物" in item.title else "i")
        # once ann has included and excluded, the order is the ranker's; every record was queued once
        assert sorted(s.done) == rids[:5]


def test_session_refuses_an_empty_reviewer(tmp_path: Path) -> None:
    path, _ = make_project(tmp_path)
    with open_project(path) as p, pytest.raises(DomainError, match="reviewer"):
        services.session(p, " ")
    assert isinstance(p, Project)


def test_refusals_are_one_line_exit_2_in_a_real_process(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    path, rids = make_project(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "evisynth", *args], capture_output=True, text=True,
                              env={**os.environ}, timeout=120)

    proc = run("screen", "resolve", str(path), str(rids[0]), "exclude", "--arbiter", "cy")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "'ta:open'" in proc.stderr and "'ta:conflict'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    with pytest.raises(StorageError, match="no project at"):
        services.list_conflicts(tmp_path / "missing.sqlite")


def test_cli_settings_and_fulltext(tmp_path: Path) -> None:
    path, rids = make_project(tmp_path)
    result = runner.invoke(app, ["screen", "settings", str(path), "--reviewers", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"reviewers": 1, "keywords": {
        "include": ["randomi*"], "exclude": ["rats", "动物实验"]}}
    result = runner.invoke(app, ["screen", "fulltext", str(path), str(rids[0]), "--file", "k2.pdf"])
    assert result.exit_code == 0 and "full text file k2.pdf" in result.output
    result = runner.invoke(app, ["screen", "fulltext", str(path), str(rids[0]), "--file", "a", "--url", "b"])
    assert isinstance(result.exception, DomainError)


def test_records_removed_before_screening_are_counted_in_prisma_and_never_queued(tmp_path: Path) -> None:
    import sqlite3

    path, r = make_project(tmp_path)
    result = runner.invoke(app, ["screen", "remove", str(path), str(r[1]), "--reason", "automation",
                                 "--note", "RobotReviewer RCT classifier < 0.1", "--actor", "ann", "--json"])
    assert result.exit_code == 0, result.output
    removed = json.loads(result.output)
    assert [(x["record_id"], x["reason"], x["note"], x["removed_by"]) for x in removed] == [
        (r[1], "automation", "RobotReviewer RCT classifier < 0.1", "ann")]
    assert removed[0]["removed_at"]
    result = runner.invoke(app, ["screen", "remove", str(path), str(r[2]), "--reason", "other",
                                 "--note", "retracted paper", "--actor", "bo"])
    assert result.exit_code == 0 and "removed 1 record(s)" in result.output
    # Refused, all or none: an unknown record, a record removed twice, a bad reason, no note.
    for args, message in (([str(r[4]), "999999"], "no record 999999"), ([str(r[1])], "already removed")):
        result = runner.invoke(app, ["screen", "remove", str(path), *args, "--reason", "other",
                                     "--note", "x", "--actor", "ann"])
        assert isinstance(result.exception, DomainError) and message in str(result.exception)
    with pytest.raises(DomainError, match="automation or other"):
        services.remove(path, [r[4]], "duplicate", "x", "ann")
    with pytest.raises(DomainError, match="needs a note"):
        services.remove(path, [r[4]], "other", " ", "ann")
    assert [x.record_id for x in services.removals(path)] == [r[1], r[2]]

    # Never queued, never decided. Queue: 6 records − 1 duplicate − 2 removed = 3.
    with open_project(path) as p:
        assert services.session(p, "ann").remaining == 3
    with pytest.raises(DomainError, match="removed before screening"):
        services.decide(path, r[1], "ta", "ann", "include")

    rows = [(r[0], "ta", "ann", "include", "", ""), (r[0], "ta", "bo", "include", "", ""),
            (r[3], "ta", "ann", "exclude", "E1", ""), (r[3], "ta", "bo", "exclude", "E1", "")]
    assert services.import_decisions(path, _csv(tmp_path, rows)) == 4
    # A record with decisions was screened: it cannot be removed before screening.
    with pytest.raises(DomainError, match="already has screening decisions"):
        services.remove(path, [r[0]], "other", "x", "ann")

    result = runner.invoke(app, ["prisma", str(path), "--csv", str(tmp_path / "p.csv"), "--json"])
    assert result.exit_code == 0, result.output
    flow = json.loads(result.output)
    # By hand: 6 identified; removed before screening: 1 duplicate (r5), 1 by automation (r1),
    # 1 other (r2); screened 3 (r0, r3, r4); excluded 1 (r3); pending 1 (r4); sought 1 (r0).
    assert (flow["database_results"], flow["duplicates"], flow["excluded_automatic"],
            flow["excluded_other"]) == (6, 1, 1, 1)
    assert (flow["records_screened"], flow["records_excluded"], flow["pending_title_abstract"],
            flow["sought_reports"]) == (3, 1, 1, 1)
    n = {row["data"]: row["n"] for row in csv.DictReader(io.StringIO(
        (tmp_path / "p.csv").read_text(encoding="utf-8")))}
    assert (n["duplicates"], n["excluded_automatic"], n["excluded_other"], n["records_screened"]) == \
        ("1", "1", "1", "3")

    # Append-only: the database itself refuses to change or delete a removal.
    with sqlite3.connect(path) as conn:
        for statement in ("UPDATE record_removals SET reason = 'other'", "DELETE FROM record_removals"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(statement)
    conn.close()
