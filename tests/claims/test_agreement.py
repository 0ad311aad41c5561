"""Claim recall and verdict agreement on the hand-annotated seeds 002, 003 and 004.

The annotations (validation/claims/annotations.yaml) were written from the evidence base before
the verdict rules (the 40 marked `added: precision_pass` after the precision pass, also before
looking at the engine); the targets come from the issue: recall >= 0.9, agreement >= 0.8, and no
claim called supported that the evidence contradicts.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from evisynth.claims import VERDICTS, EvidenceBase, appraise, compare
from evisynth.claims.model import GRADE_LEVELS


def squash(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def test_annotations_quote_the_seeds_and_name_real_evidence(
    annotations: dict[str, list[dict[str, Any]]], seed_text: dict[str, str], base: EvidenceBase
) -> None:
    ids = {e.id for e in base.entries}
    assert set(annotations) == {"002", "003", "004"}
    for seed, claims in annotations.items():
        for a in claims:
            assert squash(a["quote"]) in squash(seed_text[seed]), a["quote"]
            assert a["verdict"] in VERDICTS and a["why"]
            assert set(a["evidence"]) <= ids, a["evidence"]


def _totals(
    annotations: dict[str, list[dict[str, Any]]],
    seed_text: dict[str, str],
    base: EvidenceBase,
    which: str,
) -> tuple[int, int, int, int]:
    """(annotated, found, agreed, supported-but-contradicted) over the original claims ("original"),
    the 40 added after the precision pass ("added") or all of them ("all")."""
    annotated = found = agreed = bad = 0
    for seed, claims in annotations.items():
        chosen = [
            a for a in claims if which == "all" or (which == "added") == (a.get("added") == "precision_pass")
        ]
        report = compare(appraise(seed_text[seed], base), chosen)
        annotated += report.annotated
        found += report.found
        agreed += report.agreed
        bad += report.supported_but_contradicted
    return annotated, found, agreed, bad


def test_recall_and_agreement_meet_the_targets_on_the_original_annotation(
    annotations: dict[str, list[dict[str, Any]]], seed_text: dict[str, str], base: EvidenceBase
) -> None:
    annotated, found, agreed, bad = _totals(annotations, seed_text, base, "original")
    assert annotated == 67
    assert found / annotated >= 0.9
    assert agreed / found >= 0.8
    assert bad == 0


def test_recall_and_agreement_on_all_annotated_claims(
    annotations: dict[str, list[dict[str, Any]]], seed_text: dict[str, str], base: EvidenceBase
) -> None:
    """The 67 original claims plus the 40 the precision pass found (verdicts written by hand from the
    evidence base before the engine's output was looked at). Measured 86/105 = 0.819 (0.72 before
    the calcium-routing, bone-cell/combination and "no consistent benefit" rules); the assertion is
    the 0.8 target, a little below the measured value."""
    annotated, found, agreed, bad = _totals(annotations, seed_text, base, "all")
    assert annotated == 107
    assert found / annotated >= 0.9
    assert agreed / found >= 0.8
    assert bad == 0


def test_every_verdict_other_than_not_assessable_has_a_grade(
    base: EvidenceBase, seed_text: dict[str, str]
) -> None:
    for seed in ("002", "003", "004"):
        for a in appraise(seed_text[seed], base).claims:
            if a.verdict == "not_assessable":
                assert a.grade == ""
            else:
                assert a.grade in GRADE_LEVELS and any(u.role == "decisive" for u in a.evidence)
            assert a.explanation


def test_explanations_follow_the_article_language(base: EvidenceBase, seed_text: dict[str, str]) -> None:
    result = appraise(seed_text["003"], base)
    assert result.language == "zh"
    assert all(re.search(r"[\u4e00-\u9fff]", a.explanation) for a in result.claims)


def test_the_supplement_article_is_told_what_it_left_out(
    base: EvidenceBase, seed_text: dict[str, str]
) -> None:
    omissions = " ".join(appraise(seed_text["003"], base).omissions)
    assert "日本" in omissions


def test_wrong_terms_are_pointed_out(base: EvidenceBase, seed_text: dict[str, str]) -> None:
    notes_003 = " ".join(appraise(seed_text["003"], base).terminology)
    assert "甲喹酮" in notes_003 and "甲萘醌" in notes_003
    notes_000 = " ".join(appraise(seed_text["000"], base).terminology)
    assert "骨保护素" in notes_000 and "Matrix Gla Protein" in notes_000


def test_precision_of_the_detector(
    annotations: dict[str, list[dict[str, Any]]],
    non_claims: dict[str, dict[str, list[str]]],
    seed_text: dict[str, str],
    base: EvidenceBase,
) -> None:
    """Precision = flagged sentences that hold a health claim / all flagged sentences.

    validation/claims/non_claims.yaml sorts every sentence the original (recall-oriented) detector
    flagged beyond the annotations into missed claims (now in annotations.yaml, marked
    `added: precision_pass`) and non-claims, by hand: 40 missed claims, 79 non-claims, so
    precision was 108/187 = 0.58 before the non-claim rules; with them 105/131 = 0.80.
    A flagged sentence that none of the two files names fails the test (read it first).
    """
    flagged = true = 0
    for seed in ("002", "003", "004"):
        claims = [squash(a["quote"]) for a in annotations[seed]]
        claims += [squash(q) for q in non_claims[seed]["missed_claims"]]
        others = [squash(q) for q in non_claims[seed]["not_claims"]]
        for q in claims + others:
            assert q in squash(seed_text[seed]), q
        for a in appraise(seed_text[seed], base).claims:
            s = squash(a.claim.sentence)
            is_claim = any(q in s for q in claims)
            assert is_claim or any(q in s for q in others), s
            flagged += 1
            true += is_claim
    assert true / flagged >= 0.75


def test_recall_counts_the_claims_the_annotation_missed(
    annotations: dict[str, list[dict[str, Any]]],
    non_claims: dict[str, dict[str, list[str]]],
    seed_text: dict[str, str],
    base: EvidenceBase,
) -> None:
    total = found = 0
    for seed in ("002", "003", "004"):
        sentences = [squash(a.claim.sentence) for a in appraise(seed_text[seed], base).claims]
        quotes = [squash(a["quote"]) for a in annotations[seed]] + [
            squash(q) for q in non_claims[seed]["missed_claims"]
        ]
        total += len(quotes)
        found += sum(any(q in s for s in sentences) for q in quotes)
    assert total == 107
    assert found / total >= 0.9
