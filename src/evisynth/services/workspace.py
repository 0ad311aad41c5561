"""What the web pages show, computed from the project (no HTML here): the screening view of
one record with its keyword highlighting, progress and the criteria; conflicts with their
records; the PRISMA figure; the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evisynth.plotting import figure_to_bytes, prisma2020_flow
from evisynth.review.errors import DomainError
from evisynth.review.model import Criterion
from evisynth.review.screening import (
    Conflict,
    Keywords,
    Policy,
    RecordScreening,
    ScreeningEvent,
    Span,
    highlight,
    visible_events,
)
from evisynth.services import screening as screening_services
from evisynth.storage import records as record_store
from evisynth.storage import screening as screening_store
from evisynth.storage.project import Project

#: A piece of text and how it is marked: "" (plain), "include" or "exclude".
Segment = tuple[str, str]


def segments(text: str, spans: Sequence[Span]) -> list[Segment]:
    """Split ``text`` at the keyword spans (non-overlapping, in order) for rendering."""
    out: list[Segment] = []
    at = 0
    for s in sorted(spans, key=lambda s: s.start):
        if s.start < at:
            continue
        if s.start > at:
            out.append((text[at:s.start], ""))
        out.append((text[s.start:s.end], s.kind))
        at = s.end
    if at < len(text):
        out.append((text[at:], ""))
    return out


@dataclass(frozen=True)
class ScreenView:
    """One record to screen (or none left) and what surrounds it."""

    stage: str
    record_id: int | None
    title: list[Segment]
    abstract: list[Segment]
    keywords: tuple[str, ...]
    source: str
    visible: tuple[ScreeningEvent, ...]
    full_text: str
    decided: int
    remaining: int
    inclusion: tuple[Criterion, ...]
    exclusion: tuple[Criterion, ...]
    words: Keywords
    policy: Policy

    @property
    def progress(self) -> float:
        total = self.decided + self.remaining
        return 100.0 if total == 0 else 100.0 * self.decided / total


def screen_view(project: Project, reviewer: str, stage: str = "ta", *, prefer: int | None = None,
                relevance: bool = False) -> ScreenView:
    """The record ``reviewer`` screens next at ``stage`` (``prefer`` first if it is still
    queued for them; active-learning order when ``relevance``)."""
    order = screening_services.relevance_order(project) if relevance else None
    session = screening_services.session(project, reviewer, stage, order)
    states = screening_store.load_screening(project)
    decided = sum(1 for s in states.values()
                  if any(d.reviewer == reviewer for d in s.stage(session.stage).decisions))
    item = session.current()
    rid = item.record_id if item else None
    if prefer is not None and rid is not None and prefer != rid and \
            _queued(project, reviewer, session.stage, prefer):
        rid = prefer
    if rid is None:
        return ScreenView(session.stage, None, [], [], (), "", (), "", decided, 0, session.inclusion,
                          session.exclusion, session.keywords, session.policy)
    stored = record_store.get_record(project, rid).record
    state = states.get(rid, RecordScreening(str(rid)))
    ft = screening_store.full_texts(project).get(rid)
    return ScreenView(
        session.stage, rid, segments(stored.title, highlight(stored.title, session.keywords)),
        segments(stored.abstract, highlight(stored.abstract, session.keywords)), stored.keywords,
        stored.database, visible_events(state, session.stage, reviewer, session.policy),
        "" if ft is None else ft.kind, decided, session.remaining, session.inclusion, session.exclusion,
        session.keywords, session.policy)


def _queued(project: Project, reviewer: str, stage: str, rid: int) -> bool:
    """Whether ``rid`` is open at ``stage`` and not yet decided by ``reviewer``."""
    state = screening_store.load_screening(project, [rid]).get(rid, RecordScreening(str(rid)))
    mine = any(d.reviewer == reviewer for d in state.stage(stage).decisions)  # type: ignore[arg-type]
    return state.state == f"{stage}:open" and not mine and rid in screening_store.record_ids(project)


def undo(project: Project, reviewer: str, stage: str, record_id: int) -> RecordScreening:
    """Withdraw the reviewer's decision on the record (a retraction is appended)."""
    states = screening_store.load_screening(project, [record_id])
    state = states.get(record_id)
    mine = state is not None and any(d.reviewer == reviewer for d in state.stage(stage).decisions)  # type: ignore[arg-type]
    if not mine:
        raise DomainError(f"you have no decision on record {record_id} to undo")
    return screening_services.decide(project, record_id, stage, reviewer, "retract")


@dataclass(frozen=True)
class ConflictView:
    conflict: Conflict
    title: str
    abstract: str


def conflict_views(project: Project, stage: str | None = None) -> list[ConflictView]:
    out = []
    for c in screening_services.list_conflicts(project, stage):
        r = record_store.get_record(project, int(c.record_id)).record
        out.append(ConflictView(c, r.title, r.abstract))
    return out


def prisma_svg(project: Project, language: str = "en") -> bytes:
    return figure_to_bytes(prisma2020_flow(screening_services.prisma(project), language=language), "svg")


def prisma_counts(project: Project) -> dict[str, Any]:
    return screening_services.prisma(project).to_dict()


def import_records(project: Project, path: str, actor: str, source: str = "") -> int:
    """Read a bibliographic export (RIS, MEDLINE, BibTeX, EndNote XML, CSV …) into the project."""
    from evisynth.io.records import read_records

    records = read_records(path, source=source or None)
    return record_store.add_records(project, records, actor, source=source).record_count
