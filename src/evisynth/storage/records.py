"""Imported records and their duplicate links in a project database (revision 0002).

Functions, not more methods on :class:`~evisynth.storage.project.Project`, so that this part
of the store can grow without touching the review's repository; each takes the open project.

- :func:`add_records` stores one import batch (all of its files' records) in one
  transaction, and writes one audit row for the batch;
- :func:`iter_records` streams records in id order (a 100 000-record project is not loaded
  at once), :func:`list_records` / :func:`get_record` read them, :func:`count_records` counts;
- :func:`add_links` stores duplicate links (a pair already linked, either way round, is left
  as it is), :func:`decide_link` records a reviewer's decision; both are audited with old and
  new values, and links are never deleted (the database refuses it);
- :func:`identification_counts` gives PRISMA's identification box from records and links.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, Text, bindparam, func, insert, or_, select, update
from sqlalchemy import cast as sql_cast

from evisynth.core.results import Serializable
from evisynth.review.errors import DomainError
from evisynth.review.identification import IdentificationCounts, identification
from evisynth.review.links import DuplicateLink
from evisynth.review.records import Record
from evisynth.storage import _rows, schema
from evisynth.storage.errors import StorageError
from evisynth.storage.project import Project

__all__ = [
    "FileSummary", "ImportBatch", "RecordFilter", "StoredLink", "StoredRecord", "add_links", "add_records",
    "count_links", "count_records", "decide_link", "decide_links", "get_record", "identification_counts",
    "iter_records", "list_batches", "list_links", "list_records", "search_records",
]

#: What a reviewer may decide about a link.
DECISIONS: tuple[str, ...] = ("accepted", "rejected")
_BATCH = cast(Table, schema.ImportBatchRow.__table__)
_RECORD = cast(Table, schema.RecordRow.__table__)
_LINK = cast(Table, schema.RecordLinkRow.__table__)
BATCH = _rows.Entity("import_batch", _BATCH, ("id",))
LINK = _rows.Entity("record_link", _LINK, ("id",))
#: Rows per INSERT statement and per fetch while streaming.
CHUNK = 1000


@dataclass(frozen=True)
class FileSummary(Serializable):
    """One file of an import: what it was read as and how many records it gave."""

    path: str
    format: str
    encoding: str
    records: int
    warnings: tuple[str, ...] = ()
    sha256: str = ""


@dataclass(frozen=True)
class ImportBatch(Serializable):
    """One import call as stored: its files, who ran it and when, and the record ids it added
    (``first_id``..``last_id``; None when it added none)."""

    id: int
    imported_at: dt.datetime
    imported_by: str
    source: str
    encoding: str
    files: tuple[FileSummary, ...]
    record_count: int
    warning_count: int
    first_id: int | None = None
    last_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["imported_at"] = self.imported_at.isoformat()
        return out


@dataclass(frozen=True)
class StoredRecord(Serializable):
    """A record with its project id and the import batch it came in."""

    id: int
    import_batch: int
    record: Record


@dataclass(frozen=True)
class StoredLink(Serializable):
    """A duplicate link with its project id and when it was last decided (None: never)."""

    id: int
    link: DuplicateLink
    decided_at: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **self.link.to_dict(),
                "decided_at": None if self.decided_at is None else self.decided_at.isoformat()}


def _record_row(record: Record, batch: int) -> dict[str, Any]:
    return {
        "import_batch": batch, "source_file": record.source_file, "entry": record.entry,
        "line": record.line, "format": record.format, "database": record.database,
        "original": record.original, "title": record.title, "authors": list(record.authors),
        "year": record.year, "journal": record.journal, "volume": record.volume,
        "issue": record.issue, "pages": record.pages, "doi": record.doi, "pmid": record.pmid,
        "abstract": record.abstract, "keywords": list(record.keywords),
        "language": record.language, "record_type": record.record_type,
    }


def _stored_record(row: Any) -> StoredRecord:
    record = Record(
        source_file=row.source_file, entry=row.entry, format=row.format, original=row.original,
        database=row.database, line=row.line, title=row.title, authors=tuple(row.authors),
        year=row.year, journal=row.journal, volume=row.volume, issue=row.issue, pages=row.pages,
        doi=row.doi, pmid=row.pmid, abstract=row.abstract, keywords=tuple(row.keywords),
        language=row.language, record_type=row.record_type,
    )
    return StoredRecord(id=row.id, import_batch=row.import_batch, record=record)


def _batch(conn: Connection, row: Any) -> ImportBatch:
    first, last = conn.execute(select(func.min(_RECORD.c.id), func.max(_RECORD.c.id))
                               .where(_RECORD.c.import_batch == row.id)).one()
    return ImportBatch(
        id=row.id, imported_at=_rows.as_utc(row.imported_at), imported_by=row.imported_by,
        source=row.source, encoding=row.encoding,
        files=tuple(FileSummary(f["path"], f["format"], f["encoding"], f["records"],
                                tuple(f.get("warnings", ())), f.get("sha256", "")) for f in row.files),
        record_count=row.record_count, warning_count=row.warning_count, first_id=first, last_id=last,
    )


# -- records ------------------------------------------------------------------------------


def add_records(project: Project, records: Sequence[Record], actor: str, *,
                files: Sequence[FileSummary] = (), source: str = "", encoding: str = "") -> ImportBatch:
    """Store ``records`` as one import batch, all or nothing; returns the batch with its ids.

    ``files`` summarises the files read (default: one summary per distinct ``source_file``);
    ``source`` is the database named by the user (``--source``), ``encoding`` the one forced,
    if any. The audit log gets one ``create`` row for the batch (its summary, not every record:
    the records themselves keep their original text).
    """
    if not files:
        counts: dict[tuple[str, str], int] = {}
        for r in records:
            counts[(r.source_file, r.format)] = counts.get((r.source_file, r.format), 0) + 1
        files = [FileSummary(path, fmt, encoding, n) for (path, fmt), n in counts.items()]
    declared = sum(f.records for f in files)
    if declared != len(records):
        raise StorageError(f"the file summaries count {declared} records but {len(records)} were "
                           "given; pass one summary per file read")
    warnings = sum(len(f.warnings) for f in files)
    with project._write(actor) as (conn, changes):
        batch_row = {"imported_at": changes.at, "imported_by": actor, "source": source,
                     "encoding": encoding, "files": [f.to_dict() for f in files],
                     "record_count": len(records), "warning_count": warnings}
        batch_id = conn.execute(insert(_BATCH).returning(_BATCH.c.id), batch_row).scalar_one()
        for start in range(0, len(records), CHUNK):
            conn.execute(insert(_RECORD), [_record_row(r, batch_id) for r in records[start:start + CHUNK]])
        batch = _batch(conn, conn.execute(select(_BATCH).where(_BATCH.c.id == batch_id)).one())
        summary = {k: v for k, v in batch_row.items() if k != "imported_at"}
        changes.add("create", BATCH, (batch_id,), None,
                    new={**summary, "first_id": batch.first_id, "last_id": batch.last_id})
    return batch


def list_batches(project: Project) -> tuple[ImportBatch, ...]:
    """Every import batch, oldest first."""
    with project._read() as conn:
        return tuple(_batch(conn, row) for row in conn.execute(select(_BATCH).order_by(_BATCH.c.id)))


def iter_records(project: Project, *, batch: int | None = None,
                 database: str | None = None) -> Iterator[StoredRecord]:
    """Records in id order, fetched :data:`CHUNK` at a time (one read transaction)."""
    query = select(_RECORD).order_by(_RECORD.c.id)
    if batch is not None:
        query = query.where(_RECORD.c.import_batch == batch)
    if database is not None:
        query = query.where(_RECORD.c.database == database)
    with project._read() as conn:
        for row in conn.execution_options(yield_per=CHUNK).execute(query):
            yield _stored_record(row)


def list_records(project: Project, *, batch: int | None = None, database: str | None = None,
                 ids: Iterable[int] | None = None) -> tuple[StoredRecord, ...]:
    """Records in id order: all, one batch's, one database's, or those with ``ids``."""
    if ids is None:
        return tuple(iter_records(project, batch=batch, database=database))
    wanted = sorted(set(ids))
    out: list[StoredRecord] = []
    with project._read() as conn:
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            out.extend(_stored_record(r) for r in conn.execute(
                select(_RECORD).where(_RECORD.c.id.in_(chunk)).order_by(_RECORD.c.id)))
    missing = sorted(set(wanted) - {r.id for r in out})
    if missing:
        raise StorageError(f"no record {missing[0]} in project {project.location}; list the records "
                           "(evisynth records list) for their ids")
    return tuple(out)


#: What :func:`search_records` sorts by: a column of ``records``.
SORTS: tuple[str, ...] = ("id", "title", "year", "database", "journal")


@dataclass(frozen=True)
class RecordFilter:
    """What :func:`search_records` keeps: ``text`` in the title, authors or abstract (any
    language, case-insensitive), one ``database``, one ``year``; ``ids`` only these ids,
    ``not_ids`` none of these (both worked out by the caller, e.g. from screening)."""

    text: str = ""
    database: str | None = None
    year: int | None = None
    ids: frozenset[int] | None = None
    not_ids: frozenset[int] = frozenset()


def _in(name: str, ids: Iterable[int]) -> ColumnElement[bool]:
    # Rendered into the SQL as literals: a list of any length, no bound-parameter limit.
    return _RECORD.c.id.in_(bindparam(name, sorted(ids), expanding=True, literal_execute=True))


def _where(query: Any, where: RecordFilter) -> Any:
    text = where.text.strip()
    if text:
        # authors is a JSON list, stored with non-ASCII text escaped (\u4e2d…): match both.
        escaped = json.dumps(text)[1:-1]
        query = query.where(or_(_RECORD.c.title.icontains(text, autoescape=True),
                                _RECORD.c.abstract.icontains(text, autoescape=True),
                                sql_cast(_RECORD.c.authors, Text).icontains(text, autoescape=True),
                                sql_cast(_RECORD.c.authors, Text).icontains(escaped, autoescape=True)))
    if where.database is not None:
        query = query.where(_RECORD.c.database == where.database)
    if where.year is not None:
        query = query.where(_RECORD.c.year == where.year)
    if where.ids is not None:
        query = query.where(_in("ids", where.ids) if where.ids else _RECORD.c.id.is_(None))
    if where.not_ids:
        query = query.where(~_in("not_ids", where.not_ids))
    return query


def search_records(project: Project, where: RecordFilter = RecordFilter(), *, sort: str = "id",
                   descending: bool = False, limit: int | None = 50,
                   offset: int = 0) -> tuple[int, tuple[StoredRecord, ...]]:
    """(how many records match ``where``, the page of them from ``offset``, at most ``limit``
    (None: all), sorted by ``sort`` (one of :data:`SORTS`; empty values last), then by id). Filtering, sorting
    and paging happen in the database: only the page is read."""
    if sort not in SORTS:
        raise StorageError(f"sort must be one of {', '.join(SORTS)} (got {sort!r})")
    column = _RECORD.c[sort]
    order = [(column.desc() if descending else column.asc()).nulls_last()]  # alike on both backends
    if sort != "id":
        order.append(_RECORD.c.id.desc() if descending else _RECORD.c.id.asc())
    with project._read() as conn:
        total = conn.execute(_where(select(func.count()).select_from(_RECORD), where)).scalar_one()
        query = _where(select(_RECORD), where).order_by(*order).offset(max(offset, 0))
        if limit is not None:
            query = query.limit(limit)
        return int(total), tuple(_stored_record(row) for row in conn.execute(query))


def get_record(project: Project, record_id: int) -> StoredRecord:
    """The record with id ``record_id``; StorageError when there is none."""
    return list_records(project, ids=[record_id])[0]


def count_records(project: Project) -> dict[str, int]:
    """Records per database (``""`` for records whose file named none), databases sorted."""
    with project._read() as conn:
        rows = conn.execute(select(_RECORD.c.database, func.count()).group_by(_RECORD.c.database))
        return dict(sorted((db, n) for db, n in rows))


# -- links --------------------------------------------------------------------------------


def _link_row(link: DuplicateLink, at: dt.datetime) -> dict[str, Any]:
    return {"record_id": link.record, "duplicate_of": link.duplicate_of, "score": link.score,
            "rule": link.rule, "status": link.status, "decided_by": link.decided_by,
            "decided_at": at if link.decided_by else None}


def _stored_link(row: Any) -> StoredLink:
    return StoredLink(id=row.id, link=DuplicateLink(record=row.record_id, duplicate_of=row.duplicate_of,
                                                    score=row.score, rule=row.rule, status=row.status,
                                                    decided_by=row.decided_by),
                      decided_at=None if row.decided_at is None else _rows.as_utc(row.decided_at))


def _audit_value(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()}


def add_links(project: Project, links: Iterable[DuplicateLink], actor: str) -> tuple[StoredLink, ...]:
    """Store new duplicate links (one transaction); returns those added.

    A pair that is already linked (in either direction) keeps its stored link and any
    decision on it, so rerunning deduplication never undoes a reviewer's work. Both records
    must exist.
    """
    wanted = list(links)
    with project._write(actor) as (conn, changes):
        ids = {i for link in wanted for i in (link.record, link.duplicate_of)}
        known: set[int] = set()
        sorted_ids = sorted(ids)
        for start in range(0, len(sorted_ids), CHUNK):
            known.update(conn.scalars(select(_RECORD.c.id).where(
                _RECORD.c.id.in_(sorted_ids[start:start + CHUNK]))))
        unknown = sorted(ids - known)
        if unknown:
            raise StorageError(f"cannot link record {unknown[0]}: no such record in "
                               f"{project.location}; nothing was stored")
        pairs = {frozenset((a, b)) for a, b in conn.execute(select(_LINK.c.record_id, _LINK.c.duplicate_of))}
        new_rows: list[dict[str, Any]] = []
        for link in wanted:
            pair = frozenset((link.record, link.duplicate_of))
            if pair in pairs:
                continue
            pairs.add(pair)
            new_rows.append(_link_row(link, changes.at))
        added: list[StoredLink] = []
        for row in new_rows:
            link_id = conn.execute(insert(_LINK).returning(_LINK.c.id), row).scalar_one()
            changes.add("create", LINK, (link_id,), None, new=_audit_value(row))
            added.append(_stored_link(conn.execute(select(_LINK).where(_LINK.c.id == link_id)).one()))
    return tuple(added)


def list_links(project: Project, *, status: str | Sequence[str] | None = None,
               record: int | None = None) -> tuple[StoredLink, ...]:
    """Links in id order; optionally only those with ``status`` (one or several) or touching
    ``record``."""
    query = select(_LINK).order_by(_LINK.c.id)
    if status is not None:
        query = query.where(_LINK.c.status.in_([status] if isinstance(status, str) else list(status)))
    if record is not None:
        query = query.where(or_(_LINK.c.record_id == record, _LINK.c.duplicate_of == record))
    with project._read() as conn:
        return tuple(_stored_link(row) for row in conn.execute(query))


def decide_link(project: Project, link_id: int, decision: str, actor: str) -> StoredLink:
    """Record a reviewer's decision (``accepted`` or ``rejected``) on link ``link_id``.

    The link's status, ``decided_by`` and ``decided_at`` change; the audit log keeps the
    earlier values. Deciding again (a second reviewer, a change of mind) is allowed and
    audited the same way.
    """
    return decide_links(project, [(link_id, decision)], actor)[0]


def decide_links(project: Project, decisions: Sequence[tuple[int, str]],
                 actor: str) -> tuple[StoredLink, ...]:
    """Several decisions ``(link id, decision)`` in one transaction: all are stored or none."""
    for _, decision in decisions:
        if decision not in DECISIONS:
            raise StorageError(f"decision must be one of {', '.join(DECISIONS)} (got {decision!r})")
    out: list[StoredLink] = []
    with project._write(actor) as (conn, changes):
        for link_id, decision in decisions:
            row = conn.execute(select(_LINK).where(_LINK.c.id == link_id)).mappings().first()
            if row is None:
                raise StorageError(f"no duplicate link {link_id} in {project.location}; list them with "
                                   "evisynth dedup --review; nothing was decided")
            new = {"status": decision, "decided_by": actor, "decided_at": changes.at}
            for column, value in new.items():
                before = row[column]
                if isinstance(before, dt.datetime):
                    before = before.replace(tzinfo=before.tzinfo or dt.UTC).isoformat()
                after = value.isoformat() if isinstance(value, dt.datetime) else value
                if before != after:
                    changes.add("update", LINK, (link_id,), column, before, after)
            conn.execute(update(_LINK).where(_LINK.c.id == link_id).values(new))
            out.append(_stored_link(conn.execute(select(_LINK).where(_LINK.c.id == link_id)).one()))
    return tuple(out)


def count_links(project: Project) -> dict[str, int]:
    """Links per status (every status listed, zero when none)."""
    with project._read() as conn:
        rows = conn.execute(select(_LINK.c.status, func.count()).group_by(_LINK.c.status))
        found: dict[str, int] = {status: n for status, n in rows}
    return {s: int(found.get(s, 0)) for s in schema.LINK_STATUSES}


def identification_counts(project: Project) -> IdentificationCounts:
    """PRISMA's identification numbers computed from the stored records and links."""
    with project._read() as conn:
        databases = dict(conn.execute(select(_RECORD.c.id, _RECORD.c.database)).all())
        links = [_stored_link(r).link for r in conn.execute(select(_LINK))]
    try:
        return identification(databases, links)
    except DomainError as exc:
        raise StorageError(str(exc)) from exc


