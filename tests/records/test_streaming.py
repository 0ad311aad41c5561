"""Line-based readers stream entries from the decoded text: lines and originals as before
(CR-LF made LF), errors with file and line, and an entry count for a progress bar."""

from __future__ import annotations

from pathlib import Path

import pytest

import evisynth.io.records as records_module
from evisynth.io.errors import ImportFormatError
from evisynth.io.records import cnki, medline, read_file, ris
from evisynth.io.records._base import iter_lines, original


def test_iter_lines_numbers_offsets_and_drops_a_cr_before_lf() -> None:
    text = "ab\r\ncd\r\r\n\nlast\r"
    # by hand: "ab" at 0, "cd\r" at 4 (one CR dropped), "" at 9, "last" at 10 (final CR dropped)
    assert list(iter_lines(text)) == [(1, 0, "ab"), (2, 4, "cd\r"), (3, 9, ""), (4, 10, "last")]
    assert list(iter_lines("x\n")) == [(1, 0, "x"), (2, 2, "")]


def test_original_is_the_slice_with_crlf_made_lf() -> None:
    assert original("TY  - JOUR\r\nER  - \r\nnext", 0, 18) == "TY  - JOUR\nER  - "
    assert original("abc", 1, 3) == "bc"


CRLF_RIS = "TY  - JOUR\r\nTI  - One\r\nER  - \r\n\r\nTY  - JOUR\r\nTI  - Two\r\nER  - \r\n"


def test_ris_with_crlf_keeps_each_original_with_lf(tmp_path: Path) -> None:
    path = tmp_path / "crlf.ris"
    path.write_bytes(CRLF_RIS.encode())
    first, second = read_file(path).records
    assert first.original == "TY  - JOUR\nTI  - One\nER  - "
    assert (second.line, second.original) == (5, "TY  - JOUR\nTI  - Two\nER  - ")


def test_medline_entries_come_one_by_one_before_a_later_error() -> None:
    text = "PMID- 1\nTI  - First\n\nPMID- 2\nTI  - Second\n\n!!! broken\n"
    entries = medline.iter_entries(text, path="p.nbib")
    assert next(entries).values("TI") == ["First"]
    assert next(entries).values("TI") == ["Second"]
    with pytest.raises(ImportFormatError, match=r"^p\.nbib, line 7: not a MEDLINE line"):
        next(entries)


def test_cnki_original_is_trimmed_and_title_check_names_the_line() -> None:
    text = ("{Reference Type}: Journal Article\n{Title}: 甲\n\n\n"
            "{Reference Type}: Journal Article\n{Author}: 乙\n")
    first = next(cnki.iter_entries(text, path="c.net"))
    assert first.text == "{Reference Type}: Journal Article\n{Title}: 甲"
    with pytest.raises(ImportFormatError, match=r"^c\.net, line 5: entry has no \{Title\}"):
        cnki.parse(text, path="c.net")


def test_on_entries_reports_the_count_every_few_entries(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records_module, "PROGRESS_EVERY", 2)
    path = tmp_path / "five.ris"
    path.write_text("".join(f"TY  - JOUR\nTI  - T{i}\nER  - \n" for i in range(5)), encoding="utf-8")
    seen: list[int] = []
    read = read_file(path, on_entries=seen.append)
    assert len(read.records) == 5
    assert seen == [2, 4, 5]


def test_truncated_ris_still_fails_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.ris"
    path.write_text("TY  - JOUR\nTI  - A\nER  - \nTY  - JOUR\nTI  - B\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"cut\.ris, line 4: entry has no 'ER  - ' end tag"):
        read_file(path, on_entries=lambda _n: None)
    assert ris.looks_like(path.read_text())


def test_ris_cut_off_check_tells_a_last_entry_without_er() -> None:
    assert ris._cut_off("TY  - JOUR\nER  - \nTY  - JOUR\nTI  - cut")
    assert ris._cut_off("TY  - JOUR\nTI  - cut")
    assert not ris._cut_off("TY  - JOUR\nER  - \n")
    with pytest.raises(ImportFormatError, match=r"^r\.ris, line 3: entry has no 'ER  - ' end tag"):
        ris.read("TY  - JOUR\nER  - \nTY  - JOUR\nTI  - cut", path="r.ris")
