"""BibTeX (``@article{key, field = {value}, …}``) from Zotero, JabRef, Google Scholar, CNKI.

Read: a small scanner (no regex over the whole file, so unbalanced braces fail fast with a
line number): ``@type{key,`` then ``name = value`` pairs where a value is ``{…}`` (nested),
``"…"``, a number, or a ``@string`` macro, joined by ``#``. ``@comment``/``@preamble`` are
skipped. Clean: case-protecting braces and common LaTeX accents and escapes are removed;
``author`` is split on `` and `` outside braces. Convert: ``make_record``.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

from evisynth.io.records._base import MAX_ENTRIES, RawEntry, fail
from evisynth.review.normalize import make_record
from evisynth.review.records import RawField, Record

FORMAT = "bibtex"
_FIX = "check that every '{' is closed and fields are separated by commas"
_IDENT = re.compile(r"[A-Za-z0-9_:.+/'\-]+")
_MONTHS = {m: m for m in ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")}
_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
            ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328"}
_ESCAPES = {r"\&": "&", r"\%": "%", r"\$": "$", r"\#": "#", r"\_": "_", r"\{": "{", r"\}": "}",
            r"\ss": "ß", r"\o": "ø", r"\O": "Ø", r"\ae": "æ", r"\AE": "Æ", r"\aa": "å", r"\AA": "Å",
            r"\l": "ł", r"\L": "Ł", r"\i": "ı", "~": " ", "--": "-"}


def looks_like(text: str) -> bool:
    return re.search(r"^\s*@[A-Za-z]+\s*[{(]", text[:20000], re.MULTILINE) is not None


class _Scanner:
    def __init__(self, text: str, path: str) -> None:
        self.text, self.path, self.pos = text, path, 0
        self._breaks = [i for i, char in enumerate(text) if char == "\n"]

    def line(self, pos: int | None = None) -> int:
        return bisect.bisect_left(self._breaks, self.pos if pos is None else pos) + 1

    def error(self, problem: str, pos: int | None = None) -> Exception:
        return fail(self.path, self.line(pos), problem, _FIX)

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def ident(self) -> str:
        self.skip_ws()
        match = _IDENT.match(self.text, self.pos)
        if not match:
            raise self.error(f"expected a name, found {self.peek()!r}")
        self.pos = match.end()
        return match.group(0)

    def braced(self) -> str:
        start = self.pos  # at "{"
        depth = 0
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                self.pos += 2
                continue
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    self.pos += 1
                    return self.text[start + 1 : self.pos - 1]
            self.pos += 1
        raise self.error("unclosed '{' (the file may be truncated)", start)

    def quoted(self) -> str:
        start = self.pos  # at '"'
        self.pos += 1
        depth = 0
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                self.pos += 2
                continue
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            elif char == '"' and depth == 0:
                self.pos += 1
                return self.text[start + 1 : self.pos - 1]
            self.pos += 1
        raise self.error('unclosed \'"\' (the file may be truncated)', start)

    def value(self, macros: dict[str, str]) -> str:
        parts: list[str] = []
        while True:
            self.skip_ws()
            char = self.peek()
            if char == "{":
                parts.append(self.braced())
            elif char == '"':
                parts.append(self.quoted())
            elif char and (char.isalnum() or char == "_"):
                name = self.ident()
                key = name.lower()
                parts.append(name if name.isdigit() else macros.get(key, _MONTHS.get(key, name)))
            else:
                raise self.error(f"expected a value, found {char!r}" if char else "file ends inside an entry")
            self.skip_ws()
            if self.peek() != "#":
                return "".join(parts)
            self.pos += 1


def parse(text: str, *, path: str) -> list[RawEntry]:
    """Raw entries (the entry type as field ``ENTRYTYPE``, the key as ``ID``)."""
    text = text.removeprefix("\ufeff")
    scanner = _Scanner(text, path)
    macros: dict[str, str] = {}
    entries: list[RawEntry] = []
    while True:
        at = text.find("@", scanner.pos)
        if at < 0:
            break
        scanner.pos = at + 1
        start_line = scanner.line(at)
        kind = scanner.ident().lower()
        scanner.skip_ws()
        opener = scanner.peek()
        if opener not in "{(" or not opener:
            if kind == "comment" or (not entries and at > 0):
                continue
            raise scanner.error(f"'@{kind}' is not followed by '{{'")
        closer = "}" if opener == "{" else ")"
        if kind in ("comment", "preamble"):
            if opener == "{":
                scanner.braced()
            else:
                end = text.find(")", scanner.pos)
                scanner.pos = end + 1 if end >= 0 else len(text)
            continue
        scanner.pos += 1
        entry = RawEntry(line=start_line)
        entry.fields.append(RawField("ENTRYTYPE", kind, start_line))
        if kind != "string":
            scanner.skip_ws()
            key_end = min((i for i in (text.find(",", scanner.pos), text.find("\n", scanner.pos)) if i >= 0),
                          default=-1)
            if key_end < 0:
                raise scanner.error("entry has no key and no fields (the file may be truncated)")
            entry.fields.append(RawField("ID", text[scanner.pos : key_end].strip(), scanner.line()))
            scanner.pos = key_end
            scanner.skip_ws()
            if scanner.peek() == ",":
                scanner.pos += 1
        while True:
            scanner.skip_ws()
            char = scanner.peek()
            if char == closer:
                scanner.pos += 1
                break
            if not char:
                raise fail(path, start_line, "entry is not closed (the file may be truncated)", _FIX)
            field_line = scanner.line()
            name = scanner.ident().lower()
            scanner.skip_ws()
            if scanner.peek() != "=":
                raise scanner.error(f"expected '=' after field {name!r}")
            scanner.pos += 1
            value = scanner.value(macros)
            entry.fields.append(RawField(name, value, field_line))
            scanner.skip_ws()
            if scanner.peek() == ",":
                scanner.pos += 1
            elif not scanner.peek():
                raise fail(path, start_line, "entry is not closed (the file may be truncated)", _FIX)
            elif scanner.peek() != closer:
                raise scanner.error(f"expected ',' or '{closer}' after field {name!r}")
        if kind == "string":
            for f in entry.fields[1:]:
                macros[f.tag] = f.value
            continue
        entry.text = text[at : scanner.pos]
        entries.append(entry)
        if len(entries) > MAX_ENTRIES:
            raise fail(path, start_line, f"more than {MAX_ENTRIES} entries", "split the file")
    if not entries:
        raise fail(path, None, "no BibTeX entries found", "entries start with '@article{key,'")
    return entries


def _accent(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFC", match.group(2) + _ACCENTS[match.group(1)])


def latex_to_text(value: str) -> str:
    """Common LaTeX accents and escapes as Unicode; case-protecting braces removed."""
    out = re.sub(r"\\([`'^\"~=.]|[cvuHk](?![A-Za-z]))\s*\{?\\?([A-Za-z])\}?", _accent, value)
    for escape, plain in sorted(_ESCAPES.items(), key=lambda item: -len(item[0])):
        if escape.startswith("\\") and escape[1:].isalpha():
            out = re.sub(re.escape(escape) + r"(?![A-Za-z])\s?", plain, out)
        else:
            out = out.replace(escape, plain)
    out = re.sub(r"\\(?:textit|textbf|emph|textrm|mathrm|textsc)\s*", "", out)
    return out.replace("{", "").replace("}", "")


def split_names(value: str) -> list[str]:
    """``author`` split on `` and `` outside braces (``{Barnes and Noble}`` is one name)."""
    masked, depth = [], 0
    for char in value:
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        masked.append(char if depth == 0 or char in "{}" else "x")
    names, start = [], 0
    for match in re.finditer(r"\s+and\s+", "".join(masked), re.IGNORECASE):
        names.append(value[start : match.start()])
        start = match.end()
    names.append(value[start:])
    return [latex_to_text(n).strip() for n in names if n.strip()]


def clean(entry: RawEntry) -> dict[str, list[str]]:
    def text(*tags: str) -> list[str]:
        return [latex_to_text(v) for v in entry.values(*tags)]

    out: dict[str, list[str]] = {
        "title": text("title"),
        "authors": [n for v in entry.values("author") for n in split_names(v)],
        "year": entry.values("year", "date"),
        "journal": text("journal", "journaltitle", "booktitle", "secondarytitle"),
        "volume": entry.values("volume"),
        "issue": entry.values("number", "issue"),
        "pages": text("pages"),
        "doi": entry.values("doi"),
        "pmid": entry.values("pmid"),
        "abstract": text("abstract"),
        "keywords": [k for v in text("keywords") for k in re.split(r"[,;]\s*", v)],
        "language": entry.values("language", "langid"),
        "record_type": entry.values("ENTRYTYPE"),
    }
    return {k: v for k, v in out.items() if v}


def convert(entries: list[RawEntry], *, path: str, database: str = "") -> tuple[Record, ...]:
    return tuple(
        make_record(clean(e), source_file=path, entry=i, format=FORMAT, original=e.text,
                    database=database, line=e.line)
        for i, e in enumerate(entries, start=1)
    )


def read(text: str, *, path: str, database: str = "") -> tuple[Record, ...]:
    return convert(parse(text, path=path), path=path, database=database)
