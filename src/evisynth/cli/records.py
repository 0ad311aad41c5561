"""Record commands: ``evisynth import FILE... --project P``, ``evisynth records import|list|export``.

``evisynth import`` takes either one review-bundle folder (the review itself, as before) or
export files (records: RIS, MEDLINE, PubMed XML, BibTeX, EndNote XML, WoS, CNKI, CSV/TSV/XLSX).
Thin: parse, call :mod:`evisynth.services.records`, render; a progress bar goes to stderr
when it is a terminal and ``--json`` is off.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from evisynth.cli._base import App, print_json, print_text
from evisynth.core.errors import InputError

if TYPE_CHECKING:
    from evisynth.services.records import EntryProgress
    from evisynth.services.records import Progress as FileProgress

app = App(help="Bibliographic records: import exports, list them, export RIS/CSV.")

ProjectArgument = Annotated[Path, typer.Argument(
    help="Project file (SQLite) or database URL.", metavar="PROJECT")]
SourceOption = Annotated[list[str] | None, typer.Option(
    "--source", help="Database the files came from (e.g. PubMed, CNKI): once for all files, or once "
    "per file in order; default: what each file says.", metavar="NAME")]
FormatOption = Annotated[str, typer.Option(
    "--format", help="auto, ris, medline, pubmed_xml, bibtex, endnote, endnote_xml, wos, cnki, refworks, "
    "ctgov_json, csv, tsv or xlsx.", metavar="FORMAT")]
EncodingOption = Annotated[str | None, typer.Option(
    "--encoding", help="Force a text encoding (utf-8, gb18030, utf-16, …); "
    "default: BOM, UTF-8, then GB18030.", metavar="ENCODING")]
MapOption = Annotated[str | None, typer.Option(
    "--map", help="Table columns for CSV/TSV/XLSX: field=Column,… e.g. title=Title,authors=Author.",
    metavar="MAP")]
ActorOption = Annotated[str, typer.Option(
    "--actor", help="Who imports (recorded in the audit log).", metavar="NAME")]
CreateOption = Annotated[bool, typer.Option(
    help="Create the project if it does not exist.", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON summary.")]
ReimportOption = Annotated[bool, typer.Option(
    "--allow-reimport", help="Import a file even if the same bytes (SHA-256) were imported before.")]


@contextmanager
def _progress(total: int, show: bool) -> Iterator[tuple[FileProgress, EntryProgress] | None]:
    """File and entry callbacks for a bar on stderr: it counts files, and for a single file
    the entries read so far (their total is not known before the end)."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("reading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                   TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    with bar:
        task = bar.add_task("", total=total if total > 1 else None)

        def advance(done: int, _total: int, path: str) -> None:
            if total > 1:
                bar.update(task, completed=done, description=Path(path).name)

        def entries(path: str, count: int) -> None:
            if total > 1:
                bar.update(task, description=f"{Path(path).name}: {count:,} entries")
            else:
                bar.update(task, completed=count, description=f"{Path(path).name}: entries")

        yield advance, entries


def _import_files(project: Path, files: list[Path], *, source: list[str] | None, format: str,
                  encoding: str | None, columns: str | None, actor: str, create: bool,
                  json_output: bool, allow_reimport: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from evisynth.services import records as services

    show = not json_output and sys.stderr.isatty() and len(files) > 0
    with _progress(len(files), show) as callbacks:
        progress, entries = callbacks if callbacks is not None else (None, None)
        result = services.import_records(
            project, files, actor=actor, format=format, encoding=encoding, source=source,
            columns=services.parse_column_map(columns), create=create, progress=progress,
            entry_progress=entries, allow_reimport=allow_reimport)
    if json_output:
        print_json(result.to_dict())
        return
    batch = result.batch
    table = Table(title=f"import batch {batch.id}: {batch.record_count} records into {result.project}")
    for column in ("file", "format", "encoding", "records", "warnings"):
        table.add_column(column, justify="right" if column == "records" else "left")
    for f in batch.files:
        table.add_row(f.path, f.format, f.encoding or "—", str(f.records), "\n".join(f.warnings))
    console = Console()
    console.print(table)
    if batch.first_id is not None:
        console.print(f"record ids {batch.first_id}–{batch.last_id}")


def import_(
    paths: Annotated[list[Path], typer.Argument(
        help="A review bundle folder, or one or more export files (records).", metavar="PATH...")],
    project: Annotated[Path, typer.Option(help="Project file (SQLite) or database URL.", metavar="PROJECT")],
    create: CreateOption = False,
    source: SourceOption = None,
    format: FormatOption = "auto",
    encoding: EncodingOption = None,
    columns: MapOption = None,
    actor: ActorOption = "importer",
    allow_reimport: ReimportOption = False,
    json_output: JsonOption = False,
) -> None:
    """Import a review bundle folder, or record export files, into a project (one transaction)."""
    folders = [p for p in paths if p.is_dir()]
    if folders:
        if len(paths) > 1:
            raise InputError(f"{folders[0]} is a folder (a review bundle): import a bundle on its own, "
                             "and export files in a separate call")
        given = [name for name, value in (("--source", source), ("--encoding", encoding),
                                          ("--map", columns)) if value] + (
            ["--format"] if format != "auto" else []) + (["--allow-reimport"] if allow_reimport else [])
        if given:
            raise InputError(f"{', '.join(given)} apply to record export files, not to the review "
                             f"bundle {folders[0]}; leave them out")
        from evisynth.services import review as review_services

        changes = review_services.import_bundle(project, folders[0], actor=actor, create=create)
        if json_output:
            print_json({"project": str(project), "changes": changes})
        else:
            print_text(f"imported {folders[0]} into {project}: {changes} changes")
        return
    _import_files(project, paths, source=source, format=format, encoding=encoding, columns=columns,
                  actor=actor, create=create, json_output=json_output, allow_reimport=allow_reimport)


@app.command("import")
def records_import(
    project: ProjectArgument,
    files: Annotated[list[Path], typer.Argument(
        help="Export files (RIS, nbib, XML, BibTeX, CSV, XLSX, …).", metavar="FILE...")],
    source: SourceOption = None,
    format: FormatOption = "auto",
    encoding: EncodingOption = None,
    columns: MapOption = None,
    create: CreateOption = False,
    actor: ActorOption = "importer",
    allow_reimport: ReimportOption = False,
    json_output: JsonOption = False,
) -> None:
    """Import record export files into PROJECT: all files or none, as one batch."""
    _import_files(project, files, source=source, format=format, encoding=encoding, columns=columns,
                  actor=actor, create=create, json_output=json_output, allow_reimport=allow_reimport)


@app.command("list")
def records_list(
    project: ProjectArgument,
    database: Annotated[str | None, typer.Option(
        help="Only the records of this database.", metavar="NAME")] = None,
    batch: Annotated[int | None, typer.Option(
        help="Only the records of this import batch.", metavar="ID")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print every record as JSON.")] = False,
) -> None:
    """List the project's records (id, database, year, first author, title)."""
    from rich.console import Console
    from rich.table import Table

    from evisynth.services import records as services

    stored = services.list_records(project, database=database, batch=batch)
    if json_output:
        print_json([{"id": s.id, "import_batch": s.import_batch, **s.record.to_dict()} for s in stored])
        return
    table = Table(title=f"{len(stored)} records")
    for column in ("id", "database", "year", "first author", "title"):
        table.add_column(column, justify="right" if column == "id" else "left")
    for s in stored:
        r = s.record
        table.add_row(str(s.id), r.database, "" if r.year is None else str(r.year),
                      r.authors[0] if r.authors else "", r.title[:80])
    Console().print(table)


@app.command("export")
def records_export(
    project: ProjectArgument,
    out: Annotated[Path, typer.Option("--out", help="File to write.", metavar="FILE")],
    format: Annotated[str, typer.Option("--format", help="ris or csv.", metavar="FORMAT")] = "ris",
    json_output: JsonOption = False,
) -> None:
    """Write the project's records to a RIS or CSV file."""
    from evisynth.services import records as services

    count = services.export_records(project, out, format=format)
    if json_output:
        print_json({"out": str(out), "format": format, "records": count})
    else:
        print_text(f"wrote {count} records to {out}")

