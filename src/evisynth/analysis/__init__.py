"""The friendly layer over the numeric core: DataFrames and CSV paths in, results out."""

from evisynth.analysis.pooling import pool, pool_many

__all__ = ["pool", "pool_many"]
