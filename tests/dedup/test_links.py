"""Duplicate links: groups from auto/accepted links only, PRISMA counts, decisions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evisynth.review.links import (
    DuplicateLink,
    dedup_counts,
    duplicate_groups,
    group_of,
    review_queue,
)


def link(record: int, of: int, status: str = "auto", score: float = 1.0) -> DuplicateLink:
    return DuplicateLink(record, of, score, "test", status)


def test_groups_join_auto_and_accepted_links_transitively() -> None:
    links = [link(1, 0), link(2, 1, "accepted", 0.9), link(4, 3)]
    assert duplicate_groups(6, links) == ((0, 1, 2), (3, 4))
    assert group_of(6, links) == (0, 0, 0, 3, 3, 5)


def test_review_and_rejected_links_never_merge() -> None:
    links = [link(1, 0, "needs_review", 0.8), link(2, 0, "rejected", 0.9)]
    assert duplicate_groups(3, links) == ()
    counts = dedup_counts(3, links)
    assert counts.records_identified == 3
    assert counts.duplicates_removed == 0
    assert counts.records_after_dedup == 3
    assert counts.pairs_awaiting_review == 1
    assert counts.pairs_rejected == 1


def test_prisma_counts_are_records_minus_groups() -> None:
    # 7 records: {0,1,2}, {3,4}, 5, 6 -> 4 kept, 3 removed
    links = [link(1, 0), link(2, 0), link(4, 3), link(6, 5, "needs_review", 0.7)]
    counts = dedup_counts(7, links)
    assert (counts.duplicates_removed, counts.records_after_dedup) == (3, 4)
    assert counts.pairs_awaiting_review == 1


def test_decide_records_who_decided() -> None:
    pending = link(3, 1, "needs_review", 0.7)
    accepted = pending.decide(True, by="reviewer A")
    assert (accepted.status, accepted.decided_by, accepted.rule) == ("accepted", "reviewer A", "test")
    assert pending.decide(False, by="B").status == "rejected"
    with pytest.raises(ValueError, match="who made it"):
        pending.decide(True, by="")


def test_review_queue_most_likely_first() -> None:
    queue = review_queue([link(1, 0, "needs_review", 0.6), link(3, 2, "needs_review", 0.9), link(5, 4)])
    assert [q.pair for q in queue] == [(2, 3), (0, 1)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1, 1, 1.0, "r", "auto"), "itself"),
        ((1, 0, 1.5, "r", "auto"), "score"),
        ((1, 0, 1.0, "r", "merged"), "status"),
        ((-1, 0, 1.0, "r", "auto"), ">= 0"),
    ],
)
def test_invalid_links_are_refused(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DuplicateLink(*args)


def test_links_past_the_records_are_refused() -> None:
    with pytest.raises(ValueError, match="past the 2 records"):
        duplicate_groups(2, [link(2, 0)])


def test_link_to_dict_is_plain() -> None:
    assert link(2, 1).to_dict() == {
        "record": 2, "duplicate_of": 1, "score": 1.0, "rule": "test", "status": "auto", "decided_by": "",
    }


@given(st.lists(st.tuples(st.integers(0, 19), st.integers(0, 19)), max_size=40), st.randoms())
def test_groups_do_not_depend_on_link_order(pairs: list[tuple[int, int]], rnd) -> None:  # type: ignore[no-untyped-def]
    links = [link(a, b) for a, b in pairs if a != b]
    shuffled = list(links)
    rnd.shuffle(shuffled)
    groups = duplicate_groups(20, links)
    assert groups == duplicate_groups(20, shuffled)
    # every record is in at most one group, and the counts agree with the groups
    members = [i for g in groups for i in g]
    assert len(members) == len(set(members))
    assert dedup_counts(20, links).duplicates_removed == sum(len(g) - 1 for g in groups)
