"""Normalisation, Chinese numerals, units, sentences and segmentation (hand-worked examples)."""

from __future__ import annotations

import pytest

from evisynth.claims.lexicon import TERMS, find
from evisynth.claims.text import (
    detect_language,
    normalize,
    parse_chinese_number,
    quantities,
    sentence_spans,
    tokenize,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("四十五", 45),
        ("十二", 12),
        ("十", 10),
        ("两百", 200),
        ("一千五百", 1500),
        ("三万", 30000),
        ("五", 5),
        ("一百零五", 105),
    ],
)
def test_chinese_numerals(text: str, value: int) -> None:
    assert parse_chinese_number(text) == value


def test_chinese_numeral_rejects_other_text() -> None:
    with pytest.raises(ValueError, match="not a Chinese numeral"):
        parse_chinese_number("维生素")


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("每天45mg维生素K2", 45000, 45000),
        ("四十五毫克", 45000, 45000),
        ("每天500到1000微克", 500, 1000),
        ("每日50~200微克之间", 50, 200),
        ("成人补充量为70-140mcg", 70, 140),
        ("180 µg MK-7/day", 180, 180),
        ("180 μg (Greek mu)", 180, 180),
        ("90 ug a day", 90, 90),
        ("1到5毫克", 1000, 5000),
        ("recommended 50–200 µg a day", 50, 200),
        ("5 milligrams a day", 5000, 5000),
        ("45,000 mcg", 45000, 45000),
    ],
)
def test_quantities_in_micrograms(text: str, low: float, high: float) -> None:
    q = quantities(text)[0]
    assert (q.low_ug, q.high_ug) == (low, high)


def test_no_quantity_in_plain_numbers() -> None:
    assert quantities("50%的美国女性和25%的男性") == []


def test_normalize_unifies_width_micro_and_cjk_latin_spacing() -> None:
    assert normalize("维生素 K2（MK-4）：45％，μg") == "维生素K2(MK-4):45%,µg"


def test_language_detection() -> None:
    assert detect_language("每天45mg维生素K2(MK-4)可增加骨密度") == "zh"
    assert detect_language("Vitamin K2 halves fractures in older women.") == "en"


def test_sentences_split_in_both_languages_and_keep_bullet_lists_with_their_lead() -> None:
    text = (
        "临床试验表明,45mg维生素K2(MK-4)有助于:\n- 延缓骨质流失\n- 降低骨折风险\n"
        "下一句。Vitamin K is safe. Next one"
    )
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == [
        "临床试验表明,45mg维生素K2(MK-4)有助于:\n- 延缓骨质流失\n- 降低骨折风险",
        "下一句。",
        "Vitamin K is safe.",
        "Next one",
    ]


def test_segmentation_keeps_domain_terms_whole_and_adds_concepts() -> None:
    tokens = tokenize("甲萘醌-4可以降低骨折风险，骨钙素羧化", TERMS)
    assert "甲萘醌-4" in tokens and "§mk4" in tokens
    assert "骨折" in tokens and "§fracture" in tokens
    assert "骨钙素" in tokens or "§osteocalcin" in tokens
    # The rest falls back to character bigrams.
    assert "降低" in tokens


def test_chinese_and_english_meet_on_concepts() -> None:
    zh = set(tokenize("维生素K2降低骨折", TERMS))
    en = set(tokenize("vitamin K2 reduces fractures", TERMS))
    assert {"§k2", "§fracture"} <= zh & en


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("维生素K2(MK-4)", "mk4"),
        ("甲萘醌-4", "mk4"),
        ("四烯甲萘醌", "mk4"),
        ("menatetrenone", "mk4"),
        ("MK-7", "mk7"),
        ("menaquinone-7", "mk7"),
        ("叶绿醌", "k1"),
        ("phylloquinone", "k1"),
        ("维生素 K2", "k2"),
        ("维生素K", "k"),
    ],
)
def test_forms(text: str, form: str) -> None:
    assert find(text, "form")[0] == form
