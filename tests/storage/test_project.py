"""The project database: lossless round trips, an audit row for every change, all or nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from evisynth.review.extraction import Resolution
from evisynth.review.model import Arm, ExtractedValue, Provenance, Study
from evisynth.storage import Bundle, BundleError, Project, StorageError, open_project, read_bundle
from tests.storage.conftest import small_bundle, value
from tests.storage.test_bundle import EXAMPLE, sorted_values, texts, write

REPO = Path(__file__).resolve().parents[2]


def snapshot(project: Project, folder: Path) -> tuple[Bundle, tuple[object, ...], dict[str, bytes]]:
    """Everything observable about a project: its contents, its audit log, its exported bytes."""
    project.export_bundle(folder)
    return project.load_bundle(), project.audit_entries(), texts(folder)


@pytest.fixture
def imported(project: Project, tmp_path: Path) -> Project:
    project.import_bundle(write(small_bundle(), tmp_path / "in"), actor="importer")
    return project


# -- opening -----------------------------------------------------------------------------------


def test_a_missing_project_is_not_created_unless_asked(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"no project at .*nope.evisynth; create one with `evisynth new "):
        open_project(tmp_path / "nope.evisynth")
    assert not (tmp_path / "nope.evisynth").exists()


def test_a_new_project_is_empty_and_says_so(project: Project) -> None:
    assert project.review_id is None
    with pytest.raises(StorageError, match=r"is empty; import a bundle or save a review first"):
        project.load_review()


def test_sqlite_projects_use_wal_and_enforce_foreign_keys(tmp_path: Path) -> None:
    with open_project(tmp_path / "p.evisynth", create=True) as project, project.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_sqlite_file_that_is_not_a_project_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (x)")
    with pytest.raises(StorageError, match=r"holds other tables \(things\) but no evisynth project"):
        open_project(path)
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StorageError, match=r"cannot open .*junk.db"):
        open_project(tmp_path / "junk.db")


def test_an_unsupported_database_url_is_refused() -> None:
    with pytest.raises(StorageError, match=r"SQLite or PostgreSQL \(got 'mysql'"):
        open_project("mysql://user@localhost/db")


# -- round trips -------------------------------------------------------------------------------


def test_bundle_to_project_to_bundle_is_byte_identical(project: Project, tmp_path: Path) -> None:
    source = write(small_bundle(), tmp_path / "in")
    project.import_bundle(source, actor="importer")
    project.export_bundle(tmp_path / "out")
    assert texts(tmp_path / "out") == texts(source)
    assert project.load_bundle() == sorted_values(small_bundle())


def test_the_vitk2_example_round_trips_through_a_project(project: Project, tmp_path: Path) -> None:
    if not (EXAMPLE / "review.yaml").is_file():
        pytest.skip(f"example bundle not found at {EXAMPLE}")
    bundle = read_bundle(EXAMPLE)
    canonical = write(bundle, tmp_path / "in")
    project.import_bundle(canonical, actor="importer")
    project.export_bundle(tmp_path / "out")
    assert texts(tmp_path / "out") == texts(canonical)
    assert project.load_bundle() == bundle


def test_a_reopened_project_holds_what_was_saved(location: str, tmp_path: Path) -> None:
    with open_project(location, create=True) as project:
        project.import_bundle(write(small_bundle(), tmp_path / "in"), actor="importer")
    with open_project(location) as project:
        assert project.load_bundle() == sorted_values(small_bundle())


# -- the audit log -----------------------------------------------------------------------------


def test_an_import_audits_the_creation_of_every_stored_thing(imported: Project) -> None:
    entries = imported.audit_entries()
    assert {e.action for e in entries} == {"create"}
    assert {e.actor for e in entries} == {"importer"}
    assert len({e.at for e in entries}) == 1
    assert entries[0].at.tzinfo is not None
    assert abs(entries[0].at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.entity] = counts.get(e.entity, 0) + 1
    review = small_bundle().review
    assert counts == {
        "project": 1, "protocol": 1, "prisma": 1, "criterion": 3, "search": 2, "location": 2,
        "study": 2, "report": 3, "arm": 3, "outcome": 3, "reported_total": 2, "analysis": 1,
        "value": len(review.values), "resolution": 1, "appraisal": 2,
    }
    arm = imported.audit_entries(entity="arm", entity_id="kurnatowska2015/k2d")[0]
    assert arm.old_value is None and arm.new_value["n"] == 29 and arm.new_value["label"].startswith("MK-7")


def test_saving_the_same_review_again_changes_and_audits_nothing(imported: Project) -> None:
    before = imported.audit_entries()
    assert imported.save_bundle(imported.load_bundle(), actor="someone") == 0
    assert imported.audit_entries() == before


def test_every_change_of_a_saved_review_is_audited_with_old_and_new_values(imported: Project) -> None:
    review = imported.load_review()
    k, o = review.studies
    changed = dataclasses.replace(
        review,
        studies=(
            dataclasses.replace(
                k, arms=(dataclasses.replace(k.arms[0], n=30), k.arms[1]), reports=k.reports[:1],
                characteristics={**k.characteristics, "bmi": "27.1"}),
            o,
            Study("witham2020", "Witham 2020", 2020, arms=(Arm("k2", "MK-7 400 μg", 80),)),
        ),
        values=tuple(v for v in review.values if v.provenance.report != "kurnatowska2015-r2"),
        locations={"T2": "Table 2 (表 2), p. 656", "F1": "Figure 1"},
    )
    after = imported.audit_entries()[-1].id
    assert imported.save_review(changed, actor="reviewer-b") == 6
    found = {(e.action, e.entity, e.entity_id, e.field): (e.old_value, e.new_value)
             for e in imported.audit_entries(after=after)}
    assert found[("update", "arm", "kurnatowska2015/k2d", "n")] == (29, 30)
    assert found[("update", "study", "kurnatowska2015", "characteristics.bmi")] == (None, "27.1")
    assert found[("update", "location", "T2", "text")] == ("Table 2 (表 2), p. 655", "Table 2 (表 2), p. 656")
    old_report = found[("delete", "report", "kurnatowska2015/kurnatowska2015-r2", None)]
    assert old_report[0]["citation"] == "Conference abstract" and old_report[1] is None
    assert found[("create", "study", "witham2020", None)][1]["label"] == "Witham 2020"
    assert found[("create", "arm", "witham2020/k2", None)][1]["n"] == 80
    assert {e.actor for e in imported.audit_entries(after=after)} == {"reviewer-b"}
    assert imported.load_review() == changed


def test_set_value_audits_each_changed_field(imported: Project) -> None:
    old = next(v for v in imported.load_review().values if v.key[-1] == "mean" and v.value == 961.5)
    new = dataclasses.replace(old, value=961.6, provenance=dataclasses.replace(old.provenance,
                                                                                location="Table 3"))
    imported.set_value(new, actor="reviewer-a")
    entries = imported.audit_entries(entity="value")[-2:]
    assert [(e.action, e.field, e.old_value, e.new_value) for e in entries] == [
        ("update", "value", 961.5, 961.6), ("update", "location", "Table 2", "Table 3")]
    assert entries[0].entity_id == "kurnatowska2015/k2d/dp_ucmgp/270d/mean/reviewer-a"
    assert new in imported.load_review().values and old not in imported.load_review().values


def test_add_value_stores_and_audits_a_new_value(imported: Project) -> None:
    new = value("oikonomaki2019", "k2", "cac", "1y", "sd_change", 4.5, extractor="reviewer-b")
    imported.add_value(new, actor="reviewer-b")
    assert new in imported.load_review().values
    entry = imported.audit_entries()[-1]
    assert (entry.action, entry.entity, entry.actor) == ("create", "value", "reviewer-b")
    assert entry.new_value["value"] == 4.5


def test_resolutions_and_appraisals_are_audited_item_by_item(imported: Project) -> None:
    imported.record_resolution(
        Resolution("kurnatowska2015", "k2d", "dp_ucmgp", "baseline", "sd", 507.6, "pmol/L",
                   resolved_by="reviewer-d", note="second look"), actor="reviewer-d")
    rob1 = dict(imported.load_appraisals()["kurnatowska2015"]["rob1"])
    rob1["allocation_concealment"] = {"judgement": "low", "support": "sealed envelopes"}
    imported.save_appraisal("kurnatowska2015", "rob1", rob1, actor="reviewer-c")
    imported.save_appraisal("oikonomaki2019", "jadad", {"randomised": False}, actor="reviewer-c")
    found = [(e.action, e.entity, e.entity_id, e.field, e.old_value, e.new_value)
             for e in imported.audit_entries()[-6:]]
    assert found[:4] == [
        ("update", "resolution", "kurnatowska2015/k2d/dp_ucmgp/baseline/sd", "value", 506.7, 507.6),
        ("update", "resolution", "kurnatowska2015/k2d/dp_ucmgp/baseline/sd", "resolved_by",
         "reviewer-c", "reviewer-d"),
        ("update", "resolution", "kurnatowska2015/k2d/dp_ucmgp/baseline/sd", "resolved_at",
         "2026-01-20", ""),
        ("update", "resolution", "kurnatowska2015/k2d/dp_ucmgp/baseline/sd", "note",
         "checked against the PDF, Table 2", "second look"),
    ]
    assert found[4] == ("update", "appraisal", "kurnatowska2015/rob1", "answers.allocation_concealment",
                        {"judgement": "unclear", "support": ""},
                        {"judgement": "low", "support": "sealed envelopes"})
    assert found[5] == ("create", "appraisal", "oikonomaki2019/jadad", None, None,
                        {"study_id": "oikonomaki2019", "tool": "jadad", "answers": {"randomised": False}})
    assert imported.load_appraisals()["oikonomaki2019"] == {"jadad": {"randomised": False}}


def test_the_database_refuses_to_update_or_delete_audit_rows(imported: Project) -> None:
    before = imported.audit_entries()
    statements = ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log",
                  "UPDATE audit_log SET old_value = NULL WHERE id = 1"]
    if imported.engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_log")
    for statement in statements:
        with pytest.raises(DBAPIError, match=r"audit_log is append-only"), imported.engine.begin() as conn:
            conn.execute(text(statement))
    assert imported.audit_entries() == before


# -- refusals change nothing -------------------------------------------------------------------


@pytest.mark.parametrize(("change", "message"), [
    (lambda v: dataclasses.replace(v, study="smith2020"),
     "value smith2020/k2d/dp_ucmgp/300d/mean by 'reviewer-a': unknown study 'smith2020' in 'study'; "
     "use one of the review's study ids (kurnatowska2015, oikonomaki2019; studies.yaml)"),
    (lambda v: dataclasses.replace(v, arm="placebo"),
     "study 'kurnatowska2015' has no arm 'placebo'; use one of k2d, d, or leave 'arm' empty"),
    (lambda v: dataclasses.replace(v, outcome="pwv"), "unknown outcome 'pwv'"),
    (lambda v: dataclasses.replace(v, statistic="average"), "'statistic' must be one of n, mean"),
    (lambda v: dataclasses.replace(v, value=float("nan")), "'value' must be a finite number"),
])
def test_values_with_unknown_ids_or_bad_numbers_are_refused_and_nothing_changes(
    imported: Project, tmp_path: Path, change: Callable[[ExtractedValue], ExtractedValue], message: str,
) -> None:
    before = snapshot(imported, tmp_path / "before")
    old = next(v for v in imported.load_review().values if v.key[-1] == "mean" and v.value == 961.5)
    bad = change(dataclasses.replace(old, timepoint="300d"))
    for method in (imported.add_value, imported.set_value):
        with pytest.raises(StorageError) as err:
            method(bad, actor="reviewer-a")
        assert message in str(err.value)
    assert snapshot(imported, tmp_path / "after") == before


def test_adding_a_stored_value_or_setting_a_missing_one_says_which_method_to_use(imported: Project) -> None:
    stored = imported.load_review().values[0]
    with pytest.raises(StorageError, match=r"is already stored \(value .*\); use set_value to change it"):
        imported.add_value(stored, actor="a")
    with pytest.raises(StorageError, match=r"is not stored; use add_value to add it"):
        imported.set_value(dataclasses.replace(stored, timepoint="999d"), actor="a")


def test_unknown_ids_in_resolutions_and_appraisals_are_refused(imported: Project) -> None:
    with pytest.raises(StorageError,
                       match=r"resolution smith/k2d/dp_ucmgp/baseline/sd: unknown study 'smith'"):
        imported.record_resolution(Resolution("smith", "k2d", "dp_ucmgp", "baseline", "sd", 1.0, "",
                                              resolved_by="c"), actor="c")
    with pytest.raises(StorageError, match=r"unknown study 'smith'; appraise one of the project's studies "
                                           r"\(kurnatowska2015, oikonomaki2019\)"):
        imported.save_appraisal("smith", "rob1", {}, actor="c")
    with pytest.raises(StorageError, match=r"appraisal tool 'RoB 2' is not a tool name"):
        imported.save_appraisal("kurnatowska2015", "RoB 2", {}, actor="c")
    with pytest.raises(StorageError, match=r"must be text, a number, true/false or null"):
        imported.save_appraisal("kurnatowska2015", "rob1", {"when": dt.date(2026, 1, 1)}, actor="c")


def test_a_change_without_an_actor_is_refused(imported: Project) -> None:
    with pytest.raises(StorageError, match=r"actor must name who makes the change"):
        imported.save_appraisal("kurnatowska2015", "rob1", {}, actor=" ")


def test_another_review_is_not_saved_over_this_one(imported: Project) -> None:
    other = dataclasses.replace(imported.load_review(), id="another-review")
    with pytest.raises(StorageError, match=r"holds review 'vitk2-test', not 'another-review'; open a new "
                                           r"project for another review"):
        imported.save_review(other, actor="a")


def test_removing_a_study_that_stored_appraisals_or_resolutions_refer_to_is_refused(
    imported: Project,
) -> None:
    review = imported.load_review()
    without = dataclasses.replace(
        review, studies=review.studies[1:], analyses=(),
        values=tuple(v for v in review.values if v.study != "kurnatowska2015"))
    with pytest.raises(StorageError, match=r"stored resolution kurnatowska2015/k2d/dp_ucmgp/baseline/sd "
                                           r"would refer to nothing: unknown study 'kurnatowska2015'"):
        imported.save_review(without, actor="a")
    with pytest.raises(StorageError, match=r"appraisals of study 'kurnatowska2015' would lose their study"):
        imported.save_review(without, actor="a", resolutions=())
    imported.save_review(without, actor="a", resolutions=(), appraisals={})
    assert imported.load_resolutions() == () and imported.load_appraisals() == {}
    assert [s.id for s in imported.load_review().studies] == ["oikonomaki2019"]


def test_a_review_with_a_broken_rule_is_refused_naming_the_thing(imported: Project) -> None:
    review = imported.load_review()
    k = review.studies[0]
    bad = dataclasses.replace(review, studies=(dataclasses.replace(k, arms=(k.arms[0], k.arms[0])),
                                               *review.studies[1:]))
    with pytest.raises(StorageError, match=r"study 'kurnatowska2015' arm 'k2d': duplicate id 'k2d' in arms"):
        imported.save_review(bad, actor="a")


def test_a_failed_import_leaves_the_project_unchanged(imported: Project, tmp_path: Path) -> None:
    before = snapshot(imported, tmp_path / "before")
    bigger = write(large_bundle(studies=20), tmp_path / "bigger")
    path = bigger / "values.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    middle = len(lines) // 2
    fields = lines[middle].split(",")
    fields[10] = ""
    lines[middle] = ",".join(fields)
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(BundleError, match=f"values.csv line {middle + 1}: 'extractor' is empty"):
        imported.import_bundle(bigger, actor="importer")
    assert snapshot(imported, tmp_path / "after") == before


def test_a_database_failure_half_way_through_a_save_rolls_everything_back(imported: Project,
                                                                          tmp_path: Path) -> None:
    before = snapshot(imported, tmp_path / "before")

    def fail_on_audit(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_LOG"):
            raise RuntimeError("disk full (simulated)")

    event.listen(imported.engine, "before_cursor_execute", fail_on_audit)
    try:
        with pytest.raises(RuntimeError, match=r"simulated"):
            imported.save_bundle(large_bundle(studies=20), actor="importer")
    finally:
        event.remove(imported.engine, "before_cursor_execute", fail_on_audit)
    assert snapshot(imported, tmp_path / "after") == before


# -- killed mid-import -------------------------------------------------------------------------


def large_bundle(studies: int) -> Bundle:
    """The small review grown by ``studies`` generated studies, each with 96 values."""
    base = small_bundle()
    extra = tuple(
        Study(f"gen{i:04d}", f"Generated {i}", 2000 + i % 25,
              arms=(Arm("a", "K2", 20 + i % 7), Arm("b", "control", 21 + i % 5, role="control")),
              characteristics={"note": f"generated study {i}"})
        for i in range(studies)
    )
    keys = [(arm, outcome, timepoint, statistic, extractor)
            for arm in ("a", "b") for outcome in ("dp_ucmgp", "cac")
            for timepoint in ("baseline", "6m", "1y") for statistic in ("mean", "sd", "median", "q3")
            for extractor in ("reviewer-a", "reviewer-b")]
    values = tuple(
        ExtractedValue(s.id, arm, outcome, timepoint, statistic, 100.0 + i + j / 8,
                       "pmol/L" if outcome == "dp_ucmgp" else "",
                       Provenance(report="", location="Table 1", extractor=extractor))
        for i, s in enumerate(extra) for j, (arm, outcome, timepoint, statistic, extractor) in enumerate(keys)
    )
    review = dataclasses.replace(base.review, studies=base.review.studies + extra,
                                 values=base.review.values + values)
    return dataclasses.replace(base, review=review)


KILLED_IMPORT = textwrap.dedent("""
    import sys, time
    from sqlalchemy import event
    from evisynth.storage import open_project

    project = open_project(sys.argv[1])

    @event.listens_for(project.engine, "after_cursor_execute")
    def half_way(conn, cursor, statement, parameters, context, executemany):
        # The values are written, the audit rows and the commit are still to come.
        if statement.lstrip().upper().startswith("INSERT INTO EXTRACTED_VALUES"):
            print("half-way", flush=True)
            time.sleep(120)

    project.import_bundle(sys.argv[2], actor="importer")
    print("finished", flush=True)
""")


def test_an_import_killed_half_way_leaves_a_project_that_opens_in_its_previous_state(
    location: str, tmp_path: Path,
) -> None:
    with open_project(location, create=True) as project:
        project.import_bundle(write(small_bundle(), tmp_path / "small"), actor="importer")
        before = snapshot(project, tmp_path / "before")
    large = write(large_bundle(studies=300), tmp_path / "large")
    with subprocess.Popen([sys.executable, "-c", KILLED_IMPORT, location, str(large)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")}) as child:
        try:
            assert child.stdout is not None
            with selectors.DefaultSelector() as selector:
                selector.register(child.stdout, selectors.EVENT_READ)
                assert selector.select(timeout=180), "the import did not reach its half-way point in time"
            line = child.stdout.readline()
            assert line == "half-way\n", line + child.stdout.read()
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == -signal.SIGKILL
    with open_project(location) as project:
        assert snapshot(project, tmp_path / "after") == before
        project.import_bundle(large, actor="importer")  # and it is still a working project
        assert len(project.load_review().studies) == 302
