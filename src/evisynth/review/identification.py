"""PRISMA 2020's identification box from imported records and their duplicate links.

Records are identified by integer ids (the project store's); each names the database it
came from. Duplicates removed are counted as :func:`evisynth.review.links.dedup_counts`
counts them (records minus groups of ``auto``/``accepted`` links), so the number in the
PRISMA flow always follows from the links a reviewer can inspect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from evisynth.review.errors import DomainError
from evisynth.review.links import DuplicateLink, dedup_counts, duplicate_groups
from evisynth.review.model import _Plain


@dataclass(frozen=True)
class IdentificationCounts(_Plain):
    """``identified`` records in all, ``by_source`` per database (``""``: the file named none),
    ``duplicates_removed`` by the ``auto``/``accepted`` links, ``screened`` what is left,
    ``awaiting_review`` links still in the review queue (their records count as distinct until
    decided), ``rejected`` links a reviewer turned down."""

    identified: int
    by_source: dict[str, int]
    duplicates_removed: int
    screened: int
    awaiting_review: int
    rejected: int


def identification(databases: Mapping[int, str], links: Iterable[DuplicateLink]) -> IdentificationCounts:
    """Counts for the records ``databases`` (record id → database name) under ``links``
    (whose ``record``/``duplicate_of`` are record ids). Raises DomainError when a link names
    a record that is not counted."""
    ids = sorted(databases)
    position = {record: k for k, record in enumerate(ids)}
    mapped: list[DuplicateLink] = []
    for link in links:
        for record in (link.record, link.duplicate_of):
            if record not in position:
                raise DomainError(f"link {link.record}→{link.duplicate_of} names record {record}, "
                                  "which is not among the records counted")
        mapped.append(DuplicateLink(position[link.record], position[link.duplicate_of], link.score,
                                    link.rule, link.status, link.decided_by))
    counts = dedup_counts(len(ids), mapped)
    by_source: dict[str, int] = {}
    for name in databases.values():
        by_source[name] = by_source.get(name, 0) + 1
    return IdentificationCounts(
        identified=counts.records_identified, by_source=dict(sorted(by_source.items())),
        duplicates_removed=counts.duplicates_removed, screened=counts.records_after_dedup,
        awaiting_review=counts.pairs_awaiting_review, rejected=counts.pairs_rejected,
    )


def linked_groups(links: Iterable[DuplicateLink]) -> list[frozenset[int]]:
    """Groups of record ids joined by ``auto``/``accepted`` links (ids need not be positions),
    ordered by their smallest id; records in no such link are not listed."""
    links = list(links)
    ids = sorted({i for link in links for i in (link.record, link.duplicate_of)})
    position = {record: k for k, record in enumerate(ids)}
    mapped = [DuplicateLink(position[link.record], position[link.duplicate_of], link.score, link.rule,
                            link.status, link.decided_by) for link in links]
    return [frozenset(ids[k] for k in group) for group in duplicate_groups(len(ids), mapped)]
