"""The review bundle: lossless, deterministic, and precise about what is wrong in a bad one."""

from __future__ import annotations

import dataclasses
import math
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evisynth.storage import BundleError, read_bundle, write_bundle
from evisynth.storage.bundle import BUNDLE_FILES, Bundle, format_number
from tests.storage.conftest import small_bundle

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "evisynth" / "examples" / "vitk2"


def sorted_values(bundle: Bundle) -> Bundle:
    review = bundle.review
    values = tuple(sorted(review.values, key=lambda v: (*v.key, v.provenance.extractor)))
    return dataclasses.replace(bundle, review=dataclasses.replace(review, values=values))


def write(bundle: Bundle, folder: Path) -> Path:
    write_bundle(bundle.review, folder, resolutions=bundle.resolutions, appraisals=bundle.appraisals)
    return folder


def texts(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def bundle_dir(tmp_path: Path) -> Path:
    return write(small_bundle(), tmp_path / "bundle")


def replace_line(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_reading_a_written_bundle_gives_back_the_same_review_resolutions_and_appraisals(
    bundle_dir: Path,
) -> None:
    assert read_bundle(bundle_dir) == sorted_values(small_bundle())


def test_writing_what_was_read_is_byte_identical(bundle_dir: Path, tmp_path: Path) -> None:
    again = write(read_bundle(bundle_dir), tmp_path / "again")
    assert texts(again) == texts(bundle_dir)
    assert set(texts(bundle_dir)) == set(BUNDLE_FILES)


def test_output_is_sorted_utf8_with_lf_line_ends(bundle_dir: Path) -> None:
    values = (bundle_dir / "values.csv").read_bytes()
    assert b"\r" not in values
    rows = values.decode("utf-8").splitlines()[1:]
    assert rows == sorted(rows, key=lambda r: r.split(",")[:5])
    assert "维生素K2" in (bundle_dir / "review.yaml").read_text(encoding="utf-8")


def test_optional_files_are_written_only_when_they_have_content(bundle_dir: Path) -> None:
    review = small_bundle().review
    write_bundle(review, bundle_dir)
    assert not (bundle_dir / "resolutions.csv").exists()
    assert not (bundle_dir / "appraisal.yaml").exists()
    assert read_bundle(bundle_dir) == Bundle(sorted_values(small_bundle()).review)


def test_other_files_in_the_folder_are_left_alone(bundle_dir: Path) -> None:
    (bundle_dir / "README.md").write_text("notes", encoding="utf-8")
    write(small_bundle(), bundle_dir)
    assert (bundle_dir / "README.md").read_text(encoding="utf-8") == "notes"
    read_bundle(bundle_dir)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_are_written_as_text_that_reads_back_as_the_same_float(x: float) -> None:
    text = format_number(x)
    assert float(text) == x and math.copysign(1, float(text)) == math.copysign(1, x)
    assert "," not in text and " " not in text


def test_hand_written_flow_style_yaml_as_in_the_docs_is_read(bundle_dir: Path) -> None:
    (bundle_dir / "outcomes.yaml").write_text(
        "- {id: dp_ucmgp, name: 去磷酸化未羧化基质γ蛋白, name_en: dp-ucMGP, kind: continuous, unit: pmol/L,\n"
        "   lower_is_better: true}\n"
        "- {id: cac, name: 冠状动脉钙化积分, name_en: coronary calcification score}\n"
        "- {id: death, name: 死亡, name_en: death, kind: binary, lower_is_better: true}\n",
        encoding="utf-8")
    assert read_bundle(bundle_dir).review.outcomes == small_bundle().review.outcomes


def test_unquoted_dates_and_numbers_in_text_fields_are_read_as_the_text_written(bundle_dir: Path) -> None:
    replace_line(bundle_dir / "review.yaml", "searched_on: '2025-06-30'", "searched_on: 2025-06-30")
    replace_line(bundle_dir / "studies.yaml", "pmid: '26176405'", "pmid: 26176405")
    bundle = read_bundle(bundle_dir)
    assert bundle.review.protocol.searches[0].searched_on == "2025-06-30"
    assert bundle.review.studies[0].reports[0].pmid == "26176405"


# -- bad bundles: file, line, field, value and fix ---------------------------------------------


def test_a_number_with_thousands_separators_names_file_line_field_value_and_fix(bundle_dir: Path) -> None:
    replace_line(bundle_dir / "values.csv", ",1077.1,", ',"1,077.1",')
    with pytest.raises(BundleError) as err:
        read_bundle(bundle_dir)
    assert str(err.value) == ("values.csv line 7: 'value' must be a number (got \"1,077.1\"); "
                              "write numbers without thousands separators")


@pytest.mark.parametrize(("bad", "fix"), [
    ("", "'value' is empty; write the number, or remove the row"),
    ("1,5", "write a decimal point, not a comma"),
    ("961.5 ± 506.7", "one number per row"),
    ("12%", "put % in 'unit'"),
    ("nan", "write a plain number"),
    ("about 3", "write a plain number"),
])
def test_values_that_are_not_plain_numbers_are_refused_with_a_fix(bundle_dir: Path, bad: str,
                                                                   fix: str) -> None:
    replace_line(bundle_dir / "values.csv", ",961.5,", f',"{bad}",')
    with pytest.raises(BundleError, match=r"^values.csv line 5: ") as err:
        read_bundle(bundle_dir)
    assert fix in str(err.value)


def test_an_unknown_study_in_values_is_refused_with_the_known_ids(bundle_dir: Path) -> None:
    replace_line(bundle_dir / "values.csv", "oikonomaki2019,k2,death", "oikonomaki2020,k2,death")
    with pytest.raises(BundleError) as err:
        read_bundle(bundle_dir)
    assert str(err.value) == (
        "values.csv line 11: unknown study 'oikonomaki2020' in 'study'; use one of the review's study "
        "ids (kurnatowska2015, oikonomaki2019; studies.yaml)")


@pytest.mark.parametrize(("old", "new", "message"), [
    (",270d,mean,961.5,", ",270d,SD,961.5,", "'statistic' must be one of n, mean, sd"),
    (",270d,mean,961.5,", ",270d,SD,961.5,", "write it in lower case: sd"),
    (",270d,mean,961.5,", ",270d,average,961.5,", "(got 'average'); use one of: n, mean"),
    ("kurnatowska2015,k2d,dp_ucmgp,270d,mean", "kurnatowska2015,k2,dp_ucmgp,270d,mean",
     "study 'kurnatowska2015' has no arm 'k2'; use one of k2d, d, or leave 'arm' empty"),
    ("k2d,dp_ucmgp,270d,mean", "k2d,dpucmgp,270d,mean", "unknown outcome 'dpucmgp'"),
    ("270d,mean,961.5,pmol/L,kurnatowska2015-r1", "270d,mean,961.5,pmol/L,kurnatowska2015-r9",
     "study 'kurnatowska2015' has no report 'kurnatowska2015-r9'"),
    ("270d,n,29,,", "270d,n,29,patients,", "'unit' must be empty for statistic 'n'"),
    ("270d,n,29,", "270d,n,29.5,", "'value' must be a whole number ≥ 0 for statistic 'n' (got 29.5)"),
    ("270d,p,0.0001,", "270d,p,5,", "write p values as proportions"),
    ("961.5,reviewer-a,2026-01-15", "961.5,,2026-01-15", "'extractor' is empty"),
    ("961.5,reviewer-a,2026-01-15", "961.5,reviewer-a,15/01/2026", "write it as YYYY-MM-DD"),
    ("Table 2,961.5,", ",961.5,", "'location' is empty"),
])
def test_values_breaking_a_rule_are_refused_on_their_line(bundle_dir: Path, old: str, new: str,
                                                          message: str) -> None:
    replace_line(bundle_dir / "values.csv", old, new)
    with pytest.raises(BundleError, match=r"^values.csv line \d+: ") as err:
        read_bundle(bundle_dir)
    assert message in str(err.value)


def test_two_rows_for_one_key_and_extractor_are_refused(bundle_dir: Path) -> None:
    path = bundle_dir / "values.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines, lines[4]]), encoding="utf-8")
    with pytest.raises(BundleError, match=r"values.csv line 12: second value for kurnatowska2015/k2d/"
                                          r"dp_ucmgp/270d/mean by 'reviewer-a'"):
        read_bundle(bundle_dir)


@pytest.mark.parametrize("name", ["review.yaml", "studies.yaml", "outcomes.yaml", "values.csv"])
def test_a_missing_required_file_is_named(bundle_dir: Path, name: str) -> None:
    (bundle_dir / name).unlink()
    with pytest.raises(BundleError, match=f"^{name}: file not found in .*; a bundle has review.yaml, "
                                          "studies.yaml, outcomes.yaml, values.csv"):
        read_bundle(bundle_dir)


def test_a_misnamed_bundle_file_is_refused_rather_than_ignored(bundle_dir: Path) -> None:
    (bundle_dir / "appraisal.yaml").rename(bundle_dir / "appraisals.yaml")
    with pytest.raises(BundleError,
                       match=r"^appraisals.yaml: not a bundle file; did you mean appraisal.yaml"):
        read_bundle(bundle_dir)


def test_a_folder_that_does_not_exist_is_named(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"not a folder"):
        read_bundle(tmp_path / "nowhere")


@pytest.mark.parametrize(("file", "old", "new", "message"), [
    ("studies.yaml", "  - id: k2d\n    label: MK-7 90 μg + D3 10 μg\n    n: 29",
     "  - id: k2d\n    label: MK-7 90 μg + D3 10 μg\n    n: twenty-nine",
     "studies.yaml line 24: 'n' must be a whole number (got \"twenty-nine\"); write the count as digits"),
    ("studies.yaml", "  design: rct", "  design: RCT",
     "studies.yaml line 4: 'design' must be one of rct, single_arm, non_randomised, observational "
     "(got \"RCT\"); write it in lower case: rct"),
    ("studies.yaml", "  label: Kurnatowska 2015", "  lable: Kurnatowska 2015",
     "studies.yaml line 2: unknown field 'lable' in study; did you mean 'label'?"),
    ("studies.yaml", "    dose: 90.0", "    dose: 90 μg",
     "studies.yaml line 26: 'dose' must be a number (got \"90 μg\"); write a plain number, the unit in its "
     "own field"),
    ("studies.yaml", "  year: 2015\n  design: rct", "  year: 2015\n  year: 2016\n  design: rct",
     "studies.yaml line 4: duplicate key 'year' (also on line 3); keep one"),
    ("studies.yaml", "  - id: d\n", "  - id: k2d\n",
     "studies.yaml line 31: duplicate id 'k2d' in arms of study 'kurnatowska2015'; ids must differ"),
    ("outcomes.yaml", "  lower_is_better: true\n  measure: ''", "  lower_is_better: maybe\n  measure: ''",
     "outcomes.yaml line 6: 'lower_is_better' must be true or false (got \"maybe\")"),
    ("outcomes.yaml", "- id: cac\n", "- id: dp_ucmgp\n",
     "outcomes.yaml line 9: duplicate outcome id 'dp_ucmgp'"),
    ("outcomes.yaml", "  timepoints: []\n- id: cac", "  timepoints: 12\n- id: cac",
     "outcomes.yaml line 8: 'timepoints' must be a list"),
    ("review.yaml", "  language: zh", "  language: chinese",
     "review.yaml line 6: 'language' must be one of en, zh (got \"chinese\"); use one of: en, zh"),
    ("review.yaml", "  outcome: dp_ucmgp\n", "  outcome: dp-ucmgp\n",
     "review.yaml line 70: unknown outcome 'dp-ucmgp' in analysis 'dpucmgp-final'"),
    ("review.yaml", "prisma:\n  identified: 38", "prisma:\n  identified: -38",
     "review.yaml line 41: 'identified' must be ≥ 0 (got -38)"),
    ("review.yaml", "id: vitk2-test\n", "id: vitk2-test\nauthor: me\n",
     "review.yaml line 2: unknown key 'author'; the keys are id, source, protocol"),
    ("review.yaml", "  title: 维生素K2治疗慢性肾脏病血管钙化的Meta分析\n", "  title: a: b\n",
     "review.yaml line 4: not valid YAML (mapping values are not allowed"),
    ("appraisal.yaml", "kurnatowska2015:", "kurnatowska2016:",
     "appraisal.yaml line 1: unknown study 'kurnatowska2016'"),
    ("resolutions.csv", "kurnatowska2015,k2d,dp_ucmgp,baseline,sd,506.7,pmol/L,reviewer-c",
     "kurnatowska2015,k2d,dp_ucmgp,baseline,sd,506.7,pmol/L,",
     "resolutions.csv line 2: 'resolved_by' is empty"),
])
def test_bad_yaml_and_csv_fields_name_file_line_value_and_fix(bundle_dir: Path, file: str, old: str,
                                                              new: str, message: str) -> None:
    replace_line(bundle_dir / file, old, new)
    with pytest.raises(BundleError) as err:
        read_bundle(bundle_dir)
    assert str(err.value).startswith(message)


def test_an_unknown_csv_column_is_refused_with_a_suggestion(bundle_dir: Path) -> None:
    replace_line(bundle_dir / "values.csv", ",extractor,", ",extracter,")
    with pytest.raises(BundleError, match=r"^values.csv line 1: unknown column 'extracter'; did you mean "
                                          r"'extractor'"):
        read_bundle(bundle_dir)


def test_a_row_with_an_unquoted_comma_is_refused(bundle_dir: Path) -> None:
    replace_line(bundle_dir / "values.csv", '"§3.2, p. 4"', "§3.2, p. 4")
    with pytest.raises(BundleError, match=r"^values.csv line 11: has 13 fields but the header has 12; "
                                          r"quote text that contains commas"):
        read_bundle(bundle_dir)


def test_optional_csv_columns_may_be_left_out(bundle_dir: Path) -> None:
    path = bundle_dir / "values.csv"
    rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
    kept = [r for r in rows if len(r) == 12]
    path.write_text("".join(",".join(r[:9] + r[10:11]) + "\n" for r in kept), encoding="utf-8")
    values = read_bundle(bundle_dir).review.values
    assert {v.provenance.quote for v in values} == {""}
    assert {v.provenance.extracted_at for v in values} == {""}


def test_writing_a_review_that_breaks_a_rule_is_refused(tmp_path: Path) -> None:
    review = small_bundle().review
    bad = dataclasses.replace(review, values=(dataclasses.replace(review.values[0], study="nope"),))
    with pytest.raises(BundleError, match=r"cannot write the bundle: value nope/k2d/dp_ucmgp/baseline/mean "
                                          r"by 'reviewer-a': unknown study 'nope'"):
        write_bundle(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# -- the seed-000 example ----------------------------------------------------------------------


@pytest.fixture
def example() -> Path:
    if not (EXAMPLE / "review.yaml").is_file():
        pytest.skip(f"example bundle not found at {EXAMPLE}")
    return EXAMPLE


def test_the_vitk2_example_is_read_and_its_canonical_form_round_trips(example: Path,
                                                                       tmp_path: Path) -> None:
    bundle = read_bundle(example)
    assert bundle.review.studies and bundle.review.values
    canonical = write(bundle, tmp_path / "a")
    assert read_bundle(canonical) == bundle
    assert texts(write(read_bundle(canonical), tmp_path / "b")) == texts(canonical)


def test_a_copy_of_the_example_with_a_bad_value_names_the_line(example: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(example, tmp_path / "copy"))
    lines = (copy / "values.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[9].split(",")
    fields[5] = "n/a"
    lines[9] = ",".join(fields)
    (copy / "values.csv").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(BundleError, match=r"^values.csv line 10: 'value' must be a number \(got \"n/a\"\)"):
        read_bundle(copy)
