"""Mechanism claims of harm or no effect are not backed by entries that describe a benefit.

Expected by hand from the evidence base: the mechanism and biomarker entries (schurgers2007_mechanism,
s000_mgp_mechanism, s000_ucmgp) all describe what vitamin K does (direction benefit); none says that
vitamin K fails to carboxylate osteocalcin, so such a claim is not assessable, while the positive
claim stays supported.
"""

from __future__ import annotations

from evisynth.claims import EvidenceBase, appraise


def test_no_effect_mechanism_claim_is_not_assessable(base: EvidenceBase) -> None:
    (a,) = appraise("维生素K2并不会改善羧化骨钙素的量。", base).claims
    assert a.claim.direction == "no_effect"
    assert a.verdict == "not_assessable"


def test_benefit_mechanism_claim_stays_supported(base: EvidenceBase) -> None:
    (a,) = appraise("维生素K2可以激活骨钙素。", base).claims
    assert a.verdict == "supported"


def test_preclinical_claim_is_not_assessable(base: EvidenceBase) -> None:
    # The base holds human trials and reference values only (no cell or animal entry).
    (a,) = appraise("临床前研究表明，维生素K2可以增加骨密度。", base).claims
    assert a.verdict == "not_assessable"
    (b,) = appraise("Animal studies show that vitamin K2 increases bone density.", base).claims
    assert b.verdict == "not_assessable"
