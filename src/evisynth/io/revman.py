"""Read RevMan 5 review files (``.rm5``): comparisons, outcomes, subgroups, data, stored results.

A ``.rm5`` file is XML (UTF-8 or ISO-8859-1 as its prolog declares). Outcomes live under
``ANALYSES_AND_DATA/COMPARISON`` as ``DICH_OUTCOME`` (2×2 tables), ``CONT_OUTCOME`` (means and
SDs) or ``IV_OUTCOME`` (generic inverse variance: estimate and SE); each may hold
``*_SUBGROUP`` elements with their own data. RevMan writes its computed results as attributes
(EFFECT_SIZE, CI_START, CI_END, CHI2, DF, I2, TAU2, Z, P_Z; Q, I2_Q, P_Q for the test for
subgroup differences); ratios are stored on their natural scale.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evisynth.io.errors import ImportFormatError

KINDS = {"DICH_OUTCOME": "DICH", "CONT_OUTCOME": "CONT", "IV_OUTCOME": "IV"}
#: Outcome kinds RevMan knows that evisynth does not re-analyse (yet).
UNSUPPORTED_KINDS = ("O_E_OUTCOME", "OTHER_OUTCOME")
STATS = {
    "effect": "EFFECT_SIZE", "ci_low": "CI_START", "ci_high": "CI_END", "chi2": "CHI2",
    "df": "DF", "p_chi2": "P_CHI2", "i2": "I2", "tau2": "TAU2", "z": "Z", "p_z": "P_Z",
    "q": "Q", "i2_q": "I2_Q", "p_q": "P_Q", "weight": "WEIGHT",
}


def _float(text: str | None) -> float | None:
    if text is None or text == "" or text == "NaN":
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class StoredStats:
    """RevMan's own results for an outcome or subgroup (None where it stored none)."""

    estimable: bool
    effect: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    chi2: float | None = None
    df: float | None = None
    p_chi2: float | None = None
    i2: float | None = None
    tau2: float | None = None
    z: float | None = None
    p_z: float | None = None
    q: float | None = None
    i2_q: float | None = None
    p_q: float | None = None
    weight: float | None = None

    @classmethod
    def from_attributes(cls, a: dict[str, str]) -> StoredStats:
        return cls(estimable=a.get("ESTIMABLE", "YES") == "YES",
                   **{name: _float(a.get(attr)) for name, attr in STATS.items()})


@dataclass(frozen=True)
class DataRow:
    """One study's data in an outcome, with RevMan's stored per-study result."""

    study_id: str
    study: str
    subgroup: str
    subgroup_id: str
    values: dict[str, float]
    stored: StoredStats
    stored_se: float | None


@dataclass(frozen=True)
class Subgroup:
    id: str
    name: str
    stats: StoredStats


@dataclass(frozen=True)
class Outcome:
    """One RevMan analysis (an outcome of a comparison)."""

    id: str
    comparison: str
    name: str
    kind: str  # DICH, CONT or IV
    measure: str  # RR, OR, RD, PETO_OR, MD, SMD, or the IV measure's text
    method: str  # MH, IV or PETO
    random: bool
    totals: str  # YES, NO or SUB
    has_subgroups: bool
    subgroup_test: bool
    log_data: bool
    level: float
    stats: StoredStats
    subgroups: tuple[Subgroup, ...]
    rows: tuple[DataRow, ...]
    group_labels: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class Rm5Review:
    path: Path
    title: str
    revman_version: str
    studies: dict[str, str]
    outcomes: tuple[Outcome, ...]
    unsupported: tuple[str, ...] = field(default_factory=tuple)


def _rows(
    element: ET.Element, kind: str, studies: dict[str, str], subgroup: str, subgroup_id: str
) -> list[DataRow]:
    rows = []
    for data in element.findall(f"{kind}_DATA"):
        a = data.attrib
        if kind == "DICH":
            keys = {"e1": "EVENTS_1", "n1": "TOTAL_1", "e2": "EVENTS_2", "n2": "TOTAL_2"}
        elif kind == "CONT":
            keys = {"m1": "MEAN_1", "sd1": "SD_1", "n1": "TOTAL_1", "m2": "MEAN_2", "sd2": "SD_2",
                    "n2": "TOTAL_2"}
        else:
            keys = {"yi": "ESTIMATE", "sei": "SE", "n1": "TOTAL_1", "n2": "TOTAL_2"}
        values = {k: v for k, attr in keys.items() if (v := _float(a.get(attr))) is not None}
        study_id = a.get("STUDY_ID", "")
        rows.append(DataRow(study_id, studies.get(study_id, study_id), subgroup, subgroup_id, values,
                            StoredStats.from_attributes(a), _float(a.get("SE"))))
    return rows


def _outcome(element: ET.Element, comparison: str, studies: dict[str, str]) -> Outcome:
    kind = KINDS[element.tag]
    a = element.attrib
    measure = a.get("EFFECT_MEASURE") or (element.findtext("EFFECT_MEASURE") or "").strip()
    rows = _rows(element, kind, studies, "", "")
    subgroups = []
    for sub in element.findall(f"{kind}_SUBGROUP"):
        name = (sub.findtext("NAME") or sub.attrib.get("ID", "")).strip()
        subgroups.append(Subgroup(sub.attrib.get("ID", ""), name,
                                  StoredStats.from_attributes(sub.attrib)))
        rows += _rows(sub, kind, studies, name, sub.attrib.get("ID", ""))
    return Outcome(
        id=a.get("ID", ""),
        comparison=comparison,
        name=(element.findtext("NAME") or "").strip(),
        kind=kind,
        measure=measure,
        method=a.get("METHOD", "IV"),
        random=a.get("RANDOM") == "YES",
        totals=a.get("TOTALS", "YES"),
        has_subgroups=a.get("SUBGROUPS") == "YES",
        subgroup_test=a.get("SUBGROUP_TEST", "YES") == "YES",
        log_data=a.get("LOG_DATA") == "YES",
        level=_float(a.get("CI_TOTAL")) or 95.0,
        stats=StoredStats.from_attributes(a),
        subgroups=tuple(subgroups),
        rows=tuple(rows),
        group_labels=((element.findtext("GROUP_LABEL_1") or "").strip(),
                      (element.findtext("GROUP_LABEL_2") or "").strip()),
    )


def read_rm5(path: str | Path) -> Rm5Review:
    """Parse a RevMan 5 file. Raises ImportFormatError naming the file, line and fix."""
    path = Path(path)
    if not path.is_file():
        raise ImportFormatError(f"{path}: no such file; check the path")
    try:
        root = ET.fromstring(path.read_bytes())  # bytes: the XML prolog's encoding is honoured
    except ET.ParseError as exc:
        line = exc.position[0]
        raise ImportFormatError(
            f"{path}, line {line}: not well-formed XML ({exc}); re-export the review from RevMan"
        ) from exc
    if root.tag != "COCHRANE_REVIEW":
        raise ImportFormatError(
            f"{path}: the root element is <{root.tag}>, not <COCHRANE_REVIEW>; "
            "this is not a RevMan 5 review file"
        )
    studies = {s.attrib["ID"]: s.attrib.get("NAME", s.attrib["ID"])
               for s in root.iter("STUDY") if "ID" in s.attrib}
    outcomes: list[Outcome] = []
    unsupported: list[str] = []
    for comparison in root.iter("COMPARISON"):
        cname = (comparison.findtext("NAME") or "").strip()
        for child in comparison:
            if child.tag in KINDS:
                outcomes.append(_outcome(child, cname, studies))
            elif child.tag.endswith("_OUTCOME"):
                unsupported.append(f"{child.attrib.get('ID', '?')} ({child.tag})")
    return Rm5Review(
        path=path,
        title=(root.findtext("COVER_SHEET/TITLE") or "").strip(),
        revman_version=root.attrib.get("REVMAN_SUB_VERSION") or root.attrib.get("REVMAN_VERSION", ""),
        studies=studies,
        outcomes=tuple(outcomes),
        unsupported=tuple(unsupported),
    )


def pool_arguments(
    outcome: Outcome,
) -> tuple[list[dict[str, Any]], dict[str, Any], list[DataRow]]:
    """The rows (for ``evisynth.pool``), keyword arguments that re-run ``outcome`` as RevMan 5,
    and the data rows they came from.

    Rows RevMan could not use (no participants, an SD of 0) are left out, as RevMan leaves them
    out of its totals. A study entered twice (in two subgroups, or as two comparisons of a
    multi-arm trial) gets its subgroup, then a number, added to its label.
    """
    rows: list[dict[str, Any]] = []
    used: list[DataRow] = []
    labels: set[str] = set()
    for r in outcome.rows:
        v = r.values
        if outcome.kind == "DICH":
            usable = {"e1", "n1", "e2", "n2"} <= v.keys() and v["n1"] > 0 and v["n2"] > 0
        elif outcome.kind == "CONT":
            usable = ({"m1", "sd1", "n1", "m2", "sd2", "n2"} <= v.keys() and v["n1"] > 0
                      and v["n2"] > 0 and v["sd1"] > 0 and v["sd2"] > 0)
        else:
            usable = {"yi", "sei"} <= v.keys() and v["sei"] > 0
        if usable:
            label = r.study
            if label in labels and r.subgroup:
                label = f"{r.study} ({r.subgroup})"
            n = 2
            while label in labels:
                label, n = f"{r.study} [{n}]", n + 1
            labels.add(label)
            rows.append({"study": label, "subgroup": r.subgroup_id, **v})
            used.append(r)
    if outcome.kind == "DICH":
        measure = "OR" if outcome.measure == "PETO_OR" else outcome.measure
        method = {"MH": "MH", "PETO": "Peto"}.get(outcome.method, "IV")
    elif outcome.kind == "CONT":
        measure, method = outcome.measure, "IV"
    else:
        measure, method = "GEN", "IV"
    kwargs: dict[str, Any] = {
        "measure": measure, "method": method, "preset": "revman5",
        "model": "random" if outcome.random else "fixed", "level": outcome.level,
    }
    return rows, kwargs, used


def log_scale(outcome: Outcome) -> bool:
    """Whether RevMan analysed this outcome on the log scale (its stored effects are exp'd)."""
    if outcome.kind == "DICH":
        return outcome.measure in ("RR", "OR", "PETO_OR")
    return outcome.kind == "IV" and outcome.log_data
