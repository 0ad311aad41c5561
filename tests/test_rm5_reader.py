"""Reading RevMan 5 reviews (evisynth.io.rm5): 16 real Cochrane files, synthetic and broken ones.

The real files are read from ../shared/data/rm5 (never copied into the repository); every test
that needs them skips, with the reason, when that folder is absent.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

from evisynth.io.errors import ImportFormatError
from evisynth.io.rm5 import (
    ContRow,
    DichRow,
    IvRow,
    Rm5Review,
    is_ratio,
    outcome_frame,
    pool_arguments,
    read_rm5,
    study_labels,
    subgroup_labels,
)
from tests.conftest import SHARED_DATA

RM5 = SHARED_DATA / "rm5"

#: Per file, from ../shared/data/MANIFEST.md: comparisons, outcomes (DICH, CONT, IV) and data
#: rows (DICH_DATA, CONT_DATA, IV_DATA). The manifest gives no counts for CD012859; its numbers
#: were counted in the file (18 COMPARISON, 113 DICH_OUTCOME, 885 DICH_DATA elements).
MANIFEST: dict[str, tuple[int, tuple[int, int, int], tuple[int, int, int]]] = {
    "CD000023StatsDataOnly.rm5": (4, (21, 0, 0), (217, 0, 0)),
    "CD003188StatsDataOnly.rm5": (3, (16, 1, 2), (113, 2, 21)),
    "CD004976StatsDataOnly.rm5": (4, (19, 0, 0), (56, 0, 0)),
    "CD007419StatsDataOnly.rm5": (1, (0, 0, 1), (0, 0, 3)),
    "CD007868StatsDataOnly.rm5": (18, (8, 33, 0), (17, 180, 0)),
    "CD008625StatsDataOnly.rm5": (15, (30, 22, 22), (214, 244, 231)),
    "CD010590StatsDataOnly.rm5": (1, (11, 0, 0), (138, 0, 0)),
    "CD011381StatsDataOnly.rm5": (3, (6, 0, 0), (165, 0, 0)),
    "CD011564StatsDataOnly.rm5": (1, (14, 19, 0), (196, 107, 0)),
    "CD012692StatsDataOnly.rm5": (3, (11, 0, 0), (78, 0, 0)),
    "CD012859StatsDataOnly.rm5": (18, (113, 0, 0), (885, 0, 0)),
    "CD013210StatsDataOnly.rm5": (17, (68, 0, 0), (109, 0, 0)),
    "CD013437StatsDataOnly.rm5": (4, (11, 0, 0), (22, 0, 0)),
    "CD013656StatsDataOnly.rm5": (2, (15, 18, 0), (81, 91, 0)),
    "Fleiss1993.rm5": (1, (1, 1, 0), (7, 5, 0)),
    "antibiotics-for-sore-throat.rm5": (4, (21, 0, 0), (217, 0, 0)),
}
KINDS = ("DICH", "CONT", "IV")


@pytest.fixture(scope="module")
def rm5_dir(shared_data: Path) -> Path:
    if not RM5.is_dir():
        pytest.skip(f"RevMan 5 test files not found at {RM5} (../shared/data/rm5)")
    return RM5


def _read(rm5_dir: Path, name: str) -> Rm5Review:
    return read_rm5(rm5_dir / name)


# ----------------------------------------------------------------------------------------------
# The real files
# ----------------------------------------------------------------------------------------------


def test_the_folder_holds_the_sixteen_files_of_the_manifest(rm5_dir: Path) -> None:
    assert sorted(p.name for p in rm5_dir.glob("*.rm5")) == sorted(MANIFEST)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_counts_of_comparisons_outcomes_and_rows_match_the_manifest(rm5_dir: Path, name: str) -> None:
    review = _read(rm5_dir, name)
    comparisons, outcomes, rows = MANIFEST[name]
    assert len(review.comparisons) == comparisons
    by_kind = Counter(o.kind for o in review.outcomes)
    assert tuple(by_kind[k] for k in KINDS) == outcomes
    rows_by_kind = Counter(o.kind for o in review.outcomes for _ in o.rows)
    assert tuple(rows_by_kind[k] for k in KINDS) == rows
    assert review.unsupported == ()


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_every_data_row_names_a_study_of_the_review(rm5_dir: Path, name: str) -> None:
    review = _read(rm5_dir, name)
    for outcome in review.outcomes:
        for row in outcome.rows:
            assert row.study_id in review.studies
            assert row.study_name == review.studies[row.study_id].name


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_subgroup_rows_are_the_outcome_rows(rm5_dir: Path, name: str) -> None:
    for outcome in _read(rm5_dir, name).outcomes:
        if outcome.subgroups:
            assert sum(len(s.rows) for s in outcome.subgroups) == len(outcome.rows)
            assert outcome.has_subgroups


def test_iso_8859_1_files_are_decoded_as_their_prolog_declares(rm5_dir: Path) -> None:
    raw = (rm5_dir / "antibiotics-for-sore-throat.rm5").read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    with pytest.raises(UnicodeDecodeError):  # a Latin-1 no-break space: not UTF-8
        raw.decode("utf-8")
    review = read_rm5(rm5_dir / "antibiotics-for-sore-throat.rm5")
    assert review.encoding == "ISO-8859-1"
    assert review.title == "Antibiotics for sore throat"
    assert review.revman_version == "5.2.11"
    assert read_rm5(rm5_dir / "Fleiss1993.rm5").encoding == "ISO-8859-1"


def test_utf8_study_names_keep_their_letters(rm5_dir: Path) -> None:
    review = _read(rm5_dir, "CD007868StatsDataOnly.rm5")
    assert review.encoding == "UTF-8"
    assert "Sønju Clasen 1995" in {s.name for s in review.studies.values()}


def test_review_title_version_and_study_years(rm5_dir: Path) -> None:
    review = _read(rm5_dir, "CD008625StatsDataOnly.rm5")
    assert review.title.startswith("Antimicrobial drugs for treating cholera")
    assert review.version == "2.4"
    study = review.studies["STD-Alam-1990-BGD"]
    assert (study.name, study.year) == ("Alam 1990 BGD", "1987")


def test_iv_outcome_settings_rows_and_stored_results(rm5_dir: Path) -> None:
    review = _read(rm5_dir, "CD008625StatsDataOnly.rm5")
    outcome = next(o for o in review.outcomes if o.id == "CMP-001.02")
    assert (outcome.kind, outcome.effect_measure, outcome.log_data) == ("IV", "Ratio of means", True)
    assert (outcome.method, outcome.random, outcome.totals) == ("IV", True, "YES")
    assert (outcome.ci_study, outcome.ci_total) == (95.0, 95.0)
    assert (outcome.group_label_1, outcome.group_label_2) == ("Antimicrobial", "Control")
    assert outcome.label == "1.2 Stool Volume"
    assert is_ratio(outcome)
    s = outcome.stats
    assert s.effect_size == 0.5005744389114363
    assert (s.ci_start, s.ci_end) == (0.44806078398610294, 0.5592428033140948)
    assert (s.chi2, s.df, s.i2, s.tau2) == (69.4184440961284, 36.0, 48.14058357437632, 0.05088922558451484)
    assert (s.z, s.p_z, s.studies) == (12.237883945679247, 1.9505171729626393e-34, 17)
    t = outcome.subgroup_test
    assert (t.q, t.i2, t.p) == (19.43591882682315, 58.83909543314542, 0.012694410929234068)
    row = outcome.rows[0]
    assert isinstance(row, IvRow)
    assert (row.study_name, row.estimate, row.se) == ("Bhattacharya 1990 IND", -0.59776, 0.197952)
    assert row.stored.effect_size == 0.5500423520461402
    assert row.stored.weight == 3.549749576323791
    assert row.stored.estimable


def test_cont_and_dich_rows(rm5_dir: Path) -> None:
    review = _read(rm5_dir, "CD008625StatsDataOnly.rm5")
    cont = next(o for o in review.outcomes if o.id == "CMP-001.01")
    assert (cont.kind, cont.effect_measure, cont.log_data) == ("CONT", "MD", None)
    row = cont.rows[0]
    assert isinstance(row, ContRow)
    assert (row.mean_1, row.sd_1, row.total_1, row.mean_2, row.sd_2, row.total_2) == (
        48.1, 12.6, 18.0, 81.3, 64.5, 7.0)
    assert row.stored.se == 24.55893785511557
    assert [s.name for s in cont.subgroups][:2] == ["Norfloxacin", "Ciprofloxacin"]
    # The same study twice in one subgroup (a shared control): STUDIES counts it once.
    cipro = cont.subgroups[1]
    assert (len(cipro.rows), cipro.stats.studies, cipro.stats.df) == (2, 1, 1.0)
    dich = next(o for o in review.outcomes if o.kind == "DICH" and o.effect_measure == "RD")
    drow = dich.rows[0]
    assert isinstance(drow, DichRow)
    assert (drow.events_1, drow.total_1, drow.events_2, drow.total_2) == (0.0, 13.0, 0.0, 12.0)
    assert drow.stored.var == 0.005304700884190076


def test_nan_becomes_none_and_minus_infinity_stays(rm5_dir: Path) -> None:
    review = _read(rm5_dir, "CD000023StatsDataOnly.rm5")
    outcome = next(o for o in review.outcomes if o.id == "CMP-002.04")  # no estimable study
    assert outcome.stats.tau2 is None
    assert outcome.stats.estimable is False
    assert all(not r.stored.estimable for r in outcome.rows)
    infinite = [o.stats.log_effect_size for o in review.outcomes
                if o.stats.log_effect_size is not None and math.isinf(o.stats.log_effect_size)]
    assert infinite and all(x == -math.inf for x in infinite)


def test_empty_result_fields_read_as_none(rm5_dir: Path) -> None:
    review = _read(rm5_dir, "Fleiss1993.rm5")
    smd = next(o for o in review.outcomes if o.kind == "CONT")
    assert smd.effect_measure == "SMD"
    assert smd.stats.effect_size is None
    assert all(r.stored.effect_size is None for r in smd.rows)


def test_outcome_frame_and_pool_arguments(rm5_dir: Path) -> None:
    review = _read(rm5_dir, "CD008625StatsDataOnly.rm5")
    cont = next(o for o in review.outcomes if o.id == "CMP-001.01")
    frame = outcome_frame(cont)
    assert list(frame.columns) == ["study", "m1", "sd1", "n1", "m2", "sd2", "n2", "subgroup"]
    assert len(frame) == len(cont.rows)
    assert frame["study"].is_unique
    assert set(frame["subgroup"]) == set(subgroup_labels(cont))
    assert pool_arguments(cont) == {"measure": "MD", "method": "IV", "model": "random",
                                    "preset": "revman5", "level": 95.0, "by": "subgroup"}
    iv = next(o for o in review.outcomes if o.id == "CMP-001.02")
    assert list(outcome_frame(iv).columns) == ["study", "yi", "sei", "subgroup"]
    assert pool_arguments(iv)["measure"] == "GEN"
    fleiss = next(o for o in _read(rm5_dir, "Fleiss1993.rm5").outcomes if o.kind == "DICH")
    assert list(outcome_frame(fleiss).columns) == ["study", "e1", "n1", "e2", "n2"]
    assert pool_arguments(fleiss) == {"measure": "OR", "method": "MH", "model": "fixed",
                                      "preset": "revman5", "level": 95.0}


def test_study_labels_tell_repeated_studies_apart(rm5_dir: Path) -> None:
    review = _read(rm5_dir, "CD008625StatsDataOnly.rm5")
    cont = next(o for o in review.outcomes if o.id == "CMP-001.01")
    labels = study_labels(cont)
    assert len(set(labels)) == len(labels)
    assert "Usubutun 1997 TUR (Ciprofloxacin) #1" in labels
    assert "Bhattacharya 1990 IND" in labels  # a study with one row keeps its name


def test_truncated_copy_is_refused_with_the_file_and_line(rm5_dir: Path, tmp_path: Path) -> None:
    raw = (rm5_dir / "CD008625StatsDataOnly.rm5").read_bytes()
    broken = tmp_path / "truncated.rm5"
    broken.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ImportFormatError) as info:
        read_rm5(broken)
    message = str(info.value)
    assert str(broken) in message
    assert "line " in message
    assert "truncated" in message
    assert "export the review again" in message


# ----------------------------------------------------------------------------------------------
# Synthetic files: encodings, other outcome kinds, errors
# ----------------------------------------------------------------------------------------------

_REVIEW = """<?xml version="1.0" encoding="{encoding}"?>
<COCHRANE_REVIEW REVMAN_SUB_VERSION="5.4.1" VERSION_NO="1.0">
<COVER_SHEET><TITLE>{title}</TITLE></COVER_SHEET>
<STUDIES_AND_REFERENCES><STUDIES><INCLUDED_STUDIES>
<STUDY ID="STD-A" NAME="{name}" YEAR="2001"/>
<STUDY ID="STD-B" NAME="Berg 2003" YEAR=""/>
</INCLUDED_STUDIES></STUDIES></STUDIES_AND_REFERENCES>
<ANALYSES_AND_DATA>
<COMPARISON ID="CMP-001" NO="1"><NAME>Drug versus placebo</NAME>
{outcomes}
</COMPARISON>
</ANALYSES_AND_DATA>
</COCHRANE_REVIEW>
"""

_PETO = """<DICH_OUTCOME ID="CMP-001.01" NO="1" EFFECT_MEASURE="PETO_OR" METHOD="PETO" RANDOM="NO"
 TOTALS="YES" SUBGROUPS="NO" CI_STUDY="95" CI_TOTAL="90" EFFECT_SIZE="NaN">
<NAME>Death</NAME><GROUP_LABEL_1>Drug</GROUP_LABEL_1><GROUP_LABEL_2>Placebo</GROUP_LABEL_2>
<DICH_DATA STUDY_ID="STD-A" EVENTS_1="3" TOTAL_1="50" EVENTS_2="9" TOTAL_2="48" ESTIMABLE="YES"/>
<DICH_DATA STUDY_ID="STD-B" EVENTS_1="{events}" TOTAL_1="40" EVENTS_2="4" TOTAL_2="41"/>
</DICH_OUTCOME>"""

_OTHER_KINDS = """<IPD_OUTCOME ID="CMP-001.02" NO="2"><NAME>Survival (O-E)</NAME></IPD_OUTCOME>
<OTHER_OUTCOME ID="CMP-001.03" NO="3"><NAME>Adverse events (table)</NAME></OTHER_OUTCOME>"""


def _write(tmp_path: Path, *, encoding: str = "UTF-8", title: str = "A review",
           name: str = "Andersen 2001", outcomes: str = "", filename: str = "review.rm5") -> Path:
    path = tmp_path / filename
    text = _REVIEW.format(encoding=encoding, title=title, name=name, outcomes=outcomes)
    path.write_bytes(text.encode("latin-1" if encoding == "ISO-8859-1" else "utf-8"))
    return path


def test_a_latin1_file_reads_its_accented_names(tmp_path: Path) -> None:
    path = _write(tmp_path, encoding="ISO-8859-1", name="Sønju Clasen 1995", title="Ærø trial")
    assert b"S\xf8nju" in path.read_bytes()
    review = read_rm5(path)
    assert review.studies["STD-A"].name == "Sønju Clasen 1995"
    assert review.title == "Ærø trial"
    assert review.studies["STD-B"].year is None


def test_peto_outcome_maps_to_the_peto_method(tmp_path: Path) -> None:
    review = read_rm5(_write(tmp_path, outcomes=_PETO.format(events=2)))
    outcome = review.outcomes[0]
    assert (outcome.effect_measure, outcome.method, outcome.random) == ("PETO_OR", "PETO", False)
    assert outcome.stats.effect_size is None
    assert is_ratio(outcome)
    assert pool_arguments(outcome) == {"measure": "OR", "method": "Peto", "model": "fixed",
                                       "preset": "revman5", "level": 90.0}


def test_other_outcome_kinds_are_listed_as_unsupported(tmp_path: Path) -> None:
    review = read_rm5(_write(tmp_path, outcomes=_PETO.format(events=2) + _OTHER_KINDS))
    assert [o.id for o in review.outcomes] == ["CMP-001.01"]
    kinds = {u.kind: u for u in review.unsupported}
    assert set(kinds) == {"IPD", "OTHER"}
    assert "O-E and variance" in kinds["IPD"].reason
    assert kinds["OTHER"].name == "Adverse events (table)"
    assert kinds["OTHER"].line is not None


def test_a_review_without_analyses_has_no_comparisons(tmp_path: Path) -> None:
    path = tmp_path / "empty.rm5"
    path.write_bytes(b'<?xml version="1.0"?><COCHRANE_REVIEW><COVER_SHEET><TITLE>T</TITLE>'
                     b"</COVER_SHEET></COCHRANE_REVIEW>")
    review = read_rm5(path)
    assert (review.title, review.comparisons, review.studies) == ("T", (), {})


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match=r"missing\.rm5: no such file; check the path"):
        read_rm5(tmp_path / "missing.rm5")


def test_a_directory_is_not_a_review(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="is a directory"):
        read_rm5(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.rm5"
    path.write_bytes(b"")
    with pytest.raises(ImportFormatError, match="the file is empty"):
        read_rm5(path)


def test_a_csv_export_is_not_a_review(tmp_path: Path) -> None:
    path = tmp_path / "export.rm5"
    path.write_text("Comparison,Outcome,Study\n1,1,Andersen 2001\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"export\.rm5, line 1: not an XML file"):
        read_rm5(path)


def test_xml_that_is_not_a_revman_review(tmp_path: Path) -> None:
    path = tmp_path / "other.rm5"
    path.write_text('<?xml version="1.0"?>\n<PubmedArticleSet/>\n', encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"line 2: not a RevMan 5 review \(the root element is "
                                                r"<PubmedArticleSet>, expected <COCHRANE_REVIEW>\)"):
        read_rm5(path)


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, outcomes="<DICH_OUTCOME ID='x'>\n<NAME>Death</NAMEX>\n</DICH_OUTCOME>")
    with pytest.raises(ImportFormatError) as info:
        read_rm5(path)
    message = str(info.value)
    assert f"{path}, line 11, column" in message
    assert "mismatched tag" in message
    assert "the XML is damaged" in message


def test_a_non_numeric_count_names_the_attribute_and_study(tmp_path: Path) -> None:
    path = _write(tmp_path, outcomes=_PETO.format(events="twelve"))
    with pytest.raises(ImportFormatError) as info:
        read_rm5(path)
    message = str(info.value)
    assert "<DICH_DATA> attribute EVENTS_1 must be a number (got 'twelve')" in message
    assert 'study "Berg 2003"' in message
    assert f"{path}, line " in message


def test_a_missing_count_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, outcomes=_PETO.format(events=""))
    with pytest.raises(ImportFormatError, match="attribute EVENTS_1 is missing or not a finite number"):
        read_rm5(path)


def test_entity_declarations_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "laughs.rm5"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE COCHRANE_REVIEW [<!ENTITY lol "lol">]>\n'
        "<COCHRANE_REVIEW><COVER_SHEET><TITLE>&lol;</TITLE></COVER_SHEET></COCHRANE_REVIEW>\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFormatError, match="declares an XML entity"):
        read_rm5(path)


def test_records_are_immutable(tmp_path: Path) -> None:
    review = read_rm5(_write(tmp_path, outcomes=_PETO.format(events=2)))
    with pytest.raises(AttributeError):
        review.outcomes[0].name = "changed"  # type: ignore[misc]
