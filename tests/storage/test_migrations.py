"""Alembic: the migrations build the schema the models describe, and ship in the wheel."""

from __future__ import annotations

import glob
import sqlite3
import tomllib
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from evisynth.storage import StorageError, open_project, read_bundle
from evisynth.storage import records as records_store
from evisynth.storage.project import MIGRATIONS, _alembic_config, _engine, _url
from evisynth.storage.schema import Base

REPO = Path(__file__).resolve().parents[2]
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def engine_for(location: str) -> Engine:
    """The engine open_project uses (on SQLite: transactional DDL, foreign keys on)."""
    return _engine(_url(location))


def test_upgrade_head_on_an_empty_database_creates_every_table(location: str) -> None:
    engine = engine_for(location)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert tables == {*Base.metadata.tables, "alembic_version"}
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    finally:
        engine.dispose()


def test_the_models_match_the_migrations(location: str) -> None:
    open_project(location, create=True).close()
    engine = engine_for(location)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "compare_server_default": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_everything_and_upgrade_rebuilds_it(location: str) -> None:
    open_project(location, create=True).close()
    engine = engine_for(location)
    try:
        with engine.begin() as conn:
            command.downgrade(_alembic_config(conn), "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
    finally:
        engine.dispose()
    with open_project(location) as project:
        assert project.review_id is None


def test_a_project_from_a_newer_evisynth_is_refused_with_the_fix(location: str) -> None:
    open_project(location, create=True).close()
    engine = engine_for(location)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(StorageError, match=r"written by a newer evisynth: upgrade evisynth to open it"):
        open_project(location)


def test_an_empty_database_is_not_made_a_project_unless_asked(location: str) -> None:
    with pytest.raises(StorageError, match=r"no (evisynth )?project .*create=True"):
        open_project(location)


def test_the_migrations_ship_in_the_wheel() -> None:
    globs = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["package-data"]["evisynth"]
    package = REPO / "src" / "evisynth"
    files = [p.relative_to(package).as_posix() for p in MIGRATIONS.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    # setuptools expands package-data with glob(recursive=True): "**/" also matches no folder.
    packaged = {Path(f).as_posix() for g in globs for f in glob.glob(g, root_dir=package, recursive=True)}
    assert files
    assert [f for f in files if f not in packaged] == []


@pytest.mark.parametrize("revision", sorted(p.name.removeprefix("rev") for p in FIXTURES.glob("rev*")))
def test_a_project_written_at_an_older_revision_opens_with_its_contents_and_history(
    revision: str, tmp_path: Path,
) -> None:
    """``fixtures/rev<N>/project.sql`` is a SQLite project written at revision N (dumped with
    ``sqlite3.Connection.iterdump``), ``bundle/`` its export at the time. When a revision is
    added, dump a project at the previous head beside these; old fixtures are never rewritten.
    """
    path = tmp_path / "old.evisynth"
    with sqlite3.connect(path) as conn:
        conn.executescript((FIXTURES / f"rev{revision}" / "project.sql").read_text(encoding="utf-8"))
    conn.close()
    with open_project(path) as project:
        assert project.load_bundle() == read_bundle(FIXTURES / f"rev{revision}" / "bundle")
        history = project.audit_entries()
        assert history[0].action == "create" and history[-1].actor == "reviewer-b"
        # Revision 0002 adds the (empty) record tables, ready for an import.
        assert records_store.count_records(project) == {}
        assert records_store.count_links(project)["auto"] == 0
    engine = engine_for(str(path))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    finally:
        engine.dispose()


def test_downgrade_from_0002_to_0001_drops_only_the_record_tables(location: str) -> None:
    open_project(location, create=True).close()
    engine = engine_for(location)
    try:
        with engine.begin() as conn:
            command.downgrade(_alembic_config(conn), "0001")
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert {"records", "record_links", "import_batches"}.isdisjoint(tables)
            assert "audit_log" in tables
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    finally:
        engine.dispose()
    with open_project(location) as project:
        assert records_store.count_records(project) == {}


def test_downgrade_from_0005_to_0004_drops_only_the_removals_table(location: str) -> None:
    open_project(location, create=True).close()
    engine = engine_for(location)
    try:
        with engine.begin() as conn:
            command.downgrade(_alembic_config(conn), "0004")
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert "record_removals" not in tables
            assert {"screening_decisions", "records", "users"} <= tables
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0004"
        with engine.begin() as conn:  # and back up again
            command.upgrade(_alembic_config(conn), "head")
        with engine.connect() as conn:
            assert "record_removals" in set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_downgrade_from_0006_to_0005_drops_only_the_outcomes_measure_and_time_points(
        location: str) -> None:
    open_project(location, create=True).close()
    engine = engine_for(location)
    try:
        with engine.begin() as conn:
            command.downgrade(_alembic_config(conn), "0005")
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("outcomes")}
            assert columns == {"id", "position", "name", "name_en", "kind", "unit", "lower_is_better"}
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0005"
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "head")
        with engine.connect() as conn:
            assert {"measure", "timepoints"} <= {c["name"] for c in inspect(conn).get_columns("outcomes")}
    finally:
        engine.dispose()
