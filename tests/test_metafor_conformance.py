"""evisynth.pool reproduces metafor's numbers, case by case.

The reference values in tests/reference/metafor/*.json were written by
validation/metafor/make_reference.R (R and metafor versions are recorded in each file);
R is not needed to run this test. Each case holds the data (the contract's columns), the
keyword arguments for ``evisynth.pool`` and what metafor reports, under the names of
``PoolResult.to_dict()``. Studies, subgroups, coefficients and leave-one-out rows are
matched by name; cumulative rows by position and name.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import evisynth

REFERENCE_DIR = Path(__file__).parent / "reference" / "metafor"

# Closed forms (escalc, inverse-variance, MH and Peto pooling, DL/HE/SJ, Q, I², Egger,
# Begg, trim-and-fill with a closed-form estimator): both sides evaluate the same formulas
# in double precision, so they differ only by summation order and by the special functions
# (lgamma, normal/t/chi² tails) of R and SciPy; 1e-8 relative leaves room for that and
# still catches any formula difference. The absolute floor covers values that are zero up
# to rounding (a risk difference of 0, a truncated tau²).
CLOSED_REL = 1e-8
CLOSED_ABS = 1e-12

# Iterative answers (REML and ML by Fisher scoring, PM and the Q-profile CI of tau² by root
# finding, and everything computed from them). metafor's defaults stop at a tau² change of
# 1e-5 (Fisher scoring) and at a root interval of ~1.2e-4 (uniroot), far too loose to pin;
# the references were made with threshold = 1e-12 and tol = 1e-12 (see the README), so they
# are the roots to about 1e-12. 1e-6 relative then bounds the engine's own convergence
# error, not metafor's. The absolute floor covers a tau² truncated at zero: Fisher scoring
# approaches zero by step halving and stops within ~1e-12 of it, which also moves I² and
# the weights by about that much.
ITERATIVE_REL = 1e-6
ITERATIVE_ABS = 1e-9

# Quantities reported in percent (I², R², study weights) carry the absolute floor x 100.
PERCENT_KEYS = frozenset({"i2", "r2", "weight"})
# Always the result of a root search (uniroot on the generalised Q), whatever the model.
ROOT_KEYS = frozenset({"tau2_ci"})
# Per-study effect sizes are escalc's closed forms in every case.
EFFECT_SIZE_KEYS = frozenset({"yi", "vi"})
# Counts: compared exactly.
INTEGER_KEYS = frozenset({"k", "q_df", "df", "k0"})


def _load_cases() -> list[Any]:
    params = []
    for path in sorted(REFERENCE_DIR.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for case in document["cases"]:
            params.append(pytest.param(case, id=case["id"]))
    return params


CASES = _load_cases()


def _tolerance(kind: str, key: str) -> tuple[float, float]:
    if key in EFFECT_SIZE_KEYS:
        rel, abs_ = CLOSED_REL, CLOSED_ABS
    elif key in ROOT_KEYS or kind == "iterative":
        rel, abs_ = ITERATIVE_REL, ITERATIVE_ABS
    else:
        rel, abs_ = CLOSED_REL, CLOSED_ABS
    if key in PERCENT_KEYS:
        abs_ *= 100
    return rel, abs_


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _differences(expected: Any, actual: Any, path: str, key: str, kind: str) -> Iterator[str]:
    """Every place where ``actual`` (ours) departs from ``expected`` (metafor)."""
    if expected is None:
        if not _is_missing(actual):
            yield f"{path}: ours {actual!r}, metafor null (undefined)"
        return
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            yield f"{path}: ours {actual!r}, metafor an object"
            return
        for name, value in expected.items():
            if name not in actual:
                yield f"{path}.{name}: missing from our result (metafor {value!r})"
                continue
            yield from _differences(value, actual[name], f"{path}.{name}", name, kind)
        return
    if isinstance(expected, list):
        yield from _list_differences(expected, actual, path, key, kind)
        return
    if isinstance(expected, str):
        if actual != expected:
            yield f"{path}: ours {actual!r}, metafor {expected!r}"
        return
    if isinstance(expected, bool):
        if actual is not expected:
            yield f"{path}: ours {actual!r}, metafor {expected!r}"
        return
    if _is_missing(actual) or isinstance(actual, (str, bool)):
        yield f"{path}: ours {actual!r}, metafor {expected!r}"
        return
    if key in INTEGER_KEYS:
        if actual != expected:
            yield f"{path}: ours {actual!r}, metafor {expected!r}"
        return
    rel, abs_ = _tolerance(kind, key)
    if not math.isclose(float(actual), float(expected), rel_tol=rel, abs_tol=abs_):
        scale = max(abs(float(expected)), 1e-300)
        yield (
            f"{path}: ours {float(actual)!r}, metafor {float(expected)!r} "
            f"(relative difference {abs(float(actual) - float(expected)) / scale:.2e}, "
            f"allowed {rel:g} rel / {abs_:g} abs)"
        )


# Rows of these lists are matched by the value of their name field; cumulative rows are
# also checked for their order.
ROW_NAMES = {"studies": "study", "leave_one_out": "omitted", "cumulative": "added"}


def _list_differences(expected: list[Any], actual: Any, path: str, key: str, kind: str) -> Iterator[str]:
    if not isinstance(actual, (list, tuple)):
        yield f"{path}: ours {actual!r}, metafor a list of {len(expected)}"
        return
    name_field = ROW_NAMES.get(key)
    if name_field is None:
        if len(actual) != len(expected):
            yield f"{path}: ours {list(actual)!r}, metafor {expected!r}"
            return
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            yield from _differences(e, a, f"{path}[{i}]", key, kind)
        return
    ours = {row.get(name_field): row for row in actual if isinstance(row, dict)}
    if key == "cumulative":
        order = [row.get(name_field) for row in actual if isinstance(row, dict)]
        wanted = [row[name_field] for row in expected]
        if order != wanted:
            yield f"{path}: order ours {order}, metafor {wanted}"
    for row in expected:
        name = row[name_field]
        if name not in ours:
            yield f"{path}[{name!r}]: missing from our result"
            continue
        yield from _differences(row, ours[name], f"{path}[{name!r}]", key, kind)


@pytest.mark.parametrize("case", CASES)
def test_pool_matches_metafor(case: dict[str, Any]) -> None:
    data = pd.DataFrame(case["data"])
    result = evisynth.pool(data, **case["call"]).to_dict()
    problems = list(_differences(case["expected"], result, case["id"], "", case["kind"]))
    assert not problems, "\n".join(problems)


def test_reference_files_record_their_provenance() -> None:
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in REFERENCE_DIR.glob("*.json")]
    assert documents, f"no reference files in {REFERENCE_DIR}"
    for document in documents:
        assert document["generated_by"] == "validation/metafor/make_reference.R"
        assert set(document["versions"]) >= {"R", "metafor"}
        assert document["cases"]
