"""Seed 000's own abstract: the conclusion goes beyond the results, and the appraisal says so.

The abstract says carotid intima thickness "became thinner" and calcification slowed; §3.4.5
reports that CCA-IMT increased in both groups, and §3.4.4 that coronary calcification did not
differ between groups (p = 0.7).
"""

from __future__ import annotations

from evisynth.claims import EvidenceBase, appraise


def abstract(seed: str) -> str:
    return seed[: seed.index("关键词")]


def test_thinner_intima_claim_is_contradicted_by_the_reviews_own_results(
    base: EvidenceBase, seed_text: dict[str, str]
) -> None:
    result = appraise(abstract(seed_text["000"]), base)
    thinner = next(a for a in result.claims if "内膜厚度均变薄" in a.claim.sentence)
    assert thinner.verdict == "contradicted"
    decisive = {u.entry.id for u in thinner.evidence if u.role == "decisive"}
    assert decisive & {"s000_cacs", "s000_aac", "s000_conclusion", "s000_cimt"}


def test_conclusion_is_contradicted_and_cites_cimt_and_cacs(
    base: EvidenceBase, seed_text: dict[str, str]
) -> None:
    result = appraise(abstract(seed_text["000"]), base)
    conclusion = next(a for a in result.claims if a.claim.sentence.startswith("结论"))
    assert conclusion.verdict == "contradicted"
    assert {"cimt", "vascular_calcification"} <= set(conclusion.claim.outcomes)
    decisive = {u.entry.id for u in conclusion.evidence if u.role == "decisive"}
    assert decisive & {"s000_cacs", "s000_cimt", "s000_conclusion", "s000_aac"}
