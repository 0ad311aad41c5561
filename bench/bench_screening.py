"""Prioritised screening: evisynth vs ASReview's default model, same data, same priors, same run.

    .venv/bin/python bench/bench_screening.py [--seeds 5] [--models logistic,svm,nb]
        [--asreview-python /work/wt/bench-venv-asr/bin/python] [--json results.json]

For each data set in ../shared/data/screening/ (ADHD: 851 records, 20 relevant; Kitchenham
2010: 1,704 records, 45 relevant) and each seed, both systems start from the same prior
knowledge (one relevant, one irrelevant record drawn with the seed) and screen until the last
relevant record; WSS@95, WSS@100, RRF@10 and ATD are computed by evisynth's functions for
both orders, and — as a conformance check of those definitions — by asreview-insights' own
functions on the same orders (the largest difference is printed; it should be 0).

ASReview runs in its own virtual environment (it is not an evisynth dependency)::

    python3 -m venv /work/wt/bench-venv-asr
    /work/wt/bench-venv-asr/bin/pip install asreview asreview-insights

Without it (``--asreview-python ''``) only evisynth runs. Last, the time of one retrain
(refit on the decisions + score the unscreened records) at 10,000 records, made by resampling
the real titles and abstracts, at several numbers of decisions. Results: README, section
"Screening: active learning".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evisynth.analysis.screening import (
    RelevanceRanker,
    average_time_to_discovery,
    rrf,
    simulate,
    wss,
)
from evisynth.analysis.screening._simulate import draw_priors

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "screening"
DATASETS = {"ADHD": "ADHD.csv", "Kitchenham 2010": "Kitchenham_2010.csv"}
METRICS = ("wss95", "wss100", "rrf10", "atd")


def ranker_for(variant: str, seed: int) -> RelevanceRanker:
    """``logistic``, ``svm:1:1`` (C 1, relevant weight 1), ``nb::1`` → a RelevanceRanker."""
    model, *rest = variant.split(":")
    options: dict[str, Any] = {"random_state": seed}
    if rest and rest[0]:
        options["C"] = float(rest[0])
    if len(rest) > 1 and rest[1]:
        options["relevant_weight"] = float(rest[1])
    return RelevanceRanker(model, **options)


def load(path: Path) -> tuple[list[str], np.ndarray]:
    frame = pd.read_csv(path)
    texts = (frame["title"].fillna("").astype(str) + " " + frame["abstract"].fillna("").astype(str))
    return texts.tolist(), frame["label_included"].to_numpy().astype(int)


def metrics(labels: list[int]) -> dict[str, float]:
    return {"wss95": wss(labels, 0.95), "wss100": wss(labels, 1.0), "rrf10": rrf(labels, 0.10),
            "atd": average_time_to_discovery(labels)}


def run_asreview(python: str, request: dict[str, Any]) -> Any:
    # ASReview leaves a cache file in its working directory: run it in a scratch folder.
    with tempfile.TemporaryDirectory() as scratch:
        proc = subprocess.run([python, str(HERE / "_asreview_runner.py")], input=json.dumps(request),
                              capture_output=True, text=True, check=False, cwd=scratch)
    if proc.returncode != 0:
        raise RuntimeError(f"ASReview runner failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout)


def summary(rows: list[dict[str, float]]) -> dict[str, tuple[float, float]]:
    out = {}
    for key in METRICS:
        values = [r[key] for r in rows]
        out[key] = (statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0)
    return out


def retrain_times(texts: list[str], labels: np.ndarray, model: str, n_records: int = 10_000,
                  sizes: tuple[int, ...] = (100, 1000, 5000, 9000),
                  repeats: int = 5) -> dict[int, dict[str, float]]:
    rng = np.random.default_rng(0)
    pick = rng.choice(len(texts), n_records, replace=True)
    big_texts = [texts[i] for i in pick]
    big_labels = labels[pick]
    ranker = ranker_for(model, 0).fit_corpus(big_texts)
    out = {}
    for size in sizes:
        relevant = np.flatnonzero(big_labels == 1)
        rows = np.concatenate([relevant[:1], rng.choice(n_records, size - 1, replace=False)])
        rows = np.unique(rows)
        y = big_labels[rows]
        unscreened = np.setdiff1d(np.arange(n_records), rows)
        cpu, wall = [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            ranker.fit_rows(rows, y)
            ranker.score_rows(unscreened)
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        out[size] = {"cpu": statistics.median(cpu), "wall": statistics.median(wall)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--models", default="logistic", help=(
        "comma-separated variants MODEL[:C[:RELEVANT_WEIGHT]], e.g. logistic,svm:1:1,nb::1; "
        "omitted parts take RelevanceRanker's defaults"))
    parser.add_argument("--asreview-python", default=os.environ.get(
        "EVISYNTH_ASREVIEW_PYTHON", "/work/wt/bench-venv-asr/bin/python"))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    models = args.models.split(",")
    use_asreview = bool(args.asreview_python) and Path(args.asreview_python).exists()
    if not use_asreview:
        print(f"ASReview not found at {args.asreview_python!r}; evisynth only", file=sys.stderr)

    results: dict[str, Any] = {"datasets": {}, "conformance_max_abs_diff": None}
    all_orders: list[list[int]] = []
    all_ours: list[dict[str, float]] = []
    for name, file in DATASETS.items():
        texts, y = load(DATA / file)
        per_system: dict[str, list[dict[str, float]]] = {}
        seconds: dict[str, float] = {}
        for seed in range(args.seeds):
            priors = draw_priors(y, seed=seed)
            for model in models:
                start = time.perf_counter()
                sim = simulate(texts, y, seed=seed, prior_rows=priors.tolist(),
                               ranker=ranker_for(model, seed), stop_check_every=0)
                key = f"evisynth {model}"
                seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - start
                labels = [int(v) for v in y[list(sim.order)][len(priors):]]
                row = metrics(labels)
                per_system.setdefault(key, []).append(row)
                all_orders.append(labels)
                all_ours.append(row)
            if use_asreview:
                start = time.perf_counter()
                out = run_asreview(args.asreview_python, {
                    "task": "simulate", "csv": str(DATA / file), "label_column": "label_included",
                    "priors": priors.tolist(), "seed": seed,
                })
                key = f"ASReview {out['asreview_version']} {out['model']}"
                seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - start
                labels = out["labels"] + [0] * (len(y) - len(priors) - len(out["labels"]))
                row = metrics(labels)
                per_system.setdefault(key, []).append(row)
                all_orders.append(labels)
                all_ours.append(row)
            print(f"{name} seed {seed} done", file=sys.stderr, flush=True)
        results["datasets"][name] = {
            "n_records": len(y), "n_relevant": int(y.sum()),
            "systems": {k: {"summary": summary(v), "runs": v, "seconds_total": seconds[k]}
                        for k, v in per_system.items()},
        }

    if use_asreview:
        reference = run_asreview(args.asreview_python, {"task": "insights", "labels": all_orders})
        diff = max(abs(ref[k] - ours[k]) for ref, ours in zip(reference, all_ours, strict=True)
                   for k in METRICS)
        results["conformance_max_abs_diff"] = diff
        results["conformance_sequences"] = len(all_orders)

    texts_all: list[str] = []
    labels_all: list[np.ndarray] = []
    for file in DATASETS.values():
        t, y = load(DATA / file)
        texts_all += t
        labels_all.append(y)
    results["retrain_seconds_10k"] = {
        model: retrain_times(texts_all, np.concatenate(labels_all), model) for model in models
    }

    print("| data set | system | WSS@95 | WSS@100 | RRF@10 | ATD | time (all seeds) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, block in results["datasets"].items():
        for system, item in block["systems"].items():
            s = item["summary"]
            cells = [f"{s[k][0]:.3f} ± {s[k][1]:.3f}" if k != "atd" else f"{s[k][0]:.1f} ± {s[k][1]:.1f}"
                     for k in METRICS]
            print(f"| {name} | {system} | " + " | ".join(cells) + f" | {item['seconds_total']:.0f} s |")
    if results["conformance_max_abs_diff"] is not None:
        print(f"\nasreview-insights vs evisynth metrics on {results['conformance_sequences']} orders: "
              f"largest difference {results['conformance_max_abs_diff']:.3g}")
    print("\nRetrain (refit + score the unscreened) at 10,000 records, median of 5, CPU (wall):")
    for model, times in results["retrain_seconds_10k"].items():
        print(f"  {model}: " + ", ".join(f"{n} decisions {1000 * t['cpu']:.0f} ms ({1000 * t['wall']:.0f} ms)"
                                         for n, t in times.items()))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
