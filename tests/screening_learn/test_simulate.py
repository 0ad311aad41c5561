"""A simulation on real data (ADHD, Cohen 2006) and the ``evisynth simulate`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evisynth.analysis.screening import simulate, simulate_table, wss
from evisynth.core.errors import InputError


def _adhd(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "screening" / "ADHD.csv")


def test_adhd_simulation_saves_work(shared_data: Path) -> None:
    frame = _adhd(shared_data)
    texts = (frame["title"].fillna("") + " " + frame["abstract"].fillna("")).tolist()
    y = frame["label_included"].to_numpy()
    result = simulate(texts, y, seed=0)
    # Floor 0.3: random screening's expected WSS@95 is about 0 (it finds the 19th of 20
    # relevant records after ~95 % of the records; SD about 0.06), so 0.3 is > 4 SD above
    # random. ASReview's default model scores about 0.65 on this set.
    assert result.wss95 > 0.3
    assert result.n_records == 851 and result.n_relevant == 20 and result.n_priors == 2
    assert sorted(result.order) == list(range(851))
    # The metrics are those of the order: recompute from the labels in order.
    labels = y[list(result.order)][2:]
    assert result.wss95 == wss(labels, 0.95)
    assert result.recall[-1] == 1.0
    # The stopping test said stop, and not before 95 % recall... or if before, close to it.
    assert result.stop_at is not None and result.recall_at_stop is not None
    assert result.recall_at_stop >= 0.9
    assert "WSS@95" in str(result)
    assert json.dumps(result.to_dict())


def test_simulation_starts_from_the_given_priors(shared_data: Path) -> None:
    frame = _adhd(shared_data).iloc[:300]
    y = frame["label_included"].to_numpy()
    texts = frame["title"].fillna("").tolist()
    relevant, irrelevant = int(np.flatnonzero(y == 1)[0]), int(np.flatnonzero(y == 0)[0])
    result = simulate(texts, y, seed=1, prior_rows=[relevant, irrelevant], stop_check_every=0)
    assert result.order[:2] == (relevant, irrelevant)
    with pytest.raises(InputError, match="prior_rows"):
        simulate(texts, y, seed=1, prior_rows=[irrelevant])


def test_simulate_table_checks_labels() -> None:
    frame = pd.DataFrame({"title": ["a b", "c d", "e f"], "abstract": ["", "", ""],
                          "label_included": [1, "maybe", 0]})
    with pytest.raises(InputError, match="row 3"):
        simulate_table(frame, seeds=1)


def _small_csv(shared_data: Path, path: Path) -> Path:
    # All 20 relevant ADHD records and 130 irrelevant ones: a quick but real data set.
    frame = _adhd(shared_data)
    keep = pd.concat([frame[frame["label_included"] == 1],
                      frame[frame["label_included"] == 0].iloc[:130]])
    keep.to_csv(path, index=False)
    return path


def test_cli_simulate_json(shared_data: Path, tmp_path: Path) -> None:
    data = _small_csv(shared_data, tmp_path / "adhd_small.csv")
    curve = tmp_path / "curve.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "evisynth", "simulate", str(data), "--seeds", "2", "--json",
         "--out", str(curve)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no progress bar with --json
    out = json.loads(proc.stdout)
    assert out["n_records"] == 150 and out["n_relevant"] == 20 and out["seeds"] == [0, 1]
    runs = out["runs"]
    assert out["summary"]["wss95"]["mean"] == pytest.approx(np.mean([r["wss95"] for r in runs]))
    assert out["summary"]["atd"]["sd"] == pytest.approx(np.std([r["atd"] for r in runs], ddof=1))
    rows = pd.read_csv(curve)
    assert list(rows.columns) == ["seed", "screened", "recall"] and len(rows) == 2 * 148


def test_cli_simulate_one_line_error(tmp_path: Path) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("title,abstract,label_included\na,b,1\nc,d,0\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "evisynth", "simulate", str(data), "--label-column", "included"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: no column 'included'")
    assert "Traceback" not in proc.stderr
