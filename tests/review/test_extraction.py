"""Dual independent extraction: discrepancies, agreement, the arbiter's resolutions."""

from __future__ import annotations

import pytest

from evisynth.review.errors import DomainError
from evisynth.review.extraction import Resolution, compare_extractions, consensus
from evisynth.review.model import ExtractedValue, Provenance


def value(extractor: str, statistic: str, number: float, unit: str = "pmol/L") -> ExtractedValue:
    return ExtractedValue(
        study="kurnatowska2015", arm="k2d", outcome="dp_ucmgp", timepoint="270d",
        statistic=statistic, value=number, unit=unit,
        provenance=Provenance(report="r1", location="§3.4.1", quote="961.5 ± 506.7",
                              extractor=extractor),
    )


VALUES = (
    value("a", "mean", 961.5), value("b", "mean", 961.5),      # agree
    value("a", "sd", 506.7), value("b", "sd", 507.6),          # transposed digits
    value("a", "n", 29, ""),                                    # only a
    value("b", "median", 900.0), value("a", "median", 900.0, "ng/mL"),  # unit differs
)


def test_discrepancy_list_names_each_kind_and_agreement_is_the_agreed_share() -> None:
    c = compare_extractions(VALUES, "a", "b")
    kinds = {d.key[-1]: d.kind for d in c.discrepancies}
    assert kinds == {"sd": "different value", "n": "only first", "median": "different unit"}
    assert [v.statistic for v in c.agreed] == ["mean"]
    assert c.agreement == pytest.approx(1 / 4)


def test_arbiter_resolutions_settle_discrepancies_and_leave_the_rest_open() -> None:
    c = compare_extractions(VALUES, "a", "b")
    final, still_open = consensus(
        c, [Resolution("kurnatowska2015", "k2d", "dp_ucmgp", "270d", "sd", 506.7, "pmol/L",
                       resolved_by="c", note="checked against the PDF")]
    )
    by_stat = {v.statistic: v for v in final}
    assert by_stat["sd"].value == 506.7
    assert by_stat["sd"].provenance.extractor == "resolved by c"
    assert by_stat["mean"].value == 961.5
    assert {d.key[-1] for d in still_open} == {"n", "median"}


def test_resolving_a_key_without_conflict_is_refused() -> None:
    c = compare_extractions(VALUES, "a", "b")
    with pytest.raises(DomainError, match="no discrepancy"):
        consensus(c, [Resolution("kurnatowska2015", "k2d", "dp_ucmgp", "270d", "mean", 1.0, "",
                                 resolved_by="c")])


def test_an_extractor_with_two_values_for_one_key_is_refused() -> None:
    with pytest.raises(DomainError, match="two values"):
        compare_extractions((*VALUES, value("a", "mean", 1.0)), "a", "b")
