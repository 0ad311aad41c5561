"""Consistency checks: hand-built reviews for each rule, then the seed-000 bundle as shipped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scipy import stats

import evisynth
from evisynth.review.checks import (
    Finding,
    check_intervals,
    check_p_values,
    check_references,
    check_sds,
    check_totals,
    check_units,
    run_checks,
)
from evisynth.review.model import (
    Arm,
    ExtractedValue,
    Outcome,
    Protocol,
    Provenance,
    Report,
    ReportedTotal,
    Review,
    Study,
)
from evisynth.storage import Bundle, read_bundle

BUNDLE = Path(evisynth.__file__).parent / "examples" / "vitk2"
SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seeds" / "000_e11424deefe7d3f7.txt"


# --- building small reviews -------------------------------------------------------------------


def val(study: str, arm: str, outcome: str, timepoint: str, statistic: str, value: float,
        unit: str = "", *, quote: str = "", location: str = "here", extractor: str = "a") -> ExtractedValue:
    return ExtractedValue(study, arm, outcome, timepoint, statistic, value, unit,
                          Provenance(f"{study}-r1", location, quote, extractor, "2026-11-22"))


def two_arm(n1: int | None = 10, n2: int | None = 10, sid: str = "s1", population: str = "") -> Study:
    return Study(sid, sid, design="rct", population=population,
                 reports=(Report(f"{sid}-r1", "citation"),),
                 arms=(Arm("t", "treated", n=n1, role="experimental"),
                       Arm("c", "control", n=n2, role="control")))


def review(*values: ExtractedValue, studies: tuple[Study, ...] | None = None,
           totals: tuple[ReportedTotal, ...] = (), outcomes: tuple[str, ...] = ("y", "dose")) -> Review:
    return Review("r", Protocol("t"), studies=studies if studies is not None else (two_arm(),),
                  outcomes=tuple(Outcome(o, o) for o in outcomes), values=values, reported_totals=totals)


def codes(findings: tuple[Finding, ...]) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in findings]


# --- references -------------------------------------------------------------------------------


def test_values_naming_unknown_study_arm_outcome_report_or_statistic_are_errors() -> None:
    good = val("s1", "t", "y", "end", "mean", 1.0)
    bad_report = ExtractedValue("s1", "t", "y", "end", "sd", 1.0, "", Provenance("nope", "here"))
    r = review(good, val("s9", "t", "y", "end", "mean", 1.0), val("s1", "x", "y", "end", "mean", 1.0),
               val("s1", "t", "zz", "end", "mean", 1.0), val("s1", "t", "y", "end", "average", 1.0),
               bad_report)
    assert sorted(codes(check_references(r))) == [
        ("unknown-arm", "error"), ("unknown-outcome", "error"), ("unknown-report", "error"),
        ("unknown-statistic", "error"), ("unknown-study", "error"),
    ]


def test_two_values_for_one_key_from_one_extractor_are_an_error_but_two_extractors_are_not() -> None:
    a, b = val("s1", "t", "y", "end", "mean", 1.0), val("s1", "t", "y", "end", "mean", 2.0)
    other = val("s1", "t", "y", "end", "mean", 2.0, extractor="b")
    assert codes(check_references(review(a, b))) == [("duplicate-value", "error")]
    assert check_references(review(a, other)) == ()


# --- reported totals --------------------------------------------------------------------------


def test_a_control_total_that_counts_single_arm_participants_again_is_found_and_explained() -> None:
    single = Study("s2", "s2", design="single_arm", reports=(Report("s2-r1", "c"),),
                   arms=(Arm("k", "k", n=5, role="single"),))
    studies = (two_arm(10, 12), single)
    # arms: experimental 10 + 5 (single) = 15, control 12, all 27; the review says control 17 = 12 + 5
    totals = (ReportedTotal("all", 27, "all"), ReportedTotal("exp", 15, "experimental"),
              ReportedTotal("ctl", 17, "control", location="abstract", quote="对照组 17 例"))
    found = check_totals(review(studies=studies, totals=totals))
    assert codes(found) == [("total-mismatch", "warning"), ("totals-do-not-add-up", "warning")]
    mismatch, add_up = found
    assert mismatch.computed == {"arm_sum": 12.0, "difference": 5.0}
    assert "12 = 12" in mismatch.message and "single-arm group(s) s2 (5)" in mismatch.message
    assert "单臂" in mismatch.message_zh
    assert [e.value for e in mismatch.evidence] == [17, 12]
    assert mismatch.evidence[0].quote == "对照组 17 例"
    assert add_up.computed == {"difference": 5.0}  # 15 + 17 = 32, stated 27


def test_totals_restricted_to_a_population_sum_only_its_studies() -> None:
    studies = (two_arm(10, 12, "s1", "non-dialysed CKD"), two_arm(3, 4, "s2", "dialysis"))
    totals = (ReportedTotal("d", 7, "all", "dialysis"), ReportedTotal("nd", 22, "all", "non-dialysed"))
    assert check_totals(review(studies=studies, totals=totals)) == ()
    wrong = check_totals(review(studies=studies, totals=(ReportedTotal("d", 8, "all", "dialysis"),)))
    assert wrong[0].computed["arm_sum"] == 7.0


def test_totals_that_cannot_be_checked_say_why() -> None:
    totals = (ReportedTotal("all", 20), ReportedTotal("x", 5, "all", "transplant"))
    found = check_totals(review(studies=(two_arm(10, None),), totals=totals))
    assert codes(found) == [("total-unchecked", "info"), ("total-unmatched", "warning")]
    assert "s1/c" in found[0].message


# --- standard deviations ----------------------------------------------------------------------


def test_non_positive_sds_are_errors_and_an_sd_above_a_non_negative_mean_is_a_warning() -> None:
    r = review(
        val("s1", "t", "y", "end", "mean", 10.0), val("s1", "t", "y", "end", "sd", -1.2),
        val("s1", "c", "y", "end", "mean", 10.0), val("s1", "c", "y", "end", "sd", 12.0),  # 12 > 10
        val("s1", "t", "y", "baseline", "mean", 10.0), val("s1", "t", "y", "baseline", "sd", 9.9),
        val("s1", "c", "y", "change", "sd_change", 0.0),
    )
    found = check_sds(r)
    assert codes(found) == [("sd-nonpositive", "error"), ("sd-exceeds-mean", "warning"),
                            ("sd-nonpositive", "error")]
    assert found[1].computed == {"sd_over_mean": pytest.approx(1.2)}
    assert [e.value for e in found[1].evidence] == [10.0, 12.0]


def test_change_scores_and_outcomes_with_negative_means_are_not_taken_as_non_negative() -> None:
    r = review(
        val("s1", "t", "y", "change", "mean", 2.0), val("s1", "t", "y", "change", "sd", 5.0),
        val("s1", "t", "y", "end", "mean", 1.0), val("s1", "t", "y", "end", "sd", 3.0),
        val("s1", "c", "y", "end", "mean", -1.0), val("s1", "c", "y", "end", "sd", 3.0),
    )
    assert check_sds(r) == ()  # y has a negative mean, so SD > mean says nothing about skew
    assert codes(check_sds(r, non_negative={"y"})) == [("sd-exceeds-mean", "warning")]


# --- units ------------------------------------------------------------------------------------


def test_the_same_dose_printed_in_micrograms_and_milligrams_is_a_1000_fold_error() -> None:
    r = review(
        val("s1", "t", "dose", "daily@table2", "dose", 90, "μg", location="Table 2"),
        val("s1", "t", "dose", "daily@3.3", "dose", 90, "ug", location="§3.3"),
        val("s1", "t", "dose", "daily@4", "dose", 90, "mg", location="§4"),
    )
    (finding,) = check_units(r)
    assert (finding.code, finding.severity) == ("unit-mismatch", "error")
    assert finding.computed == {"scale_ratio": pytest.approx(1000.0)}
    assert "90 μg (Table 2)" in finding.message and "90 ug (§3.3)" in finding.message
    assert "90 mg (§4)" in finding.message
    assert len(finding.evidence) == 3


def test_units_that_convert_to_one_value_or_differ_in_dimension_pass_and_mixed_scales_warn() -> None:
    agree = review(val("s1", "t", "dose", "a", "dose", 90, "µg"),
                   val("s1", "t", "dose", "b", "dose", 0.09, "mg"),
                   val("s1", "t", "dose", "c", "dose", 90, "mcg"))
    assert check_units(agree) == ()
    relative = review(val("s1", "t", "y", "change", "mean_change", -1.4, "m/s"),
                      val("s1", "t", "y", "change_relative", "mean_change", -14.2, "%"))
    assert check_units(relative) == ()
    mixed = review(val("s1", "t", "y", "baseline", "mean", 1.0, "mm"),
                   val("s1", "t", "y", "end", "mean", 0.2, "cm"))
    assert codes(check_units(mixed)) == [("unit-mismatch", "warning")]
    unknown = review(val("s1", "t", "y", "baseline", "mean", 1.0, "AU"),
                     val("s1", "t", "y", "end", "mean", 2.0, "HU"))
    assert codes(check_units(unknown)) == [("unit-unknown", "info")]


# --- confidence intervals ---------------------------------------------------------------------


def test_an_interval_that_excludes_its_estimate_or_is_reversed_is_an_error() -> None:
    bad = review(val("s1", "", "y", "change", "mean_change", 0.52),
                 val("s1", "", "y", "change", "ci_low", 20.53), val("s1", "", "y", "change", "ci_high", 1.57))
    (finding,) = check_intervals(bad)
    assert (finding.code, finding.severity) == ("ci-inconsistent", "error")
    assert "exceeds its upper bound" in finding.message
    assert "does not contain the estimate 0.52" in finding.message
    good = review(val("s1", "", "y", "change", "mean_change", 0.52),
                  val("s1", "", "y", "change", "ci_low", -0.53),
                  val("s1", "", "y", "change", "ci_high", 1.57))
    assert check_intervals(good) == ()


# --- p values ---------------------------------------------------------------------------------


def between(m1: float, m2: float, sd: float, p: float, quote: str = "") -> Review:
    return review(val("s1", "t", "y", "end", "mean", m1), val("s1", "t", "y", "end", "sd", sd),
                  val("s1", "c", "y", "end", "mean", m2), val("s1", "c", "y", "end", "sd", sd),
                  val("s1", "", "y", "end", "p", p, quote=quote))


def test_between_group_p_is_recomputed_with_welchs_test() -> None:
    # 10 ± 2 vs 12 ± 2, n = 10 each: se = sqrt(0.4 + 0.4) = 0.894, t = 2.236, df = 18, p ≈ 0.038
    assert check_p_values(between(10, 12, 2, 0.04)) == ()
    (note,) = check_p_values(between(10, 12, 2, 0.5))  # verdict differs, but 0.038 > 0.0125
    assert (note.code, note.severity) == ("p-not-reproduced", "info")
    reference = stats.ttest_ind_from_stats(10, 2, 10, 12, 2, 10, equal_var=False).pvalue
    assert note.computed["p_recomputed"] == pytest.approx(reference)
    assert note.computed["t"] == pytest.approx(-2.236, abs=1e-3)
    assert note.computed["df"] == pytest.approx(18.0)


def test_a_significance_verdict_that_flips_beyond_the_band_is_a_warning() -> None:
    # 10 vs 14 (sd 2, n 10): t = 4.47, p ≈ 0.0003, reported 0.6
    assert codes(check_p_values(between(10, 14, 2, 0.6))) == [("p-inconsistent", "warning")]
    # 10 vs 10.5: t = 0.56, p ≈ 0.58, reported 0.01
    assert codes(check_p_values(between(10, 10.5, 2, 0.01))) == [("p-inconsistent", "warning")]


def test_an_inequality_in_the_quote_is_read_as_a_bound() -> None:
    # 10 vs 11 (sd 2, n 10): t = 1.118, df = 18, p ≈ 0.28
    assert codes(check_p_values(between(10, 11, 2, 0.05, "(p < 0.05)"))) == [("p-inconsistent", "warning")]
    # without the "<", 0.05 vs 0.28 is the same verdict and 0.9 apart on the z scale: no finding
    assert check_p_values(between(10, 11, 2, 0.05, "(p = 0.05)")) == ()


def within(sd: float, m2: float, p: float, n: int = 16, quote: str = "") -> Review:
    return review(val("s1", "t", "y", "baseline", "mean", 10.0), val("s1", "t", "y", "baseline", "sd", sd),
                  val("s1", "t", "y", "end", "mean", m2), val("s1", "t", "y", "end", "sd", sd),
                  val("s1", "t", "y", "end", "p", p, quote=quote), studies=(two_arm(n, n),))


def test_within_arm_p_is_compared_with_the_paired_test_range_over_the_correlation() -> None:
    # 10 ± 2 → 11 ± 2, n = 16: r = 0: sd_diff = sqrt(8) = 2.83, t = 1.41, p ≈ 0.18;
    # r = 0.95: sd_diff = sqrt(8 - 7.6) = 0.63, t = 6.32, p ≈ 1.4e-5
    assert check_p_values(within(2, 11, 0.03)) == ()
    (note,) = check_p_values(within(2, 11, 0.9))  # outside the range: z(0.9) = 0.13 vs z(0.18) = 1.34
    assert note.code == "p-not-reproduced"
    assert note.computed["p_recomputed_max"] == pytest.approx(0.178, abs=2e-3)
    assert note.computed["p_recomputed_min"] == pytest.approx(2 * stats.t.sf(1 / (0.4**0.5 / 4), 15))
    # 10 ± 1 → 14 ± 1: even at r = 0, t = 4 / (1.41 / 4) = 11.3, p < 1e-7; reported 0.5
    assert codes(check_p_values(within(1, 14, 0.5))) == [("p-inconsistent", "warning")]


def test_an_n_value_at_the_time_point_overrides_the_arm_size() -> None:
    # reported 0.03 agrees with n = 16 (above); with n = 4 the range is p ≈ 0.051
    # (r = 0.95: t = 1 / (0.63 / 2) = 3.16, df = 3) to 0.53 (r = 0: t = 0.71): the verdict
    # differs within the band, a note
    r = within(2, 11, 0.03)
    analysed = val("s1", "t", "y", "end", "n", 4)
    (note,) = check_p_values(Review(r.id, r.protocol, r.studies, r.outcomes, (*r.values, analysed)))
    assert note.code == "p-not-reproduced" and "n = 4" in note.message
    assert note.computed["p_recomputed_min"] == pytest.approx(0.051, abs=1e-3)
    assert note.computed["p_recomputed_max"] == pytest.approx(2 * stats.t.sf(1 / (8**0.5 / 2), 3))


def test_p_outside_zero_one_is_an_error() -> None:
    assert codes(check_p_values(review(val("s1", "", "y", "end", "p", 1.5)))) == [("p-out-of-range", "error")]


def test_findings_are_ordered_errors_first_and_serialise() -> None:
    r = review(val("s1", "t", "y", "end", "mean", 10.0), val("s1", "t", "y", "end", "sd", 12.0),
               val("s9", "t", "y", "end", "mean", 1.0))
    found = run_checks(r)
    assert [f.severity for f in found] == ["error", "warning"]
    d = found[1].to_dict()
    assert d["code"] == "sd-exceeds-mean" and d["evidence"][1]["value"] == 12.0
    assert str(found[1]).startswith("warning [sd-exceeds-mean]")


# --- the seed-000 bundle ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_bundle() -> Bundle:
    return read_bundle(BUNDLE)


@pytest.fixture(scope="module")
def seed_review(seed_bundle: Bundle) -> Review:
    return seed_bundle.review


@pytest.fixture(scope="module")
def seed_findings(seed_review: Review) -> tuple[Finding, ...]:
    return run_checks(seed_review)


def of(findings: tuple[Finding, ...], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def test_seed_bundle_has_no_broken_references(seed_review: Review) -> None:
    assert check_references(seed_review) == ()
    assert len(seed_review.studies) == 4 and seed_review.prisma.included == 4


def test_seed_control_total_182_against_the_control_arms_122_is_found(
        seed_findings: tuple[Finding, ...]) -> None:
    (mismatch,) = of(seed_findings, "total-mismatch")
    assert mismatch.evidence[0].value == 182
    assert mismatch.computed == {"arm_sum": 122.0, "difference": 60.0}
    assert "13 + 30 + 79 = 122" in mismatch.message
    assert "mansour2017 (60)" in mismatch.message  # 182 − 122 = 60, the single-arm study
    (add_up,) = of(seed_findings, "totals-do-not-add-up")
    assert "191 + control 182 = 373" in add_up.message and "313" in add_up.message


def test_seed_totals_313_191_and_the_population_totals_agree(seed_review: Review) -> None:
    ids = {f.evidence[0].label for f in check_totals(seed_review) if f.code == "total-mismatch"}
    assert ids == {"reported control total (control)"}


def test_seed_dose_statements_in_micrograms_and_milligrams_are_found(
        seed_findings: tuple[Finding, ...]) -> None:
    units = of(seed_findings, "unit-mismatch")
    assert {(f.study, f.severity) for f in units} == {
        ("kurnatowska2015", "error"), ("oikonomaki2019", "error"), ("witham2020", "error"),
        ("mansour2017", "error"),
    }
    assert all(f.computed["scale_ratio"] == pytest.approx(1000.0) for f in units)
    (mansour,) = [f for f in units if f.study == "mansour2017"]
    assert "360 ug (§3.3; §3.4.1; Table 2 (表 2))" in mansour.message
    assert "360 mg (§4 结论 2) (conclusion 2); §4 局限性 5) (limitation 5))" in mansour.message


def test_seed_sd_above_mean_warnings(seed_findings: tuple[Finding, ...]) -> None:
    flagged = {(f.evidence[1].label, f.evidence[0].value, f.evidence[1].value)
               for f in of(seed_findings, "sd-exceeds-mean")}
    assert flagged == {
        ("oikonomaki2019/k2/dp_ucmgp/baseline/sd", 8342, 10047),
        ("oikonomaki2019/k2/dp_ucmgp/1y/sd", 4218, 6505),
        ("oikonomaki2019/control/dp_ucmgp/baseline/sd", 8903, 10517),
        ("oikonomaki2019/control/dp_ucmgp/1y/sd", 8050, 12155),
        ("kurnatowska2015/k2d/cacs/baseline/sd", 267.6, 414.2),
        ("kurnatowska2015/k2d/cacs/end/sd", 325.7, 516.9),
        ("kurnatowska2015/d/cacs/end/sd", 473, 507.7),
        ("kurnatowska2015/d/oc/baseline/sd", 40.8, 54),
    }


def test_seed_witham_interval_printed_20_53_is_found(seed_findings: tuple[Finding, ...]) -> None:
    (ci,) = of(seed_findings, "ci-inconsistent")
    assert ci.study == "witham2020" and "20.53 to 1.57" in ci.message


def _printed(value: float) -> str:
    """The regex of a value as a source may print it: trailing zeros allowed ("42" ↔ "42.0")."""
    text = repr(abs(value))
    text = text[:-2] if text.endswith(".0") else text
    return re.escape(text) + (r"0*" if "." in text else r"(?:\.0+)?")


def test_every_seed_value_has_a_location_and_a_quote_showing_its_digits(seed_review: Review) -> None:
    assert len(seed_review.values) > 100
    for v in seed_review.values:
        where = "/".join(v.key)
        assert v.provenance.location.strip(), where
        assert v.provenance.extractor == "seed000" and v.provenance.extracted_at == "2026-11-22", where
        quote = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", v.provenance.quote)  # 10,047 → 10047
        number = r"(?<![\d.])" + _printed(v.value) + r"(?!\.?\d)"  # 58 must not match 58.1
        assert re.search(number, quote), f"{where}: {v.value} not in quote {v.provenance.quote!r}"


def test_seed_quotes_are_words_of_the_seed(seed_bundle: Bundle) -> None:
    if not SEED.is_file():
        pytest.skip(f"seed text not found at {SEED}")
    squash = re.compile(r"\s+")
    seed = squash.sub("", SEED.read_text(encoding="utf-8"))
    quotes = [v.provenance.quote for v in seed_bundle.review.values]
    quotes += [t.quote for t in seed_bundle.review.reported_totals]
    quotes += [a["jadad_reported"]["quote"] for a in seed_bundle.appraisals.values()]
    for quote in quotes:
        for part in re.sub(r"\s*\[note:.*\]$", "", quote).split(" … "):
            assert squash.sub("", part) in seed, part


def test_seed_jadad_answers_add_up_to_the_reported_scores(seed_bundle: Bundle) -> None:
    points = {"appropriate": 1, "not_described": 0, "inappropriate": -1}
    domains = {"random_sequence_generation", "allocation_concealment", "blinding_participants_personnel",
               "blinding_outcome_assessment", "incomplete_outcome_data", "selective_reporting", "other_bias"}
    for study, tools in seed_bundle.appraisals.items():
        j = tools["jadad"]
        score = (j["randomised"] + (points[j["randomisation_method"]] if j["randomised"] else 0)
                 + j["double_blind"] + (points[j["blinding_method"]] if j["double_blind"] else 0)
                 + j["withdrawals_described"])
        assert score == tools["jadad_reported"]["score"], study
        assert set(tools["rob1"]) == domains, study
        assert {d["judgement"] for d in tools["rob1"].values()} <= {"low", "high", "unclear"}, study
    assert [a["jadad_reported"]["score"] for a in seed_bundle.appraisals.values()] == [5, 4, 5, 3]
