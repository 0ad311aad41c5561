"""Explicit decoding: BOMs, strict UTF-8, GB18030 only for Chinese text, else an error."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from evisynth.io.errors import ImportFormatError
from evisynth.io.records import read_records
from evisynth.io.records.encoding import decode

CHINESE_RIS = (
    "TY  - JOUR\nTI  - 软组织肉瘤诊治中国专家共识\nAU  - 谢昕\nPY  - 2016\nJO  - 中华肿瘤杂志\nER  - \n"
)


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (codecs.BOM_UTF8 + "Ab ü".encode(), "utf-8"),
        (codecs.BOM_UTF16_LE + "Ab ü".encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + "Ab ü".encode("utf-16-be"), "utf-16-be"),
        ("Ab ü".encode(), "utf-8"),
        ("测试期刊 ab".encode("gb18030"), "gb18030"),
    ],
)
def test_boms_utf8_and_chinese_gb18030_are_decoded(raw: bytes, encoding: str) -> None:
    text, used = decode(raw, path="x")
    assert used == encoding
    assert not text.startswith("\ufeff")


def test_latin1_text_is_refused_with_the_fix_not_turned_into_mojibake() -> None:
    with pytest.raises(ImportFormatError, match=r"x, line 2: .*--encoding"):
        decode("TY  - JOUR\nTI  - Müller café\n".encode("latin-1"), path="x")


def test_a_forced_encoding_is_used_strictly() -> None:
    assert decode("Müller".encode("latin-1"), path="x", encoding="latin-1")[0] == "Müller"
    with pytest.raises(ImportFormatError, match="not valid utf-8"):
        decode(b"\xff\xfe\xfa", path="x", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="unknown encoding"):
        decode(b"x", path="x", encoding="no-such-codec")


def test_utf16_without_bom_is_refused_as_nul_bytes() -> None:
    with pytest.raises(ImportFormatError, match="NUL bytes"):
        decode("TY  - JOUR\n".encode("utf-16-le"), path="x")


def test_gb18030_ris_with_chinese_titles_reads_correctly(tmp_path: Path) -> None:
    path = tmp_path / "cnki.ris"
    path.write_bytes(CHINESE_RIS.encode("gb18030"))
    (record,) = read_records(path)
    assert record.title == "软组织肉瘤诊治中国专家共识"
    assert record.authors == ("谢昕",)
    assert record.journal == "中华肿瘤杂志"
    assert record.language == "zh"


def test_utf16_ris_with_bom_reads_correctly(tmp_path: Path) -> None:
    path = tmp_path / "export.ris"
    path.write_bytes(CHINESE_RIS.replace("\n", "\r\n").encode("utf-16"))
    (record,) = read_records(path)
    assert record.title == "软组织肉瘤诊治中国专家共识"
    assert record.year == 2016
