"""Bibliographic record importers, one module per export format.

:func:`read_records` is the entry point: it reads the file's bytes (the upload itself is
never changed), decodes them explicitly (:mod:`.encoding`), picks the reader from the
``format`` argument, the file extension or the content, and returns every record or raises
:class:`~evisynth.io.errors.ImportFormatError` — never a partial import.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from evisynth.core.results import Serializable
from evisynth.io.errors import ImportFormatError
from evisynth.io.records import (
    bibtex,
    cnki,
    ctgov,
    endnote_tagged,
    endnote_xml,
    medline,
    pubmed_xml,
    refworks,
    ris,
    tables,
    wos,
    xlsx,
)
from evisynth.io.records._base import RawEntry
from evisynth.io.records.encoding import decode
from evisynth.review.records import Record

__all__ = ["FORMATS", "RecordFile", "detect_format", "read_file", "read_records"]

Reader = Callable[..., tuple[Record, ...]]

#: Format name → reader; ``csv``/``tsv`` are :mod:`.tables` with their delimiter.
FORMATS: dict[str, Reader] = {
    "ris": ris.read,
    "medline": medline.read,
    "pubmed_xml": pubmed_xml.read,
    "bibtex": bibtex.read,
    "endnote_xml": endnote_xml.read,
    "wos": wos.read,
    "cnki": cnki.read,
    "endnote": endnote_tagged.read,
    "refworks": refworks.read,
    "ctgov_json": ctgov.read,
    "csv": tables.read,
    "tsv": tables.read,
    "xlsx": xlsx.read,
}
#: Formats whose end is marked by their syntax, not by a final line break.
_UNLINED = ("pubmed_xml", "endnote_xml", "bibtex", "ctgov_json", "xlsx")
#: Line-based formats whose entries stream from the text (``iter_entries``/``convert``), so
#: that a caller can follow a big file entry by entry.
_STREAMED = {"ris": ris, "medline": medline, "wos": wos, "cnki": cnki, "endnote": endnote_tagged,
             "refworks": refworks}
#: How many entries pass between two calls of a reader's ``on_entries`` callback.
PROGRESS_EVERY = 500
#: Formats read as tables, where a column mapping applies.
TABLE_FORMATS = ("csv", "tsv", "xlsx")

_EXTENSIONS = {
    ".ris": "ris", ".nbib": "medline", ".medline": "medline", ".bib": "bibtex", ".bibtex": "bibtex",
    ".net": "cnki", ".csv": "csv", ".tsv": "tsv", ".enw": "ris", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".json": "ctgov_json",
}
#: Content sniffers, most specific first (a WoS file is not RIS; a CNKI file is not BibTeX).
_SNIFFERS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("ctgov_json", ctgov.looks_like),
    ("pubmed_xml", pubmed_xml.looks_like),
    ("endnote_xml", endnote_xml.looks_like),
    ("wos", wos.looks_like),
    ("cnki", cnki.looks_like),
    ("endnote", endnote_tagged.looks_like),
    ("refworks", refworks.looks_like),
    ("ris", ris.looks_like),
    ("medline", medline.looks_like),
    ("bibtex", bibtex.looks_like),
)
#: Decompressed ``.gz`` uploads larger than this are refused (a guard against gzip bombs).
MAX_BYTES = 512 * 1024 * 1024
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")


def detect_format(text: str, *, suffix: str = "") -> str:
    """The format name for ``text``: content first (exports often carry a ``.txt`` name),
    then the extension; raises ImportFormatError when neither tells."""
    for name, looks_like in _SNIFFERS:
        if looks_like(text):
            return name
    by_extension = _EXTENSIONS.get(suffix.lower())
    if by_extension:
        return by_extension
    raise ImportFormatError(
        f"cannot tell the format of this {suffix or 'file'}; pass --format with one of {', '.join(FORMATS)}"
    )


def _gunzip(raw: bytes, path: str) -> bytes:
    try:
        out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, MAX_BYTES + 1)
    except zlib.error as exc:
        raise ImportFormatError(
            f"{path}: not a valid gzip file ({exc}); unpack it and import the file inside"
        ) from exc
    if len(out) > MAX_BYTES:
        raise ImportFormatError(f"{path}: unpacks to more than {MAX_BYTES} bytes; split the file")
    return out


@dataclass(frozen=True)
class RecordFile(Serializable):
    """One export as read: its records, the format and encoding it was read with, its size."""

    path: str
    format: str
    encoding: str
    size: int
    records: tuple[Record, ...]
    #: SHA-256 of the file's bytes as uploaded: which upload the records came from.
    sha256: str = ""
    #: False when a line-based export stops in the middle of a line (no final line break):
    #: formats without an end tag (MEDLINE, RefWorks, CNKI) cannot tell a cut-off last
    #: entry otherwise, so the importer warns.
    ends_with_newline: bool = True

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "format": self.format, "encoding": self.encoding,
                "size": self.size, "sha256": self.sha256, "records": len(self.records),
                "ends_with_newline": self.ends_with_newline}


def read_records(
    path: str | Path,
    *,
    format: str | None = None,
    encoding: str | None = None,
    source: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> tuple[Record, ...]:
    """Every record in the export at ``path``.

    ``format`` is one of :data:`FORMATS` (default: sniffed from the content, then the
    extension); ``encoding`` forces a codec (default: BOM, UTF-8, then GB18030 for Chinese
    text); ``source`` names the database the file came from (default: what the file says,
    e.g. ``DB  - Embase``); ``columns`` maps canonical field names to table headers (CSV,
    TSV and XLSX only).
    """
    return read_file(path, format=format, encoding=encoding, source=source, columns=columns).records


def read_file(
    path: str | Path,
    *,
    format: str | None = None,
    encoding: str | None = None,
    source: str | None = None,
    columns: Mapping[str, str] | None = None,
    on_entries: Callable[[int], None] | None = None,
) -> RecordFile:
    """Like :func:`read_records`, with the format and encoding used (see :class:`RecordFile`).

    ``on_entries`` is called with the number of entries read so far, every
    :data:`PROGRESS_EVERY` entries, while a line-based export (RIS, MEDLINE, WoS, CNKI,
    EndNote tagged, RefWorks) is read; other formats do not call it.
    """
    file = Path(path)
    name = str(file)
    if not file.is_file():
        raise ImportFormatError(f"{name}: no such file; check the path")
    if format is not None and format not in FORMATS:
        raise ImportFormatError(f"{name}: unknown format {format!r}; use one of {', '.join(FORMATS)}")
    raw = file.read_bytes()
    size = len(raw)
    digest = hashlib.sha256(raw).hexdigest()
    suffixes = [s.lower() for s in file.suffixes]
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw, name)
        suffixes = suffixes[:-1] if suffixes and suffixes[-1] == ".gz" else suffixes
    suffix = suffixes[-1] if suffixes else ""
    if columns is not None and format is not None and format not in TABLE_FORMATS:
        raise ImportFormatError(f"{name}: a column mapping applies to CSV/TSV/XLSX only, not {format}")
    if format == "xlsx" or (format is None and xlsx.looks_like(raw) and suffix in ("", ".xlsx", ".xlsm")):
        return RecordFile(name, "xlsx", "", size,
                          xlsx.read(raw, path=name, database=source or "", columns=columns), digest)
    if encoding is None:
        declared = _XML_ENCODING.match(raw[:200])
        if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
            encoding = declared.group(1).decode("ascii")
    text, used = decode(raw, path=name, encoding=encoding)
    del raw  # the decoded text is all the readers need; a 200 MB upload is not kept twice
    if format is None:
        try:
            format = detect_format(text, suffix=suffix)
        except ImportFormatError as exc:
            raise ImportFormatError(f"{name}: {exc}") from exc
    if columns is not None and format not in TABLE_FORMATS:
        raise ImportFormatError(f"{name}: a column mapping applies to CSV/TSV/XLSX only, not {format}")
    ends = text.endswith(("\n", "\r")) or format in _UNLINED
    if format in ("csv", "tsv"):
        return RecordFile(name, format, used, size, tables.read(
            text, path=name, database=source or "", sep="," if format == "csv" else "\t",
            columns=columns), digest, ends)
    try:
        module = _STREAMED.get(format)
        if module is not None and on_entries is not None:
            records = module.convert(_counted(module.iter_entries(text, path=name), on_entries),
                                     path=name, database=source or "")
        else:
            records = FORMATS[format](text, path=name, database=source or "")
        return RecordFile(name, format, used, size, records, digest, ends)
    except RecursionError as exc:  # deeply nested XML
        raise ImportFormatError(
            f"{name}: nested too deeply to read; check that it is a {format} export"
        ) from exc


def _counted(entries: Iterable[RawEntry], on_entries: Callable[[int], None]) -> Iterator[RawEntry]:
    count = 0
    for count, entry in enumerate(entries, start=1):
        if count % PROGRESS_EVERY == 0:
            on_entries(count)
        yield entry
    on_entries(count)
