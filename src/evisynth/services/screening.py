"""Screening operations for the CLI and (later) the web: decide, undo, import, conflicts,
resolve, agreement, PRISMA 2020; and :class:`ScreeningSession`, the one-record-at-a-time
screener that the terminal UI drives (no rendering here).

Record ids are the store's integer ids (``records.id``), as in the domain.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evisynth.io.prisma_csv import prisma_csv
from evisynth.review.errors import DomainError
from evisynth.review.identification import linked_groups
from evisynth.review.model import Criterion, Picos
from evisynth.review.screening import (
    STAGES,
    Conflict,
    Kappa,
    Keywords,
    Policy,
    PrismaFlow,
    RecordScreening,
    RecordSource,
    RemovalReason,
    ScreeningEvent,
    Span,
    Stage,
    agreement,
    conflicts,
    count_prisma,
    highlight,
    next_round,
    reviewer_pairs,
    visible_events,
)
from evisynth.review.studies import record_ids
from evisynth.storage import records as record_store
from evisynth.storage import screening as store
from evisynth.storage.errors import StorageError
from evisynth.storage.project import Project, open_project

#: An ordering hook: given the queue's record ids and the decisions so far (record id →
#: True for include/maybe, False for exclude), return the ids in the order to screen them.
Order = Callable[[Sequence[int], Mapping[int, bool]], Sequence[int]]

KEYS = {"i": "include", "e": "exclude", "m": "maybe"}
STAGE_TITLES = {"ta": "title/abstract", "ft": "full text"}


@contextmanager
def opened(project: str | os.PathLike[str] | Project) -> Iterator[Project]:
    """An open project: the one given, or the file/URL opened (and closed afterwards)."""
    if isinstance(project, Project):
        yield project
        return
    if "://" not in os.fspath(project) and not Path(project).exists():
        raise StorageError(f"no project at {project}; create one with `evisynth new`")
    p = open_project(project)
    try:
        yield p
    finally:
        p.close()


def _stage(stage: str) -> Stage:
    if stage not in STAGES:
        raise DomainError(f"stage {stage!r} must be ta (title/abstract) or ft (full text)")
    return stage


def _event(record: RecordScreening | None, rid: int, stage: Stage, reviewer: str, action: str,
           role: str = "reviewer", reason: str = "") -> ScreeningEvent:
    r = record or RecordScreening(rid)
    return ScreeningEvent(rid, stage, reviewer, action, role, reason,  # type: ignore[arg-type]
                          next_round(r, stage, reviewer, role))  # type: ignore[arg-type]


def decide(project: str | os.PathLike[str] | Project, record_id: int, stage: str, reviewer: str,
           decision: str, reason: str = "", *, role: str = "reviewer") -> RecordScreening:
    """Record one decision (or ``retract`` to undo one); returns the record's new screening."""
    s = _stage(stage)
    with opened(project) as p:
        if record_id in store.removals(p):
            raise DomainError(f"record {record_id} was removed before screening; it is not screened")
        current = store.load_screening(p, [record_id]).get(record_id)
        store.add_events(p, [(record_id, _event(current, record_id, s, reviewer, decision, role, reason))],
                         reviewer)
        return store.load_screening(p, [record_id])[record_id]


def resolve(project: str | os.PathLike[str] | Project, record_id: int, stage: str, arbiter: str,
            decision: str, reason: str = "") -> RecordScreening:
    """An arbiter resolves the record's conflict at ``stage``."""
    return decide(project, record_id, stage, arbiter, decision, reason, role="arbiter")


IMPORT_COLUMNS = ("record_id", "stage", "reviewer", "decision")


def import_decisions(project: str | os.PathLike[str] | Project, path: str | os.PathLike[str],
                     *, actor: str = "importer") -> int:
    """Import decisions from a CSV (columns record_id, stage, reviewer, decision; optional
    reason, role), in file order and in one transaction: all are stored or none."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in IMPORT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DomainError(f"{path}: missing column(s) {', '.join(missing)}; the header must name "
                              f"{', '.join(IMPORT_COLUMNS)} (and optionally reason, role)")
        rows = list(reader)
    with opened(project) as p:
        states = store.load_screening(p)
        gone = store.removals(p)
        wanted: list[tuple[int, ScreeningEvent]] = []
        rounds: dict[tuple[int, str, str, str], int] = {}
        for line, row in enumerate(rows, start=2):
            try:
                rid = int(row["record_id"])
            except ValueError:
                raise DomainError(f"{path}, line {line}: record_id {row['record_id']!r} is not a "
                                  "number; nothing was stored") from None
            if rid in gone:
                raise DomainError(f"{path}, line {line}: record {rid} was removed before screening; "
                                  "nothing was stored")
            stage, role = _stage(row["stage"].strip()), (row.get("role") or "reviewer").strip()
            reviewer, action = row["reviewer"].strip(), row["decision"].strip().lower()
            key = (rid, stage, reviewer, role)
            if key not in rounds:
                rounds[key] = next_round(states.get(rid, RecordScreening(rid)), stage, reviewer,
                                         role)  # type: ignore[arg-type]
            wanted.append((rid, ScreeningEvent(rid, stage, reviewer, action, role,  # type: ignore[arg-type]
                                               (row.get("reason") or "").strip(), rounds[key])))
            if action == "retract":
                rounds[key] += 1
        return store.add_events(p, wanted, actor)


def set_full_text(project: str | os.PathLike[str] | Project, record_id: int, kind: str, location: str,
                  actor: str) -> None:
    """Attach a full-text file or URL to a record, or mark it not retrieved."""
    with opened(project) as p:
        store.set_full_text(p, record_id, kind, location, actor)


def settings(project: str | os.PathLike[str] | Project, actor: str, *, reviewers: int | None = None,
             include: tuple[str, ...] | None = None,
             exclude: tuple[str, ...] | None = None) -> tuple[Policy, Keywords]:
    """Change what is given (reviewers per record, keyword lists); returns the settings."""
    with opened(project) as p:
        if reviewers is not None or include is not None or exclude is not None:
            _, current = store.screening_settings(p)
            words = Keywords(current.include if include is None else include,
                             current.exclude if exclude is None else exclude)
            store.set_screening_settings(p, actor, reviewers=reviewers,
                                         keywords=None if include is None and exclude is None else words)
        return store.screening_settings(p)


def list_conflicts(project: str | os.PathLike[str] | Project,
                   stage: str | None = None) -> tuple[Conflict, ...]:
    with opened(project) as p:
        return conflicts(store.load_screening(p).values(), None if stage is None else _stage(stage))


def agreements(project: str | os.PathLike[str] | Project, *, level: float = 95.0) -> tuple[Kappa, ...]:
    """Cohen's kappa per stage and per pair of reviewers who screened the same records."""
    with opened(project) as p:
        states = list(store.load_screening(p).values())
    return tuple(agreement(states, stage, a, b, level=level)
                 for stage in STAGES for a, b in reviewer_pairs(states, stage))


def _criteria(project: Project) -> tuple[tuple[Criterion, ...], tuple[Criterion, ...], Picos | None]:
    try:
        protocol = project.load_review().protocol
    except (StorageError, DomainError, KeyError, IndexError):
        return (), (), None
    return protocol.inclusion, protocol.exclusion, protocol.picos


def _removed(project: Project) -> dict[int, RemovalReason]:
    """Records removed before screening: as duplicates (every member of a linked group but its
    lowest id), then those removed by hand (:func:`remove`: automation, other). A record that is
    both counts once, as a duplicate."""
    links = [s.link for s in record_store.list_links(project)]
    out: dict[int, RemovalReason] = {}
    for rid, removal in store.removals(project).items():
        out[rid] = "automation" if removal.reason == "automation" else "other"
    for group in linked_groups(links):
        out.update({rid: "duplicate" for rid in sorted(group)[1:]})
    return out


def remove(project: str | os.PathLike[str] | Project, record_ids: Sequence[int], reason: str,
           note: str, actor: str) -> tuple[store.Removal, ...]:
    """Remove records before screening (PRISMA 2020: ``automation`` — marked ineligible by an
    automation tool — or ``other``), all or none; they are no longer offered for screening.
    Nothing is deleted: each removal is stored with its note, who and when."""
    with opened(project) as p:
        return store.add_removals(p, record_ids, reason, note, actor)


def removals(project: str | os.PathLike[str] | Project) -> tuple[store.Removal, ...]:
    """The records removed before screening, in record order."""
    with opened(project) as p:
        found = store.removals(p)
    return tuple(found[rid] for rid in sorted(found))


#: Sources counted as trial registers (PRISMA's "Registers"), compared case-insensitively.
REGISTERS = frozenset({"clinicaltrials.gov", "chictr", "who ictrp", "ictrp", "isrctn", "eu ctr",
                       "euctr", "anzctr", "drks", "ctri", "jrct", "cris"})


def prisma(project: str | os.PathLike[str] | Project) -> PrismaFlow:
    """PRISMA 2020 counts computed from the project's records, duplicate links and decisions.

    Records whose database is a trial register (:data:`REGISTERS`) count as "Registers"."""
    with opened(project) as p:
        sources = [RecordSource(s.id, s.record.database, s.record.database.strip().casefold()
                                in REGISTERS) for s in record_store.iter_records(p)]
        removed = _removed(p)
        states = store.load_screening(p)
        texts = store.full_texts(p)
        inclusion, exclusion, _ = _criteria(p)
        studies_of = _studies_of(p)
    missing = [k for k, t in texts.items() if t.kind == "not_retrieved"]
    return count_prisma(sources, removed, states, missing, criteria=(*inclusion, *exclusion),
                        studies_of=studies_of)


def _studies_of(project: Project) -> dict[int, int] | None:
    """Record id → study number for the records that are reports of the review's studies
    (``evisynth study from-records``); None when no study was made from records."""
    if project.review_id is None:
        return None
    review = project.load_review()
    # Negative, so that a study never takes the number of a record outside any study.
    number = {s.id: -i for i, s in enumerate(review.studies, 1)}
    found = {rid: number[sid] for rid, sid in record_ids(review).items()}
    return found or None


def write_prisma(flow: PrismaFlow, *, svg: Path | None = None, png: Path | None = None,
                 csv_path: Path | None = None, language: str = "en") -> list[Path]:
    """Write the diagram (SVG, PNG) and the template CSV; returns the paths written."""
    written: list[Path] = []
    if svg or png:
        from evisynth.plotting import figure_to_bytes, prisma2020_flow  # matplotlib only when drawing

        fig = prisma2020_flow(flow, language=language)
        for path, fmt in ((svg, "svg"), (png, "png")):
            if path:
                path.write_bytes(figure_to_bytes(fig, fmt))
                written.append(path)
    if csv_path:
        csv_path.write_text(prisma_csv(flow), encoding="utf-8")
        written.append(csv_path)
    return written


# ---------------------------------------------------------------------------------------------
# The one-record-at-a-time screener


def relevance_order(project: Project, *, seed: int = 0) -> Order:
    """Active-learning order (``evisynth.analysis.screening``): TF-IDF of every record's title
    and abstract, refitted on the reviewer's own decisions; random (seeded) until the reviewer
    has both included and excluded something."""
    from evisynth.analysis.screening import RelevanceRanker, prioritise

    ids, texts = [], []
    for s in record_store.iter_records(project):
        ids.append(s.id)
        texts.append(f"{s.record.title}\n{s.record.abstract}")
    if not ids:
        return lambda queue, _labels: list(queue)
    ranker = RelevanceRanker(random_state=seed).fit_corpus(texts)
    row_of = {rid: i for i, rid in enumerate(ids)}

    def order(queue: Sequence[int], labels: Mapping[int, bool]) -> Sequence[int]:
        ranked = prioritise(ranker, {row_of[r]: v for r, v in labels.items() if r in row_of}, seed=seed)
        queued = set(queue)
        first = [ids[i] for i in ranked if ids[i] in queued]
        return first + [r for r in queue if r not in set(first)]

    return order


@dataclass(frozen=True)
class ScreenItem:
    """What the screener shows for one record: its text, the keyword spans, the criteria, and
    the decisions this reviewer may see (their own, until the other reviewer has decided)."""

    record_id: int
    title: str
    abstract: str
    source: str
    title_spans: tuple[Span, ...]
    abstract_spans: tuple[Span, ...]
    visible: tuple[ScreeningEvent, ...]
    full_text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "title": self.title, "abstract": self.abstract,
                "source": self.source, "title_spans": [s.to_dict() for s in self.title_spans],
                "abstract_spans": [s.to_dict() for s in self.abstract_spans],
                "visible": [e.to_dict() for e in self.visible], "full_text": self.full_text}


@dataclass
class ScreeningSession:
    """One reviewer screening one stage: the queue, decide, undo (of this session's decisions).

    ``order`` reorders the queue (e.g. active learning) after each decision; by default records
    come in id order. Duplicates (non-canonical members of linked groups) are never queued.
    """

    project: Project
    reviewer: str
    stage: Stage = "ta"
    order: Order | None = None
    policy: Policy = field(init=False)
    keywords: Keywords = field(init=False)
    inclusion: tuple[Criterion, ...] = field(init=False)
    exclusion: tuple[Criterion, ...] = field(init=False)
    picos: Picos | None = field(init=False)
    done: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.reviewer.strip():
            raise DomainError("--reviewer needs a name")
        self.stage = _stage(self.stage)
        self.policy, self.keywords = store.screening_settings(self.project)
        self.inclusion, self.exclusion, self.picos = _criteria(self.project)
        self._queue: list[int] = []
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the queue from the store (another reviewer may have decided meanwhile)."""
        states = store.load_screening(self.project)
        removed = _removed(self.project)
        wanted = "ta:open" if self.stage == "ta" else "ft:open"
        queue = []
        for rid in store.record_ids(self.project):
            if rid in removed:
                continue
            state = states.get(rid, RecordScreening(rid))
            mine = any(d.reviewer == self.reviewer for d in state.stage(self.stage).decisions)
            if state.state == wanted and not mine:
                queue.append(rid)
        if self.order is not None:  # the reviewer's own decisions only: blinding holds
            labels = {rid: d.action != "exclude" for rid, s in states.items()
                      for d in s.stage("ta").decisions if d.reviewer == self.reviewer}
            queue = [rid for rid in self.order(queue, labels) if rid in set(queue)]
        self._queue = queue
        self._states = states

    @property
    def remaining(self) -> int:
        return len(self._queue)

    @property
    def queue(self) -> tuple[int, ...]:
        """The ids of the records still to screen, in order."""
        return tuple(self._queue)

    def current(self) -> ScreenItem | None:
        """The record to screen now, or None when the queue is empty."""
        if not self._queue:
            return None
        rid = self._queue[0]
        stored = record_store.get_record(self.project, rid).record
        state = self._states.get(rid, RecordScreening(rid))
        texts = store.full_texts(self.project)
        ft = texts.get(rid)
        return ScreenItem(rid, stored.title, stored.abstract, stored.database,
                          highlight(stored.title, self.keywords), highlight(stored.abstract, self.keywords),
                          visible_events(state, self.stage, self.reviewer, self.policy),
                          "" if ft is None else f"{ft.kind}: {ft.location}")

    def reasons(self) -> list[str]:
        """Reasons to choose from: the exclusion criteria's ids, then new reasons already used."""
        used = {e.reason for s in self._states.values() for e in s.events
                if e.action == "exclude" and e.reason}
        ids = [c.id for c in self.exclusion]
        return ids + sorted(used - set(ids))

    def decide(self, decision: str, reason: str = "") -> RecordScreening:
        """Decide the current record (``include``/``exclude``/``maybe`` or the keys i/e/m)."""
        item = self._queue[0] if self._queue else None
        if item is None:
            raise DomainError("nothing left to screen")
        result = decide(self.project, item, self.stage, self.reviewer, KEYS.get(decision, decision), reason)
        self.done.append(item)
        self.refresh()
        return result

    def undo(self) -> RecordScreening:
        """Withdraw this session's latest decision (appends a retraction; nothing is deleted)."""
        if not self.done:
            raise DomainError("nothing to undo in this session")
        rid = self.done[-1]
        result = decide(self.project, rid, self.stage, self.reviewer, "retract")
        self.done.pop()
        self.refresh()
        if rid in self._queue:  # screen it again next
            self._queue.remove(rid)
            self._queue.insert(0, rid)
        return result


def session(project: Project, reviewer: str, stage: str = "ta",
            order: Order | None = None) -> ScreeningSession:
    return ScreeningSession(project, reviewer, _stage(stage), order)
