"""Run ASReview's default model on one data set and seed; run by bench_screening.py.

This file runs in a separate virtual environment that has ``asreview`` (and
``asreview-insights``); it is not part of evisynth and does not import it. Input: one JSON
object on stdin. Output: one JSON object on stdout.

- ``{"task": "simulate", "csv": ..., "label_column": ..., "priors": [rows], "seed": n}``:
  ASReview's default AI configuration (``get_ai_config()``, ELAS u4 in ASReview 2), given the
  same prior rows as evisynth, run until the last relevant record (ASReview's default
  stopper). Returns the labels in screening order without the priors.
- ``{"task": "insights", "labels": [[0, 1, …], …]}``: asreview-insights' own ``_wss``,
  ``_recall``, ``_erf`` and ATD for each label sequence (the conformance check of evisynth's
  metric definitions).
"""

import json
import random
import sys
import time

import numpy as np
import pandas as pd


def simulate(task):
    from asreview import ActiveLearningCycle
    from asreview.models.models import get_ai_config
    from asreview.simulation.simulate import Simulate

    random.seed(task["seed"])
    np.random.seed(task["seed"])  # noqa: NPY002 - ASReview draws from the global state
    frame = pd.read_csv(task["csv"])
    df = pd.DataFrame({
        "title": frame["title"].fillna("").astype(str),
        "abstract": frame["abstract"].fillna("").astype(str),
    })
    labels = frame[task["label_column"]].to_numpy().astype(int)
    config = get_ai_config()
    cycle = ActiveLearningCycle.from_meta(config["value"])
    if hasattr(cycle.classifier, "random_state"):
        cycle.classifier.set_params(random_state=task["seed"])
    sim = Simulate(df, labels, [cycle], print_progress=False)
    sim.label(task["priors"])
    start = time.perf_counter()
    sim.review()
    seconds = time.perf_counter() - start
    results = sim._results
    trained = results.dropna(axis=0, subset="training_set")
    return {
        "model": config["name"],
        "asreview_version": __import__("asreview").__version__,
        "order": [int(r) for r in trained["record_id"]],
        "labels": [int(v) for v in trained["label"]],
        "seconds": seconds,
        "n_retrains": len(trained),
    }


def insights(task):
    from asreviewcontrib.insights.metrics import (
        _average_time_to_discovery,
        _erf,
        _recall,
        _time_to_discovery,
        _wss,
    )

    out = []
    for labels in task["labels"]:
        td = _time_to_discovery(list(range(len(labels))), labels)
        out.append({
            "wss95": float(_wss(labels, 0.95)),
            "wss100": float(_wss(labels, 1.0)),
            "rrf10": float(_recall(labels, 0.10)),
            "erf10": float(_erf(labels, 0.10)),
            "atd": _average_time_to_discovery(td),
        })
    return out


if __name__ == "__main__":
    request = json.load(sys.stdin)
    handler = {"simulate": simulate, "insights": insights}[request["task"]]
    json.dump(handler(request), sys.stdout)
