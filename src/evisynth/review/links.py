"""Duplicate links between records: a duplicate is linked to the record it repeats, never deleted.

A :class:`DuplicateLink` says "record ``record`` repeats record ``duplicate_of``", with the
score (0..1) and the rule that proposed it, and its status:

- ``auto``: the rule was sure enough to link without a reviewer (still reversible);
- ``needs_review``: uncertain; it waits in the review queue;
- ``accepted`` / ``rejected``: a reviewer decided (``decided_by`` names them).

PRISMA's "duplicates removed" comes from the links: records joined by ``auto`` or
``accepted`` links form groups, and each group keeps one record (:func:`duplicates_removed`,
:func:`identification`). Chains (A→B, B→C) and links drawn both ways round count correctly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from math import isfinite

from evisynth.review.errors import DomainError
from evisynth.review.model import _Plain

#: Every status a link can have, in the order of its life.
LINK_STATUSES: tuple[str, ...] = ("auto", "needs_review", "accepted", "rejected")
#: Statuses under which the linked record counts as a duplicate.
LINKED: frozenset[str] = frozenset({"auto", "accepted"})
#: What a reviewer may decide.
DECISIONS: tuple[str, ...] = ("accepted", "rejected")


@dataclass(frozen=True)
class DuplicateLink(_Plain):
    """``record`` duplicates ``duplicate_of`` (both record ids), proposed by ``rule`` with ``score``."""

    record: int
    duplicate_of: int
    score: float
    rule: str
    status: str
    decided_by: str = ""

    def __post_init__(self) -> None:
        if self.record == self.duplicate_of:
            raise DomainError(f"record {self.record} cannot duplicate itself; link two different records")
        if not isfinite(self.score) or not 0.0 <= self.score <= 1.0:
            raise DomainError(f"link {self.record}→{self.duplicate_of}: score must be in 0..1 "
                              f"(got {self.score!r})")
        if self.status not in LINK_STATUSES:
            raise DomainError(f"link {self.record}→{self.duplicate_of}: status must be one of "
                              f"{', '.join(LINK_STATUSES)} (got {self.status!r})")
        if not self.rule.strip():
            raise DomainError(f"link {self.record}→{self.duplicate_of}: name the rule that made it")
        if self.status in DECISIONS and not self.decided_by.strip():
            raise DomainError(f"link {self.record}→{self.duplicate_of}: an {self.status} link needs "
                              "decided_by (who decided)")

    @property
    def is_duplicate(self) -> bool:
        """True when the link counts: ``auto`` or ``accepted``."""
        return self.status in LINKED


def duplicate_groups(links: Iterable[DuplicateLink]) -> list[frozenset[int]]:
    """Groups of records joined by ``auto`` or ``accepted`` links (union-find), each sorted
    group given once, ordered by its smallest id; records without such links are not listed."""
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        parent.setdefault(i, i)
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for link in links:
        if link.is_duplicate:
            a, b = root(link.record), root(link.duplicate_of)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, set[int]] = {}
    for i in list(parent):
        groups.setdefault(root(i), set()).add(i)
    return [frozenset(g) for _, g in sorted(groups.items())]


def duplicates_removed(links: Iterable[DuplicateLink]) -> int:
    """How many records deduplication removes: each group of linked records keeps one."""
    return sum(len(g) - 1 for g in duplicate_groups(links))


@dataclass(frozen=True)
class IdentificationCounts(_Plain):
    """PRISMA 2020's identification box, computed from records and links.

    ``identified`` counts every imported record; ``by_source`` splits it by database
    (``""`` for records whose file named none); ``duplicates_removed`` is what the
    ``auto``/``accepted`` links remove; ``screened`` what is left for screening;
    ``awaiting_review`` the links still in the review queue (their records still count as
    distinct until decided).
    """

    identified: int
    by_source: dict[str, int]
    duplicates_removed: int
    screened: int
    awaiting_review: int


def identification(databases: Mapping[int, str], links: Iterable[DuplicateLink]) -> IdentificationCounts:
    """Counts for the records ``databases`` (record id → database name) under ``links``.

    Raises DomainError when a link names a record that is not in ``databases``.
    """
    links = list(links)
    for link in links:
        for i in (link.record, link.duplicate_of):
            if i not in databases:
                raise DomainError(f"link {link.record}→{link.duplicate_of} names record {i}, which is "
                                  "not among the records counted")
    by_source: dict[str, int] = {}
    for name in databases.values():
        by_source[name] = by_source.get(name, 0) + 1
    removed = duplicates_removed(links)
    return IdentificationCounts(
        identified=len(databases), by_source=dict(sorted(by_source.items())),
        duplicates_removed=removed, screened=len(databases) - removed,
        awaiting_review=sum(1 for link in links if link.status == "needs_review"),
    )
