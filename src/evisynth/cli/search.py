"""``evisynth search pubmed|ctgov``: run a database search and save the hits as a file to import.

Thin: parse, call :mod:`evisynth.services.search`, render. Network failures are one line
(SearchError, exit 2) like every other error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from evisynth.cli._base import App, print_json

app = App(help="Search PubMed or ClinicalTrials.gov and save the hits for `evisynth import`.")

OutOption = Annotated[Path, typer.Option(
    "--out", help="File to write (.nbib for PubMed, .json for CT.gov).", metavar="FILE")]
MaxOption = Annotated[int | None, typer.Option("--max", help="Fetch at most this many records.", metavar="N")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON summary.")]
StrategyOption = Annotated[Path | None, typer.Option(
    "--strategy", help="YAML strategy: concepts of MeSH headings OR free text, AND-ed.", metavar="FILE")]


@app.command()
def pubmed(
    out: OutOption,
    query: Annotated[str | None, typer.Argument(
        help='PubMed query, e.g. \'"Vitamin K 2"[Mesh] OR menaquinone*[tiab]\'.', metavar="QUERY")] = None,
    strategy: StrategyOption = None,
    api_key: Annotated[str | None, typer.Option(
        "--api-key", help="NCBI API key (10 requests/s instead of 3); default: $NCBI_API_KEY.",
        metavar="KEY")] = None,
    email: Annotated[str | None, typer.Option(
        help="Your e-mail, sent to NCBI as it asks.", metavar="EMAIL")] = None,
    max_records: MaxOption = None,
    mindate: Annotated[str, typer.Option(
        help="Earliest publication date: YYYY, YYYY/MM, YYYY/MM/DD.", metavar="DATE")] = "",
    maxdate: Annotated[str, typer.Option(
        help="Latest publication date: YYYY, YYYY/MM, YYYY/MM/DD.", metavar="DATE")] = "",
    json_output: JsonOption = False,
) -> None:
    """Search PubMed (E-utilities, history server) and write the records as MEDLINE (.nbib)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from evisynth.services import search as services

    key = api_key or os.environ.get("NCBI_API_KEY") or None
    term, mindate, maxdate = services.pubmed_query(query, strategy, mindate=mindate, maxdate=maxdate)
    show = not json_output and sys.stderr.isatty()
    if show:
        with Progress(TextColumn("fetching"), BarColumn(), MofNCompleteColumn(),
                      console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("", total=None)
            result = services.search_pubmed(
                term, out, api_key=key, email=email, max_records=max_records, mindate=mindate,
                maxdate=maxdate, progress=lambda done, total: bar.update(task, completed=done, total=total))
    else:
        result = services.search_pubmed(term, out, api_key=key, email=email, max_records=max_records,
                                         mindate=mindate, maxdate=maxdate)
    if json_output:
        print_json({"out": str(out), **result.to_dict()})
    else:
        Console().print(f"PubMed found {result.count} records; wrote {result.fetched} to {out}")


@app.command()
def ctgov(
    out: OutOption,
    cond: Annotated[str, typer.Option("--cond", help="Condition query (query.cond).", metavar="TEXT")] = "",
    intr: Annotated[str, typer.Option(
        "--intr", help="Intervention query (query.intr).", metavar="TEXT")] = "",
    term: Annotated[str, typer.Option("--term", help="Other terms (query.term).", metavar="TEXT")] = "",
    strategy: StrategyOption = None,
    max_records: MaxOption = None,
    json_output: JsonOption = False,
) -> None:
    """Search ClinicalTrials.gov (API v2) and write the studies as JSON."""
    from rich.console import Console

    from evisynth.services import search as services

    params = services.ctgov_query({"query.cond": cond, "query.intr": intr, "query.term": term}, strategy)
    result = services.search_ctgov(params, out, max_records=max_records)
    if json_output:
        print_json({"out": str(out), **result.to_dict()})
    else:
        Console().print(f"ClinicalTrials.gov found {result.total if result.total is not None else '?'} "
                      f"studies; wrote {result.fetched} to {out}")
