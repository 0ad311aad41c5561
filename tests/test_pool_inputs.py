"""Input checks at the boundary of ``evisynth.pool``: each bad value is refused with one
plain message that names the column, the row and the study, and says how to fix it; tables
in other delimiters are read; k = 1 reports no heterogeneity, as metafor does."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import evisynth
from evisynth import InputError
from evisynth.core.effects import MAX_VARIANCE_RATIO
from evisynth.io.tables import read_table
from tests.test_cli import run

REFERENCE = Path(__file__).parent / "reference" / "metafor" / "sensitivity.json"
NUMPY_REPR = re.compile(r"np\.|float64|int64|array\(")


def generic(**columns: list[Any]) -> pd.DataFrame:
    base: dict[str, list[Any]] = {"study": ["Ames 2001", "Baker 2005", "Chen 2010"],
                                  "yi": [0.2, 0.5, 0.1], "vi": [0.04, 0.09, 0.05]}
    return pd.DataFrame({**base, **columns})


def continuous(**columns: list[Any]) -> pd.DataFrame:
    base: dict[str, list[Any]] = {
        "study": ["Ames 2001", "Baker 2005"], "m1": [10.0, 12.0], "sd1": [2.0, 3.0],
        "n1": [30, 40], "m2": [9.0, 10.5], "sd2": [2.5, 3.0], "n2": [30, 38],
    }
    return pd.DataFrame({**base, **columns})


def binary(**columns: list[Any]) -> pd.DataFrame:
    base: dict[str, list[Any]] = {"study": ["Ames 2001", "Baker 2005"], "e1": [12, 8],
                                  "n1": [40, 35], "e2": [20, 15], "n2": [41, 36]}
    return pd.DataFrame({**base, **columns})


def refused(frame: pd.DataFrame | Path, measure: str, *fragments: str) -> str:
    with pytest.raises(InputError) as err:
        evisynth.pool(frame, measure=measure)
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "\n" not in message and not NUMPY_REPR.search(message), message
    return message


# --- k = 1: no heterogeneity, for every model --------------------------------------------

def _metafor_k1() -> dict[str, Any]:
    cases = json.loads(REFERENCE.read_text(encoding="utf-8"))["cases"]
    return next(c for c in cases if c["id"] == "k1-rr-mh-fixed")


K1_OPTIONS = [
    {"model": "fixed", "method": "MH"},
    {"model": "fixed", "method": "IV"},
    {"model": "fixed", "method": "MH", "preset": "revman5"},
    {"model": "auto"},
    {"model": "random", "method": "MH", "tau2": "DL"},
    {"model": "random", "hksj": True},
    *({"model": "random", "tau2": m} for m in ("DL", "REML", "PM", "ML", "HE", "SJ")),
]


@pytest.mark.parametrize("options", K1_OPTIONS, ids=lambda o: "-".join(map(str, o.values())))
@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_single_study_has_no_heterogeneity_in_any_model(options: dict, measure: str) -> None:
    # The table where the MH estimate and the study's own log RR differ in the last bit, so
    # a computed Q is a rounding residue on 0 df; metafor reports Q = 0 (df = 0), I² = 0.
    case = _metafor_k1()
    expected = case["expected"]
    result = evisynth.pool(pd.DataFrame(case["data"]), measure=measure, **options)
    assert (result.q, result.q_df, result.i2, result.h2, result.tau2) == (
        expected["q"], expected["q_df"], expected["i2"], expected["h2"], expected["tau2"]
    )
    assert result.tau2_ci is None


# --- the tau² interval is solved when first read, and is the same value ------------------

def test_lazy_tau2_interval_matches_the_subgroup_one_and_survives_pickling() -> None:
    frame = generic(group=["a", "a", "a"])
    result = evisynth.pool(frame, measure="GEN", by="group")
    assert result.subgroups is not None
    assert result.tau2_ci == result.subgroups["a"].tau2_ci  # the eager batch computes it
    again = pickle.loads(pickle.dumps(evisynth.pool(frame, measure="GEN")))
    assert again.tau2_ci == result.tau2_ci
    assert again.to_dict()["tau2_ci"] == list(result.tau2_ci or ())
    assert "_tau2_ci" not in repr(result.overall) and "_tau2_ci" not in again.to_dict()


# --- cells: empty, not a number, not a whole count ---------------------------------------

def test_blank_cell_is_reported_as_empty() -> None:
    refused(generic(yi=[0.2, None, 0.1]), "GEN",
            "'yi' is empty in row 2, study \"Baker 2005\"", "fill in the value")


def test_text_in_a_number_column_is_quoted_as_written() -> None:
    refused(generic(vi=[0.04, "0.09x", 0.05]), "GEN",
            "'vi' must be a number (got '0.09x' in row 2, study \"Baker 2005\")")


def test_a_number_too_large_for_a_double_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "inf.csv"
    path.write_text("study,yi,vi\nA,0.2,0.04\nB,1e400,0.09\n", encoding="utf-8")
    refused(path, "GEN", "'yi' must be a finite number (got inf in row 2, study \"B\")")


@pytest.mark.parametrize("column", ["e1", "n1", "e2", "n2"])
def test_non_integer_counts_are_refused(column: str) -> None:
    frame = binary()
    frame[column] = frame[column].astype(float)
    frame.loc[1, column] = 12.5 if column.startswith("e") else 36.5
    refused(frame, "RR", f"'{column}' must be a whole number", "row 2, study \"Baker 2005\"",
            "check for a typo")


# --- study names stay text ---------------------------------------------------------------

def test_study_names_are_kept_as_written(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("study,yi,vi\nNA,0.2,0.04\nNone,0.5,0.09\n1e3,0.1,0.05\n001,0.3,0.06\n",
                    encoding="utf-8")
    result = evisynth.pool(path, measure="GEN")
    assert [s.study for s in result.studies] == ["NA", "None", "1e3", "001"]


def test_study_names_in_excel_are_kept_as_written(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    path = tmp_path / "names.xlsx"
    generic(study=["NA", "001", "None"]).to_excel(path, index=False)
    assert [s.study for s in evisynth.pool(path, measure="GEN").studies] == ["NA", "001", "None"]


def test_a_missing_study_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "noname.csv"
    path.write_text("study,yi,vi\nA,0.2,0.04\n,0.5,0.09\n", encoding="utf-8")
    refused(path, "GEN", "'study' is empty in row 2")


# --- delimiters ---------------------------------------------------------------------------

def test_semicolon_csv_with_decimal_commas_pools_like_the_comma_file(tmp_path: Path) -> None:
    comma, semicolon = tmp_path / "comma.csv", tmp_path / "semicolon.csv"
    generic().to_csv(comma, index=False)
    generic().to_csv(semicolon, index=False, sep=";", decimal=",")
    assert "0,5" in semicolon.read_text(encoding="utf-8")
    a = evisynth.pool(comma, measure="GEN").to_dict()
    b = evisynth.pool(semicolon, measure="GEN").to_dict()
    assert a == b


@pytest.mark.parametrize(("sep", "decimal"), [(";", "."), ("\t", "."), (",", ".")])
def test_delimiter_is_sniffed_from_the_header(tmp_path: Path, sep: str, decimal: str) -> None:
    path = tmp_path / "table.csv"
    generic().to_csv(path, index=False, sep=sep, decimal=decimal)
    frame = read_table(path)
    assert list(frame.columns) == ["study", "yi", "vi"]
    assert frame["yi"].tolist() == [0.2, 0.5, 0.1]


def test_semicolon_file_mixing_decimal_marks_is_read_as_is_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("study;yi;vi\nA;0.2;0,04\nB;0.5;0.09\n", encoding="utf-8")
    refused(path, "GEN", "'vi' must be a number (got '0,04' in row 1, study \"A\")")


# --- magnitudes that would overflow or vanish --------------------------------------------

@pytest.mark.parametrize(
    ("columns", "fragments"),
    [
        ({"yi": [1e300, -1e300, 0.1]}, ["'yi' must lie within ±1e+50", "got 1e+300 in row 1"]),
        ({"vi": [1e-300, 0.09, 0.05]}, ["'vi' must lie within [1e-50, 1e+50]", "row 1"]),
        ({"vi": [0.04, 1e60, 0.05]}, ["'vi' must lie within", "got 1e+60 in row 2"]),
        ({"vi": [1e-20, 0.09, 0.05]},
         [f"at most {MAX_VARIANCE_RATIO:.1e} times the smallest variance, 1e-20 in row 1",
          "got 0.09 in row 2, study \"Baker 2005\"", "weight rounds to 0 %"]),
    ],
)
def test_estimates_and_variances_that_break_the_arithmetic_are_refused(
    columns: dict[str, list[float]], fragments: list[str]
) -> None:
    refused(generic(**columns), "GEN", *fragments)


def test_standard_error_that_underflows_is_named_as_computed() -> None:
    frame = generic().drop(columns="vi").assign(sei=[0.2, 1e-30, 0.22])
    refused(frame, "GEN", "'vi' (computed from sei)", "row 2, study \"Baker 2005\"")


@pytest.mark.parametrize("measure", ["MD", "SMD"])
def test_an_sd_whose_square_overflows_is_refused(measure: str) -> None:
    # SMD would otherwise come out as 0 (a difference over an infinite pooled SD) and MD
    # with a weight of 0 % while k still counted the study.
    refused(continuous(sd1=[2.0, 1e300]), measure,
            "'sd1' must be at most 1.3e+154 (got 1e+300 in row 2, study \"Baker 2005\")")


def test_a_variance_overflowing_from_large_sds_is_refused() -> None:
    refused(continuous(sd1=[2.0, 1e100]), "MD",
            "'vi' (computed from m1, sd1, n1, m2, sd2, n2) must lie within", "row 2")


def test_means_too_large_for_their_sd_are_refused() -> None:
    refused(continuous(m1=[10.0, 5e19], m2=[9.0, 1e20]), "MD",
            "'m2' is too large for its SD (got 1e+20 with sd1 = 3", "row 2, study \"Baker 2005\"",
            "subtract a common baseline")


def test_pool_many_applies_the_same_checks() -> None:
    frame = generic(yi=[0.2, 1e300, 0.1]).assign(analysis=[1, 1, 2])
    with pytest.raises(InputError, match="'yi' must lie within"):
        evisynth.pool_many(frame, by="analysis", measure="GEN")


# --- the same through the command line: exit 2, one line, no traceback -------------------

def test_cli_reads_semicolon_files_and_refuses_bad_cells_in_one_line(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    generic(study=["NA", "001", "Chen 2010"]).to_csv(good, index=False, sep=";", decimal=",")
    proc = run("pool", str(good), "--measure", "GEN", "--json")
    assert proc.returncode == 0, proc.stderr
    assert [s["study"] for s in json.loads(proc.stdout)["studies"]] == ["NA", "001", "Chen 2010"]
    cases = {
        "blank.csv": (generic(yi=[0.2, None, 0.1]), "GEN", "'yi' is empty in row 2"),
        "half.csv": (binary(e1=[12.5, 8]), "RR", "'e1' must be a whole number (got 12.5 in row 1"),
        "huge.csv": (generic(yi=[1e300, 0.5, 0.1]), "GEN", "'yi' must lie within ±1e+50"),
    }
    for name, (frame, measure, fragment) in cases.items():
        path = tmp_path / name
        frame.to_csv(path, index=False)
        proc = run("pool", str(path), "--measure", measure)
        assert proc.returncode == 2, proc.stderr
        assert fragment in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and proc.stdout == ""
