"""The records table's query in the store: text search in title, authors and abstract (any
language, case-insensitive, wildcards literal), filters, sorting with ties broken by id,
paging, and id sets of any size — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from evisynth.review.records import Record
from evisynth.storage import Project, StorageError
from evisynth.storage import records as store
from evisynth.storage.records import RecordFilter


def rec(entry: int, title: str, *, database: str = "PubMed", year: int | None = 2020,
        authors: tuple[str, ...] = (), abstract: str = "") -> Record:
    return Record(source_file="x.ris", entry=entry, format="ris", original="", database=database,
                  title=title, authors=authors, year=year, abstract=abstract)


@pytest.fixture
def ids(project: Project) -> list[int]:
    batch = store.add_records(project, [
        rec(1, "Vitamin K2 in haemodialysis", authors=("Kurnatowska I",), year=2015),
        rec(2, "维生素K2与血管钙化", authors=("王斌", "李明"), database="CNKI", year=2020,
            abstract="目的 探讨维生素K2的作用"),
        rec(3, "Calcification: 100% of_patients", database="Embase", year=2020),
        rec(4, "Warfarin and stiffness", year=None, abstract="VITAMIN k antagonists"),
    ], "olga")
    assert batch.first_id is not None
    return list(range(batch.first_id, batch.first_id + 4))


def found(project: Project, where: RecordFilter, **kw: object) -> list[int]:
    return [s.id for s in store.search_records(project, where, **kw)[1]]  # type: ignore[arg-type]


def test_text_search_reads_titles_authors_and_abstracts_in_any_language(project: Project,
                                                                         ids: list[int]) -> None:
    assert found(project, RecordFilter(text="vitamin k")) == [ids[0], ids[3]]  # title, abstract
    assert found(project, RecordFilter(text="李明")) == [ids[1]]  # authors, stored as escaped JSON
    assert found(project, RecordFilter(text="血管")) == [ids[1]]
    assert found(project, RecordFilter(text="kurnatowska")) == [ids[0]]
    assert found(project, RecordFilter(text="100%")) == [ids[2]]
    assert found(project, RecordFilter(text="f_p")) == [ids[2]]
    assert found(project, RecordFilter(text="0_%")) == []  # wildcards are literal


def test_filters_sorting_paging_and_id_sets(project: Project, ids: list[int]) -> None:
    assert found(project, RecordFilter(database="CNKI")) == [ids[1]]
    assert found(project, RecordFilter(year=2020)) == [ids[1], ids[2]]
    # empty years last both ways, ties by id (PostgreSQL and SQLite order NULLs differently)
    assert found(project, RecordFilter(), sort="year") == ids
    assert found(project, RecordFilter(), sort="year", descending=True) == [ids[2], ids[1], ids[0], ids[3]]
    assert found(project, RecordFilter(), sort="database") == [ids[1], ids[2], ids[0], ids[3]]
    total, page = store.search_records(project, RecordFilter(), limit=2, offset=2)
    assert total == 4 and [s.id for s in page] == ids[2:]
    assert found(project, RecordFilter(ids=frozenset({ids[1], ids[3]}))) == [ids[1], ids[3]]
    assert found(project, RecordFilter(ids=frozenset())) == []
    assert found(project, RecordFilter(not_ids=frozenset({ids[0]}), year=2020)) == [ids[1], ids[2]]
    many = frozenset(range(ids[0], ids[0] + 40_000))  # past SQLite's bound-parameter limit
    assert store.search_records(project, RecordFilter(ids=many), limit=None)[0] == 4
    with pytest.raises(StorageError, match="sort must be one of"):
        store.search_records(project, RecordFilter(), sort="original")
