"""EndNote tagged text ("refer" style, ``.enw``/``.txt``): ``%0 Journal Article``, ``%A`` …

The layout EndNote's own "EndNote Import" filter reads, and what CNKI, Wanfang, VIP and
Google Scholar export as "EndNote": each line is ``%`` + a one-character tag + a space +
the value; ``%0`` (the reference type) opens an entry; blank lines separate entries; lines
without a tag continue the previous field. Tags (EndNote's generic field table): ``%A``
author (one per line), ``%T`` title, ``%J`` journal (``%B`` secondary title), ``%D`` year,
``%V`` volume, ``%N`` issue, ``%P`` pages, ``%R`` DOI, ``%M`` accession number, ``%X``
abstract, ``%K`` keywords (one per line, or ``;``-separated as CNKI writes them), ``%G``
language, ``%W`` database provider, ``%+`` author address, ``%@`` ISSN.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from evisynth.io.records._base import RawEntry, TaggedLayout, iter_tagged_entries
from evisynth.review.normalize import is_cjk, make_record, split_authors
from evisynth.review.records import Record

FORMAT = "endnote"
_LAYOUT = TaggedLayout(
    tag=re.compile(r"^%(\S) ?(.*)$"), opener="0", title="T", prefix="%",
    line_kind="an EndNote tagged line", entries_kind="EndNote",
    fix="each field must be '%X value' and each entry start with '%0 Type'; re-export as EndNote",
)


def looks_like(text: str) -> bool:
    head = text.removeprefix("\ufeff")[:5000]
    return re.search(r"^%0 \S", head, re.MULTILINE) is not None and re.search(
        r"^%[ATDJ] ", head, re.MULTILINE) is not None


def parse(text: str, *, path: str) -> list[RawEntry]:
    return list(iter_entries(text, path=path))


def iter_entries(text: str, *, path: str) -> Iterator[RawEntry]:
    """Raw entries one by one as they are read (the file's entries are never all held)."""
    return iter_tagged_entries(text, path, _LAYOUT)


def _authors(values: list[str]) -> list[str]:
    names: list[str] = []
    for value in values:
        parts = split_authors(value, ";；") if any(c in value for c in ";；") else [value.strip()]
        for part in parts:
            if any(is_cjk(c) for c in part):
                names.extend(split_authors(part, ",，、"))
            elif part:
                names.append(part)
    return names


def clean(entry: RawEntry) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {
        "title": entry.values("T"),
        "authors": _authors(entry.values("A")),
        "year": entry.values("D", "8"),
        "journal": entry.values("J", "B"),
        "volume": entry.values("V"),
        "issue": entry.values("N"),
        "pages": entry.values("P"),
        "doi": entry.values("R"),
        "pmid": [v for v in entry.values("M") if v.strip().isdigit()],
        "abstract": entry.values("X"),
        "keywords": entry.values("K"),
        "language": entry.values("G"),
        "record_type": entry.values("0"),
    }
    return {k: v for k, v in out.items() if v}


def convert(entries: Iterable[RawEntry], *, path: str, database: str = "") -> tuple[Record, ...]:
    return tuple(
        make_record(clean(e), source_file=path, entry=i, format=FORMAT, original=e.text,
                    database=database or next(iter(e.values("W", "~")), ""), line=e.line)
        for i, e in enumerate(entries, start=1)
    )


def read(text: str, *, path: str, database: str = "") -> tuple[Record, ...]:
    return convert(iter_entries(text, path=path), path=path, database=database)
