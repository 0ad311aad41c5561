"""CNKI (中国知网), Wanfang and VIP "NoteExpress" export: ``{Field}: value`` lines, the colon
half- or full-width (``：``).

Read: ``{Reference Type}`` opens an entry, a line starting with ``{`` a field; other non-blank
lines continue the field (addresses broken over lines, even across blank lines). Clean:
authors split on ``;;``, ``;``, ``；`` and, for Chinese names, ``,``/``，``; keywords on
``;``/``；``; ``(#br)`` paragraph marks become line breaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from evisynth.io.records._base import EntryCollector, RawEntry, fail, iter_lines
from evisynth.review.normalize import is_cjk, make_record, split_authors
from evisynth.review.records import RawField, Record

FORMAT = "cnki"
_FIELD = re.compile(r"^\{([^{}\n]{1,60})\}\s*[:：]\s*(.*)$")
_FIX = "each field must be '{Name}: value' and entries separated by a blank line; re-export from CNKI"


def looks_like(text: str) -> bool:
    return re.search(r"^\ufeff?\{Reference Type\}\s*[:：]", text[:5000], re.MULTILINE) is not None


def parse(text: str, *, path: str) -> list[RawEntry]:
    return list(iter_entries(text, path=path))


def iter_entries(text: str, *, path: str) -> Iterator[RawEntry]:
    """Raw entries one by one as they are read (the file's entries are never all held)."""
    text = text.removeprefix("\ufeff")
    collector = EntryCollector(text, path, sep="\n", strip_text=True)
    number = 0
    for number, offset, raw_line in iter_lines(text):
        line = raw_line.replace("\r", "")
        if not line.strip():
            continue
        match = _FIELD.match(line)
        current = collector.current
        if match:
            tag = match.group(1).strip()
            if current is None or tag == "Reference Type":
                current = collector.start(number, offset)
                yield from _checked(collector.take(), path)
            current.fields.append(RawField(tag, match.group(2).strip(), number))
        elif current is not None and current.fields:
            current.continue_last(line.strip())
        else:
            raise fail(path, number, f"not a '{{Field}}: value' line: {line[:40]!r}", _FIX)
    collector.close(number, len(text))
    yield from _checked(collector.take(), path)
    if not collector.count:
        raise fail(path, None, "no CNKI entries found", _FIX)


def _checked(entries: list[RawEntry], path: str) -> list[RawEntry]:
    for entry in entries:
        if not entry.values("Title"):
            raise fail(path, entry.line, "entry has no {Title} (the file may be truncated)", _FIX)
    return entries


def _authors(values: list[str]) -> list[str]:
    names: list[str] = []
    for value in values:
        for part in split_authors(value, ";；"):
            if any(is_cjk(c) for c in part):
                names.extend(split_authors(part, ",，、"))
            else:
                names.append(part)
    return names


def clean(entry: RawEntry) -> dict[str, list[str]]:
    def text(*tags: str) -> list[str]:
        return [v.replace("(#br)", "\n") for v in entry.values(*tags)]

    out: dict[str, list[str]] = {
        "title": text("Title"),
        "authors": _authors(entry.values("Author")),
        "year": entry.values("Year", "Date"),
        "journal": entry.values("Journal", "Secondary Title"),
        "volume": entry.values("Volume"),
        "issue": entry.values("Issue"),
        "pages": entry.values("Pages"),
        "doi": entry.values("DOI"),
        "abstract": text("Abstract"),
        "keywords": entry.values("Keywords"),
        "language": entry.values("Language"),
        "record_type": entry.values("Reference Type"),
    }
    return {k: v for k, v in out.items() if v}


def convert(entries: Iterable[RawEntry], *, path: str, database: str = "") -> tuple[Record, ...]:
    return tuple(
        make_record(clean(e), source_file=path, entry=i, format=FORMAT, original=e.text,
                    database=database or "CNKI", line=e.line)
        for i, e in enumerate(entries, start=1)
    )


def read(text: str, *, path: str, database: str = "") -> tuple[Record, ...]:
    return convert(iter_entries(text, path=path), path=path, database=database)
