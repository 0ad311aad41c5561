"""Conversions of reported statistics to means and SDs (core and DataFrame layers).

Expected numbers come from the papers and the Cochrane Handbook, from independent computation
(numerical integration, scipy's t test, sample moments) or from simulation; none is a number
the code under test produced.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from evisynth.analysis.conversions import fill_change_from_baseline, fill_mean_sd
from evisynth.core import conversions as conv
from evisynth.core.errors import InputError

PROPERTY = settings(deadline=None, max_examples=200)

# Wan et al. (2014), Table 1: xi(n) for n = 1..50, the exact expected range of n standard
# normals (https://bmcmedresmethodol.biomedcentral.com/articles/10.1186/1471-2288-14-135/tables/1).
WAN_TABLE_1 = (
    0.000, 1.128, 1.693, 2.059, 2.326, 2.534, 2.704, 2.847, 2.970, 3.078,
    3.173, 3.259, 3.336, 3.407, 3.472, 3.532, 3.588, 3.640, 3.689, 3.735,
    3.778, 3.819, 3.858, 3.895, 3.931, 3.964, 3.997, 4.027, 4.057, 4.086,
    4.113, 4.139, 4.165, 4.189, 4.213, 4.236, 4.259, 4.280, 4.301, 4.322,
    4.341, 4.361, 4.379, 4.398, 4.415, 4.433, 4.450, 4.466, 4.482, 4.498,
)  # fmt: skip
# Wan et al. (2014), Table 2: eta(n) for n = 4Q + 1, Q = 1..50 (as transcribed in R's meta
# package, setting "Wan2014.Table2").
WAN_TABLE_2 = (
    0.990, 1.144, 1.206, 1.239, 1.260, 1.274, 1.284, 1.292, 1.298, 1.303,
    1.307, 1.311, 1.313, 1.316, 1.318, 1.320, 1.322, 1.323, 1.324, 1.326,
    1.327, 1.328, 1.329, 1.330, 1.330, 1.331, 1.332, 1.332, 1.333, 1.333,
    1.334, 1.334, 1.335, 1.335, 1.336, 1.336, 1.336, 1.337, 1.337, 1.337,
    1.338, 1.338, 1.338, 1.338, 1.339, 1.339, 1.339, 1.339, 1.339, 1.340,
)  # fmt: skip

# Blom's closed form against the exact expected range: its error is largest at n = 2
# (1.179 vs 1.128), below 0.6 % from n = 10 on.
BLOM_RANGE_TOLERANCE_SMALL_N = 0.05
BLOM_RANGE_TOLERANCE = 0.006
# The closed-form eta(n) agrees with Table 2 to its three printed decimals and a little more.
BLOM_IQR_TOLERANCE = 0.005
# Monte Carlo: 20 000 samples give SD averages with a Monte Carlo SE near 0.1 % of sigma;
# Wan's estimators are biased by < 0.5 % for normal data at these n (Blom's approximation).
SIMULATION_SD_TOLERANCE = 0.02
# Luo's closed-form weights against simulated optimal weights: fit error < 0.007, Monte Carlo
# error ~ 0.003.
LUO_WEIGHT_TOLERANCE = 0.01


# --- published numbers ---------------------------------------------------------------------


def test_range_divisor_approximates_wan_table_1():
    n = np.arange(2, 51)
    exact = np.array(WAN_TABLE_1[1:])
    relative = conv.range_divisor(n) / exact - 1
    assert np.all(np.abs(relative) < BLOM_RANGE_TOLERANCE_SMALL_N)
    assert np.all(np.abs(relative[n >= 10]) < BLOM_RANGE_TOLERANCE)


def test_iqr_divisor_approximates_wan_table_2():
    n = 4 * np.arange(1, 51) + 1
    relative = conv.iqr_divisor(n) / np.array(WAN_TABLE_2) - 1
    assert np.all(np.abs(relative) < BLOM_IQR_TOLERANCE)


@pytest.mark.parametrize("n", [10, 50, 100, 500, 2000])
def test_range_divisor_approximates_the_expected_normal_range(n):
    # E(range) = integral of 1 - Phi(x)^n - (1 - Phi(x))^n over the real line.
    expected_range, _ = integrate.quad(
        lambda x: 1 - stats.norm.cdf(x) ** n - stats.norm.sf(x) ** n, -12, 12, limit=200
    )
    assert float(conv.range_divisor(n)) == pytest.approx(expected_range, rel=BLOM_RANGE_TOLERANCE)


def test_iqr_sd_tends_to_the_handbooks_iqr_over_1_35():
    # Cochrane Handbook 6.5.2.5: for large samples SD ~ IQR/1.35 (2 x 0.6745 = 1.349).
    huge = conv.mean_sd_from_iqr(10.0, 12.0, 14.0, 10**9)
    assert float(huge.sd) == pytest.approx(4.0 / 1.35, rel=1e-3)


def test_sd_from_se_multiplies_by_root_n():
    # Cochrane Handbook 6.5.2.2: SD = SE x sqrt(N).
    assert float(conv.sd_from_se(2.0, 25)) == pytest.approx(10.0)


def test_sd_from_ci_uses_the_handbooks_t_divisor_for_small_samples():
    # Cochrane Handbook 6.5.2.2: for n = 25 the divisor 3.92 becomes 2 x 2.0639 = 4.128.
    assert float(conv.critical_value(95, 24)) == pytest.approx(2.0639, abs=5e-5)
    sd = conv.sd_from_ci(30.0, 34.2, 25)
    assert float(sd) == pytest.approx(math.sqrt(25) * 4.2 / 4.128, rel=1e-4)


@pytest.mark.parametrize(("level", "width_in_se"), [(95, 3.92), (90, 3.29), (99, 5.15)])
def test_sd_from_ci_with_the_normal_divisors_of_the_handbook(level, width_in_se):
    # Cochrane Handbook 6.5.2.2: a 95 % CI is 3.92 SEs wide (3.29 for 90 %, 5.15 for 99 %).
    sd = conv.sd_from_ci(1.0, 2.0, 400, level=level, distribution="normal")
    assert float(sd) == pytest.approx(20.0 / width_in_se, rel=2e-3)


def test_sd_from_ci_t_is_smaller_than_normal_and_converges():
    n = np.array([5.0, 25.0, 100.0, 10_000.0])
    t_sd = conv.sd_from_ci(0.0, 1.0, n)
    z_sd = conv.sd_from_ci(0.0, 1.0, n, distribution="normal")
    assert np.all(t_sd < z_sd)
    assert float(t_sd[-1] / z_sd[-1]) == pytest.approx(1.0, abs=1e-3)


def test_p_value_example_of_the_handbook():
    # Cochrane Handbook 6.5.2.3: MD 3.8, p = 0.008, groups of 25 and 22: t = 2.78 with 45 df
    # (Excel's TINV(0.008, 45)) and SE = 3.8/2.78 = 1.37.
    assert float(conv.t_from_p(0.008, 45)) == pytest.approx(2.78, abs=5e-3)
    spread = conv.difference_spread_from_p(3.8, 0.008, 25, 22)
    assert float(spread.se) == pytest.approx(1.37, abs=5e-3)
    assert float(spread.sd) == pytest.approx(1.37 / math.sqrt(1 / 25 + 1 / 22), rel=5e-3)


def test_paired_difference_example_of_the_handbook():
    # Cochrane Handbook 5.1, 16.4.6.4: SDs 2.38 and 2.21, correlation 0.68, n = 10:
    # MD = 7.0 - 6.5 = 0.5 with SE 0.583.
    change = conv.pre_post_change(6.5, 2.21, 7.0, 2.38, 10, 0.68)
    assert float(change.mean) == pytest.approx(0.5)
    assert float(change.se) == pytest.approx(0.583, abs=5e-4)


# --- independent computation ------------------------------------------------------------------


def test_t_and_p_recover_the_pooled_sd_of_scipys_t_test():
    rng = np.random.default_rng(7)
    x, y = rng.normal(10, 3, 25), rng.normal(8, 3, 22)
    result = stats.ttest_ind(x, y, equal_var=True)
    pooled = math.sqrt(
        ((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / (x.size + y.size - 2)
    )
    md = x.mean() - y.mean()
    from_t = conv.difference_spread_from_t(md, result.statistic, x.size, y.size)
    from_p = conv.difference_spread_from_p(md, result.pvalue, x.size, y.size)
    assert float(from_t.sd) == pytest.approx(pooled, rel=1e-10)
    assert float(from_p.sd) == pytest.approx(pooled, rel=1e-8)
    assert float(from_t.se) == pytest.approx(pooled * math.sqrt(1 / 25 + 1 / 22), rel=1e-10)


def test_difference_spread_from_ci_recovers_the_pooled_sd():
    rng = np.random.default_rng(11)
    x, y = rng.normal(0, 2, 15), rng.normal(1, 2, 18)
    pooled = math.sqrt((14 * x.var(ddof=1) + 17 * y.var(ddof=1)) / 31)
    se = pooled * math.sqrt(1 / 15 + 1 / 18)
    md = x.mean() - y.mean()
    half = stats.t.ppf(0.975, 31) * se
    spread = conv.difference_spread_from_ci(md - half, md + half, 15, 18)
    assert float(spread.sd) == pytest.approx(pooled, rel=1e-10)


def test_change_sd_and_correlation_match_sample_moments():
    # Var(post - pre) = Var(pre) + Var(post) - 2 Cov(pre, post) holds for sample moments too.
    rng = np.random.default_rng(3)
    cov = [[4.0, 0.6 * 2 * 3], [0.6 * 2 * 3, 9.0]]
    pre, post = rng.multivariate_normal([20, 18], cov, size=500).T
    sd_pre, sd_post = pre.std(ddof=1), post.std(ddof=1)
    sd_change = (post - pre).std(ddof=1)
    r = np.corrcoef(pre, post)[0, 1]
    assert float(conv.change_correlation(sd_pre, sd_post, sd_change)) == pytest.approx(r, rel=1e-10)
    assert float(conv.change_sd(sd_pre, sd_post, r)) == pytest.approx(sd_change, rel=1e-10)


def test_change_sd_matches_a_large_bivariate_normal_sample():
    rng = np.random.default_rng(5)
    cov = [[4.0, 0.6 * 2 * 3], [0.6 * 2 * 3, 9.0]]
    pre, post = rng.multivariate_normal([0, 0], cov, size=200_000).T
    # Population value sqrt(4 + 9 - 2 x 0.6 x 2 x 3) = sqrt(5.8); sampling SE ~ 0.2 %.
    assert float(conv.change_sd(2.0, 3.0, 0.6)) == pytest.approx((post - pre).std(), rel=0.01)


def test_estimators_recover_mean_and_sd_of_a_large_normal_sample():
    rng = np.random.default_rng(2014)
    q = 25_000
    n = 4 * q + 1  # quartiles are then order statistics, as in Wan et al.
    x = np.sort(rng.normal(50.0, 10.0, n))
    q1, median, q3 = x[q], x[2 * q], x[3 * q]
    for method in ("luo", "wan"):
        est = conv.mean_sd_from_iqr(q1, median, q3, n, mean_method=method)
        # SE of a quartile-based mean ~ 0.04 here; of the IQR-based SD ~ 0.04.
        assert float(est.mean) == pytest.approx(50.0, abs=0.2)
        assert float(est.sd) == pytest.approx(10.0, rel=0.02)


def _order_statistics(n, reps=20_000, seed=41):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.standard_normal((reps, n)), axis=1)
    q = (n - 1) // 4
    return x[:, 0], x[:, q], x[:, 2 * q], x[:, 3 * q], x[:, -1]


@pytest.mark.parametrize("n", [41, 201])
def test_wan_sd_estimators_are_nearly_unbiased_for_normal_data(n):
    a, q1, m, q3, b = _order_statistics(n)
    for estimate in (
        conv.mean_sd_from_range(a, m, b, n),
        conv.mean_sd_from_iqr(q1, m, q3, n),
        conv.mean_sd_from_five_numbers(a, q1, m, q3, b, n),
    ):
        assert float(estimate.sd.mean()) == pytest.approx(1.0, abs=SIMULATION_SD_TOLERANCE)
        assert float(estimate.mean.mean()) == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize("n", [41, 201])
def test_luo_means_beat_wan_means_when_the_range_is_reported(n):
    # Luo et al. (2018) choose the weights that minimise the mean squared error; the gain over
    # Wan's fixed weights is large for the range alone and about 7 % for five numbers at n = 41.
    a, q1, m, q3, b = _order_statistics(n)
    for luo, wan in (
        (
            conv.mean_sd_from_range(a, m, b, n),
            conv.mean_sd_from_range(a, m, b, n, mean_method="wan"),
        ),
        (
            conv.mean_sd_from_five_numbers(a, q1, m, q3, b, n),
            conv.mean_sd_from_five_numbers(a, q1, m, q3, b, n, mean_method="wan"),
        ),
    ):
        assert float(np.mean(luo.mean**2)) < float(np.mean(wan.mean**2))


@pytest.mark.parametrize(("n", "reps"), [(5, 100_000), (41, 40_000), (101, 40_000)])
def test_luo_weights_are_the_optimal_weights_for_normal_data(n, reps):
    # Luo et al. (2018) fit closed forms to the weights that minimise the MSE for the sample
    # mean; regressing (sample mean - median) on (midpoints - median) over simulated normal
    # samples gives those weights again, to within Monte Carlo error (~0.003) and the fit
    # (< 0.007 at these n).
    rng = np.random.default_rng(n)
    x = np.sort(rng.standard_normal((reps, n)), axis=1)
    q = (n - 1) // 4
    a, q1, m, q3, b = x[:, 0], x[:, q], x[:, 2 * q], x[:, 3 * q], x[:, -1]
    target = x.mean(axis=1) - m

    def optimal(*midpoints):
        design = np.stack([mid - m for mid in midpoints], axis=1)
        return np.linalg.lstsq(design, target, rcond=None)[0]

    # With median 0, the estimate equals the weight on a midpoint set to 1 (the other to 0).
    w_range = float(conv.mean_sd_from_range(-1.0, 0.0, 3.0, n).mean)
    w_iqr = float(conv.mean_sd_from_iqr(-1.0, 0.0, 3.0, n).mean)
    w_five_range = float(conv.mean_sd_from_five_numbers(-1.0, -1.0, 0.0, 1.0, 3.0, n).mean)
    w_five_iqr = float(conv.mean_sd_from_five_numbers(-2.0, 0.0, 0.0, 2.0, 2.0, n).mean)
    assert w_range == pytest.approx(optimal((a + b) / 2)[0], abs=LUO_WEIGHT_TOLERANCE)
    assert w_iqr == pytest.approx(optimal((q1 + q3) / 2)[0], abs=LUO_WEIGHT_TOLERANCE)
    both = optimal((a + b) / 2, (q1 + q3) / 2)
    assert w_five_range == pytest.approx(both[0], abs=LUO_WEIGHT_TOLERANCE)
    assert w_five_iqr == pytest.approx(both[1], abs=LUO_WEIGHT_TOLERANCE)


@pytest.mark.parametrize(
    ("convert", "expected"),
    [
        # Hozo et al. (2005), kept by Wan et al. (2014): (a + 2m + b)/4 + (a - 2m + b)/(4n).
        (lambda: conv.mean_sd_from_range(5, 8, 12, 10, mean_method="wan"), 8.25 + 1 / 40),
        # Wan et al. (2014): (q1 + m + q3)/3.
        (lambda: conv.mean_sd_from_iqr(6, 8, 13, 10, mean_method="wan"), 9.0),
        # Wan et al. (2014): (a + 2q1 + 2m + 2q3 + b)/8.
        (lambda: conv.mean_sd_from_five_numbers(0, 6, 8, 13, 21, 10, mean_method="wan"), 75 / 8),
    ],
)
def test_wan_means_follow_the_published_formulas(convert, expected):
    assert float(convert().mean) == pytest.approx(expected)


# --- properties ---------------------------------------------------------------------------

centres = st.floats(min_value=-1e4, max_value=1e4)
gaps = st.floats(min_value=0.0, max_value=1e3)
inner_gaps = st.floats(min_value=1e-2, max_value=1e3)
sizes = st.integers(min_value=2, max_value=100_000)
methods = st.sampled_from(["luo", "wan"])


@st.composite
def five_numbers(draw):
    m = draw(centres)
    low, high = draw(inner_gaps), draw(inner_gaps)
    q1, q3 = m - low, m + high
    return q1 - draw(gaps), q1, m, q3, q3 + draw(gaps)


def _slack(*values):
    return 1e-9 * max(1.0, *(abs(v) for v in values))


@PROPERTY
@given(five_numbers(), sizes, methods)
def test_estimates_are_positive_and_the_mean_lies_within_the_data(numbers, n, method):
    a, q1, m, q3, b = numbers
    eps = _slack(*numbers)
    five = conv.mean_sd_from_five_numbers(a, q1, m, q3, b, n, mean_method=method)
    iqr = conv.mean_sd_from_iqr(q1, m, q3, n, mean_method=method)
    spread = conv.mean_sd_from_range(a, m, b, n, mean_method=method)
    assert float(five.sd) > 0 and float(iqr.sd) > 0 and float(spread.sd) > 0
    assert a - eps <= float(five.mean) <= b + eps
    assert q1 - eps <= float(iqr.mean) <= q3 + eps
    assert a - eps <= float(spread.mean) <= b + eps


@PROPERTY
@given(five_numbers(), sizes, st.floats(min_value=1e-2, max_value=1e3))
def test_sd_grows_with_the_spread(numbers, n, stretch):
    a, q1, m, q3, b = numbers
    assert conv.mean_sd_from_iqr(q1, m, q3 + stretch, n).sd > conv.mean_sd_from_iqr(q1, m, q3, n).sd
    assert conv.mean_sd_from_range(a - stretch, m, b, n).sd > conv.mean_sd_from_range(a, m, b, n).sd
    wider = conv.mean_sd_from_five_numbers(a, q1, m, q3, b + stretch, n).sd
    assert wider > conv.mean_sd_from_five_numbers(a, q1, m, q3, b, n).sd


@PROPERTY
@given(five_numbers(), sizes, methods, centres, st.floats(min_value=0.1, max_value=10))
def test_estimates_follow_shifts_and_rescaling(numbers, n, method, shift, scale):
    base = conv.mean_sd_from_five_numbers(*numbers, n, mean_method=method)
    moved = conv.mean_sd_from_five_numbers(
        *(scale * v + shift for v in numbers), n, mean_method=method
    )
    tol = 1e-7 * max(1.0, abs(shift), *(scale * abs(v) for v in numbers))
    assert float(moved.mean) == pytest.approx(scale * float(base.mean) + shift, abs=tol)
    assert float(moved.sd) == pytest.approx(scale * float(base.sd), abs=tol)


@PROPERTY
@given(sizes, sizes)
def test_divisors_grow_with_the_sample_size(n, m):
    small, large = sorted((n, m))
    if small < large:
        assert conv.range_divisor(small) < conv.range_divisor(large)
        assert conv.iqr_divisor(small) < conv.iqr_divisor(large)


sds = st.floats(min_value=1e-2, max_value=1e3)
correlations = st.floats(min_value=-1.0, max_value=1.0)


@PROPERTY
@given(sds, sds, correlations, correlations)
def test_change_sd_is_bounded_and_falls_as_the_correlation_rises(sd_pre, sd_post, r, s):
    low, high = sorted((r, s))
    at_low, at_high = conv.change_sd(sd_pre, sd_post, low), conv.change_sd(sd_pre, sd_post, high)
    eps = 1e-9 * (sd_pre + sd_post)
    assert at_low >= at_high - eps
    assert abs(sd_pre - sd_post) - eps <= at_high and at_low <= sd_pre + sd_post + eps


@PROPERTY
@given(sds, sds, st.floats(min_value=-0.99, max_value=0.99))
def test_change_correlation_inverts_change_sd(sd_pre, sd_post, r):
    sd_change = conv.change_sd(sd_pre, sd_post, r)
    assert float(conv.change_correlation(sd_pre, sd_post, sd_change)) == pytest.approx(r, abs=1e-6)


# --- checked inputs -------------------------------------------------------------------------


def test_swapped_quartiles_are_named_with_their_values_and_the_fix():
    with pytest.raises(InputError) as info:
        conv.mean_sd_from_iqr([1.0, 6.0], [4.0, 5.0], [8.0, 9.0], 30)
    message = str(info.value)
    assert "'q1' must be <= 'median'" in message
    assert "q1 = 6 and median = 5 at position 1" in message
    assert "not swapped" in message


def test_labels_name_the_entry_in_messages():
    with pytest.raises(InputError, match=r"'n' must be >= 2 \(got 1 in row 2, study \"B\"\)"):
        conv.sd_from_se([1.0, 1.0], [10, 1], labels=["row 1, study \"A\"", "row 2, study \"B\""])


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: conv.mean_sd_from_range(5, 4, 9, 20), "'minimum' must be <= 'median'"),
        (lambda: conv.mean_sd_from_range(3, 3, 3, 20), "range of zero"),
        (lambda: conv.mean_sd_from_five_numbers(1, 2, 3, 4, 3.5, 20), "'q3' must be <= 'maximum'"),
        (lambda: conv.mean_sd_from_iqr(2, 3, 4, 1), "'n' must be >= 2"),
        (lambda: conv.mean_sd_from_iqr(2, 3, 4, float("nan")), "'n' must be a finite number"),
        (lambda: conv.sd_from_se(-1.0, 20), "'se' must be > 0 .*check the sign"),
        (lambda: conv.sd_from_ci(5.0, 4.0, 20), "'ci_low' must be < 'ci_high'"),
        (lambda: conv.t_from_p(1.5, 10), "'p' must be in \\(0, 1\\)"),
        (lambda: conv.difference_spread_from_t(1.0, 0.0, 10, 10), "'t' must be non-zero"),
        (lambda: conv.change_sd(1.0, 2.0, 60), "'r' must be in \\[-1, 1\\].*percentage"),
        (lambda: conv.change_sd(0.0, 2.0, 0.5), "'sd_pre' must be > 0"),
        (lambda: conv.change_correlation(1.0, 1.0, 0.01 + 2.0), "SD of the changes, not their SE"),
        (lambda: conv.mean_sd_from_iqr([1, 2], [2, 3], [3, 4, 5], 9), "incompatible shapes"),
        (lambda: conv.mean_sd_from_iqr(1, 2, 3, 9, mean_method="hozo"), "mean_method='hozo'"),
        (lambda: conv.sd_from_ci(1, 2, 9, distribution="z"), "distribution='z'"),
        (lambda: conv.sd_from_ci(1, 2, 9, level=0.95 * 200), "level=190"),
    ],
)
def test_impossible_inputs_raise_input_error(call, pattern):
    with pytest.raises(InputError, match=pattern):
        call()


def test_scalars_broadcast_against_arrays():
    estimate = conv.mean_sd_from_iqr(np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0]), 5.0, 21)
    assert estimate.mean.shape == (3,) and estimate.sd.shape == (3,)


# --- the DataFrame layer ---------------------------------------------------------------------


def _trials() -> pd.DataFrame:
    nan = np.nan
    return pd.DataFrame(
        {
            "study": ["Reported", "Quartiles", "Standard error", "Comparison"],
            "m1": [5.0, nan, 4.0, 3.0],
            "sd1": [1.0, nan, nan, nan],
            "n1": [20, 41, 25, 25],
            "m2": [4.0, nan, 3.0, 2.0],
            "sd2": [1.2, nan, nan, nan],
            "n2": [20, 41, 25, 22],
            "median1": [9.0, 7.0, nan, nan],
            "q1_1": [8.0, 5.0, nan, nan],
            "q3_1": [10.0, 9.0, nan, nan],
            "median2": [nan, 6.0, nan, nan],
            "min2": [nan, 1.0, nan, nan],
            "max2": [nan, 11.0, nan, nan],
            "se1": [nan, nan, 2.0, nan],
            "ci_low2": [nan, nan, 2.0, nan],
            "ci_high2": [nan, nan, 4.0, nan],
            "t_value": [nan, nan, nan, 2.5],
        }
    )


def test_fill_mean_sd_fills_only_what_is_missing_and_says_how():
    frame = _trials()
    before = frame.copy()
    out = fill_mean_sd(frame)
    pd.testing.assert_frame_equal(frame, before)  # the input is not modified
    assert out.loc[0, ["m1", "sd1", "m2", "sd2"]].tolist() == [5.0, 1.0, 4.0, 1.2]
    assert out.loc[0, "note"] == ""
    assert out.loc[1, "note"] == (
        "sd1 from IQR (Wan 2014); m1 from median/IQR (Luo 2018); "
        "sd2 from range (Wan 2014); m2 from median/range (Luo 2018)"
    )
    assert out.loc[2, "note"] == (
        "sd1 from SE (Cochrane Handbook 6.5.2.2); "
        "sd2 from 95% CI (t with 24 df; Cochrane Handbook 6.5.2.2)"
    )
    assert out.loc[3, "note"] == "sd1 and sd2 from t = 2.5 (pooled SD; Cochrane Handbook 6.5.2.3)"


def test_fill_mean_sd_values_follow_the_published_divisors():
    out = fill_mean_sd(_trials())
    # Symmetric quartiles: every mean estimator returns the median. n = 41 = 4 x 10 + 1,
    # so Wan's Table 2 gives eta = 1.303; n = 25 gives t = 2.0639 (Handbook 6.5.2.2).
    assert out.loc[1, "m1"] == pytest.approx(7.0)
    assert out.loc[1, "sd1"] == pytest.approx(4.0 / 1.303, rel=BLOM_IQR_TOLERANCE)
    assert out.loc[1, "m2"] == pytest.approx(6.0)
    assert out.loc[1, "sd2"] == pytest.approx(10.0 / WAN_TABLE_1[40], rel=BLOM_RANGE_TOLERANCE)
    assert out.loc[2, "sd1"] == pytest.approx(10.0)
    assert out.loc[2, "sd2"] == pytest.approx(5 * 2.0 / 4.128, rel=1e-4)
    se = 1.0 / 2.5
    assert out.loc[3, "sd1"] == pytest.approx(se / math.sqrt(1 / 25 + 1 / 22))
    assert out.loc[3, "sd2"] == out.loc[3, "sd1"]


def test_fill_mean_sd_prefers_exact_conversions_and_notes_what_is_still_missing():
    frame = pd.DataFrame(
        {"study": ["S"], "m1": [np.nan], "sd1": [np.nan], "n1": [41], "se1": [0.5],
         "median1": [7.0], "q1_1": [5.0], "q3_1": [9.0], "n2": [40], "m2": [1.0]}
    )
    out = fill_mean_sd(frame, mean_method="wan")
    assert out.loc[0, "sd1"] == pytest.approx(0.5 * math.sqrt(41))
    assert out.loc[0, "note"] == (
        "sd1 from SE (Cochrane Handbook 6.5.2.2); m1 from median/IQR (Wan 2014); "
        "sd2 missing: nothing reported to impute it from"
    )


def test_fill_mean_sd_normal_divisor_and_existing_notes():
    frame = pd.DataFrame(
        {"study": ["S"], "m1": [1.0], "sd1": [np.nan], "n1": [200], "ci_low1": [0.0],
         "ci_high1": [3.92], "note": ["extracted by AB"]}
    )
    out = fill_mean_sd(frame, ci_distribution="normal")
    assert out.loc[0, "sd1"] == pytest.approx(math.sqrt(200), rel=1e-4)
    assert out.loc[0, "note"] == (
        "extracted by AB; sd1 from 95% CI (divisor 3.92; Cochrane Handbook 6.5.2.2)"
    )


def test_fill_mean_sd_names_the_row_study_and_arm_of_a_bad_value():
    frame = _trials()
    frame.loc[1, "q1_1"] = 7.5
    with pytest.raises(InputError, match=r'row 2, study "Quartiles", arm 1'):
        fill_mean_sd(frame)
    frame = _trials()
    frame["n1"] = frame["n1"].astype(object)
    frame.loc[2, "n1"] = "twenty-five"
    with pytest.raises(InputError, match=r"'n1' must be a number \(got 'twenty-five' in row 3"):
        fill_mean_sd(frame)


def test_fill_mean_sd_rejects_unknown_options():
    with pytest.raises(InputError, match="mean_method='median'"):
        fill_mean_sd(_trials(), mean_method="median")
    with pytest.raises(InputError, match="needs the arm sizes"):
        fill_mean_sd(pd.DataFrame({"m1": [1.0]}))


def test_fill_change_from_baseline_for_two_arms():
    frame = pd.DataFrame(
        {
            "study": ["Imputed", "Reported"],
            "m_pre1": [7.0, 15.2], "sd_pre1": [2.38, 6.4],
            "m_post1": [6.5, 16.2], "sd_post1": [2.21, 7.1],
            "sd1": [np.nan, 4.5],
            "m_pre2": [5.0, 15.7], "sd_pre2": [2.0, 7.0],
            "m_post2": [6.0, 17.2], "sd_post2": [2.0, 6.9],
            "r2": [0.5, np.nan],
        }
    )  # fmt: skip
    out = fill_change_from_baseline(frame, correlation=0.68)
    # Handbook 16.4.6.4 numbers: SE 0.583 with n = 10, so SD = 0.583 x sqrt(10).
    assert out.loc[0, "m1"] == pytest.approx(-0.5)
    assert out.loc[0, "sd1"] == pytest.approx(0.583 * math.sqrt(10), abs=2e-3)
    # Equal SDs of 2 and r = 0.5: the change SD is 2 as well.
    assert out.loc[0, "sd2"] == pytest.approx(2.0)
    # Reported change SD 4.5 with SDs 6.4 and 7.1 implies r = 0.78.
    assert out.loc[1, "sd1"] == 4.5
    assert out.loc[1, "r1"] == pytest.approx(0.78, abs=5e-3)
    assert out.loc[0, "note"] == (
        "m1 = final - baseline mean; "
        "sd1 from baseline and final SDs with r = 0.68 (correlation=; Cochrane Handbook 6.5.2.8); "
        "m2 = final - baseline mean; "
        "sd2 from baseline and final SDs with r = 0.5 (column r2; Cochrane Handbook 6.5.2.8)"
    )
    assert out.loc[1, "note"].startswith(
        "m1 = final - baseline mean; r1 = 0.783 from baseline, final and change SDs"
    )


def test_fill_change_from_baseline_for_single_groups_needs_a_correlation():
    frame = pd.DataFrame(
        {"study": ["Cohort"], "m_pre": [140.0], "sd_pre": [10.0], "m_post": [125.0],
         "sd_post": [10.0], "n": [30]}
    )
    with pytest.raises(InputError, match=r'row 1, study "Cohort".*add column \'r\''):
        fill_change_from_baseline(frame)
    out = fill_change_from_baseline(frame.assign(r=0.5))
    # Equal SDs of 10 and r = 0.5 give a change SD of 10.
    assert out.loc[0, "m_change"] == pytest.approx(-15.0)
    assert out.loc[0, "sd_change"] == pytest.approx(10.0)
