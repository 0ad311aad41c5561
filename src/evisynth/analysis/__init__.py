"""The friendly layer over the numeric core: DataFrames and CSV paths in, results out."""

from evisynth.analysis.conversions import fill_change_from_baseline, fill_mean_sd
from evisynth.analysis.pooling import pool, pool_many

__all__ = ["fill_change_from_baseline", "fill_mean_sd", "pool", "pool_many"]
