"""Helpers shared by the DataFrame-facing modules."""

from __future__ import annotations

import pandas as pd


def row_label(frame: pd.DataFrame, position: int) -> str:
    """'row 7, study "Kurnatowska 2015"' for error messages (rows counted from 1)."""
    study = frame["study"].iloc[position] if "study" in frame.columns else None
    where = f"row {position + 1}"
    if study is None or (not isinstance(study, str) and pd.isna(study)) or str(study) == "":
        return where
    return f'{where}, study "{study}"'
