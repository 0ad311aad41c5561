"""The checks a review passes before it is stored or read from a bundle.

Each check yields a ``Problem``: where (a path into the review, such as
``("studies", 0, "arms", 1)`` or ``("values", 12)``), the field, and a message that names
the value and the fix. The bundle reader turns the path into a file and line; the project
turns it into ids. Both refuse on the first problem, so that nothing half-checked is stored.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evisynth.review.extraction import Resolution
from evisynth.review.model import STATISTICS, ExtractedValue, Review

Where = tuple[str | int, ...]

DESIGNS = ("rct", "single_arm", "non_randomised", "observational")
LANGUAGES = ("en", "zh")
OUTCOME_KINDS = ("continuous", "binary", "count", "time_to_event", "generic")
ARM_ROLES = ("experimental", "control", "single")
TOTAL_ROLES = ("all", "experimental", "control")

# Statistics without a unit; and those that must be whole numbers or lie in a range.
UNITLESS = frozenset({"n", "events", "p", "r"})
COUNTS = frozenset({"n", "events"})
NON_NEGATIVE = frozenset({"sd", "se", "sd_change"})


@dataclass(frozen=True)
class Problem:
    where: Where
    field: str
    message: str


@dataclass(frozen=True)
class Ids:
    """The ids a value may refer to: studies (with their arms and reports) and outcomes."""

    arms: Mapping[str, Sequence[str]]
    reports: Mapping[str, Sequence[str]]
    outcomes: Sequence[str]

    @classmethod
    def of(cls, review: Review) -> Ids:
        return cls(
            arms={s.id: [a.id for a in s.arms] for s in review.studies},
            reports={s.id: [r.id for r in s.reports] for s in review.studies},
            outcomes=[o.id for o in review.outcomes],
        )


def choices(names: Iterable[str], limit: int = 12) -> str:
    names = list(names)
    if not names:
        return "none yet"
    more = f", … ({len(names)} in all)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def is_iso_date(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _one_of(field: str, value: str, allowed: Sequence[str]) -> str | None:
    if value in allowed:
        return None
    hint = f"write it in lower case: {value.lower()}" if value.lower() in allowed else (
        f"use one of: {', '.join(allowed)}")
    return f"'{field}' must be one of {', '.join(allowed)} (got {value!r}); {hint}"


def key_problems(
    study: str, arm: str, outcome: str, timepoint: str, statistic: str, ids: Ids
) -> Iterator[tuple[str, str]]:
    """(field, message) for a value's or resolution's key columns."""
    if study not in ids.arms:
        yield "study", (f"unknown study {study!r} in 'study'; use one of the review's study ids "
                        f"({choices(ids.arms)}; studies.yaml)")
    elif arm and arm not in ids.arms[study]:
        yield "arm", (f"study {study!r} has no arm {arm!r}; use one of {choices(ids.arms[study])}, "
                      "or leave 'arm' empty for a whole-study value")
    if outcome not in ids.outcomes:
        yield "outcome", (f"unknown outcome {outcome!r} in 'outcome'; use one of the review's "
                          f"outcome ids ({choices(ids.outcomes)}; outcomes.yaml)")
    if not timepoint.strip():
        yield "timepoint", "'timepoint' is empty; name the time point (e.g. baseline, 270d, change)"
    bad = _one_of("statistic", statistic, STATISTICS)
    if bad:
        yield "statistic", bad


def number_problems(statistic: str, value: float, unit: str) -> Iterator[tuple[str, str]]:
    """(field, message) for a number and its unit, given the statistic it is."""
    value = float(value)
    if not math.isfinite(value):
        yield "value", f"'value' must be a finite number (got {value!r}); write the number reported"
        return
    if statistic in COUNTS and (value < 0 or not value.is_integer()):
        yield "value", (f"'value' must be a whole number ≥ 0 for statistic {statistic!r} "
                        f"(got {value:g}); write the count reported")
    elif statistic in NON_NEGATIVE and value < 0:
        yield "value", (f"'value' must be ≥ 0 for statistic {statistic!r} (got {value:g}); "
                        "check the sign or the statistic")
    elif statistic == "p" and not 0 <= value <= 1:
        yield "value", (f"'value' must be between 0 and 1 for statistic 'p' (got {value:g}); "
                        "write p values as proportions, not percentages")
    elif statistic == "r" and not -1 <= value <= 1:
        yield "value", f"'value' must be between -1 and 1 for statistic 'r' (got {value:g})"
    if statistic in UNITLESS and unit:
        yield "unit", (f"'unit' must be empty for statistic {statistic!r} (got {unit!r}); counts, "
                       "p values and correlations have no unit")


def value_problems(v: ExtractedValue, ids: Ids) -> Iterator[tuple[str, str]]:
    """(field, message) for one extracted value against the ids of its review."""
    yield from key_problems(v.study, v.arm, v.outcome, v.timepoint, v.statistic, ids)
    yield from number_problems(v.statistic, v.value, v.unit)
    p = v.provenance
    if p.report and v.study in ids.reports and p.report not in ids.reports[v.study]:
        yield "report", (f"study {v.study!r} has no report {p.report!r}; use one of "
                         f"{choices(ids.reports[v.study])}, or leave 'report' empty when the "
                         "value is taken from the review itself")
    if not p.location.strip():
        yield "location", ("'location' is empty; say where the value is (section, table or page, "
                           "or a short name from review.yaml locations)")
    if not p.extractor.strip():
        yield "extractor", "'extractor' is empty; name who extracted the value (e.g. reviewer-a)"
    if p.extracted_at and not is_iso_date(p.extracted_at):
        yield "extracted_at", (f"'extracted_at' must be an ISO date (got {p.extracted_at!r}); "
                               "write it as YYYY-MM-DD")


def resolution_problems(r: Resolution, ids: Ids) -> Iterator[tuple[str, str]]:
    yield from key_problems(r.study, r.arm, r.outcome, r.timepoint, r.statistic, ids)
    yield from number_problems(r.statistic, r.value, r.unit)
    if not r.resolved_by.strip():
        yield "resolved_by", "'resolved_by' is empty; name who resolved the discrepancy"
    if r.resolved_at and not is_iso_date(r.resolved_at):
        yield "resolved_at", (f"'resolved_at' must be an ISO date (got {r.resolved_at!r}); "
                              "write it as YYYY-MM-DD")


def _duplicates(ids: Iterable[str]) -> Iterator[tuple[int, str]]:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            yield i, x
        seen.add(x)


def _empty_ids(ids: Iterable[str]) -> Iterator[int]:
    return (i for i, x in enumerate(ids) if not x.strip())


def _count(field: str, value: int | None) -> str | None:
    if value is not None and value < 0:
        return f"'{field}' must be ≥ 0 (got {value}); write the count reported"
    return None


def review_problems(review: Review) -> Iterator[Problem]:
    """Every rule a review breaks, in bundle order (review.yaml, studies, outcomes, values)."""
    protocol = review.protocol
    if not review.id.strip():
        yield Problem((), "id", "'id' is empty; give the review a short id (e.g. vitk2-ckd-vc)")
    bad = _one_of("language", protocol.language, LANGUAGES)
    if bad:
        yield Problem(("protocol",), "language", bad)
    criteria = [*protocol.inclusion, *protocol.exclusion]
    for i in _empty_ids(c.id for c in criteria):
        kind, j = ("inclusion", i) if i < len(protocol.inclusion) else (
            "exclusion", i - len(protocol.inclusion))
        yield Problem(("protocol", kind, j), "id", "'id' is empty; give each criterion an id (I1, E1)")
    for i, c in _duplicates(c.id for c in criteria):
        kind, j = ("inclusion", i) if i < len(protocol.inclusion) else (
            "exclusion", i - len(protocol.inclusion))
        yield Problem(("protocol", kind, j), "id",
                      f"duplicate criterion id {c!r}; ids must differ across inclusion and exclusion")
    for i, search in enumerate(protocol.searches):
        bad = _count("records", search.records)
        if bad:
            yield Problem(("protocol", "searches", i), "records", bad)
    for name in ("identified", "duplicates_removed", "screened", "excluded_title_abstract",
                 "assessed_full_text", "excluded_full_text", "included"):
        bad = _count(name, getattr(review.prisma, name))
        if bad:
            yield Problem(("prisma",), name, bad)
    for i, t in enumerate(review.reported_totals):
        for field, bad in (("role", _one_of("role", t.role, TOTAL_ROLES)),
                           ("value", _count("value", t.value))):
            if bad:
                yield Problem(("reported_totals", i), field, bad)
    for i, x in _duplicates(t.id for t in review.reported_totals):
        yield Problem(("reported_totals", i), "id", f"duplicate reported total id {x!r}; ids must differ")
    outcome_ids = [o.id for o in review.outcomes]
    study_ids = [s.id for s in review.studies]
    for i, a in enumerate(review.analyses):
        if a.outcome not in outcome_ids:
            yield Problem(("analyses", i), "outcome",
                          f"unknown outcome {a.outcome!r} in analysis {a.id!r}; use one of the "
                          f"review's outcome ids ({choices(outcome_ids)}; outcomes.yaml)")
        for sid in a.studies:
            if sid not in study_ids:
                yield Problem(("analyses", i), "studies",
                              f"unknown study {sid!r} in analysis {a.id!r}; use the review's study "
                              f"ids ({choices(study_ids)}; studies.yaml), or [] for every study")
    for i, x in _duplicates(a.id for a in review.analyses):
        yield Problem(("analyses", i), "id", f"duplicate analysis id {x!r}; ids must differ")

    for i in _empty_ids(study_ids):
        yield Problem(("studies", i), "id", "'id' is empty; give the study a short id (e.g. smith2015)")
    for i, x in _duplicates(study_ids):
        yield Problem(("studies", i), "id", f"duplicate study id {x!r}; give each study its own id")
    for i, s in enumerate(review.studies):
        bad = _one_of("design", s.design, DESIGNS)
        if bad:
            yield Problem(("studies", i), "design", bad)
        for kind in ("reports", "arms"):
            children = getattr(s, kind)
            for j in _empty_ids(c.id for c in children):
                yield Problem(("studies", i, kind, j), "id", f"'id' is empty; give each of {kind} an id")
            for j, x in _duplicates(c.id for c in children):
                yield Problem(("studies", i, kind, j), "id",
                              f"duplicate id {x!r} in {kind} of study {s.id!r}; ids must differ")
        for j, arm in enumerate(s.arms):
            finite = arm.dose is None or math.isfinite(arm.dose)
            for field, bad in (("role", _one_of("role", arm.role, ARM_ROLES)),
                               ("n", _count("n", arm.n)),
                               ("dose", None if finite else f"'dose' must be a finite number "
                                                            f"(got {arm.dose!r})")):
                if bad:
                    yield Problem(("studies", i, "arms", j), field, bad)

    for i in _empty_ids(outcome_ids):
        yield Problem(("outcomes", i), "id", "'id' is empty; give the outcome a short id")
    for i, x in _duplicates(outcome_ids):
        yield Problem(("outcomes", i), "id", f"duplicate outcome id {x!r}; give each outcome its own id")
    for i, o in enumerate(review.outcomes):
        bad = _one_of("kind", o.kind, OUTCOME_KINDS)
        if bad:
            yield Problem(("outcomes", i), "kind", bad)

    ids = Ids.of(review)
    seen: set[tuple[str, ...]] = set()
    for i, v in enumerate(review.values):
        for field, message in value_problems(v, ids):
            yield Problem(("values", i), field, message)
        key = (*v.key, v.provenance.extractor)
        if key in seen:
            yield Problem(("values", i), "extractor",
                          f"second value for {'/'.join(v.key)} by {v.provenance.extractor!r}; keep "
                          "one row per key per extractor")
        seen.add(key)


def resolutions_problems(resolutions: Sequence[Resolution], ids: Ids) -> Iterator[Problem]:
    seen: set[tuple[str, ...]] = set()
    for i, r in enumerate(resolutions):
        for field, message in resolution_problems(r, ids):
            yield Problem(("resolutions", i), field, message)
        if r.key in seen:
            yield Problem(("resolutions", i), "statistic",
                          f"second resolution for {'/'.join(r.key)}; keep one per key")
        seen.add(r.key)


def answers_problem(answers: Any) -> str | None:
    """Why ``answers`` cannot be stored as JSON, or None."""

    def bad(x: Any, path: str) -> str | None:
        if isinstance(x, dict):
            for k, v in x.items():
                if not isinstance(k, str):
                    return f"key {k!r} at {path or 'top level'} must be text; quote it"
                found = bad(v, f"{path}.{k}" if path else k)
                if found:
                    return found
            return None
        if isinstance(x, list):
            return next((b for j, v in enumerate(x) if (b := bad(v, f"{path}[{j}]"))), None)
        if isinstance(x, float) and not math.isfinite(x):
            return f"{path} must be a finite number (got {x!r})"
        if x is None or isinstance(x, (str, int, float, bool)):
            return None
        return f"{path} must be text, a number, true/false or null (got {x!r}); quote it"

    if not isinstance(answers, dict):
        return f"answers must be a mapping of item to answer (got {type(answers).__name__})"
    return bad(answers, "")


def tool_problem(tool: str) -> str | None:
    if not tool or not tool.replace("_", "").isalnum() or not tool.isascii() or tool != tool.lower():
        return (f"appraisal tool {tool!r} is not a tool name; use a lower-case name such as "
                "jadad, rob1 or rob2")
    return None


def appraisals_problems(
    appraisals: Mapping[str, Mapping[str, Any]], study_ids: Sequence[str]
) -> Iterator[Problem]:
    for study, tools in appraisals.items():
        if study not in study_ids:
            yield Problem(("appraisals", study), "",
                          f"unknown study {study!r}; use one of the review's study ids "
                          f"({choices(study_ids)}; studies.yaml)")
            continue
        for tool, answers in tools.items():
            bad = tool_problem(tool) or answers_problem(answers)
            if bad:
                yield Problem(("appraisals", study, tool), "", bad)


_SINGULAR = {"studies": "study", "arms": "arm", "reports": "report", "outcomes": "outcome",
             "analyses": "analysis", "reported_totals": "reported total"}


def describe(p: Problem, review: Review, resolutions: Sequence[Resolution] = ()) -> str:
    """The problem's message after the thing it is about, named by its ids."""
    w = p.where
    try:
        if not w:
            where = "review"
        elif w[0] == "studies":
            study = review.studies[int(w[1])]
            where = f"study {study.id!r}"
            if len(w) > 3:
                where += f" {_SINGULAR[str(w[2])]} {getattr(study, str(w[2]))[int(w[3])].id!r}"
        elif w[0] == "values":
            v = review.values[int(w[1])]
            where = f"value {'/'.join(v.key)} by {v.provenance.extractor!r}"
        elif w[0] == "resolutions":
            where = f"resolution {'/'.join(resolutions[int(w[1])].key)}"
        elif w[0] in _SINGULAR:
            where = f"{_SINGULAR[str(w[0])]} {getattr(review, str(w[0]))[int(w[1])].id!r}"
        else:
            where = " ".join(str(x) for x in w)
    except (IndexError, ValueError):
        where = " ".join(str(x) for x in w)
    return f"{where}: {p.message}"
