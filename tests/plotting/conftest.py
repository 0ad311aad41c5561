"""Small tables pooled by evisynth.pool, shared by the plotting tests."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")


@pytest.fixture
def continuous() -> pd.DataFrame:
    return pd.DataFrame({
        "study": ["Adams 2001", "Baker 2005", "Chen 2010", "Dong 2012", "Evans 2018"],
        "m1": [10.2, 11.5, 9.8, 12.0, 10.9], "sd1": [2.1, 2.5, 1.9, 3.0, 2.2], "n1": [30, 45, 28, 60, 52],
        "m2": [11.0, 12.9, 10.1, 13.5, 11.2], "sd2": [2.0, 2.7, 2.2, 3.1, 2.4], "n2": [31, 44, 30, 58, 50],
    })


@pytest.fixture
def binary() -> pd.DataFrame:
    return pd.DataFrame({
        "study": ["Alpha 1999", "Beta 2003", "Gamma 2008", "Delta 2011", "Epsilon 2015", "Zeta 2020"],
        "e1": [12, 8, 20, 5, 30, 2], "n1": [100, 80, 150, 60, 200, 40],
        "e2": [20, 15, 28, 9, 41, 6], "n2": [100, 82, 148, 61, 198, 42],
        "grp": ["Adults", "Adults", "Children", "Children", "Children", "Children"],
    })


@pytest.fixture(autouse=True)
def _no_leaked_figures() -> Iterator[None]:
    # The plotting API never touches pyplot: nothing should be left open there.
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    yield
    assert plt.get_fignums() == before
