"""Random bytes and near-miss text never crash a reader: they read, or raise ImportFormatError.

Bounded (``max_examples`` ≤ 100 each) so the folder stays fast; the ``thorough`` hypothesis
profile searches wider.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evisynth.io.errors import ImportFormatError
from evisynth.io.records import (
    bibtex,
    cnki,
    ctgov,
    endnote_tagged,
    endnote_xml,
    medline,
    pubmed_xml,
    read_records,
    refworks,
    ris,
    tables,
    wos,
    xlsx,
)
from evisynth.io.records.encoding import decode
from evisynth.review.records import Record

READERS: dict[str, Callable[..., tuple[Record, ...]]] = {
    "ris": ris.read, "medline": medline.read, "pubmed_xml": pubmed_xml.read, "bibtex": bibtex.read,
    "endnote_xml": endnote_xml.read, "wos": wos.read, "cnki": cnki.read, "table": tables.read,
    "endnote": endnote_tagged.read, "refworks": refworks.read, "ctgov_json": ctgov.read,
}

#: Fragments of every format, so generated text gets past the first line of each reader.
_PIECES = st.sampled_from([
    "TY  - JOUR\n", "ER  - \n", "TI  - x\n", "AU  - Doe J\n", "  cont\n", "\n", "PMID- 1\n", "PT J\n",
    "ER\n", "EF\n", "FN x\n", "{Reference Type}: J\n", "{Title}：标题\n", "@article{k,", "title = {",
    "}", "{", '"', "#", ",", "@string{a = {b}}", "<xml><records><record>", "</record></records></xml>",
    "<PubmedArticleSet><PubmedArticle>", "<PMID>1</PMID>", "</PubmedArticle></PubmedArticleSet>",
    "<titles><title>t</title></titles>", "<", "&", "a,b\n", '"x\n', "\r", "\t", "中", "\x00", "\ufeff",
    "{\"studies\": [", "{\"protocolSection\": {\"identificationModule\": {\"nctId\": \"N\"}}}", "]}",
    "%0 Journal Article\n", "%T 标题\n", "%A 王斌\n", "RT Journal Article\n", "T1 x\n", "A1 a;b\n", "vo 3\n",
])
_TEXT = st.one_of(st.text(max_size=200), st.lists(_PIECES, max_size=25).map("".join))


@pytest.mark.parametrize("name", sorted(READERS))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT)
def test_readers_read_or_raise_import_format_error(name: str, text: str) -> None:
    try:
        records = READERS[name](text, path="fuzz")
    except ImportFormatError:
        return
    assert all(isinstance(r, Record) for r in records)


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=300))
def test_decoding_random_bytes_gives_text_or_import_format_error(raw: bytes) -> None:
    try:
        text, _ = decode(raw, path="fuzz")
    except ImportFormatError:
        return
    assert "\x00" not in text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.binary(max_size=300), _TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))),
       suffix=st.sampled_from([".ris", ".nbib", ".bib", ".net", ".csv", ".tsv", ".xml", ".txt", ".gz",
                               ".xlsx", ".enw"]))
def test_read_records_on_random_files_reads_or_raises_import_format_error(
    tmp_path: Path, raw: bytes, suffix: str
) -> None:
    path = tmp_path / f"upload{suffix}"
    path.write_bytes(raw)
    with contextlib.suppress(ImportFormatError):
        read_records(path)
    assert path.read_bytes() == raw


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=400))
def test_xlsx_reader_on_random_zip_like_bytes_reads_or_raises_import_format_error(raw: bytes) -> None:
    with contextlib.suppress(ImportFormatError):
        xlsx.read(xlsx.MAGIC + raw, path="fuzz.xlsx")


@pytest.mark.parametrize(
    "text",
    [
        "{" * 100_000,
        "@article{k, title = " + "{" * 50_000,
        "<a>" * 30_000,
        "<xml><records><record>" + "<a>" * 50_000 + "</a>" * 50_000 + "</record></records></xml>",
        "TY  - JOUR\n" + "  x\n" * 50_000 + "ER  - \n",
        "PMID- 1\n" + "      x\n" * 50_000,
    ],
)
def test_pathological_inputs_fail_fast(text: str) -> None:
    for name, reader in READERS.items():
        started = time.perf_counter()
        with contextlib.suppress(ImportFormatError):
            reader(text, path="big")
        assert time.perf_counter() - started < 5, name
