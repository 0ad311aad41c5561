"""Records from a CSV/TSV export (Embase, Scopus, Zotero, Covidence, a hand-made sheet);
XLSX sheets are read by :mod:`.xlsx` and converted here.

Read: the table with pandas (every cell as text). Clean: columns map to canonical keys
through ``columns`` (canonical key → column name) or, when not given, the usual headers of
the big databases (:data:`DEFAULT_COLUMNS`); author cells are split on ``;`` (or ``,`` for
"Last F., Last F." lists as Embase writes them). Convert: ``make_record``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping

import pandas as pd

from evisynth.io.records._base import MAX_ENTRIES, RawEntry, fail
from evisynth.io.records.bibtex import split_names
from evisynth.review.normalize import KEYS, make_record, split_authors
from evisynth.review.records import RawField, Record

FORMAT = "table"
_FIX = "save the sheet as UTF-8 CSV with one header row, or pass the column mapping"

#: Canonical key → accepted headers (compared case-insensitively), first match wins.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title", "article title", "document title", "ti"),
    "authors": ("authors", "author", "author names", "author full names", "au"),
    "year": ("year", "publication year", "py", "date", "publication date"),
    "journal": ("journal", "source title", "source", "publication title", "journal/book", "so"),
    "volume": ("volume", "vl"),
    "issue": ("issue", "number", "is"),
    "pages": ("pages", "page range"),
    "start_page": ("page start", "start page", "bp"),
    "end_page": ("page end", "end page", "ep"),
    "doi": ("doi", "di"),
    "pmid": ("pmid", "pubmed id", "medline pmid", "pm"),
    "abstract": ("abstract", "ab"),
    "keywords": ("keywords", "author keywords", "index keywords", "manual tags", "de"),
    "language": ("language", "language of original document", "la"),
    "record_type": ("type", "document type", "item type", "publication type", "dt"),
}
_SOURCE_YEAR = re.compile(r"\((\d{4})\)\s*(\d+)?(?::(\w+))?\s*(?:\(([^)]*)\))?")


def _resolve(headers: list[str], columns: Mapping[str, str] | None, path: str) -> dict[str, str]:
    if columns is not None:
        unknown = set(columns) - set(KEYS)
        if unknown:
            raise fail(path, None, f"unknown field(s) {sorted(unknown)} in the column mapping",
                       f"use field names from {', '.join(KEYS)}")
        missing = [c for c in columns.values() if c not in headers]
        if missing:
            raise fail(path, 1, f"column(s) {', '.join(repr(c) for c in missing)} not in the header",
                       f"the header has {', '.join(repr(h) for h in headers)}")
        return dict(columns)
    lowered = {h.strip().lower(): h for h in headers}
    found: dict[str, str] = {}
    for key, names in DEFAULT_COLUMNS.items():
        for name in names:
            if name in lowered and lowered[name] not in found.values():
                found[key] = lowered[name]
                break
    if "title" not in found:
        raise fail(path, 1, "no title column found", _FIX)
    return found


def parse(text: str, *, path: str, sep: str = ",") -> list[RawEntry]:
    """Raw entries, one per row; fields are the row's non-empty cells under their header."""
    try:
        frame = pd.read_csv(io.StringIO(text.removeprefix("\ufeff")), sep=sep, dtype=str,
                            keep_default_na=False, engine="python", quoting=csv.QUOTE_MINIMAL)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as exc:
        raise fail(path, None, f"not a readable table ({exc})", _FIX) from exc
    if frame.empty or len(frame.columns) < 1:
        raise fail(path, None, "the table has no rows", _FIX)
    if len(frame) > MAX_ENTRIES:
        raise fail(path, None, f"more than {MAX_ENTRIES} rows", "split the file")
    headers = [str(c) for c in frame.columns]
    entries = []
    for row in frame.itertuples(index=False):
        cells = [str(v) for v in row]
        entry = RawEntry(line=None, text=sep.join(cells))
        entry.fields.extend(RawField(h, v, 0) for h, v in zip(headers, cells, strict=True) if v.strip())
        entries.append(entry)
    return entries


_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def _authors(value: str) -> list[str]:
    if ";" in value:
        return split_authors(value, ";")
    # BibTeX style ("Zuber, J and Le Quintrec, M and others", bib-dedupe's CSVs): every name
    # but "others" written "Surname, Initials"
    names = [n for n in split_names(value) if n.lower() != "others"] if _AND.search(value) else []
    if len(names) > 1 and all("," in n for n in names):
        return names
    parts = split_authors(value, ",")
    if len(parts) > 1 and all(re.search(r"\s[A-Z](?:\.|\b)", p) for p in parts):
        return parts  # "Liu R., Adler D.G." (Embase): commas separate people
    return [value]


def clean(entry: RawEntry, mapping: Mapping[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, column in mapping.items():
        values = entry.values(column)
        if key == "authors":
            values = [a for v in values for a in _authors(v)]
        if values:
            out[key] = values
    if "journal" in out and "year" not in out:
        # Embase "Source": "Endoscopic Ultrasound (2014) 3:3 (152-160). Date of Publication: 2014"
        source = out["journal"][0]
        match = _SOURCE_YEAR.search(source)
        if match:
            out["journal"] = [source[: match.start()].strip()]
            out["year"] = [match.group(1)]
            parsed = {"volume": match.group(2), "issue": match.group(3), "pages": match.group(4)}
            for key, value in parsed.items():
                if value and key not in out:
                    out[key] = [value]
    return out


def read(text: str, *, path: str, database: str = "", sep: str = ",",
         columns: Mapping[str, str] | None = None) -> tuple[Record, ...]:
    """Records of a CSV (``sep=","``) or TSV (``sep="\\t"``) text."""
    entries = parse(text, path=path, sep=sep)
    return convert(entries, _header(text, sep), path=path, database=database, columns=columns)


def convert(entries: list[RawEntry], headers: list[str], *, path: str, database: str = "",
            columns: Mapping[str, str] | None = None, format: str = FORMAT) -> tuple[Record, ...]:
    """Records from raw table rows under ``headers`` (shared by CSV/TSV and XLSX)."""
    mapping = _resolve(headers, columns, path)
    return tuple(
        make_record(clean(e, mapping), source_file=path, entry=i, format=format, original=e.text,
                    database=database, line=e.line)
        for i, e in enumerate(entries, start=1)
    )


def _header(text: str, sep: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=sep), [])
    return [h.strip() for h in first]
