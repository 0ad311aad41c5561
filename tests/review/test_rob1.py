"""Cochrane RoB 1: the seven domains and the summary of Handbook 5.1 table 8.7.a.

Table 8.7.a: low risk of bias — low risk for all key domains; unclear — unclear risk for one or
more key domains; high — high risk for one or more key domains.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evisynth.review.appraisal import DEFAULT_KEY_DOMAINS, ROB1_DOMAINS, ROB1_LABELS, RobAssessment
from evisynth.review.errors import DomainError


def rob(**judgements: str) -> RobAssessment:
    entries = {d: {"judgement": j, "support": "quoted"} for d, j in judgements.items()}
    return RobAssessment.from_dict("s", entries)


def all_domains(judgement: str, **changes: str) -> RobAssessment:
    return rob(**{**dict.fromkeys(ROB1_DOMAINS, judgement), **changes})


def test_the_seven_domains_of_table_8_5_a() -> None:
    assert [ROB1_LABELS[d][0] for d in ROB1_DOMAINS] == [
        "Random sequence generation", "Allocation concealment", "Blinding of participants and personnel",
        "Blinding of outcome assessment", "Incomplete outcome data", "Selective reporting", "Other bias",
    ]
    assert "other_bias" not in DEFAULT_KEY_DOMAINS and len(DEFAULT_KEY_DOMAINS) == 6


@pytest.mark.parametrize(
    ("assessment", "expected"),
    [
        (all_domains("low"), "low"),  # low for all key domains
        (all_domains("low", allocation_concealment="unclear"), "unclear"),  # one key domain unclear
        (all_domains("low", selective_reporting="high"), "high"),  # one key domain high
        (all_domains("unclear", blinding_outcome_assessment="high"), "high"),  # high outranks unclear
        (all_domains("low", other_bias="high"), "low"),  # not a key domain by default
    ],
)
def test_summary_follows_table_8_7_a(assessment: RobAssessment, expected: str) -> None:
    assert assessment.summary() == expected


def test_key_domains_are_the_reviews_choice() -> None:
    a = all_domains("low", other_bias="high")
    assert a.summary(ROB1_DOMAINS) == "high"
    assert a.summary(("random_sequence_generation",)) == "low"


@given(st.lists(st.sampled_from(("low", "unclear", "high")), min_size=7, max_size=7))
def test_summary_is_the_worst_key_judgement(judgements: list[str]) -> None:
    a = rob(**dict(zip(ROB1_DOMAINS, judgements, strict=True)))
    worst = max(judgements[:6], key=["low", "unclear", "high"].index)
    assert a.summary() == worst


# Seed 000, Table 1 (表 1), mapped to RoB 1: 计算机数字法 / 计算机随机系统 → low, a method not
# given → unclear; 分配隐藏 有 → low, 不详 → unclear; 双盲 → low, 未提 → unclear; 完整 → low,
# 不详 → unclear. Every row has at least one "不详" among its key domains, so none is low.
SEED_ROWS: dict[str, dict[str, str]] = {
    # 计算机数字法 | 双盲 | 分配隐藏 不详 | 选择性报告 完整 | 结果数据完整性 完整 | 其他偏倚来源 不详
    "Kurnatowska 2015": dict(random_sequence_generation="low", allocation_concealment="unclear",
                             blinding_participants_personnel="low", blinding_outcome_assessment="low",
                             incomplete_outcome_data="low", selective_reporting="low", other_bias="unclear"),
    # 计算机随机系统(1:1 分配) | 双盲 | 分配隐藏 有 | 选择性报告 完整 | 结果数据完整性 不详 | 其他 不详
    "Witham 2020": dict(random_sequence_generation="low", allocation_concealment="low",
                        blinding_participants_personnel="low", blinding_outcome_assessment="low",
                        incomplete_outcome_data="unclear", selective_reporting="low", other_bias="unclear"),
}


@pytest.mark.parametrize("study", list(SEED_ROWS))
def test_seed_000_rows_summarise_as_unclear(study: str) -> None:
    assert rob(**SEED_ROWS[study]).summary() == "unclear"


@pytest.mark.parametrize(
    ("entries", "match"),
    [
        ({"other_bias": {"judgement": "low", "support": "  "}}, "support"),
        ({"other_bias": {"judgement": "moderate", "support": "x"}}, "low, high or unclear"),
        ({"blinding": {"judgement": "low", "support": "x"}}, "not one of"),
    ],
)
def test_entries_are_checked(entries: dict[str, Any], match: str) -> None:
    with pytest.raises(DomainError, match=match):
        RobAssessment.from_dict("s", entries)
