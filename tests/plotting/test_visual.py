"""Visual regression: figures rendered to PNG and compared with committed references.

The references live in tests/reference/figures/ (small: 72 dpi). After an intended change to a
figure's layout, regenerate them and look at the new images before committing:

    EVISYNTH_UPDATE_REFERENCES=1 .venv/bin/pytest -q tests/plotting/test_visual.py \
        tests/services/test_report_visual.py

The comparison allows small differences (anti-aliasing, FreeType versions): the mean absolute
difference per channel and the share of pixels that differ strongly are bounded; a moved
column, a lost label or a changed colour exceeds both. The Chinese figures are drawn with the
Noto Sans SC shipped in the Python package pylopdf-fonts-zh-cn (see evisynth.plotting.fonts),
so they look the same with or without system CJK fonts.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import evisynth
from evisynth.plotting import (
    effect_direction_plot,
    figure_to_bytes,
    forest_plot,
    funnel_plot,
    judgements_from_mapping,
    sensitivity_plot,
    summary_plot,
    traffic_light_plot,
)
from evisynth.review.narrative import EffectDirection, effect_direction_table

REFERENCES = Path(__file__).resolve().parents[1] / "reference" / "figures"
DPI = 72
#: mean absolute difference per channel (0-255) that a re-render may show
MEAN_TOLERANCE = 0.5
#: share of pixels whose largest channel difference exceeds PIXEL_THRESHOLD
SHARE_TOLERANCE = 0.001
PIXEL_THRESHOLD = 64
UPDATE = os.environ.get("EVISYNTH_UPDATE_REFERENCES") == "1"


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def assert_matches_reference(name: str, png: bytes, tmp_path: Path, *, mean_tolerance: float = MEAN_TOLERANCE,
                             share_tolerance: float = SHARE_TOLERANCE) -> None:
    """Compare ``png`` with tests/reference/figures/NAME.png (or write it when updating)."""
    reference = REFERENCES / f"{name}.png"
    if UPDATE:
        REFERENCES.mkdir(parents=True, exist_ok=True)
        reference.write_bytes(png)
        return
    assert reference.exists(), f"no reference image {reference}; run with EVISYNTH_UPDATE_REFERENCES=1"
    got, want = _pixels(png), _pixels(reference.read_bytes())
    (tmp_path / f"{name}.png").write_bytes(png)
    assert got.shape == want.shape, (
        f"{name}: size {got.shape[1]}x{got.shape[0]} px, reference {want.shape[1]}x{want.shape[0]} px "
        f"(render kept in {tmp_path})")
    diff = np.abs(got - want)
    mean = float(diff.mean())
    share = float((diff.max(axis=2) > PIXEL_THRESHOLD).mean())
    if mean > mean_tolerance or share > share_tolerance:
        Image.fromarray((255 - np.clip(diff.max(axis=2) * 4, 0, 255)).astype(np.uint8)).save(
            tmp_path / f"{name}-diff.png")
    assert mean <= mean_tolerance and share <= share_tolerance, (
        f"{name}: mean difference {mean:.2f} (tolerance {mean_tolerance}), {share:.2%} of pixels differ "
        f"(tolerance {share_tolerance:.1%}); render and diff kept in {tmp_path}")


LANGUAGES = ["en", "zh"]


def _png(fig) -> bytes:  # type: ignore[no-untyped-def]
    return figure_to_bytes(fig, format="png", dpi=DPI)


@pytest.mark.parametrize("language", LANGUAGES)
def test_forest_plot_looks_as_before(continuous: pd.DataFrame, binary: pd.DataFrame, language: str,
                                     tmp_path: Path) -> None:
    r = evisynth.pool(continuous, measure="MD", prediction="z")
    assert_matches_reference(f"forest-md-{language}", _png(forest_plot(
        r, arm_data=continuous, language=language, prediction_interval=True)), tmp_path)
    rr = evisynth.pool(binary, measure="RR", by="grp")
    rob = judgements_from_mapping({s: {"a": "low", "b": "high" if i % 3 else "unclear"}
                                   for i, s in enumerate(binary["study"])},
                                  ["a", "b"], ["Sequence", "Blinding"])
    assert_matches_reference(f"forest-rr-subgroups-rob-{language}", _png(forest_plot(
        rr, arm_data=binary, groups="grp", language=language, rob=rob)), tmp_path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_funnel_plot_looks_as_before(binary: pd.DataFrame, language: str, tmp_path: Path) -> None:
    r = evisynth.pool(binary, measure="OR")
    fig = funnel_plot(r, contours=True, trim_and_fill=True, egger=True, language=language)
    assert_matches_reference(f"funnel-{language}", _png(fig), tmp_path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_rob_plots_look_as_before(language: str, tmp_path: Path) -> None:
    data = judgements_from_mapping(
        {"Ueda 2008": {"d1": "low", "d2": "some_concerns", "d3": "high", "overall": "high"},
         "Brandenburg 2017": {"d1": "low", "d2": "low", "d3": "low", "overall": "low"},
         "Oikonomaki 2019": {"d1": "some_concerns", "d2": "no_information", "d3": "low",
                             "overall": "some_concerns"}},
        ["d1", "d2", "d3", "overall"], ["Randomisation", "Deviations", "Missing data", "Overall"])
    assert_matches_reference(f"rob-traffic-{language}", _png(traffic_light_plot(data, language=language)),
                             tmp_path)
    assert_matches_reference(f"rob-summary-{language}", _png(summary_plot(
        data, language=language, palette="colourblind", weights={"Ueda 2008": 20, "Brandenburg 2017": 50,
                                                                 "Oikonomaki 2019": 30})), tmp_path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_effect_direction_plot_looks_as_before(language: str, tmp_path: Path) -> None:
    table = effect_direction_table([
        EffectDirection("Ueda 2008", "ucmgp", "benefit", "fell"),
        EffectDirection("Ueda 2008", "pwv", "no_change", "unchanged"),
        EffectDirection("Brandenburg 2017", "ucmgp", "benefit", "fell"),
        EffectDirection("Brandenburg 2017", "pwv", "harm", "rose"),
        EffectDirection("Oikonomaki 2019", "ucmgp", "conflicting", "disagree"),
        EffectDirection("Oikonomaki 2019", "pwv", "increase", "rose"),
    ])
    labels = {"ucmgp": "未羧化 MGP" if language == "zh" else "dp-ucMGP", "pwv": "PWV"}
    fig = effect_direction_plot(table, outcome_labels=labels, language=language,
                                sample_sizes={"Ueda 2008": 40, "Brandenburg 2017": 120,
                                              "Oikonomaki 2019": 60})
    assert_matches_reference(f"effect-direction-{language}", _png(fig), tmp_path)


def test_leave_one_out_plot_looks_as_before(continuous: pd.DataFrame, tmp_path: Path) -> None:
    r = evisynth.pool(continuous, measure="MD", leave_one_out=True)
    assert_matches_reference("leave-one-out-en", _png(sensitivity_plot(r, "leave_one_out")), tmp_path)


def test_a_moved_label_is_caught(continuous: pd.DataFrame, tmp_path: Path) -> None:
    if UPDATE:
        pytest.skip("references are being regenerated")
    r = evisynth.pool(continuous, measure="MD", prediction="z")
    fig = forest_plot(r, arm_data=continuous, prediction_interval=True)
    fig.texts[0].set_x(fig.texts[0].get_position()[0] + 0.05)
    fig.texts[1].set_text("Something else entirely, drawn wide")
    with pytest.raises(AssertionError, match="forest-md-en"):
        assert_matches_reference("forest-md-en", _png(fig), tmp_path)


def test_svg_export_is_deterministic(continuous: pd.DataFrame) -> None:
    r = evisynth.pool(continuous, measure="MD")
    first = figure_to_bytes(forest_plot(r, arm_data=continuous), format="svg")
    second = figure_to_bytes(forest_plot(r, arm_data=continuous), format="svg")
    assert first == second
