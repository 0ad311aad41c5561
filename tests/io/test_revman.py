"""Reading RevMan 5 files: real Cochrane exports (../shared/data/rm5) and broken copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from evisynth.io.errors import ImportFormatError
from evisynth.io.revman import pool_arguments, read_rm5

# Counts stated in ../shared/data/MANIFEST.md for each file: (DICH, CONT, IV outcomes).
MANIFEST_COUNTS = {
    "CD000023StatsDataOnly.rm5": (21, 0, 0),
    "CD003188StatsDataOnly.rm5": (16, 1, 2),
    "CD004976StatsDataOnly.rm5": (19, 0, 0),
    "CD007419StatsDataOnly.rm5": (0, 0, 1),
    "CD007868StatsDataOnly.rm5": (8, 33, 0),
    "CD008625StatsDataOnly.rm5": (30, 22, 22),
    "CD010590StatsDataOnly.rm5": (11, 0, 0),
    "CD011381StatsDataOnly.rm5": (6, 0, 0),
    "CD011564StatsDataOnly.rm5": (14, 19, 0),
    "CD012692StatsDataOnly.rm5": (11, 0, 0),
    "CD013437StatsDataOnly.rm5": (11, 0, 0),
    "CD013656StatsDataOnly.rm5": (15, 18, 0),
    "antibiotics-for-sore-throat.rm5": (21, 0, 0),
}


@pytest.mark.parametrize("name", sorted(MANIFEST_COUNTS))
def test_outcome_counts_match_the_manifest(shared_data: Path, name: str) -> None:
    review = read_rm5(shared_data / "rm5" / name)
    kinds = [o.kind for o in review.outcomes]
    assert (kinds.count("DICH"), kinds.count("CONT"), kinds.count("IV")) == MANIFEST_COUNTS[name]


def test_iso_8859_1_file_is_decoded_as_declared(shared_data: Path) -> None:
    review = read_rm5(shared_data / "rm5" / "Fleiss1993.rm5")  # encoding="ISO-8859-1"
    assert review.revman_version == "5.0.23"
    dich = next(o for o in review.outcomes if o.kind == "DICH")
    assert len(dich.rows) == 7
    assert dich.method == "MH" and dich.measure == "OR"


def test_data_rows_carry_arm_data_and_stored_results(shared_data: Path) -> None:
    review = read_rm5(shared_data / "rm5" / "CD007419StatsDataOnly.rm5")
    (outcome,) = review.outcomes
    rows, kwargs, _ = pool_arguments(outcome)
    # IV_DATA ESTIMATE="6.0" SE="1.61" for RESPOND 2013 (line 629 of the file)
    assert rows[0]["yi"] == 6.0 and rows[0]["sei"] == 1.61
    assert kwargs["measure"] == "GEN" and kwargs["preset"] == "revman5"
    assert outcome.stats.effect == pytest.approx(5.140876169202446)


def test_truncated_file_names_file_and_line(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / "rm5" / "CD007419StatsDataOnly.rm5").read_bytes()
    broken = tmp_path / "broken.rm5"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFormatError, match=r"broken\.rm5, line \d+: not well-formed XML"):
        read_rm5(broken)


def test_other_xml_and_missing_files_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.rm5"
    other.write_text("<?xml version='1.0'?><html/>")
    with pytest.raises(ImportFormatError, match="not a RevMan 5 review file"):
        read_rm5(other)
    with pytest.raises(ImportFormatError, match="no such file"):
        read_rm5(tmp_path / "missing.rm5")
