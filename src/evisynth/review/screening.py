"""Screening as an explicit state machine: stages, decisions, blinded dual review, arbitration.

A record is screened in two stages, title/abstract (``"ta"``) then full text (``"ft"``). At
each stage ``required`` reviewers (1 for a reviewer working alone, 2 for blinded dual
screening) decide independently: ``include``, ``exclude`` (with a reason: a protocol
criterion id such as ``E2`` or a new reason in words) or ``maybe``. Every decision, every
undo (a ``retract`` event) and every arbiter's resolution is an event appended to the
record's history; nothing is overwritten, and the state is always the fold of the events
(:func:`replay`).

The record's state (:data:`STATES`) follows from its active (not retracted) events:

==============  ===========================================================================
``ta:open``     fewer than ``required`` title/abstract decisions
``ta:conflict`` one reviewer excludes and the other includes or says maybe (include and
                maybe both mean "fetch the full text"); an arbiter resolves it
``ta:excluded`` excluded at title/abstract (agreement or arbiter)
``ft:open``     passed title/abstract (include, or maybe: "fetch the full text"); fewer than
                ``required`` full-text decisions
``ft:conflict`` the full-text reviewers disagree, or one said maybe (a full text must end
                in include or exclude); an arbiter resolves it
``ft:excluded`` excluded on full text (the reason is what PRISMA lists)
``included``    included in the review
==============  ===========================================================================

:data:`TRANSITIONS` lists every legal (state, event, new state) triple; :func:`apply` is the
only function that changes a state and refuses anything else with a :class:`DomainError`
that names the state the record is in and the state the change would lead to (or needs).

Cohen's kappa (:func:`cohen_kappa`) uses the large-sample standard error of Fleiss, Cohen &
Everitt (1969, Psychol Bull 72:323-327), as given in Fleiss, Levin & Paik, *Statistical
Methods for Rates and Proportions*, 3rd ed. (2003), eq. 18.13; the Wald interval is
kappa ± z·SE.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import Literal

from evisynth.review.errors import DomainError
from evisynth.review.model import Criterion, _Plain

Stage = Literal["ta", "ft"]
Role = Literal["reviewer", "arbiter"]
Action = Literal["include", "exclude", "maybe", "retract"]
Verdict = Literal["include", "exclude", "maybe"]
State = Literal["ta:open", "ta:conflict", "ta:excluded", "ft:open", "ft:conflict", "ft:excluded",
                "included"]

STAGES: tuple[Stage, ...] = ("ta", "ft")
STAGE_NAMES: dict[str, str] = {"ta": "title/abstract", "ft": "full text"}
VERDICTS: tuple[Verdict, ...] = ("include", "exclude", "maybe")
ACTIONS: tuple[Action, ...] = ("include", "exclude", "maybe", "retract")
ROLES: tuple[Role, ...] = ("reviewer", "arbiter")
STATES: tuple[State, ...] = ("ta:open", "ta:conflict", "ta:excluded", "ft:open", "ft:conflict",
                             "ft:excluded", "included")

#: Events, named ``<stage>:<kind>``: a reviewer's decision, its retraction (undo), an arbiter's
#: resolution, the retraction of a resolution.
EventKind = Literal["ta:decide", "ta:retract", "ta:resolve", "ta:unresolve",
                    "ft:decide", "ft:retract", "ft:resolve", "ft:unresolve"]


def _transitions() -> frozenset[tuple[State, str, State]]:
    ta_after: tuple[State, ...] = ("ta:open", "ta:conflict", "ta:excluded", "ft:open")
    ft_after: tuple[State, ...] = ("ft:open", "ft:conflict", "ft:excluded", "included")
    rows: set[tuple[State, str, State]] = set()
    rows.update(("ta:open", "ta:decide", dst) for dst in ta_after)
    for src in ta_after:  # an undo may reopen the stage or, with one decision left, settle it
        rows.update((src, "ta:retract", dst) for dst in ta_after)
    rows.update(("ta:conflict", "ta:resolve", dst) for dst in ("ta:excluded", "ft:open"))
    rows.update((src, "ta:unresolve", "ta:conflict") for src in ("ta:excluded", "ft:open"))
    rows.update(("ft:open", "ft:decide", dst) for dst in ft_after)
    for src in ft_after:
        rows.update((src, "ft:retract", dst) for dst in ft_after)
    rows.update(("ft:conflict", "ft:resolve", dst) for dst in ("ft:excluded", "included"))
    rows.update((src, "ft:unresolve", "ft:conflict") for src in ("ft:excluded", "included"))
    return frozenset(rows)


#: Every legal change: (state before, event kind, state after). Anything else is refused.
TRANSITIONS: frozenset[tuple[State, str, State]] = _transitions()


@dataclass(frozen=True)
class ScreeningEvent(_Plain):
    """One appended screening event (a row of the decisions table).

    ``action`` is a verdict, or ``retract`` (undo): a reviewer's retract cancels that
    reviewer's active decision at ``stage``; an arbiter's retract cancels the resolution.
    ``round`` counts a reviewer's earlier retractions at this record and stage, so that
    (record, stage, reviewer, role, action-is-retract, round) is unique: a double submit is
    refused by the database as well as here. ``reason`` is a criterion id (``E1``) or words.
    """

    record_id: int
    stage: Stage
    reviewer: str
    action: Action
    role: Role = "reviewer"
    reason: str = ""
    round: int = 0
    at: str = ""

    @property
    def kind(self) -> str:
        if self.role == "arbiter":
            return f"{self.stage}:{'unresolve' if self.action == 'retract' else 'resolve'}"
        return f"{self.stage}:{'retract' if self.action == 'retract' else 'decide'}"


@dataclass(frozen=True)
class Policy(_Plain):
    """How many independent reviewers decide each record at each stage (1 or 2)."""

    required: int = 2
    reason_required_at_ft: bool = True

    def __post_init__(self) -> None:
        if self.required not in (1, 2):
            raise DomainError(f"reviewers per record must be 1 or 2 (got {self.required})")


@dataclass(frozen=True)
class StageView(_Plain):
    """The active decisions of one stage, in the order they were made."""

    decisions: tuple[ScreeningEvent, ...] = ()
    resolution: ScreeningEvent | None = None


@dataclass(frozen=True)
class RecordScreening(_Plain):
    """One record's screening: its state and every event it was given (retractions too)."""

    record_id: int
    state: State = "ta:open"
    events: tuple[ScreeningEvent, ...] = ()

    def stage(self, stage: Stage) -> StageView:
        return _stage_view(self.events, stage)


def _stage_view(events: Iterable[ScreeningEvent], stage: Stage) -> StageView:
    decisions: dict[str, ScreeningEvent] = {}
    resolution: ScreeningEvent | None = None
    for e in events:
        if e.stage != stage:
            continue
        if e.role == "arbiter":
            resolution = None if e.action == "retract" else e
        elif e.action == "retract":
            decisions.pop(e.reviewer, None)
        else:
            decisions[e.reviewer] = e
    return StageView(tuple(decisions.values()), resolution)


def _stage_outcome(view: StageView, stage: Stage, policy: Policy) -> Literal["open", "conflict",
                                                                               "exclude", "pass"]:
    if view.resolution is not None:
        return "exclude" if view.resolution.action == "exclude" else "pass"
    verdicts = {d.action for d in view.decisions}
    if len(view.decisions) < policy.required:
        return "open"
    if stage == "ta":  # include and maybe both mean "fetch the full text"
        return "pass" if "exclude" not in verdicts else "exclude" if verdicts == {"exclude"} else "conflict"
    if len(verdicts) > 1 or "maybe" in verdicts:
        return "conflict"
    return "exclude" if verdicts == {"exclude"} else "pass"


def state_of(events: Sequence[ScreeningEvent], policy: Policy) -> State:
    """The state that the active events of one record put it in."""
    ta = _stage_outcome(_stage_view(events, "ta"), "ta", policy)
    if ta != "pass":
        return {"open": "ta:open", "conflict": "ta:conflict", "exclude": "ta:excluded"}[ta]  # type: ignore[return-value]
    ft = _stage_outcome(_stage_view(events, "ft"), "ft", policy)
    return {"open": "ft:open", "conflict": "ft:conflict", "exclude": "ft:excluded",  # type: ignore[return-value]
            "pass": "included"}[ft]


def _allowed_from(kind: str) -> list[str]:
    return sorted({src for src, k, _ in TRANSITIONS if k == kind}, key=STATES.index)


def _target_of(kind: str) -> str:
    targets = sorted({dst for _, k, dst in TRANSITIONS if k == kind}, key=STATES.index)
    return " or ".join(f"'{t}'" for t in targets)


def apply(record: RecordScreening, event: ScreeningEvent, policy: Policy | None = None) -> RecordScreening:
    """Append ``event`` to ``record`` when the change is legal; the only way states change.

    Refused with :class:`DomainError` (and ``record`` left as it was): an event for another
    record; a reviewer deciding a stage twice without undoing; a reviewer beyond ``required``
    when there is no conflict; an arbiter without a conflict, or who screened the record;
    an undo with nothing to undo; a full-text exclusion without a reason; and any change not
    in :data:`TRANSITIONS` (the message names the record's state and the state the change
    leads to).
    """
    policy = policy or Policy()
    rid = record.record_id
    if event.record_id != rid:
        raise DomainError(f"event for record {event.record_id} applied to record {rid}")
    if event.stage not in STAGES:
        raise DomainError(f"stage {event.stage!r} must be one of {', '.join(STAGES)}")
    if event.action not in ACTIONS:
        raise DomainError(f"decision {event.action!r} must be one of {', '.join(ACTIONS)}")
    if event.role not in ROLES:
        raise DomainError(f"role {event.role!r} must be reviewer or arbiter")
    if not event.reviewer.strip():
        raise DomainError("a decision needs the reviewer's name")
    kind, current = event.kind, record.state
    stage_name = STAGE_NAMES[event.stage]
    view = record.stage(event.stage)
    if kind.endswith(":decide") and current not in _allowed_from(kind):
        raise DomainError(
            f"record {rid}: cannot record a {stage_name} decision in state '{current}'; it leads to "
            f"{_target_of(kind)} and is allowed only from "
            + " or ".join(f"'{s}'" for s in _allowed_from(kind)))
    if kind.endswith(":decide"):
        mine = [d for d in view.decisions if d.reviewer == event.reviewer]
        if mine:
            raise DomainError(
                f"record {rid}: {event.reviewer} already decided {mine[0].action} at {stage_name}; "
                "undo that decision first to change it")
        if event.action == "exclude" and event.stage == "ft" and policy.reason_required_at_ft \
                and not event.reason.strip():
            raise DomainError(f"record {rid}: a full-text exclusion needs a reason (a criterion id "
                              "such as E1, or a new reason in words)")
    if event.stage == "ta" and kind in ("ta:retract", "ta:unresolve"):
        ft = record.stage("ft")
        if ft.decisions or ft.resolution is not None:
            raise DomainError(f"record {rid}: state '{current}' has full-text decisions; undo them "
                              "before changing the title/abstract outcome (towards 'ta:open')")
    if kind.endswith(":retract"):
        if not any(d.reviewer == event.reviewer for d in view.decisions):
            raise DomainError(f"record {rid}: {event.reviewer} has no {stage_name} decision to undo "
                              f"(state '{current}')")
        if view.resolution is not None:
            raise DomainError(f"record {rid}: the {stage_name} conflict was resolved by "
                              f"{view.resolution.reviewer}; the arbiter must withdraw the resolution "
                              f"first (state '{current}' would go back to '{event.stage}:conflict')")
    elif kind.endswith(":resolve"):
        if event.action == "maybe" and event.stage == "ft":
            raise DomainError(f"record {rid}: an arbiter resolves a full-text conflict with include or "
                              "exclude, not maybe")
        if any(d.reviewer == event.reviewer for d in view.decisions):
            raise DomainError(f"record {rid}: {event.reviewer} screened this record at {stage_name} "
                              "and cannot also arbitrate it")
        if event.action == "exclude" and event.stage == "ft" and policy.reason_required_at_ft \
                and not event.reason.strip():
            raise DomainError(f"record {rid}: a full-text exclusion needs a reason")
    elif kind.endswith(":unresolve") and view.resolution is None:
        raise DomainError(f"record {rid}: there is no {stage_name} resolution to withdraw "
                          f"(state '{current}')")
    events = (*record.events, event)
    new = state_of(events, policy)
    if (current, kind, new) not in TRANSITIONS:
        if kind.endswith(":resolve") and current != f"{event.stage}:conflict":
            raise DomainError(
                f"record {rid}: state '{current}' has no {stage_name} conflict to resolve; an arbiter "
                f"decides only in state '{event.stage}:conflict' (towards {_target_of(kind)})")
        if kind.endswith(":decide") and len(view.decisions) >= policy.required:
            raise DomainError(
                f"record {rid}: {len(view.decisions)} reviewers already decided at {stage_name} "
                f"(state '{current}'); a further reviewer cannot decide it; a conflict goes to an arbiter")
        raise DomainError(f"record {rid}: {kind} cannot change state '{current}' to '{new}'")
    return replace(record, state=new, events=events)


def replay(record_id: int, events: Iterable[ScreeningEvent], policy: Policy | None = None) -> RecordScreening:
    """Fold stored events through :func:`apply` (a stored history must replay cleanly)."""
    record = RecordScreening(record_id)
    for event in events:
        record = apply(record, event, policy)
    return record


def next_round(record: RecordScreening, stage: Stage, reviewer: str, role: Role = "reviewer") -> int:
    """The ``round`` a new event by ``reviewer`` gets: how many retractions they made before."""
    return sum(1 for e in record.events
               if e.stage == stage and e.reviewer == reviewer and e.role == role and e.action == "retract")


def visible_events(record: RecordScreening, stage: Stage, viewer: str, policy: Policy | None = None,
                   *, arbiter: bool = False) -> tuple[ScreeningEvent, ...]:
    """The active decisions ``viewer`` may see at ``stage`` (blinding).

    A reviewer sees their own decision only, until ``required`` reviewers have decided; then
    everyone's. An arbiter sees all decisions once the stage is in conflict or resolved.
    """
    policy = policy or Policy()
    view = record.stage(stage)
    complete = len(view.decisions) >= policy.required or view.resolution is not None
    if arbiter:
        return (*view.decisions, *(() if view.resolution is None else (view.resolution,))) \
            if complete else ()
    if complete:
        return (*view.decisions, *(() if view.resolution is None else (view.resolution,)))
    return tuple(d for d in view.decisions if d.reviewer == viewer)


@dataclass(frozen=True)
class Conflict(_Plain):
    """A record whose reviewers disagree at one stage, with both decisions."""

    record_id: int
    stage: Stage
    decisions: tuple[ScreeningEvent, ...]


def conflicts(records: Iterable[RecordScreening], stage: Stage | None = None) -> tuple[Conflict, ...]:
    """Records in conflict (at ``stage``, or either), in the order given."""
    out = []
    for r in records:
        if r.state.endswith(":conflict"):
            s: Stage = "ta" if r.state.startswith("ta") else "ft"
            if stage in (None, s):
                out.append(Conflict(r.record_id, s, r.stage(s).decisions))
    return tuple(out)


FinalStatus = Literal["pending", "excluded_ta", "excluded_ft", "included"]


def final_status(record: RecordScreening) -> FinalStatus:
    """Where the record ends up: included, excluded at a stage, or still pending."""
    return {"ta:excluded": "excluded_ta", "ft:excluded": "excluded_ft",  # type: ignore[return-value]
            "included": "included"}.get(record.state, "pending")


def exclusion_reason(record: RecordScreening, stage: Stage) -> str:
    """The reason that excluded the record at ``stage`` ("" when it was not excluded there).

    The arbiter's reason wins; with agreeing reviewers, the first reason given.
    """
    view = record.stage(stage)
    if view.resolution is not None:
        return view.resolution.reason if view.resolution.action == "exclude" else ""
    reasons = [d.reason for d in view.decisions if d.action == "exclude" and d.reason]
    return reasons[0] if reasons else ""


def reason_label(reason: str, criteria: Sequence[Criterion]) -> str:
    """A reason as PRISMA lists it: a criterion id becomes ``E1 text``; new words stay as they are."""
    by_id = {c.id.casefold(): c for c in criteria}
    c = by_id.get(reason.strip().casefold())
    return f"{c.id} {c.text}" if c else reason.strip()


# ---------------------------------------------------------------------------------------------
# Agreement


@dataclass(frozen=True)
class Kappa(_Plain):
    """Cohen's kappa of two raters over ``n`` items, with the raw agreement table.

    ``table[i][j]`` counts items rated ``categories[i]`` by ``first`` and ``categories[j]``
    by ``second``. ``se`` is the Fleiss–Cohen–Everitt (1969) large-sample SE; the interval
    is kappa ± z·se at ``level`` percent. ``kappa`` is None (undefined) when chance
    agreement is 1 (both raters used one and the same category throughout).
    """

    first: str
    second: str
    stage: str
    n: int
    categories: tuple[str, ...]
    table: tuple[tuple[int, ...], ...]
    observed: float
    expected: float
    kappa: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    level: float = 95.0

    def __str__(self) -> str:
        def f(x: float | None) -> str:
            return "NA" if x is None else f"{x:.4f}"

        return (f"Cohen's kappa, {self.first} vs {self.second} ({self.stage}, n = {self.n}): "
                f"{f(self.kappa)} (SE {f(self.se)}, {self.level:g}% CI {f(self.ci_low)} to "
                f"{f(self.ci_high)}); observed agreement {self.observed:.4f}, by chance {self.expected:.4f}")


def cohen_kappa(table: Sequence[Sequence[int]], *, categories: Sequence[str] | None = None,
                first: str = "rater 1", second: str = "rater 2", stage: str = "",
                level: float = 95.0) -> Kappa:
    """Cohen's (1960) kappa from a square table of counts, with the FCE (1969) SE and Wald CI.

    Var(kappa) = {Σ p_ii [1 − (p_i. + p_.i)(1 − κ)]² + (1 − κ)² Σ_{i≠j} p_ij (p_.i + p_j.)²
    − [κ − p_e (1 − κ)]²} / [n (1 − p_e)²]  (Fleiss, Cohen & Everitt 1969; Fleiss, Levin &
    Paik 2003, eq. 18.13). Categories that neither rater used should be left out (they
    change nothing).
    """
    k = len(table)
    if k == 0 or any(len(row) != k for row in table):
        raise DomainError(f"the agreement table must be square (got {k} rows of lengths "
                          f"{[len(r) for r in table]})")
    if any(c < 0 for row in table for c in row):
        raise DomainError("agreement counts must be >= 0")
    if not 0 < level < 100:
        raise DomainError(f"level {level} must be between 0 and 100 (percent)")
    names = tuple(categories) if categories is not None else tuple(str(i) for i in range(k))
    if len(names) != k:
        raise DomainError(f"{len(names)} category names for a {k}×{k} table")
    n = sum(sum(row) for row in table)
    if n == 0:
        return Kappa(first, second, stage, 0, names, tuple(tuple(r) for r in table), math.nan, math.nan,
                     None, None, None, None, level)
    p = [[c / n for c in row] for row in table]
    rows = [sum(r) for r in p]
    cols = [sum(p[i][j] for i in range(k)) for j in range(k)]
    po = sum(p[i][i] for i in range(k))
    pe = sum(rows[i] * cols[i] for i in range(k))
    if math.isclose(pe, 1.0):
        return Kappa(first, second, stage, n, names, tuple(tuple(r) for r in table), po, pe,
                     None, None, None, None, level)
    kappa = (po - pe) / (1 - pe)
    a = sum(p[i][i] * (1 - (rows[i] + cols[i]) * (1 - kappa)) ** 2 for i in range(k))
    b = (1 - kappa) ** 2 * sum(p[i][j] * (cols[i] + rows[j]) ** 2
                               for i in range(k) for j in range(k) if i != j)
    c = (kappa - pe * (1 - kappa)) ** 2
    var = max(a + b - c, 0.0) / (n * (1 - pe) ** 2)
    se = math.sqrt(var)
    z = NormalDist().inv_cdf(1 - (1 - level / 100) / 2)
    return Kappa(first, second, stage, n, names, tuple(tuple(r) for r in table), po, pe, kappa, se,
                 kappa - z * se, kappa + z * se, level)


def agreement(records: Iterable[RecordScreening], stage: Stage, first: str, second: str,
              *, level: float = 95.0) -> Kappa:
    """Kappa of two reviewers' first-round decisions at ``stage`` on the records both screened.

    The first decision each made counts (a later undo and re-decision after seeing the other's
    is not independent); categories are include, exclude, maybe.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for r in records:
        a = next((e for e in r.events if e.stage == stage and e.reviewer == first
                  and e.role == "reviewer" and e.action != "retract"), None)
        b = next((e for e in r.events if e.stage == stage and e.reviewer == second
                  and e.role == "reviewer" and e.action != "retract"), None)
        if a is not None and b is not None:
            counts[(a.action, b.action)] += 1
    cats = [v for v in VERDICTS if any(v in pair for pair in counts)] or list(VERDICTS[:2])
    table = [[counts[(x, y)] for y in cats] for x in cats]
    return cohen_kappa(table, categories=cats, first=first, second=second, stage=stage, level=level)


def reviewer_pairs(records: Iterable[RecordScreening], stage: Stage) -> tuple[tuple[str, str], ...]:
    """Pairs of reviewers who both screened at least one record at ``stage`` (sorted names)."""
    pairs: set[tuple[str, str]] = set()
    for r in records:
        names = sorted({e.reviewer for e in r.events if e.stage == stage and e.role == "reviewer"})
        pairs.update((a, b) for i, a in enumerate(names) for b in names[i + 1:])
    return tuple(sorted(pairs))


# ---------------------------------------------------------------------------------------------
# Keyword highlighting


@dataclass(frozen=True)
class Keywords(_Plain):
    """Words that signal inclusion or exclusion; English is matched case-insensitively at word
    boundaries (``randomi*`` matches any ending), Chinese as plain substrings."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Span(_Plain):
    """``text[start:end]`` matched ``keyword`` from the ``kind`` list."""

    start: int
    end: int
    kind: Literal["include", "exclude"]
    keyword: str


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _pattern(keyword: str) -> re.Pattern[str] | None:
    word = keyword.strip()
    wildcard = word.endswith("*")
    word = word.rstrip("*").strip()
    if not word:
        return None
    body = re.escape(word)
    if any(_is_cjk(ch) for ch in word):
        return re.compile(body + (r"\w*" if wildcard else ""), re.IGNORECASE)
    head = r"(?<!\w)" if word[0].isalnum() else ""
    tail = r"\w*" if wildcard else (r"(?!\w)" if word[-1].isalnum() else "")
    return re.compile(head + body + tail, re.IGNORECASE)


def highlight(text: str, keywords: Keywords) -> tuple[Span, ...]:
    """Non-overlapping keyword spans in ``text``, left to right; the longer match wins a tie."""
    found: list[Span] = []
    for kind, words in (("include", keywords.include), ("exclude", keywords.exclude)):
        for word in words:
            pattern = _pattern(word)
            if pattern is None:
                continue
            found.extend(Span(m.start(), m.end(), kind, word)  # type: ignore[arg-type]
                         for m in pattern.finditer(text) if m.end() > m.start())
    found.sort(key=lambda s: (s.start, -(s.end - s.start), s.kind))
    out: list[Span] = []
    for s in found:
        if not out or s.start >= out[-1].end:
            out.append(s)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# PRISMA 2020 counts

RemovalReason = Literal["duplicate", "automation", "other"]


@dataclass(frozen=True)
class RecordSource(_Plain):
    """A record as PRISMA counts it: its id, the database (or register) it came from."""

    record_id: int
    source: str
    register: bool = False


@dataclass(frozen=True)
class PrismaFlow(_Plain):
    """PRISMA 2020 flow counts (new reviews, databases and registers only), all computed.

    Names follow the PRISMA2020 flow-diagram template (Haddaway et al. 2022, Campbell Syst Rev
    18:e1230). ``pending_*`` count records still being screened, which PRISMA has no box for.
    """

    database_results: int
    database_specific: dict[str, int]
    register_results: int
    register_specific: dict[str, int]
    duplicates: int
    excluded_automatic: int
    excluded_other: int
    records_screened: int
    records_excluded: int
    sought_reports: int
    notretrieved_reports: int
    assessed: int
    excluded_reports: int
    exclusion_reasons: dict[str, int]
    new_studies: int
    new_reports: int
    pending_title_abstract: int = 0
    pending_full_text: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


def count_prisma(records: Sequence[RecordSource], removed: Mapping[int, RemovalReason],
                screening: Mapping[int, RecordScreening], not_retrieved: Iterable[int] = (),
                *, criteria: Sequence[Criterion] = (), studies_of: Mapping[int, int] | None = None,
                ) -> PrismaFlow:
    """Count the PRISMA 2020 boxes from records, removals (duplicate links) and decisions.

    ``removed`` maps a record id to why it left before screening (a duplicate — the
    non-canonical members of a duplicate link —, an automation tool, other). Every other
    record is "screened" once it has a title/abstract outcome or is pending; records that
    passed title/abstract are "sought"; ``not_retrieved`` (a subset of those) could not be
    obtained; the rest are "assessed". Full-text exclusions are counted per reason
    (:func:`reason_label`). ``studies_of`` maps an included report's record id to its study
    (default: one study per record), so ``new_studies`` counts distinct studies.
    """
    known = {r.record_id for r in records}
    unknown = sorted(set(removed) - known) + sorted(set(screening) - known)
    if unknown:
        raise DomainError(f"PRISMA counts refer to unknown records: {', '.join(map(str, unknown[:5]))}")
    bad = sorted(r for r, why in removed.items() if why not in ("duplicate", "automation", "other"))
    if bad:
        raise DomainError(f"removal reason for record {bad[0]} must be duplicate, automation or other")
    by_db: Counter[str] = Counter(r.source or "unknown" for r in records if not r.register)
    by_reg: Counter[str] = Counter(r.source or "unknown" for r in records if r.register)
    removal = Counter(removed.values())
    notes: list[str] = []
    screened_ids = [r.record_id for r in records if r.record_id not in removed]
    no_retrieve = set(not_retrieved)
    states = {rid: screening.get(rid, RecordScreening(rid)) for rid in screened_ids}
    excluded_ta = sum(1 for s in states.values() if s.state == "ta:excluded")
    pending_ta = sum(1 for s in states.values() if s.state in ("ta:open", "ta:conflict"))
    sought = [rid for rid, s in states.items() if s.state.startswith("ft") or s.state == "included"]
    missing = [rid for rid in sought if rid in no_retrieve]
    stray = sorted(no_retrieve - set(sought))
    if stray:
        notes.append(f"{len(stray)} record(s) marked not retrieved never passed title/abstract "
                     "screening and are not counted as sought")
    assessed_ids = [rid for rid in sought if rid not in no_retrieve]
    pending_ft = sum(1 for rid in assessed_ids if states[rid].state in ("ft:open", "ft:conflict"))
    reasons: Counter[str] = Counter()
    for rid in assessed_ids:
        s = states[rid]
        if s.state == "ft:excluded":
            reasons[reason_label(exclusion_reason(s, "ft"), criteria) or "no reason given"] += 1
    included = [rid for rid in assessed_ids if states[rid].state == "included"]
    studies = {(studies_of or {}).get(rid, rid) for rid in included}
    if pending_ta or pending_ft:
        notes.append(f"screening is not finished: {pending_ta} record(s) at title/abstract and "
                     f"{pending_ft} at full text are still open")
    return PrismaFlow(
        database_results=sum(by_db.values()), database_specific=dict(sorted(by_db.items())),
        register_results=sum(by_reg.values()), register_specific=dict(sorted(by_reg.items())),
        duplicates=removal["duplicate"], excluded_automatic=removal["automation"],
        excluded_other=removal["other"], records_screened=len(screened_ids),
        records_excluded=excluded_ta, sought_reports=len(sought), notretrieved_reports=len(missing),
        assessed=len(assessed_ids), excluded_reports=sum(reasons.values()),
        exclusion_reasons=dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        new_studies=len(studies), new_reports=len(included), pending_title_abstract=pending_ta,
        pending_full_text=pending_ft, notes=tuple(notes),
    )
