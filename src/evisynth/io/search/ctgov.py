"""ClinicalTrials.gov API v2: ``GET /api/v2/studies`` with ``pageToken`` paging.

Each page is JSON ``{"studies": [...], "nextPageToken": "…", "totalCount": N}`` (the total only
with ``countTotal=true``, on the first page); the last page has no ``nextPageToken``. The
registry asks clients to stay near 50 requests a minute; the client keeps to that.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from evisynth.core.results import Serializable
from evisynth.io.search._http import Client, SearchError, Transport

CTGOV = "https://clinicaltrials.gov/api/v2/studies"
MAX_PAGE_SIZE = 1000
_QUERY_PARAMS = ("query.cond", "query.intr", "query.term", "query.titles", "query.outc",
                 "filter.advanced", "filter.overallStatus")


@dataclass(frozen=True)
class CtgovDownload(Serializable):
    params: dict[str, str]
    total: int | None
    fetched: int
    pages: int
    requests: int


class ClinicalTrialsGov(Client):
    """Study search on ClinicalTrials.gov; ``page_size`` studies per request (at most 1000)."""

    service = "ClinicalTrials.gov (clinicaltrials.gov/api/v2)"

    def __init__(self, *, page_size: int = 100, base_url: str = CTGOV, transport: Transport | None = None,
                 per_second: float = 50 / 60, retries: int = 4, backoff: float = 2.0,
                 clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise SearchError(f"page size must be 1..{MAX_PAGE_SIZE} (got {page_size})")
        super().__init__(transport=transport, per_second=per_second, retries=retries, backoff=backoff,
                         clock=clock, sleep=sleep)
        self.page_size, self.base_url = page_size, base_url
        self.total: int | None = None
        self.pages = 0

    def studies(self, query: Mapping[str, str], *,
                max_records: int | None = None) -> Iterator[dict[str, Any]]:
        """Every study matching ``query`` (``query.cond``/``query.intr``/``query.term``/…), in
        the registry's order, following ``nextPageToken`` until the last page."""
        unknown = sorted(set(query) - set(_QUERY_PARAMS))
        if unknown:
            raise SearchError(f"unknown ClinicalTrials.gov parameter {unknown[0]!r}; use "
                              f"{', '.join(_QUERY_PARAMS)}")
        if not any(v.strip() for v in query.values()):
            raise SearchError("the ClinicalTrials.gov query is empty; give a condition, intervention "
                              "or term")
        token: str | None = None
        seen_tokens: set[str] = set()
        yielded = 0
        while True:
            params = {**query, "format": "json", "pageSize": str(self.page_size)}
            if token is None:
                params["countTotal"] = "true"
            else:
                params["pageToken"] = token
            page = self._page(self.request(self.base_url, params).text())
            self.pages += 1
            if token is None and isinstance(page.get("totalCount"), int):
                self.total = page["totalCount"]
            for study in page.get("studies", []):
                if max_records is not None and yielded >= max_records:
                    return
                yielded += 1
                yield study
            next_token = page.get("nextPageToken")
            if not next_token or (max_records is not None and yielded >= max_records):
                return
            if next_token in seen_tokens:
                raise SearchError("ClinicalTrials.gov returned the same page token twice; stopping "
                                  "rather than looping (try again later)")
            seen_tokens.add(next_token)
            token = str(next_token)

    @staticmethod
    def _page(text: str) -> dict[str, Any]:
        try:
            page = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SearchError(f"ClinicalTrials.gov's answer is not JSON ({exc}); try again later") from exc
        if not isinstance(page, dict) or not isinstance(page.get("studies", []), list):
            raise SearchError("ClinicalTrials.gov's answer has no 'studies' list; the API may have "
                              "changed: report this")
        return page

    def download(self, query: Mapping[str, str], *, max_records: int | None = None) -> tuple[
            list[dict[str, Any]], CtgovDownload]:
        """All studies of ``query`` (up to ``max_records``) and a summary of the download."""
        studies = list(self.studies(query, max_records=max_records))
        return studies, CtgovDownload(dict(query), self.total, len(studies), self.pages, self.requests)
