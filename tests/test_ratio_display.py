"""Ratios (RR, OR) are pooled as logs but shown as ratios, as a RevMan user reads them.

Expected values come from the textbook formulas (Cochrane Handbook 6.4: log RR and log OR with
their variances, CI = exp(log ± z·SE)), from the engine's own log estimates (the display must be
exp of them, rounded to RevMan's two decimals), and from RevMan 5's stored results when the real
``.rm5`` files are present.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

import evisynth
from evisynth.io.rm5 import Rm5Outcome, outcome_frame, pool_arguments, read_rm5
from tests.test_cli import run

Z95 = 1.959963984540054

#: Four two-arm trials without zero cells: e1, n1, e2, n2.
TRIALS = pd.DataFrame({
    "study": ["Adams 2001", "Baker 2004", "Chen 2009", "Diaz 2012"],
    "e1": [12, 8, 30, 5], "n1": [100, 60, 250, 45], "e2": [20, 15, 41, 9], "n2": [100, 62, 248, 44],
})


def textbook(measure: str, e1: int, n1: int, e2: int, n2: int) -> tuple[float, float, float]:
    """A study's ratio and 95% CI from the Handbook's formulas (no continuity correction)."""
    if measure == "RR":
        log, var = math.log((e1 / n1) / (e2 / n2)), 1 / e1 - 1 / n1 + 1 / e2 - 1 / n2
    else:
        log = math.log(e1 * (n2 - e2) / ((n1 - e1) * e2))
        var = 1 / e1 + 1 / (n1 - e1) + 1 / e2 + 1 / (n2 - e2)
    half = Z95 * math.sqrt(var)
    return math.exp(log), math.exp(log - half), math.exp(log + half)


def revman(x: float) -> str:
    return f"{x:.2f}"


def shown(measure: str, estimate: float, low: float, high: float) -> str:
    return f"{measure} {revman(estimate)} [{revman(low)}, {revman(high)}]"


def test_one_study_risk_ratio_prints_as_revman_shows_it() -> None:
    result = evisynth.pool(TRIALS.iloc[:1], measure="RR")
    assert shown("RR", *textbook("RR", 12, 100, 20, 100)) == "RR 0.60 [0.31, 1.16]"
    assert "RR 0.60 [0.31, 1.16] (95% CI" in str(result)


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_printout_shows_exp_of_the_engine_log_estimates(measure: str) -> None:
    r = evisynth.pool(TRIALS, measure=measure, model="random", tau2="DL")
    text = str(r)
    assert shown(measure, math.exp(r.estimate), math.exp(r.ci_low), math.exp(r.ci_high)) in text
    pi = f"[{revman(math.exp(r.pi_low))}, {revman(math.exp(r.pi_high))}]"
    assert f"Prediction interval: {measure} {pi}" in text
    assert "Model Results (log scale):" in text and f"{r.estimate:.4f}" in text
    logs = r.to_text(analysis_scale=True)
    assert f"{measure} 0." not in logs and f"Prediction interval: [{r.pi_low:.4f}, {r.pi_high:.4f}]" in logs


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_to_dict_keeps_logs_and_adds_the_display_values(measure: str) -> None:
    r = evisynth.pool(TRIALS, measure=measure)
    d = r.to_dict()
    assert d["scale"] == "log" and d["estimate"] == r.estimate < 0
    shown_values = d["display"]
    assert shown_values["scale"] == "ratio" and shown_values["transform"] == "exp"
    for key in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
        assert shown_values[key] == pytest.approx(math.exp(d[key]), rel=1e-12)
    for row, (_, t) in zip(shown_values["studies"], TRIALS.iterrows(), strict=True):
        assert row["study"] == t["study"]
        expected = textbook(measure, t["e1"], t["n1"], t["e2"], t["n2"])
        assert (row["estimate"], row["ci_low"], row["ci_high"]) == pytest.approx(expected, rel=1e-9)


def test_mean_differences_are_shown_as_analysed() -> None:
    df = pd.DataFrame({"study": ["A", "B"], "yi": [1.5, 2.5], "vi": [0.25, 0.5]})
    r = evisynth.pool(df, measure="GEN", model="fixed")
    assert r.to_dict()["display"]["estimate"] == r.estimate
    assert str(r) == r.to_text(analysis_scale=True) and "exp" not in str(r)


def study_rows(text: str) -> dict[str, tuple[str, str]]:
    """Study → (estimate, CI) cells of the CLI's Rich table."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]
        if len(cells) == 5 and cells[0] in set(TRIALS["study"]):
            rows[cells[0]] = (cells[1], cells[2])
    return rows


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_cli_table_and_pooled_line_are_ratios(tmp_path: Path, measure: str) -> None:
    table = tmp_path / "trials.csv"
    TRIALS.to_csv(table, index=False)
    proc = run("pool", str(table), "--measure", measure, env={"COLUMNS": "120"})
    assert proc.returncode == 0, proc.stderr
    rows = study_rows(proc.stdout)
    assert len(rows) == len(TRIALS)
    for _, t in TRIALS.iterrows():
        estimate, low, high = textbook(measure, t["e1"], t["n1"], t["e2"], t["n2"])
        assert rows[t["study"]] == (revman(estimate), f"[{revman(low)}, {revman(high)}]")
    engine = json.loads(run("pool", str(table), "--measure", measure, "--json").stdout)
    assert shown(measure, *(math.exp(engine[k]) for k in ("estimate", "ci_low", "ci_high"))) in proc.stdout
    assert f"Prediction interval: {measure} [{revman(math.exp(engine['pi_low']))}, " in proc.stdout


def test_cli_log_scale_shows_the_log_values(tmp_path: Path) -> None:
    table = tmp_path / "trials.csv"
    TRIALS.to_csv(table, index=False)
    proc = run("pool", str(table), "--measure", "RR", "--log-scale", env={"COLUMNS": "120"})
    assert proc.returncode == 0, proc.stderr
    _, low, high = textbook("RR", 12, 100, 20, 100)
    assert study_rows(proc.stdout)["Adams 2001"] == (
        f"{math.log(0.6):.4f}", f"[{math.log(low):.4f}, {math.log(high):.4f}]")
    assert "[-1.1706, 0.1490]" in proc.stdout and "RR 0.60" not in proc.stdout
    refused = run("pool", str(evisynth.__path__[0]) + "/examples/vitk2_dpucmgp.csv",
                  "--measure", "MD", "--log-scale")
    assert refused.returncode == 2 and "--log-scale" in refused.stderr and "Traceback" not in refused.stderr


def revman_ratio_outcomes(rm5_dir: Path) -> list[Rm5Outcome]:
    """Every RR and OR (Mantel–Haenszel or IV) outcome with an overall total and no subgroups."""
    found = []
    for path in sorted(rm5_dir.glob("*.rm5")):
        for outcome in read_rm5(path).outcomes:
            if (isinstance(outcome, Rm5Outcome) and outcome.kind == "DICH"
                    and outcome.effect_measure in ("RR", "OR") and outcome.totals == "YES"
                    and not outcome.has_subgroups and outcome.stats.effect_size
                    and (outcome.stats.studies or 0) >= 2):
                found.append(outcome)
    return found


def test_pooled_ratios_print_as_revman_shows_them(shared_data: Path) -> None:
    outcomes = revman_ratio_outcomes(shared_data / "rm5")
    assert {o.effect_measure for o in outcomes} == {"RR", "OR"}
    for outcome in outcomes:
        result = evisynth.pool(outcome_frame(outcome), **pool_arguments(outcome))
        s = outcome.stats
        assert s.effect_size is not None and s.ci_start is not None and s.ci_end is not None
        expected = shown(outcome.effect_measure, s.effect_size, s.ci_start, s.ci_end)
        assert expected in str(result), outcome.label
