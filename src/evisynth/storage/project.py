"""A review project in a database: open it, load and save the review, audit every change.

``open_project("review.evisynth")`` opens (with ``create=True``, creates) a SQLite file in
WAL mode with foreign keys on; ``open_project("postgresql+psycopg://user@host/db")`` opens
the same schema on PostgreSQL. Either way the schema is brought to the newest Alembic
revision first.

Every method that changes something runs in one transaction and writes its audit rows
(who, when, entity, field, old value, new value) in that same transaction: a change that
fails, or a process killed half-way, leaves the project exactly as it was. Writers are
serialised (``BEGIN IMMEDIATE`` on SQLite, a lock on ``audit_log`` on PostgreSQL), so a
change is always computed against the state it replaces.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import (
    URL,
    Connection,
    Engine,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    make_url,
    select,
    update,
)
from sqlalchemy.exc import ArgumentError, DBAPIError

from evisynth.review.extraction import Resolution
from evisynth.review.model import ExtractedValue, Review
from evisynth.storage import _rows, schema
from evisynth.storage._rules import (
    Ids,
    Problem,
    answers_problem,
    appraisals_problems,
    describe,
    key_problems,
    resolution_problems,
    resolutions_problems,
    review_problems,
    tool_problem,
    value_problems,
)
from evisynth.storage.bundle import Appraisals, Bundle, read_bundle, write_bundle
from evisynth.storage.errors import StorageError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_WRITE = "evisynth_write"
_MISSING = object()
#: How to make the project that is missing (the CLI's command, its import option, the API's).
_CREATE = "`evisynth new {} --title TITLE` (or --create on import; create=True from Python)"


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log; ``old_value``/``new_value`` are decoded JSON (None: no value).

    ``field`` is None for a whole entity created or deleted; for a JSON column changed item by
    item it is ``column.item`` (``characteristics.age``, ``answers.allocation_concealment``).
    """

    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    field: str | None
    old_value: Any
    new_value: Any

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "entity": self.entity, "entity_id": self.entity_id, "field": self.field,
                "old_value": self.old_value, "new_value": self.new_value}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _url(url_or_path: str | os.PathLike[str]) -> URL:
    text = os.fspath(url_or_path)
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text).expanduser().resolve()))
    try:
        return make_url(text)
    except ArgumentError as exc:
        raise StorageError(f"{text!r} is not a database URL ({exc}); give a file path for a SQLite "
                           "project or a URL like postgresql+psycopg://user@host/dbname") from exc


def _engine(url: URL) -> Engine:
    backend = url.get_backend_name()
    if backend == "postgresql":
        return create_engine(url)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (below): pysqlite's own would leave DDL and
        # SAVEPOINTs outside the transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A writer takes the write lock up front, so it never computes a change against a
        # state that another writer is about to replace.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


def _alembic_config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def open_project(url_or_path: str | os.PathLike[str], *, create: bool = False) -> Project:
    """Open the project at a SQLite file path or a SQLAlchemy database URL.

    ``create=True`` creates the project when there is none (a new SQLite file, or the tables
    in an empty PostgreSQL database); an existing project is opened as it is. The schema is
    migrated to the newest revision (``alembic upgrade head``) in one transaction.
    """
    url = _url(url_or_path)
    backend = url.get_backend_name()
    shown = url.render_as_string(hide_password=True)
    if backend not in ("sqlite", "postgresql"):
        raise StorageError(f"evisynth keeps projects in SQLite or PostgreSQL (got {backend!r} in "
                           f"{shown}); give a file path or a postgresql+psycopg:// URL")
    if backend == "sqlite":
        path = Path(url.database or "")
        shown = str(path)
        if not url.database or url.database == ":memory:":
            raise StorageError("a project needs a file; give a path such as review.evisynth")
        if not path.exists() and not create:
            raise StorageError(f"no project at {path}; create one with {_CREATE.format(path)}, "
                               "or check the path")
        if not path.parent.is_dir():
            raise StorageError(f"folder {path.parent} does not exist; create it first")
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                if backend == "postgresql":
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7253)")
                tables = set(inspect(conn).get_table_names())
                if "alembic_version" not in tables:
                    if tables:
                        raise StorageError(f"{shown} holds other tables ({', '.join(sorted(tables)[:5])}) "
                                           "but no evisynth project; use an empty database")
                    if not create:
                        raise StorageError(f"no evisynth project in {shown}; create one with "
                                           + _CREATE.format(shown))
                command.upgrade(_alembic_config(conn), "head")
    except CommandError as exc:
        engine.dispose()
        raise StorageError(f"{shown} has a schema this evisynth does not know ({exc}); it was "
                           "written by a newer evisynth: upgrade evisynth to open it") from exc
    except DBAPIError as exc:
        engine.dispose()
        raise StorageError(f"cannot open {shown}: {exc.orig}; check that it is an evisynth "
                           "project and that the database is reachable") from exc
    except BaseException:
        engine.dispose()
        raise
    return Project(engine, shown)


class _Changes:
    """The audit rows of one transaction: all share its actor and time."""

    def __init__(self, actor: str, review_id: str) -> None:
        self.actor, self.review_id = actor, review_id
        self.at = dt.datetime.now(dt.UTC)
        self.rows: list[dict[str, Any]] = []

    def add(self, action: str, entity: _rows.Entity, key: _rows.Key, field: str | None,
            old: Any = _MISSING, new: Any = _MISSING) -> None:
        self.rows.append({
            "at": self.at, "actor": self.actor, "action": action, "entity": entity.name,
            "entity_id": entity.entity_id(key, self.review_id), "field": field,
            "old_value": None if old is _MISSING else _json(old),
            "new_value": None if new is _MISSING else _json(new),
        })

    def updated(self, entity: _rows.Entity, key: _rows.Key, column: str, old: Any, new: Any) -> None:
        """One row per changed item of a JSON mapping, else one row for the column."""
        if isinstance(old, dict) and isinstance(new, dict):
            keys = [*new, *(k for k in old if k not in new)]
            items = [k for k in keys if (k in old) != (k in new) or _json(old[k]) != _json(new[k])]
            if items:
                for k in items:
                    self.add("update", entity, key, f"{column}.{k}",
                             old.get(k, _MISSING), new.get(k, _MISSING))
                return
        self.add("update", entity, key, column, old, new)

    def write(self, conn: Connection) -> None:
        if self.rows:
            conn.execute(insert(_rows.AUDIT_LOG), self.rows)


def _key_clause(entity: _rows.Entity) -> Any:
    return and_(*(entity.table.c[c] == bindparam(f"k_{c}") for c in entity.key))


def _sync(conn: Connection, changes: _Changes,
          plan: Sequence[tuple[_rows.Entity, _rows.Rows, _rows.Rows]]) -> None:
    """Make each table hold the wanted rows: insert, update and delete only the difference.

    ``plan`` lists (entity, stored rows, wanted rows) parents first; deletes run children first.
    """
    for entity, stored, wanted in plan:
        new = [row for key, row in wanted.items() if key not in stored]
        for row in new:
            changes.add("create", entity, entity.key_of(row), None, new=row)
        if new:
            conn.execute(insert(entity.table), new)
        changed = []
        for key, row in wanted.items():
            old = stored.get(key)
            if old is None:
                continue
            diff = [c for c in row if _json(old[c]) != _json(row[c])]
            for c in diff:
                changes.updated(entity, key, c, old[c], row[c])
            if diff:
                changed.append({**{f"k_{c}": row[c] for c in entity.key},
                                **{f"v_{c}": v for c, v in row.items() if c not in entity.key}})
        if changed:
            targets: dict[str, Any] = {c: bindparam(f"v_{c}") for c in entity.columns
                                       if c not in entity.key}
            conn.execute(update(entity.table).where(_key_clause(entity)).values(targets), changed)
    for entity, stored, wanted in reversed(plan):
        gone = [key for key in stored if key not in wanted]
        for key in gone:
            changes.add("delete", entity, key, None, old=stored[key])
        if gone:
            conn.execute(delete(entity.table).where(_key_clause(entity)),
                         [{f"k_{c}": k for c, k in zip(entity.key, key, strict=True)} for key in gone])


def _stored(conn: Connection, entity: _rows.Entity) -> _rows.Rows:
    rows = [dict(r) for r in conn.execute(select(*(entity.table.c[c] for c in entity.columns))).mappings()]
    return {entity.key_of(r): r for r in rows}


def _refuse(problems: Iterator[Problem], review: Review,
            resolutions: Sequence[Resolution] = ()) -> None:
    first = next(problems, None)
    if first is not None:
        raise StorageError(describe(first, review, resolutions))


def _check_actor(actor: str) -> None:
    if not isinstance(actor, str) or not actor.strip():
        raise StorageError(f"actor must name who makes the change (got {actor!r}); pass e.g. "
                           "actor='reviewer-a'")


class Project:
    """One review project in a database. Open it with ``open_project``; close it when done."""

    def __init__(self, engine: Engine, location: str) -> None:
        self._engine = engine
        self.location = location

    @property
    def engine(self) -> Engine:
        return self._engine

    def __repr__(self) -> str:
        return f"Project({self.location!r})"

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def _write(self, actor: str) -> Iterator[tuple[Connection, _Changes]]:
        """One transaction that writes its audit rows at the end; any error rolls it all back."""
        _check_actor(actor)
        with self._engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            try:
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        conn.exec_driver_sql("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
                    review_id = conn.scalar(select(schema.ProjectRow.review_id)) or ""
                    changes = _Changes(actor, review_id)
                    yield conn, changes
                    changes.write(conn)
            except DBAPIError as exc:
                raise StorageError(f"the database refused the change and nothing was stored: "
                                   f"{exc.orig}; {_db_fix(exc)}") from exc

    # -- the review -----------------------------------------------------------------------

    @property
    def review_id(self) -> str | None:
        """The id of the review stored here; None for a project that is still empty."""
        with self._read() as conn:
            return conn.scalar(select(schema.ProjectRow.review_id))

    def load_review(self) -> Review:
        """The whole review: protocol, studies, outcomes, values (sorted by key), PRISMA, …"""
        with self._read() as conn:
            return self._load_review(conn)

    def _load_review(self, conn: Connection) -> Review:
        rows = {e.name: list(_stored(conn, e).values()) for e in _rows.REVIEW_ENTITIES}
        if not rows["project"]:
            raise StorageError(f"project {self.location} is empty; import a bundle or save a review "
                               "first")
        return _rows.review_from_rows(rows)

    def save_review(
        self,
        review: Review,
        actor: str,
        *,
        resolutions: Sequence[Resolution] | None = None,
        appraisals: Appraisals | None = None,
    ) -> int:
        """Store ``review`` (and, when given, the resolutions and appraisals) in one transaction.

        What is stored becomes exactly ``review``: new things are created, changed fields
        updated, things no longer in it deleted, each change audited with its old and new value.
        ``resolutions`` / ``appraisals`` left as None keep the stored ones, which must still
        refer to studies, arms and outcomes of ``review``. Returns the number of audit rows.
        """
        with self._write(actor) as (conn, changes):
            self._save(conn, changes, review, resolutions, appraisals)
            return len(changes.rows)

    def update_review(
        self,
        change: Callable[[Review, tuple[Resolution, ...]],
                         tuple[Review, Sequence[Resolution] | None]],
        actor: str,
    ) -> tuple[Review, int]:
        """Read the review and its resolutions, apply ``change`` and store what it returns,
        all in one write transaction (no other writer can change the project in between).

        ``change`` returns the new review and the new resolutions (None keeps the stored
        ones); an exception from it changes nothing. Returns the stored review and the number
        of audit rows written.
        """
        with self._write(actor) as (conn, changes):
            review, resolutions = change(self._load_review(conn), self._load_resolutions(conn))
            self._save(conn, changes, review, resolutions, None)
            return review, len(changes.rows)

    def _save(self, conn: Connection, changes: _Changes, review: Review,
              resolutions: Sequence[Resolution] | None, appraisals: Appraisals | None) -> None:
        _refuse(review_problems(review), review)
        ids = Ids.of(review)
        if resolutions is not None:
            _refuse(resolutions_problems(resolutions, ids), review, resolutions)
        if appraisals is not None:
            _refuse(appraisals_problems(appraisals, [s.id for s in review.studies]), review)
        stored_id = conn.scalar(select(schema.ProjectRow.review_id))
        if stored_id is not None and stored_id != review.id:
            raise StorageError(f"project {self.location} holds review {stored_id!r}, not "
                               f"{review.id!r}; open a new project for another review")
        changes.review_id = review.id
        wanted = _rows.review_rows(review)
        plan = [(e, _stored(conn, e), wanted[e.name]) for e in _rows.REVIEW_ENTITIES]
        stored_resolutions = _stored(conn, _rows.RESOLUTION)
        stored_appraisals = _stored(conn, _rows.APPRAISAL)
        if resolutions is None:
            self._keep_resolutions(stored_resolutions, ids)
        else:
            plan.append((_rows.RESOLUTION, stored_resolutions, _rows.resolution_rows(resolutions)))
        if appraisals is None:
            kept = {row["study_id"] for row in stored_appraisals.values()} - set(ids.arms)
            if kept:
                raise StorageError(f"appraisals of study {sorted(kept)[0]!r} would lose their "
                                   "study; pass appraisals= without it, or keep the study")
        else:
            plan.append((_rows.APPRAISAL, stored_appraisals, _rows.appraisal_rows(appraisals)))
        _sync(conn, changes, plan)

    @staticmethod
    def _keep_resolutions(stored: _rows.Rows, ids: Ids) -> None:
        for row in stored.values():
            r = _rows.resolution_from_row(row)
            bad = next(key_problems(r.study, r.arm, r.outcome, r.timepoint, r.statistic, ids), None)
            if bad:
                raise StorageError(f"stored resolution {'/'.join(r.key)} would refer to nothing: "
                                   f"{bad[1]}; pass resolutions= without it, or keep what it refers to")

    # -- extracted values -----------------------------------------------------------------

    def _ids(self, conn: Connection) -> Ids:
        s, a, r, o = schema.StudyRow, schema.ArmRow, schema.ReportRow, schema.OutcomeRow
        arms: dict[str, list[str]] = {i: [] for i in conn.scalars(select(s.id).order_by(s.position))}
        reports: dict[str, list[str]] = {i: [] for i in arms}
        for study, arm in conn.execute(select(a.study_id, a.id).order_by(a.position)):
            arms[study].append(arm)
        for study, report in conn.execute(select(r.study_id, r.id).order_by(r.position)):
            reports[study].append(report)
        return Ids(arms=arms, reports=reports,
                   outcomes=list(conn.scalars(select(o.id).order_by(o.position))))

    def _check_value(self, conn: Connection, value: ExtractedValue) -> tuple[str, dict[str, Any] | None]:
        if conn.scalar(select(schema.ProjectRow.id)) is None:
            raise StorageError(f"project {self.location} is empty; import a bundle or save a review "
                               "before adding values")
        name = f"value {'/'.join(value.key)} by {value.provenance.extractor!r}"
        bad = next(value_problems(value, self._ids(conn)), None)
        if bad:
            raise StorageError(f"{name}: {bad[1]}")
        t = _rows.VALUE.table
        row = _rows.value_row(value)
        found = conn.execute(select(*(c for c in t.c if c.name != "id"))
                             .where(and_(*(t.c[c] == row[c] for c in _rows.VALUE.key)))).mappings().first()
        return name, None if found is None else dict(found)

    def add_value(self, value: ExtractedValue, actor: str) -> None:
        """Store a new extracted value; refused when its extractor already has one for its key."""
        with self._write(actor) as (conn, changes):
            name, stored = self._check_value(conn, value)
            if stored is not None:
                raise StorageError(f"{name} is already stored (value {stored['value']:g}); use "
                                   "set_value to change it")
            _sync(conn, changes, [(_rows.VALUE, {}, _rows._keyed(_rows.VALUE, [_rows.value_row(value)]))])

    def set_value(self, value: ExtractedValue, actor: str) -> None:
        """Change a stored value (number, unit or provenance) of the same key and extractor."""
        with self._write(actor) as (conn, changes):
            name, stored = self._check_value(conn, value)
            if stored is None:
                raise StorageError(f"{name} is not stored; use add_value to add it")
            row = _rows.value_row(value)
            key = _rows.VALUE.key_of(row)
            _sync(conn, changes, [(_rows.VALUE, {key: stored}, {key: row})])

    def load_resolutions(self) -> tuple[Resolution, ...]:
        """The arbiter's resolutions, sorted by key."""
        with self._read() as conn:
            return self._load_resolutions(conn)

    @staticmethod
    def _load_resolutions(conn: Connection) -> tuple[Resolution, ...]:
        rows = _stored(conn, _rows.RESOLUTION)
        return tuple(_rows.resolution_from_row(rows[k]) for k in sorted(rows))

    def record_resolution(self, resolution: Resolution, actor: str) -> None:
        """Store the arbiter's decision on a key; a second decision on the key replaces the first."""
        with self._write(actor) as (conn, changes):
            name = f"resolution {'/'.join(resolution.key)}"
            if conn.scalar(select(schema.ProjectRow.id)) is None:
                raise StorageError(f"project {self.location} is empty; import a bundle first")
            bad = next(resolution_problems(resolution, self._ids(conn)), None)
            if bad:
                raise StorageError(f"{name}: {bad[1]}")
            row = _rows.resolution_row(resolution)
            key = _rows.RESOLUTION.key_of(row)
            stored = _stored(conn, _rows.RESOLUTION)
            _sync(conn, changes, [(_rows.RESOLUTION, {key: stored[key]} if key in stored else {},
                                   {key: row})])

    # -- appraisals -----------------------------------------------------------------------

    def load_appraisals(self) -> Appraisals:
        """Study id → tool → answers, studies in the review's order and tools by name."""
        with self._read() as conn:
            return self._load_appraisals(conn)

    @staticmethod
    def _load_appraisals(conn: Connection) -> Appraisals:
        order = {s: i for i, s in enumerate(conn.scalars(
            select(schema.StudyRow.id).order_by(schema.StudyRow.position)))}
        rows = sorted(_stored(conn, _rows.APPRAISAL).values(),
                      key=lambda r: (order[r["study_id"]], r["tool"]))
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for r in rows:
            out.setdefault(r["study_id"], {})[r["tool"]] = r["answers"]
        return out

    def save_appraisal(self, study_id: str, tool: str, answers: Mapping[str, Any], actor: str) -> None:
        """Store a study's answers to an appraisal tool (jadad, rob1, rob2, …), replacing earlier ones.

        The answers are stored as the tool's JSON; the audit log records each item that changed.
        """
        bad = tool_problem(tool) or answers_problem(dict(answers) if isinstance(answers, Mapping)
                                                    else answers)
        if bad:
            raise StorageError(f"appraisal of study {study_id!r}: {bad}")
        with self._write(actor) as (conn, changes):
            known = list(conn.scalars(select(schema.StudyRow.id)))
            if study_id not in known:
                raise StorageError(f"unknown study {study_id!r}; appraise one of the project's "
                                   f"studies ({', '.join(known[:12]) or 'none yet'})")
            row = {"study_id": study_id, "tool": tool, "answers": dict(answers)}
            key = (study_id, tool)
            stored = _stored(conn, _rows.APPRAISAL)
            _sync(conn, changes, [(_rows.APPRAISAL, {key: stored[key]} if key in stored else {},
                                   {key: row})])

    # -- bundles --------------------------------------------------------------------------

    def load_bundle(self) -> Bundle:
        """Everything in the project, read in one transaction."""
        with self._read() as conn:
            return Bundle(self._load_review(conn), self._load_resolutions(conn),
                          self._load_appraisals(conn))

    def save_bundle(self, bundle: Bundle, actor: str) -> int:
        """Make the project hold exactly ``bundle`` (one transaction); returns the audit rows written."""
        return self.save_review(bundle.review, actor, resolutions=bundle.resolutions,
                                appraisals=bundle.appraisals)

    def import_bundle(self, folder: str | os.PathLike[str], actor: str) -> int:
        """Read the bundle in ``folder`` and store it; a bad bundle changes nothing."""
        return self.save_bundle(read_bundle(folder), actor)

    def export_bundle(self, folder: str | os.PathLike[str]) -> None:
        """Write the whole project as a bundle in ``folder`` (see docs/review-bundle.md)."""
        bundle = self.load_bundle()
        write_bundle(bundle.review, folder, resolutions=bundle.resolutions,
                     appraisals=bundle.appraisals)

    # -- audit log ------------------------------------------------------------------------

    def audit_entries(self, *, entity: str | None = None, entity_id: str | None = None,
                      after: int = 0) -> tuple[AuditEntry, ...]:
        """The audit log, oldest first; optionally one entity kind or id, or entries after an id."""
        t = _rows.AUDIT_LOG
        query = select(t).where(t.c.id > after).order_by(t.c.id)
        if entity is not None:
            query = query.where(t.c.entity == entity)
        if entity_id is not None:
            query = query.where(t.c.entity_id == entity_id)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return tuple(
            AuditEntry(
                id=r["id"], at=_rows.as_utc(r["at"]),
                actor=r["actor"], action=r["action"], entity=r["entity"], entity_id=r["entity_id"],
                field=r["field"],
                old_value=None if r["old_value"] is None else json.loads(r["old_value"]),
                new_value=None if r["new_value"] is None else json.loads(r["new_value"]),
            )
            for r in rows
        )


def _db_fix(exc: DBAPIError) -> str:
    text = str(exc.orig).lower()
    if "locked" in text or "could not obtain lock" in text:
        return "another process is writing to the project; try again when it has finished"
    if "append-only" in text:
        return "the audit log is append-only"
    return "check the ids and values, or report this as a bug if they are right"
