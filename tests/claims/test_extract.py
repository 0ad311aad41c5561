"""Claim detection and structure on hand-written sentences in Chinese and English."""

from __future__ import annotations

from evisynth.claims import extract_claims


def one(text: str):  # type: ignore[no-untyped-def]
    claims = extract_claims(text)
    assert len(claims) == 1, [c.sentence for c in claims]
    return claims[0]


def test_chinese_dose_effect_claim() -> None:
    c = one("每天45mg维生素K2(MK-4)可增加骨密度并显著降低骨折风险。")
    assert (c.form, c.outcome, c.direction, c.certainty) == ("mk4", "fracture", "benefit", "strong")
    assert c.dose is not None and c.dose.low_ug == 45000
    assert set(c.outcomes) >= {"fracture", "bmd"}
    assert c.language == "zh"


def test_chinese_numeral_dose() -> None:
    c = one("每天服用四十五毫克甲萘醌-4可以降低骨折风险。")
    assert c.form == "mk4" and c.dose is not None and c.dose.low_ug == 45000


def test_english_claims() -> None:
    text = (
        "Its bioavailability is twice that of K1. K2 prevents cardiovascular disease. "
        "The recommended intake of vitamin K2 is 50–200 µg a day. "
        "Vitamin K2 may slightly improve bone mineral density in postmenopausal women."
    )
    pk, cvd, intake, bmd = extract_claims(text)
    assert (pk.outcome, pk.kind, pk.ratio, pk.ratio_is_lower_bound) == ("bioavailability", "pk", 2.0, False)
    assert (cvd.form, cvd.outcome, cvd.direction) == ("k2", "cvd_events", "benefit")
    assert intake.kind == "intake" and intake.official and intake.dose is not None
    assert (intake.dose.low_ug, intake.dose.high_ug) == (50, 200)
    assert bmd.certainty == "hedged" and bmd.population == ("postmenopausal",)


def test_negation_caution_and_safety() -> None:
    text = (
        "尚无大型高质量 RCT 表明维生素 D3 和 K2 联合补充可显著降低普通人群的骨折发生率。"
        "服用华法林的人在服用维生素K之前应咨询医生。"
        "大剂量MK-4治疗骨质疏松没有副作用。"
    )
    neg, caution, safe = extract_claims(text)
    assert (neg.direction, neg.outcome) == ("no_effect", "fracture")
    assert (caution.direction, caution.outcome) == ("caution", "anticoagulant")
    assert (safe.direction, safe.outcome) == ("benefit", "safety")


def test_magnitudes() -> None:
    half = one("一项研究表明，大剂量维生素K2可使脊椎骨折的人数减少了一半。")
    assert half.ratio == 0.5 and half.study_report
    pct = one("补充维生素K2两年，椎体骨折发生率降低64%。")
    assert pct.ratio == 0.36
    fold = one("MK-7的半衰期可能是MK-4的两倍或更多。")
    assert (fold.form, fold.ratio, fold.ratio_is_lower_bound) == ("mk7", 2.0, True)


def test_form_carried_from_context_and_marked_inferred() -> None:
    first, second = extract_claims("维生素K2可以维持骨密度。它也有助于预防骨折。")
    assert (first.form, first.form_inferred) == ("k2", False)
    assert (second.form, second.form_inferred) == ("k2", True)


def test_questions_headings_and_references_are_not_claims() -> None:
    text = (
        "维生素 K 应该与维生素 D 一起服用吗?\n**骨骼健康**\n"
        "李丹. 维生素K2对骨质疏松及心血管疾病的影响[J]. 中国老年学杂志, 2021."
    )
    assert extract_claims(text) == []


def test_spans_point_into_the_original_text() -> None:
    text = "前言。\n维生素K2可以降低骨折风险。"
    c = one(text)
    assert text[c.start : c.end] == c.sentence == "维生素K2可以降低骨折风险。"
