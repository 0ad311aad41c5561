"""Record operations for the CLI and the web: import exports into a project, list, export.

An import call reads every file first and stores nothing until all of them have been read:
a file that fails stops the whole call, so a project never holds half of an import. The
records of all files go in as one batch, in one transaction (:func:`evisynth.storage.records.add_records`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
from evisynth.storage.project import open_project
from evisynth.storage.records import FileSummary, ImportBatch, StoredRecord

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
    project_path: Path | str,
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
) -> ImportResult:
    """Read ``paths`` and store all their records in the project as one batch (all or nothing)."""
    files = read_exports(paths, format=format, encoding=encoding, source=source, columns=columns,
                         progress=progress, entry_progress=entry_progress)
    records: list[Record] = [r for f in files for r in f.records]
    summaries = [FileSummary(f.path, f.format, f.encoding, len(f.records), _warnings(f), f.sha256)
                 for f in files]
    project = open_project(project_path, create=create)
    try:
        named = [s for s in _sources(source, len(paths)) if s]
        batch = store.add_records(project, records, actor, files=summaries,
                                  source="; ".join(dict.fromkeys(named)),
                                  encoding=encoding or "")
        return ImportResult(project.location, batch)
    finally:
        project.close()


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
    if format not in EXPORT_FORMATS:
        raise InputError(f"--format {format!r} must be one of {', '.join(EXPORT_FORMATS)}")
    if not out.parent.is_dir():
        raise InputError(f"folder {out.parent} does not exist; create it first")
    records = [s.record for s in list_records(project_path)]
    text = to_ris(records) if format == "ris" else to_csv(records)
    out.write_text(text, encoding="utf-8")
    return len(records)
