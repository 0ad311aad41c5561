"""A team screening one project: who screens which record next, stale pages, changing an
earlier decision, a reviewer's own decisions, exclusion reasons from the protocol, batches
assigned by the owner, and the owner's view of everyone's progress.

Work allocation. A reviewer is offered only records that are open at the stage and lack
their decision (:class:`~evisynth.services.screening.ScreeningSession`'s queue), in one
order shared by the whole team — record id, or the active-learning ranking fitted on the
records whose stage is settled, which every reviewer may see (blinding holds) — with the
records the owner assigned to them first, then unassigned records, then those assigned to
others. Of these the reviewer takes the first record that still has room: the reviewers
who decided it plus those whose open page shows it (a *lease*, :class:`Leases`, held for
:data:`LEASE_SECONDS`) are fewer than the reviewers required. So 20 reviewers asking at
once are spread over 10 records for dual screening, not sent to the same one.

Leases live in the serving process, not in the database: they are a hint that spreads the
work, never a guarantee — the state machine, run in the project's write transaction, stays
the only judge. A lease lost with a restart, expired on an abandoned page, or not seen by a
second server process costs at most a decision that arrives after the record was decided
by others; :func:`decide` then answers in words who decided it meanwhile (a
:class:`Decided` with ``taken_by``) and stores nothing, so no page ever shows a
state-machine error for it. That keeps page views free of writes (a lease row per page
view would serialise every reader behind SQLite's single writer).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evisynth.review.errors import DomainError
from evisynth.review.model import Criterion
from evisynth.review.screening import (
    STAGE_NAMES,
    Kappa,
    Policy,
    RecordScreening,
    ScreeningEvent,
    Stage,
    next_round,
)
from evisynth.services import screening as screening_services
from evisynth.services.workspace import ScreenView, record_view
from evisynth.storage import records as record_store
from evisynth.storage import screening as store
from evisynth.storage.project import Project

#: How long a record stays with the reviewer whose page shows it (seconds).
LEASE_SECONDS = 300.0
#: Reasons offered for an exclusion when the protocol lists no exclusion criteria.
DEFAULT_REASONS = ("wrong population", "wrong intervention", "wrong comparator", "wrong outcome",
                   "wrong study design", "duplicate publication")
#: The reason to choose for a reason outside the list; its words are stored instead.
OTHER = "other"
PAGE_SIZE = 25


class Leases:
    """Which reviewers' open pages show which records: per (project, stage), record id →
    reviewer → expiry. Thread-safe (the web serves requests from a thread pool); ``clock``
    returns seconds (monotonic)."""

    def __init__(self, seconds: float = LEASE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self._clock = seconds, clock
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str], dict[int, dict[str, float]]] = {}

    def _live(self, project: str, stage: str) -> dict[int, dict[str, float]]:
        now = self._clock()
        held = self._held.setdefault((project, stage), {})
        for rid in list(held):
            held[rid] = {who: t for who, t in held[rid].items() if t > now}
            if not held[rid]:
                del held[rid]
        return held

    def take(self, project: str, stage: str, reviewer: str, queue: Sequence[int],
             decided: Mapping[int, frozenset[str]], required: int) -> int | None:
        """The record ``reviewer`` screens next: the one they hold if it is still in ``queue``,
        else the first in ``queue`` that fewer than ``required`` other reviewers decided
        (``decided``: names per record, as read) or hold or decided since (:meth:`done`);
        leased to them (their other lease is released). None when every queued record is full."""
        with self._lock:
            held, done = self._live(project, stage), self._live(project, f"{stage}:done")
            queued = set(queue)
            mine = [rid for rid, who in held.items() if reviewer in who]
            if mine and mine[0] in queued:
                return self._hold(held, mine[0], reviewer)
            for rid in queue:
                others = (decided.get(rid, frozenset()) | held.get(rid, {}).keys() | done.get(rid, {}).keys())
                if len(others - {reviewer}) < required:
                    return self._hold(held, rid, reviewer)
            self._drop(held, reviewer)
            return None

    def done(self, project: str, stage: str, reviewer: str, record_id: int) -> None:
        """``reviewer``'s decision on ``record_id`` is stored: their lease ends, and the record
        counts as theirs for a lease's time (a page read just before the decision was stored
        does not see it)."""
        with self._lock:
            self._drop(self._live(project, stage), reviewer)
            self._live(project, f"{stage}:done").setdefault(record_id, {})[reviewer] = \
                self._clock() + self.seconds

    def hold(self, project: str, stage: str, reviewer: str, record_id: int) -> None:
        """Lease ``record_id`` to ``reviewer`` (a record they asked for by id)."""
        with self._lock:
            self._hold(self._live(project, stage), record_id, reviewer)

    def release(self, project: str, stage: str, reviewer: str) -> None:
        with self._lock:
            self._drop(self._live(project, stage), reviewer)

    def _hold(self, held: dict[int, dict[str, float]], rid: int, reviewer: str) -> int:
        self._drop(held, reviewer)
        held.setdefault(rid, {})[reviewer] = self._clock() + self.seconds
        return rid

    @staticmethod
    def _drop(held: dict[int, dict[str, float]], reviewer: str) -> None:
        for rid in [r for r, who in held.items() if reviewer in who]:
            del held[rid][reviewer]
            if not held[rid]:
                del held[rid]


@dataclass(frozen=True)
class TeamScreen:
    """The screening page of one reviewer: ``view`` (the record, or none), ``mine`` (their
    active decision on it, when they already decided it: the page offers a change),
    ``history`` (the record's events at the stage that they may see, oldest first),
    ``decided_by`` (who decided it, when the stage is complete without them), ``busy`` (records
    still needing a decision but open on other reviewers' pages), ``closed`` (the record shown
    does not take a new decision of theirs: decided, removed, a duplicate, or not at this stage)."""

    view: ScreenView
    mine: ScreeningEvent | None
    history: tuple[ScreeningEvent, ...]
    decided_by: tuple[str, ...]
    busy: int
    reasons: tuple[tuple[str, str], ...]
    closed: bool = False


def reason_choices(exclusion: Sequence[Criterion]) -> tuple[tuple[str, str], ...]:
    """(value, label) of the exclusion reasons offered: the protocol's exclusion criteria (or
    :data:`DEFAULT_REASONS` when it lists none), then :data:`OTHER`."""
    listed = [(c.id, c.text) for c in exclusion] or [(r, r) for r in DEFAULT_REASONS]
    return (*listed, (OTHER, "other (say which)"))


def exclusion_reason(stage: str, decision: str, reason: str, other: str,
                     exclusion: Sequence[Criterion]) -> str:
    """The reason stored with a decision: empty unless it excludes; one of the protocol's
    exclusion criteria (its id), or for :data:`OTHER` the words given. Required at full text;
    optional at title/abstract."""
    if decision != "exclude":
        return ""
    reason, other = reason.strip(), " ".join(other.split())
    allowed = [value for value, _ in reason_choices(exclusion)]
    if not reason:
        if stage == "ft":
            raise DomainError("a full-text exclusion needs a reason: choose one of "
                              f"{', '.join(allowed[:-1])}, or 'other' and say which")
        return ""
    if reason == OTHER:
        if not other:
            raise DomainError("the exclusion reason 'other' needs words: say why the record is excluded")
        return other
    if reason not in allowed:
        raise DomainError(f"exclusion reason {reason!r} is not one of the protocol's criteria "
                          f"({', '.join(allowed[:-1])}); choose one, or 'other' and say which")
    return reason


def _decisions_of(states: Iterable[RecordScreening], reviewer: str, stage: Stage) -> int:
    return sum(1 for s in states if any(d.reviewer == reviewer for d in s.stage(stage).decisions))


def _shared_labels(states: Mapping[int, RecordScreening]) -> dict[int, bool]:
    """Title/abstract outcomes every reviewer may see (the stage is settled): passed → True."""
    return {rid: s.state != "ta:excluded" for rid, s in states.items()
            if s.state not in ("ta:open", "ta:conflict")}


def _ordered(project: Project, queue: Sequence[int], reviewer: str, states: Mapping[int, RecordScreening],
             relevance: bool) -> list[int]:
    ranked = list(queue)
    if relevance:
        order = screening_services.relevance_order(project)
        ranked = [rid for rid in order(ranked, _shared_labels(states)) if rid in set(queue)]
    assigned = store.assignments(project)
    mine = set(assigned.get(reviewer, ()))
    theirs = {rid for name, ids in assigned.items() if name != reviewer for rid in ids}
    return sorted(ranked, key=lambda rid: 0 if rid in mine else 2 if rid in theirs else 1)  # stable


def history(state: RecordScreening, stage: Stage, viewer: str, policy: Policy) -> tuple[ScreeningEvent, ...]:
    """The record's events at ``stage`` that ``viewer`` may see, oldest first: their own; and
    everyone's once the stage is complete (the blinding of ``visible_events``)."""
    view = state.stage(stage)
    complete = len(view.decisions) >= policy.required or view.resolution is not None
    return tuple(e for e in state.events if e.stage == stage and (complete or e.reviewer == viewer))


def screen(project: Project, leases: Leases, key: str, reviewer: str, stage: str = "ta", *,
           record: int | None = None, relevance: bool = False) -> TeamScreen:
    """The screening page of ``reviewer``: ``record`` when asked for (as it stands: to screen,
    or decided, with their decision to change), else the next free record (see the module's
    docstring); ``key`` names the project among the leases."""
    session = screening_services.session(project, reviewer, stage)
    states = store.load_screening(project)
    queue, policy = session.queue, session.policy
    if record is not None:
        record_store.get_record(project, record)  # refuses an unknown id in words
        rid: int | None = record
        if record in queue:
            leases.hold(key, session.stage, reviewer, record)
    else:
        decided = {r: frozenset(d.reviewer for d in states[r].stage(session.stage).decisions)
                   for r in queue if r in states}
        rid = leases.take(key, session.stage, reviewer, _ordered(project, queue, reviewer, states, relevance),
                          decided, policy.required)
    state = states.get(rid, RecordScreening(rid)) if rid is not None else None
    mine = decided_by = None
    events: tuple[ScreeningEvent, ...] = ()
    if state is not None and rid not in queue:
        view = state.stage(session.stage)
        mine = next((d for d in view.decisions if d.reviewer == reviewer), None)
        decided_by = tuple(d.reviewer for d in view.decisions) + \
            (() if view.resolution is None else (view.resolution.reviewer,))
    if state is not None:
        events = history(state, session.stage, reviewer, policy)
    busy = len(queue) if rid is None else 0
    return TeamScreen(record_view(project, session, states, rid,
                                  _decisions_of(states.values(), reviewer, session.stage)),
                      mine, events, () if mine is not None else decided_by or (), busy,
                      reason_choices(session.exclusion), rid is not None and rid not in queue)


@dataclass(frozen=True)
class Decided:
    """What became of a posted decision: ``record`` (the record's screening, when stored) or
    ``taken_by`` (the reviewers who decided the record meanwhile; nothing was stored)."""

    record_id: int
    record: RecordScreening | None
    taken_by: tuple[str, ...] = ()


def taken_by(project: Project, record_id: int, stage: str, reviewer: str) -> tuple[str, ...]:
    """Who settled the record's stage without ``reviewer`` (empty when it still wants them)."""
    state = store.load_screening(project, [record_id]).get(record_id, RecordScreening(record_id))
    view = state.stage(stage)  # type: ignore[arg-type]
    if state.state == f"{stage}:open" or any(d.reviewer == reviewer for d in view.decisions):
        return ()
    names = [d.reviewer for d in view.decisions] + ([] if view.resolution is None else
                                                     [view.resolution.reviewer])
    return tuple(names) or ("other reviewers",)


def decide(project: Project, leases: Leases, key: str, record_id: int, stage: str, reviewer: str,
           decision: str, reason: str = "", other: str = "") -> Decided:
    """Record ``reviewer``'s decision; when the record was decided by the required reviewers
    since their page showed it, store nothing and say by whom (``Decided.taken_by``)."""
    stage = screening_services._stage(stage)
    if decision == "exclude":
        reason = exclusion_reason(stage, decision, reason, other, _exclusion(project))
    try:
        stored = screening_services.decide(project, record_id, stage, reviewer, decision, reason)
    except DomainError:
        taken = taken_by(project, record_id, stage, reviewer)
        if taken:
            leases.release(key, stage, reviewer)
            return Decided(record_id, None, taken)
        raise
    leases.done(key, stage, reviewer, record_id)
    return Decided(record_id, stored)


def _exclusion(project: Project) -> tuple[Criterion, ...]:
    return screening_services._criteria(project)[1]


def change(project: Project, record_id: int, stage: str, reviewer: str, decision: str,
           reason: str = "", other: str = "") -> RecordScreening:
    """Replace ``reviewer``'s earlier decision on the record: its retraction and the new
    decision are appended in one transaction (both stored, or neither; the history keeps the
    old one)."""
    stage = screening_services._stage(stage)
    reason = exclusion_reason(stage, decision, reason, other, _exclusion(project)) if decision == "exclude" \
        else ""
    state = store.load_screening(project, [record_id]).get(record_id, RecordScreening(record_id))
    name = STAGE_NAMES.get(stage, stage)
    mine = [d for d in state.stage(stage).decisions if d.reviewer == reviewer]
    if not mine:
        raise DomainError(f"you have no {name} decision on record {record_id} to change; decide it instead")
    if mine[0].action == decision and mine[0].reason == reason:
        return state
    n = next_round(state, stage, reviewer)
    events = [ScreeningEvent(record_id, stage, reviewer, "retract", round=n),
              ScreeningEvent(record_id, stage, reviewer, decision, reason=reason, round=n + 1)]  # type: ignore[arg-type]
    store.add_events(project, [(record_id, e) for e in events], reviewer)
    return store.load_screening(project, [record_id])[record_id]


@dataclass(frozen=True)
class MyDecision:
    record_id: int
    title: str
    action: str
    reason: str
    at: str
    state: str


@dataclass(frozen=True)
class Paged:
    """One page (1-based) of a list, newest first."""

    items: tuple[Any, ...]
    page: int
    pages: int
    total: int


def _page(items: Sequence[Any], page: int, size: int = PAGE_SIZE) -> Paged:
    pages = max(1, -(-len(items) // size))
    if page < 1 or page > pages:
        raise DomainError(f"page {page} does not exist; there are {pages} page(s)")
    return Paged(tuple(items[(page - 1) * size: page * size]), page, pages, len(items))


def my_decisions(project: Project, reviewer: str, stage: str = "ta", page: int = 1) -> Paged:
    """``reviewer``'s active decisions at ``stage``, newest first, one page of :class:`MyDecision`."""
    stage = screening_services._stage(stage)
    states = store.load_screening(project)
    mine = [(d, s.state) for s in states.values() for d in s.stage(stage).decisions if d.reviewer == reviewer]
    mine.sort(key=lambda pair: (pair[0].at, pair[0].record_id), reverse=True)
    found = _page(mine, page)
    titles = {rid: record_store.get_record(project, rid).record.title
              for rid in (d.record_id for d, _ in found.items)}
    return Paged(tuple(MyDecision(d.record_id, titles[d.record_id], d.action, d.reason, d.at, state)
                       for d, state in found.items), found.page, found.pages, found.total)


def assign(project: Project, actor: str, reviewer: str, *, stage: str = "ta", count: int = 0,
           contains: str = "") -> tuple[int, ...]:
    """Add to ``reviewer``'s batch up to ``count`` records (0: all that match) still open at
    ``stage`` without their decision and not assigned to another reviewer, in id order,
    optionally only those whose title, abstract or keywords contain ``contains``
    (case-insensitive). Returns the record ids added."""
    if count < 0:
        raise DomainError(f"the number of records to assign must be 0 (all) or more (got {count})")
    queue = screening_services.session(project, reviewer, stage).queue
    current = store.assignments(project)
    taken = {rid for ids in current.values() for rid in ids}
    words = contains.strip().casefold()
    added: list[int] = []
    for rid in queue:
        if rid in taken:
            continue
        if words:
            r = record_store.get_record(project, rid).record
            if words not in f"{r.title}\n{r.abstract}\n{' '.join(r.keywords)}".casefold():
                continue
        added.append(rid)
        if count and len(added) == count:
            break
    if not added:
        where = f" and contains {contains!r}" if words else ""
        raise DomainError(f"no record to assign to {reviewer}: none is open at "
                          f"{STAGE_NAMES.get(stage, stage)} without their decision and unassigned{where}")
    store.set_assignments(project, actor, reviewer, (*current.get(reviewer, ()), *added))
    return tuple(added)


def unassign(project: Project, actor: str, reviewer: str) -> None:
    """Empty ``reviewer``'s batch."""
    store.set_assignments(project, actor, reviewer, ())


@dataclass(frozen=True)
class ReviewerProgress:
    """One reviewer's decisions per stage and their assigned records still open for them."""

    reviewer: str
    ta: int
    ft: int
    assigned_open: int


@dataclass(frozen=True)
class TeamProgress:
    reviewers: tuple[ReviewerProgress, ...]
    kappas: tuple[Kappa, ...]
    open_ta: int
    open_ft: int


def progress(project: Project, reviewers: Sequence[str]) -> TeamProgress:
    """Decisions per reviewer (``reviewers`` and everyone who decided) and Cohen's kappa per
    stage and pair of reviewers (:func:`evisynth.services.screening.agreements`)."""
    states = store.load_screening(project)
    names = sorted({*reviewers, *(d.reviewer for s in states.values() for d in s.events
                                  if d.role == "reviewer")})
    assigned = store.assignments(project)
    rows = []
    for name in names:
        batch = set(assigned.get(name, ()))
        open_ids = set(screening_services.session(project, name, "ta").queue) if batch else set()
        rows.append(ReviewerProgress(name, _decisions_of(states.values(), name, "ta"),
                                     _decisions_of(states.values(), name, "ft"), len(batch & open_ids)))
    removed = screening_services._removed(project)
    ids = [rid for rid in store.record_ids(project) if rid not in removed]
    count = {st: sum(1 for rid in ids if states.get(rid, RecordScreening(rid)).state == st)
             for st in ("ta:open", "ft:open")}
    return TeamProgress(tuple(rows), screening_services.agreements(project), count["ta:open"],
                        count["ft:open"])


def audit_log(project: Project, page: int = 1) -> Paged:
    """One page of the project's audit log (:class:`~evisynth.storage.project.AuditEntry`),
    newest first."""
    return _page(project.audit_entries()[::-1], page)
