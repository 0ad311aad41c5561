"""Shared pieces of the record readers: raw entries, errors that name file and line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from evisynth.io.errors import ImportFormatError
from evisynth.review.records import RawField

#: Readers refuse files whose entry count passes this (a guard against runaway input).
MAX_ENTRIES = 1_000_000


@dataclass
class RawEntry:
    """One entry as read: tag/value pairs in file order, the 1-based line it starts on
    (``None`` where the format has no lines), and its original text."""

    line: int | None
    text: str = ""
    fields: list[RawField] = field(default_factory=list)
    _more: dict[int, list[str]] = field(default_factory=dict, repr=False)

    def continue_last(self, text: str) -> None:
        """Add a continuation line to the last field (joined by :meth:`finish`, so that long
        runs of continuation lines cost linear, not quadratic, time)."""
        self._more.setdefault(len(self.fields) - 1, []).append(text)

    def finish(self, sep: str) -> RawEntry:
        """Join continuation lines onto their fields with ``sep``."""
        for index, parts in self._more.items():
            first = self.fields[index]
            value = sep.join(p for p in (first.value, *parts) if p)
            self.fields[index] = RawField(first.tag, value, first.line)
        self._more.clear()
        return self

    def values(self, *tags: str) -> list[str]:
        """Values under ``tags``: all of the first tag's, then the next tag's, and so on."""
        return [f.value for tag in tags for f in self.fields if f.tag == tag]


class EntryCollector:
    """Entries of a line-based export: ``start`` one at a line, add to ``current``, ``close`` it.

    Closing keeps the entry's original lines as its text — one slice of the decoded file,
    with CR-LF line ends made LF (``strip_text`` trims it) — joins continuation lines with
    ``sep``, and refuses files with more than MAX_ENTRIES entries. Closed entries wait in
    ``entries`` until the reader takes them (:meth:`take`), so that a reader can hand them
    on one by one instead of keeping the whole file's entries.
    """

    def __init__(self, text: str, path: str, *, sep: str, strip_text: bool = False) -> None:
        self.text, self.path, self.sep, self.strip_text = text, path, sep, strip_text
        self.entries: list[RawEntry] = []
        self.count = 0
        self.current: RawEntry | None = None
        self._offset = 0

    def start(self, number: int, offset: int) -> RawEntry:
        """Open an entry at line ``number``, which starts at ``offset`` in the text."""
        self.close(number - 1, offset - 1)
        self.current = RawEntry(line=number)
        self._offset = offset
        return self.current

    def close(self, end: int, end_offset: int) -> None:
        """Close the open entry: its last line is ``end``, its text ends before ``end_offset``."""
        if self.current is None:
            return
        text = original(self.text, self._offset, end_offset)
        self.current.text = text.strip() if self.strip_text else text
        self.entries.append(self.current.finish(self.sep))
        self.count += 1
        if self.count > MAX_ENTRIES:
            raise fail(self.path, end, f"more than {MAX_ENTRIES} entries", "split the file")
        self.current = None

    def take(self) -> list[RawEntry]:
        """The entries closed since the last call."""
        taken, self.entries = self.entries, []
        return taken


def original(text: str, start: int, end: int) -> str:
    """``text[start:end]`` with line ends as :func:`iter_lines` reads them (a CR before LF,
    and one at the very end, dropped)."""
    chunk = text[start:max(end, start)]
    if "\r" in chunk:
        chunk = chunk.replace("\r\n", "\n").removesuffix("\r")
    return chunk


def fail(path: str, line: int | None, problem: str, fix: str) -> ImportFormatError:
    """The error readers raise: ``"<file>, line <n>: <problem>; <fix>"``."""
    where = f"{path}, line {line}" if line else path
    return ImportFormatError(f"{where}: {problem}; {fix}")


def split_lines(text: str) -> list[str]:
    """Lines split on LF only (bare CRs inside fields stay; a CR before LF is dropped)."""
    return [line for _, _, line in iter_lines(text)]


def iter_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """``(number, offset, line)`` for each line of ``text``, as :func:`split_lines` splits
    them, without holding a list of every line (a 200 MB export has millions)."""
    pos, number = 0, 0
    find = text.find
    while True:
        number += 1
        end = find("\n", pos)
        if end < 0:
            yield number, pos, text[pos:].removesuffix("\r")
            return
        yield number, pos, text[pos:end].removesuffix("\r")
        pos = end + 1


@dataclass(frozen=True)
class TaggedLayout:
    """A "tag value" line format whose entries open with one tag and have no end tag
    (EndNote tagged ``%0``, RefWorks ``RT``); ``prefix`` is how tags are written in messages."""

    tag: re.Pattern[str]
    opener: str
    title: str
    prefix: str
    line_kind: str
    entries_kind: str
    fix: str
    upper_tags: bool = False


def iter_tagged_entries(text: str, path: str, layout: TaggedLayout) -> Iterator[RawEntry]:
    """Raw entries one by one as they are read (the file's entries are never all held); each
    must have a title, and a file without any entry is refused."""
    text = text.removeprefix("\ufeff")
    collector = EntryCollector(text, path, sep=" ", strip_text=True)
    number = 0
    for number, offset, line in iter_lines(text):
        if not line.strip():
            continue
        match = layout.tag.match(line)
        current = collector.current
        if match:
            tag = match.group(1).upper() if layout.upper_tags else match.group(1)
            if tag == layout.opener:
                current = collector.start(number, offset)
                yield from _titled(collector.take(), path, layout)
            elif current is None:
                raise fail(path, number, f"field {layout.prefix}{tag} before the first "
                           f"'{layout.prefix}{layout.opener}' line", layout.fix)
            current.fields.append(RawField(tag, match.group(2).strip(), number))
        elif current is not None and current.fields:
            current.continue_last(line.strip())
        else:
            raise fail(path, number, f"not {layout.line_kind}: {line[:40]!r}", layout.fix)
    collector.close(number, len(text))
    yield from _titled(collector.take(), path, layout)
    if not collector.count:
        raise fail(path, None, f"no {layout.entries_kind} entries ('{layout.prefix}{layout.opener} "
                   "Type' lines) found", layout.fix)


def _titled(entries: list[RawEntry], path: str, layout: TaggedLayout) -> list[RawEntry]:
    for entry in entries:
        if not entry.values(layout.title):
            raise fail(path, entry.line, f"entry has no {layout.prefix}{layout.title} title "
                       "(the file may be truncated)", layout.fix)
    return entries
