"""Imported records and duplicate links in the project store (revision 0002)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from evisynth.review.links import DuplicateLink
from evisynth.review.records import Record
from evisynth.storage import Project, StorageError
from evisynth.storage import records as store
from evisynth.storage.records import FileSummary


def rec(entry: int, database: str = "PubMed", file: str = "pubmed.nbib", **fields: object) -> Record:
    title = str(fields.pop("title", f"Vitamin K2 trial {entry}"))
    return Record(source_file=file, entry=entry, format="medline", database=database, line=entry * 10,
                  original=f"PMID- {entry}\nTI  - {title}\n", title=title, **fields)  # type: ignore[arg-type]


SIX = [rec(1, pmid="26176405", authors=("Kurnatowska, I.", "Grzelak, P."), year=2015,
           keywords=("vitamin K2", "CKD")),
       rec(2), rec(3),
       rec(1, "Embase", "embase.ris", title="维生素K2与血管钙化", language="zh"),
       rec(2, "Embase", "embase.ris"),
       rec(1, "CNKI", "cnki.txt", year=None)]


def test_a_batch_is_stored_with_provenance_original_text_and_fields(project: Project) -> None:
    batch = store.add_records(project, SIX, "reviewer-a", source="", encoding="")
    assert (batch.record_count, batch.imported_by) == (6, "reviewer-a")
    assert [f.path for f in batch.files] == ["pubmed.nbib", "embase.ris", "cnki.txt"]
    assert [f.records for f in batch.files] == [3, 2, 1]
    stored = store.list_records(project)
    assert [s.record for s in stored] == SIX
    assert [s.id for s in stored] == list(range(batch.first_id or 0, (batch.last_id or 0) + 1))
    assert {s.import_batch for s in stored} == {batch.id}
    assert store.get_record(project, stored[3].id).record.title == "维生素K2与血管钙化"
    assert store.count_records(project) == {"CNKI": 1, "Embase": 2, "PubMed": 3}
    assert store.list_batches(project) == (batch,)


def test_an_import_is_audited_once_as_a_batch(project: Project) -> None:
    batch = store.add_records(project, SIX[:2], "reviewer-a")
    entries = project.audit_entries(entity="import_batch")
    assert len(entries) == 1
    assert entries[0].action == "create" and entries[0].entity_id == str(batch.id)
    assert entries[0].new_value["record_count"] == 2
    assert entries[0].new_value["first_id"] == batch.first_id


def test_a_failing_import_stores_nothing(project: Project) -> None:
    store.add_records(project, SIX[:1], "reviewer-a")
    clash = [rec(7), rec(8), rec(7)]  # the same entry of the same file twice in one batch
    with pytest.raises(StorageError, match="nothing was stored"):
        store.add_records(project, clash, "reviewer-a")
    assert store.count_records(project) == {"PubMed": 1}
    assert len(store.list_batches(project)) == 1
    assert len(project.audit_entries(entity="import_batch")) == 1


def test_file_summaries_must_account_for_every_record(project: Project) -> None:
    with pytest.raises(StorageError, match="count 5 records but 2"):
        store.add_records(project, SIX[:2], "a", files=[FileSummary("x.ris", "ris", "utf-8", 5)])


def test_records_stream_in_chunks_in_id_order(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "CHUNK", 2)
    store.add_records(project, SIX, "a")
    store.add_records(project, [rec(9, "CNKI", "more.txt")], "a")
    ids = [s.id for s in store.iter_records(project)]
    assert ids == sorted(ids) and len(ids) == 7
    assert [s.record.entry for s in store.iter_records(project, database="CNKI")] == [1, 9]
    assert len(store.list_records(project, batch=2)) == 1
    assert [s.id for s in store.list_records(project, ids=[5, 1, 3])] == [1, 3, 5]
    with pytest.raises(StorageError, match="no record 99"):
        store.get_record(project, 99)


def test_links_are_stored_once_per_pair_and_keep_decisions(project: Project) -> None:
    store.add_records(project, SIX, "a")
    added = store.add_links(project, [DuplicateLink(4, 1, 0.97, "doi", "auto"),
                                      DuplicateLink(5, 2, 0.71, "title+year", "needs_review")], "dedup")
    assert [(s.link.record, s.link.status) for s in added] == [(4, "auto"), (5, "needs_review")]
    decided = store.decide_link(project, added[1].id, "accepted", "reviewer-b")
    assert decided.link.status == "accepted" and decided.link.decided_by == "reviewer-b"
    assert decided.decided_at is not None
    # Rerunning dedup proposes the same pair the other way round: the decision stays.
    again = store.add_links(project, [DuplicateLink(2, 5, 0.71, "title+year", "needs_review"),
                                      DuplicateLink(6, 1, 0.55, "title", "needs_review")], "dedup")
    assert [(s.link.record, s.link.duplicate_of) for s in again] == [(6, 1)]
    assert store.count_links(project) == {"auto": 1, "needs_review": 1, "accepted": 1, "rejected": 0}
    assert [s.link.record for s in store.list_links(project, status="needs_review")] == [6]
    assert [s.id for s in store.list_links(project, record=1)] == [added[0].id, again[0].id]


def test_a_decision_is_audited_with_the_earlier_state(project: Project) -> None:
    store.add_records(project, SIX, "a")
    (link,) = store.add_links(project, [DuplicateLink(5, 2, 0.7, "title+year", "needs_review")], "dedup")
    store.decide_link(project, link.id, "accepted", "reviewer-a")
    store.decide_link(project, link.id, "rejected", "reviewer-b")
    history = [(e.action, e.field, e.old_value, e.new_value, e.actor)
               for e in project.audit_entries(entity="record_link", entity_id=str(link.id))
               if e.field in (None, "status")]
    assert [h[:4] for h in history] == [("create", None, None, history[0][3]),
                                         ("update", "status", "needs_review", "accepted"),
                                         ("update", "status", "accepted", "rejected")]
    assert history[0][3]["status"] == "needs_review"
    assert [h[4] for h in history] == ["dedup", "reviewer-a", "reviewer-b"]


def test_links_are_never_deleted(project: Project) -> None:
    store.add_records(project, SIX, "a")
    store.add_links(project, [DuplicateLink(4, 1, 0.97, "doi", "auto")], "dedup")
    with pytest.raises(Exception, match="never deleted"), project.engine.begin() as conn:
        conn.execute(text("DELETE FROM record_links"))
    assert len(store.list_links(project)) == 1


def test_bad_links_and_decisions_are_refused_with_nothing_stored(project: Project) -> None:
    store.add_records(project, SIX[:2], "a")
    with pytest.raises(StorageError, match="cannot link record 9"):
        store.add_links(project, [DuplicateLink(2, 1, 0.9, "doi", "auto"),
                                  DuplicateLink(9, 1, 0.9, "doi", "auto")], "dedup")
    assert store.list_links(project) == ()
    with pytest.raises(StorageError, match="no duplicate link 3"):
        store.decide_link(project, 3, "accepted", "reviewer-a")
    with pytest.raises(StorageError, match="decision must be one of accepted, rejected"):
        store.decide_link(project, 1, "maybe", "reviewer-a")


def test_prisma_identification_is_counted_from_records_and_links(project: Project) -> None:
    store.add_records(project, SIX, "a")
    store.add_links(project, [DuplicateLink(4, 1, 0.97, "doi", "auto"),
                              DuplicateLink(5, 2, 0.80, "title+year", "accepted", "reviewer-a"),
                              DuplicateLink(6, 1, 0.55, "title", "needs_review"),
                              DuplicateLink(3, 2, 0.40, "title", "rejected", "reviewer-a")], "dedup")
    counts = store.identification_counts(project)
    # Hand count: 6 records (PubMed 3, Embase 2, CNKI 1); groups {1, 4} and {2, 5} each keep
    # one record, so 2 are removed and 4 screened; one link waits for review.
    assert counts.to_dict() == {"identified": 6, "by_source": {"CNKI": 1, "Embase": 2, "PubMed": 3},
                                "duplicates_removed": 2, "screened": 4, "awaiting_review": 1}
