"""The shipped evidence base: every number carries a source and the words it comes from."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest

from evisynth.claims import EvidenceBase, appraise, entry_from_dict
from evisynth.claims.model import GRADE_LEVELS


def squash(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def numbers(entry: dict[str, Any]) -> list[str]:
    eff = entry.get("effect") or {}
    return [f"{eff[k]:g}" for k in ("value", "lower", "upper") if eff.get(k) is not None]


def test_every_entry_is_complete(evidence_dicts: list[dict[str, Any]]) -> None:
    ids = [d["id"] for d in evidence_dicts]
    assert len(ids) == len(set(ids))
    for d in evidence_dicts:
        e = entry_from_dict(d)
        assert e.source and e.citation and e.certainty in GRADE_LEVELS, e.id
        if e.verified:
            assert e.quote and e.where, e.id
            # A seed, a DOI read on the page, or the address of the page the quote was read on.
            assert e.source.startswith(("seed:", "doi:", "pmid:", "url:")), e.id
            if e.source.startswith("doi:"):
                assert e.doi and e.source == f"doi:{e.doi}", e.id


def test_seed_quotes_are_in_the_seeds_and_hold_their_numbers(
    evidence_dicts: list[dict[str, Any]], seed_text: dict[str, str]
) -> None:
    seed_entries = [d for d in evidence_dicts if d["source"].startswith("seed:") and d.get("verified")]
    assert len(seed_entries) >= 10
    for d in seed_entries:
        seed = d["source"][5:8]
        assert squash(d["quote"]) in squash(seed_text[seed]), d["id"]
        label_numbers = re.findall(
            r"(?<![A-Za-z\d.-])\d+(?:\.\d+)?", (d.get("effect") or {}).get("label", "")
        )
        if label_numbers:
            assert any(n in squash(d["quote"]) for n in label_numbers), d["id"]


def test_effect_numbers_appear_in_their_quotes(evidence_dicts: list[dict[str, Any]]) -> None:
    for d in evidence_dicts:
        for n in numbers(d):
            assert n in d["quote"], (d["id"], n)


def test_unverified_entries_never_decide(evidence_dicts: list[dict[str, Any]]) -> None:
    items = [dict(d) for d in evidence_dicts if d["id"] in ("iom2001_ai", "efsa2017_ai")]
    for d in items:
        d["verified"] = False
    verified = EvidenceBase.from_dicts(d for d in evidence_dicts if d["id"] in ("iom2001_ai",))
    unverified = EvidenceBase.from_dicts(items)
    text = "维生素K的推荐摄入量为每天90~120微克。"
    assert appraise(text, verified).claims[0].verdict == "supported"
    result = appraise(text, unverified).claims[0]
    assert result.verdict == "not_assessable"
    assert all(u.role == "unverified" for u in result.evidence)


def test_a_verified_entry_without_a_quote_is_refused(evidence_dicts: list[dict[str, Any]]) -> None:
    d = dict(evidence_dicts[0], quote="")
    with pytest.raises(ValueError, match="needs the quote"):
        entry_from_dict(d)


def test_expert_statements_from_the_article_itself_are_not_used(
    base: EvidenceBase, seed_text: dict[str, str]
) -> None:
    result = appraise(seed_text["002"], base)
    used = {u.entry.id for a in result.claims for u in a.evidence if u.role == "decisive"}
    assert not used & {"s002_sbm_fracture", "s002_sbm_cvd"}
