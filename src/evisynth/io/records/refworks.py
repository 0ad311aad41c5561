"""RefWorks tagged text, as CNKI, Wanfang and VIP export it ("RefWorks" format).

Each line is a two-character tag, a space and the value; ``RT`` (the reference type) opens an
entry; entries are separated by blank lines and have no end tag. Tags: ``A1`` authors
(``;``-separated), ``T1`` title, ``JF`` journal, ``YR`` year, ``VO`` (CNKI writes ``vo``)
volume, ``IS`` issue, ``OP`` pages, ``SP``/``EP`` start and end page, ``DO`` DOI, ``AB``
abstract, ``K1`` keywords (``;``-separated), ``LA`` language, ``DS`` database, ``AD`` address,
``SN`` ISSN, ``CN`` the Chinese serial number, ``LK`` link, ``SR`` "source" (1 = print).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from evisynth.io.records._base import EntryCollector, RawEntry, fail, iter_lines
from evisynth.io.records.endnote_tagged import _authors
from evisynth.review.normalize import make_record
from evisynth.review.records import RawField, Record

FORMAT = "refworks"
_TAG = re.compile(r"^([A-Za-z][A-Za-z0-9]) (.*)$")
_FIX = "each field must be 'TG value' and each entry start with 'RT Type'; re-export as RefWorks"


def looks_like(text: str) -> bool:
    head = text.removeprefix("\ufeff")[:5000]
    return re.match(r"\s*RT \S", head) is not None and re.search(r"^(T1|A1) ", head, re.MULTILINE) is not None


def parse(text: str, *, path: str) -> list[RawEntry]:
    return list(iter_entries(text, path=path))


def iter_entries(text: str, *, path: str) -> Iterator[RawEntry]:
    """Raw entries one by one as they are read (the file's entries are never all held)."""
    text = text.removeprefix("\ufeff")
    collector = EntryCollector(text, path, sep=" ", strip_text=True)
    number = 0
    for number, offset, line in iter_lines(text):
        if not line.strip():
            continue
        match = _TAG.match(line)
        current = collector.current
        if match:
            tag = match.group(1).upper()
            if tag == "RT":
                current = collector.start(number, offset)
                yield from _checked(collector.take(), path)
            elif current is None:
                raise fail(path, number, f"field {tag} before the first 'RT' line", _FIX)
            current.fields.append(RawField(tag, match.group(2).strip(), number))
        elif current is not None and current.fields:
            current.continue_last(line.strip())
        else:
            raise fail(path, number, f"not a RefWorks line: {line[:40]!r}", _FIX)
    collector.close(number, len(text))
    yield from _checked(collector.take(), path)
    if not collector.count:
        raise fail(path, None, "no RefWorks entries ('RT Type' lines) found", _FIX)


def _checked(entries: list[RawEntry], path: str) -> list[RawEntry]:
    for entry in entries:
        if not entry.values("T1"):
            raise fail(path, entry.line, "entry has no T1 title (the file may be truncated)", _FIX)
    return entries


def clean(entry: RawEntry) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {
        "title": entry.values("T1"),
        "authors": _authors(entry.values("A1")),
        "year": entry.values("YR", "FD"),
        "journal": entry.values("JF", "JO"),
        "volume": entry.values("VO"),
        "issue": entry.values("IS"),
        "pages": entry.values("OP"),
        "start_page": entry.values("SP"),
        "end_page": entry.values("EP"),
        "doi": entry.values("DO"),
        "abstract": entry.values("AB"),
        "keywords": entry.values("K1"),
        "language": [v.rstrip(";；") for v in entry.values("LA")],
        "record_type": entry.values("RT"),
    }
    return {k: v for k, v in out.items() if v}


def convert(entries: Iterable[RawEntry], *, path: str, database: str = "") -> tuple[Record, ...]:
    return tuple(
        make_record(clean(e), source_file=path, entry=i, format=FORMAT, original=e.text,
                    database=database or next(iter(e.values("DS")), ""), line=e.line)
        for i, e in enumerate(entries, start=1)
    )


def read(text: str, *, path: str, database: str = "") -> tuple[Record, ...]:
    return convert(iter_entries(text, path=path), path=path, database=database)
