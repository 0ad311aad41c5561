"""GRADE certainty and Summary of Findings rows, checked against published GRADE tables.

Published examples:
- Cochrane Handbook 5.1, figure 11.5.a (a GRADE Summary of Findings table): compression
  stockings vs none for people taking long flights (Clarke et al. 2006).
- ACCP guidelines, 9th ed., Chest 2012;141(2 Suppl), table 25 (PMC3278049): compression
  stockings vs none for post-thrombotic syndrome.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evisynth.review.certainty import (
    ALLOWED_CHANGES,
    DOWNGRADE_DOMAINS,
    LEVELS,
    Certainty,
    Rating,
    RelativeEffect,
    absolute_effect,
    corresponding_risk,
    judge,
    optimal_information_size_binary,
    optimal_information_size_continuous,
    sof_row,
    suggest_imprecision,
    suggest_inconsistency,
    suggest_large_effect,
    suggest_publication_bias,
    suggest_risk_of_bias,
)
from evisynth.review.errors import DomainError


def rated(design: str, **changes: int) -> str:
    return Certainty(design, tuple(Rating(d, c, "because") for d, c in changes.items())).level


# --- levels (GRADE Handbook 5.1-5.3) ---------------------------------------------------------

@pytest.mark.parametrize(
    ("design", "changes", "level"),
    [
        ("randomised", {}, "high"),
        ("observational", {}, "low"),
        ("randomised", {"risk_of_bias": -1}, "moderate"),
        ("randomised", {"risk_of_bias": -1, "imprecision": -1}, "low"),
        ("randomised", {"inconsistency": -2, "indirectness": -1}, "very low"),
        ("randomised", {"risk_of_bias": -2, "imprecision": -2, "publication_bias": -1}, "very low"),  # floor
        ("observational", {"large_effect": 1}, "moderate"),
        ("observational", {"large_effect": 2}, "high"),
        ("observational", {"large_effect": 2, "dose_response": 1}, "high"),  # ceiling
        ("observational", {"dose_response": 1, "plausible_confounding": 1}, "high"),
        ("observational", {"risk_of_bias": -1}, "very low"),
        ("observational", {"large_effect": 1, "imprecision": -1}, "low"),
    ],
)
def test_certainty_starts_by_design_and_moves_by_the_ratings(design: str, changes: dict[str, int],
                                                             level: str) -> None:
    assert rated(design, **changes) == level


@pytest.mark.parametrize(
    ("design", "rating", "match"),
    [
        ("randomised", Rating("large_effect", 1, "RR 0.3"), "observational evidence only"),
        ("observational", Rating("dose_response", 1, "x"), None),
    ],
)
def test_upgrades_are_for_observational_evidence(design: str, rating: Rating, match: str | None) -> None:
    if match:
        with pytest.raises(DomainError, match=match):
            Certainty(design, (rating,))
    else:
        assert Certainty(design, (rating,)).level == "moderate"


@pytest.mark.parametrize(
    ("domain", "change", "reason", "match"),
    [
        ("imprecision", -3, "x", r"one of 0, -1, -2"),
        ("dose_response", 2, "x", r"one of 0, \+1"),  # a gradient raises by one level only
        ("plausible_confounding", 2, "x", r"one of 0, \+1"),
        ("risk_of_bias", 1, "x", r"one of 0, -1, -2"),
        ("imprecission", -1, "x", "unknown GRADE domain"),
        ("imprecision", -1, " ", "needs a reason"),
    ],
)
def test_ratings_are_checked(domain: str, change: int, reason: str, match: str) -> None:
    with pytest.raises(DomainError, match=match):
        Rating(domain, change, reason)


def test_each_domain_is_rated_once() -> None:
    with pytest.raises(DomainError, match="rated twice"):
        Certainty("randomised", (Rating("imprecision", -1, "a"), Rating("imprecision", -1, "b")))


ratings = st.dictionaries(st.sampled_from(list(ALLOWED_CHANGES)), st.integers(-2, 2)).map(
    lambda d: {k: v for k, v in d.items() if v in ALLOWED_CHANGES[k]})


@given(st.sampled_from(["randomised", "observational"]), ratings)
def test_certainty_never_rises_above_its_start_without_upgrades(design: str, changes: dict[str, int]) -> None:
    if design == "randomised":
        changes = {k: v for k, v in changes.items() if k in DOWNGRADE_DOMAINS}
    certainty = Certainty(design, tuple(Rating(k, v, "r") for k, v in changes.items()))
    start, level = LEVELS.index(certainty.start), LEVELS.index(certainty.level)
    if all(v <= 0 for v in changes.values()):
        assert level <= start
    assert level == min(max(start + sum(changes.values()), 0), 3)
    assert len(certainty.reasons) == sum(1 for v in changes.values() if v)


# --- absolute effects (Cochrane Handbook v6, 14.1.5 / 15.4.4) --------------------------------

def test_corresponding_risk_by_hand() -> None:
    # RR: CR = RR·ACR.  ACR 0.2, RR 0.5 → 0.1, i.e. 100 per 1000.
    assert corresponding_risk(0.2, 0.5, measure="RR") == pytest.approx(0.1)
    # OR: CR = OR·ACR / (1 − ACR + OR·ACR).  ACR 0.2, OR 0.5 → 0.1 / (0.8 + 0.1) = 0.1111, 111 per 1000.
    assert corresponding_risk(0.2, 0.5, measure="OR") == pytest.approx(0.1 / 0.9)
    # OR and RR agree as the risk goes to 0: ACR 0.001, OR 0.5 → 0.0005 / 0.9995.
    assert corresponding_risk(0.001, 0.5, measure="OR") == pytest.approx(0.0005 / 0.9995)
    with pytest.raises(DomainError, match=r"risk of 1\.5 > 1"):
        corresponding_risk(0.5, 3.0, measure="RR")
    with pytest.raises(DomainError, match=r"in \[0, 1\]"):
        corresponding_risk(20, 0.5, measure="RR")  # 20 per 100 given as 20
    with pytest.raises(DomainError, match="RR or OR"):
        corresponding_risk(0.2, 0.5, measure="HR")


def test_compression_stockings_summary_of_findings_row() -> None:
    """Cochrane Handbook 5.1 figure 11.5.a, symptomless deep vein thrombosis: RR 0.10 (0.04 to
    0.26), 2637 participants (9 studies), high certainty; low-risk population 10 per 1000 →
    1 per 1000 (0 to 3), high-risk population 30 per 1000 → 3 per 1000 (1 to 8)."""
    # by hand: 10·0.10 = 1, 10·0.04 = 0.4 → 0, 10·0.26 = 2.6 → 3; 30·0.10 = 3, 30·0.04 = 1.2 → 1,
    # 30·0.26 = 7.8 → 8 (per 1000)
    imprecision = suggest_imprecision(2637, 0.04, 0.26, null_value=1.0)
    assert imprecision.change == 0
    row = sof_row("Symptomless deep vein thrombosis", participants=2637, studies=9,
                  certainty=Certainty("randomised", (imprecision,)),
                  relative=RelativeEffect("RR", 0.10, 0.04, 0.26), assumed_risks=(0.010, 0.030))
    cells = row.cells()
    assert cells["relative effect (95% CI)"] == "RR 0.10 (0.04 to 0.26)"
    assert cells["participants (studies)"] == "2637 (9 studies)"
    assert cells["certainty"] == "⊕⊕⊕⊕ high"
    assert cells["assumed risk"] == "10 per 1000; 30 per 1000"
    assert cells["corresponding risk"] == "1 per 1000 (0 to 3); 3 per 1000 (1 to 8)"
    assert cells["risk difference"] == ("9 fewer per 1000 (from 10 fewer to 7 fewer); "
                                        "27 fewer per 1000 (from 29 fewer to 22 fewer)")
    json.dumps(row.to_dict(), ensure_ascii=False)


def test_compression_stockings_superficial_vein_thrombosis() -> None:
    """Same figure: RR 0.45 (0.18 to 1.13), 1804 participants (8 studies), moderate certainty;
    13 per 1000 → 6 per 1000 (2 to 15)."""
    # by hand: 13·0.45 = 5.85 → 6; 13·0.18 = 2.34 → 2; 13·1.13 = 14.69 → 15
    effect = absolute_effect(RelativeEffect("RR", 0.45, 0.18, 1.13), 0.013)
    assert [round(1000 * x) for x in (effect.corresponding_risk, effect.corresponding_low,
                                      effect.corresponding_high)] == [6, 2, 15]
    # The CI includes no effect with 1804 participants (over 400): one level down from the
    # numbers, which reproduces the figure's "moderate".
    imprecision = suggest_imprecision(1804, 0.18, 1.13, null_value=1.0)
    assert imprecision.change == -1 and "includes no effect" in imprecision.reason
    assert Certainty("randomised", (imprecision,)).level == "moderate"


def test_chest_2012_table_25_and_the_reviewer_over_the_suggestion() -> None:
    """Chest 2012 table 25, symptomatic relief: 115 participants (2 studies), RR 0.96 (0.70 to
    1.31), 579 per 1000 without stockings, 23 fewer per 1000 (from 174 fewer to 179 more); low
    certainty "due to risk of bias and imprecision"."""
    # by hand: 579·(0.96 − 1) = −23.2 → 23 fewer; 579·(0.70 − 1) = −173.7 → 174 fewer;
    # 579·(1.31 − 1) = 179.5 → 179 more
    row = sof_row("Symptomatic relief", participants=115, studies=2,
                  certainty=Certainty("randomised", (
                      Rating("risk_of_bias", -1, "allocation not concealed"),
                      # The numbers suggest -2 (115 < 400 and the CI includes 1); the guideline
                      # panel rated down once. The reviewer's rating stands, the suggestion is kept.
                      judge(suggest_imprecision(115, 0.70, 1.31, null_value=1.0), change=-1,
                            reason="CI includes appreciable benefit and harm"),
                  )),
                  relative=RelativeEffect("RR", 0.96, 0.70, 1.31), assumed_risks=(0.579,))
    assert row.cells()["risk difference"] == "23 fewer per 1000 (from 174 fewer to 179 more)"
    assert row.certainty.level == "low"
    assert row.certainty.ratings[1].suggested == -2
    assert row.certainty.reasons == ("risk of bias (-1): allocation not concealed",
                                     "imprecision (-1): CI includes appreciable benefit and harm")


def test_judge_records_departures_and_needs_a_reason() -> None:
    suggestion = suggest_inconsistency(62.0, 0.03, 6)
    assert suggestion.change == -1
    assert judge(suggestion) == Rating("inconsistency", -1, suggestion.reason)
    kept = judge(suggestion, change=0, reason="all effects on the same side; I² from small SEs")
    assert (kept.change, kept.suggested) == (0, -1)
    with pytest.raises(DomainError, match="departs from the suggested -1"):
        judge(suggestion, change=0)


# --- suggestions from numbers ----------------------------------------------------------------

@pytest.mark.parametrize(
    ("i2", "p", "k", "change"),
    [(80.0, 0.001, 5, -2), (75.0, 0.05, 5, -2), (60.0, 0.05, 5, -1), (50.0, 0.09, 4, -1),
     (49.9, 0.01, 5, 0), (60.0, 0.30, 3, 0), (0.0, 1.0, 1, 0), (None, None, 3, 0)],
)
def test_inconsistency_from_i2_thresholds(i2: float | None, p: float | None, k: int, change: int) -> None:
    assert suggest_inconsistency(i2, p, k).change == change


@pytest.mark.parametrize(
    ("participants", "ci", "null", "change"),
    [(1000, (0.1, 0.5), 0.0, 0), (1000, (-0.1, 0.5), 0.0, -1), (100, (0.1, 0.5), 0.0, -1),
     (100, (-0.1, 0.5), 0.0, -2), (500, (0.8, 1.2), 1.0, -1), (500, (1.1, 1.9), 1.0, 0)],
)
def test_imprecision_from_the_ci_and_the_information_size(
    participants: int, ci: tuple[float, float], null: float, change: int
) -> None:
    assert suggest_imprecision(participants, *ci, null_value=null).change == change


def test_optimal_information_size_by_hand() -> None:
    # z = z(0.975) + z(0.80) = 1.959964 + 0.841621 = 2.801585, z² = 7.848880
    # continuous, 0.2 SD: 2·7.848880 / 0.2² = 392.44 → 393 per group, 786 in all
    assert optimal_information_size_continuous(0.2) == 786
    # binary, control risk 0.20, RRR 25% → 0.15: 7.848880·(0.2·0.8 + 0.15·0.85) / 0.05² = 902.6
    # → 903 per group, 1806 in all
    assert optimal_information_size_binary(0.20, 0.25) == 1806


@pytest.mark.parametrize(
    ("ratio", "design", "change"),
    [(0.4, "observational", 1), (2.5, "observational", 1), (0.15, "observational", 2),
     (6.0, "observational", 2), (1.5, "observational", 0), (0.15, "randomised", 0)],
)
def test_large_effect_thresholds_of_grade_guidelines_9(ratio: float, design: str, change: int) -> None:
    assert suggest_large_effect(ratio, design=design).change == change


def test_risk_of_bias_and_publication_bias_suggestions() -> None:
    assert suggest_risk_of_bias({"a": "low", "b": "low", "c": "unclear"}).change == 0
    assert suggest_risk_of_bias({"a": "low", "b": "unclear", "c": "high"}).change == -1
    assert suggest_risk_of_bias({"a": "high", "b": "high", "c": "low"}).change == -2
    assert "not assessable with 4 studies" in suggest_publication_bias(4).reason
