"""Jadad scoring, RoB 1 summaries, GRADE levels and SWiM directions from their published rules."""

from __future__ import annotations

from dataclasses import replace

import pytest

from evisynth.review.appraisal import JadadAnswers, RobAssessment, jadad_score
from evisynth.review.certainty import (
    Certainty,
    Rating,
    corresponding_risk,
    suggest_imprecision,
    suggest_inconsistency,
)
from evisynth.review.errors import DomainError
from evisynth.review.model import Arm, ExtractedValue, Outcome, Protocol, Provenance, Review, Study
from evisynth.review.narrative import effect_direction, vote_count


def jadad(**changes: object) -> JadadAnswers:
    answers = {"randomised": True, "randomisation_method": "appropriate", "double_blind": True,
               "blinding_method": "appropriate", "withdrawals_described": True}
    return JadadAnswers.from_dict({**answers, **changes})


@pytest.mark.parametrize(
    ("changes", "score"),
    [
        ({}, 5),
        ({"randomisation_method": "not_described"}, 4),
        ({"randomisation_method": "inappropriate"}, 3),      # +1 randomised -1 method
        ({"blinding_method": "inappropriate"}, 3),
        ({"double_blind": False, "blinding_method": "not_described"}, 3),
        ({"randomised": False, "double_blind": False, "withdrawals_described": False}, 0),
        ({"randomised": False, "randomisation_method": "inappropriate", "double_blind": False,
          "withdrawals_described": False}, 0),  # no method point without randomisation
    ],
)
def test_jadad_follows_the_1996_rules(changes: dict, score: int) -> None:
    assert jadad_score(jadad(**changes)) == score


def test_jadad_answers_are_checked() -> None:
    with pytest.raises(DomainError, match="randomisation_method"):
        jadad(randomisation_method="computer")


def rob(**judgements: str) -> RobAssessment:
    domains = {d: {"judgement": j, "support": "quoted"} for d, j in judgements.items()}
    return RobAssessment.from_dict("s", domains)


def test_rob1_summary_follows_handbook_8_7() -> None:
    key = ("random_sequence_generation", "allocation_concealment")
    assert rob(random_sequence_generation="low", allocation_concealment="low").summary(key) == "low"
    assert rob(random_sequence_generation="low", allocation_concealment="unclear").summary(key) == "unclear"
    assert rob(random_sequence_generation="high", allocation_concealment="unclear").summary(key) == "high"
    assert rob(random_sequence_generation="low").summary(key) == "unclear"  # not assessed


def test_rob1_needs_support_text() -> None:
    with pytest.raises(DomainError, match="support"):
        RobAssessment.from_dict("s", {"other_bias": {"judgement": "low", "support": " "}})


def test_grade_levels_move_from_the_design_start() -> None:
    rct = Certainty("randomised", (Rating("risk_of_bias", -1, "x"), Rating("imprecision", -2, "y")))
    assert (rct.start, rct.level) == ("high", "very low")
    obs = Certainty("observational", (Rating("large_effect", 1, "RR 0.2"),))
    assert (obs.start, obs.level) == ("low", "moderate")
    with pytest.raises(DomainError, match="observational"):
        Certainty("randomised", (Rating("dose_response", 1, "z"),))


def test_grade_suggestions_from_numbers() -> None:
    assert suggest_inconsistency(80.0, 0.01, 5).change == -2
    assert suggest_inconsistency(60.0, 0.05, 5).change == -1
    assert suggest_inconsistency(60.0, 0.30, 5).change == 0
    assert suggest_imprecision(1000, 0.1, 0.5).change == 0
    assert suggest_imprecision(100, -0.1, 0.5).change == -2


def test_corresponding_risk_by_hand() -> None:
    # control risk 0.2: RR 0.5 → 0.1; OR 0.5 → 0.5·0.2/(1 - 0.2 + 0.1) = 0.1/0.9
    assert corresponding_risk(0.2, 0.5, measure="RR") == pytest.approx(0.1)
    assert corresponding_risk(0.2, 0.5, measure="OR") == pytest.approx(0.1 / 0.9)


def _review(values: list[tuple[str, str, str, float]], arms: tuple[Arm, ...]) -> Review:
    study = Study(id="s", label="S 2020", arms=arms)
    provenance = Provenance(report="r", location="§1", quote="q", extractor="x")
    return Review(
        id="r", protocol=Protocol(title="t"), studies=(study,),
        outcomes=(Outcome(id="o", name="o", lower_is_better=True),),
        values=tuple(ExtractedValue("s", arm, "o", tp, stat, v, "", provenance)
                     for arm, tp, stat, v in values),
    )


def test_effect_direction_compares_changes_between_arms() -> None:
    arms = (Arm(id="k", label="K2", role="experimental"), Arm(id="c", label="C", role="control"))
    # K2 falls by 100, control falls by 10: a larger fall on K2, lower is better → benefit
    review = _review([("k", "baseline", "mean", 500), ("k", "end", "mean", 400),
                      ("c", "baseline", "mean", 500), ("c", "end", "mean", 490)], arms)
    d = effect_direction(review, review.studies[0], review.outcomes[0])
    assert d.direction == "benefit"
    review = _review([("k", "baseline", "mean", 500), ("k", "end", "mean", 495),
                      ("c", "baseline", "mean", 500), ("c", "end", "mean", 400)], arms)
    assert effect_direction(review, review.studies[0], review.outcomes[0]).direction == "harm"


def test_vote_count_sign_test_by_hand() -> None:
    arms = (Arm(id="k", label="K2", role="single"),)
    review = _review([("k", "baseline", "mean", 5), ("k", "end", "mean", 4)], arms)
    d = effect_direction(review, review.studies[0], review.outcomes[0])
    assert d.direction == "benefit" and "single arm" in d.basis
    # 5 of 5 studies favour: two-sided sign test p = 2·0.5⁵ = 0.0625 (each study counts once)
    v = vote_count([replace(d, study=f"S {i}") for i in range(5)], "o")
    assert (v.benefit, v.harm) == (5, 0)
    assert v.p == pytest.approx(0.0625)
