"""Screening decisions in the store (revision 0003): append-only, all-or-nothing, concurrent writers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from evisynth.review.errors import DomainError
from evisynth.review.records import Record
from evisynth.review.screening import Keywords, ScreeningEvent
from evisynth.storage import Project, StorageError, open_project
from evisynth.storage import records as record_store
from evisynth.storage import screening as store

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def records(n: int) -> list[Record]:
    return [Record(source_file="pubmed.nbib", entry=i, format="medline", database="PubMed",
                   original=f"PMID- {i}\n", title=f"Trial {i}") for i in range(1, n + 1)]


def ids(project: Project, n: int = 3) -> list[int]:
    batch = record_store.add_records(project, records(n), "importer")
    return list(range(batch.first_id or 0, (batch.last_id or 0) + 1))


def ev(rid: int, reviewer: str, action: str, stage: str = "ta", role: str = "reviewer",
       rnd: int = 0, reason: str = "") -> tuple[int, ScreeningEvent]:
    return rid, ScreeningEvent(rid, stage, reviewer, action, role, reason, rnd)  # type: ignore[arg-type]


def test_decisions_are_stored_and_replayed(project: Project) -> None:
    r1, r2, _ = ids(project)
    store.add_events(project, [ev(r1, "ann", "include"), ev(r1, "bo", "exclude", reason="E1"),
                               ev(r2, "ann", "exclude")], "ann")
    states = store.load_screening(project)
    assert states[r1].state == "ta:conflict" and states[r2].state == "ta:open"
    assert [e.reason for e in states[r1].events] == ["", "E1"]


def test_a_refused_decision_stores_nothing_of_the_batch(project: Project) -> None:
    r1, _, _ = ids(project)
    with pytest.raises(DomainError, match=r"no record 999999 .*decision 2 of 2"):
        store.add_events(project, [ev(r1, "ann", "include"), ev(999999, "ann", "include")], "ann")
    with pytest.raises(DomainError, match=r"already decided.*\(decision 2 of 2\); nothing was stored"):
        store.add_events(project, [ev(r1, "ann", "include"), ev(r1, "ann", "exclude")], "ann")
    assert store.load_screening(project) == {}


def test_the_database_refuses_a_double_submit_and_any_update(project: Project) -> None:
    r1, _, _ = ids(project)
    store.add_events(project, [ev(r1, "ann", "include")], "ann")
    with pytest.raises(DBAPIError), project.engine.begin() as conn:
        conn.execute(text("INSERT INTO screening_decisions (record_id, stage, reviewer, role, decision, "
                          "undo, round, reason, created_at) VALUES (:r, 'ta', 'ann', 'reviewer', "
                          "'exclude', :f, 0, '', CURRENT_TIMESTAMP)"), {"r": r1, "f": False})
    with pytest.raises(DBAPIError), project.engine.begin() as conn:
        conn.execute(text("UPDATE screening_decisions SET decision = 'exclude'"))
    with pytest.raises(DBAPIError), project.engine.begin() as conn:
        conn.execute(text("DELETE FROM screening_decisions"))
    assert [e.action for e in store.load_screening(project)[r1].events] == ["include"]


def _at_once(location: str, jobs: list[Callable[[Project], object]]) -> list[object]:
    """Run each job in its own thread with its own connection, released together."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def work(i: int) -> None:
        with open_project(location) as p:
            barrier.wait()
            try:
                results[i] = jobs[i](p)
            except (DomainError, StorageError) as exc:
                results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_reviewers_writing_at_the_same_moment_lose_no_decision(location: str) -> None:
    with open_project(location, create=True) as p:
        rids = ids(p, 20)
    results = _at_once(location, [
        lambda p: [store.add_events(p, [ev(r, "ann", "include")], "ann") for r in rids],
        lambda p: [store.add_events(p, [ev(r, "bo", "exclude" if r % 2 else "maybe")], "bo") for r in rids],
    ])
    assert all(isinstance(r, list) for r in results), results
    with open_project(location) as p:
        states = store.load_screening(p)
    assert sorted(states) == rids
    assert all({e.reviewer for e in s.events} == {"ann", "bo"} for s in states.values())
    assert {s.state for s in states.values()} == {"ta:conflict", "ft:open"}


def test_a_double_submit_at_the_same_moment_stores_one_decision(location: str) -> None:
    with open_project(location, create=True) as p:
        rid = ids(p, 1)[0]
    results = _at_once(location, [lambda p: store.add_events(p, [ev(rid, "ann", "include")], "ann"),
                                  lambda p: store.add_events(p, [ev(rid, "ann", "include")], "ann")])
    assert sorted(type(r).__name__ for r in results) == ["DomainError", "int"], results
    with open_project(location) as p:
        assert len(store.load_screening(p)[rid].events) == 1


def test_settings_full_texts_and_policy(project: Project) -> None:
    r1, r2, _ = ids(project)
    assert store.screening_settings(project)[0].required == 2
    store.set_screening_settings(project, "owner", reviewers=1,
                                 keywords=Keywords(("randomi*",), ("动物",)))
    policy, words = store.screening_settings(project)
    assert policy.required == 1 and words == Keywords(("randomi*",), ("动物",))
    store.add_events(project, [ev(r1, "ann", "include")], "ann")
    assert store.load_screening(project)[r1].state == "ft:open"
    with pytest.raises(DomainError, match="cannot change once decisions"):
        store.set_screening_settings(project, "owner", reviewers=2)
    store.set_full_text(project, r1, "url", "https://doi.org/10.1/x", "ann")
    store.set_full_text(project, r1, "not_retrieved", "", "ann")
    assert store.full_texts(project)[r1].kind == "not_retrieved"
    with pytest.raises(DomainError, match="no record"):
        store.set_full_text(project, 999999, "url", "x", "ann")
    assert r2 not in store.full_texts(project)


def test_a_project_written_at_revision_0002_upgrades_and_can_be_screened(tmp_path: Path) -> None:
    """``fixtures/pre0003_records/project.sql``: a SQLite project with 3 records and 1 duplicate
    link written at revision 0002 (dumped with ``iterdump``); never rewritten."""
    import sqlite3

    from evisynth.services import screening as services

    path = tmp_path / "old.evisynth"
    with sqlite3.connect(path) as conn:
        conn.executescript((FIXTURES / "pre0003_records" / "project.sql").read_text(encoding="utf-8"))
    conn.close()
    with open_project(path) as p:
        assert record_store.count_records(p) == {"CNKI": 1, "Embase": 1, "PubMed": 1}
        assert store.load_screening(p) == {}
        store.add_events(p, [ev(2, "ann", "exclude", reason="animal study"), ev(2, "bo", "exclude")], "ann")
        flow = services.prisma(p)
    assert (flow.database_results, flow.duplicates) == (3, 1)
    assert (flow.records_screened, flow.records_excluded) == (2, 1)
    assert flow.pending_title_abstract == 1
