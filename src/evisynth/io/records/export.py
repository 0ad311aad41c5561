"""Write records as RIS or CSV text (the caller decides where the text goes).

The RIS written here reads back through :mod:`evisynth.io.records.ris` to the same
normalized fields: the journal goes to ``T2``, pages to ``SP``/``EP``, the PMID to ``AN``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from evisynth.review.records import FIELDS, Record

_RIS_TYPES = {
    "article": "JOUR", "book": "BOOK", "chapter": "CHAP", "conference": "CONF", "thesis": "THES",
    "report": "RPRT", "preprint": "UNPB", "other": "GEN",
}


def _line(tag: str, value: str) -> str:
    return f"{tag}  - {' '.join(value.split())}"


def to_ris(records: Iterable[Record]) -> str:
    """RIS text, CRLF-free, one ``TY``…``ER`` block per record, blank line between blocks."""
    blocks: list[str] = []
    for record in records:
        lines = [_line("TY", _RIS_TYPES.get(record.record_type, "GEN"))]
        if record.title:
            lines.append(_line("TI", record.title))
        lines.extend(_line("AU", author) for author in record.authors)
        if record.year is not None:
            lines.append(_line("PY", str(record.year)))
        for tag, value in (("T2", record.journal), ("VL", record.volume), ("IS", record.issue)):
            if value:
                lines.append(_line(tag, value))
        if record.pages:
            start, dash, end = record.pages.partition("-")
            lines.append(_line("SP", start))
            if dash and end:
                lines.append(_line("EP", end))
        for tag, value in (("DO", record.doi), ("AN", record.pmid), ("AB", record.abstract),
                           ("LA", record.language)):
            if value:
                lines.append(_line(tag, value))
        lines.extend(_line("KW", keyword) for keyword in record.keywords)
        if record.database:
            lines.append(_line("DB", record.database))
        lines.append("ER  - ")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def to_csv(records: Iterable[Record]) -> str:
    """CSV text with the provenance columns and the normalized fields; lists joined by ``"; "``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["source_file", "entry", "database", "format", *FIELDS]
    writer.writerow(header)
    for record in records:
        row: list[str] = [record.source_file, str(record.entry), record.database, record.format]
        for name in FIELDS:
            value = getattr(record, name)
            if isinstance(value, tuple):
                row.append("; ".join(value))
            else:
                row.append("" if value is None else str(value))
        writer.writerow(row)
    return buffer.getvalue()
