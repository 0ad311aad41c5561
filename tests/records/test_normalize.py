"""The normalization rules, one function at a time, plus their invariants as properties."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from evisynth.review.normalize import (
    clean_text,
    detect_language,
    make_record,
    normalize_author,
    normalize_doi,
    normalize_journal,
    normalize_language,
    normalize_pages,
    normalize_pmid,
    normalize_record_type,
    split_keywords,
    year_from,
)
from evisynth.review.records import RECORD_TYPES


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Smith, John A.", "Smith, John A."),
        ("  Smith ,   John  ", "Smith, John"),
        ("Smith JA", "Smith, JA"),
        ("Mueller-Kronast NH", "Mueller-Kronast, NH"),
        ("John A. Smith", "Smith, John A."),
        ("谢昕", "谢昕"),
        ("谢 昕", "谢昕"),
        ("中国抗癌协会肉瘤专业委员会", "中国抗癌协会肉瘤专业委员会"),
        ("Cochrane", "Cochrane"),
        ("", ""),
    ],
)
def test_author_names_become_last_comma_first_and_cjk_names_stay_whole(raw: str, expected: str) -> None:
    assert normalize_author(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://doi.org/10.1111/JVIM.16404", "10.1111/jvim.16404"),
        ("http://dx.doi.org/10.1002/cpp.2398", "10.1002/cpp.2398"),
        ("doi:10.1056/NEJMoa1715274.", "10.1056/nejmoa1715274"),
        ("10.1136/neurintsurg-2017-013179 [doi]", "10.1136/neurintsurg-2017-013179"),
        ("10.1002%2Fcpp.2398", "10.1002/cpp.2398"),
        ("not a doi", ""),
    ],
)
def test_doi_is_stripped_of_resolver_and_lowercased(raw: str, expected: str) -> None:
    assert normalize_doi(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("35319117", "35319117"), ("PMID: 123", "123"), ("30776994 [pubmed]", "30776994"),
     ("WOS:000082252000006", ""), ("rayyan-264552525", ""), ("2214991469; 51887", ""), ("", "")],
)
def test_pmid_keeps_only_pubmed_sized_numbers(raw: str, expected: str) -> None:
    assert normalize_pmid(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2019//", 2019), ("2018 Apr", 2018), ("2015 Jan-Feb", 2015), ("Date of Publication: 1 Dec 2018", 2018),
     ("Null", None), ("12345", None), ("", None)],
)
def test_year_is_taken_from_dates(raw: str, expected: int | None) -> None:
    assert year_from(raw) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [("123-9", "", "123-129"), ("283-98", "", "283-298"), ("1535-41", "", "1535-1541"),
     ("1032-1038", "", "1032-1038"), ("134", "137", "134-137"), ("12--19", "", "12-19"),
     ("e0815", "", "e0815"), ("S12-S5", "", "S12-S15"), ("No", "Specified", ""), ("", "", "")],
)
def test_pages_have_the_end_page_written_out(start: str, end: str, expected: str) -> None:
    assert normalize_pages(start, end) == expected


def test_journal_whitespace_and_trailing_period_are_cleaned() -> None:
    assert normalize_journal("  Journal of\n  veterinary   medicine. ") == "Journal of veterinary medicine"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("软组织肉瘤诊治中国专家共识(2015年版)", "zh"), ("Share-option based compensation", "en"),
     ("基于GA-BP算法的长江运价指数预测", "zh"), ("123 456", "")],
)
def test_language_is_detected_by_cjk_share(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_explicit_language_wins_over_detection() -> None:
    assert normalize_language("English", text="中文标题") == "en"
    assert normalize_language("chi") == "zh"
    assert normalize_language("ger") == "ger"
    assert normalize_language("", text="中文标题") == "zh"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("JOUR", "article"), ("Journal Article", "article"), ("inproceedings", "conference"),
     ("CHAP", "chapter"), ("Book Section", "chapter"), ("Thesis", "thesis"), ("???", "other")],
)
def test_record_types_map_to_a_small_vocabulary(raw: str, expected: str) -> None:
    assert normalize_record_type(raw) == expected


def test_keywords_split_on_lines_and_semicolons_without_duplicates() -> None:
    assert split_keywords(["a\nb; c", "肉瘤；诊断", "a"]) == ("a", "b", "c", "肉瘤", "诊断")


def test_make_record_refuses_unknown_keys() -> None:
    with pytest.raises(ValueError, match="unknown field keys"):
        make_record({"titel": ["x"]}, source_file="f", entry=1, format="ris", original="")


@settings(max_examples=100)
@given(st.text(max_size=60))
@example("0;\r0")  # a separator left on a given name ("0, 0;") was stripped only on the second pass
def test_normalizers_are_idempotent(text: str) -> None:
    assert clean_text(clean_text(text)) == clean_text(text)
    assert normalize_doi(normalize_doi(text)) == normalize_doi(text)
    assert normalize_pages(normalize_pages(text)) == normalize_pages(text)
    assert normalize_journal(normalize_journal(text)) == normalize_journal(text)
    assert normalize_author(normalize_author(text)) == normalize_author(text)


@settings(max_examples=100)
@given(st.integers(1, 99999), st.integers(0, 99999))
def test_expanded_page_ranges_never_end_before_they_start_when_written_in_full(first: int, span: int) -> None:
    last = first + span
    assert normalize_pages(f"{first}-{last}") == f"{first}-{last}"


@settings(max_examples=100)
@given(st.text(max_size=30))
def test_record_types_always_land_in_the_vocabulary(text: str) -> None:
    assert normalize_record_type(text) in RECORD_TYPES
