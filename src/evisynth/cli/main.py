"""The ``evisynth`` command: thin commands that parse, call one service, render."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from scipy.stats import norm

from evisynth import services
from evisynth.cli import dedup as dedup_cli
from evisynth.cli import extract as extract_cli
from evisynth.cli import records as records_cli
from evisynth.cli import rm5, screening, serve, simulate
from evisynth.cli import search as search_cli
from evisynth.cli import study as study_cli
from evisynth.cli.appraise import appraise as appraise_command
from evisynth.core.errors import ConvergenceError, InputError
from evisynth.core.results import PoolResult
from evisynth.io.errors import ImportFormatError
from evisynth.io.search import SearchError
from evisynth.review.errors import DomainError
from evisynth.services import review as review_services
from evisynth.storage.errors import BundleError, StorageError

app = typer.Typer(
    name="evisynth",
    help="Evidence synthesis: meta-analysis that matches RevMan and metafor, and review projects.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()

#: Domain errors shown as one line, with the exit code they map to.
ERROR_EXIT_CODES: dict[type[Exception], int] = {
    InputError: 2,
    ImportFormatError: 2,
    ConvergenceError: 3,
    DomainError: 2,
    BundleError: 2,
    StorageError: 2,
    SearchError: 2,
}


def _fmt(x: float | None, digits: int = 4) -> str:
    return "NA" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def _study_table(result: PoolResult) -> Table:
    log = result.scale == "log"
    table = Table(title=f"Studies ({result.measure}{', log scale' if log else ''})")
    for name in ("study", "estimate", f"{result.level:g}% CI", "weight %", "note"):
        table.add_column(name, justify="left" if name in ("study", "note") else "right")
    z = float(norm.ppf(1 - (1 - result.level / 100) / 2))
    for s in result.studies:
        if math.isfinite(s.yi):
            half = z * math.sqrt(s.vi)
            ci = f"[{_fmt(s.yi - half)}, {_fmt(s.yi + half)}]"
            table.add_row(s.study, _fmt(s.yi), ci, _fmt(s.weight, 1), s.note)
        else:
            table.add_row(s.study, "—", "—", "0.0", s.note)
    return table


def _emit(payload: Any, json_output: bool, render: Any) -> None:
    if json_output:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        render()


@app.command()
def pool(
    file: Annotated[Path, typer.Argument(help="CSV/TSV/XLSX table, one row per study.")],
    measure: Annotated[str, typer.Option(help="MD, SMD, RR, OR, RD, GEN or MC.")],
    model: Annotated[str | None, typer.Option(help="fixed, random or auto [random].")] = None,
    method: Annotated[str | None, typer.Option(help="Fixed-effect method: IV, MH, Peto [IV].")] = None,
    tau2: Annotated[
        str | None, typer.Option(help="tau² estimator: DL, REML, PM, ML, HE, SJ [REML].")
    ] = None,
    hksj: Annotated[bool, typer.Option(help="Knapp–Hartung (HKSJ) adjustment.")] = False,
    smd: Annotated[str | None, typer.Option(help="SMD variant: hedges or revman.")] = None,
    prediction: Annotated[
        str | None, typer.Option(help="Prediction interval: z, t (k-2 df) or none [z].")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Subgroup column.")] = None,
    moderator: Annotated[
        list[str] | None, typer.Option(help="Moderator column for meta-regression (repeatable).")
    ] = None,
    bias: Annotated[bool, typer.Option(help="Egger, Begg and trim-and-fill.")] = False,
    leave_one_out: Annotated[bool, typer.Option(help="Leave-one-out analysis.")] = False,
    cumulative: Annotated[
        str | None, typer.Option(help="Cumulative meta-analysis ordered by this column.")
    ] = None,
    preset: Annotated[str | None, typer.Option(help="revman5 or metafor.")] = None,
    level: Annotated[float, typer.Option(help="Confidence level in percent.")] = 95.0,
    continuity_correction: Annotated[
        float, typer.Option(help="Added to the cells of tables with a zero cell.")
    ] = 0.5,
    correction_applies_to: Annotated[
        str, typer.Option(help="zero_cells, all or none.")
    ] = "zero_cells",
    drop_double_zero: Annotated[
        bool | None,
        typer.Option(
            "--drop-double-zero/--keep-double-zero",
            help="Drop studies without events in both arms [drop for OR/RR, keep for RD].",
        ),
    ] = None,
    correlation: Annotated[
        float | None, typer.Option(help="Pre/post correlation for MC when the table has no 'r'.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print to_dict() as JSON.")] = False,
) -> None:
    """Pool the studies in FILE into one meta-analysis."""
    result = services.pool_file(
        file,
        measure=measure, model=model, method=method, tau2=tau2, hksj=hksj, smd=smd,
        prediction=prediction, by=by, moderator=moderator or None, bias=bias,
        leave_one_out=leave_one_out, cumulative=cumulative, preset=preset, level=level,
        continuity_correction=continuity_correction,
        correction_applies_to=correction_applies_to, drop_double_zero=drop_double_zero,
        correlation=correlation,
    )

    def render() -> None:
        console.print(_study_table(result))
        console.print(str(result), markup=False, highlight=False, soft_wrap=True)

    _emit(result.to_dict(), json_output, render)


app.command("import-rm5")(rm5.import_rm5)
app.command("appraise")(appraise_command)
app.add_typer(screening.screen_app, name="screen")
app.command("prisma")(screening.prisma_command)
app.command("simulate")(simulate.simulate)
app.command("serve")(serve.serve)


ActorOption = Annotated[
    str, typer.Option("--actor", help="Who makes the change (recorded in the audit log).")
]


@app.command()
def new(
    project: Annotated[Path, typer.Argument(help="Project file to create (SQLite).")],
    title: Annotated[str, typer.Option(help="The review's title.")],
    language: Annotated[str, typer.Option(help="zh or en: the review's language.")] = "en",
    actor: ActorOption = "owner",
) -> None:
    """Create an empty review project."""
    if language not in ("zh", "en"):
        raise InputError(f"--language {language!r} must be zh or en")
    review_services.new_project(project, title=title, language=language, actor=actor).close()
    console.print(f"created {project}")


app.command("import")(records_cli.import_)
app.add_typer(records_cli.app, name="records")
app.add_typer(search_cli.app, name="search")
app.command("dedup")(dedup_cli.dedup)
app.add_typer(study_cli.app, name="study")
app.add_typer(extract_cli.protocol_app, name="protocol")
app.add_typer(extract_cli.outcome_app, name="outcome")
app.command("extract")(extract_cli.extract)
app.command("resolve")(extract_cli.resolve)
app.add_typer(extract_cli.analysis_app, name="analysis")


@app.command()
def export(
    project: Annotated[Path, typer.Argument(help="Project file (SQLite) or database URL.")],
    out: Annotated[Path, typer.Option(help="Bundle folder to write.")],
) -> None:
    """Export a project as a plain-text bundle (YAML and CSV)."""
    review_services.export_bundle(project, out)
    console.print(f"exported {project} to {out}")


@app.command()
def check(
    project: Annotated[Path, typer.Argument(help="Project file (SQLite) or database URL.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run the data checks: totals, SDs, units, p values against the reported numbers."""
    findings = review_services.check_project(project)

    def render() -> None:
        table = Table(title=f"Data checks: {len(findings)} findings")
        for column in ("severity", "code", "finding", "where"):
            table.add_column(column)
        for f in findings:
            table.add_row(f.severity, f.code, f.message, review_services.finding_locations(f))
        console.print(table)

    _emit([f.to_dict() for f in findings], json_output, render)


@app.command()
def extraction(
    project: Annotated[Path, typer.Argument(help="Project file (SQLite) or database URL.")],
    first: Annotated[str, typer.Option(help="The first extractor's name.")],
    second: Annotated[str, typer.Option(help="The second extractor's name.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Dual extraction: discrepancies between two extractors and the agreement."""
    result = review_services.compare_extractors(project, first, second)

    def render() -> None:
        table = Table(title=f"{first} vs {second}: {result['agreed']} of {result['keys_compared']} "
                            f"values agree ({100 * result['agreement']:.1f}%), {result['open']} open")
        for column in ("value", "kind", first, second, "resolved"):
            table.add_column(column)
        for d in result["discrepancies"]:
            table.add_row(d["key"], d["kind"], str(d["first"]), str(d["second"]),
                          "yes" if d["resolved"] else "no")
        console.print(table)

    _emit(result, json_output, render)


@app.command()
def report(
    project: Annotated[Path, typer.Argument(help="Project file (SQLite) or database URL.")],
    out: Annotated[Path | None, typer.Option(help="Folder for report.html and results.json.")] = None,
    docx: Annotated[Path | None, typer.Option(help="Also write the report as DOCX here.")] = None,
    tables_dir: Annotated[Path | None, typer.Option(help="Folder for every table (CSV, XLSX).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print results.json.")] = False,
) -> None:
    """Write the review's HTML report and results.json (and DOCX, CSV/XLSX tables)."""
    written = review_services.write_report(project, out, docx=docx, tables_dir=tables_dir)
    _emit(written.content, json_output,
          lambda: console.print("wrote " + ", ".join(map(str, written.paths()))))


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/vitk2"),
    replace: Annotated[bool, typer.Option(help="Rebuild the folder if it exists.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print results.json.")] = False,
) -> None:
    """Reproduce the vitamin K2 review (seed 000) into a project, a report and results.json."""
    written = review_services.demo(out, replace=replace)
    _emit(written.content, json_output,
          lambda: console.print("wrote " + ", ".join(map(str, written.paths()))))


@app.command()
def version() -> None:
    """Print the version."""
    from evisynth import __version__

    console.print(__version__)


def run() -> None:
    """Console entry point: domain errors become one line and an exit code."""
    try:
        app()
    except tuple(ERROR_EXIT_CODES) as exc:
        if os.environ.get("EVISYNTH_DEBUG") == "1":
            raise
        sys.stderr.write(f"error: {exc}\n")
        code = next(c for kind, c in ERROR_EXIT_CODES.items() if isinstance(exc, kind))
        sys.exit(code)
