"""Duplicate links between records: linked, never deleted.

A :class:`DuplicateLink` says that the record at position ``record`` duplicates the one at
``duplicate_of`` (0-based positions in the sequence that was deduplicated; the store maps
them to its ids), how sure the matcher was (``score`` in [0, 1]), which named rule made the
link, and where it stands: ``"auto"`` (certain, merged without asking), ``"needs_review"``
(uncertain, waiting in the review queue; cross-language pairs always land here),
``"accepted"`` or ``"rejected"`` (a person decided; ``decided_by`` says who).

Duplicate groups are the connected components of the auto and accepted links only, so a
pair under review or rejected never merges anything. PRISMA's "duplicates removed" is the
number of records minus the number of groups (singletons included).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from evisynth.review.model import _Plain

#: Link states; only :data:`MERGING` states join records into one group.
STATUSES: tuple[str, ...] = ("auto", "needs_review", "accepted", "rejected")
MERGING: frozenset[str] = frozenset({"auto", "accepted"})


@dataclass(frozen=True)
class DuplicateLink(_Plain):
    """``record`` duplicates ``duplicate_of`` (0-based input positions, ``duplicate_of < record``
    by convention so the earlier record is the one kept)."""

    record: int
    duplicate_of: int
    score: float
    rule: str
    status: str
    decided_by: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"link status {self.status!r} is not one of {STATUSES}")
        if self.record == self.duplicate_of:
            raise ValueError(f"record {self.record} cannot be linked to itself")
        if self.record < 0 or self.duplicate_of < 0:
            raise ValueError("record positions must be >= 0")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"link score must be in [0, 1] (got {self.score})")

    @property
    def pair(self) -> tuple[int, int]:
        """The two positions, smaller first."""
        return (min(self.record, self.duplicate_of), max(self.record, self.duplicate_of))

    def decide(self, accept: bool, by: str) -> DuplicateLink:
        """This link accepted or rejected by ``by`` (a reviewer's name or id)."""
        if not by:
            raise ValueError("a decision needs the name of who made it")
        status = "accepted" if accept else "rejected"
        return DuplicateLink(self.record, self.duplicate_of, self.score, self.rule, status, by)


@dataclass(frozen=True)
class DedupCounts(_Plain):
    """PRISMA numbers computed from the links."""

    records_identified: int
    duplicates_removed: int
    records_after_dedup: int
    pairs_awaiting_review: int
    pairs_rejected: int


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # the smaller position becomes the root so groups are keyed by their first record
            lo, hi = (ra, rb) if ra < rb else (rb, ra)
            self.parent[hi] = lo


def _check(n_records: int, links: Iterable[DuplicateLink]) -> list[DuplicateLink]:
    out = list(links)
    for link in out:
        if max(link.record, link.duplicate_of) >= n_records:
            raise ValueError(
                f"link {link.record}->{link.duplicate_of} points past the {n_records} records"
            )
    return out


def duplicate_groups(n_records: int, links: Iterable[DuplicateLink]) -> tuple[tuple[int, ...], ...]:
    """Groups of two or more records joined by auto/accepted links (union-find), each sorted,
    the groups ordered by their first record. Singletons are left out."""
    members: dict[int, list[int]] = {}
    for i, root in enumerate(group_of(n_records, links)):
        members.setdefault(root, []).append(i)
    return tuple(sorted(tuple(m) for m in members.values() if len(m) > 1))


def group_of(n_records: int, links: Iterable[DuplicateLink]) -> tuple[int, ...]:
    """For every record, the position of the record its group keeps (the group's first)."""
    uf = _UnionFind(n_records)
    for link in _check(n_records, links):
        if link.status in MERGING:
            uf.union(link.record, link.duplicate_of)
    return tuple(uf.find(i) for i in range(n_records))


def review_queue(links: Iterable[DuplicateLink]) -> tuple[DuplicateLink, ...]:
    """Links awaiting a decision, most likely duplicates first."""
    pending = [link for link in links if link.status == "needs_review"]
    return tuple(sorted(pending, key=lambda link: (-link.score, link.pair)))


def dedup_counts(n_records: int, links: Sequence[DuplicateLink]) -> DedupCounts:
    """PRISMA counts: records identified, duplicates removed (records minus groups, singletons
    counting as groups), records left, pairs awaiting review and pairs rejected."""
    kept = len(set(group_of(n_records, links)))
    return DedupCounts(
        records_identified=n_records,
        duplicates_removed=n_records - kept,
        records_after_dedup=kept,
        pairs_awaiting_review=sum(link.status == "needs_review" for link in links),
        pairs_rejected=sum(link.status == "rejected" for link in links),
    )
