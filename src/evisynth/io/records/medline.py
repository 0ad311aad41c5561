"""PubMed MEDLINE text (``.nbib``, "MEDLINE" format, PMC MEDLARS).

Read: blank lines separate entries; ``TAG - value`` lines (tags of up to four characters,
padded) start a field, lines indented by spaces continue it. Clean: ``FAU`` (full names,
"Last, First") is preferred to ``AU`` ("Last FM"); ``LID``/``AID`` give the DOI when marked
``[doi]``. Convert: :func:`evisynth.review.normalize.make_record`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from evisynth.io.records._base import EntryCollector, RawEntry, fail, iter_lines
from evisynth.review.normalize import make_record
from evisynth.review.records import RawField, Record

FORMAT = "medline"
_TAG = re.compile(r"^([A-Z][A-Z0-9]{0,3}) {0,3}- ?(.*)$")
_FIX = "each line must be 'TAG - value' or an indented continuation; re-export from PubMed as MEDLINE"


def looks_like(text: str) -> bool:
    return re.search(r"^(PMID|PMC )- ", text[:20000], re.MULTILINE) is not None


def parse(text: str, *, path: str) -> list[RawEntry]:
    return list(iter_entries(text, path=path))


def iter_entries(text: str, *, path: str) -> Iterator[RawEntry]:
    """Raw entries one by one as they are read (the file's entries are never all held)."""
    text = text.removeprefix("\ufeff")
    collector = EntryCollector(text, path, sep=" ")
    number = 0
    for number, offset, line in iter_lines(text):
        if not line.strip():
            collector.close(number - 1, offset - 1)
            yield from _checked(collector.take(), path)
            continue
        match = _TAG.match(line)
        current = collector.current
        if match and not line.startswith(" "):
            if current is None:
                current = collector.start(number, offset)
            current.fields.append(RawField(match.group(1), match.group(2).strip(), number))
        elif line.startswith(" ") and current is not None and current.fields:
            current.continue_last(line.strip())
        else:
            raise fail(path, number, f"not a MEDLINE line: {line[:40]!r}", _FIX)
    collector.close(number, len(text))
    yield from _checked(collector.take(), path)
    if not collector.count:
        raise fail(path, None, "no MEDLINE entries found", _FIX)


def _checked(entries: list[RawEntry], path: str) -> list[RawEntry]:
    for entry in entries:
        if not entry.values("PMID", "PMC", "TI"):
            raise fail(path, entry.line, "entry has neither PMID nor TI (the file may be truncated)", _FIX)
    return entries


def clean(entry: RawEntry) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {
        "title": entry.values("TI", "BTI"),
        "authors": entry.values("FAU") or entry.values("AU"),
        "year": entry.values("DP", "DEP", "EDAT"),
        "journal": entry.values("JT", "TA"),
        "volume": entry.values("VI"),
        "issue": entry.values("IP"),
        "pages": entry.values("PG"),
        "doi": [v for v in entry.values("LID", "AID") if v.endswith("[doi]")],
        "pmid": entry.values("PMID"),
        "abstract": entry.values("AB"),
        "keywords": entry.values("OT") or entry.values("MH"),
        "language": entry.values("LA"),
        "record_type": sorted(entry.values("PT"), key=lambda t: t != "Journal Article"),
    }
    return {k: v for k, v in out.items() if v}


def convert(entries: Iterable[RawEntry], *, path: str, database: str = "") -> tuple[Record, ...]:
    return tuple(
        make_record(clean(e), source_file=path, entry=i, format=FORMAT, original=e.text,
                    database=database or "PubMed", line=e.line)
        for i, e in enumerate(entries, start=1)
    )


def read(text: str, *, path: str, database: str = "") -> tuple[Record, ...]:
    return convert(iter_entries(text, path=path), path=path, database=database)
