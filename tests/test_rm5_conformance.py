"""RevMan 5 conformance: every outcome of 16 real reviews redone with ``preset="revman5"``.

For every outcome of every file in ../shared/data/rm5, :func:`evisynth.services.rm5.reanalyse_rm5`
pools the data with RevMan's settings and pairs each statistic RevMan stored with ours: the
pooled effect and CI, Z and its P, Chi², df, its P, I², Tau² (overall and per subgroup), the
test for subgroup differences (Chi², P, I²), and per study the effect, CI, SE, weight and
whether RevMan could estimate it. The tests skip, with the reason, when the folder is absent.

What is not compared, and why (each skip is counted per outcome in ``OutcomeCheck.skipped``):

- TOTALS="NO" (and "SUB" without subgroups): RevMan pools nothing; it stores zeros.
- TOTALS="SUB": RevMan shows subgroup totals only, but still writes an overall record. Its
  Chi², df, I² and Tau² are those of all studies pooled together, and are compared; its
  effect, CI, Z and P are not the ordinary pooled estimate but the inverse-variance average of
  the subgroup estimates (weights 1/SE_g², i.e. every study weighted 1/(v_i + tau²_g) with its
  own subgroup's tau²). That number is never shown by RevMan and evisynth does not report it;
  ``test_hidden_overall_of_subtotal_only_outcomes_pools_the_subgroup_estimates`` pins the
  formula.
- I² and P(Chi²) where df = 0 (one estimable study): RevMan computes I² = (Q - df)/Q from a Q
  that is rounding noise (Chi² = 3.3e-32 gives I² = 99.99999999999999 % in CD013656 1.9).
- Tau² of fixed-effect analyses (0 on both sides; it says nothing).
- Effect, CI and SE of studies RevMan marks ESTIMABLE="NO" (no events in either arm for RR
  and OR): RevMan stores zeros. Their ``estimable`` flag is compared with ours instead.
- Outcomes with no data rows, or no estimable study: only the ``estimable`` flags.
- Values RevMan left empty or NaN (Fleiss 1993's SMD outcome has no stored results).

Outcome kinds that are absent from these files and so untested against RevMan here: Peto odds
ratios (METHOD="PETO"), O-E and variance (IPD_OUTCOME, reported as unsupported), continuous
data with SD = 0 (``pool`` refuses them: see ``test_an_sd_of_zero_is_reported_not_raised``).
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from evisynth import pool
from evisynth.io.rm5 import is_ratio, outcome_frame, pool_arguments, read_rm5
from evisynth.services.rm5 import OutcomeCheck, StatisticCheck, reanalyse_rm5
from tests.conftest import SHARED_DATA
from tests.test_rm5_reader import MANIFEST

RM5 = SHARED_DATA / "rm5"

#: RevMan stores doubles computed with the same closed forms as the revman5 preset (MH with
#: 0.5 added to every cell of zero-cell tables, DL tau² from Q around the MH estimate, RevMan's
#: SMD, Greenland–Robins RD variance); the largest relative difference seen is 4e-13, so 1e-9
#: leaves room for a different summation order and nothing else.
REL_TOL = 1e-9
#: Values that are rounding noise around zero on one side (Chi² of 3e-32 for a single study
#: against our 0 or 1e-31) are equal within this absolute tolerance.
ABS_TOL = 1e-10
#: RevMan's chi-square P values come from its own tail approximation, as 1 - CDF: they differ
#: from exact tail areas (scipy) by up to 4.7e-7 and go negative (down to -2e-10) for huge Chi².
P_CHI2_ABS_TOL = 1e-6
#: RevMan's normal P values (test for overall effect) differ from exact ones by up to 2.6e-8,
#: and underflow to 0.0 where the exact value is 1e-78.
P_Z_ABS_TOL = 1e-7
P_TOLERANCES = {"p_chi2": P_CHI2_ABS_TOL, "p": P_CHI2_ABS_TOL, "p_z": P_Z_ABS_TOL}

#: What the 16 files hold once re-analysed; pinned so that a change in what is compared shows.
EXPECTED_STATUS = {"checked": 454, "not estimable": 28, "no data": 2}
EXPECTED_COMPARED = 29326


def agrees(check: StatisticCheck) -> bool:
    tolerance = P_TOLERANCES.get(check.statistic)
    if tolerance is not None:
        return check.agrees(rel_tol=0.0, abs_tol=tolerance)
    return check.agrees(rel_tol=REL_TOL, abs_tol=ABS_TOL)


def describe(outcome: OutcomeCheck, check: StatisticCheck) -> str:
    where = check.scope + (f" {check.name!r}" if check.name else "")
    return (f"{outcome.file} {outcome.outcome_id} ({outcome.label}; {outcome.analysis}) {where} "
            f"{check.statistic}: RevMan {check.revman!r}, evisynth {check.evisynth!r}")


@pytest.fixture(scope="module")
def rm5_dir(shared_data: Path) -> Path:
    if not RM5.is_dir():
        pytest.skip(f"RevMan 5 test files not found at {RM5} (../shared/data/rm5)")
    return RM5


@pytest.fixture(scope="module")
def checks(rm5_dir: Path) -> dict[str, list[OutcomeCheck]]:
    return {name: reanalyse_rm5(rm5_dir / name) for name in sorted(MANIFEST)}


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_every_stored_statistic_matches_revman(checks: dict[str, list[OutcomeCheck]], name: str) -> None:
    outcomes = checks[name]
    assert outcomes, "no outcome was re-analysed"
    failed = [f"{o.outcome_id}: {o.message}" for o in outcomes if o.status in ("failed", "unsupported")]
    assert not failed, "\n".join(failed)
    mismatches = [describe(o, s) for o in outcomes for s in o.statistics if not agrees(s)]
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches[:30])


def test_counts_of_outcomes_and_statistics(checks: dict[str, list[OutcomeCheck]]) -> None:
    outcomes = [o for file in checks.values() for o in file]
    statistics = [s for o in outcomes for s in o.statistics]
    assert len(checks) == 16
    assert Counter(o.status for o in outcomes) == EXPECTED_STATUS
    assert len(statistics) == EXPECTED_COMPARED
    assert sum(not agrees(s) for s in statistics) == 0
    by_statistic = Counter(s.statistic for s in statistics)
    for name in ("effect", "ci_low", "ci_high", "z", "p_z", "chi2", "df", "p_chi2", "i2", "tau2",
                 "q", "p", "se", "weight", "estimable"):
        assert by_statistic[name] > 0, f"no {name} was compared"


def test_studies_revman_could_not_estimate_are_the_ones_pool_leaves_out(
    checks: dict[str, list[OutcomeCheck]],
) -> None:
    flags = [s for file in checks.values() for o in file for s in o.statistics
             if s.scope == "study" and s.statistic == "estimable"]
    assert sum(s.revman == 0.0 for s in flags) == 407  # all double-zero RR/OR studies
    assert all(s.revman == s.evisynth for s in flags)


def test_outcomes_without_data_or_estimable_study(checks: dict[str, list[OutcomeCheck]]) -> None:
    no_data = {(o.file, o.outcome_id) for f in checks.values() for o in f if o.status == "no data"}
    assert no_data == {("CD011564StatsDataOnly.rm5", "CMP-001.08"),
                       ("CD011564StatsDataOnly.rm5", "CMP-001.09")}
    for file in checks.values():
        for o in file:
            if o.status == "not estimable":
                assert "no study can be analysed" in o.message
                overall = [s for s in o.statistics if s.scope == "overall"]
                assert all(s.revman == 0.0 and s.evisynth == 0.0 for s in overall)


def test_risk_differences_keep_double_zero_studies_with_a_zero_effect(
    checks: dict[str, list[OutcomeCheck]],
) -> None:
    # RevMan: RD = a/n1 - c/n2 from the reported counts (0 for a double-zero study); 0.5 is
    # added to the cells of zero-cell tables for the SE only, and to the Greenland–Robins
    # variance numerator of the MH estimate, whose weights n1·n2/N stay uncorrected.
    outcome = next(o for o in checks["CD008625StatsDataOnly.rm5"] if o.outcome_id == "CMP-001.03")
    assert outcome.effect_measure == "RD"
    effects = [s for s in outcome.statistics if s.scope == "study" and s.statistic == "effect"]
    assert effects and all(s.revman == 0.0 and s.evisynth == 0.0 for s in effects)
    overall = {s.statistic: s for s in outcome.statistics if s.scope == "overall"}
    assert overall["ci_high"].revman == pytest.approx(0.046957778852506966, rel=REL_TOL)
    assert agrees(overall["ci_high"])


def test_single_study_i2_is_rounding_noise_and_not_compared(rm5_dir: Path) -> None:
    review = read_rm5(rm5_dir / "CD013656StatsDataOnly.rm5")
    outcome = next(o for o in review.outcomes if o.id == "CMP-001.09")
    stored = outcome.stats
    assert stored.df == 0.0
    assert stored.chi2 is not None and 0 < stored.chi2 < 1e-20
    assert stored.i2 is not None and stored.i2 > 99.99  # (Q - 0)/Q of a noise Q
    check = next(c for c in reanalyse_rm5(rm5_dir / "CD013656StatsDataOnly.rm5")
                 if c.outcome_id == "CMP-001.09")
    assert not [s for s in check.statistics if s.scope == "overall" and s.statistic == "i2"]
    assert check.skipped["I² and its p with df = 0 (one study)"] >= 2


def test_hidden_overall_of_subtotal_only_outcomes_pools_the_subgroup_estimates(rm5_dir: Path) -> None:
    compared = 0
    for path in sorted(rm5_dir.glob("*.rm5")):
        for outcome in read_rm5(path).outcomes:
            if outcome.totals != "SUB" or not outcome.subgroups:
                continue
            result = pool(outcome_frame(outcome), **pool_arguments(outcome))
            assert result.subgroups is not None
            theta = np.array([e.estimate for e in result.subgroups.values()])
            w = 1 / np.array([e.se for e in result.subgroups.values()]) ** 2
            estimate = float(np.sum(w * theta) / np.sum(w))
            z = abs(estimate) * math.sqrt(float(np.sum(w)))
            shown = math.exp(estimate) if is_ratio(outcome) else estimate
            assert shown == pytest.approx(outcome.stats.effect_size, rel=REL_TOL, abs=ABS_TOL)
            assert z == pytest.approx(outcome.stats.z, rel=REL_TOL, abs=ABS_TOL)
            compared += 1
    assert compared == 59


def test_an_sd_of_zero_is_reported_not_raised(tmp_path: Path) -> None:
    # RevMan computes an MD whose SE comes from the other arm when one SD is 0; pool() refuses
    # SD = 0 ("'sd1' must be > 0"), so the outcome is reported as failed, with the reason.
    path = tmp_path / "sd0.rm5"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<COCHRANE_REVIEW><COVER_SHEET><TITLE>T</TITLE>'
        '</COVER_SHEET><STUDIES_AND_REFERENCES><STUDIES><INCLUDED_STUDIES>'
        '<STUDY ID="STD-A" NAME="Able 2001"/><STUDY ID="STD-B" NAME="Baker 2002"/>'
        "</INCLUDED_STUDIES></STUDIES></STUDIES_AND_REFERENCES><ANALYSES_AND_DATA>"
        '<COMPARISON ID="CMP-001" NO="1"><NAME>A vs B</NAME>'
        '<CONT_OUTCOME ID="CMP-001.01" NO="1" EFFECT_MEASURE="MD" RANDOM="NO" TOTALS="YES" '
        'SUBGROUPS="NO" CI_STUDY="95" CI_TOTAL="95"><NAME>Pain</NAME>'
        '<CONT_DATA STUDY_ID="STD-A" MEAN_1="3" SD_1="0" TOTAL_1="20" MEAN_2="4" SD_2="1.5" TOTAL_2="20"/>'
        '<CONT_DATA STUDY_ID="STD-B" MEAN_1="2" SD_1="1" TOTAL_1="30" MEAN_2="4" SD_2="1.2" TOTAL_2="30"/>'
        "</CONT_OUTCOME></COMPARISON></ANALYSES_AND_DATA></COCHRANE_REVIEW>\n",
        encoding="utf-8",
    )
    [check] = reanalyse_rm5(path)
    assert check.status == "failed"
    assert "'sd1' must be > 0" in check.message and "Able 2001" in check.message
    assert check.to_dict()["status"] == "failed"
