"""Web of Science plain text ("tagged") export: ``FN``/``VR`` header, ``PT`` … ``ER`` entries,
``EF`` at the end.

Read: two-letter tags at the line start, three-space-indented lines continue the field (for
``AU``/``AF``/``CR`` each continuation is a further value). Clean: ``AF`` (full names) is
preferred to ``AU``; ``DE`` and ``ID`` are the keywords; ``BP``/``EP`` the pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from evisynth.io.records._base import MAX_ENTRIES, RawEntry, fail, iter_lines, original
from evisynth.review.normalize import make_record
from evisynth.review.records import RawField, Record

FORMAT = "wos"
_TAG = re.compile(r"^([A-Z][A-Z0-9]|\ufeff?FN)(?: (.*)|)$")
_MULTI = {"AU", "AF", "CR", "BA", "BF", "CA", "ED"}
_FIX = "entries run from 'PT' to 'ER'; re-export from Web of Science as 'Plain text file'"


def looks_like(text: str) -> bool:
    head = text.removeprefix("\ufeff")[:2000]
    return head.startswith("FN ") or re.search(r"^VR \d", head, re.MULTILINE) is not None


def parse(text: str, *, path: str) -> list[RawEntry]:
    return list(iter_entries(text, path=path))


def iter_entries(text: str, *, path: str) -> Iterator[RawEntry]:
    """Raw entries one by one as they are read (the file's entries are never all held)."""
    text = text.removeprefix("\ufeff")
    count = 0
    current: RawEntry | None = None
    start = start_offset = 0
    for number, offset, line in iter_lines(text):
        if not line.strip():
            continue
        if line.startswith("   ") and current is not None and current.fields:
            last = current.fields[-1]
            if last.tag in _MULTI:
                current.fields.append(RawField(last.tag, line.strip(), number))
            else:
                current.continue_last(line.strip())
            continue
        match = _TAG.match(line)
        if not match:
            raise fail(path, number, f"not a Web of Science line: {line[:40]!r}", _FIX)
        tag, value = match.group(1), (match.group(2) or "").strip()
        if current is None:
            if tag == "PT":
                current = RawEntry(line=number)
                start, start_offset = number, offset
                current.fields.append(RawField(tag, value, number))
            elif tag in ("FN", "VR", "EF"):
                continue
            else:
                raise fail(path, number, f"tag {tag!r} outside an entry", _FIX)
        elif tag == "ER":
            current.text = original(text, start_offset, offset + len(line))
            count += 1
            if count > MAX_ENTRIES:
                raise fail(path, number, f"more than {MAX_ENTRIES} entries", "split the file")
            yield current.finish(" ")
            current = None
        elif tag in ("PT", "EF"):
            raise fail(path, start, "entry has no 'ER' end tag", _FIX)
        else:
            current.fields.append(RawField(tag, value, number))
    if current is not None:
        raise fail(path, start, "entry has no 'ER' end tag (the file may be truncated)", _FIX)
    if not count:
        raise fail(path, None, "no Web of Science entries found", _FIX)


def clean(entry: RawEntry) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {
        "title": entry.values("TI"),
        "authors": entry.values("AF") or entry.values("AU"),
        "year": entry.values("PY", "PD", "EA"),
        "journal": entry.values("SO", "SE"),
        "volume": entry.values("VL"),
        "issue": entry.values("IS"),
        "start_page": entry.values("BP", "AR"),
        "end_page": entry.values("EP"),
        "doi": entry.values("DI", "D2"),
        "pmid": entry.values("PM"),
        "abstract": entry.values("AB"),
        "keywords": entry.values("DE", "ID"),
        "language": entry.values("LA"),
        "record_type": entry.values("DT", "PT"),
    }
    return {k: v for k, v in out.items() if v}


def convert(entries: Iterable[RawEntry], *, path: str, database: str = "") -> tuple[Record, ...]:
    return tuple(
        make_record(clean(e), source_file=path, entry=i, format=FORMAT, original=e.text,
                    database=database or "Web of Science", line=e.line)
        for i, e in enumerate(entries, start=1)
    )


def read(text: str, *, path: str, database: str = "") -> tuple[Record, ...]:
    return convert(iter_entries(text, path=path), path=path, database=database)
