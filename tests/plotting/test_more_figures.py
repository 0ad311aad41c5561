"""Leave-one-out, cumulative, bubble and effect direction plots; forest RoB columns; the
weighted RoB summary and Jadad data — checked on the Figure's artists."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

import evisynth
from evisynth.plotting import figure_notes, figure_to_bytes
from evisynth.plotting.bubble import bubble_plot
from evisynth.plotting.direction import effect_direction_plot
from evisynth.plotting.forest import forest_plot
from evisynth.plotting.rob import PALETTES, jadad_judgements, judgements_from_mapping, summary_plot
from evisynth.plotting.sensitivity import sensitivity_plot
from evisynth.review.appraisal import JadadAnswers
from evisynth.review.narrative import EffectDirection, effect_direction_table


def _by_gid(fig, gid):  # type: ignore[no-untyped-def]
    return [a for ax in fig.axes for a in [*ax.collections, *ax.lines, *ax.patches, *ax.texts]
            if a.get_gid() == gid]


def _texts(fig) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.get_text() for t in fig.texts] + [t.get_text() for ax in fig.axes for t in ax.texts]


@pytest.fixture
def with_year_and_dose(continuous: pd.DataFrame) -> pd.DataFrame:
    return continuous.assign(year=[2001, 2005, 2010, 2012, 2018], dose=[45, 90, 180, 45, 360])


def test_leave_one_out_plot_has_one_row_per_omitted_study(with_year_and_dose: pd.DataFrame) -> None:
    r = evisynth.pool(with_year_and_dose, measure="MD", leave_one_out=True)
    assert r.leave_one_out is not None
    fig = sensitivity_plot(r, "leave_one_out")
    (points,) = _by_gid(fig, "estimates")
    assert np.allclose(points.get_offsets()[:, 0], [row.estimate for row in r.leave_one_out])
    texts = _texts(fig)
    assert all(s in texts for s in with_year_and_dose["study"])
    first = r.leave_one_out[0]
    assert f"{first.estimate:.2f} [{first.ci_low:.2f}, {first.ci_high:.2f}]" in texts
    assert f"{first.i2:.0f}%" in texts
    (line,) = _by_gid(fig, "overall-line")
    assert line.get_xdata()[0] == pytest.approx(r.estimate)


def test_cumulative_plot_follows_the_order_and_exponentiates_ratios(binary: pd.DataFrame) -> None:
    data = binary.assign(year=[2015, 1999, 2003, 2008, 2011, 2020])
    r = evisynth.pool(data, measure="RR", cumulative="year")
    assert r.cumulative is not None
    fig = sensitivity_plot(r, "cumulative", language="zh")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    (points,) = _by_gid(fig, "estimates")
    assert np.allclose(points.get_offsets()[:, 0], [math.exp(c.estimate) for c in r.cumulative])
    # years given: Beta 1999 first, Zeta 2020 last
    assert [c.label for c in r.cumulative][0::5] == ["Beta 2003", "Zeta 2020"]
    assert "加入" in _texts(fig) and "全部研究" in _texts(fig)


def test_sensitivity_plot_says_how_to_get_the_rows(continuous: pd.DataFrame) -> None:
    r = evisynth.pool(continuous, measure="MD")
    with pytest.raises(ValueError, match="leave_one_out=True"):
        sensitivity_plot(r, "leave_one_out")
    with pytest.raises(ValueError, match="kind must be"):
        sensitivity_plot(r, "jackknife")


def test_bubble_plot_line_and_band_match_a_weighted_least_squares_fit(
        with_year_and_dose: pd.DataFrame) -> None:
    r = evisynth.pool(with_year_and_dose, measure="MD", moderator="dose")
    mr = r.metaregression
    assert mr is not None
    values = dict(zip(with_year_and_dose["study"], with_year_and_dose["dose"], strict=True))
    fig = bubble_plot(r, values, moderator="dose", xlabel="Daily dose (µg)")
    # independent fit: weighted least squares with w = 1/(vi + tau2)
    yi = np.array([s.yi for s in r.studies])
    vi = np.array([s.vi for s in r.studies])
    x = with_year_and_dose["dose"].to_numpy(float)
    w = 1 / (vi + mr.tau2)
    design = np.column_stack([np.ones_like(x), x])
    cov = np.linalg.inv(design.T @ (design * w[:, None]))
    beta = cov @ design.T @ (w * yi)
    (line,) = _by_gid(fig, "fit")
    gx, gy = line.get_xdata(), line.get_ydata()
    assert np.allclose(gy, beta[0] + beta[1] * gx)
    (band,) = _by_gid(fig, "band")
    verts = band.get_paths()[0].vertices
    mid = float(np.mean(x))
    se_mid = math.sqrt(cov[0, 0] + 2 * mid * cov[0, 1] + mid**2 * cov[1, 1])
    at_mid = verts[np.isclose(verts[:, 0], mid, atol=(x.max() - x.min()) / 50)]
    assert at_mid[:, 1].max() <= beta[0] + beta[1] * mid + 1.96 * se_mid + 0.05
    (points,) = _by_gid(fig, "studies")
    sizes = points.get_sizes()
    assert np.argmax(sizes) == np.argmax(w) and sizes.max() == pytest.approx(400)
    assert np.allclose(sizes / sizes.max(), w / w.max())


def test_bubble_plot_needs_the_moderators_meta_regression(continuous: pd.DataFrame) -> None:
    r = evisynth.pool(continuous, measure="MD")
    with pytest.raises(ValueError, match="moderator='dose'"):
        bubble_plot(r, {}, moderator="dose")


def _directions() -> list[EffectDirection]:
    return [
        EffectDirection("Ueda 2008", "ucmgp", "benefit", "dp-ucMGP fell more with K2"),
        EffectDirection("Ueda 2008", "pwv", "no_change", "PWV unchanged"),
        EffectDirection("Brandenburg 2017", "ucmgp", "benefit", "fell"),
        EffectDirection("Brandenburg 2017", "pwv", "harm", "rose"),
        EffectDirection("Oikonomaki 2019", "ucmgp", "conflicting", "two measures disagree"),
        EffectDirection("Oikonomaki 2019", "pwv", "increase", "rose; no better direction"),
    ]


def test_effect_direction_plot_draws_the_swim_symbols_and_the_vote_count() -> None:
    table = effect_direction_table(_directions())
    fig = effect_direction_plot(table, outcome_labels={"ucmgp": "dp-ucMGP", "pwv": "PWV"},
                                sample_sizes={"Ueda 2008": 40, "Brandenburg 2017": 120,
                                              "Oikonomaki 2019": 60})
    (benefit,) = _by_gid(fig, "dir-Ueda 2008-ucmgp")
    assert to_hex(benefit.get_facecolor()[0]) == "#1a9641"
    (harm,) = _by_gid(fig, "dir-Brandenburg 2017-pwv")
    assert to_hex(harm.get_facecolor()[0]) == "#d7191c"
    (left,) = _by_gid(fig, "dir-Oikonomaki 2019-ucmgp")
    (right,) = _by_gid(fig, "dir-Oikonomaki 2019-ucmgp-right")
    assert left.get_offsets()[0][0] < right.get_offsets()[0][0]
    (arrow,) = _by_gid(fig, "dir-Oikonomaki 2019-pwv")
    assert arrow.get_text() == "↑"
    # bigger trial, bigger marker (tertiles of 40, 60, 120)
    (big,) = _by_gid(fig, "dir-Brandenburg 2017-ucmgp")
    assert big.get_sizes()[0] > benefit.get_sizes()[0]
    # ucmgp: 2 benefit, 0 harm (conflicting is not a vote) -> sign test p = 0.5
    (vote,) = _by_gid(fig, "vote-ucmgp")
    assert vote.get_text() == "2/2 (0.50)"
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["dp-ucMGP", "PWV"]


def test_effect_direction_plot_in_chinese() -> None:
    fig = effect_direction_plot(effect_direction_table(_directions()), language="zh")
    legend = fig.legends[0]
    assert {t.get_text() for t in legend.get_texts()} == {"有利", "不利", "无变化", "结果不一致"}
    figure_to_bytes(fig, "png", dpi=50)


def test_forest_rob_columns_colour_each_study_by_its_judgement(continuous: pd.DataFrame) -> None:
    r = evisynth.pool(continuous, measure="MD")
    judgements = {s: {"seq": "low", "blind": "high" if i % 2 else "unclear"}
                  for i, s in enumerate(continuous["study"])}
    rob = judgements_from_mapping(judgements, ["seq", "blind"], ["Random sequence", "Blinding"])
    fig = forest_plot(r, arm_data=continuous, rob=rob, rob_palette="colourblind")
    (seq,) = _by_gid(fig, "rob-seq")
    (blind,) = _by_gid(fig, "rob-blind")
    assert [to_hex(c).upper() for c in seq.get_facecolor()] == [PALETTES["colourblind"]["low"]] * 5
    expected = [PALETTES["colourblind"]["high" if i % 2 else "unclear"] for i in range(5)]
    assert [to_hex(c).upper() for c in blind.get_facecolor()] == expected
    texts = _texts(fig)
    assert {"A", "B", "Risk of bias legend", "(A) Random sequence", "(B) Blinding"} <= set(texts)
    with pytest.raises(ValueError, match="rob_palette"):
        forest_plot(r, rob=rob, rob_palette="rainbow")


def test_weighted_summary_bars_give_the_share_of_the_weight() -> None:
    rob = judgements_from_mapping({"A": {"d": "low"}, "B": {"d": "low"}, "C": {"d": "high"}}, ["d"])
    # by study: 2/3 low; by weight 10 + 30 of 100 low, 60 high
    counted = summary_plot(rob)
    weighted = summary_plot(rob, weights={"A": 10, "B": 30, "C": 60})
    low = next(p for p in counted.axes[0].patches if p.get_gid() == "bar-d-low")
    assert low.get_width() == pytest.approx(200 / 3)
    low_w = next(p for p in weighted.axes[0].patches if p.get_gid() == "bar-d-low")
    high_w = next(p for p in weighted.axes[0].patches if p.get_gid() == "bar-d-high")
    assert (low_w.get_width(), high_w.get_width()) == pytest.approx((40, 60))
    assert weighted.axes[0].get_xlabel() == "Percent of the analysis weight"
    with pytest.raises(ValueError, match="no weight for C"):
        summary_plot(rob, weights={"A": 1, "B": 1})


def test_jadad_items_become_judgements_with_the_score_cut_off() -> None:
    # Jadad 1996: randomised + appropriate method (2), double-blind, method not described (1),
    # withdrawals described (1): score 4 -> overall low.
    good = JadadAnswers(True, "appropriate", True, "not_described", True)
    # randomised, method not described (1); open label; no withdrawals: score 1 -> high.
    poor = JadadAnswers(True, "not_described", False, "not_described", False)
    data = jadad_judgements({"Good": good, "Poor": poor})
    assert data.judgements["Good"] == {"randomisation": "low", "blinding": "unclear",
                                       "withdrawals": "low", "overall": "low"}
    assert data.judgements["Poor"] == {"randomisation": "unclear", "blinding": "high",
                                       "withdrawals": "high", "overall": "high"}


def test_bubble_and_leave_one_out_plots_in_chinese(with_year_and_dose: pd.DataFrame) -> None:
    r = evisynth.pool(with_year_and_dose, measure="MD", moderator="dose", leave_one_out=True)
    values = dict(zip(with_year_and_dose["study"], with_year_and_dose["dose"], strict=True))
    fig = bubble_plot(r, values, moderator="dose", xlabel="每日剂量 (µg)", language="zh")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "每日剂量 (µg)" and ax.get_ylabel() == "均数差"
    assert ax.get_title(loc="left").startswith("斜率")
    assert "剔除" in _texts(sensitivity_plot(r, "leave_one_out", language="zh"))
    assert not figure_notes(fig)
