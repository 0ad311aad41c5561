"""The ``evisynth`` command: thin commands that parse, call one service, render.

Start-up is instant: ``evisynth --help`` and ``evisynth version`` import typer and the standard
library only (``tests/test_cli_startup.py`` fails if numpy, pandas, scipy, SQLAlchemy … creep
in). To keep it so when you add a command:

1. Write it in a module under ``cli/`` whose top level imports only the standard library, typer,
   ``evisynth.cli._base`` and ``evisynth.core.errors``. Everything else (services, analysis,
   storage, io, rich, numpy …) is imported inside the command function; names needed only in
   annotations go under ``if TYPE_CHECKING:``.
2. Make its app an ``App`` (``evisynth.cli._base``): plain help that fits 80 columns. Give every
   option a metavar (``metavar="TEXT"``, ``"NUMBER"``, ``"FILE"``) and arguments one in capitals.
   Print with ``emit`` / ``print_json`` / ``print_text`` from ``_base`` (``--json`` everywhere).
3. Register it below: ``app.command("name")(module.function)`` or
   ``app.add_typer(module.app, name="name")``.
4. A new domain error gets a line in ``ERROR_EXIT_CODES`` by module and class name: the check
   looks only at modules already imported, so the table imports nothing.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from evisynth.cli import appraise, dedup, extract, records, rm5, screening, search, serve, simulate, study
from evisynth.cli._base import App, emit, print_text
from evisynth.core.errors import InputError

if TYPE_CHECKING:
    from rich.table import Table

    from evisynth.core.results import PoolResult

app = App(
    name="evisynth",
    help="Evidence synthesis: meta-analysis that matches RevMan and metafor, and review projects.",
    pretty_exceptions_enable=False,
)

#: Domain errors shown as one line, with the exit code they map to: (module, class, code).
ERROR_EXIT_CODES: tuple[tuple[str, str, int], ...] = (
    ("evisynth.core.errors", "InputError", 2),
    ("evisynth.io.errors", "ImportFormatError", 2),
    ("evisynth.core.errors", "ConvergenceError", 3),
    ("evisynth.review.errors", "DomainError", 2),
    ("evisynth.storage.errors", "BundleError", 2),
    ("evisynth.storage.errors", "StorageError", 2),
    ("evisynth.io.search._http", "SearchError", 2),
)


def exit_code(exc: BaseException) -> int | None:
    """The exit code of a domain error, or None for any other exception. An exception can only be
    an instance of a class whose module is loaded, so modules not yet imported are skipped."""
    for module, name, code in ERROR_EXIT_CODES:
        loaded = sys.modules.get(module)
        if loaded is not None and isinstance(exc, getattr(loaded, name)):
            return code
    return None


def _study_table(result: PoolResult, analysis_scale: bool) -> Table:
    """Each study's estimate and CI as shown (RR 0.60 [0.31, 1.16]), or as log values."""
    from rich.table import Table

    from evisynth.core.results import ANALYSIS_SCALE

    shown = ANALYSIS_SCALE if analysis_scale else result.display_scale
    log = result.scale == "log"
    title = f"Studies ({result.measure}{', log scale' if log and analysis_scale else ''})"
    value = ("log " if analysis_scale else "") + result.measure if log else "estimate"
    table = Table(title=title)
    for name in ("study", value, f"{result.level:g}% CI", "weight %", "note"):
        table.add_column(name, justify="left" if name in ("study", "note") else "right")
    for s in result.studies:
        estimate, low, high = s.interval(result.level)
        if math.isfinite(estimate):
            table.add_row(s.study, shown.show(estimate), f"[{shown.show(low)}, {shown.show(high)}]",
                          f"{s.weight:.1f}", s.note)
        else:
            table.add_row(s.study, "—", "—", "0.0", s.note)
    return table


@app.command()
def pool(
    file: Annotated[Path, typer.Argument(help="CSV/TSV/XLSX table, one row per study.", metavar="FILE")],
    measure: Annotated[str, typer.Option(help="MD, SMD, RR, OR, RD, GEN or MC.", metavar="TEXT")],
    model: Annotated[str | None, typer.Option(help="fixed, random or auto [random].", metavar="TEXT")] = None,
    method: Annotated[
        str | None, typer.Option(help="Fixed-effect method: IV, MH, Peto [IV].", metavar="TEXT")
    ] = None,
    tau2: Annotated[
        str | None, typer.Option(help="tau² estimator: DL, REML, PM, ML, HE, SJ [REML].", metavar="TEXT")
    ] = None,
    hksj: Annotated[bool, typer.Option(help="Knapp–Hartung (HKSJ) adjustment.", show_default=False)] = False,
    smd: Annotated[str | None, typer.Option(help="SMD variant: hedges or revman.", metavar="TEXT")] = None,
    prediction: Annotated[
        str | None, typer.Option(help="Prediction interval: z, t (k-2 df) or none [z].", metavar="TEXT")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Subgroup column.", metavar="COLUMN")] = None,
    moderator: Annotated[list[str] | None, typer.Option(
        help="Moderator column for meta-regression (repeatable).", metavar="COLUMN")] = None,
    bias: Annotated[bool, typer.Option(help="Egger, Begg and trim-and-fill.", show_default=False)] = False,
    leave_one_out: Annotated[bool, typer.Option(help="Leave-one-out analysis.", show_default=False)] = False,
    cumulative: Annotated[str | None, typer.Option(
        help="Cumulative meta-analysis ordered by this column.", metavar="COLUMN")] = None,
    preset: Annotated[str | None, typer.Option(help="revman5 or metafor.", metavar="TEXT")] = None,
    level: Annotated[float, typer.Option(help="Confidence level in percent.", metavar="NUMBER")] = 95.0,
    continuity_correction: Annotated[float, typer.Option(
        help="Added to the cells of tables with a zero cell.", metavar="NUMBER")] = 0.5,
    correction_applies_to: Annotated[str, typer.Option(
        help="zero_cells, all or none.", metavar="TEXT")] = "zero_cells",
    drop_double_zero: Annotated[bool | None, typer.Option(
        "--drop-double-zero/--keep-double-zero",
        help="Drop studies without events in both arms [drop for OR/RR, keep for RD].")] = None,
    correlation: Annotated[float | None, typer.Option(
        help="Pre/post correlation for MC when the table has no 'r'.", metavar="NUMBER")] = None,
    log_scale: Annotated[bool, typer.Option(
        "--log-scale", help="Show ratios (RR, OR) as log values, as they are pooled.")] = False,
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print to_dict() as JSON (log values; 'display': as shown).")] = False,
) -> None:
    """Pool the studies in FILE into one meta-analysis (ratios shown as ratios)."""
    from evisynth import services

    result = services.pool_file(
        file,
        measure=measure, model=model, method=method, tau2=tau2, hksj=hksj, smd=smd,
        prediction=prediction, by=by, moderator=moderator or None, bias=bias,
        leave_one_out=leave_one_out, cumulative=cumulative, preset=preset, level=level,
        continuity_correction=continuity_correction,
        correction_applies_to=correction_applies_to, drop_double_zero=drop_double_zero,
        correlation=correlation,
    )
    if log_scale and result.scale != "log":
        raise InputError(f"--log-scale applies to ratio measures pooled as logs (RR, OR); {measure} "
                         "is shown as analysed: leave --log-scale out")

    def render() -> None:
        from rich.console import Console

        console = Console()
        console.print(_study_table(result, log_scale))
        console.print(result.to_text(analysis_scale=log_scale), markup=False, highlight=False, soft_wrap=True)

    emit(result.to_dict(), json_output, render)


app.command("import-rm5")(rm5.import_rm5)
app.command("appraise")(appraise.appraise)
app.add_typer(screening.screen_app, name="screen")
app.command("prisma")(screening.prisma_command)
app.command("simulate")(simulate.simulate)
app.command("serve")(serve.serve)

ProjectArgument = Annotated[Path, typer.Argument(
    help="Project file (SQLite) or database URL.", metavar="PROJECT")]
ActorOption = Annotated[
    str, typer.Option("--actor", help="Who makes the change (recorded in the audit log).", metavar="NAME")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command()
def new(
    project: Annotated[Path, typer.Argument(help="Project file to create (SQLite).", metavar="PROJECT")],
    title: Annotated[str, typer.Option(help="The review's title.", metavar="TEXT")],
    language: Annotated[str, typer.Option(help="zh or en: the review's language.", metavar="TEXT")] = "en",
    actor: ActorOption = "owner",
) -> None:
    """Create an empty review project."""
    from evisynth.services import review as review_services

    if language not in ("zh", "en"):
        raise InputError(f"--language {language!r} must be zh or en")
    review_services.new_project(project, title=title, language=language, actor=actor).close()
    print_text(f"created {project}")


app.command("import")(records.import_)
app.add_typer(records.app, name="records")
app.add_typer(search.app, name="search")
app.command("dedup")(dedup.dedup)
app.add_typer(study.app, name="study")
app.add_typer(extract.protocol_app, name="protocol")
app.add_typer(extract.outcome_app, name="outcome")
app.command("extract")(extract.extract)
app.command("resolve")(extract.resolve)
app.command("grade")(extract.grade)
app.add_typer(extract.analysis_app, name="analysis")


@app.command()
def export(
    project: ProjectArgument,
    out: Annotated[Path, typer.Option(help="Bundle folder to write.", metavar="DIR")],
) -> None:
    """Export a project as a plain-text bundle (YAML and CSV)."""
    from evisynth.services import review as review_services

    review_services.export_bundle(project, out)
    print_text(f"exported {project} to {out}")


@app.command()
def check(project: ProjectArgument, json_output: JsonOption = False) -> None:
    """Run the data checks: totals, SDs, units, p values against the reported numbers."""
    from evisynth.services import review as review_services

    findings = review_services.check_project(project)

    def render() -> None:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"Data checks: {len(findings)} findings")
        for column in ("severity", "code", "finding", "where"):
            table.add_column(column)
        for f in findings:
            table.add_row(f.severity, f.code, f.message, review_services.finding_locations(f))
        Console().print(table)

    emit([f.to_dict() for f in findings], json_output, render)


@app.command()
def extraction(
    project: ProjectArgument,
    first: Annotated[str, typer.Option(help="The first extractor's name.", metavar="NAME")],
    second: Annotated[str, typer.Option(help="The second extractor's name.", metavar="NAME")],
    json_output: JsonOption = False,
) -> None:
    """Dual extraction: discrepancies between two extractors and the agreement."""
    from evisynth.services import review as review_services

    result = review_services.compare_extractors(project, first, second)

    def render() -> None:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{first} vs {second}: {result['agreed']} of {result['keys_compared']} "
                            f"values agree ({100 * result['agreement']:.1f}%), {result['open']} open")
        for column in ("value", "kind", first, second, "resolved"):
            table.add_column(column)
        for d in result["discrepancies"]:
            table.add_row(d["key"], d["kind"], str(d["first"]), str(d["second"]),
                          "yes" if d["resolved"] else "no")
        Console().print(table)

    emit(result, json_output, render)


@app.command()
def report(
    project: ProjectArgument,
    out: Annotated[Path | None, typer.Option(
        help="Folder for report.html and results.json.", metavar="DIR")] = None,
    docx: Annotated[Path | None, typer.Option(
        help="Also write the report as DOCX here.", metavar="FILE")] = None,
    tables_dir: Annotated[Path | None, typer.Option(
        help="Folder for every table (CSV, XLSX).", metavar="DIR")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print results.json.")] = False,
) -> None:
    """Write the review's HTML report and results.json (and DOCX, CSV/XLSX tables)."""
    from evisynth.services import review as review_services

    written = review_services.write_report(project, out, docx=docx, tables_dir=tables_dir)
    emit(written.content, json_output, lambda: print_text("wrote " + ", ".join(map(str, written.paths()))))


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Output folder.", metavar="DIR")] = Path("out/vitk2"),
    replace: Annotated[bool, typer.Option(
        help="Rebuild the folder if it exists.", show_default=False)] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print results.json.")] = False,
) -> None:
    """Reproduce the vitamin K2 review (seed 000) into a project, a report and results.json."""
    from evisynth.services import review as review_services

    written = review_services.demo(out, replace=replace)
    emit(written.content, json_output, lambda: print_text("wrote " + ", ".join(map(str, written.paths()))))


@app.command()
def version(
    json_output: Annotated[bool, typer.Option("--json", help="Print {\"version\": …} as JSON.")] = False,
) -> None:
    """Print the version of evisynth."""
    from evisynth import __version__

    emit({"version": __version__}, json_output, lambda: print(__version__))


def run() -> None:
    """Console entry point: domain errors become one line and an exit code."""
    try:
        app()
    except Exception as exc:
        code = exit_code(exc)
        if code is None or os.environ.get("EVISYNTH_DEBUG") == "1":
            raise
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(code)
