"""PRISMA identification counts from records and links, checked by hand."""

from __future__ import annotations

import pytest

from evisynth.review.errors import DomainError
from evisynth.review.identification import identification, linked_groups
from evisynth.review.links import DuplicateLink


def test_identification_counts_by_hand() -> None:
    databases = {11: "PubMed", 12: "PubMed", 13: "Embase", 14: "CNKI", 15: "CNKI", 16: "Wanfang", 17: "VIP"}
    links = [DuplicateLink(13, 11, 1.0, "doi", "auto"),
             DuplicateLink(16, 14, 0.9, "title", "accepted", "reviewer-a"),
             DuplicateLink(17, 16, 0.9, "title", "auto"),          # chain 17→16→14: one group of 3
             DuplicateLink(15, 14, 0.8, "title", "needs_review"),
             DuplicateLink(12, 11, 0.4, "title", "rejected", "reviewer-b")]
    counts = identification(databases, links)
    # groups {11, 13} and {14, 16, 17} keep one record each: 1 + 2 removed, 7 − 3 = 4 left.
    assert (counts.identified, counts.duplicates_removed, counts.screened) == (7, 3, 4)
    assert (counts.awaiting_review, counts.rejected) == (1, 1)
    assert counts.by_source == {"CNKI": 2, "Embase": 1, "PubMed": 2, "VIP": 1, "Wanfang": 1}


def test_a_link_to_an_uncounted_record_is_refused() -> None:
    with pytest.raises(DomainError, match="names record 9"):
        identification({1: "PubMed"}, [DuplicateLink(9, 1, 1.0, "doi", "auto")])


def test_linked_groups_are_sets_of_record_ids() -> None:
    links = [DuplicateLink(30, 10, 1.0, "doi", "auto"), DuplicateLink(70, 30, 0.9, "title", "accepted", "r"),
             DuplicateLink(50, 40, 0.8, "title", "needs_review"), DuplicateLink(90, 80, 0.9, "t", "auto")]
    assert linked_groups(links) == [frozenset({10, 30, 70}), frozenset({80, 90})]
    assert linked_groups([]) == []
