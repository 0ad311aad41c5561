"""The friendly layer over the numeric core: DataFrames and CSV paths in, results out.

``fill_mean_sd`` and ``fill_change_from_baseline`` are imported on first use: their module needs
``scipy.stats``, which ``evisynth pool`` should not pay for at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evisynth.analysis.pooling import pool, pool_many

if TYPE_CHECKING:
    from evisynth.analysis.conversions import fill_change_from_baseline, fill_mean_sd

__all__ = ["fill_change_from_baseline", "fill_mean_sd", "pool", "pool_many"]


def __getattr__(name: str) -> Any:
    if name in ("fill_change_from_baseline", "fill_mean_sd"):
        from evisynth.analysis import conversions

        return getattr(conversions, name)
    raise AttributeError(f"module 'evisynth.analysis' has no attribute {name!r}")
