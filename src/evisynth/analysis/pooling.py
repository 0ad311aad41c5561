"""``evisynth.pool`` and ``evisynth.pool_many``: tables in, validated, pooled by the core.

This is the friendly layer (STYLE habit 2): it accepts a pandas DataFrame or a CSV path
and column names, checks every input once with a message that names the column, the row
and the fix, resolves presets, computes the effect sizes, and calls the strict core.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evisynth.analysis._frames import row_label
from evisynth.core import effects
from evisynth.core.errors import InputError
from evisynth.core.meta import PoolOptions, Tables, analyse, check_convergence, fit_segments
from evisynth.core.results import PoolResult
from evisynth.core.tau2 import TAU2_METHODS
from evisynth.io.tables import read_table

MEASURES = ("MD", "SMD", "RR", "OR", "RD", "GEN", "MC")
BINARY = ("RR", "OR", "RD")
COLUMNS = {
    "MD": ("m1", "sd1", "n1", "m2", "sd2", "n2"),
    "SMD": ("m1", "sd1", "n1", "m2", "sd2", "n2"),
    "RR": ("e1", "n1", "e2", "n2"),
    "OR": ("e1", "n1", "e2", "n2"),
    "RD": ("e1", "n1", "e2", "n2"),
    "MC": ("m_pre", "sd_pre", "m_post", "sd_post", "n"),
}
MODELS = ("fixed", "random", "auto")
METHODS = ("IV", "MH", "Peto")
PREDICTIONS = ("z", "t", "none")
SMD_VARIANTS = ("hedges", "revman")
CORRECTION_TARGETS = ("zero_cells", "all", "none")

#: What each preset sets; explicit arguments win (see the README's option table).
PRESETS: dict[str, dict[str, Any]] = {
    "revman5": {
        "tau2": "DL",
        "smd": "revman",
        "prediction": "none",
        "i2_from_q": True,
        "mh_rd_variance": "greenland-robins",
        "mh_corrected_tables": True,  # and the RD estimate from the reported counts
    },
    "metafor": {"tau2": "REML", "smd": "hedges", "prediction": "z"},
}
DEFAULTS: dict[str, Any] = {
    "model": "random",
    "tau2": "REML",
    "smd": "hedges",
    "prediction": "z",
    "i2_from_q": False,
    "mh_rd_variance": "sato",
    # RevMan 5 adds the continuity correction to zero-cell tables in Mantel–Haenszel pooling
    # too; metafor's rma.mh pools the raw tables.
    "mh_corrected_tables": False,
}


def _choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise InputError(
            f"{name}={value!r} is not one of {', '.join(map(repr, allowed))}; "
            f"pass one of those"
        )
    return str(value)


@dataclass(frozen=True)
class _Resolved:
    options: PoolOptions
    smd: str
    correction: float
    correction_applies_to: str
    drop_double_zero: bool | None
    correlation: float | None
    mh_corrected_tables: bool


def _resolve(**arguments: Any) -> _Resolved:
    """The options of a call, resolved once per distinct set of arguments (a pure function)."""
    try:
        return _resolve_cached(**arguments)
    except TypeError:  # an unhashable argument (a list for measure=): checked and refused below
        return _resolve_options(**arguments)


def _resolve_options(
    measure: str,
    *,
    model: str | None,
    method: str | None,
    tau2: str | None,
    hksj: bool,
    smd: str | None,
    prediction: str | None,
    preset: str | None,
    level: float,
    continuity_correction: float,
    correction_applies_to: str,
    drop_double_zero: bool | None,
    correlation: float | None,
) -> _Resolved:
    measure = _choice("measure", measure, MEASURES)
    base = dict(DEFAULTS)
    if preset is not None:
        base.update(PRESETS[_choice("preset", preset, tuple(PRESETS))])
        if preset == "revman5":
            base["method"] = "MH" if measure in BINARY else "IV"
    given = {"model": model, "method": method, "tau2": tau2, "smd": smd, "prediction": prediction}
    settings = {**base, **{k: v for k, v in given.items() if v is not None}}
    settings.setdefault("method", "IV")
    model_ = _choice("model", settings["model"], MODELS)
    method_ = _choice("method", settings["method"], METHODS)
    tau2_ = _choice("tau2", settings["tau2"], TAU2_METHODS)
    smd_ = _choice("smd", settings["smd"], SMD_VARIANTS)
    prediction_ = _choice("prediction", settings["prediction"], PREDICTIONS)
    _choice("correction_applies_to", correction_applies_to, CORRECTION_TARGETS)
    if method_ == "MH" and measure not in BINARY:
        raise InputError(
            f"method='MH' needs a binary measure (RR, OR or RD), not {measure!r}; use method='IV'"
        )
    if method_ == "Peto" and measure != "OR":
        raise InputError(f"method='Peto' pools odds ratios only; use measure='OR' (got {measure!r})")
    if hksj and method_ != "IV" and model_ == "fixed":
        raise InputError(
            f"hksj=True needs inverse-variance weights; use method='IV' (got {method_!r})"
        )
    if not 50 <= level < 100:
        raise InputError(f"level={level!r} must be a percentage in [50, 100), e.g. 95")
    if not continuity_correction >= 0:
        raise InputError(f"continuity_correction={continuity_correction!r} must be >= 0, e.g. 0.5")
    if correlation is not None and not -1 <= correlation <= 1:
        raise InputError(f"correlation={correlation!r} must lie in [-1, 1]")
    options = PoolOptions(
        measure=measure,
        model=model_,  # type: ignore[arg-type]
        method=method_,  # type: ignore[arg-type]
        tau2_method=tau2_,  # type: ignore[arg-type]
        hksj=hksj,
        prediction=prediction_,  # type: ignore[arg-type]
        level=float(level),
        i2_from_q=bool(settings["i2_from_q"]),
        mh_rd_variance=settings["mh_rd_variance"],
    )
    return _Resolved(options, smd_, continuity_correction, correction_applies_to,
                     drop_double_zero, correlation, bool(settings["mh_corrected_tables"]))


_resolve_cached = lru_cache(maxsize=64)(_resolve_options)


def _frame(data: pd.DataFrame | str | Path) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, Path)):
        return read_table(Path(data))
    raise InputError(
        f"data must be a pandas DataFrame or the path of a CSV file (got {type(data).__name__})"
    )


def _is_empty(cell: Any) -> bool:
    if isinstance(cell, str):
        return not cell.strip()
    return cell is None or bool(pd.isna(cell))


def _shown(cell: Any) -> str:
    """A cell as the user wrote it, for messages: 'abc', 12.5 (never a numpy repr)."""
    if isinstance(cell, str):
        return repr(cell)
    try:
        return f"{float(cell):g}"
    except (TypeError, ValueError):
        return repr(str(cell))


def _column(frame: pd.DataFrame, name: str, *, fix: str) -> np.ndarray:
    if name not in frame.columns:
        raise InputError(f"column '{name}' is missing; {fix}")
    series = frame[name]
    if series.dtype == np.float64:
        values = series.to_numpy()
    elif series.dtype.kind in "fiu":
        values = series.to_numpy(dtype=float, na_value=np.nan)
    else:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        cell, where = series.iloc[i], row_label(frame, i)
        if _is_empty(cell):
            raise InputError(f"'{name}' is empty in {where}; fill in the value or remove the row")
        if np.isnan(values[i]):
            raise InputError(
                f"'{name}' must be a number (got {_shown(cell)} in {where}); "
                "write it as a plain number such as 0.52"
            )
        raise InputError(
            f"'{name}' must be a finite number (got {_shown(cell)} in {where}); check the value"
        )
    return values


def _require(frame: pd.DataFrame, name: str, values: np.ndarray, ok: np.ndarray, rule: str,
             fix: str) -> None:
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise InputError(f"'{name}' must be {rule} (got {values[i]:g} in {row_label(frame, i)}); {fix}")


#: The rounding error of a difference of two means, eps·max(|m1|, |m2|), must stay below
#: this fraction of the smaller SD: beyond it the difference has lost its significant digits
#: (a mean of 1e20 with an SD of 1 has none left), and the estimate is rounding noise.
MEAN_ROUNDING_LIMIT = 1e-4
_MAX_SD = float(np.sqrt(np.finfo(float).max))
_MEAN_PAIRS = {"MD": ("m1", "m2", "sd1", "sd2"), "SMD": ("m1", "m2", "sd1", "sd2"),
               "MC": ("m_post", "m_pre", "sd_post", "sd_pre")}


def _check_means(frame: pd.DataFrame, measure: str, col: dict[str, np.ndarray]) -> None:
    a, b, sa, sb = _MEAN_PAIRS[measure]
    largest = np.maximum(np.abs(col[a]), np.abs(col[b]))
    ok = np.finfo(float).eps * largest <= MEAN_ROUNDING_LIMIT * np.minimum(col[sa], col[sb])
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        name = a if abs(col[a][i]) >= abs(col[b][i]) else b
        raise InputError(
            f"'{name}' is too large for its SD (got {col[name][i]:g} with {sa} = "
            f"{col[sa][i]:g} and {sb} = {col[sb][i]:g} in {row_label(frame, i)}): {a} - {b} "
            "would be rounding error; subtract a common baseline from both means, or check "
            "the units"
        )


def _check_scale(frame: pd.DataFrame, es: effects.EffectSizes, source: str) -> None:
    """Refuse estimates and variances that pooling cannot use (see effects.MAX_ABS_ESTIMATE)."""
    problem = effects.scale_problem(es.yi, es.vi, es.kept)
    if problem is None:
        return
    origin = f" (computed from {source})" if source not in ("yi", "vi") else ""
    rule, consequence = problem.rule, ""
    if problem.other is not None:
        rule += f", {problem.other_value:g} in {row_label(frame, problem.other)}"
        consequence = ", or its weight rounds to 0 %"
    raise InputError(
        f"'{problem.field}'{origin} must {rule} (got {problem.value:g} in "
        f"{row_label(frame, problem.index)}){consequence}; check the units and the column "
        "mapping, or leave the study out"
    )


def _study_effects(frame: pd.DataFrame, r: _Resolved) -> tuple[effects.EffectSizes, Tables | None]:
    """Effect sizes from the table's columns, every value checked (see docs/engine-contract.md)."""
    # Overflow in the formulas (an SD of 1e300) is caught by the scale check, as a message.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        es, tables, source = _compute_effects(frame, r)
    _check_scale(frame, es, source)
    return es, tables


def _compute_effects(
    frame: pd.DataFrame, r: _Resolved
) -> tuple[effects.EffectSizes, Tables | None, str]:
    measure = r.options.measure
    needs = COLUMNS.get(measure)
    fix = (
        f"measure {measure} needs columns {', '.join(('study', *needs))}"
        if needs
        else "measure GEN needs 'yi' with 'sei', 'vi' or 'ci_low' and 'ci_high'"
    )
    col = {name: _column(frame, name, fix=fix) for name in needs or ()}
    source = ", ".join(needs or ())
    if measure in BINARY:
        for c in ("e1", "n1", "e2", "n2"):
            _require(frame, c, col[c], col[c] == np.round(col[c]), "a whole number",
                     "events and participants are counted; check for a typo (for "
                     "cluster-adjusted effective counts, pool log ratios and SEs as measure GEN)")
    for n in ("n1", "n2", "n"):
        if n in col:
            _require(frame, n, col[n], col[n] >= 1, ">= 1", "check the sample size")
    for sd in ("sd1", "sd2", "sd_pre", "sd_post"):
        if sd in col:
            _require(frame, sd, col[sd], col[sd] > 0, "> 0", "check the sign or the column mapping")
            # Every formula squares the SD; beyond sqrt(largest double) that is inf, and an
            # SMD would silently come out as 0 (a difference over an infinite SD).
            _require(frame, sd, col[sd], col[sd] <= _MAX_SD, f"at most {_MAX_SD:.1e}",
                     "its square overflows; check the units")
    if measure in _MEAN_PAIRS:
        _check_means(frame, measure, col)
    if measure in ("MD", "SMD"):
        args = [col[c] for c in COLUMNS[measure]]
        if measure == "MD":
            return effects.mean_difference(*args), None, source
        _require(frame, "n1", col["n1"], col["n1"] + col["n2"] > 2, "such that n1 + n2 > 2",
                 "an SMD needs at least 3 participants")
        return (effects.standardized_mean_difference(*args, variant=r.smd),  # type: ignore[arg-type]
                None, source)
    if measure in BINARY:
        for e, n in (("e1", "n1"), ("e2", "n2")):
            _require(frame, e, col[e], (col[e] >= 0) & (col[e] <= col[n]),
                     f"between 0 and {n}", f"events cannot exceed the arm's {n}")
        tables = Tables(col["e1"], col["n1"], col["e2"], col["n2"])
        if r.options.method == "Peto":
            return (effects.peto_effects(*(col[c] for c in ("e1", "n1", "e2", "n2"))), tables,
                    source)
        es = effects.binary_effects(
            col["e1"], col["n1"], col["e2"], col["n2"],
            measure=measure,  # type: ignore[arg-type]
            continuity_correction=r.correction,
            correction_applies_to=r.correction_applies_to,  # type: ignore[arg-type]
            drop_double_zero=r.drop_double_zero,
            correct_rd_estimate=not r.mh_corrected_tables,
        )
        if r.mh_corrected_tables and es.added is not None:
            add = es.added
            corrected = Tables(col["e1"] + add, col["n1"] + 2 * add, col["e2"] + add,
                               col["n2"] + 2 * add)
            tables = (Tables(col["e1"], col["n1"], col["e2"], col["n2"], variance=corrected)
                      if measure == "RD" else corrected)
        return es, tables, source
    if measure == "MC":
        if r.correlation is not None:
            rr = np.full(len(frame), r.correlation)
        else:
            rr = _column(frame, "r", fix="give the pre/post correlation as column 'r' or "
                                        "correlation=0.5 (Cochrane Handbook 6.5.2.8)")
            _require(frame, "r", rr, (rr >= -1) & (rr <= 1), "in [-1, 1]", "check the correlation")
        es = effects.mean_change(col["m_pre"], col["sd_pre"], col["m_post"], col["sd_post"],
                                 col["n"], rr)
        _require(frame, "sd_pre", es.vi, es.vi > 0, "such that the change variance is > 0",
                 "check the SDs and the correlation")
        return es, None, f"{source}, r"
    yi = _column(frame, "yi", fix=fix)
    if "vi" in frame.columns:
        vi = _column(frame, "vi", fix=fix)
        _require(frame, "vi", vi, vi > 0, "> 0", "a variance must be positive")
        source = "vi"
    elif "sei" in frame.columns:
        sei = _column(frame, "sei", fix=fix)
        _require(frame, "sei", sei, sei > 0, "> 0", "a standard error must be positive")
        vi, source = sei**2, "sei"
    elif "ci_low" in frame.columns and "ci_high" in frame.columns:
        lo, hi = _column(frame, "ci_low", fix=fix), _column(frame, "ci_high", fix=fix)
        _require(frame, "ci_high", hi, hi > lo, "> ci_low", "check that the bounds are not swapped")
        vi, source = ((hi - lo) / (2 * 1.959963984540054)) ** 2, "ci_low, ci_high"
    else:
        raise InputError(f"columns for the variance are missing; {fix}")
    return effects.generic(yi, vi), None, source


def _studies(frame: pd.DataFrame) -> tuple[str, ...]:
    if "study" not in frame.columns:
        raise InputError("column 'study' is missing; name each study in a 'study' column")
    names = tuple(c if isinstance(c, str) else "" if _is_empty(c) else str(c)
                  for c in frame["study"].tolist())
    if not all(n.strip() for n in names):
        i = next(i for i, n in enumerate(names) if not n.strip())
        raise InputError(f"'study' is empty in row {i + 1}; name each study, e.g. Smith 2019")
    if len(set(names)) < len(names):
        seen: set[str] = set()
        for i, s in enumerate(names):
            if s in seen:
                raise InputError(
                    f'study "{s}" appears twice (row {i + 1}); give each study one row per '
                    "analysis"
                )
            seen.add(s)
    return names


def _design(frame: pd.DataFrame, moderator: str | Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    names = [moderator] if isinstance(moderator, str) else list(moderator)
    columns = [np.ones(len(frame))]
    labels = ["intrcpt"]
    for name in names:
        if name not in frame.columns:
            raise InputError(f"moderator column '{name}' is missing; check moderator=")
        series = frame[name]
        numeric = pd.to_numeric(series, errors="coerce")
        if numeric.notna().all():
            columns.append(numeric.to_numpy(dtype=float))
            labels.append(name)
            continue
        if series.isna().any():
            i = int(np.flatnonzero(series.isna().to_numpy())[0])
            raise InputError(f"moderator '{name}' is empty in {row_label(frame, i)}; fill it in")
        levels = sorted(series.astype(str).unique())
        for level in levels[1:]:
            columns.append((series.astype(str) == level).to_numpy(dtype=float))
            labels.append(f"{name}{level}")
    return np.column_stack(columns), tuple(labels)


def pool(
    data: pd.DataFrame | str | Path,
    *,
    measure: str,
    model: str | None = None,
    method: str | None = None,
    tau2: str | None = None,
    hksj: bool = False,
    smd: str | None = None,
    prediction: str | None = None,
    by: str | None = None,
    moderator: str | Sequence[str] | None = None,
    bias: bool = False,
    leave_one_out: bool = False,
    cumulative: str | None = None,
    preset: str | None = None,
    level: float = 95.0,
    continuity_correction: float = 0.5,
    correction_applies_to: str = "zero_cells",
    drop_double_zero: bool | None = None,
    correlation: float | None = None,
) -> PoolResult:
    """Pool the studies of one table into a meta-analysis.

    ``data``: a DataFrame or CSV path with a ``study`` column and the measure's columns
    (MD/SMD: m1, sd1, n1, m2, sd2, n2; RR/OR/RD: e1, n1, e2, n2; GEN: yi with sei, vi or
    ci_low/ci_high; MC: m_pre, sd_pre, m_post, sd_post, n and r). ``None`` options take the
    preset's value, else the default: model "random", method "IV", tau2 "REML", smd
    "hedges", prediction "z". See docs/engine-contract.md for every option.
    """
    frame = _frame(data)
    r = _resolve(
        measure=measure, model=model, method=method, tau2=tau2, hksj=hksj, smd=smd,
        prediction=prediction, preset=preset, level=level,
        continuity_correction=continuity_correction, correction_applies_to=correction_applies_to,
        drop_double_zero=drop_double_zero, correlation=correlation,
    )
    if len(frame) == 0:
        raise InputError("the table has no rows; add one row per study")
    studies = _studies(frame)
    es, tables = _study_effects(frame, r)
    notes = es.notes
    if "note" in frame.columns:
        given = frame["note"].fillna("").astype(str).tolist()
        notes = tuple("; ".join(x for x in (g, n) if x) for g, n in zip(given, notes, strict=True))
    groups = None
    if by is not None:
        if by not in frame.columns:
            raise InputError(f"subgroup column '{by}' is missing; check by=")
        groups = tuple(str(g) for g in frame[by])
    design = _design(frame, moderator) if moderator is not None else None
    order = None
    if cumulative is not None:
        if cumulative not in frame.columns:
            raise InputError(f"column '{cumulative}' for the cumulative order is missing")
        order = np.argsort(frame[cumulative].to_numpy(), kind="stable").astype(np.intp)
    return analyse(
        studies, es.yi, es.vi, es.kept, notes, r.options,
        tables=tables if r.options.method == "MH" else None,
        groups=groups, design=design, small_study_tests=bias,
        leave_one_out=leave_one_out, cumulative_order=order,
    )


SCALAR_COLUMNS = (
    "k", "estimate", "se", "ci_low", "ci_high", "p", "tau2", "tau2_ci_low", "tau2_ci_high",
    "i2", "h2", "q", "q_df", "q_p", "pi_low", "pi_high",
)


def pool_many(frame: pd.DataFrame | str | Path, *, by: str, **options: Any) -> pd.DataFrame:
    """Many meta-analyses from one long table: one row per study, ``by`` names the analysis.

    Vectorised across analyses (segment sums and a batched tau² solver, no Python loop over
    analyses). Returns one row per analysis id, indexed by it, with the scalar results, the
    model used (``auto`` decides per analysis), and the solver's ``converged`` flag.
    """
    table = _frame(frame)
    unknown = set(options) - {
        "measure", "model", "method", "tau2", "hksj", "smd", "prediction", "preset", "level",
        "continuity_correction", "correction_applies_to", "drop_double_zero", "correlation",
    }
    if unknown:
        raise InputError(
            f"pool_many does not take {', '.join(sorted(unknown))}; run pool() per analysis "
            "for subgroups, moderators, bias tests and sensitivity analyses"
        )
    if by not in table.columns:
        raise InputError(f"column '{by}' (the analysis id) is missing; check by=")
    if "measure" not in options:
        raise InputError("pool_many needs measure=")
    r = _resolve(
        measure=options["measure"],
        model=options.get("model"), method=options.get("method"), tau2=options.get("tau2"),
        hksj=options.get("hksj", False), smd=options.get("smd"),
        prediction=options.get("prediction"), preset=options.get("preset"),
        level=options.get("level", 95.0),
        continuity_correction=options.get("continuity_correction", 0.5),
        correction_applies_to=options.get("correction_applies_to", "zero_cells"),
        drop_double_zero=options.get("drop_double_zero"),
        correlation=options.get("correlation"),
    )
    codes, ids = pd.factorize(table[by], sort=True)
    es, tables = _study_effects(table, r)
    keep = es.kept
    seg = codes[keep].astype(np.intp)
    n_seg = len(ids)
    present = np.bincount(seg, minlength=n_seg) > 0
    if not present.all():
        missing = [str(ids[i]) for i in np.flatnonzero(~present)[:5]]
        raise InputError(f"no estimable study in analysis {', '.join(missing)}")
    use_tables = None
    if tables is not None and r.options.method == "MH":
        use_tables = tables.take(np.flatnonzero(keep).astype(np.intp))
    result = fit_segments(es.yi[keep], es.vi[keep], seg, n_seg, r.options, use_tables)
    check_convergence(result.fit, [str(i) for i in ids], r.options.tau2_method)
    fit = result.fit
    out = pd.DataFrame(
        {name: getattr(fit, name) for name in SCALAR_COLUMNS if hasattr(fit, name)},
        index=pd.Index(ids, name=by),
    )
    out["tau2_ci_low"] = np.where(result.random, fit.tau2_ci_low, np.nan)
    out["tau2_ci_high"] = np.where(result.random, fit.tau2_ci_high, np.nan)
    out["model"] = np.where(result.random, "random", "fixed")
    out["converged"] = fit.converged
    return out[[*SCALAR_COLUMNS, "model", "converged"]]
