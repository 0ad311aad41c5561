"""Operations that the CLI and the web layer call: no parsing, no rendering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evisynth.analysis import pool
from evisynth.core.results import PoolResult


def pool_file(path: Path, **options: Any) -> PoolResult:
    """Pool the study table at ``path`` (CSV, TSV or XLSX) with ``evisynth.pool`` options."""
    return pool(path, **options)
