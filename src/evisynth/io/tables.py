"""Read a study table (CSV, TSV or Excel) into a DataFrame, with errors that name the file."""

from __future__ import annotations

import csv
import re
from io import StringIO
from pathlib import Path

import pandas as pd

from evisynth.io.errors import ImportFormatError

_ENCODINGS = ("utf-8-sig", "gb18030")
_DELIMITERS = (",", ";", "\t")
#: Kept as written (never read as numbers or NA): "NA", "None", "1e3" and "001" are names.
TEXT_COLUMNS = ("study",)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+(?:[eE][+-]?\d+)?")
_DECIMAL_POINT = re.compile(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?")


def sniff_delimiter(text: str, default: str) -> str:
    """The delimiter of the header line: whichever of comma, semicolon and tab splits it
    into the most fields (quotes respected); ``default`` when none splits it."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: len(next(csv.reader([header], delimiter=d))) for d in _DELIMITERS}
    best = max(counts.values())
    if best <= 1:
        return default
    return default if counts.get(default) == best else max(counts, key=lambda d: counts[d])


def _decimal(text: str, sep: str) -> str:
    """',' for semicolon files whose numbers all use a decimal comma (e.g. "0,52"), else '.'.

    Only unambiguous files switch: some field is a decimal-comma number and none is a
    decimal-point one, so a file that mixes both is read as is and its cells are reported.
    """
    if sep != ";":
        return "."
    fields = [f.strip().strip('"') for row in csv.reader(StringIO(text), delimiter=";")
              for f in row]
    comma = any(_DECIMAL_COMMA.fullmatch(f) for f in fields)
    point = any(_DECIMAL_POINT.fullmatch(f) for f in fields)
    return "," if comma and not point else "."


def read_table(path: Path) -> pd.DataFrame:
    """The table at ``path``: ``.csv``, ``.tsv``/``.txt`` (delimiter sniffed), ``.xlsx``.

    Text is decoded as UTF-8 (with or without BOM), then GB18030; anything else must be
    converted first. The delimiter is the one among comma, semicolon and tab that splits the
    header line into the most fields; semicolon files with decimal commas are read as such.
    Column names are stripped of surrounding spaces; the ``study`` column is text as written.
    """
    if not path.exists():
        raise ImportFormatError(f"{path}: no such file; check the path")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xls"):
        try:
            frame = pd.read_excel(path)
            text_columns = _text_columns(frame)
            if text_columns:
                as_text = pd.read_excel(path, usecols=text_columns, dtype=str,
                                        keep_default_na=False)
        except ImportError as exc:
            raise ImportFormatError(
                f"{path}: reading Excel files needs openpyxl; pip install openpyxl, "
                "or save the sheet as CSV"
            ) from exc
    else:
        raw = path.read_bytes()
        text = None
        for encoding in _ENCODINGS:
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        if text is None:
            raise ImportFormatError(
                f"{path}: the file is neither UTF-8 nor GB18030 text; save it as UTF-8 CSV"
            )
        sep = sniff_delimiter(text, "\t" if suffix in (".tsv", ".txt") else ",")
        try:
            frame = pd.read_csv(StringIO(text), sep=sep, decimal=_decimal(text, sep))
            text_columns = _text_columns(frame)
            if text_columns:
                as_text = pd.read_csv(StringIO(text), sep=sep, usecols=text_columns, dtype=str,
                                      keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ImportFormatError(
                f"{path}: not a readable table ({exc}); check the delimiter"
            ) from exc
    for column in text_columns:
        frame[column] = as_text[column].to_numpy()
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _text_columns(frame: pd.DataFrame) -> list[str]:
    """The columns (as read, before stripping) that are kept as text: a second, text-only read."""
    return [c for c in frame.columns if str(c).strip() in TEXT_COLUMNS]
