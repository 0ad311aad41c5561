"""Duplicate links (pure domain): validation, groups, PRISMA counts by hand."""

from __future__ import annotations

import pytest

from evisynth.review.errors import DomainError
from evisynth.review.links import DuplicateLink, duplicate_groups, duplicates_removed, identification


def test_a_link_checks_its_fields() -> None:
    with pytest.raises(DomainError, match="cannot duplicate itself"):
        DuplicateLink(1, 1, 0.5, "doi", "auto")
    with pytest.raises(DomainError, match=r"score must be in 0\.\.1 \(got 1\.2\)"):
        DuplicateLink(1, 2, 1.2, "doi", "auto")
    with pytest.raises(DomainError, match="score must be"):
        DuplicateLink(1, 2, float("nan"), "doi", "auto")
    with pytest.raises(DomainError, match="status must be one of auto, needs_review"):
        DuplicateLink(1, 2, 0.5, "doi", "deleted")
    with pytest.raises(DomainError, match="needs decided_by"):
        DuplicateLink(1, 2, 0.5, "doi", "accepted")
    with pytest.raises(DomainError, match="name the rule"):
        DuplicateLink(1, 2, 0.5, " ", "auto")
    link = DuplicateLink(2, 1, 0.5, "doi", "needs_review")
    assert link.to_dict() == {"record": 2, "duplicate_of": 1, "score": 0.5, "rule": "doi",
                              "status": "needs_review", "decided_by": ""}
    assert not link.is_duplicate


def test_chains_and_two_way_links_form_one_group() -> None:
    links = [DuplicateLink(2, 1, 1.0, "doi", "auto"), DuplicateLink(3, 2, 0.9, "title", "auto"),
             DuplicateLink(1, 3, 0.9, "title", "accepted", "r"), DuplicateLink(5, 4, 0.9, "t", "auto"),
             DuplicateLink(7, 6, 0.6, "t", "needs_review"), DuplicateLink(9, 8, 0.6, "t", "rejected", "r")]
    assert duplicate_groups(links) == [frozenset({1, 2, 3}), frozenset({4, 5})]
    assert duplicates_removed(links) == 3  # {1,2,3} keeps one, {4,5} keeps one


def test_identification_counts_by_hand() -> None:
    databases = {1: "PubMed", 2: "PubMed", 3: "Embase", 4: "CNKI", 5: "CNKI", 6: "Wanfang"}
    links = [DuplicateLink(3, 1, 1.0, "doi", "auto"), DuplicateLink(5, 4, 0.8, "title", "needs_review")]
    counts = identification(databases, links)
    assert (counts.identified, counts.duplicates_removed) == (6, 1)
    assert (counts.screened, counts.awaiting_review) == (5, 1)
    assert counts.by_source == {"CNKI": 2, "Embase": 1, "PubMed": 2, "Wanfang": 1}
    with pytest.raises(DomainError, match="names record 9"):
        identification(databases, [DuplicateLink(9, 1, 1.0, "doi", "auto")])
