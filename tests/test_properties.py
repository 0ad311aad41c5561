"""Invariants of pooling, found or refuted by hypothesis (STYLE habit 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evisynth

ESTIMATORS = ["DL", "REML", "PM", "ML", "HE", "SJ"]

studies = st.lists(
    st.tuples(
        st.floats(-5, 5, allow_nan=False, allow_subnormal=False),
        st.floats(1e-3, 4, allow_nan=False, allow_subnormal=False),
    ),
    min_size=2,
    max_size=25,
)


def frame(rows: list[tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {"study": [f"S{i}" for i in range(len(rows))], "yi": [r[0] for r in rows],
         "vi": [r[1] for r in rows]}
    )


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=studies, tau2=st.sampled_from(ESTIMATORS), hksj=st.booleans())
def test_pooled_results_respect_their_invariants(
    rows: list[tuple[float, float]], tau2: str, hksj: bool
) -> None:
    df = frame(rows)
    r = evisynth.pool(df, measure="GEN", tau2=tau2, hksj=hksj)
    assert r.tau2 >= 0
    assert 0 <= r.i2 < 100
    assert sum(s.weight for s in r.studies) == pytest.approx(100, rel=1e-9)
    span = 1e-9 * (1 + df.yi.abs().max())
    assert df.yi.min() - span <= r.estimate <= df.yi.max() + span
    assert r.ci_low <= r.estimate <= r.ci_high
    if r.tau2_ci is not None:
        assert 0 <= r.tau2_ci[0] <= r.tau2_ci[1]


@settings(deadline=None)
@given(rows=studies, tau2=st.sampled_from(ESTIMATORS), seed=st.integers(0, 2**16))
def test_study_order_changes_nothing(rows: list[tuple[float, float]], tau2: str, seed: int) -> None:
    df = frame(rows)
    shuffled = df.sample(frac=1, random_state=seed)
    a = evisynth.pool(df, measure="GEN", tau2=tau2).to_dict()
    b = evisynth.pool(shuffled, measure="GEN", tau2=tau2).to_dict()
    for key in ("estimate", "se", "tau2", "i2", "q"):
        assert a[key] == pytest.approx(b[key], rel=1e-7, abs=1e-10)


@settings(deadline=None)
@given(
    analyses=st.lists(studies, min_size=1, max_size=6),
    tau2=st.sampled_from(ESTIMATORS),
    model=st.sampled_from(["fixed", "random", "auto"]),
)
def test_pool_many_equals_pool_row_by_row(
    analyses: list[list[tuple[float, float]]], tau2: str, model: str
) -> None:
    parts = []
    for i, rows in enumerate(analyses):
        part = frame(rows)
        part["analysis"] = f"A{i:02d}"
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    many = evisynth.pool_many(long, by="analysis", measure="GEN", tau2=tau2, model=model)
    assert len(many) == len(analyses)
    for i, rows in enumerate(analyses):
        one = evisynth.pool(frame(rows), measure="GEN", tau2=tau2, model=model).to_dict()
        row = many.loc[f"A{i:02d}"]
        assert row["model"] == one["model"]
        for key in ("k", "estimate", "se", "ci_low", "ci_high", "p", "tau2", "i2", "h2", "q"):
            assert row[key] == pytest.approx(one[key], rel=1e-9, abs=1e-12), key


def test_near_identical_studies_pool_inside_their_range() -> None:
    # statsmodels' DL once returned an estimate outside five near-identical inputs (STYLE.md).
    df = frame([(1.0 + 1e-9 * i, 0.1 + 1e-3 * i) for i in range(5)])
    for tau2 in ESTIMATORS:
        r = evisynth.pool(df, measure="GEN", tau2=tau2)
        assert df.yi.min() <= r.estimate <= df.yi.max()
        assert r.tau2 == pytest.approx(0, abs=1e-12)


def test_pool_many_handles_many_analyses_with_one_study_each() -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"analysis": np.arange(50), "study": "only", "yi": rng.normal(size=50),
                       "vi": rng.uniform(0.1, 1, size=50)})
    many = evisynth.pool_many(df, by="analysis", measure="GEN")
    assert np.allclose(many["estimate"], df["yi"])
    assert np.allclose(many["se"], np.sqrt(df["vi"]))


def test_hksj_with_identical_estimates_has_zero_se_and_no_p_value() -> None:
    # Found by the invariant test above: s² = 0, so the Knapp–Hartung SE is 0, as in metafor.
    r = evisynth.pool(frame([(0.0, 1.0), (0.0, 1.0)]), measure="GEN", tau2="DL", hksj=True)
    assert r.se == 0 and r.to_dict()["p"] is None


def test_a_heterogeneity_statistic_near_zero_does_not_overflow() -> None:
    # Found by the invariant test: Q ≈ 1e-323 made (Q - df)/Q overflow.
    r = evisynth.pool(frame([(0.0, 1.0), (1.1508430832845494e-161, 1.0)]), measure="GEN", tau2="DL")
    assert r.i2 == 0 and r.tau2 == 0
