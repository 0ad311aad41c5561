"""Record operations for the CLI and the web: import exports into a project, list, export.

An import call reads every file first and stores nothing until all of them have been read:
a file that fails stops the whole call, so a project never holds half of an import. The
records of all files go in as one batch, in one transaction (:func:`evisynth.storage.records.add_records`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from evisynth.core.errors import InputError
from evisynth.io.errors import ImportFormatError
from evisynth.io.records import FORMATS, RecordFile, read_file
from evisynth.io.records.export import to_csv, to_ris
from evisynth.review.normalize import KEYS
from evisynth.review.records import Record
from evisynth.storage import records as store
from evisynth.storage import screening as screening_store
from evisynth.storage.project import Project, open_project
from evisynth.storage.records import FileSummary, ImportBatch, RecordFilter, StoredRecord

#: Called after each file is read: (files done, files in all, the file just read).
Progress = Callable[[int, int, str], None]
#: ``(path, entries read so far)`` while a big line-based export is read.
EntryProgress = Callable[[str, int], None]
EXPORT_FORMATS = ("ris", "csv")


@dataclass(frozen=True)
class ImportResult:
    """What one import call stored: the batch (its id, files, counts) and the project."""

    project: str
    batch: ImportBatch

    def to_dict(self) -> dict[str, Any]:
        return {"project": self.project, **self.batch.to_dict()}


class AlreadyImported(InputError):
    """Files whose bytes (SHA-256) were imported before; nothing was imported."""

    def __init__(self, found: Sequence[tuple[str, ImportBatch, FileSummary]]) -> None:
        self.found = tuple(found)
        said = "; ".join(
            f"{name} was imported before (batch {batch.id}, {batch.imported_at:%Y-%m-%d %H:%M} UTC "
            f"by {batch.imported_by}, as {Path(earlier.path).name}, {earlier.records} records)"
            for name, batch, earlier in self.found)
        super().__init__(f"{said}: the same file (SHA-256) again would add its records twice; "
                         "nothing was imported. Import it again only on purpose: --allow-reimport "
                         "on the command line, \u201cImport anyway\u201d in the web app")


@contextmanager
def _opened(project: Path | str | Project, *, create: bool = False) -> Iterator[Project]:
    if isinstance(project, Project):
        yield project
        return
    opened = open_project(project, create=create)
    try:
        yield opened
    finally:
        opened.close()


def imported_before(project: Project, digests: Sequence[str]) -> dict[str, tuple[ImportBatch, FileSummary]]:
    """SHA-256 → the earliest import batch (and its file) that read a file with those bytes."""
    wanted, found = set(digests) - {""}, {}
    for batch in store.list_batches(project):
        for f in batch.files:
            if f.sha256 in wanted and f.sha256 not in found:
                found[f.sha256] = (batch, f)
    return found


def parse_column_map(text: str | None) -> dict[str, str] | None:
    """``"title=Title,authors=Author"`` → ``{"title": "Title", "authors": "Author"}``.

    Field names must be among :data:`evisynth.review.normalize.KEYS`; the columns are checked
    against each table's header when it is read.
    """
    if text is None or not text.strip():
        return None
    out: dict[str, str] = {}
    for part in text.split(","):
        field, eq, column = part.partition("=")
        field, column = field.strip(), column.strip()
        if not eq or not field or not column:
            raise InputError(f"--map {part.strip()!r} must be field=Column, e.g. "
                             "--map title=Title,authors=Author")
        if field not in KEYS:
            raise InputError(f"--map: unknown field {field!r}; use one of {', '.join(KEYS)}")
        if field in out:
            raise InputError(f"--map names field {field!r} twice")
        out[field] = column
    return out


def _warnings(read: RecordFile) -> tuple[str, ...]:
    out: list[str] = []
    if not read.ends_with_newline and read.records:
        last = read.records[-1]
        out.append(f"the file ends in the middle of a line: it may be cut off; check entry {last.entry}"
                   + (f" (line {last.line})" if last.line else "") + " against the source")
    if read.encoding == "gb18030":
        out.append("decoded as GB18030 (no byte-order mark, not UTF-8); pass --encoding if the "
                   "Chinese text looks wrong")
    untitled = [r.entry for r in read.records if not r.title]
    if untitled:
        out.append(f"{len(untitled)} record(s) without a title (entries {_entries(untitled)})")
    undated = [r.entry for r in read.records if r.year is None]
    if undated:
        out.append(f"{len(undated)} record(s) without a year (entries {_entries(undated)})")
    return tuple(out)


def _sources(source: str | Sequence[str] | None, files: int) -> list[str | None]:
    if source is None or isinstance(source, str):
        return [source or None] * files
    if len(source) == 1:
        return [source[0] or None] * files
    if len(source) != files:
        raise InputError(f"--source is given {len(source)} times for {files} files; give it once "
                         "(for every file) or once per file, in the files' order")
    return [s or None for s in source]


def _entries(numbers: Sequence[int], shown: int = 5) -> str:
    text = ", ".join(str(n) for n in numbers[:shown])
    return text + (", …" if len(numbers) > shown else "")


def read_exports(
    paths: Sequence[Path],
    *,
    format: str | None = None,
    encoding: str | None = None,
    source: str | Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    entry_progress: EntryProgress | None = None,
) -> list[RecordFile]:
    """Read every file (nothing is stored); the first file that fails raises for the call.

    ``source`` names the database of every file, or (a sequence) of each file in turn.
    """
    if not paths:
        raise InputError("give at least one export file to import")
    sources = _sources(source, len(paths))
    if format is not None and format != "auto" and format not in FORMATS:
        raise InputError(f"--format {format!r} is not one of auto, {', '.join(FORMATS)}")
    seen: set[Path] = set()
    out: list[RecordFile] = []
    for index, path in enumerate(paths, start=1):
        resolved = path.resolve()
        if resolved in seen:
            raise InputError(f"{path} is given twice; import each file once")
        seen.add(resolved)
        try:
            on_entries = None if entry_progress is None else partial(entry_progress, str(path))
            out.append(read_file(path, format=None if format in (None, "auto") else format,
                                 encoding=encoding, source=sources[index - 1], columns=columns,
                                 on_entries=on_entries))
        except ImportFormatError as exc:
            rest = "" if len(paths) == 1 else f" (file {index} of {len(paths)})"
            raise ImportFormatError(f"{exc}{rest}; nothing was imported") from exc
        if progress is not None:
            progress(index, len(paths), str(path))
    return out


def import_records(
    project_path: Path | str | Project,
    paths: Sequence[Path],
    *,
    actor: str,
    format: str | None = None,
    encoding: str | None = None,
    source: str | Sequence[str] | None = None,
    columns: Mapping[str, str] | None = None,
    create: bool = False,
    progress: Progress | None = None,
    entry_progress: EntryProgress | None = None,
    names: Sequence[str] | None = None,
    allow_reimport: bool = False,
) -> ImportResult:
    """Read ``paths`` and store all their records in the project as one batch (all or nothing).

    A file whose SHA-256 an earlier batch already read is refused (:class:`AlreadyImported`)
    unless ``allow_reimport``. ``names`` are the names to keep as each file's provenance
    (an upload's original file name) instead of its path on this machine.
    """
    if names is not None and len(names) != len(paths):
        raise InputError(f"{len(names)} names for {len(paths)} files; give one name per file")
    files = read_exports(paths, format=format, encoding=encoding, source=source, columns=columns,
                         progress=progress, entry_progress=entry_progress)
    if names is not None:
        files = [dataclasses.replace(f, path=name, records=tuple(
            dataclasses.replace(r, source_file=name) for r in f.records))
            for f, name in zip(files, names, strict=True)]
    records: list[Record] = [r for f in files for r in f.records]
    summaries = [FileSummary(f.path, f.format, f.encoding, len(f.records), _warnings(f), f.sha256)
                 for f in files]
    with _opened(project_path, create=create) as project:
        if not allow_reimport:
            earlier = imported_before(project, [f.sha256 for f in files])
            if earlier:
                raise AlreadyImported([(f.path, *earlier[f.sha256]) for f in files if f.sha256 in earlier])
        named = [s for s in _sources(source, len(paths)) if s]
        batch = store.add_records(project, records, actor, files=summaries,
                                  source="; ".join(dict.fromkeys(named)),
                                  encoding=encoding or "")
        return ImportResult(project.location, batch)


def list_records(project_path: Path | str, *, database: str | None = None,
                 batch: int | None = None) -> tuple[StoredRecord, ...]:
    """The project's records in id order: all, or one database's, or one import batch's."""
    project = open_project(project_path)
    try:
        return store.list_records(project, database=database, batch=batch)
    finally:
        project.close()


def export_records(project_path: Path | str, out: Path, *, format: str) -> int:
    """Write the project's records as RIS or CSV to ``out``; returns how many were written."""
    if not out.parent.is_dir():
        raise InputError(f"folder {out.parent} does not exist; create it first")
    with _opened(project_path) as project:
        count, text = export_text(project, RecordQuery(), format=format)
    out.write_text(text, encoding="utf-8")
    return count


#: Screening states a record can be in (:data:`evisynth.review.screening.STATES`).
SCREENING_STATES = ("ta:open", "ta:conflict", "ta:excluded", "ft:open", "ft:conflict",
                    "ft:excluded", "included")


@dataclass(frozen=True)
class RecordQuery:
    """The records table's filter: ``text`` (title, authors, abstract), ``database``,
    ``year``, the screening ``state`` (one of :data:`SCREENING_STATES`), and a standing
    screening decision (``decision``: include/exclude/maybe, by ``reviewer``, with ``reason``)."""

    text: str = ""
    database: str | None = None
    year: int | None = None
    state: str | None = None
    decision: str | None = None
    reviewer: str | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.state is not None and self.state not in SCREENING_STATES:
            raise InputError(f"state {self.state!r} is not one of {', '.join(SCREENING_STATES)}")
        if self.decision is not None and self.decision not in ("include", "exclude", "maybe"):
            raise InputError(f"decision {self.decision!r} must be include, exclude or maybe")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, "")}


@dataclass(frozen=True)
class RecordPage:
    """One page of the records table: how many match, which records, their screening states."""

    total: int
    offset: int
    records: tuple[StoredRecord, ...]
    states: Mapping[int, str]

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "offset": self.offset,
                "records": [{"id": s.id, "state": self.states.get(s.id, "ta:open"), **s.record.to_dict()}
                            for s in self.records]}


def _filter(project: Project, query: RecordQuery) -> RecordFilter:
    """The storage filter: screening conditions become the set of record ids that meet them,
    worked out from the screening events (only screened records have any)."""
    ids: frozenset[int] | None = None
    not_ids: frozenset[int] = frozenset()
    if query.state is not None or query.decision or query.reviewer or query.reason:
        states = screening_store.load_screening(project)
        if query.state == "ta:open":  # records never screened are open at title/abstract
            not_ids = frozenset(r for r, s in states.items() if s.state != "ta:open")
        elif query.state is not None:
            ids = frozenset(r for r, s in states.items() if s.state == query.state)
        if query.decision or query.reviewer or query.reason:
            standing = frozenset(
                r for r, s in states.items() for stage in ("ta", "ft")
                for e in (*s.stage(stage).decisions, *filter(None, [s.stage(stage).resolution]))
                if (not query.decision or e.action == query.decision)
                and (not query.reviewer or e.reviewer == query.reviewer)
                and (not query.reason or e.reason == query.reason))
            ids = standing if ids is None else ids & standing
    return RecordFilter(query.text, query.database, query.year, ids, not_ids)


def browse(project: Project, query: RecordQuery, *, sort: str = "id", descending: bool = False,
           limit: int = 50, offset: int = 0) -> RecordPage:
    """One page of the records that ``query`` keeps (filtered, sorted and paged in SQL)."""
    total, page = store.search_records(project, _filter(project, query), sort=sort,
                                       descending=descending, limit=limit, offset=offset)
    states = screening_store.load_screening(project, [s.id for s in page]) if page else {}
    return RecordPage(total, offset, page, {r: s.state for r, s in states.items()})


def export_text(project: Project, query: RecordQuery, *, format: str) -> tuple[int, str]:
    """(how many, the RIS or CSV text) of the records that ``query`` keeps, in id order."""
    if format not in EXPORT_FORMATS:
        raise InputError(f"--format {format!r} must be one of {', '.join(EXPORT_FORMATS)}")
    _, found = store.search_records(project, _filter(project, query), limit=None)
    records = [s.record for s in found]
    return len(records), to_ris(records) if format == "ris" else to_csv(records)


def screening_choices(project: Project) -> dict[str, tuple[str, ...]]:
    """What the records table's filters offer: databases, reviewers and reasons in use."""
    states = screening_store.load_screening(project).values()
    events = [e for s in states for e in s.events if e.action != "retract"]
    return {"databases": tuple(store.count_records(project)),
            "reviewers": tuple(sorted({e.reviewer for e in events})),
            "reasons": tuple(sorted({e.reason for e in events if e.reason}))}
