"""Time a 100-study forest plot (RR, with arm columns) rendered to PNG at 300 dpi.

Run by hand: ``.venv/bin/python bench/bench_forest.py``; results go in the README.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import evisynth
from evisynth.plotting import figure_to_bytes, forest_plot


def table(k: int = 100, seed: int = 20260101) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n1 = rng.integers(30, 400, k)
    n2 = rng.integers(30, 400, k)
    return pd.DataFrame({
        "study": [f"Study {i + 1:03d} ({1990 + i % 35})" for i in range(k)],
        "e1": rng.binomial(n1, 0.15), "n1": n1,
        "e2": rng.binomial(n2, 0.2), "n2": n2,
    })


def main(repeats: int = 5) -> None:
    data = table()
    result = evisynth.pool(data, measure="RR")
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        png = figure_to_bytes(forest_plot(result, arm_data=data), "png", dpi=300)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    print(f"100-study forest plot to PNG (300 dpi, {len(png) / 1e6:.1f} MB): "
          f"best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s of {repeats} "
          f"(CPU best {min(cpu):.2f} s)")
    times, cpu = [], []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        svg = figure_to_bytes(forest_plot(result, arm_data=data), "svg")
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    print(f"100-study forest plot to SVG ({len(svg) / 1e6:.1f} MB): "
          f"best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s of {repeats} "
          f"(CPU best {min(cpu):.2f} s)")


if __name__ == "__main__":
    main()
