"""RIS (``TY  - `` … ``ER  - ``) from Lens, Zotero, EndNote, Embase, Ovid, ProQuest, Scopus,
Web of Science, Rayyan and Mendeley.

Read: lines between ``TY`` and ``ER`` become tag/value pairs; untagged lines continue the
previous value (Scopus reference lists, Rayyan keywords); lines outside entries (Ovid's
numbering and links, provider headers) are skipped. Clean: tags map to canonical keys.
Convert: :func:`evisynth.review.normalize.make_record`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from evisynth.io.records._base import MAX_ENTRIES, RawEntry, fail, iter_lines, original
from evisynth.review.normalize import make_record, normalize_pmid
from evisynth.review.records import RawField, Record

FORMAT = "ris"
_TAG = re.compile(r"^([A-Z][A-Z0-9])  ?-(?: (.*)|)$")
_FIX = "each entry must start with 'TY  - ' and end with 'ER  - '; re-export the file as RIS"

#: Canonical key → RIS tags, most specific first.
TAGS: dict[str, tuple[str, ...]] = {
    "title": ("TI", "T1", "CT"),
    "authors": ("AU", "A1"),
    "year": ("PY", "Y1", "DA", "Y2"),
    "journal": ("JF", "T2", "JO", "JA", "J2", "BT", "T3"),
    "volume": ("VL",),
    "issue": ("IS", "CP"),
    "start_page": ("SP",),
    "end_page": ("EP",),
    "doi": ("DO", "DI", "M3", "UR", "L3"),
    "pmid": ("AN", "C2", "PM"),
    "abstract": ("AB", "N2"),
    "keywords": ("KW",),
    "language": ("LA",),
    "record_type": ("TY",),
}


def looks_like(text: str) -> bool:
    return re.search(r"^\ufeff?TY  ?- ", text[:20000], re.MULTILINE) is not None


def parse(text: str, *, path: str) -> list[RawEntry]:
    return list(iter_entries(text, path=path))


def iter_entries(text: str, *, path: str) -> Iterator[RawEntry]:
    """Raw entries of a RIS text one by one as they are read (the file's entries are never
    all held); raises ImportFormatError for an entry without ``ER``."""
    text = text.removeprefix("\ufeff")
    count = 0
    current: RawEntry | None = None
    start = start_offset = 0
    for number, offset, line in iter_lines(text):
        match = _TAG.match(line)
        if current is None:
            if match and match.group(1) == "TY":
                current = RawEntry(line=number)
                start, start_offset = number, offset
                current.fields.append(RawField("TY", (match.group(2) or "").strip(), number))
            continue
        if match:
            tag, value = match.group(1), (match.group(2) or "").strip()
            if tag == "TY":
                raise fail(path, start, "entry has no 'ER  - ' end tag before the next 'TY'", _FIX)
            if tag == "ER":
                current.text = original(text, start_offset, offset + len(line))
                count += 1
                if count > MAX_ENTRIES:
                    raise fail(path, number, f"more than {MAX_ENTRIES} entries", "split the file")
                yield current.finish("\n")
                current = None
                continue
            current.fields.append(RawField(tag, value.replace("\r", "\n"), number))
        elif line.strip():
            if not current.fields:
                raise fail(path, number, "text before the first tag of an entry", _FIX)
            current.continue_last(line.strip().replace("\r", "\n"))
    if current is not None:
        raise fail(path, start, "entry has no 'ER  - ' end tag (the file may be truncated)", _FIX)
    if not count:
        raise fail(path, None, "no RIS entries found", _FIX)


def clean(entry: RawEntry) -> dict[str, list[str]]:
    """Canonical key → raw values of one entry."""
    out: dict[str, list[str]] = {}
    for key, tags in TAGS.items():
        values = [v for tag in tags for v in entry.values(tag)]
        if key == "pmid":
            values = [v for v in values if normalize_pmid(v)]
        if key == "doi":
            values = [v for v in values if "10." in v]
        if values:
            out[key] = values
    return out


def database_of(entry: RawEntry) -> str:
    """The database the entry says it came from (``DB``/``DP`` tags, or tell-tale ids)."""
    for value in entry.values("DB", "DP"):
        if value.strip():
            return value.strip()
    an = " ".join(entry.values("AN", "UR", "L2"))
    for needle, name in (("rayyan-", "Rayyan"), ("WOS:", "Web of Science"), ("scopus.com", "Scopus"),
                         ("lens.org", "Lens"), ("ovid", "Ovid"), ("proquest", "ProQuest")):
        if needle.lower() in an.lower():
            return name
    return ""


def convert(entries: Iterable[RawEntry], *, path: str, database: str = "") -> tuple[Record, ...]:
    return tuple(
        make_record(clean(e), source_file=path, entry=i, format=FORMAT, original=e.text,
                    database=database or database_of(e), line=e.line)
        for i, e in enumerate(entries, start=1)
    )


def read(text: str, *, path: str, database: str = "") -> tuple[Record, ...]:
    """Records of a RIS text (read, clean, convert).

    Entries are converted as they are read; when the last ``TY`` comes after the last ``ER``
    (a cut-off file), the text is first read without converting, so that its error comes
    without the cost of converting every entry before the cut.
    """
    if _cut_off(text):
        for _ in iter_entries(text, path=path):
            pass
    return convert(iter_entries(text, path=path), path=path, database=database)


def _cut_off(text: str) -> bool:
    last_ty = max(text.rfind("\nTY  -"), text.rfind("\nTY -"), 0 if text.startswith("TY ") else -1)
    last_er = max(text.rfind("\nER  -"), text.rfind("\nER -"))
    return last_ty > last_er
