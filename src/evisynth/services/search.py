"""Run a literature search and save what it finds as a file to import.

PubMed results are written as MEDLINE (``.nbib``) text, ClinicalTrials.gov results as the
API's JSON (``{"query": …, "totalCount": N, "studies": […]}``); both read back with
``evisynth import``. The file appears only when the whole download succeeded (it is written
beside the target and renamed), so a failed search never leaves half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from evisynth.core.errors import InputError
from evisynth.io.search import ClinicalTrialsGov, CtgovDownload, PubMed, PubMedDownload, Transport
from evisynth.io.search.strategy import read_strategy
from evisynth.review.search import ctgov_params, pubmed_term


def pubmed_query(query: str | None, strategy: Path | None, *, mindate: str = "",
                 maxdate: str = "") -> tuple[str, str, str]:
    """``(term, mindate, maxdate)`` from a query, or from a strategy file (whose dates apply
    unless given)."""
    if (query is None) == (strategy is None):
        raise InputError("give a PubMed query or --strategy FILE (one of them)")
    if strategy is None:
        return query or "", mindate, maxdate
    built = read_strategy(strategy)
    return pubmed_term(built), mindate or built.date_from, maxdate or built.date_to


def ctgov_query(query: Mapping[str, str], strategy: Path | None) -> dict[str, str]:
    """The CT.gov parameters given, or those of a strategy file (not both)."""
    given = {k: v for k, v in query.items() if v}
    if strategy is None:
        if not given:
            raise InputError("give --cond, --intr or --term, or --strategy FILE")
        return given
    if given:
        raise InputError("give either --strategy or --cond/--intr/--term, not both")
    return ctgov_params(read_strategy(strategy))


@contextmanager
def _atomic(out: Path) -> Iterator[IO[str]]:
    if not out.parent.is_dir():
        raise InputError(f"folder {out.parent} does not exist; create it first")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            yield f
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def search_pubmed(query: str, out: Path, *, api_key: str | None = None, email: str | None = None,
                  max_records: int | None = None, mindate: str = "", maxdate: str = "",
                  batch_size: int = 200, transport: Transport | None = None,
                  progress: Callable[[int, int], None] | None = None) -> PubMedDownload:
    """Search PubMed and write every hit (up to ``max_records``) to ``out`` as MEDLINE text."""
    if max_records is not None and max_records < 1:
        raise InputError(f"--max must be at least 1 (got {max_records})")
    client = PubMed(api_key=api_key or None, email=email, batch_size=batch_size, transport=transport)
    with _atomic(out) as f:
        return client.download(query, f.write, max_records=max_records, mindate=mindate,
                               maxdate=maxdate, progress=progress)


def search_ctgov(query: Mapping[str, str], out: Path, *, max_records: int | None = None,
                 page_size: int = 100, transport: Transport | None = None) -> CtgovDownload:
    """Search ClinicalTrials.gov and write the studies to ``out`` as JSON."""
    if max_records is not None and max_records < 1:
        raise InputError(f"--max must be at least 1 (got {max_records})")
    params = {k: v for k, v in query.items() if v}
    client = ClinicalTrialsGov(page_size=page_size, transport=transport)
    studies, summary = client.download(params, max_records=max_records)
    payload: dict[str, Any] = {"query": params, "totalCount": summary.total, "studies": studies}
    with _atomic(out) as f:
        json.dump(payload, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return summary
