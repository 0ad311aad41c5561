"""RoB 2 algorithms, branch by branch, from the RoB 2 guidance (Higgins et al. 2019)."""

from __future__ import annotations

import pytest

from evisynth.review.errors import DomainError
from evisynth.review.rob2 import (
    Rob2Assessment,
    assess_domain,
    domain1,
    domain2,
    domain3,
    domain4,
    domain5,
)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"1.1": "Y", "1.2": "Y", "1.3": "N"}, "low"),
        ({"1.1": "NI", "1.2": "PY", "1.3": "NI"}, "low"),
        ({"1.1": "N", "1.2": "Y", "1.3": "N"}, "some concerns"),
        ({"1.1": "Y", "1.2": "Y", "1.3": "Y"}, "some concerns"),
        ({"1.1": "Y", "1.2": "NI", "1.3": "N"}, "some concerns"),
        ({"1.1": "Y", "1.2": "NI", "1.3": "PY"}, "high"),
        ({"1.1": "Y", "1.2": "PN", "1.3": "N"}, "high"),
    ],
)
def test_domain1_randomization(answers: dict, expected: str) -> None:
    assert domain1(answers) == expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"2.1": "N", "2.2": "PN", "2.6": "Y"}, "low"),
        ({"2.1": "Y", "2.2": "N", "2.3": "N", "2.6": "PY"}, "low"),
        ({"2.1": "Y", "2.2": "Y", "2.3": "NI", "2.6": "Y"}, "some concerns"),
        ({"2.1": "Y", "2.2": "Y", "2.3": "Y", "2.4": "N", "2.6": "Y"}, "some concerns"),
        ({"2.1": "Y", "2.2": "Y", "2.3": "Y", "2.4": "NI", "2.5": "Y", "2.6": "Y"}, "some concerns"),
        ({"2.1": "Y", "2.2": "Y", "2.3": "Y", "2.4": "Y", "2.5": "NI", "2.6": "Y"}, "high"),
        ({"2.1": "N", "2.2": "N", "2.6": "N", "2.7": "PN"}, "some concerns"),
        ({"2.1": "N", "2.2": "N", "2.6": "NI", "2.7": "NI"}, "high"),
    ],
)
def test_domain2_deviations_worse_of_two_parts(answers: dict, expected: str) -> None:
    assert domain2(answers) == expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"3.1": "Y"}, "low"),
        ({"3.1": "N", "3.2": "PY"}, "low"),
        ({"3.1": "N", "3.2": "N", "3.3": "PN"}, "low"),
        ({"3.1": "NI", "3.2": "N", "3.3": "Y", "3.4": "N"}, "some concerns"),
        ({"3.1": "NI", "3.2": "N", "3.3": "NI", "3.4": "NI"}, "high"),
    ],
)
def test_domain3_missing_data(answers: dict, expected: str) -> None:
    assert domain3(answers) == expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"4.1": "PY"}, "high"),
        ({"4.1": "N", "4.2": "Y"}, "high"),
        ({"4.1": "N", "4.2": "N", "4.3": "N"}, "low"),
        ({"4.1": "N", "4.2": "N", "4.3": "Y", "4.4": "PN"}, "low"),
        ({"4.1": "N", "4.2": "N", "4.3": "Y", "4.4": "Y", "4.5": "N"}, "some concerns"),
        ({"4.1": "N", "4.2": "N", "4.3": "Y", "4.4": "Y", "4.5": "NI"}, "high"),
        ({"4.1": "NI", "4.2": "NI", "4.3": "N"}, "some concerns"),  # 4.2 NI: never low
        ({"4.1": "N", "4.2": "NI", "4.3": "Y", "4.4": "Y", "4.5": "PY"}, "high"),
    ],
)
def test_domain4_measurement(answers: dict, expected: str) -> None:
    assert domain4(answers) == expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"5.1": "Y", "5.2": "N", "5.3": "PN"}, "low"),
        ({"5.1": "NI", "5.2": "N", "5.3": "N"}, "some concerns"),
        ({"5.1": "Y", "5.2": "NI", "5.3": "N"}, "some concerns"),
        ({"5.1": "Y", "5.2": "N", "5.3": "PY"}, "high"),
    ],
)
def test_domain5_selective_reporting(answers: dict, expected: str) -> None:
    assert domain5(answers) == expected


def domains(*judgements: str) -> tuple:
    answers = {"low": {"5.1": "Y", "5.2": "N", "5.3": "N"},
               "some concerns": {"5.1": "NI", "5.2": "N", "5.3": "N"},
               "high": {"5.1": "Y", "5.2": "Y", "5.3": "N"}}
    return tuple(assess_domain("D5", answers[j], "quoted") for j in judgements)


def test_overall_is_the_worst_domain_with_the_optional_several_concerns_rule() -> None:
    assert Rob2Assessment("s", "o", domains("low", "low")).overall == "low"
    assert Rob2Assessment("s", "o", domains("low", "some concerns")).overall == "some concerns"
    assert Rob2Assessment("s", "o", domains("low", "high")).overall == "high"
    three = domains("some concerns", "some concerns", "some concerns")
    assert Rob2Assessment("s", "o", three).overall == "some concerns"
    assert Rob2Assessment("s", "o", three, several_concerns_mean_high=True).overall == "high"


def test_overrides_need_a_reason_and_answers_are_checked() -> None:
    answers = {"1.1": "Y", "1.2": "Y", "1.3": "N"}
    with pytest.raises(DomainError, match="override_reason"):
        assess_domain("D1", answers, "computer random numbers", judgement="high")
    d = assess_domain("D1", answers, "computer random numbers", judgement="some concerns",
                      override_reason="sealed envelopes were not opaque")
    assert (d.suggested, d.judgement) == ("low", "some concerns")
    with pytest.raises(DomainError, match=r"no question '1\.4'"):
        assess_domain("D1", {"1.4": "Y"}, "x")
    with pytest.raises(DomainError, match="must be one of"):
        assess_domain("D1", {"1.1": "yes"}, "x")


def test_two_assessors_differ_where_an_answer_a_judgement_or_the_outcome_differs() -> None:
    from evisynth.review.rob2 import assessment_from_dict, compare_assessments

    base = {"D1": {"1.1": "Y", "1.2": "Y", "1.3": "N"}, "D2": {"2.1": "N", "2.2": "N", "2.6": "Y"},
            "D3": {"3.1": "Y"}, "D4": {"4.1": "N", "4.2": "N", "4.3": "N"},
            "D5": {"5.1": "Y", "5.2": "N", "5.3": "N"}}

    def assessment(outcome: str, **changed: dict) -> Rob2Assessment:
        answers = {**base, **changed}
        return assessment_from_dict("s1", {"outcome": outcome, "domains": {
            d: {"answers": a, "support": "quote"} for d, a in answers.items()}})

    same = assessment("mgp")
    assert compare_assessments(same, assessment("mgp")) == ()
    # 1.2 PN instead of Y: D1 high (concealment N/PN), so overall high; 2.3 asked now (2.1 PY)
    # and answered N: part 1 stays low, but 2.3 differs from the other's unasked (NA) 2.3
    other = assessment("cac", D1={"1.1": "Y", "1.2": "PN", "1.3": "N"},
                       D2={"2.1": "PY", "2.2": "N", "2.3": "N", "2.6": "Y"})
    found = [(d.item, d.first, d.second) for d in compare_assessments(same, other)]
    assert found == [("outcome", "mgp", "cac"), ("1.2", "Y", "PN"), ("D1 judgement", "low", "high"),
                     ("2.1", "N", "PY"), ("2.3", "NA", "N"), ("overall", "low", "high")]
