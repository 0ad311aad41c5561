"""Deduplicate a project's records: find links, store them, review them, count for PRISMA.

:func:`deduplicate` runs :func:`evisynth.analysis.dedup.find_duplicates` on every record of the
project and stores the links it finds (record ids, not positions). A pair that is already
linked keeps its stored link and any decision on it, so running it again after a new import
adds only the new pairs. Nothing is ever deleted: a reviewer accepts or rejects a link
(:func:`decide`), and PRISMA's numbers are computed from records and links
(:func:`evisynth.storage.records.identification_counts`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evisynth.analysis.dedup import find_duplicates
from evisynth.review.identification import IdentificationCounts, linked_groups
from evisynth.review.links import DuplicateLink
from evisynth.services.screening import opened
from evisynth.storage import records as store
from evisynth.storage.project import Project
from evisynth.storage.records import StoredLink, StoredRecord


@dataclass(frozen=True)
class DedupRun:
    """One run: pairs compared, links found and newly stored, and the PRISMA counts after it."""

    records: int
    candidate_pairs: int
    links_found: int
    links_added: int
    by_rule: dict[str, int]
    counts: IdentificationCounts

    def to_dict(self) -> dict[str, Any]:
        return {"records": self.records, "candidate_pairs": self.candidate_pairs,
                "links_found": self.links_found, "links_added": self.links_added,
                "by_rule": self.by_rule, "prisma": self.counts.to_dict()}


@dataclass(frozen=True)
class QueueItem:
    """A link waiting for a decision, with both records to compare."""

    link: StoredLink
    record: StoredRecord
    duplicate_of: StoredRecord

    def to_dict(self) -> dict[str, Any]:
        def brief(s: StoredRecord) -> dict[str, Any]:
            r = s.record
            return {"id": s.id, "database": r.database, "title": r.title, "authors": list(r.authors),
                    "year": r.year, "journal": r.journal, "doi": r.doi, "pmid": r.pmid,
                    "language": r.language, "source_file": r.source_file, "entry": r.entry}

        return {**self.link.to_dict(), "record": brief(self.record),
                "duplicate_of_record": brief(self.duplicate_of)}


@dataclass(frozen=True)
class DuplicateGroup:
    """Records joined by auto/accepted links: the one kept (lowest id: screened, counted) and
    the others (removed as duplicates), with the links that join them."""

    kept: StoredRecord
    duplicates: tuple[StoredRecord, ...]
    links: tuple[StoredLink, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kept": self.kept.id, "duplicates": [s.id for s in self.duplicates],
                "links": [s.to_dict() for s in self.links]}


def deduplicate(project_path: Path | str | Project, *, actor: str = "dedup", review: bool = True,
                progress: Callable[[int, int], None] | None = None) -> DedupRun:
    """Find duplicates among all the project's records and store the new links."""
    with opened(project_path) as project:
        stored = store.list_records(project)
        result = find_duplicates([s.record for s in stored], review=review, progress=progress)
        ids = [s.id for s in stored]
        links = [DuplicateLink(ids[link.record], ids[link.duplicate_of], link.score, link.rule,
                               link.status, link.decided_by) for link in result.links]
        added = store.add_links(project, links, actor) if links else ()
        by_rule: dict[str, int] = {}
        for link in result.links:
            by_rule[link.rule] = by_rule.get(link.rule, 0) + 1
        return DedupRun(len(stored), result.candidate_pairs, len(links), len(added),
                        dict(sorted(by_rule.items())), store.identification_counts(project))


def _with_records(project: Project, links: Sequence[StoredLink]) -> tuple[QueueItem, ...]:
    wanted = {i for s in links for i in (s.link.record, s.link.duplicate_of)}
    records = {r.id: r for r in store.list_records(project, ids=wanted)} if wanted else {}
    return tuple(QueueItem(s, records[s.link.record], records[s.link.duplicate_of]) for s in links)


def review_queue(project_path: Path | str | Project, *, joined: bool = True) -> tuple[QueueItem, ...]:
    """Links waiting for a decision, most likely duplicates first, with both records.

    ``joined=False`` leaves out the links whose two records other links already put in one
    group (accepting one pair between two groups settles the others between them)."""
    with opened(project_path) as project:
        links = sorted(store.list_links(project, status="needs_review"),
                       key=lambda s: (-s.link.score, s.id))
        if not joined:
            group_of = {i: n for n, group in enumerate(linked_groups(
                [s.link for s in store.list_links(project, status=("auto", "accepted"))])) for i in group}
            links = [s for s in links
                     if group_of.get(s.link.record, -1) != group_of.get(s.link.duplicate_of, -2)]
        return _with_records(project, links)


def decided(project_path: Path | str | Project) -> tuple[QueueItem, ...]:
    """Links a reviewer accepted or rejected (who and when on each link), latest first."""
    with opened(project_path) as project:
        links = sorted(store.list_links(project, status=("accepted", "rejected")),
                       key=lambda s: (s.decided_at is not None, s.decided_at, s.id), reverse=True)
        return _with_records(project, links)


def groups(project_path: Path | str | Project) -> tuple[DuplicateGroup, ...]:
    """The duplicate groups as screening and PRISMA see them (auto and accepted links)."""
    with opened(project_path) as project:
        links = store.list_links(project, status=("auto", "accepted"))
        found = linked_groups([s.link for s in links])
        records = {r.id: r for r in store.list_records(project, ids={i for g in found for i in g})}
        out = []
        for group in found:
            ids = sorted(group)
            out.append(DuplicateGroup(records[ids[0]], tuple(records[i] for i in ids[1:]),
                                      tuple(s for s in links if s.link.record in group)))
        return tuple(out)


def decide(project_path: Path | str | Project, decisions: Sequence[tuple[int, str]], *,
           actor: str) -> tuple[StoredLink, ...]:
    """Apply ``(link id, "accepted" | "rejected")`` decisions in one transaction, each audited.

    Rejecting an ``auto`` or ``accepted`` link undoes that merge: the link stays, with the
    new status, who and when; the audit log keeps the earlier state."""
    with opened(project_path) as project:
        return store.decide_links(project, decisions, actor)


def prisma_counts(project_path: Path | str | Project) -> IdentificationCounts:
    """PRISMA identification numbers from the stored records and links."""
    with opened(project_path) as project:
        return store.identification_counts(project)
