"""Screening domain: the state machine, blinding, arbitration, kappa, highlighting, PRISMA counts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evisynth.review.errors import DomainError
from evisynth.review.model import Criterion
from evisynth.review.screening import (
    STATES,
    TRANSITIONS,
    Keywords,
    Policy,
    RecordScreening,
    RecordSource,
    ScreeningEvent,
    agreement,
    apply,
    cohen_kappa,
    conflicts,
    count_prisma,
    exclusion_reason,
    final_status,
    highlight,
    next_round,
    reason_label,
    replay,
    state_of,
    visible_events,
)


def ev(reviewer: str, action: str, stage: str = "ta", role: str = "reviewer", reason: str = "",
       record: int = 1, rnd: int = 0) -> ScreeningEvent:
    return ScreeningEvent(record, stage, reviewer, action, role, reason, rnd)  # type: ignore[arg-type]


def run(*events: ScreeningEvent, policy: Policy | None = None) -> RecordScreening:
    return replay(1, events, policy)


# --- Kappa against published and hand-computed examples ----------------------------------------

def test_kappa_matches_statpsych_ci_kappa_example() -> None:
    # statpsych::ci.kappa(.05, 31, 12, 4, 58) documents Cohen kappa 0.6756757, SE 0.07344761,
    # CI 0.5317210 to 0.8196303 (Bonett; SE from Fleiss, Levin & Paik 2003).
    k = cohen_kappa([[31, 12], [4, 58]])
    assert k.kappa == pytest.approx(0.6756757, abs=5e-8)
    assert k.se == pytest.approx(0.07344761, abs=5e-9)
    assert k.ci_low == pytest.approx(0.5317210, abs=5e-7)
    assert k.ci_high == pytest.approx(0.8196303, abs=5e-7)
    assert k.n == 105


def test_kappa_of_the_textbook_2x2_is_0_4() -> None:
    # 50 items: both yes 20, both no 15, disagreements 5 and 10. By hand: po = 35/50 = 0.7;
    # pe = (25·30 + 25·20)/50² = 0.5; kappa = (0.7 − 0.5)/(1 − 0.5) = 0.4.
    k = cohen_kappa([[20, 5], [10, 15]])
    assert (k.observed, k.expected) == (pytest.approx(0.7), pytest.approx(0.5))
    assert k.kappa == pytest.approx(0.4)


def test_kappa_of_the_sas_skin_condition_table() -> None:
    # SAS/STAT PROC FREQ "Agreement Study" (4×4 dermatologists' table). By hand: po = 45/88,
    # pe = (15·17 + 29·20 + 23·31 + 21·20)/88² = 1968/7744, kappa = 0.3449.
    k = cohen_kappa([[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]])
    assert k.observed == pytest.approx(45 / 88)
    assert k.expected == pytest.approx(1968 / 7744)
    assert k.kappa == pytest.approx(0.3449, abs=5e-5)


def test_kappa_perfect_agreement_and_degenerate_tables() -> None:
    assert cohen_kappa([[7, 0], [0, 3]]).kappa == pytest.approx(1.0)
    assert cohen_kappa([[9, 0], [0, 0]]).kappa is None  # one category only: undefined
    with pytest.raises(DomainError, match="square"):
        cohen_kappa([[1, 2]])


def test_agreement_builds_the_raw_table_from_first_decisions() -> None:
    pairs = [("include", "include"), ("exclude", "exclude"), ("exclude", "include"), ("maybe", "exclude")]
    records = []
    for i, (a, b) in enumerate(pairs):
        rid = i
        records.append(replay(rid, [ScreeningEvent(rid, "ta", "ann", a), ScreeningEvent(rid, "ta", "bo", b)]))  # type: ignore[arg-type]
    k = agreement(records, "ta", "ann", "bo")
    assert k.categories == ("include", "exclude", "maybe")
    assert k.table == ((1, 0, 0), (1, 1, 0), (0, 1, 0))
    assert k.n == 4 and k.observed == pytest.approx(0.5)


# --- The state machine --------------------------------------------------------------------------

def test_dual_agreement_moves_to_full_text_then_included() -> None:
    r = run(ev("ann", "include"))
    assert r.state == "ta:open"
    r = apply(r, ev("bo", "maybe"))
    assert r.state == "ft:open"
    r = apply(apply(r, ev("ann", "include", "ft")), ev("bo", "include", "ft"))
    assert r.state == "included" and final_status(r) == "included"
    assert len(r.events) == 4


def test_single_reviewer_policy_decides_alone() -> None:
    solo = Policy(required=1)
    r = run(ev("ann", "include"), ev("ann", "exclude", "ft", reason="E1"), policy=solo)
    assert r.state == "ft:excluded" and exclusion_reason(r, "ft") == "E1"


def test_conflict_is_listed_and_resolved_by_an_arbiter_keeping_every_decision() -> None:
    r = run(ev("ann", "include"), ev("bo", "exclude", reason="E2"))
    assert r.state == "ta:conflict"
    assert [c.record_id for c in conflicts([r])] == [1]
    r = apply(r, ev("cy", "exclude", role="arbiter", reason="E2"))
    assert r.state == "ta:excluded" and conflicts([r]) == ()
    assert [e.action for e in r.events] == ["include", "exclude", "exclude"]


def test_illegal_changes_name_both_states() -> None:
    r = run(ev("ann", "include"))
    with pytest.raises(DomainError, match=r"'ta:open'.*'ft:open'"):
        apply(r, ev("bo", "include", "ft"))
    agreed = apply(r, ev("bo", "include"))
    with pytest.raises(DomainError, match=r"'ft:open'.*'ta:open'"):
        apply(agreed, ev("cy", "include"))
    with pytest.raises(DomainError, match=r"'ft:open'.*'ta:conflict'"):
        apply(agreed, ev("cy", "exclude", role="arbiter"))


def test_bad_input_is_refused_and_nothing_is_lost() -> None:
    r = run(ev("ann", "include"))
    with pytest.raises(DomainError, match="already decided include"):
        apply(r, ev("ann", "exclude"))
    with pytest.raises(DomainError, match="no title/abstract conflict"):
        apply(r, ev("cy", "include", role="arbiter"))
    with pytest.raises(DomainError, match="event for record 2"):
        apply(r, ev("bo", "include", record=2))
    conflict = apply(r, ev("bo", "exclude"))
    with pytest.raises(DomainError, match="cannot also arbitrate"):
        apply(conflict, ev("bo", "exclude", role="arbiter"))
    with pytest.raises(DomainError, match="needs a reason"):
        apply(run(ev("a", "include"), ev("b", "include"), ev("a", "include", "ft")),
              ev("b", "exclude", "ft"))
    assert len(r.events) == 1 and r.state == "ta:open"


def test_undo_appends_a_retraction_and_a_new_round() -> None:
    r = run(ev("ann", "exclude"))
    r = apply(r, ev("ann", "retract"))
    assert r.state == "ta:open" and len(r.events) == 2
    assert next_round(r, "ta", "ann") == 1
    r = apply(r, ev("ann", "include", rnd=1))
    assert r.stage("ta").decisions[0].action == "include"
    with pytest.raises(DomainError, match="no title/abstract decision to undo"):
        apply(r, ev("bo", "retract"))


def test_title_abstract_undo_is_refused_once_full_text_decisions_exist() -> None:
    r = run(ev("a", "include"), ev("b", "include"), ev("a", "include", "ft"))
    with pytest.raises(DomainError, match="'ft:open'"):
        apply(r, ev("a", "retract"))


def test_blinding_hides_the_other_reviewer_until_both_decided() -> None:
    r = run(ev("ann", "include"))
    assert visible_events(r, "ta", "bo") == ()
    assert [e.reviewer for e in visible_events(r, "ta", "ann")] == ["ann"]
    assert visible_events(r, "ta", "cy", arbiter=True) == ()
    r = apply(r, ev("bo", "exclude"))
    assert [e.reviewer for e in visible_events(r, "ta", "bo")] == ["ann", "bo"]
    assert len(visible_events(r, "ta", "cy", arbiter=True)) == 2


def test_every_transition_names_known_states() -> None:
    assert {s for s, _, _ in TRANSITIONS} | {d for _, _, d in TRANSITIONS} <= set(STATES)


REVIEWERS = ("ann", "bo", "cy")
events_strategy = st.lists(
    st.tuples(st.sampled_from(REVIEWERS), st.sampled_from(("include", "exclude", "maybe", "retract")),
              st.sampled_from(("ta", "ft")), st.sampled_from(("reviewer", "reviewer", "arbiter"))),
    max_size=25)


@settings(max_examples=300, deadline=None)
@given(events_strategy, st.sampled_from((1, 2)))
def test_no_sequence_of_calls_loses_a_decision(steps: list[tuple[str, str, str, str]], required: int) -> None:
    policy = Policy(required=required)
    r = RecordScreening(1)
    accepted = []
    for reviewer, action, stage, role in steps:
        e = ScreeningEvent(1, stage, reviewer, action, role, "E1", 0)  # type: ignore[arg-type]
        before = r
        try:
            r = apply(r, e, policy)
        except DomainError as exc:
            assert r is before
            assert f"'{before.state}'" in str(exc) or "already" in str(exc) or "arbitrate" in str(exc) \
                or "maybe" in str(exc)
            continue
        accepted.append(e)
        assert (before.state, e.kind, r.state) in TRANSITIONS
        for stage in ("ta", "ft"):  # blinding: nobody sees another's decision before all decided
            view = r.stage(stage)  # type: ignore[arg-type]
            if len(view.decisions) < required and view.resolution is None:
                for who in REVIEWERS:
                    seen = visible_events(r, stage, who, policy)  # type: ignore[arg-type]
                    assert all(x.reviewer == who for x in seen)
    assert r.events == tuple(accepted)
    assert r.state == state_of(r.events, policy) == replay(1, r.events, policy).state


# --- Reasons and highlighting -------------------------------------------------------------------

def test_reason_label_uses_the_protocol_criterion_or_keeps_new_words() -> None:
    criteria = (Criterion("E1", "动物实验", "animal studies"),)
    assert reason_label("e1", criteria) == "E1 动物实验"
    assert reason_label("wrong comparator", criteria) == "wrong comparator"


def test_highlight_english_words_case_insensitively_and_chinese_as_substrings() -> None:
    text = "A Randomised trial in rats; 随机对照试验，非动物实验. Randomization."
    spans = highlight(text, Keywords(include=("randomi*", "随机对照"), exclude=("rat", "动物实验")))
    found = [(text[s.start:s.end], s.kind) for s in spans]
    assert found == [("Randomised", "include"), ("随机对照", "include"), ("动物实验", "exclude"),
                     ("Randomization", "include")]
    # "rat" is a word on its own only: not inside "rats" or "Randomization".
    assert highlight("a rat and rats", Keywords(exclude=("rat",)))[0].start == 2


# --- PRISMA counts ------------------------------------------------------------------------------

def _screened(rid: int, *steps: tuple[str, str, str]) -> RecordScreening:
    events = [ScreeningEvent(rid, stage, who, action, "reviewer",  # type: ignore[arg-type]
                             "E1" if action == "exclude" else "") for who, action, stage in steps]
    return replay(rid, events, Policy(required=1))


def test_prisma_counts_follow_from_records_links_and_decisions() -> None:
    # PubMed records 0-5, CNKI records 10-13.
    records = [RecordSource(i, "PubMed") for i in range(6)]
    records += [RecordSource(10 + i, "CNKI") for i in range(4)]
    removed = {13: "duplicate", 12: "duplicate", 5: "automation"}
    screening = {
        0: _screened(0, ("a", "include", "ta"), ("a", "include", "ft")),
        1: _screened(1, ("a", "include", "ta"), ("a", "exclude", "ft")),
        2: _screened(2, ("a", "include", "ta")),           # sought, not retrieved
        3: _screened(3, ("a", "exclude", "ta")),
        4: _screened(4, ("a", "exclude", "ta")),
        10: _screened(10, ("a", "maybe", "ta"), ("a", "include", "ft")),
        11: _screened(11, ("a", "exclude", "ta")),
    }
    flow = count_prisma(records, removed, screening, not_retrieved={2},
                       criteria=(Criterion("E1", "not an RCT"),), studies_of={10: 0})
    # By hand: 10 identified (6 PubMed, 4 CNKI); 2 duplicates + 1 automation removed; 7 screened;
    # 3 excluded on title/abstract; 4 sought; 1 not retrieved; 3 assessed; 1 excluded (E1);
    # 2 reports of 1 study included.
    assert (flow.database_results, flow.database_specific) == (10, {"CNKI": 4, "PubMed": 6})
    assert (flow.duplicates, flow.excluded_automatic, flow.excluded_other) == (2, 1, 0)
    assert (flow.records_screened, flow.records_excluded) == (7, 3)
    assert (flow.sought_reports, flow.notretrieved_reports, flow.assessed) == (4, 1, 3)
    assert flow.exclusion_reasons == {"E1 not an RCT": 1}
    assert (flow.new_studies, flow.new_reports) == (1, 2)
    assert flow.notes == ()


def test_prisma_counts_refuse_unknown_records() -> None:
    with pytest.raises(DomainError, match="unknown records: 99"):
        count_prisma([RecordSource(0, "PubMed")], {99: "duplicate"}, {})


def test_prisma_counts_registers_apart_from_databases_and_notes_open_screening() -> None:
    records = [RecordSource(0, "PubMed"), RecordSource(20, "ChiCTR", register=True),
               RecordSource(21, "ChiCTR", register=True)]
    flow = count_prisma(records, {}, {0: _screened(0, ("a", "exclude", "ta"))})
    assert (flow.database_results, flow.register_results, flow.register_specific) == (1, 2, {"ChiCTR": 2})
    assert (flow.records_screened, flow.records_excluded, flow.pending_title_abstract) == (3, 1, 2)
    assert flow.notes and "not finished" in flow.notes[0]
