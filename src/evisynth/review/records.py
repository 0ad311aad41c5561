"""Bibliographic records as the review sees them: one immutable object per imported entry.

A :class:`Record` keeps where it came from (file, entry number, line, database, format),
the entry's original text exactly as read, and the normalized fields that deduplication and
screening work on. Readers live in ``evisynth.io.records``; normalization rules in
``evisynth.review.normalize``.
"""

from __future__ import annotations

from dataclasses import dataclass

from evisynth.review.model import _Plain

#: Normalized fields, in the order exporters write them.
FIELDS: tuple[str, ...] = (
    "title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid",
    "abstract", "keywords", "language", "record_type",
)

#: Record types after normalization; anything unrecognised becomes ``"other"``.
RECORD_TYPES: tuple[str, ...] = (
    "article", "book", "chapter", "conference", "thesis", "report", "preprint", "other",
)


@dataclass(frozen=True)
class RawField:
    """One tag/value pair as a reader found it; ``line`` is 1-based (0 when unknown)."""

    tag: str
    value: str
    line: int = 0


@dataclass(frozen=True)
class Record(_Plain):
    """One imported bibliographic entry.

    ``entry`` counts from 1 within ``source_file``; ``line`` is where the entry starts
    (``None`` for formats without lines, such as XML). ``original`` is the entry's text as
    read, so the upload can always be shown as it was. ``year`` is ``None`` when the entry
    has no four-digit year; empty strings and tuples mean "not given".
    """

    source_file: str
    entry: int
    format: str
    original: str
    database: str = ""
    line: int | None = None
    title: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None
    journal: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    abstract: str = ""
    keywords: tuple[str, ...] = ()
    language: str = ""
    record_type: str = "other"

    def fields(self) -> dict[str, object]:
        """The normalized fields only (what a round trip through an exporter must keep)."""
        return {name: getattr(self, name) for name in FIELDS}
