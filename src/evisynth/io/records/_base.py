"""Shared pieces of the record readers: raw entries, errors that name file and line."""

from __future__ import annotations

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

    Closing keeps the entry's original lines as its text (``strip_text`` trims them), joins
    continuation lines with ``sep``, and refuses files with more than MAX_ENTRIES entries.
    """

    def __init__(self, lines: list[str], path: str, *, sep: str, strip_text: bool = False) -> None:
        self.lines, self.path, self.sep, self.strip_text = lines, path, sep, strip_text
        self.entries: list[RawEntry] = []
        self.current: RawEntry | None = None
        self._start = 0

    def start(self, number: int) -> RawEntry:
        self.close(number - 1)
        self.current = RawEntry(line=number)
        self._start = number
        return self.current

    def close(self, end: int) -> None:
        if self.current is None:
            return
        text = "\n".join(self.lines[self._start - 1 : end])
        self.current.text = text.strip() if self.strip_text else text
        self.entries.append(self.current.finish(self.sep))
        if len(self.entries) > MAX_ENTRIES:
            raise fail(self.path, end, f"more than {MAX_ENTRIES} entries", "split the file")
        self.current = None


def fail(path: str, line: int | None, problem: str, fix: str) -> ImportFormatError:
    """The error readers raise: ``"<file>, line <n>: <problem>; <fix>"``."""
    where = f"{path}, line {line}" if line else path
    return ImportFormatError(f"{where}: {problem}; {fix}")


def split_lines(text: str) -> list[str]:
    """Lines split on LF only (bare CRs inside fields stay; a CR before LF is dropped)."""
    return [line.removesuffix("\r") for line in text.split("\n")]
