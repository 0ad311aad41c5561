"""The claim's population in the verdict: general-population claims backed only by special populations.

Expected verdicts from the evidence base by hand: the fracture trials with a benefit (Cockayne 2006:
Japanese postmenopausal women with osteoporosis; Mott 2019 clinical fractures: postmenopausal women
with osteoporosis; Shiraki 2000: elderly Japanese with osteoporosis) include no general population,
so "lowers fracture risk in adults" is overstated; for BMD, Knapen 2013 studied healthy
postmenopausal women (tagged general), so a general BMD claim is not downgraded by this rule.
"""

from __future__ import annotations

from evisynth.claims import EvidenceBase, appraise


def test_general_population_fracture_claim_is_overstated_with_a_note(base: EvidenceBase) -> None:
    (a,) = appraise("补充维生素K2可以降低成年人的骨折风险。", base).claims
    assert a.claim.population == ("general",)
    assert a.verdict == "overstated"
    assert "特定人群" in a.explanation and "不能直接推及普通人群" in a.explanation


def test_same_claim_in_english(base: EvidenceBase) -> None:
    (a,) = appraise("Vitamin K2 supplements reduce the risk of fractures in healthy adults.", base).claims
    assert a.verdict == "overstated"
    assert "special populations" in a.explanation


def test_general_bmd_claim_keeps_its_verdict(base: EvidenceBase) -> None:
    (a,) = appraise("维生素K2可以增加普通人群的骨密度。", base).claims
    assert a.verdict == "supported"
