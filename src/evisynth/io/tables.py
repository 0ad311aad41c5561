"""Read a study table (CSV, TSV or Excel) into a DataFrame, with errors that name the file."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pandas as pd

from evisynth.io.errors import ImportFormatError

_ENCODINGS = ("utf-8-sig", "gb18030")


def read_table(path: Path) -> pd.DataFrame:
    """The table at ``path``: ``.csv`` (comma), ``.tsv``/``.txt`` (tab), ``.xlsx``.

    Text is decoded as UTF-8 (with or without BOM), then GB18030; anything else must be
    converted first. Column names are stripped of surrounding spaces.
    """
    if not path.exists():
        raise ImportFormatError(f"{path}: no such file; check the path")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xls"):
        try:
            frame = pd.read_excel(path)
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
        sep = "\t" if suffix in (".tsv", ".txt") else ","
        try:
            frame = pd.read_csv(StringIO(text), sep=sep)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ImportFormatError(
                f"{path}: not a readable table ({exc}); check the delimiter"
            ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame
