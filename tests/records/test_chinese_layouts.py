"""EndNote tagged (``%0``) and RefWorks text as CNKI, Wanfang and VIP export them.

The fixtures are written here, field by field, after the layouts those databases produce
(EndNote's generic tag table: %0 type, %A author per line, %+ address, %T, %J, %D, %V, %N,
%P, %K, %X, %@ ISSN, %L CN number, %W provider; CNKI's RefWorks export: RT, SR, A1 with
``;``-separated names, AD, T1, JF, YR, IS, lower-case ``vo``, OP, K1, AB, SN, CN, LA, DS, LK,
entries separated by blank lines and no end tag).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evisynth.io.errors import ImportFormatError
from evisynth.io.records import detect_format, endnote_tagged, read_file, refworks

ENDNOTE_CNKI = """%0 Journal Article
%A 王斌
%A 李明
%+ 青岛大学附属医院肾内科;
%T 维生素K2对维持性血液透析患者血管钙化的影响
%J 中华肾脏病杂志
%D 2020
%V 36
%N 05
%K 维生素K2;血管钙化;血液透析
%X 目的 探讨维生素K2对血管钙化的影响。方法 随机对照试验,
共60例。
%P 345-350
%@ 1001-7097
%L 44-1217/R
%W CNKI

%0 Thesis
%A 张华
%T 甲萘醌-7与慢性肾脏病矿物质骨代谢异常
%D 2019
%9 硕士
%W CNKI
"""

ENDNOTE_PUBMED = """%0 Journal Article
%A Kurnatowska, Ilona
%A Grzelak, Piotr
%T Effect of vitamin K2 on progression of atherosclerosis and vascular calcification
in nondialyzed patients with chronic kidney disease stages 3-5
%J Polskie Archiwum Medycyny Wewnetrznej
%V 125
%N 9
%P 631-640
%D 2015
%R 10.20452/pamw.3041
%M 26176405
%G eng
"""

REFWORKS_CNKI = """RT Journal Article
SR 1
A1 王斌;李明;
AD 青岛大学附属医院肾内科;
T1 维生素K2对维持性血液透析患者血管钙化的影响
JF 中华肾脏病杂志
YR 2020
IS 05
vo 36
OP 345-350
K1 维生素K2;血管钙化;血液透析
AB 目的 探讨维生素K2对血管钙化的影响。
SN 1001-7097
CN 44-1217/R
LA 中文;
DS CNKI
LK https://kns.cnki.net/kcms/detail/detail.aspx?FileName=ZHSZ202005004&DbName=CJFQ2020

RT Dissertation/Thesis
A1 张华
T1 甲萘醌-7与慢性肾脏病矿物质骨代谢异常
YR 2019
DS CNKI
"""


def test_endnote_tagged_from_cnki() -> None:
    first, thesis = endnote_tagged.read(ENDNOTE_CNKI, path="cnki.enw")
    assert first.title == "维生素K2对维持性血液透析患者血管钙化的影响"
    assert first.authors == ("王斌", "李明")
    assert (first.year, first.journal, first.volume, first.issue, first.pages) == (
        2020, "中华肾脏病杂志", "36", "05", "345-350")
    assert first.keywords == ("维生素K2", "血管钙化", "血液透析")
    assert first.abstract.startswith("目的 探讨") and "共60例" in first.abstract
    assert (first.database, first.language, first.record_type, first.line) == ("CNKI", "zh", "article", 1)
    assert first.original.splitlines()[0] == "%0 Journal Article"
    assert (thesis.record_type, thesis.line, thesis.entry) == ("thesis", 18, 2)


def test_endnote_tagged_from_pubmed_keeps_doi_and_pmid() -> None:
    (record,) = endnote_tagged.read(ENDNOTE_PUBMED, path="pubmed.enw")
    assert record.authors == ("Kurnatowska, Ilona", "Grzelak, Piotr")
    assert record.title.endswith("vascular calcification in nondialyzed patients with chronic kidney "
                                 "disease stages 3-5")
    assert (record.doi, record.pmid, record.language) == ("10.20452/pamw.3041", "26176405", "en")


def test_refworks_from_cnki() -> None:
    first, thesis = refworks.read(REFWORKS_CNKI, path="cnki.txt")
    assert first.authors == ("王斌", "李明")
    assert (first.year, first.volume, first.issue, first.pages) == (2020, "36", "05", "345-350")
    assert first.keywords == ("维生素K2", "血管钙化", "血液透析")
    assert (first.database, first.language) == ("CNKI", "zh")
    assert (thesis.record_type, thesis.line) == ("thesis", 19)


def test_layouts_are_sniffed_and_read_through_gb18030(tmp_path: Path) -> None:
    assert detect_format(ENDNOTE_CNKI) == "endnote"
    assert detect_format(REFWORKS_CNKI) == "refworks"
    path = tmp_path / "export.txt"
    path.write_bytes(REFWORKS_CNKI.encode("gb18030"))
    read = read_file(path)
    assert (read.format, read.encoding, len(read.records)) == ("refworks", "gb18030", 2)
    assert read.records[0].title == "维生素K2对维持性血液透析患者血管钙化的影响"


def test_a_truncated_entry_names_file_and_line() -> None:
    with pytest.raises(ImportFormatError, match=r"cnki\.enw, line 5: entry has no %T title"):
        endnote_tagged.read("%0 Journal Article\n%T 标题\n%A 王斌\n\n%0 Journal Article\n%A 李明\n",
                            path="cnki.enw")
    with pytest.raises(ImportFormatError, match=r"x\.txt, line 1: field T1 before the first 'RT' line"):
        refworks.read("T1 标题\nRT Journal Article\n", path="x.txt")
    with pytest.raises(ImportFormatError, match=r"x\.enw, line 2: not an EndNote tagged line"):
        endnote_tagged.read("\n\x01\x02 junk\n", path="x.enw")
