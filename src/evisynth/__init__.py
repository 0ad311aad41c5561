"""evisynth: evidence synthesis from records to a reproducible meta-analysis."""

from evisynth.analysis import fill_change_from_baseline, fill_mean_sd, pool, pool_many
from evisynth.core.errors import ConvergenceError, InputError
from evisynth.core.results import PoolResult
from evisynth.io.rm5 import read_rm5

__version__ = "0.1.0"

__all__ = [
    "ConvergenceError",
    "InputError",
    "PoolResult",
    "__version__",
    "fill_change_from_baseline",
    "fill_mean_sd",
    "pool",
    "pool_many",
    "read_rm5",
]
