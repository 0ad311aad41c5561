"""Operations that the CLI and the web layer call: no parsing, no rendering."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evisynth.core.results import PoolResult


def pool_file(path: Path, **options: Any) -> PoolResult:
    """Pool the study table at ``path`` (CSV, TSV or XLSX) with ``evisynth.pool`` options."""
    # Imported here: ``evisynth.services.<area>`` modules (claims, screening …) must not pay for
    # pandas and scipy through this package's ``__init__``.
    from evisynth.analysis import pool

    return pool(path, **options)
