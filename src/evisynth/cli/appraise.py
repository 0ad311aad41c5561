"""``evisynth appraise ARTICLE [--lang auto|zh|en] [--json] [--html OUT] [--project P.sqlite]``.

Thin: parse, call :func:`evisynth.services.claims.appraise_file`, render (a Rich table of claims
and verdicts, the JSON of the appraisal, and/or the HTML report). Register it with
``app.command("appraise")(appraise)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evisynth.cli._base import print_json
from evisynth.core.errors import InputError

_COLOURS = {
    "supported": "green",
    "overstated": "yellow",
    "not_supported": "magenta",
    "contradicted": "red",
    "not_assessable": "dim",
}


def appraise(
    article: Annotated[Path, typer.Argument(help="The article: .txt, .md or .html.", metavar="ARTICLE")],
    lang: Annotated[str, typer.Option(
        "--lang", help="auto, zh or en: the article's language.", metavar="TEXT")] = "auto",
    json_output: Annotated[bool, typer.Option("--json", help="Print the appraisal as JSON.")] = False,
    html: Annotated[Path | None, typer.Option(
        "--html", help="Write the HTML appraisal report here.", metavar="FILE")] = None,
    project: Annotated[Path | None, typer.Option(
        "--project", help="A review project (.sqlite) whose pooled analyses are used as evidence too.",
        metavar="PROJECT")] = None,
) -> None:
    """Find the health claims in an article and say, with the evidence, whether each holds."""
    from rich.console import Console
    from rich.table import Table

    from evisynth.claims.model import VERDICT_WORDS
    from evisynth.services.claims import appraisal_html, appraisal_json, appraise_file

    if lang not in ("auto", "zh", "en"):
        raise InputError(f"--lang must be auto, zh or en (got {lang!r})")
    if project is not None and not project.is_file():
        raise InputError(f"--project {project}: no such review project file")
    result = appraise_file(article, language=lang, project=project)
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(appraisal_html(result, title=article.name), encoding="utf-8")
    if json_output:
        print_json(appraisal_json(result))
        return
    console = Console()
    word = "zh" if result.language == "zh" else "en"
    table = Table(title=f"{article.name}: {len(result.claims)} claims", title_justify="left")
    for name in ("#", "claim", "verdict", "GRADE"):
        table.add_column(name)
    for a in result.claims:
        text = " ".join(a.claim.sentence.split())
        colour = _COLOURS[a.verdict]
        table.add_row(
            a.claim.id,
            text if len(text) <= 70 else text[:69] + "…",
            f"[{colour}]{VERDICT_WORDS[a.verdict][word]}[/{colour}]",
            a.grade or "—",
        )
    console.print(table)
    for o in (*result.terminology, *result.omissions):
        console.print(f"• {o}")
    if html is not None:
        console.print(f"wrote {html}")
