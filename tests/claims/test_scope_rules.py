"""Claims the evidence base cannot back with trials of vitamin K alone on bone density.

Expected by hand from the evidence base (src/evisynth/claims/data/evidence.yaml):
- every trial of vascular calcification in it (s000_cacs, s000_aac and the third surrogate entry)
  found no difference, and no entry measured where calcium goes, so a "K2 sends calcium to bone,
  not vessels" claim is not supported;
- no entry measured bone cells (osteoblasts, osteoclasts), and no trial compared vitamin K given
  with other agents against vitamin K alone, so such claims are not assessable, while a plain
  bone-density claim is still judged against the BMD trials;
- a claim that studies show no consistent benefit on fractures agrees with the null and
  low-certainty fracture evidence, so it is supported (not waved off as background).
"""

from __future__ import annotations

from evisynth.claims import EvidenceBase, appraise


def test_calcium_routing_claim_is_not_supported(base: EvidenceBase) -> None:
    (a,) = appraise("维生素K2能把钙送到骨骼，防止血管钙化。", base).claims
    assert a.verdict == "not_supported"


def test_calcium_mechanism_claim_that_names_no_measured_marker_is_not_supported(base: EvidenceBase) -> None:
    (a,) = appraise("维生素K2的作用机制是管理钙的去向。", base).claims
    assert a.claim.outcome == "mechanism"
    assert a.verdict == "not_supported"


def test_mechanism_claim_naming_what_was_measured_stays_supported(base: EvidenceBase) -> None:
    (a,) = appraise("维生素K2可以激活骨钙素。", base).claims
    assert a.verdict == "supported"


def test_bone_cell_claim_is_not_assessable(base: EvidenceBase) -> None:
    (a,) = appraise("维生素K2可以促进成骨细胞的活性，提高骨密度。", base).claims
    assert a.verdict == "not_assessable"


def test_combination_against_alone_is_not_assessable(base: EvidenceBase) -> None:
    (a,) = appraise("维生素K2与维生素D3一起使用比单独使用更能提高骨密度。", base).claims
    assert a.verdict == "not_assessable"


def test_no_consistent_benefit_claim_is_compared_with_the_evidence(base: EvidenceBase) -> None:
    (a,) = appraise("现有研究未显示出对降低骨折风险有一致的益处。", base).claims
    assert a.claim.direction == "no_effect"
    assert a.verdict == "supported"
