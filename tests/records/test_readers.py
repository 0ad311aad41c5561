"""Each reader in its three steps (read → clean → convert) on small fixtures, and its errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from evisynth.io.errors import ImportFormatError
from evisynth.io.records import bibtex, cnki, endnote_xml, medline, pubmed_xml, read_records, ris, tables, wos

RIS = """1.
TY  - JOUR
TI  - A trial of
      something
AU  - Smith, John
AU  - Doe JA
PY  - 2019//
JF  - Journal of Tests.
VL  - 12
IS  - 3
SP  - 123
EP  - 9
DO  - https://doi.org/10.1000/ABC.1
AN  - 31421429
KW  - alpha
beta
AB  - An abstract.
LA  - English
ER  -

Link to the Ovid Full Text: http://example.org
"""


def test_ris_read_keeps_tags_lines_and_continuations() -> None:
    (entry,) = ris.parse(RIS, path="f.ris")
    assert entry.line == 2
    assert entry.values("TI") == ["A trial of\nsomething"]
    assert [f.line for f in entry.fields if f.tag == "AU"] == [5, 6]
    assert entry.values("KW") == ["alpha\nbeta"]
    assert entry.text.startswith("TY  - JOUR") and entry.text.endswith("ER  -")


def test_ris_clean_maps_tags_to_canonical_keys() -> None:
    fields = ris.clean(ris.parse(RIS, path="f.ris")[0])
    assert fields["journal"] == ["Journal of Tests."]
    assert fields["start_page"] == ["123"] and fields["end_page"] == ["9"]
    assert fields["pmid"] == ["31421429"]


def test_ris_convert_normalizes_every_field() -> None:
    (record,) = ris.read(RIS, path="f.ris", database="Ovid")
    assert record.title == "A trial of something"
    assert record.authors == ("Smith, John", "Doe, JA")
    assert (record.year, record.journal, record.volume, record.issue) == (2019, "Journal of Tests", "12", "3")
    assert record.pages == "123-129"
    assert record.doi == "10.1000/abc.1"
    assert record.pmid == "31421429"
    assert record.keywords == ("alpha", "beta")
    assert (record.language, record.record_type, record.database) == ("en", "article", "Ovid")
    assert (record.source_file, record.entry, record.line, record.format) == ("f.ris", 1, 2, "ris")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("TY  - JOUR\nTI  - cut off here", r"f\.ris, line 1: entry has no 'ER  - ' end tag"),
        ("TY  - JOUR\nTI  - one\nTY  - JOUR\nTI  - two\nER  - \n", r"line 1: .*before the next 'TY'"),
        ("just some text\n", "no RIS entries found"),
        ("", "no RIS entries found"),
    ],
)
def test_ris_malformed_input_names_file_line_and_fix(text: str, message: str) -> None:
    with pytest.raises(ImportFormatError, match=message) as info:
        ris.read(text, path="f.ris")
    assert "re-export" in str(info.value)


NBIB = """PMID- 28754806
TI  - Impact of balloon guide catheter on technical and clinical outcomes: a
      systematic review and meta-analysis.
PG  - 335-339
LID - 10.1136/neurintsurg-2017-013179 [doi]
FAU - Brinjikji, Waleed
AU  - Brinjikji W
AU  - Pereira VM
DP  - 2018 Apr
JT  - Journal of neurointerventional surgery
LA  - eng
PT  - Journal Article
OT  - stroke

PMID- 1
TI  - Second.
AU  - Doe J
"""


def test_medline_reads_entries_split_by_blank_lines_and_prefers_full_author_names() -> None:
    entries = medline.parse(NBIB, path="p.nbib")
    assert [e.line for e in entries] == [1, 15]
    first, second = medline.read(NBIB, path="p.nbib")
    assert first.title.startswith("Impact of balloon guide catheter on technical and clinical outcomes")
    assert first.authors == ("Brinjikji, Waleed",)
    assert (first.year, first.pages, first.pmid) == (2018, "335-339", "28754806")
    assert first.doi == "10.1136/neurintsurg-2017-013179"
    assert (first.language, first.record_type, first.keywords) == ("en", "article", ("stroke",))
    assert second.authors == ("Doe, J",)


def test_medline_refuses_lines_that_are_not_tags() -> None:
    with pytest.raises(ImportFormatError, match=r"p\.nbib, line 2: not a MEDLINE line"):
        medline.read("PMID- 1\n<html>\n", path="p.nbib")
    with pytest.raises(ImportFormatError, match="neither PMID nor TI"):
        medline.read("AU  - Doe J\n", path="p.nbib")


WOS = """FN Clarivate Analytics Web of Science
VR 1.0
PT J
AU Parkes-Loach, PS
   Majeed, AP
AF Parkes-Loach, Pamela S
   Majeed, Andrew P
TI Interactions stabilizing the structure
   of the core
SO BIOCHEMISTRY
LA English
DT Article
DE light harvesting; B820
PY 2004
VL 43
IS 22
BP 7003
EP 16
DI 10.1021/bi049798f
PM 15170338
ER

EF
"""


def test_wos_reads_multi_value_and_continued_fields() -> None:
    (entry,) = wos.parse(WOS, path="w.txt")
    assert entry.values("AU") == ["Parkes-Loach, PS", "Majeed, AP"]
    assert entry.values("TI") == ["Interactions stabilizing the structure of the core"]
    (record,) = wos.read(WOS, path="w.txt")
    assert record.authors == ("Parkes-Loach, Pamela S", "Majeed, Andrew P")
    assert (record.pages, record.pmid, record.year) == ("7003-7016", "15170338", 2004)
    assert record.doi == "10.1021/bi049798f"
    assert record.keywords == ("light harvesting", "B820")
    assert record.database == "Web of Science"


def test_wos_entry_without_er_is_refused() -> None:
    with pytest.raises(ImportFormatError, match=r"w\.txt, line 3: entry has no 'ER'"):
        wos.read(WOS.replace("ER\n", ""), path="w.txt")


CNKI = """{Reference Type}: Journal Article
{Title}: 基于公共行政理念的政府公共关系发展历程探析
{Author}: 谢昕,王小增
{Author Address}: 中国地质大学政法学院

,湖北武汉430074
{Journal}：湖北社会科学
{Year}: 2005
{Issue}: 09
{Pages}: 14-16
{Keywords}: 政府公共关系;;公共行政
{Abstract}： 第一段(#br)第二段

{Reference Type}: Journal Article
{Title}: Share-option based compensation
{Author}: Alaa Alhaj-Ismail;;Sami Adwan
{Year}: 2019
"""


def test_cnki_reads_full_width_colons_and_broken_lines() -> None:
    first, second = cnki.parse(CNKI, path="c.net")
    assert first.values("Author Address") == ["中国地质大学政法学院\n,湖北武汉430074"]
    assert first.values("Journal") == ["湖北社会科学"]
    assert second.line == 14
    one, two = cnki.read(CNKI, path="c.net")
    assert one.authors == ("谢昕", "王小增")
    assert (one.journal, one.year, one.issue) == ("湖北社会科学", 2005, "09")
    assert (one.pages, one.language) == ("14-16", "zh")
    assert one.keywords == ("政府公共关系", "公共行政")
    assert one.abstract == "第一段 第二段"
    assert two.authors == ("Alhaj-Ismail, Alaa", "Adwan, Sami")
    assert two.language == "en"


def test_cnki_entry_without_title_is_refused() -> None:
    with pytest.raises(ImportFormatError, match=r"c\.net, line 1: entry has no \{Title\}"):
        cnki.read("{Reference Type}: Journal Article\n{Year}: 2005\n", path="c.net")


BIB = r"""@string{jvm = "J. Vet. Med."}
@comment{ignored {nested} }
@article{larsen_1999,
  title = {Microangiography in {Cocker} {Spaniel} dogs},
  author = {Larsen, LJ and M{\"u}ller, Hans and {World Health Organization}},
  journal = jvm # { (Suppl)},
  year = 1999,
  month = mar,
  pages = {134--7},
  doi = {10.1055/S-0038-1632646},
  keywords = {blood supply, fractures},
  language = {English},
}
"""


def test_bibtex_scanner_handles_macros_concatenation_and_nested_braces() -> None:
    (entry,) = bibtex.parse(BIB, path="b.bib")
    assert entry.line == 3
    assert entry.values("ID") == ["larsen_1999"]
    assert entry.values("journal") == ["J. Vet. Med. (Suppl)"]
    assert entry.values("month") == ["mar"]
    (record,) = bibtex.read(BIB, path="b.bib")
    assert record.title == "Microangiography in Cocker Spaniel dogs"
    assert record.authors == ("Larsen, LJ", "Müller, Hans", "World Health Organization")
    assert (record.year, record.pages, record.doi) == (1999, "134-137", "10.1055/s-0038-1632646")
    assert record.keywords == ("blood supply", "fractures")
    assert record.record_type == "article"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("@article{key,\n  title = {unclosed\n", r"b\.bib, line 2: unclosed '\{'"),
        ("@article{key,\n  title = {x}\n", r"line 1: entry is not closed"),
        ("@article{key,\n  title {x}}\n", r"line 2: expected '=' after field 'title'"),
        ("no entries", "no BibTeX entries"),
    ],
)
def test_bibtex_malformed_input_is_refused_with_its_line(text: str, message: str) -> None:
    with pytest.raises(ImportFormatError, match=message):
        bibtex.read(text, path="b.bib")


ENDNOTE = """<?xml version="1.0" encoding="UTF-8"?><xml><records><record>
<ref-type name="Journal Article">17</ref-type>
<contributors><authors><author><style face="normal">Rotter, Carina</style></author>
<author>Whittaker, Danielle</author></authors></contributors>
<titles><title>Myoclonus in older Cavalier King Charles Spaniels.</title>
<secondary-title>J Vet Intern Med</secondary-title></titles>
<periodical><full-title>Journal of veterinary internal medicine</full-title></periodical>
<pages>1032-8</pages><volume>36</volume><issue>3</issue>
<keywords><keyword>Dogs</keyword></keywords><dates><year>2022</year></dates>
<accession-num>35319117</accession-num><electronic-resource-num>10.1111/jvim.16404</electronic-resource-num>
<language>eng</language></record></records></xml>"""


def test_endnote_xml_reads_styled_values() -> None:
    (record,) = endnote_xml.read(ENDNOTE, path="e.xml")
    assert record.authors == ("Rotter, Carina", "Whittaker, Danielle")
    assert record.journal == "Journal of veterinary internal medicine"
    assert (record.pages, record.pmid, record.year) == ("1032-1038", "35319117", 2022)
    assert record.doi == "10.1111/jvim.16404"
    assert record.original.startswith("<record>")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ENDNOTE[:400], r"e\.xml, line \d+: not well-formed XML"),
        ("<xml><records></records></xml>", "no <record> elements"),
        ('<!DOCTYPE x [<!ENTITY a "aaaa">]><xml/>', "declares entities"),
        ("<xml><records><record>" + "<a>" * 200 + "</a>" * 200 + "</record></records></xml>",
         "nested more than"),
    ],
)
def test_endnote_xml_malformed_input_is_refused(text: str, message: str) -> None:
    with pytest.raises(ImportFormatError, match=message):
        endnote_xml.read(text, path="e.xml")


PUBMED = """<?xml version="1.0"?>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>29768149</PMID><Article>
<Journal><JournalIssue><Volume>378</Volume><Issue>20</Issue><PubDate><Year>2018</Year></PubDate></JournalIssue>
<Title>The New England journal of medicine</Title></Journal>
<ArticleTitle>Inhaled <i>Combined</i> Budesonide.</ArticleTitle>
<Pagination><MedlinePgn>1865-1876</MedlinePgn></Pagination>
<Abstract><AbstractText Label="BACKGROUND">Asthma.</AbstractText><AbstractText>More.</AbstractText></Abstract>
<AuthorList><Author><LastName>O'Byrne</LastName><ForeName>Paul M</ForeName></Author>
<Author><CollectiveName>SYGMA 1 Investigators</CollectiveName></Author></AuthorList>
<Language>eng</Language><PublicationTypeList><PublicationType>Clinical Trial</PublicationType>
<PublicationType>Journal Article</PublicationType></PublicationTypeList></Article></MedlineCitation>
<PubmedData><ArticleIdList>
<ArticleId IdType="doi">10.1056/NEJMoa1715274</ArticleId></ArticleIdList></PubmedData>
</PubmedArticle></PubmedArticleSet>"""


def test_pubmed_xml_reads_articles() -> None:
    (record,) = pubmed_xml.read(PUBMED, path="p.xml")
    assert record.title == "Inhaled Combined Budesonide."
    assert record.authors == ("O'Byrne, Paul M", "SYGMA 1 Investigators")
    assert record.abstract == "BACKGROUND: Asthma. More."
    assert (record.pmid, record.doi, record.year, record.volume, record.issue) == (
        "29768149", "10.1056/nejmoa1715274", 2018, "378", "20")
    assert record.record_type == "article"


def test_pubmed_xml_article_without_pmid_is_refused() -> None:
    with pytest.raises(ImportFormatError, match="article 1 has no <PMID>"):
        pubmed_xml.read(PUBMED.replace("<PMID>29768149</PMID>", ""), path="p.xml")


CSV = """Title,Author Names,Source,DOI,Year
"Duplication cysts: Diagnosis","Liu R., Adler D.G.",Endoscopic Ultrasound,10.4103/x,2014
Second,"Smith, John; Doe, Jane",Lancet,,2020
"""


def test_tables_use_default_headers_or_an_explicit_mapping() -> None:
    first, second = tables.read(CSV, path="t.csv")
    assert first.authors == ("Liu, R.", "Adler, D.G.")
    assert second.authors == ("Smith, John", "Doe, Jane")
    assert (first.journal, first.doi, first.year) == ("Endoscopic Ultrasound", "10.4103/x", 2014)
    tsv = "Name\tWho\n一个标题\t谢昕\n"
    (record,) = tables.read(tsv, path="t.tsv", sep="\t", columns={"title": "Name", "authors": "Who"})
    assert (record.title, record.authors, record.language) == ("一个标题", ("谢昕",), "zh")


def test_tables_split_a_bibtex_style_author_column() -> None:
    text = ('title,author\n'
            'A,"Zuber, J and Le Quintrec, M and Fremeaux-Bacchi, V and others"\n'
            'B,Johnson and Johnson\n')
    first, second = tables.read(text, path="t.csv")
    assert first.authors == ("Zuber, J", "Le Quintrec, M", "Fremeaux-Bacchi, V")
    assert len(second.authors) == 1  # no "Surname, Initials": one name (a company)


def test_tables_mapping_errors_name_the_columns() -> None:
    with pytest.raises(ImportFormatError, match=r"column\(s\) 'Nope' not in the header; the header has"):
        tables.read(CSV, path="t.csv", columns={"title": "Nope"})
    with pytest.raises(ImportFormatError, match="unknown field"):
        tables.read(CSV, path="t.csv", columns={"titel": "Title"})
    with pytest.raises(ImportFormatError, match="no title column"):
        tables.read("a,b\n1,2\n", path="t.csv")


def test_read_records_picks_the_reader_by_content_then_extension(tmp_path: Path) -> None:
    cases = {"a.txt": RIS, "b.txt": NBIB, "c.txt": WOS, "d.txt": CNKI, "e.bib": BIB, "f.xml": ENDNOTE,
             "g.xml": PUBMED, "h.csv": CSV}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    formats = {name: read_records(tmp_path / name)[0].format for name in cases}
    assert formats == {"a.txt": "ris", "b.txt": "medline", "c.txt": "wos", "d.txt": "cnki", "e.bib": "bibtex",
                       "f.xml": "endnote_xml", "g.xml": "pubmed_xml", "h.csv": "table"}
    gz = tmp_path / "p.xml.gz"
    gz.write_bytes(gzip.compress(PUBMED.encode()))
    assert read_records(gz, source="MEDLINE")[0].database == "MEDLINE"


def test_read_records_leaves_the_upload_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "a.ris"
    raw = ("\ufeff" + RIS.replace("\n", "\r\n")).encode()
    path.write_bytes(raw)
    (record,) = read_records(path)
    assert path.read_bytes() == raw
    assert record.original == RIS.replace("\r", "").split("1.\n", 1)[1].split("\n\nLink", 1)[0]


def test_read_records_reports_unknown_formats_and_options(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"cannot tell the format.*--format"):
        read_records(path)
    with pytest.raises(ImportFormatError, match="unknown format 'foo'"):
        read_records(path, format="foo")
    with pytest.raises(ImportFormatError, match="no such file"):
        read_records(tmp_path / "missing.ris")
    with pytest.raises(ImportFormatError, match="CSV/TSV/XLSX only"):
        read_records(path, format="ris", columns={"title": "x"})
    bad = tmp_path / "bad.ris.gz"
    bad.write_bytes(b"\x1f\x8bnot gzip")
    with pytest.raises(ImportFormatError, match="not a valid gzip"):
        read_records(bad)


def test_a_bad_entry_anywhere_imports_nothing(tmp_path: Path) -> None:
    path = tmp_path / "partial.ris"
    path.write_text(RIS + RIS + "TY  - JOUR\nTI  - cut", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"partial\.ris, line \d+: entry has no 'ER  - '"):
        read_records(path)


def test_gb18030_cnki_export_reads_like_the_utf8_one(tmp_path: Path) -> None:
    utf8, gbk = tmp_path / "a.net", tmp_path / "b.net"
    utf8.write_text(CNKI, encoding="utf-8")
    gbk.write_bytes(CNKI.encode("gb18030"))
    assert [r.fields() for r in read_records(gbk)] == [r.fields() for r in read_records(utf8)]


def test_records_serialize_to_plain_dicts() -> None:
    (record,) = ris.read(RIS, path="f.ris")
    data = record.to_dict()
    assert data["authors"] == ["Smith, John", "Doe, JA"]
    assert data["year"] == 2019
    assert data["original"] == record.original
