"""EndNote XML (``<xml><records><record>…``) from EndNote, Mendeley and Zotero.

Read: each ``<record>`` becomes tag/value pairs (paths such as ``titles/title``; values are
all the text inside, since EndNote wraps them in ``<style>``). Clean: ``accession-num`` is a
PMID only when it is a plain PubMed-sized number. Convert: ``make_record``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from evisynth.io.records._base import MAX_ENTRIES, RawEntry, fail
from evisynth.io.records._xml import original, parse_xml, text_of
from evisynth.review.normalize import make_record
from evisynth.review.records import RawField, Record

FORMAT = "endnote_xml"
_FIX = "export again from EndNote/Mendeley/Zotero as 'EndNote XML'"
_PATHS = (
    "titles/title", "titles/secondary-title", "periodical/full-title", "periodical/abbr-1",
    "secondary-title", "pages", "volume", "issue", "number", "dates/year", "dates/pub-dates/date",
    "electronic-resource-num", "accession-num", "abstract", "language", "remote-database-name",
)


def looks_like(text: str) -> bool:
    head = text[:5000]
    return "<records>" in head and "<record>" in head


def _record(element: ET.Element) -> RawEntry:
    entry = RawEntry(line=None, text=original(element))
    ref_type = element.find("ref-type")
    if ref_type is not None:
        entry.fields.append(RawField("ref-type", ref_type.get("name") or text_of(ref_type)))
    for author in element.iterfind("contributors/authors/author"):
        entry.fields.append(RawField("author", text_of(author)))
    for keyword in element.iterfind("keywords/keyword"):
        entry.fields.append(RawField("keyword", text_of(keyword)))
    for path in _PATHS:
        for found in element.iterfind(path):
            entry.fields.append(RawField(path, text_of(found)))
    return entry


def parse(text: str, *, path: str) -> list[RawEntry]:
    root = parse_xml(text, path=path, fix=_FIX)
    records = root.findall("records/record") if root.tag != "records" else root.findall("record")
    if root.tag == "record":
        records = [root]
    if not records:
        raise fail(path, None, "no <record> elements found", _FIX)
    if len(records) > MAX_ENTRIES:
        raise fail(path, None, f"more than {MAX_ENTRIES} records", "split the file")
    return [_record(r) for r in records]


def clean(entry: RawEntry) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {
        "title": entry.values("titles/title"),
        "authors": entry.values("author"),
        "year": entry.values("dates/year", "dates/pub-dates/date"),
        "journal": entry.values("periodical/full-title", "titles/secondary-title", "secondary-title",
                                "periodical/abbr-1"),
        "volume": entry.values("volume"),
        "issue": entry.values("issue", "number"),
        "pages": entry.values("pages"),
        "doi": entry.values("electronic-resource-num"),
        "pmid": [v for v in entry.values("accession-num") if re.fullmatch(r"\s*\d{1,8}\s*", v)],
        "abstract": entry.values("abstract"),
        "keywords": entry.values("keyword"),
        "language": entry.values("language"),
        "record_type": entry.values("ref-type"),
    }
    return {k: v for k, v in out.items() if v}


def convert(entries: list[RawEntry], *, path: str, database: str = "") -> tuple[Record, ...]:
    return tuple(
        make_record(clean(e), source_file=path, entry=i, format=FORMAT, original=e.text,
                    database=database or next(iter(e.values("remote-database-name")), ""), line=None)
        for i, e in enumerate(entries, start=1)
    )


def read(text: str, *, path: str, database: str = "") -> tuple[Record, ...]:
    return convert(parse(text, path=path), path=path, database=database)
