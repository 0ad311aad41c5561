"""Exporters: RIS that reads back to the same normalized fields, and CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evisynth.io.records import read_records, ris
from evisynth.io.records.export import to_csv, to_ris
from evisynth.review.records import FIELDS, Record

ROUND_TRIP_FILES = (
    "asreview/_baseline.ris", "asreview/embase.ris", "asreview/scopus.ris", "asreview/ris_issue_992.txt",
    "ASySD/wos_test.ris", "nbib/pubmed-balloongui-set.nbib", "CNKI_2_BibTeX/mixed.net",
    "ASySD/mendeley_export.xml", "python-bibtexparser/gbk_test.bib",
)


@pytest.mark.parametrize("name", ROUND_TRIP_FILES)
def test_records_to_ris_and_back_keep_every_normalized_field(
    formats: Path, name: str, tmp_path: Path
) -> None:
    records = read_records(formats / name)
    path = tmp_path / "out.ris"
    path.write_text(to_ris(records), encoding="utf-8")
    again = read_records(path)
    assert [r.fields() for r in again] == [r.fields() for r in records]
    assert [r.database for r in again] == [r.database for r in records]
    twice = tmp_path / "twice.ris"
    twice.write_text(to_ris(again), encoding="utf-8")
    assert twice.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_csv_has_one_row_per_record_with_lists_joined(formats: Path) -> None:
    records = read_records(formats / "nbib/single.nbib")
    rows = list(csv.DictReader(io.StringIO(to_csv(records))))
    assert len(rows) == 1
    assert rows[0]["pmid"] == "28754806"
    assert rows[0]["authors"].startswith("Brinjikji, Waleed; ")
    assert list(rows[0]) == ["source_file", "entry", "database", "format", *FIELDS]


_word = st.text(alphabet=st.characters(categories=("L", "N"), max_codepoint=0x9FFF), min_size=1, max_size=8)
_phrase = st.lists(_word, min_size=1, max_size=5).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(
    title=_phrase,
    authors=st.lists(st.tuples(_word, _word).map(lambda p: f"{p[0]}, {p[1]}"), max_size=4, unique=True),
    year=st.none() | st.integers(1900, 2099),
    journal=st.just("") | _phrase,
    first=st.integers(1, 5000),
    span=st.integers(0, 500),
    keywords=st.lists(_phrase, max_size=3, unique=True),
)
def test_generated_records_survive_a_ris_round_trip(
    title: str, authors: list[str], year: int | None, journal: str, first: int, span: int, keywords: list[str]
) -> None:
    record = Record(
        source_file="x", entry=1, format="ris", original="", title=title, authors=tuple(authors), year=year,
        journal=journal, pages=f"{first}-{first + span}", doi="10.1000/abc", pmid="12345",
        keywords=tuple(keywords),
        language="en", record_type="article",
    )
    (again,) = ris.read(to_ris([record]), path="x")
    expected = record.fields()
    assert again.fields()["title"] == expected["title"]
    assert again.year == record.year
    assert again.pages == record.pages
    assert again.pmid == record.pmid
    assert again.keywords == tuple(k for k in record.keywords)
