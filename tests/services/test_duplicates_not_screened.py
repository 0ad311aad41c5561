"""Screening never serves a record that is a duplicate of one already queued: of each group
of duplicates (auto or accepted links) only the kept record (the lowest id) is served — in id
order and in active-learning order; asked for by id, it is shown as it stands but closed. Undoing the merge
(rejecting the link) serves the other record again."""

from __future__ import annotations

from pathlib import Path

from evisynth.services import dedup, screening, team
from evisynth.services import records as record_services
from evisynth.storage import open_project
from evisynth.storage import records as record_store

TOPICS = ("Vitamin K2 and vascular calcification in haemodialysis patients",
          "Menaquinone-7 supplementation and arterial stiffness in kidney transplant recipients",
          "Warfarin use and aortic valve calcification: a cohort study",
          "Vitamin D in children with asthma: a randomised trial",
          "Exercise training for people on dialysis",
          "Phosphate binders and coronary calcification")


def ris() -> str:
    return "".join(f"TY  - JOUR\nTI  - {t}\nAU  - Author{i}, A\nPY  - {2010 + i}\nJO  - Journal {i}\n"
                   f"VL  - {i + 3}\nSP  - {100 + i}\nAB  - {t}. Abstract words number {i}.\nER  - \n\n"
                   for i, t in enumerate(TOPICS))


def imported_twice(tmp_path: Path) -> Path:
    """The same export imported twice (confirmed), then deduplicated: ids 1–6 and 7–12."""
    export = tmp_path / "search.ris"
    export.write_text(ris(), encoding="utf-8")
    project = tmp_path / "p.evisynth"
    record_services.import_records(project, [export], actor="olga", create=True)
    record_services.import_records(project, [export], actor="olga", allow_reimport=True)
    run = dedup.deduplicate(project, actor="olga")
    assert run.records == 12
    return project


def served(project: Path, reviewer: str, *, relevance: bool) -> list[int]:
    """Every record the reviewer is served, deciding each (include the first, exclude the
    others) until the queue is empty."""
    out: list[int] = []
    with open_project(project) as p:
        order = screening.relevance_order(p) if relevance else None
        session = screening.session(p, reviewer, "ta", order)
        while (item := session.current()) is not None:
            out.append(item.record_id)
            session.decide("include" if len(out) == 1 else "exclude", "E1")
    return out


def test_each_group_serves_only_its_kept_record_in_id_and_relevance_order(tmp_path: Path) -> None:
    project = imported_twice(tmp_path)
    groups = dedup.groups(project)
    # the second import is the first one's duplicate, record by record
    assert [(g.kept.id, [d.id for d in g.duplicates]) for g in groups] == [(i, [i + 6]) for i in range(1, 7)]
    assert served(project, "ann", relevance=False) == [1, 2, 3, 4, 5, 6]
    by_relevance = served(project, "bo", relevance=True)
    assert sorted(by_relevance) == [1, 2, 3, 4, 5, 6]


def test_a_duplicate_asked_for_by_id_is_shown_but_not_screened_until_the_merge_is_undone(
        tmp_path: Path) -> None:
    project = imported_twice(tmp_path)
    with open_project(project) as p:
        for relevance in (False, True):
            asked = team.screen(p, team.Leases(), "k", "ann", record=8, relevance=relevance)
            assert asked.view.record_id == 8 and asked.closed  # shown as it stands, closed
            following = team.screen(p, team.Leases(), "k", "ann", relevance=relevance)
            assert following.view.record_id in range(1, 7)
        link = next(s for s in record_store.list_links(p) if {s.link.record, s.link.duplicate_of} == {2, 8})
    dedup.decide(project, [(link.id, "rejected")], actor="ann")  # undo the merge
    with open_project(project) as p:
        assert not team.screen(p, team.Leases(), "k", "ann", record=8).closed
        assert record_store.list_links(p, record=8)[0].link.status == "rejected"  # kept, not deleted
    assert 8 in served(project, "bo", relevance=True)
