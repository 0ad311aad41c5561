"""evisynth: evidence synthesis from records to a reproducible meta-analysis.

The public names are imported on first use (PEP 562), so that ``import evisynth`` — and with it
the ``evisynth`` command's start-up — does not pay for pandas and scipy until they are needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

#: Where each public name lives; imported by ``__getattr__`` when first asked for.
_LAZY = {
    "ConvergenceError": "evisynth.core.errors",
    "InputError": "evisynth.core.errors",
    "PoolResult": "evisynth.core.results",
    "fill_change_from_baseline": "evisynth.analysis",
    "fill_mean_sd": "evisynth.analysis",
    "pool": "evisynth.analysis",
    "pool_many": "evisynth.analysis",
    "read_rm5": "evisynth.io.rm5",
}

if TYPE_CHECKING:
    from evisynth.analysis import fill_change_from_baseline, fill_mean_sd, pool, pool_many
    from evisynth.core.errors import ConvergenceError, InputError
    from evisynth.core.results import PoolResult
    from evisynth.io.rm5 import read_rm5


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evisynth' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
