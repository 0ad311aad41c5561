"""RoB 2 against the guidance's figures, over every answer set the conditions allow.

Higgins JPT et al. RoB 2 full guidance (22 August 2019), individually randomised parallel-group
trials, effect of assignment. The figures are written down here as data — each node a question
(or a pair of questions), each edge a set of answers — separately from the if/else algorithms in
``evisynth.review.rob2``, and every valid answer set is walked through both. The conditions on
the conditional questions and the response options (3.2 has no NI) are the guidance's.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evisynth.review.errors import DomainError
from evisynth.review.rob2 import (
    ALGORITHMS,
    Rob2Assessment,
    assess_domain,
    check_answers,
)

LOW, SOME, HIGH = "low", "some concerns", "high"
Figure = dict[str, dict[str, str]]

# Node "1.3a" asks question 1.3 (the letter tells the branches apart); "2.1&2.2" asks both.
FIGURES: dict[str, list[Figure]] = {
    "D1": [{
        "start": {"": "1.2"},
        "1.2": {"Y/PY": "1.1", "NI": "1.3b", "N/PN": HIGH},
        "1.1": {"Y/PY/NI": "1.3a", "N/PN": SOME},
        "1.3a": {"N/PN/NI": LOW, "Y/PY": SOME},
        "1.3b": {"N/PN/NI": SOME, "Y/PY": HIGH},
    }],
    "D2": [{  # part 1: 2.1 to 2.5
        "start": {"": "2.1&2.2"},
        "2.1&2.2": {"both N/PN": LOW, "either Y/PY/NI": "2.3"},
        "2.3": {"N/PN": LOW, "NI": SOME, "Y/PY": "2.4"},
        "2.4": {"N/PN": SOME, "Y/PY/NI": "2.5"},
        "2.5": {"Y/PY": SOME, "N/PN/NI": HIGH},
    }, {  # part 2: 2.6 and 2.7
        "start": {"": "2.6"},
        "2.6": {"Y/PY": LOW, "N/PN/NI": "2.7"},
        "2.7": {"N/PN": SOME, "Y/PY/NI": HIGH},
    }],
    "D3": [{
        "start": {"": "3.1"},
        "3.1": {"Y/PY": LOW, "N/PN/NI": "3.2"},
        "3.2": {"Y/PY": LOW, "N/PN": "3.3"},
        "3.3": {"N/PN": LOW, "Y/PY/NI": "3.4"},
        "3.4": {"N/PN": SOME, "Y/PY/NI": HIGH},
    }],
    "D4": [{
        "start": {"": "4.1"},
        "4.1": {"Y/PY": HIGH, "N/PN/NI": "4.2"},
        "4.2": {"Y/PY": HIGH, "N/PN": "4.3a", "NI": "4.3b"},
        "4.3a": {"N/PN": LOW, "Y/PY/NI": "4.4a"},
        "4.4a": {"N/PN": LOW, "Y/PY/NI": "4.5a"},
        "4.5a": {"N/PN": SOME, "Y/PY/NI": HIGH},
        "4.3b": {"N/PN": SOME, "Y/PY/NI": "4.4b"},
        "4.4b": {"N/PN": SOME, "Y/PY/NI": "4.5b"},
        "4.5b": {"N/PN": SOME, "Y/PY/NI": HIGH},
    }],
    "D5": [{
        "start": {"": "5.2&5.3"},
        "5.2&5.3": {"either Y/PY": HIGH, "both N/PN": "5.1", "one NI, neither Y/PY": SOME},
        "5.1": {"Y/PY": LOW, "N/PN/NI": SOME},
    }],
}
QUESTIONS = {"D1": ["1.1", "1.2", "1.3"], "D2": ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"],
             "D3": ["3.1", "3.2", "3.3", "3.4"], "D4": ["4.1", "4.2", "4.3", "4.4", "4.5"],
             "D5": ["5.1", "5.2", "5.3"]}
# "If ... to ...:" conditions of the conditional questions.
CONDITIONS = {
    "2.3": (("2.1", "2.2"), "Y/PY/NI", any), "2.4": (("2.3",), "Y/PY", any),
    "2.5": (("2.4",), "Y/PY/NI", any), "2.7": (("2.6",), "N/PN/NI", any),
    "3.2": (("3.1",), "N/PN/NI", any), "3.3": (("3.2",), "N/PN", any), "3.4": (("3.3",), "Y/PY/NI", any),
    "4.3": (("4.1", "4.2"), "N/PN/NI", all), "4.4": (("4.3",), "Y/PY/NI", any),
    "4.5": (("4.4",), "Y/PY/NI", any),
}
OPTIONS = ("Y", "PY", "PN", "N", "NI")


def walk(figure: Figure, answers: dict[str, str]) -> str:
    node = figure["start"][""]
    while node in figure:
        questions = node.rstrip("ab").split("&")
        given = [answers[q] for q in questions]
        for label, target in figure[node].items():
            if label.startswith("both "):
                hit = all(a in label[5:].split("/") for a in given)
            elif label.startswith("either "):
                hit = any(a in label[7:].split("/") for a in given)
            elif label == "one NI, neither Y/PY":
                hit = "NI" in given and not any(a in ("Y", "PY") for a in given)
            else:
                hit = given[0] in label.split("/")
            if hit:
                node = target
                break
        else:
            raise AssertionError(f"no edge out of {node} for {given}")
    return node


def figure_judgement(domain: str, answers: dict[str, str]) -> str:
    parts = [walk(f, answers) for f in FIGURES[domain]]
    return max(parts, key=[LOW, SOME, HIGH].index)  # D2: low only if both parts are low


def answer_sets(domain: str) -> Iterator[dict[str, str]]:
    def extend(done: dict[str, str], rest: list[str]) -> Iterator[dict[str, str]]:
        if not rest:
            yield done
            return
        q, *tail = rest
        condition = CONDITIONS.get(q)
        if condition and not condition[2](done[p] in condition[1].split("/") for p in condition[0]):
            yield from extend({**done, q: "NA"}, tail)
            return
        for option in OPTIONS:
            if q == "3.2" and option == "NI":  # 3.2 is answered NA/Y/PY/PN/N
                continue
            yield from extend({**done, q: option}, tail)

    yield from extend({}, QUESTIONS[domain])


@pytest.mark.parametrize("domain", list(FIGURES))
def test_algorithm_matches_the_guidance_figure_for_every_valid_answer_set(domain: str) -> None:
    seen = set()
    n = 0
    for answers in answer_sets(domain):
        expected = figure_judgement(domain, answers)
        assert ALGORITHMS[domain](answers) == expected, answers
        check_answers(domain, answers)  # every answer set the conditions allow is accepted
        seen.add(expected)
        n += 1
    assert seen == {LOW, SOME, HIGH}
    # the number of valid answer sets, counted by hand from the conditions (five options per
    # question asked, four for 3.2): D2 is part 1 (4 + 21·(3 + 2·(2 + 3·5))) times part 2 (2 + 3·5)
    assert n == {"D1": 5**3, "D2": (4 + 21 * (3 + 2 * (2 + 3 * 5))) * (2 + 3 * 5),
                 "D3": 2 + 3 * (2 + 2 * (2 + 3 * 5)), "D4": 2 * 5 + 3 * (2 + 3 * (2 + 3 * (2 + 3 * 5))),
                 "D5": 5**3}[domain]


@pytest.mark.parametrize(
    ("domain", "answers", "match"),
    [
        ("D1", {"1.1": "Y", "1.3": "N"}, r"question 1\.2 needs one of Y, PY, PN, N, NI \(got no answer\)"),
        ("D1", {"1.1": "NA", "1.2": "Y", "1.3": "N"}, r"question 1\.1 needs one of"),
        ("D2", {"2.1": "N", "2.2": "PN", "2.3": "Y", "2.6": "Y"},
         r"2\.3 is asked only if Y/PY/NI to 2\.1 or 2\.2, so its answer must be NA \(got 'Y'\)"),
        ("D2", {"2.1": "Y", "2.2": "N", "2.6": "Y"}, r"2\.3 \(asked because of Y/PY/NI to 2\.1 or 2\.2\)"),
        ("D2", {"2.1": "N", "2.2": "N", "2.6": "Y", "2.7": "N"}, r"2\.7 is asked only if N/PN/NI to 2\.6"),
        ("D3", {"3.1": "N", "3.2": "NI"},
         r"3\.2 \(asked because of N/PN/NI to 3\.1\) needs one of Y, PY, PN, N "),
        ("D4", {"4.1": "Y", "4.2": "N", "4.3": "N"}, r"4\.3 is asked only if N/PN/NI to 4\.1 and 4\.2"),
        ("D5", {"5.2": "N", "5.3": "N"}, r"question 5\.1 needs one of"),
    ],
)
def test_answers_must_follow_the_conditions(domain: str, answers: dict[str, str], match: str) -> None:
    with pytest.raises(DomainError, match=match):
        assess_domain(domain, answers, "quoted from the report")


def _domains(*judgements: str) -> tuple:
    answers = {LOW: {"5.1": "Y", "5.2": "N", "5.3": "N"}, SOME: {"5.1": "NI", "5.2": "N", "5.3": "N"},
               HIGH: {"5.1": "Y", "5.2": "Y", "5.3": "N"}}
    return tuple(assess_domain("D5", answers[j], "quoted") for j in judgements)


def test_overall_judgement_carries_its_reason() -> None:
    a = Rob2Assessment("s", "o", _domains(LOW, SOME, LOW, SOME, LOW))
    assert (a.overall, a.overall_reason) == (SOME, "some concerns in D5, D5; no domain at high risk")
    assert Rob2Assessment("s", "o", _domains(LOW, HIGH)).overall_reason == "high risk of bias in D5"
    assert Rob2Assessment("s", "o", _domains(LOW, LOW)).overall_reason == "low risk of bias in every domain"
    several = Rob2Assessment("s", "o", _domains(SOME, SOME, SOME), several_concerns_mean_high=True)
    assert several.overall == HIGH
    assert "some concerns in 3 domains" in several.overall_reason
