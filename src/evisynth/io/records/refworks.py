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

from evisynth.io.records._base import RawEntry, TaggedLayout, iter_tagged_entries
from evisynth.io.records.endnote_tagged import _authors
from evisynth.review.normalize import make_record
from evisynth.review.records import Record

FORMAT = "refworks"
_LAYOUT = TaggedLayout(
    tag=re.compile(r"^([A-Za-z][A-Za-z0-9]) (.*)$"), opener="RT", title="T1", prefix="",
    line_kind="a RefWorks line", entries_kind="RefWorks",
    fix="each field must be 'TG value' and each entry start with 'RT Type'; re-export as RefWorks",
    upper_tags=True,
)


def looks_like(text: str) -> bool:
    head = text.removeprefix("\ufeff")[:5000]
    return re.match(r"\s*RT \S", head) is not None and re.search(r"^(T1|A1) ", head, re.MULTILINE) is not None


def parse(text: str, *, path: str) -> list[RawEntry]:
    return list(iter_entries(text, path=path))


def iter_entries(text: str, *, path: str) -> Iterator[RawEntry]:
    """Raw entries one by one as they are read (the file's entries are never all held)."""
    return iter_tagged_entries(text, path, _LAYOUT)


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
