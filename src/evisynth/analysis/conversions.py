"""Fill in the means and SDs a study did not report, and say in a ``note`` what was imputed.

The friendly layer over :mod:`evisynth.core.conversions`: a DataFrame in, a new DataFrame out
(the input is never modified). Only missing values are filled; a row's reported ``m1``/``sd1``
are never replaced.

Columns read by :func:`fill_mean_sd` (``{a}`` is the arm, 1 or 2; every one is optional)

=======================  ==========================================================
``m{a}``, ``sd{a}``      mean and SD: filled where missing
``n{a}``                 sample size of the arm (needed by every conversion)
``se{a}``                standard error of the arm's mean
``ci_low{a}``,           confidence interval of the arm's mean (``ci_level``
``ci_high{a}``           percent, default 95)
``median{a}``            median
``q1_{a}``, ``q3_{a}``   first and third quartiles (the underscore keeps ``q1_1``
                         readable)
``min{a}``, ``max{a}``   minimum and maximum
``t_value``              t statistic of the two-sample comparison of the means
``p_value``              its two-sided p value (exact, e.g. 0.008)
=======================  ==========================================================

An arm's SD comes from the first of these that the row reports, the exact conversions first:
its SE, its CI, the comparison's t value, its p value (the last two give one pooled SD for
both arms and are used only when both SDs are missing and both means and sizes are
reported), then median/IQR/range (Wan et al. 2014), median/IQR, median/range. The mean comes
from median/IQR/range, then median/IQR, then median/range (Luo et al. 2018 by default).

:func:`fill_change_from_baseline` turns baseline ("pre") and final ("post") summaries into
changes from baseline (Cochrane Handbook 6.5.2.8), for two-arm studies (``m{a}``/``sd{a}``
hold the change) and for single-group studies (``m_change``/``sd_change``).

Error messages name the row as ``evisynth.pool`` does: its 1-based position and the study.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from evisynth.analysis._frames import row_label
from evisynth.core import conversions as core
from evisynth.core.errors import InputError

ARMS = ("1", "2")
MEAN_SOURCES = {"luo": "Luo 2018", "wan": "Wan 2014"}

_HANDBOOK_GROUP = "Cochrane Handbook 6.5.2.2"
_HANDBOOK_DIFFERENCE = "Cochrane Handbook 6.5.2.3"
_HANDBOOK_CHANGE = "Cochrane Handbook 6.5.2.8"

BoolArray = np.ndarray
FloatArray = np.ndarray


class _Table:
    """A working copy of the frame with per-row labels and notes."""

    def __init__(self, frame: pd.DataFrame) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise InputError(
                f"frame must be a pandas DataFrame (got {type(frame).__name__}); "
                "read a CSV with pandas.read_csv first"
            )
        self.frame = frame.copy()
        self.size = len(frame)
        self.labels = [row_label(frame, i) for i in range(self.size)]
        self.notes: list[list[str]] = [[] for _ in range(self.size)]

    def has(self, *names: str) -> bool:
        return all(name in self.frame.columns for name in names)

    def values(self, name: str) -> FloatArray:
        """The column as floats (NaN where absent or empty); text that is not a number fails."""
        if name not in self.frame.columns:
            return np.full(self.size, np.nan)
        column = self.frame[name]
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, copy=True)
        text = column.notna().to_numpy() & np.isnan(values)
        if text.any():
            i = int(np.flatnonzero(text)[0])
            raise InputError(
                f"'{name}' must be a number (got {column.iloc[i]!r} in {self.labels[i]}); "
                "fix the value or leave the cell empty"
            )
        return values

    def available(self, *names: str) -> BoolArray:
        """Rows where every named column holds a number."""
        ok = np.ones(self.size, dtype=bool)
        for name in names:
            ok &= ~np.isnan(self.values(name))
        return ok

    def rows_labels(self, rows: BoolArray, arm: str = "") -> list[str]:
        """Labels of the selected rows for error messages, naming the arm when there is one."""
        suffix = f", arm {arm}" if arm else ""
        return [self.labels[i] + suffix for i in np.flatnonzero(rows)]

    def fill(
        self, name: str, rows: BoolArray, values: FloatArray, note: Callable[[int], str] | None
    ) -> None:
        """Write ``values`` (one per selected row) into ``name`` and note each row."""
        column = self.values(name)
        column[rows] = values
        self.frame[name] = column
        if note is not None:
            for i in np.flatnonzero(rows):
                self.notes[i].append(note(int(i)))

    def note(self, i: int, text: str) -> None:
        self.notes[i].append(text)

    def result(self) -> pd.DataFrame:
        new = ["; ".join(parts) for parts in self.notes]
        if "note" in self.frame.columns:
            old = self.frame["note"].fillna("").astype(str).tolist()
            new = ["; ".join(p for p in (o, n) if p) for o, n in zip(old, new, strict=True)]
        self.frame["note"] = new
        return self.frame


def _same(text: str) -> Callable[[int], str]:
    """A note that reads the same for every row."""
    return lambda i: text


def _choice(name: str, value: object, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise InputError(
            f"{name}={value!r} is not one of {', '.join(map(repr, allowed))}; pass one of those"
        )
    return str(value)


def fill_mean_sd(
    frame: pd.DataFrame,
    *,
    mean_method: str = "luo",
    ci_level: float = 95.0,
    ci_distribution: str = "t",
) -> pd.DataFrame:
    """Fill missing ``m1``/``sd1``/``m2``/``sd2`` from what each study reported.

    ``frame``: one row per study, with the columns in the module docstring (any subset).
    ``mean_method``: "luo" (Luo et al. 2018, default) or "wan" (Wan et al. 2014) for means
    from medians. ``ci_level``: the level, in percent, of the arms' ``ci_low``/``ci_high``.
    ``ci_distribution``: "t" (default; t with n - 1 df, Handbook 6.5.2.2's advice for small
    samples) or "normal" (1.96, the Handbook's 3.92 divisor); changing it changes the SDs.

    Returns a copy with the filled columns and a ``note`` column that says, per row, what was
    imputed and how (e.g. "sd1 from IQR (Wan 2014); m1 from median/IQR (Luo 2018)"), or which
    value is still missing; an existing ``note`` is kept and the new text appended. Rows that
    report ``m1`` and ``sd1`` are left as they are. Raises InputError naming the column, the
    row and the fix when a reported value is impossible (e.g. q1 above the median).
    """
    mean_method = _choice("mean_method", mean_method, core.MEAN_METHODS)
    ci_distribution = _choice("ci_distribution", ci_distribution, core.CRITICAL_DISTRIBUTIONS)
    if not 0 < ci_level < 100:
        raise InputError(f"ci_level={ci_level!r} must be a percentage in (0, 100), e.g. 95")
    table = _Table(frame)
    arms = [a for a in ARMS if table.has(f"n{a}")]
    if not arms:
        raise InputError(
            "fill_mean_sd needs the arm sizes 'n1' (and 'n2' for a second arm); add them"
        )
    reported_means = {a: table.values(f"m{a}") for a in arms}
    for a in arms:
        _sd_from_group_interval(table, a, level=ci_level, distribution=ci_distribution)
    if len(arms) == 2:
        _sd_from_comparison(table, reported_means)
    for a in arms:
        _from_quantiles(table, a, mean_method=mean_method)
        for name in (f"sd{a}", f"m{a}"):
            for i in np.flatnonzero(np.isnan(table.values(name))):
                table.note(int(i), f"{name} missing: nothing reported to impute it from")
    return table.result()


def _sd_from_group_interval(table: _Table, a: str, *, level: float, distribution: str) -> None:
    n = table.values(f"n{a}")
    rows = np.isnan(table.values(f"sd{a}")) & table.available(f"se{a}", f"n{a}")
    if rows.any():
        sd = core.sd_from_se(
            table.values(f"se{a}")[rows], n[rows], labels=table.rows_labels(rows, a)
        )
        table.fill(f"sd{a}", rows, sd, _same(f"sd{a} from SE ({_HANDBOOK_GROUP})"))
    rows = np.isnan(table.values(f"sd{a}")) & table.available(f"ci_low{a}", f"ci_high{a}", f"n{a}")
    if rows.any():
        sd = core.sd_from_ci(
            table.values(f"ci_low{a}")[rows],
            table.values(f"ci_high{a}")[rows],
            n[rows],
            level=level,
            distribution=distribution,  # type: ignore[arg-type]
            labels=table.rows_labels(rows, a),
        )

        divisor = 2 * float(core.critical_value(level, 1, distribution="normal"))

        def note(i: int) -> str:
            how = f"t with {n[i] - 1:g} df" if distribution == "t" else f"divisor {divisor:.2f}"
            return f"sd{a} from {level:g}% CI ({how}; {_HANDBOOK_GROUP})"

        table.fill(f"sd{a}", rows, sd, note)


def _sd_from_comparison(table: _Table, reported_means: dict[str, FloatArray]) -> None:
    both_missing = np.isnan(table.values("sd1")) & np.isnan(table.values("sd2"))
    known = ~np.isnan(reported_means["1"]) & ~np.isnan(reported_means["2"])
    known &= table.available("n1", "n2")
    n1, n2 = table.values("n1"), table.values("n2")
    md = reported_means["1"] - reported_means["2"]
    for column in ("t_value", "p_value"):
        rows = both_missing & known & table.available(column)
        if not rows.any():
            continue
        stat = table.values(column)
        labels = table.rows_labels(rows)
        if column == "t_value":
            spread = core.difference_spread_from_t(
                md[rows], stat[rows], n1[rows], n2[rows], labels=labels
            )
        else:
            spread = core.difference_spread_from_p(
                md[rows], stat[rows], n1[rows], n2[rows], labels=labels
            )

        def note(i: int, column: str = column, stat: FloatArray = stat) -> str:
            if column == "t_value":
                return f"sd1 and sd2 from t = {stat[i]:g} (pooled SD; {_HANDBOOK_DIFFERENCE})"
            return (
                f"sd1 and sd2 from p = {stat[i]:g} (t with {n1[i] + n2[i] - 2:g} df, "
                f"pooled SD; {_HANDBOOK_DIFFERENCE})"
            )

        table.fill("sd1", rows, spread.sd, note)
        table.fill("sd2", rows, spread.sd, None)  # the note on sd1 covers both arms
        both_missing &= ~rows


def _from_quantiles(table: _Table, a: str, *, mean_method: str) -> None:
    method = MEAN_SOURCES[mean_method]
    scenarios: list[tuple[tuple[str, ...], str, str, Callable[..., core.MeanSD]]] = [
        (("min", "q1_", "median", "q3_", "max"), "IQR and range", "median/IQR/range",
         core.mean_sd_from_five_numbers),
        (("q1_", "median", "q3_"), "IQR", "median/IQR", core.mean_sd_from_iqr),
        (("min", "median", "max"), "range", "median/range", core.mean_sd_from_range),
    ]
    for stems, sd_source, mean_source, convert in scenarios:
        columns = [f"{stem}{a}" for stem in stems]
        need_sd = np.isnan(table.values(f"sd{a}"))
        need_m = np.isnan(table.values(f"m{a}"))
        rows = (need_sd | need_m) & table.available(*columns, f"n{a}")
        if not rows.any():
            continue
        args = [table.values(c)[rows] for c in columns]
        estimate = convert(
            *args,
            table.values(f"n{a}")[rows],
            mean_method=mean_method,
            labels=table.rows_labels(rows, a),
        )
        sd_rows, m_rows = need_sd[rows], need_m[rows]
        table.fill(
            f"sd{a}", rows & need_sd, estimate.sd[sd_rows],
            _same(f"sd{a} from {sd_source} (Wan 2014)"),
        )
        table.fill(
            f"m{a}", rows & need_m, estimate.mean[m_rows], _same(f"m{a} from {mean_source} ({method})")
        )


def fill_change_from_baseline(
    frame: pd.DataFrame, *, correlation: float | None = None
) -> pd.DataFrame:
    """Changes from baseline from baseline ("pre") and final ("post") summaries.

    Two-arm studies (``{a}`` = 1, 2): ``m_pre{a}, sd_pre{a}, m_post{a}, sd_post{a}`` give
    ``m{a}`` = m_post - m_pre and ``sd{a}`` = √(sd_pre² + sd_post² - 2·r·sd_pre·sd_post)
    (Cochrane Handbook 6.5.2.8), ready for ``evisynth.pool(measure="MD")`` on change scores;
    ``m{a}``/``sd{a}`` already present are taken as the reported change and kept.
    Single-group studies: ``m_pre, sd_pre, m_post, sd_post`` give ``m_change``/``sd_change``
    (for ``measure="GEN"`` use yi = m_change, sei = sd_change/√n; ``measure="MC"`` does this
    itself from the same columns).

    The correlation r comes, per row, from column ``r{a}`` (two-arm), then column ``r``, then
    ``correlation=``; a row that reports the baseline, final and change SDs but no r gets the
    r they imply written to ``r{a}`` (``r`` for single-group studies), to inform the value you
    impute elsewhere. Returns a copy with a ``note`` column saying what was imputed and with
    which r. Raises InputError when a change SD is needed and no r is given.
    """
    if correlation is not None and not -1 <= correlation <= 1:
        raise InputError(f"correlation={correlation!r} must lie in [-1, 1], e.g. 0.5")
    table = _Table(frame)
    groups = [a for a in (*ARMS, "") if table.has(f"m_pre{a}", f"m_post{a}")
              or table.has(f"sd_pre{a}", f"sd_post{a}")]
    if not groups:
        raise InputError(
            "fill_change_from_baseline needs baseline and final columns: 'm_pre1', 'sd_pre1', "
            "'m_post1', 'sd_post1' (and arm 2), or 'm_pre', 'sd_pre', 'm_post', 'sd_post' for "
            "single-group studies"
        )
    for a in groups:
        _change(table, a, correlation)
    return table.result()


def _change(table: _Table, a: str, correlation: float | None) -> None:
    mean_name, sd_name = (f"m{a}", f"sd{a}") if a else ("m_change", "sd_change")
    r_name = f"r{a}" if a else "r"
    rows = np.isnan(table.values(mean_name)) & table.available(f"m_pre{a}", f"m_post{a}")
    if rows.any():
        change = table.values(f"m_post{a}")[rows] - table.values(f"m_pre{a}")[rows]
        table.fill(mean_name, rows, change, _same(f"{mean_name} = final - baseline mean"))

    has_sds = table.available(f"sd_pre{a}", f"sd_post{a}")
    sd_pre, sd_post = table.values(f"sd_pre{a}"), table.values(f"sd_post{a}")
    rows = has_sds & table.available(sd_name) & np.isnan(table.values(r_name))
    if rows.any():
        r = core.change_correlation(
            sd_pre[rows], sd_post[rows], table.values(sd_name)[rows],
            labels=table.rows_labels(rows, a),
        )
        implied = np.full(table.size, np.nan)
        implied[rows] = r
        table.fill(
            r_name, rows, r,
            lambda i: f"{r_name} = {implied[i]:.3g} from baseline, final and change SDs "
            f"({_HANDBOOK_CHANGE})",
        )

    rows = has_sds & np.isnan(table.values(sd_name))
    if not rows.any():
        return
    r_values = np.full(table.size, np.nan)
    r_source = np.full(table.size, "", dtype=object)
    candidates = [(r_name, f"column {r_name}")]
    if a:
        candidates.append(("r", "column r"))
    for column, source in candidates:
        take = np.isnan(r_values) & ~np.isnan(table.values(column))
        r_values[take] = table.values(column)[take]
        r_source[take] = source
    if correlation is not None:
        take = np.isnan(r_values)
        r_values[take] = correlation
        r_source[take] = "correlation="
    missing = rows & np.isnan(r_values)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        arm = f"arm {a}" if a else "the group"
        raise InputError(
            f"the change SD of {arm} in {table.labels[i]} needs the baseline-final correlation; "
            f"add column '{r_name}' or pass correlation= (e.g. from a study reporting all "
            f"three SDs, {_HANDBOOK_CHANGE})"
        )
    sd = core.change_sd(
        sd_pre[rows], sd_post[rows], r_values[rows], labels=table.rows_labels(rows, a)
    )
    table.fill(
        sd_name, rows, sd,
        lambda i: (
            f"{sd_name} from baseline and final SDs with r = {r_values[i]:g} "
            f"({r_source[i]}; {_HANDBOOK_CHANGE})"
        ),
    )
