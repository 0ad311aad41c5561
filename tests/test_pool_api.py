"""The public interface: inputs checked at the boundary, options, presets, the auto rule."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evisynth
from evisynth import InputError

EXAMPLE = Path(evisynth.__file__).parent / "examples" / "vitk2_dpucmgp.csv"


def continuous() -> pd.DataFrame:
    return pd.DataFrame({
        "study": ["Kurnatowska 2015", "B", "C"],
        "m1": [10.0, 12.0, 9.0], "sd1": [2.0, 3.0, 2.5], "n1": [30, 40, 25],
        "m2": [8.0, 11.0, 9.5], "sd2": [2.0, 2.5, 2.0], "n2": [30, 38, 27],
    })


def test_public_api_is_pinned() -> None:
    assert sorted(evisynth.__all__) == sorted(
        ["ConvergenceError", "InputError", "PoolResult", "__version__", "fill_change_from_baseline",
         "fill_mean_sd", "pool", "pool_many", "read_rm5"]
    )


def test_bad_value_names_the_column_row_study_and_fix() -> None:
    df = continuous()
    df.loc[0, "sd1"] = -1.2
    with pytest.raises(InputError) as err:
        evisynth.pool(df, measure="MD")
    message = str(err.value)
    assert "'sd1' must be > 0" in message
    assert "row 1" in message and "Kurnatowska 2015" in message and "-1.2" in message
    assert "check the sign" in message


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"measure": "XX"}, "measure='XX'"),
        ({"measure": "MD", "tau2": "EB"}, "tau2='EB'"),
        ({"measure": "MD", "method": "MH"}, "needs a binary measure"),
        ({"measure": "RR", "method": "Peto"}, "odds ratios only"),
        ({"measure": "MD", "preset": "stata"}, "preset='stata'"),
        ({"measure": "MD", "by": "region"}, "'region' is missing"),
        ({"measure": "RR"}, "column 'e1' is missing"),
    ],
)
def test_unknown_or_conflicting_options_are_refused(kwargs: dict, fragment: str) -> None:
    with pytest.raises(InputError, match=None) as err:
        evisynth.pool(continuous(), **kwargs)
    assert fragment in str(err.value)


def test_duplicate_study_names_are_refused() -> None:
    df = continuous()
    df.loc[2, "study"] = "B"
    with pytest.raises(InputError, match='study "B" appears twice'):
        evisynth.pool(df, measure="MD")


def test_single_study_returns_its_own_estimate_and_interval() -> None:
    df = continuous().iloc[:1]
    r = evisynth.pool(df, measure="MD")
    se = math.sqrt(4 / 30 + 4 / 30)
    assert r.estimate == pytest.approx(2.0)
    assert r.se == pytest.approx(se)
    assert r.ci_low == pytest.approx(2.0 - 1.959963984540054 * se)
    assert r.tau2 == 0 and r.k == 1


def test_to_dict_has_the_documented_keys_and_is_json() -> None:
    r = evisynth.pool(continuous(), measure="SMD", by=None, leave_one_out=True)
    d = r.to_dict()
    for key in ("measure", "model", "method", "tau2_method", "k", "estimate", "se", "ci_low",
                "ci_high", "p", "tau2", "tau2_ci", "i2", "h2", "q", "q_df", "q_p", "pi_low",
                "pi_high", "scale", "studies", "leave_one_out"):
        assert key in d
    assert set(d["studies"][0]) >= {"study", "yi", "vi", "weight"}
    json.dumps(d, allow_nan=False)


def test_ratios_stay_on_the_log_scale() -> None:
    df = pd.DataFrame({"study": ["A", "B"], "e1": [5, 8], "n1": [50, 60], "e2": [10, 12],
                       "n2": [50, 60]})
    d = evisynth.pool(df, measure="RR", model="fixed").to_dict()
    assert d["scale"] == "log"
    assert d["estimate"] < 0  # fewer events in arm 1: log RR below 0


def test_auto_rule_chooses_fixed_for_homogeneous_studies_and_says_why() -> None:
    df = pd.DataFrame({"study": list("ABC"), "yi": [0.10, 0.12, 0.11], "vi": [0.01, 0.02, 0.015]})
    r = evisynth.pool(df, measure="GEN", model="auto")
    assert r.model == "fixed"
    assert r.auto_rule.chose == "fixed"
    assert "p >= 0.10 and I² <= 50%" in r.auto_rule.reason


def test_auto_rule_chooses_dersimonian_laird_for_heterogeneous_studies() -> None:
    df = pd.DataFrame({"study": list("ABC"), "yi": [0.1, 1.5, -1.0], "vi": [0.01, 0.02, 0.015]})
    r = evisynth.pool(df, measure="GEN", model="auto")
    assert (r.model, r.tau2_method) == ("random", "DL")
    assert "random effects" in r.auto_rule.reason and "p < 0.10" in r.auto_rule.reason


def test_revman5_preset_sets_mh_dl_and_no_prediction_interval() -> None:
    df = pd.DataFrame({"study": list("ABC"), "e1": [5, 8, 20], "n1": [50, 60, 70],
                       "e2": [10, 12, 22], "n2": [50, 60, 70]})
    r = evisynth.pool(df, measure="OR", preset="revman5")
    assert (r.method, r.tau2_method) == ("MH", "DL")
    assert r.to_dict()["pi_low"] is None
    # an explicit option wins over the preset
    assert evisynth.pool(df, measure="OR", preset="revman5", tau2="REML").tau2_method == "REML"


def test_subgroups_have_their_own_tau2_and_a_difference_test() -> None:
    df = pd.DataFrame({"study": list("ABCDEF"), "yi": [0.1, 0.3, 0.2, 1.0, 1.4, 0.7],
                       "vi": [0.02] * 6, "dose": ["low"] * 3 + ["high"] * 3})
    r = evisynth.pool(df, measure="GEN", by="dose", tau2="DL")
    assert set(r.subgroups) == {"low", "high"}
    low, high = r.subgroups["low"], r.subgroups["high"]
    w = np.array([1 / low.se**2, 1 / high.se**2])
    est = np.array([low.estimate, high.estimate])
    q = float(np.sum(w * (est - np.sum(w * est) / w.sum()) ** 2))
    assert r.subgroup_test.q == pytest.approx(q)
    assert r.subgroup_test.df == 1


def test_cumulative_analysis_follows_the_given_order() -> None:
    df = pd.DataFrame({"study": list("ABC"), "yi": [0.5, 0.1, 0.3], "vi": [0.1, 0.1, 0.1],
                       "year": [2020, 2001, 2010]})
    rows = evisynth.pool(df, measure="GEN", model="fixed", cumulative="year").to_dict()["cumulative"]
    assert [r["added"] for r in rows] == ["B", "C", "A"]
    assert rows[0]["estimate"] == pytest.approx(0.1)
    assert rows[1]["estimate"] == pytest.approx(0.2)


def test_csv_path_is_accepted() -> None:
    r = evisynth.pool(EXAMPLE, measure="SMD", model="auto")
    assert r.k == 2 and r.auto_rule is not None


def test_readable_print_looks_like_metafor() -> None:
    text = str(evisynth.pool(continuous(), measure="MD", tau2="REML"))
    assert text.startswith("Random-effects model (k = 3; tau^2 estimator: REML")
    assert "Test for Heterogeneity:" in text and "estimate" in text
