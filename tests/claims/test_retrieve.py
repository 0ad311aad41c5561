"""BM25 with bilingual concept tokens: a hand-computed score and cross-language retrieval."""

from __future__ import annotations

import math

import pytest

from evisynth.claims import EvidenceBase
from evisynth.claims.retrieve import BM25


def test_score_matches_the_formula_by_hand() -> None:
    # Chinese query, English documents: they meet only on the concept token "§fracture".
    # N = 2, n = 1: idf = ln(1 + 1.5 / 1.5) = ln 2; tf = 1, |d| = avgdl = 2, so the
    # length factor is k1 = 1.2 and the score is ln 2 · 2.2 / 2.2 = ln 2.
    index = BM25().fit(["fracture", "bone density"])
    scores = index.scores("骨折")
    assert scores[0] == pytest.approx(math.log(2), abs=1e-12)
    assert scores[1] == 0.0


def test_chinese_claim_finds_the_english_trial(base: EvidenceBase) -> None:
    scores = base.index.scores("每天服用四十五毫克甲萘醌-4可以降低骨折风险")
    ranked = [base.entries[i].id for i in scores.argsort()[::-1][:5]]
    assert {"cockayne2006", "shiraki2000"} & set(ranked)


def test_english_claim_finds_the_chinese_seed_result(base: EvidenceBase) -> None:
    scores = base.index.scores("coronary calcification did not differ with MK-7")
    assert base.entries[int(scores.argmax())].id in {"s000_cacs", "s000_conclusion", "s000_aac"}
