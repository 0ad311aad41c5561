"""Effect sizes against hand arithmetic and the published formulas."""

import math

import numpy as np
import pytest

from evisynth.core import effects


def a(*x: float) -> np.ndarray:
    return np.array(x, dtype=float)


def test_log_risk_ratio_and_variance_by_hand() -> None:
    # 10/100 vs 20/100: RR = 0.5; var = 1/10 - 1/100 + 1/20 - 1/100 = 0.13
    es = effects.binary_effects(a(10), a(100), a(20), a(100), measure="RR")
    assert es.yi[0] == pytest.approx(math.log(0.5), rel=1e-12)
    assert es.vi[0] == pytest.approx(0.13, rel=1e-12)


def test_log_odds_ratio_adds_half_to_every_cell_of_a_table_with_a_zero() -> None:
    # 0/10 vs 5/10 → cells 0.5, 10.5, 5.5, 5.5: OR = 0.5*5.5/(10.5*5.5)
    es = effects.binary_effects(a(0), a(10), a(5), a(10), measure="OR")
    assert es.yi[0] == pytest.approx(math.log(0.5 / 10.5), rel=1e-12)
    assert es.vi[0] == pytest.approx(1 / 0.5 + 1 / 10.5 + 2 / 5.5, rel=1e-12)
    assert "added 0.5" in es.notes[0]


def test_double_zero_studies_are_dropped_for_ratios_and_kept_for_risk_difference() -> None:
    rr = effects.binary_effects(a(0, 3), a(10, 10), a(0, 1), a(10, 10), measure="RR")
    assert rr.kept.tolist() == [False, True]
    assert "no events" in rr.notes[0]
    rd = effects.binary_effects(a(0, 3), a(10, 10), a(0, 1), a(10, 10), measure="RD")
    assert rd.kept.tolist() == [True, True]
    # corrected table 0.5/11 vs 0.5/11: RD 0, var 2 * (0.5/11)(10.5/11)/11
    assert rd.yi[0] == 0.0
    assert rd.vi[0] == pytest.approx(2 * (0.5 / 11) * (10.5 / 11) / 11, rel=1e-12)


def test_all_events_in_both_arms_is_not_estimable_for_ratios() -> None:
    es = effects.binary_effects(a(10), a(10), a(8), a(8), measure="OR")
    assert not es.kept[0]
    assert "all participants" in es.notes[0]


def test_hedges_exact_correction_matches_its_approximation_for_large_samples() -> None:
    # J(m) ≈ 1 - 3/(4m - 1) (Hedges 1981); the two agree to O(m⁻²)
    m = np.array([10.0, 50.0, 200.0])
    assert np.all(np.abs(effects.hedges_correction(m) - (1 - 3 / (4 * m - 1))) < 0.05 / m**2)
    # exactly: J(10) = Γ(5)/(√5·Γ(4.5)) = 24/(√5 · 11.631728396567448)
    assert effects.hedges_correction(m)[0] == pytest.approx(24 / (math.sqrt(5) * 11.631728396567448))


def test_revman_smd_uses_its_published_formula() -> None:
    # d = (10 - 8)/2 = 1 with both SDs 2; N = 40 → g = 1 - 3/151; SE² = 40/400 + g²/(2·36.06)
    es = effects.standardized_mean_difference(
        a(10), a(2), a(20), a(8), a(2), a(20), variant="revman"
    )
    g = 1 - 3 / (4 * 40 - 9)
    assert es.yi[0] == pytest.approx(g, rel=1e-12)
    assert es.vi[0] == pytest.approx(40 / 400 + g**2 / (2 * (40 - 3.94)), rel=1e-12)


def test_peto_is_observed_minus_expected_over_hypergeometric_variance() -> None:
    # 5/50 vs 10/50: E = 50*15/100 = 7.5; V = 50*50*15*85/(100²*99)
    es = effects.peto_effects(a(5), a(50), a(10), a(50))
    v = 50 * 50 * 15 * 85 / (100**2 * 99)
    assert es.yi[0] == pytest.approx((5 - 7.5) / v, rel=1e-12)
    assert es.vi[0] == pytest.approx(1 / v, rel=1e-12)


def test_mean_change_variance_follows_handbook_6_5_2_8() -> None:
    # Mansour 2017 in seed 000: dp-ucMGP 556.1 ± 336.9 → 249.7 ± 161.8, n = 60, r assumed 0.5
    es = effects.mean_change(a(556.1), a(336.9), a(249.7), a(161.8), a(60), a(0.5))
    assert es.yi[0] == pytest.approx(249.7 - 556.1)
    sd2 = 336.9**2 + 161.8**2 - 336.9 * 161.8
    assert es.vi[0] == pytest.approx(sd2 / 60, rel=1e-12)
