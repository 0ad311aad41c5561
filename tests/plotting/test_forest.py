from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from scipy import stats

import evisynth
from evisynth.plotting import figure_notes, figure_to_bytes, forest_plot
from evisynth.plotting import fonts as fonts_module
from evisynth.plotting.fonts import cjk_font_family, shipped_cjk_font_path
from evisynth.plotting.forest import format_p_revman


def texts(fig: Figure) -> list[str]:
    # a column's plain cells share one multi-line Text: one entry per line
    return [line for t in fig.findobj(lambda a: hasattr(a, "get_text"))
            for line in t.get_text().split("\n")]


def study_effect(yi: float, vi: float, exp: bool) -> str:
    z = stats.norm.ppf(0.975)
    values = np.array([yi, yi - z * math.sqrt(vi), yi + z * math.sqrt(vi)])
    if exp:
        values = np.exp(values)
    return f"{values[0]:.2f} [{values[1]:.2f}, {values[2]:.2f}]"


def diamond(fig: Figure, gid: str = "diamond-overall") -> Polygon:
    found = [p for p in fig.axes[0].patches if p.get_gid() == gid]
    assert len(found) == 1
    patch = found[0]
    assert isinstance(patch, Polygon)
    return patch


def test_forest_shows_each_study_with_the_estimate_and_ci_computed_by_pool(continuous: pd.DataFrame) -> None:
    result = evisynth.pool(continuous, measure="MD")
    fig = forest_plot(result, arm_data=continuous)
    shown = texts(fig)
    for row in result.studies:
        assert row.study in shown
        assert study_effect(row.yi, row.vi, exp=False) in shown
        assert f"{row.weight:.1f}%" in shown
    e = result.overall
    assert e is not None
    assert f"{e.estimate:.2f} [{e.ci_low:.2f}, {e.ci_high:.2f}]" in shown
    assert "215" in shown and "213" in shown  # arm totals
    assert fig.axes[0].get_xscale() == "linear"


def test_heterogeneity_and_overall_test_lines_carry_the_results_numbers(continuous: pd.DataFrame) -> None:
    result = evisynth.pool(continuous, measure="MD")
    e = result.overall
    assert e is not None
    line = next(t for t in texts(forest_plot(result)) if t.startswith("Heterogeneity"))
    assert f"Tau² = {e.tau2:.2f}" in line
    assert f"Chi² = {e.q:.2f}, df = {e.q_df} ({format_p_revman(e.q_p)})" in line
    assert f"I² = {e.i2:.0f}%" in line
    test = next(t for t in texts(forest_plot(result)) if t.startswith("Test for overall effect"))
    assert f"Z = {abs(e.estimate / e.se):.2f}" in test


def test_ratio_measures_are_exponentiated_on_a_log_axis(binary: pd.DataFrame) -> None:
    result = evisynth.pool(binary, measure="RR")
    fig = forest_plot(result, arm_data=binary)
    assert fig.axes[0].get_xscale() == "log"
    shown = texts(fig)
    for row in result.studies:
        assert study_effect(row.yi, row.vi, exp=True) in shown
    assert "Favours experimental" in shown and "Favours control" in shown


def test_the_overall_diamond_spans_the_confidence_interval(binary: pd.DataFrame) -> None:
    result = evisynth.pool(binary, measure="RR")
    e = result.overall
    assert e is not None
    xs = diamond(forest_plot(result)).get_xy()[:, 0]
    assert xs.min() == pytest.approx(math.exp(e.ci_low))
    assert xs.max() == pytest.approx(math.exp(e.ci_high))
    assert xs[1] == pytest.approx(math.exp(e.estimate))  # the diamond's top point


def test_subgroups_get_headings_subtotal_diamonds_and_the_difference_test(binary: pd.DataFrame) -> None:
    result = evisynth.pool(binary, measure="RR", by="grp")
    assert result.subgroups is not None and result.subgroup_test is not None
    fig = forest_plot(result, arm_data=binary, groups="grp")
    shown = texts(fig)
    for name, e in result.subgroups.items():
        assert name in shown
        xs = diamond(fig, f"diamond-{name}").get_xy()[:, 0]
        assert xs.min() == pytest.approx(math.exp(e.ci_low))
    assert any(t.startswith("Test for subgroup differences: Chi² = "
                            f"{result.subgroup_test.q:.2f}") for t in shown)
    with pytest.raises(ValueError, match="groups="):
        forest_plot(result)


def test_prediction_interval_row_when_asked(continuous: pd.DataFrame) -> None:
    result = evisynth.pool(continuous, measure="MD", prediction="z")
    fig = forest_plot(result, prediction_interval=True)
    assert "Prediction interval" in texts(fig)
    lines = [ln for ln in fig.axes[0].lines if ln.get_gid() == "prediction-interval"]
    assert len(lines) == 1
    assert "Prediction interval" not in texts(forest_plot(result))


def test_arm_data_must_have_the_measures_columns(binary: pd.DataFrame) -> None:
    result = evisynth.pool(binary, measure="OR")
    with pytest.raises(ValueError, match="missing e2"):
        forest_plot(result, arm_data=binary.drop(columns="e2"))
    with pytest.raises(ValueError, match="language"):
        forest_plot(result, language="fr")


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_forest_renders_without_warnings(binary: pd.DataFrame, fmt: str) -> None:
    result = evisynth.pool(binary, measure="OR", by="grp")
    data = figure_to_bytes(forest_plot(result, arm_data=binary, groups="grp"), fmt, dpi=100)
    assert data.startswith(b"\x89PNG") if fmt == "png" else b"<svg" in data[:500]


def test_chinese_forest_uses_chinese_labels_drawn_with_the_shipped_cjk_font(binary: pd.DataFrame) -> None:
    result = evisynth.pool(binary, measure="RR")
    fig = forest_plot(result, arm_data=binary, language="zh")
    shown = texts(fig)
    assert "倾向于试验组" in shown and "倾向于对照组" in shown and "权重" in shown
    het = next(t for t in fig.texts if "异质性" in t.get_text())
    resolved = font_manager.findfont(het.get_fontproperties(), fallback_to_default=False)
    shipped = shipped_cjk_font_path()
    assert shipped is not None and shipped.name == "NotoSansSC-Regular.otf"
    assert Path(resolved) == shipped
    assert figure_notes(fig) == []
    figure_to_bytes(fig, "png", dpi=100)  # a missing glyph would warn, and warnings are errors


@pytest.fixture
def no_cjk_font_known(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """matplotlib knows no CJK font: none installed, or a font cache written before one was."""
    manager = font_manager.fontManager
    monkeypatch.setattr(manager, "ttflist", [f for f in manager.ttflist if f.name == "DejaVu Sans"])
    fonts_module.cjk_font_family.cache_clear()
    yield
    fonts_module.cjk_font_family.cache_clear()


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
@pytest.mark.usefixtures("no_cjk_font_known")
def test_the_shipped_cjk_font_is_used_when_matplotlib_knows_no_cjk_font(
    binary: pd.DataFrame, fmt: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert cjk_font_family() == "Noto Sans SC"
    result = evisynth.pool(binary, measure="RR", by="grp")
    fig = forest_plot(result, arm_data=binary, groups="grp", language="zh")  # bold group headings
    assert figure_notes(fig) == []
    figure_to_bytes(fig, fmt, dpi=60)  # a missing glyph would warn, and warnings are errors
    # matplotlib logs (does not warn) when a family lacks the bold weight asked for
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.usefixtures("no_cjk_font_known")
def test_chinese_falls_back_to_english_with_a_note_when_no_cjk_font(
    binary: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(fonts_module, "shipped_cjk_font_path", lambda: None)  # the font package missing
    result = evisynth.pool(binary, measure="RR")
    fig = forest_plot(result, language="zh")
    assert any(t.startswith("Heterogeneity") for t in texts(fig))
    assert any("no CJK font" in n for n in figure_notes(fig))
    assert "no CJK font" in caplog.text
    assert b"no CJK font" in figure_to_bytes(fig, "svg")
