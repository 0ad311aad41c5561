"""SWiM: effect directions, vote counting and the sign test, checked by hand.

Cochrane Handbook v6, 12.2.2.5: count the studies whose effect favours the intervention against
those that favour the comparator and test with a two-sided sign test; report the proportion with
a (Wilson) confidence interval. Effect direction plot: Thomson & Thomas 2013, Boon & Thomson 2021.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evisynth.review.errors import DomainError
from evisynth.review.narrative import (
    EffectDirection,
    combine_directions,
    direction_from_estimate,
    effect_direction_table,
    sign_test,
    vote_count,
)


def ed(study: str, direction: str, outcome: str = "o") -> EffectDirection:
    return EffectDirection(study, outcome, direction, "read from the report")


@pytest.mark.parametrize(
    ("benefit", "harm", "p"),
    [
        (7, 1, 2 * (1 + 8) / 2**8),  # 2·P(X ≥ 7 | 8, ½) = 2·(C(8,7) + C(8,8))/256 = 18/256 = 0.0703
        (1, 7, 2 * (1 + 8) / 2**8),  # the test is two-sided
        (5, 0, 2 / 2**5),  # 2·0.5⁵ = 0.0625
        (3, 3, 1.0),
        # Boon & Thomson (Cochrane Colloquium 2019; Res Synth Methods 2021) report P = 0.0039 for
        # housing condition and P = 0.2188 for general health: 9 of 9 and 5 of 6 give exactly these.
        (9, 0, 2 / 2**9),  # 0.00390625
        (5, 1, 2 * (1 + 6) / 2**6),  # 14/64 = 0.21875
    ],
)
def test_sign_test_by_hand(benefit: int, harm: int, p: float) -> None:
    assert sign_test(benefit, harm) == pytest.approx(p, rel=1e-12)


def test_sign_test_published_values_round_as_reported() -> None:
    assert f"{sign_test(9, 0):.4f}" == "0.0039"
    assert f"{sign_test(5, 1):.4f}" == "0.2188"
    assert sign_test(0, 0) is None


@given(st.integers(0, 60), st.integers(0, 60))
def test_sign_test_is_a_symmetric_probability(benefit: int, harm: int) -> None:
    p = sign_test(benefit, harm)
    if benefit + harm == 0:
        assert p is None
        return
    assert p is not None and 0 < p <= 1
    assert p == pytest.approx(sign_test(harm, benefit))
    if benefit == harm:
        assert p == pytest.approx(1.0)


def test_vote_count_leaves_no_change_and_conflicting_out_of_the_test() -> None:
    directions = [ed(f"S{i}", "benefit") for i in range(7)] + [ed("S7", "harm"), ed("S8", "no_change"),
                                                               ed("S9", "conflicting")]
    v = vote_count(directions, "o")
    assert (v.benefit, v.harm, v.no_change, v.conflicting) == (7, 1, 1, 1)
    assert v.p == pytest.approx(18 / 256)
    # Wilson interval for 7 of 8 (Brown, Cai & DasGupta 2001), by the formula:
    # centre (p̂ + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n)·√(p̂(1 − p̂)/n + z²/4n²)
    z, n, phat = 1.959963984540054, 8, 7 / 8
    centre = (phat + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(phat * (1 - phat) / n + z**2 / (4 * n**2))
    assert v.proportion_benefit == 0.875
    assert (v.ci_low, v.ci_high) == (pytest.approx(centre - half), pytest.approx(centre + half))
    assert (round(centre - half, 3), round(centre + half, 3)) == (0.529, 0.978)
    assert "7 of 8 studies" in str(v)


def test_a_study_counts_once() -> None:
    with pytest.raises(DomainError, match="counts once"):
        vote_count([ed("S1", "benefit"), ed("S1", "harm")], "o")


@pytest.mark.parametrize(
    ("estimate", "null", "higher_is_better", "direction"),
    [(-142.4, 0.0, False, "benefit"), (26.8, 0.0, False, "harm"), (1.2, 1.0, True, "benefit"),
     (0.8, 1.0, True, "harm"), (0.0, 0.0, True, "no_change")],
)
def test_direction_from_estimate_ignores_significance(estimate: float, null: float, higher_is_better: bool,
                                                      direction: str) -> None:
    assert direction_from_estimate(estimate, null_value=null, higher_is_better=higher_is_better) == direction


@pytest.mark.parametrize(
    ("directions", "combined"),
    [
        (["benefit"] * 7 + ["harm"] * 3, "benefit"),  # 70%: enough
        (["benefit"] * 6 + ["harm"] * 4, "conflicting"),  # 60%: not enough
        (["benefit", "benefit", "no_change"], "conflicting"),  # 67%
        (["harm", "harm", "harm", "benefit"], "harm"),  # 75%
        (["no_change"] * 3, "no_change"),
        (["benefit", "not_assessable"], "benefit"),  # only assessable outcomes vote
        (["not_assessable"], "not_assessable"),
    ],
)
def test_combine_directions_by_the_70_percent_rule(directions: list[str], combined: str) -> None:
    assert combine_directions(directions) == combined


def test_combine_directions_checks_its_inputs() -> None:
    with pytest.raises(DomainError, match="agreement"):
        combine_directions(["benefit"], agreement=0.5)
    with pytest.raises(DomainError, match="one of"):
        combine_directions(["better"])


def test_seed_000_dp_ucmgp_effect_direction_table() -> None:
    """DP-ucMGP, lower is better (seed 000 §3.4.1); change on vitamin K2 minus change on control."""
    directions = [
        # "维生素 K2 + 维生素 D 组的 DP-ucMGP 值下降(1077.1 ± 507.7 vs 961.5 ± 506.7, p = 0.02)，而维生素
        # D 组则略有上升(793.9 ± 400.3 vs 820.7 ± 565.2, p = 0.5)": (961.5 − 1077.1) − (820.7 − 793.9)
        # = −115.6 − 26.8 = −142.4
        EffectDirection("Kurnatowska 2015", "DP-ucMGP",
                        direction_from_estimate((961.5 - 1077.1) - (820.7 - 793.9), higher_is_better=False),
                        "change −115.6 vs control +26.8 (§3.4.1)"),
        # "维生素 K2 组的 DP-ucMGP 值从 8342 ± 10,047 降至 4218 ± 6505，而对照组从 8903 ± 10,517 降至
        # 8050 ± 12,155": (4218 − 8342) − (8050 − 8903) = −4124 + 853 = −3271
        EffectDirection("Oikonomaki 2019", "DP-ucMGP",
                        direction_from_estimate((4218 - 8342) - (8050 - 8903), higher_is_better=False),
                        "change −4124 vs control −853 (§3.4.1)"),
        # single arm, before and after: "8 周后 DP-ucMGP 值由 556.1 ± 336.9 降至 249.7 ± 161.8"
        EffectDirection("Mansour 2017", "DP-ucMGP",
                        direction_from_estimate(249.7 - 556.1, higher_is_better=False),
                        "single arm, 556.1 → 249.7 (§3.4.1)"),
    ]
    table = effect_direction_table(directions)
    assert table.studies == ("Kurnatowska 2015", "Oikonomaki 2019", "Mansour 2017")
    assert table.symbols() == [["▲"], ["▲"], ["▲"]]
    (votes,) = table.votes
    # 3 of 3 favour vitamin K2: p = 2·0.5³ = 0.25 — three studies cannot show an effect by sign
    assert (votes.benefit, votes.harm, votes.p) == (3, 0, pytest.approx(0.25))
    assert "sign test p = 0.2500" in str(table)
    json.dumps(table.to_dict(), ensure_ascii=False)


def test_table_cells_left_empty_where_a_study_has_no_result() -> None:
    table = effect_direction_table([ed("A", "benefit", "x"), ed("B", "harm", "y"),
                                    ed("A", "conflicting", "y")])
    assert table.outcomes == ("x", "y")
    assert table.symbols() == [["▲", "◄►"], ["", "▼"]]
    with pytest.raises(DomainError, match="more than one direction"):
        effect_direction_table([ed("A", "benefit"), ed("A", "harm")])
