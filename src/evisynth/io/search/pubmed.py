"""PubMed through NCBI's E-utilities: ESearch on the history server, then EFetch in batches.

``esearch.fcgi?db=pubmed&term=…&usehistory=y&retmax=0`` returns the hit count, a ``WebEnv``
and a ``QueryKey``; ``efetch.fcgi?db=pubmed&WebEnv=…&query_key=…&retstart=…&retmax=…&
rettype=medline&retmode=text`` then returns the records in MEDLINE (``.nbib``) format,
``batch_size`` at a time (NCBI serves at most 10 000 records of a search this way).

NCBI allows 3 requests per second without an API key and 10 with one
(https://www.ncbi.nlm.nih.gov/books/NBK25497/); the client stays under these, and sends
``tool`` and ``email`` as NCBI asks.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from evisynth.core.results import Serializable
from evisynth.io.search._http import Client, SearchError, Transport

EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
#: History-server searches can be fetched up to this many records (NCBI's limit).
MAX_HISTORY_RECORDS = 10_000
_PMID_LINE = re.compile(r"^PMID- ", re.MULTILINE)


@dataclass(frozen=True)
class SearchHit(Serializable):
    """What ESearch said: hit count, the history-server handle, and PubMed's translation."""

    query: str
    count: int
    webenv: str
    query_key: str
    translation: str = ""


@dataclass(frozen=True)
class PubMedDownload(Serializable):
    """A finished download: how many records the search found and how many were fetched."""

    query: str
    count: int
    fetched: int
    batches: int
    requests: int
    translation: str = ""


def parse_esearch(text: str) -> SearchHit:
    """Count, WebEnv and QueryKey from an ESearch XML answer; NCBI's ``<ERROR>`` becomes a
    SearchError with its message."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise SearchError(f"PubMed's search answer is not XML ({exc}); try again later") from exc
    error = root.findtext("ERROR") or root.findtext("ErrorList/PhraseNotFound")
    if root.tag != "eSearchResult" or (error and root.findtext("Count") is None):
        raise SearchError(f"PubMed refused the search: {error or root.tag}; check the query syntax")
    count = root.findtext("Count") or "0"
    return SearchHit(query="", count=int(count), webenv=root.findtext("WebEnv") or "",
                     query_key=root.findtext("QueryKey") or "",
                     translation=root.findtext("QueryTranslation") or "")


class PubMed(Client):
    """E-utilities client; ``api_key`` raises the rate limit from 3 to 10 requests a second."""

    service = "PubMed (eutils.ncbi.nlm.nih.gov)"

    def __init__(self, *, api_key: str | None = None, email: str | None = None, tool: str = "evisynth",
                 batch_size: int = 200, base_url: str = EUTILS, transport: Transport | None = None,
                 retries: int = 4, backoff: float = 1.0, clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        if not 1 <= batch_size <= MAX_HISTORY_RECORDS:
            raise SearchError(f"batch size must be 1..{MAX_HISTORY_RECORDS} (got {batch_size})")
        super().__init__(transport=transport, per_second=10.0 if api_key else 3.0, retries=retries,
                         backoff=backoff, clock=clock, sleep=sleep)
        self.api_key, self.email, self.tool = api_key, email, tool
        self.batch_size, self.base_url = batch_size, base_url

    def _params(self, **params: str) -> dict[str, str]:
        out = {"db": "pubmed", **params, "tool": self.tool}
        if self.email:
            out["email"] = self.email
        if self.api_key:
            out["api_key"] = self.api_key
        return out

    def search(self, term: str, *, mindate: str = "", maxdate: str = "") -> SearchHit:
        """Run ESearch with ``usehistory=y``; dates (``YYYY[/MM[/DD]]``) limit the publication date."""
        if not term.strip():
            raise SearchError("the PubMed query is empty; give a search term")
        params = self._params(term=term, usehistory="y", retmax="0")
        if mindate or maxdate:
            params.update(datetype="pdat", mindate=mindate or "1000", maxdate=maxdate or "3000")
        # POST: a full strategy easily passes the length a URL may have.
        response = self.request(self.base_url + "esearch.fcgi", params, method="POST")
        hit = parse_esearch(response.text())
        if hit.count and not (hit.webenv and hit.query_key):
            raise SearchError("PubMed gave no history-server handle (WebEnv/QueryKey); try again later")
        return SearchHit(term, hit.count, hit.webenv, hit.query_key, hit.translation)

    def fetch(self, hit: SearchHit, *, max_records: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> Iterator[str]:
        """MEDLINE text, one batch per item, for the first ``max_records`` hits (default all).

        Raises SearchError when the search found more than NCBI serves from the history
        server (10 000) and ``max_records`` does not cap it, or when a batch is not MEDLINE.
        """
        total = hit.count if max_records is None else min(hit.count, max_records)
        if total > MAX_HISTORY_RECORDS:
            raise SearchError(f"the search found {hit.count} records; NCBI serves at most "
                              f"{MAX_HISTORY_RECORDS} per search: split it (e.g. by date), or "
                              "pass --max")
        done = 0
        for start in range(0, total, self.batch_size):
            size = min(self.batch_size, total - start)
            response = self.request(self.base_url + "efetch.fcgi", self._params(
                WebEnv=hit.webenv, query_key=hit.query_key, retstart=str(start), retmax=str(size),
                rettype="medline", retmode="text"))
            text = response.text()
            got = len(_PMID_LINE.findall(text))
            if got == 0:
                detail = " ".join(text.split())[:200]
                raise SearchError(f"PubMed returned no MEDLINE records for records {start + 1}–"
                                  f"{start + size} ({detail or 'empty answer'}); the history "
                                  "session may have expired: run the search again")
            done += got
            if progress is not None:
                progress(done, total)
            yield text.strip("\n") + "\n"

    def download(self, term: str, write: Callable[[str], object], *, max_records: int | None = None,
                 mindate: str = "", maxdate: str = "",
                 progress: Callable[[int, int], None] | None = None) -> PubMedDownload:
        """Search and fetch, passing each MEDLINE batch to ``write`` (blank line between batches)."""
        hit = self.search(term, mindate=mindate, maxdate=maxdate)
        fetched = batches = 0
        for text in self.fetch(hit, max_records=max_records, progress=progress):
            write(("\n" if batches else "") + text)
            batches += 1
            fetched += len(_PMID_LINE.findall(text))
        return PubMedDownload(term, hit.count, fetched, batches, self.requests, hit.translation)
