"""Benchmark: evisynth against metafor (run by hand: `make bench`; figures go in the README).

1. Latency of one REML random-effects pool with k = 13 (the BCG vaccine trials, dat.bcg),
   through the public ``evisynth.pool`` (DataFrame in) and through the strict core, against
   metafor's ``rma(yi, vi, method="REML")``; and with the Q-profile CI of tau² on both sides
   (``evisynth.pool(...).tau2_ci``, solved when first read, against ``rma()`` + ``confint()``).
2. 100,000 meta-analyses (k drawn from 2..40) with DL and with REML through
   ``evisynth.pool_many``, against metafor's ``rma`` looped over a sample of the same
   analyses and extrapolated to 100,000.

metafor is timed only when ``Rscript`` with metafor is installed (Debian: r-cran-metafor).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import evisynth
from evisynth.core.batch import fit_batch

# dat.bcg (metafor): log risk ratios and variances from escalc(measure="RR").
BCG_TABLES = {
    "tpos": [4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27],
    "tneg": [119, 300, 228, 13536, 5036, 1361, 2537, 87886, 7470, 1699, 50448, 2493, 16886],
    "cpos": [11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29],
    "cneg": [128, 274, 209, 12619, 5761, 1079, 619, 87892, 7232, 1600, 27197, 2338, 17825],
}


def bcg_frame() -> pd.DataFrame:
    t = {k: np.array(v, dtype=float) for k, v in BCG_TABLES.items()}
    yi = np.log(t["tpos"] / (t["tpos"] + t["tneg"])) - np.log(t["cpos"] / (t["cpos"] + t["cneg"]))
    vi = 1 / t["tpos"] - 1 / (t["tpos"] + t["tneg"]) + 1 / t["cpos"] - 1 / (t["cpos"] + t["cneg"])
    return pd.DataFrame({"study": [f"trial {i + 1}" for i in range(13)], "yi": yi, "vi": vi})


def best_of(fn, repeat: int, number: int) -> float:
    """Seconds per call: the best of ``repeat`` timings of ``number`` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def synthetic(n_analyses: int, seed: int = 20261122) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    k = rng.integers(2, 41, size=n_analyses)
    ids = np.repeat(np.arange(n_analyses), k)
    n = ids.size
    tau = rng.uniform(0, 0.5, size=n_analyses)[ids]
    vi = rng.uniform(0.01, 0.5, size=n)
    yi = rng.normal(0.2, 1, size=n_analyses)[ids] * 0.3 + rng.normal(0, np.sqrt(vi + tau**2))
    study = np.arange(n) - np.repeat(np.cumsum(k) - k, k)
    return pd.DataFrame({"analysis": ids, "study": study, "yi": yi, "vi": vi})


R_SINGLE = """
suppressMessages(library(metafor))
d <- read.csv("{csv}")
n <- {number}
best <- Inf
for (r in 1:{repeat}) {{
  t0 <- proc.time()[["elapsed"]]
  for (i in 1:n) {{ fit <- rma(yi, vi, data = d, method = "REML"){extra} }}
  best <- min(best, (proc.time()[["elapsed"]] - t0) / n)
}}
cat(best, "\\n")
"""

R_LOOP = """
suppressMessages(library(metafor))
d <- read.csv("{csv}")
ids <- unique(d$analysis)
parts <- split(d, d$analysis)
t0 <- proc.time()[["elapsed"]]
for (p in parts) fit <- try(rma(yi, vi, data = p, method = "{method}"), silent = TRUE)
cat((proc.time()[["elapsed"]] - t0) / length(parts), "\\n")
"""


def rscript(code: str) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    proc = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return None
    return float(proc.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--analyses", type=int, default=100_000)
    parser.add_argument("--r-sample", type=int, default=2_000, help="analyses metafor runs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report: dict[str, object] = {}

    df = bcg_frame()
    # Both sides: the best of 20 short batches, so that a shared machine's load (other
    # processes taking the CPU for a while) inflates neither side's figure.
    report["single_pool_s"] = best_of(lambda: evisynth.pool(df, measure="GEN", tau2="REML"), 20, 50)
    report["single_pool_ci_s"] = best_of(
        lambda: evisynth.pool(df, measure="GEN", tau2="REML").tau2_ci, 20, 50
    )
    yi, vi = df["yi"].to_numpy(), df["vi"].to_numpy()
    seg = np.zeros(13, dtype=np.intp)
    report["single_core_s"] = best_of(  # as evisynth.pool: the tau² CI is not solved here
        lambda: fit_batch(yi, vi, seg, 1, model="random", tau2_method="REML", tau2_interval=False),
        20, 100,
    )
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "bcg.csv"
        df.to_csv(csv, index=False)
        report["single_metafor_s"] = rscript(R_SINGLE.format(csv=csv, number=100, repeat=20,
                                                             extra=""))
        # rma() leaves the Q-profile CI of tau² to confint(); evisynth.pool solves it on first read
        report["single_metafor_confint_s"] = rscript(
            R_SINGLE.format(csv=csv, number=50, repeat=20, extra="; ci <- confint(fit)")
        )

        long = synthetic(args.analyses)
        report["rows"] = len(long)
        sample = long[long["analysis"] < args.r_sample]
        sample_csv = Path(tmp) / "sample.csv"
        sample.to_csv(sample_csv, index=False)
        for method in ("DL", "REML"):
            start = time.perf_counter()
            out = evisynth.pool_many(long, by="analysis", measure="GEN", tau2=method)
            report[f"batch_{method}_s"] = time.perf_counter() - start
            assert len(out) == args.analyses and bool(out["converged"].all())
            per = rscript(R_LOOP.format(csv=sample_csv, method=method))
            report[f"batch_{method}_metafor_s"] = None if per is None else per * args.analyses

    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"one REML pool, k = 13 (dat.bcg): evisynth.pool {report['single_pool_s'] * 1e3:.3f} ms, "
          f"core {report['single_core_s'] * 1e3:.3f} ms", end="")
    if report["single_metafor_s"]:
        m = report["single_metafor_s"]
        print(f", metafor rma() {m * 1e3:.3f} ms -> {m / report['single_pool_s']:.1f}x "
              f"(core {m / report['single_core_s']:.1f}x)")
        mc = report["single_metafor_confint_s"]
        if mc:
            ours_ci = report["single_pool_ci_s"]
            print(f"  with the tau² CI on both sides: evisynth.pool + .tau2_ci {ours_ci * 1e3:.3f} ms, "
                  f"metafor rma() + confint() {mc * 1e3:.3f} ms -> {mc / ours_ci:.1f}x")
    else:
        print(" (metafor not installed)")
    print(f"{args.analyses:,} meta-analyses ({report['rows']:,} study rows, k = 2..40):")
    for method in ("DL", "REML"):
        ours = report[f"batch_{method}_s"]
        theirs = report[f"batch_{method}_metafor_s"]
        line = f"  {method:<4} evisynth.pool_many {ours:.2f} s"
        if theirs:
            line += (f", metafor loop {theirs:.0f} s (extrapolated from {args.r_sample:,}) "
                     f"-> {theirs / ours:.0f}x")
        print(line)


if __name__ == "__main__":
    main()
