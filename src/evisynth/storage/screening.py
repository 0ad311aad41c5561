"""Screening decisions, full-text links and screening settings in a project (revision 0003).

Every write runs in the project's serialised write transaction (``BEGIN IMMEDIATE`` on
SQLite, a table lock on PostgreSQL): the record's stored events are replayed through
:func:`evisynth.review.screening.apply`, the new event is checked against that state and
appended. The unique key (record, stage, reviewer, role, round, undo) refuses a double
submit even if that check were bypassed. Nothing is updated or deleted (triggers refuse it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.exc import IntegrityError

from evisynth.core.results import Serializable
from evisynth.review.errors import DomainError
from evisynth.review.screening import Keywords, Policy, RecordScreening, ScreeningEvent, apply, replay
from evisynth.storage import _rows, schema
from evisynth.storage.errors import StorageError
from evisynth.storage.project import Project

__all__ = [
    "FullText", "Removal", "add_events", "add_removals", "assignments", "full_texts", "load_screening",
    "record_ids", "removals", "screening_settings", "set_assignments", "set_full_text",
    "set_screening_settings",
]

_DECISION = cast(Table, schema.ScreeningDecisionRow.__table__)
_FULL_TEXT = cast(Table, schema.FullTextRow.__table__)
_SETTING = cast(Table, schema.ScreeningSettingRow.__table__)
_RECORD = cast(Table, schema.RecordRow.__table__)
_REMOVAL = cast(Table, schema.RecordRemovalRow.__table__)
DECISION = _rows.Entity("screening_decision", _DECISION, ("id",))
FULL_TEXT = _rows.Entity("full_text", _FULL_TEXT, ("id",))
SETTING = _rows.Entity("screening_setting", _SETTING, ("key",))
REMOVAL = _rows.Entity("record_removal", _REMOVAL, ("id",))


@dataclass(frozen=True)
class FullText(Serializable):
    """The newest full-text entry of a record: a file, a URL, or not retrieved."""

    record_id: int
    kind: str
    location: str
    added_by: str
    added_at: str


def _event(row: Any) -> ScreeningEvent:
    return ScreeningEvent(row.record_id, row.stage, row.reviewer, row.decision, row.role,
                          row.reason, row.round, _rows.as_utc(row.created_at).isoformat())


def _policy(conn: Connection) -> Policy:
    value = conn.scalar(select(_SETTING.c.value).where(_SETTING.c.key == "reviewers"))
    return Policy(required=int(value)) if value is not None else Policy()


def _load(conn: Connection, ids: Sequence[int] | None, policy: Policy) -> dict[int, RecordScreening]:
    query = select(_DECISION).order_by(_DECISION.c.id)
    if ids is not None:
        query = query.where(_DECISION.c.record_id.in_(list(ids)))
    events: dict[int, list[ScreeningEvent]] = {}
    for row in conn.execute(query):
        events.setdefault(row.record_id, []).append(_event(row))
    try:
        return {rid: replay(rid, evs, policy) for rid, evs in events.items()}
    except DomainError as exc:  # a stored history that does not replay: the store was edited
        raise StorageError(f"stored screening decisions do not replay: {exc}") from exc


def load_screening(project: Project, ids: Sequence[int] | None = None) -> dict[int, RecordScreening]:
    """Every record's screening (records never screened are absent), replayed from the events."""
    with project._read() as conn:
        return _load(conn, ids, _policy(conn))


def record_ids(project: Project) -> list[int]:
    with project._read() as conn:
        return list(conn.scalars(select(_RECORD.c.id).order_by(_RECORD.c.id)))


def add_events(project: Project, events: Iterable[tuple[int, ScreeningEvent]], actor: str) -> int:
    """Append events (record id, event) in one transaction: all are stored, or none.

    Raises DomainError naming the record (and the input position when there are several)
    for an unknown record or a change the state machine refuses; StorageError when the
    database refuses a row (a double submit that raced past the check).
    """
    wanted = list(events)
    try:
        with project._write(actor) as (conn, changes):
            policy = _policy(conn)
            ids = sorted({rid for rid, _ in wanted})
            known = set(conn.scalars(select(_RECORD.c.id).where(_RECORD.c.id.in_(ids)))) if ids else set()
            states = _load(conn, ids, policy)
            for position, (rid, event) in enumerate(wanted, start=1):
                where = f" (decision {position} of {len(wanted)})" if len(wanted) > 1 else ""
                if rid not in known:
                    raise DomainError(f"no record {rid} in {project.location}{where}; list the records "
                                      "for their ids; nothing was stored")
                state = states.get(rid, RecordScreening(rid))
                try:
                    states[rid] = apply(state, event, policy)
                except DomainError as exc:
                    raise DomainError(f"{exc}{where}; nothing was stored") from exc
                row = {"record_id": rid, "stage": event.stage, "reviewer": event.reviewer,
                       "role": event.role, "decision": event.action, "undo": event.action == "retract",
                       "round": event.round, "reason": event.reason, "created_at": changes.at}
                new_id = conn.execute(insert(_DECISION).returning(_DECISION.c.id), row).scalar_one()
                changes.add("create", DECISION, (new_id,), None,
                            new={k: v for k, v in row.items() if k != "created_at"})
    except StorageError as exc:
        if isinstance(exc.__cause__, IntegrityError):
            raise StorageError("this decision was already recorded (a double submit?); nothing more "
                               "was stored; reload the record and undo first to change it") from exc
        raise
    return len(wanted)


def set_full_text(project: Project, record_id: int, kind: str, location: str, actor: str) -> None:
    """Attach a file path or URL to a record, or mark its full text not retrieved."""
    if kind not in schema.FULL_TEXT_KINDS:
        raise DomainError(f"full-text kind {kind!r} must be file, url or not_retrieved")
    if kind != "not_retrieved" and not location.strip():
        raise DomainError(f"a full-text {kind} needs its location")
    with project._write(actor) as (conn, changes):
        if conn.scalar(select(_RECORD.c.id).where(_RECORD.c.id == record_id)) is None:
            raise DomainError(f"no record {record_id} in {project.location}")
        row = {"record_id": record_id, "kind": kind, "location": location, "added_by": actor,
               "added_at": changes.at}
        new_id = conn.execute(insert(_FULL_TEXT).returning(_FULL_TEXT.c.id), row).scalar_one()
        changes.add("create", FULL_TEXT, (new_id,), None,
                    new={"record_id": record_id, "kind": kind, "location": location})


def full_texts(project: Project) -> dict[int, FullText]:
    """The newest full-text entry of each record that has one."""
    out: dict[int, FullText] = {}
    with project._read() as conn:
        for row in conn.execute(select(_FULL_TEXT).order_by(_FULL_TEXT.c.id)):
            out[row.record_id] = FullText(row.record_id, row.kind, row.location, row.added_by,
                                          row.added_at.isoformat())
    return out


def screening_settings(project: Project) -> tuple[Policy, Keywords]:
    """The reviewers-per-record policy and the keyword lists (defaults when never set)."""
    with project._read() as conn:
        values = dict(conn.execute(select(_SETTING.c.key, _SETTING.c.value)).all())
    words = values.get("keywords") or {}
    return (Policy(required=int(values.get("reviewers", 2))),
            Keywords(tuple(words.get("include", ())), tuple(words.get("exclude", ()))))


def set_screening_settings(project: Project, actor: str, *, reviewers: int | None = None,
                           keywords: Keywords | None = None) -> None:
    """Change the policy (before any decision is recorded) and/or the keyword lists."""
    if reviewers is not None:
        Policy(required=reviewers)  # validates
    with project._write(actor) as (conn, changes):
        current = dict(conn.execute(select(_SETTING.c.key, _SETTING.c.value)).all())
        updates: dict[str, Any] = {}
        if reviewers is not None:
            if conn.scalar(select(_DECISION.c.id).limit(1)) is not None and \
                    int(current.get("reviewers", 2)) != reviewers:
                raise DomainError("reviewers per record cannot change once decisions are recorded")
            updates["reviewers"] = reviewers
        if keywords is not None:
            updates["keywords"] = {"include": list(keywords.include), "exclude": list(keywords.exclude)}
        for key, value in updates.items():
            if key in current:
                conn.execute(_SETTING.update().where(_SETTING.c.key == key).values(value=value))
                changes.updated(SETTING, (key,), "value", current[key], value)
            else:
                conn.execute(insert(_SETTING), {"key": key, "value": value})
                changes.add("create", SETTING, (key,), None, new=value)


def assignments(project: Project) -> dict[str, tuple[int, ...]]:
    """The batches an owner assigned: reviewer name → record ids (a screening setting)."""
    with project._read() as conn:
        value = conn.scalar(select(_SETTING.c.value).where(_SETTING.c.key == "assignments"))
    return {name: tuple(ids) for name, ids in (value or {}).items()}


def set_assignments(project: Project, actor: str, reviewer: str, record_ids: Sequence[int]) -> None:
    """Make ``record_ids`` the batch assigned to ``reviewer`` (empty: none); audited."""
    with project._write(actor) as (conn, changes):
        current = conn.scalar(select(_SETTING.c.value).where(_SETTING.c.key == "assignments"))
        value = {k: v for k, v in (current or {}).items() if k != reviewer}
        if record_ids:
            value[reviewer] = list(record_ids)
        if current is None:
            conn.execute(insert(_SETTING), {"key": "assignments", "value": value})
            changes.add("create", SETTING, ("assignments",), None, new=value)
        else:
            conn.execute(_SETTING.update().where(_SETTING.c.key == "assignments").values(value=value))
            changes.updated(SETTING, ("assignments",), "value", current, value)


@dataclass(frozen=True)
class Removal(Serializable):
    """A record removed before screening (revision 0005): by an automation tool or for
    another reason, with a note, who and when."""

    record_id: int
    reason: str
    note: str
    removed_by: str
    removed_at: str


def _removal(row: Any) -> Removal:
    return Removal(row.record_id, row.reason, row.note, row.removed_by,
                   _rows.as_utc(row.removed_at).isoformat())


def removals(project: Project) -> dict[int, Removal]:
    """Every record removed before screening, by record id."""
    with project._read() as conn:
        return {row.record_id: _removal(row)
                for row in conn.execute(select(_REMOVAL).order_by(_REMOVAL.c.id))}


def add_removals(project: Project, record_ids: Sequence[int], reason: str, note: str,
                 actor: str) -> tuple[Removal, ...]:
    """Remove records before screening, in one transaction: all are stored, or none.

    Raises DomainError for a bad reason, an unknown record, a record already removed, or a
    record that already has a screening decision (it was screened: exclude it instead).
    Nothing is deleted: a removal is a new row.
    """
    if reason not in schema.REMOVAL_REASONS:
        raise DomainError(f"removal reason {reason!r} must be automation or other")
    if not note.strip():
        raise DomainError("a removal needs a note saying why (e.g. the tool and its threshold)")
    if not actor.strip():
        raise DomainError("a removal needs the name of who removes")
    ids = list(dict.fromkeys(record_ids))
    if not ids:
        raise DomainError("give at least one record id")
    with project._write(actor) as (conn, changes):
        known = set(conn.scalars(select(_RECORD.c.id).where(_RECORD.c.id.in_(ids))))
        done = set(conn.scalars(select(_REMOVAL.c.record_id).where(_REMOVAL.c.record_id.in_(ids))))
        decided = set(conn.scalars(select(_DECISION.c.record_id).where(_DECISION.c.record_id.in_(ids))))
        for rid in ids:
            if rid not in known:
                raise DomainError(f"no record {rid} in {project.location}; nothing was removed")
            if rid in done:
                raise DomainError(f"record {rid} was already removed; nothing was removed")
            if rid in decided:
                raise DomainError(f"record {rid} already has screening decisions, so it was not "
                                  "removed before screening; exclude it instead; nothing was removed")
        out = []
        for rid in ids:
            row = {"record_id": rid, "reason": reason, "note": note, "removed_by": actor,
                   "removed_at": changes.at}
            new_id = conn.execute(insert(_REMOVAL).returning(_REMOVAL.c.id), row).scalar_one()
            changes.add("create", REMOVAL, (new_id,), None,
                        new={"record_id": rid, "reason": reason, "note": note})
            out.append(Removal(rid, reason, note, actor, changes.at.isoformat()))
    return tuple(out)
