"""Records from an Excel workbook (``.xlsx``/``.xlsm``): the first sheet, one header row.

Read: openpyxl in read-only mode (rows are streamed, formulas give their cached values);
every cell becomes text (integers without ``.0``, dates as ISO dates). Clean and convert:
:func:`.tables.convert`, with the same default headers and ``columns`` mapping as CSV.
An entry's ``line`` is its row number in the sheet; its original text is the row's cells
joined by tabs.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping

from evisynth.io.errors import ImportFormatError
from evisynth.io.records import tables
from evisynth.io.records._base import MAX_ENTRIES, RawEntry, fail
from evisynth.review.records import RawField, Record

FORMAT = "xlsx"
_FIX = "save it again from Excel as .xlsx with one header row, or export the sheet as UTF-8 CSV"
#: The ZIP signature every .xlsx file starts with.
MAGIC = b"PK\x03\x04"


def looks_like(raw: bytes) -> bool:
    return raw.startswith(MAGIC)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse(raw: bytes, *, path: str) -> tuple[list[str], list[RawEntry]]:
    """The header and one raw entry per non-empty row of the first sheet."""
    try:
        from openpyxl import load_workbook
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise fail(path, None, "reading Excel files needs openpyxl", "pip install openpyxl") from exc
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    # openpyxl reports a damaged or foreign file through many exception types (zipfile,
    # XML parser, KeyError for a missing part, its own InvalidFileException): any failure to
    # open an uploaded workbook is the user's file, not a bug.
    except Exception as exc:
        raise fail(path, None, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})",
                   _FIX) from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            raise fail(path, None, "the first sheet is empty", _FIX)
        headers = [_cell(h) for h in header_row]
        while headers and not headers[-1]:
            headers.pop()
        if not any(headers):
            raise fail(path, 1, "the first row holds no column names", _FIX)
        entries: list[RawEntry] = []
        for number, row in enumerate(rows, start=2):
            cells = [_cell(v) for v in row[: len(headers)]]
            if not any(cells):
                continue
            entry = RawEntry(line=number, text="\t".join(cells))
            entry.fields.extend(RawField(h, v, number) for h, v in zip(headers, cells, strict=False)
                                if h and v)
            entries.append(entry)
            if len(entries) > MAX_ENTRIES:
                raise fail(path, number, f"more than {MAX_ENTRIES} rows", "split the file")
    except ImportFormatError:
        raise
    except Exception as exc:  # a damaged sheet part, found while streaming its rows
        raise fail(path, None, f"the first sheet cannot be read ({type(exc).__name__}: {exc})",
                   _FIX) from exc
    finally:
        book.close()
    if not entries:
        raise fail(path, None, "the table has no rows", _FIX)
    return headers, entries


def read(raw: bytes, *, path: str, database: str = "",
         columns: Mapping[str, str] | None = None) -> tuple[Record, ...]:
    """Records of the workbook's first sheet."""
    headers, entries = parse(raw, path=path)
    return tables.convert(entries, headers, path=path, database=database, columns=columns,
                          format=FORMAT)
