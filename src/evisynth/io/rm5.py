"""Read a RevMan 5 review (``.rm5`` XML) into immutable records, RevMan's own results included.

:func:`read_rm5` returns an :class:`Rm5Review`: the review's title and version, its studies
(id → name, year), and its comparisons with their outcomes. Each outcome carries its settings
(effect measure, method, fixed/random, totals, confidence levels), its data rows (2×2 counts,
means and SDs, or estimates and SEs) and every statistic RevMan computed and stored: per-study
effects, CIs and weights, the pooled estimate, heterogeneity (Chi², df, I², Tau²), the Z test
and the test for subgroup differences. Numbers are floats; RevMan's ``NaN`` (and empty
attributes) become ``None``; ``Infinity``/``-Infinity`` (RevMan writes ``LOG_EFFECT_SIZE=
"-Infinity"`` for an effect of 0) stay infinite floats.

:func:`outcome_frame` and :func:`pool_arguments` turn an outcome into the table and keyword
arguments that ``evisynth.pool`` takes (docs/engine-contract.md), so that RevMan's analysis
can be redone with ``preset="revman5"``.

RevMan 5 outcome kinds read: ``DICH_OUTCOME`` (dichotomous), ``CONT_OUTCOME`` (continuous)
and ``IV_OUTCOME`` (generic inverse variance). Other kinds (``IPD_OUTCOME`` for O-E and
variance data, ``OTHER_OUTCOME`` for "other data" tables, and any tag ending in ``_OUTCOME``
that RevMan may add) are listed in :attr:`Rm5Comparison.unsupported` with their name instead
of failing the import.

The bytes go to the XML parser as they are, so the encoding declared in the prolog is
honoured (RevMan 5.0–5.2 wrote ISO-8859-1; later versions UTF-8). Entity declarations are
refused: a review never has them, and they are how "billion laughs" files blow up a parser.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast
from xml.parsers import expat

import pandas as pd

from evisynth.io.errors import ImportFormatError

OutcomeKind = Literal["DICH", "CONT", "IV"]
SUPPORTED_KINDS: tuple[OutcomeKind, ...] = ("DICH", "CONT", "IV")

#: RevMan's METHOD attribute → ``evisynth.pool(method=...)``.
METHODS = {"MH": "MH", "IV": "IV", "PETO": "Peto"}
#: RevMan's EFFECT_MEASURE attribute (DICH and CONT outcomes) → ``evisynth.pool(measure=...)``.
MEASURES = {"RR": "RR", "OR": "OR", "RD": "RD", "PETO_OR": "OR", "MD": "MD", "SMD": "SMD"}
#: Measures that RevMan pools on the log scale (EFFECT_SIZE stored as the ratio).
RATIO_MEASURES = ("RR", "OR", "PETO_OR")

_FIX_EXPORT = "export the review again from RevMan 5 (File > Export > Review) or open and save it there"


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rm5Study:
    """A study of the review (STUDIES_AND_REFERENCES): RevMan's id, display name and year.

    ``year`` is RevMan's free text ("1987", "2006 Dec", or None when empty).
    """

    id: str
    name: str
    year: str | None


@dataclass(frozen=True)
class Rm5StudyResult:
    """What RevMan computed and stored for one data row.

    ``effect_size``, ``ci_start`` and ``ci_end`` are on RevMan's display scale (ratios for RR,
    OR and log-data IV outcomes); the ``log_*`` fields hold the natural logs where RevMan wrote
    them. ``se`` is the SE on the analysis scale, ``var`` its square (DICH rows only),
    ``weight`` the weight in percent, ``estimable`` False for rows RevMan left out (no events
    in either arm for RR and OR, for instance).
    """

    effect_size: float | None
    ci_start: float | None
    ci_end: float | None
    log_effect_size: float | None
    log_ci_start: float | None
    log_ci_end: float | None
    se: float | None
    var: float | None
    weight: float | None
    estimable: bool
    order: int | None


@dataclass(frozen=True)
class DichRow:
    """A dichotomous data row: events and participants in arm 1 (experimental) and arm 2."""

    study_id: str
    study_name: str
    events_1: float
    total_1: float
    events_2: float
    total_2: float
    o_e: float | None
    stored: Rm5StudyResult


@dataclass(frozen=True)
class ContRow:
    """A continuous data row: mean, SD and participants per arm."""

    study_id: str
    study_name: str
    mean_1: float
    sd_1: float
    total_1: float
    mean_2: float
    sd_2: float
    total_2: float
    stored: Rm5StudyResult


@dataclass(frozen=True)
class IvRow:
    """A generic inverse-variance row: the estimate (a log when the outcome has LOG_DATA) and its SE."""

    study_id: str
    study_name: str
    estimate: float
    se: float
    total_1: float | None
    total_2: float | None
    stored: Rm5StudyResult


Rm5DataRow = DichRow | ContRow | IvRow


@dataclass(frozen=True)
class Rm5Pooled:
    """RevMan's stored pooled statistics of an outcome or subgroup.

    ``chi2``/``df``/``p_chi2``: Cochran's Q test; ``i2`` in percent; ``tau2`` (DL);
    ``z``/``p_z``: the test of the overall effect; ``studies``: how many distinct studies.
    Effects on the display scale as in :class:`Rm5StudyResult`.
    """

    effect_size: float | None
    ci_start: float | None
    ci_end: float | None
    log_effect_size: float | None
    log_ci_start: float | None
    log_ci_end: float | None
    chi2: float | None
    df: float | None
    p_chi2: float | None
    i2: float | None
    tau2: float | None
    z: float | None
    p_z: float | None
    studies: int | None
    total_1: float | None
    total_2: float | None
    events_1: float | None
    events_2: float | None
    weight: float | None
    estimable: bool | None


@dataclass(frozen=True)
class Rm5SubgroupTest:
    """RevMan's stored test for subgroup differences: Chi² (``Q``), its p (``P_Q``), I² (``I2_Q``)."""

    q: float | None
    p: float | None
    i2: float | None


@dataclass(frozen=True)
class Rm5Subgroup:
    """A subgroup of an outcome, with its rows and RevMan's pooled statistics for it."""

    id: str
    number: int
    name: str
    rows: tuple[Rm5DataRow, ...]
    stats: Rm5Pooled


@dataclass(frozen=True)
class Rm5Outcome:
    """One analysis ("outcome") of a comparison, as RevMan set it up and computed it.

    ``effect_measure``: RevMan's code (RR, OR, RD, PETO_OR, MD, SMD) for DICH and CONT
    outcomes; for IV outcomes the label the authors typed ("Hazard Ratio", "Ratio of means"),
    with ``log_data`` saying whether the estimates are logs. ``method``: MH, IV or PETO.
    ``totals``: YES (overall and subgroup totals), SUB (subgroup totals only) or NO.
    ``ci_study``/``ci_total``: confidence levels in percent. ``rows``: every data row, those
    of the subgroups included, in file order; ``subgroups``: empty when the outcome has none.
    """

    id: str
    number: int
    name: str
    kind: OutcomeKind
    comparison_id: str
    comparison_number: int
    comparison_name: str
    effect_measure: str
    log_data: bool | None
    method: str
    random: bool
    totals: str
    has_subgroups: bool
    subgroup_test_shown: bool
    ci_study: float
    ci_total: float
    swap_events: bool
    group_label_1: str
    group_label_2: str
    graph_label_1: str
    graph_label_2: str
    rows: tuple[Rm5DataRow, ...]
    subgroups: tuple[Rm5Subgroup, ...]
    stats: Rm5Pooled
    subgroup_test: Rm5SubgroupTest

    @property
    def label(self) -> str:
        """RevMan's numbering and name: ``1.2 Stool volume``."""
        return f"{self.comparison_number}.{self.number} {self.name}"


@dataclass(frozen=True)
class Rm5UnsupportedOutcome:
    """An outcome kind this reader does not analyse (``kind`` is the tag without ``_OUTCOME``)."""

    id: str
    number: int | None
    name: str
    kind: str
    comparison_id: str
    comparison_number: int
    line: int | None

    @property
    def reason(self) -> str:
        known = {
            "IPD": "O-E and variance (individual patient data) outcomes",
            "OTHER": "'other data' outcomes (tables of text, no analysis)",
        }
        what = known.get(self.kind, f"{self.kind}_OUTCOME outcomes")
        return (f"{what} are not supported; only dichotomous, continuous and generic "
                "inverse-variance outcomes are read")


@dataclass(frozen=True)
class Rm5Comparison:
    id: str
    number: int
    name: str
    outcomes: tuple[Rm5Outcome, ...]
    unsupported: tuple[Rm5UnsupportedOutcome, ...]


@dataclass(frozen=True)
class Rm5Review:
    """A RevMan 5 review: ``version`` is RevMan's VERSION_NO of the review, ``revman_version``
    the program (REVMAN_SUB_VERSION, e.g. "5.4.1", else REVMAN_VERSION), ``encoding`` the one
    declared in the XML prolog."""

    path: Path
    title: str
    version: str | None
    revman_version: str | None
    doi: str | None
    encoding: str
    studies: dict[str, Rm5Study]
    comparisons: tuple[Rm5Comparison, ...]

    @property
    def outcomes(self) -> tuple[Rm5Outcome, ...]:
        return tuple(o for c in self.comparisons for o in c.outcomes)

    @property
    def unsupported(self) -> tuple[Rm5UnsupportedOutcome, ...]:
        return tuple(u for c in self.comparisons for u in c.unsupported)


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


class _Tree:
    """Elements built by expat, with the line each one starts on (ElementTree keeps none)."""

    def __init__(self) -> None:
        self.root: ET.Element | None = None
        self.lines: dict[int, int] = {}

    def line(self, element: ET.Element) -> int | None:
        return self.lines.get(id(element))


def _parse(path: Path, data: bytes) -> tuple[_Tree, str]:
    tree = _Tree()
    stack: list[ET.Element] = []
    text: list[str] = []
    declared = ["UTF-8"]
    parser = expat.ParserCreate()

    def flush() -> None:
        if text and stack:
            element = stack[-1]
            chunk = "".join(text)
            if len(element):
                last = element[-1]
                last.tail = (last.tail or "") + chunk
            else:
                element.text = (element.text or "") + chunk
        text.clear()

    def start(tag: str, attrs: dict[str, str]) -> None:
        flush()
        element = ET.Element(tag, attrs)
        tree.lines[id(element)] = parser.CurrentLineNumber
        if stack:
            stack[-1].append(element)
        else:
            tree.root = element
        stack.append(element)

    def end(tag: str) -> None:
        flush()
        stack.pop()

    def xml_decl(version: str, encoding: str | None, standalone: int) -> None:
        if encoding:
            declared[0] = encoding

    def entity_decl(name: str, *args: Any) -> None:
        raise ImportFormatError(
            f"{path}, line {parser.CurrentLineNumber}: the file declares an XML entity "
            f"({name!r}); RevMan never writes entity declarations, so this is not a RevMan "
            f"file as exported; {_FIX_EXPORT}"
        )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    parser.XmlDeclHandler = xml_decl
    parser.EntityDeclHandler = entity_decl
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        reason = expat.errors.messages[exc.code] if exc.code else str(exc)
        truncated = exc.code in {
            expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS],
            expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_TOKEN],
            expat.errors.codes[expat.errors.XML_ERROR_PARTIAL_CHAR],
        }
        hint = "the file ends before the XML does (truncated?)" if truncated else "the XML is damaged"
        raise ImportFormatError(
            f"{path}, line {exc.lineno}, column {exc.offset + 1}: not well-formed XML "
            f"({reason}); {hint}; {_FIX_EXPORT}"
        ) from exc
    except LookupError as exc:  # an encoding Python does not know
        raise ImportFormatError(
            f"{path}, line 1: the XML prolog declares an unknown encoding ({exc}); "
            "save the file as UTF-8 or ISO-8859-1"
        ) from exc
    return tree, declared[0]


def _decimal(value: str | None) -> float | None:
    """RevMan's decimal text as a float: NaN or empty → None, ±Infinity kept."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    x = float(value)
    return None if math.isnan(x) else x


class _Reader:
    def __init__(self, path: Path, tree: _Tree, studies: dict[str, Rm5Study]) -> None:
        self.path = path
        self.tree = tree
        self.studies = studies

    def where(self, element: ET.Element) -> str:
        line = self.tree.line(element)
        return f"{self.path}, line {line}" if line is not None else str(self.path)

    def number(self, element: ET.Element, name: str) -> float | None:
        value = element.get(name)
        try:
            return _decimal(value)
        except ValueError:
            raise ImportFormatError(
                f"{self.where(element)}: <{element.tag}> attribute {name} must be a number "
                f"(got {value!r}){self._about(element)}; correct it in RevMan and export again"
            ) from None

    def required(self, element: ET.Element, name: str) -> float:
        x = self.number(element, name)
        if x is None or not math.isfinite(x):
            raise ImportFormatError(
                f"{self.where(element)}: <{element.tag}> attribute {name} is missing or not a "
                f"finite number (got {element.get(name)!r}){self._about(element)}; "
                "fill in the value in RevMan and export again"
            )
        return x

    def integer(self, element: ET.Element, name: str) -> int | None:
        x = self.number(element, name)
        if x is None or not math.isfinite(x) or x != int(x):
            return None
        return int(x)

    def _about(self, element: ET.Element) -> str:
        study = element.get("STUDY_ID")
        if study is not None:
            return f' for study "{self.study_name(study)}"'
        if element.get("ID"):
            return f" in {element.get('ID')}"
        return ""

    def study_name(self, study_id: str) -> str:
        study = self.studies.get(study_id)
        return study.name if study is not None else study_id

    def stored(self, e: ET.Element) -> Rm5StudyResult:
        return Rm5StudyResult(
            effect_size=self.number(e, "EFFECT_SIZE"),
            ci_start=self.number(e, "CI_START"),
            ci_end=self.number(e, "CI_END"),
            log_effect_size=self.number(e, "LOG_EFFECT_SIZE"),
            log_ci_start=self.number(e, "LOG_CI_START"),
            log_ci_end=self.number(e, "LOG_CI_END"),
            se=self.number(e, "SE"),
            var=self.number(e, "VAR"),
            weight=self.number(e, "WEIGHT"),
            estimable=e.get("ESTIMABLE", "YES") != "NO",
            order=self.integer(e, "ORDER"),
        )

    def pooled(self, e: ET.Element) -> Rm5Pooled:
        estimable = e.get("ESTIMABLE")
        return Rm5Pooled(
            effect_size=self.number(e, "EFFECT_SIZE"),
            ci_start=self.number(e, "CI_START"),
            ci_end=self.number(e, "CI_END"),
            log_effect_size=self.number(e, "LOG_EFFECT_SIZE"),
            log_ci_start=self.number(e, "LOG_CI_START"),
            log_ci_end=self.number(e, "LOG_CI_END"),
            chi2=self.number(e, "CHI2"),
            df=self.number(e, "DF"),
            p_chi2=self.number(e, "P_CHI2"),
            i2=self.number(e, "I2"),
            tau2=self.number(e, "TAU2"),
            z=self.number(e, "Z"),
            p_z=self.number(e, "P_Z"),
            studies=self.integer(e, "STUDIES"),
            total_1=self.number(e, "TOTAL_1"),
            total_2=self.number(e, "TOTAL_2"),
            events_1=self.number(e, "EVENTS_1"),
            events_2=self.number(e, "EVENTS_2"),
            weight=self.number(e, "WEIGHT"),
            estimable=None if estimable is None else estimable != "NO",
        )

    def row(self, kind: OutcomeKind, e: ET.Element) -> Rm5DataRow:
        study_id = e.get("STUDY_ID")
        if not study_id:
            raise ImportFormatError(
                f"{self.where(e)}: <{e.tag}> has no STUDY_ID; every data row belongs to a "
                f"study; {_FIX_EXPORT}"
            )
        name = self.study_name(study_id)
        if kind == "DICH":
            return DichRow(
                study_id, name,
                events_1=self.required(e, "EVENTS_1"), total_1=self.required(e, "TOTAL_1"),
                events_2=self.required(e, "EVENTS_2"), total_2=self.required(e, "TOTAL_2"),
                o_e=self.number(e, "O_E"), stored=self.stored(e),
            )
        if kind == "CONT":
            return ContRow(
                study_id, name,
                mean_1=self.required(e, "MEAN_1"), sd_1=self.required(e, "SD_1"),
                total_1=self.required(e, "TOTAL_1"),
                mean_2=self.required(e, "MEAN_2"), sd_2=self.required(e, "SD_2"),
                total_2=self.required(e, "TOTAL_2"),
                stored=self.stored(e),
            )
        return IvRow(
            study_id, name,
            estimate=self.required(e, "ESTIMATE"), se=self.required(e, "SE"),
            total_1=self.number(e, "TOTAL_1"), total_2=self.number(e, "TOTAL_2"),
            stored=self.stored(e),
        )

    def outcome(self, kind: OutcomeKind, e: ET.Element, comparison: ET.Element,
                comparison_number: int) -> Rm5Outcome:
        data_tag, subgroup_tag = f"{kind}_DATA", f"{kind}_SUBGROUP"
        rows: list[Rm5DataRow] = []
        subgroups: list[Rm5Subgroup] = []
        for child in e:
            if child.tag == data_tag:
                rows.append(self.row(kind, child))
            elif child.tag == subgroup_tag:
                sub_rows = tuple(self.row(kind, r) for r in child if r.tag == data_tag)
                rows.extend(sub_rows)
                subgroups.append(Rm5Subgroup(
                    id=child.get("ID", ""),
                    number=self.integer(child, "NO") or len(subgroups) + 1,
                    name=_text(child, "NAME"),
                    rows=sub_rows,
                    stats=self.pooled(child),
                ))
        if kind == "IV":
            measure = _text(e, "EFFECT_MEASURE")
            log_data: bool | None = e.get("LOG_DATA", "NO") == "YES"
        else:
            measure = e.get("EFFECT_MEASURE", "")
            log_data = None
            if measure not in MEASURES:
                raise ImportFormatError(
                    f"{self.where(e)}: outcome {e.get('ID')} has EFFECT_MEASURE={measure!r}, "
                    f"not one of {', '.join(MEASURES)}; {_FIX_EXPORT}"
                )
        method = e.get("METHOD") or "IV"
        if method not in METHODS:
            raise ImportFormatError(
                f"{self.where(e)}: outcome {e.get('ID')} has METHOD={method!r}, not one of "
                f"{', '.join(METHODS)}; {_FIX_EXPORT}"
            )
        return Rm5Outcome(
            id=e.get("ID", ""),
            number=self.integer(e, "NO") or 0,
            name=_text(e, "NAME"),
            kind=kind,
            comparison_id=comparison.get("ID", ""),
            comparison_number=comparison_number,
            comparison_name=_text(comparison, "NAME"),
            effect_measure=measure,
            log_data=log_data,
            method=method,
            random=e.get("RANDOM", "NO") == "YES",
            totals=e.get("TOTALS", "YES"),
            has_subgroups=e.get("SUBGROUPS", "NO") == "YES",
            subgroup_test_shown=e.get("SUBGROUP_TEST", "NO") == "YES",
            ci_study=self.number(e, "CI_STUDY") or 95.0,
            ci_total=self.number(e, "CI_TOTAL") or 95.0,
            swap_events=e.get("SWAP_EVENTS", "NO") == "YES",
            group_label_1=_text(e, "GROUP_LABEL_1"),
            group_label_2=_text(e, "GROUP_LABEL_2"),
            graph_label_1=_text(e, "GRAPH_LABEL_1"),
            graph_label_2=_text(e, "GRAPH_LABEL_2"),
            rows=tuple(rows),
            subgroups=tuple(subgroups),
            stats=self.pooled(e),
            subgroup_test=Rm5SubgroupTest(
                q=self.number(e, "Q"), p=self.number(e, "P_Q"), i2=self.number(e, "I2_Q")
            ),
        )


def _text(element: ET.Element, child: str) -> str:
    found = element.find(child)
    if found is None:
        return ""
    return " ".join("".join(found.itertext()).split())


_KIND = re.compile(r"^([A-Z0-9]+)_OUTCOME$")


def read_rm5(path: str | Path) -> Rm5Review:
    """Read the RevMan 5 review at ``path``.

    Raises :class:`~evisynth.io.errors.ImportFormatError` (naming the file, the line when
    known, and the fix) for a missing file, a file that is not XML or not a RevMan 5 review,
    malformed or truncated XML, and data rows with missing or non-numeric values.
    """
    path = Path(path)
    if not path.exists():
        raise ImportFormatError(f"{path}: no such file; check the path")
    if not path.is_file():
        raise ImportFormatError(f"{path}: is a directory, not a file; give the path of a .rm5 file")
    data = path.read_bytes()
    if not data.strip():
        raise ImportFormatError(f"{path}: the file is empty; {_FIX_EXPORT}")
    if not data.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").startswith(b"<"):
        raise ImportFormatError(
            f"{path}, line 1: not an XML file (it does not start with '<'); a RevMan 5 review "
            f"is the .rm5 file RevMan saves (RevMan Web's .rm5/.json exports differ); {_FIX_EXPORT}"
        )
    tree, encoding = _parse(path, data)
    root = tree.root
    if root is None or root.tag != "COCHRANE_REVIEW":
        tag = root.tag if root is not None else "nothing"
        raise ImportFormatError(
            f"{path}, line {tree.line(root) if root is not None else 1}: not a RevMan 5 review "
            f"(the root element is <{tag}>, expected <COCHRANE_REVIEW>); {_FIX_EXPORT}"
        )

    studies: dict[str, Rm5Study] = {}
    refs = root.find("STUDIES_AND_REFERENCES")
    if refs is not None:
        for s in refs.iter("STUDY"):
            sid = s.get("ID")
            if sid:
                year = (s.get("YEAR") or "").strip() or None
                studies[sid] = Rm5Study(id=sid, name=s.get("NAME") or sid, year=year)

    reader = _Reader(path, tree, studies)
    comparisons: list[Rm5Comparison] = []
    analyses = root.find("ANALYSES_AND_DATA")
    for position, comparison in enumerate(
        analyses.iter("COMPARISON") if analyses is not None else (), start=1
    ):
        number = reader.integer(comparison, "NO") or position
        outcomes: list[Rm5Outcome] = []
        unsupported: list[Rm5UnsupportedOutcome] = []
        for child in comparison:
            match = _KIND.match(child.tag)
            if match is None:
                continue
            kind = match.group(1)
            if kind in SUPPORTED_KINDS:
                outcomes.append(reader.outcome(cast(OutcomeKind, kind), child, comparison, number))
            else:
                unsupported.append(Rm5UnsupportedOutcome(
                    id=child.get("ID", ""), number=reader.integer(child, "NO"),
                    name=_text(child, "NAME"), kind=kind,
                    comparison_id=comparison.get("ID", ""), comparison_number=number,
                    line=tree.line(child),
                ))
        comparisons.append(Rm5Comparison(
            id=comparison.get("ID", ""), number=number, name=_text(comparison, "NAME"),
            outcomes=tuple(outcomes), unsupported=tuple(unsupported),
        ))

    return Rm5Review(
        path=path,
        title=_text(root, "COVER_SHEET/TITLE"),
        version=root.get("VERSION_NO"),
        revman_version=(root.get("REVMAN_SUB_VERSION") or "").strip() or root.get("REVMAN_VERSION"),
        doi=root.get("DOI") or None,
        encoding=encoding,
        studies=studies,
        comparisons=tuple(comparisons),
    )


# --------------------------------------------------------------------------------------------
# Outcome → evisynth.pool
# --------------------------------------------------------------------------------------------


def _has_data(row: Rm5DataRow) -> bool:
    """Rows RevMan shows as "not estimable" for want of any data: an arm with no participants."""
    if isinstance(row, IvRow):
        return row.se > 0
    return row.total_1 > 0 and row.total_2 > 0


def subgroup_labels(outcome: Rm5Outcome) -> tuple[str, ...]:
    """A unique label per subgroup (its name; the number is added where two names are alike)."""
    names = [s.name or f"Subgroup {s.number}" for s in outcome.subgroups]
    return tuple(
        f"{s.number}. {n}" if names.count(n) > 1 else n
        for s, n in zip(outcome.subgroups, names, strict=True)
    )


def _row_subgroups(outcome: Rm5Outcome) -> list[str | None]:
    labels = subgroup_labels(outcome)
    where: dict[int, str] = {}
    for sub, label in zip(outcome.subgroups, labels, strict=True):
        for row in sub.rows:
            where[id(row)] = label
    return [where.get(id(row)) for row in outcome.rows]


def study_labels(outcome: Rm5Outcome) -> tuple[str, ...]:
    """A unique label per data row: the study name, qualified where a study has several rows
    (a multi-arm study split across subgroups, or entered twice with a shared control)."""
    names = [row.study_name for row in outcome.rows]
    groups = _row_subgroups(outcome)
    labels = [
        f"{n} ({g})" if names.count(n) > 1 and g is not None else n
        for n, g in zip(names, groups, strict=True)
    ]
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if labels.count(label) == 1 else f"{label} #{seen[label]}")
    return tuple(out)


def outcome_frame(outcome: Rm5Outcome) -> pd.DataFrame:
    """The table ``evisynth.pool`` takes for this outcome, one row per data row with data.

    Columns: ``study`` (see :func:`study_labels`) and, by kind, ``e1, n1, e2, n2`` (DICH),
    ``m1, sd1, n1, m2, sd2, n2`` (CONT) or ``yi, sei`` (IV), plus ``subgroup`` when the
    outcome has subgroups. Rows with no participants in an arm (or, for IV, no SE) carry no
    data and are left out, as RevMan leaves them out of every total; rows RevMan marks not
    estimable for other reasons (no events in either arm) stay in: ``pool`` drops them by
    the same rule.
    """
    labels = study_labels(outcome)
    groups = _row_subgroups(outcome)
    records: list[dict[str, Any]] = []
    for row, label, group in zip(outcome.rows, labels, groups, strict=True):
        if not _has_data(row):
            continue
        record: dict[str, Any] = {"study": label}
        if isinstance(row, DichRow):
            record.update(e1=row.events_1, n1=row.total_1, e2=row.events_2, n2=row.total_2)
        elif isinstance(row, ContRow):
            record.update(m1=row.mean_1, sd1=row.sd_1, n1=row.total_1,
                          m2=row.mean_2, sd2=row.sd_2, n2=row.total_2)
        else:
            record.update(yi=row.estimate, sei=row.se)
        if outcome.has_subgroups:
            record["subgroup"] = group
        records.append(record)
    columns = ["study", *{
        "DICH": ("e1", "n1", "e2", "n2"),
        "CONT": ("m1", "sd1", "n1", "m2", "sd2", "n2"),
        "IV": ("yi", "sei"),
    }[outcome.kind]]
    if outcome.has_subgroups:
        columns.append("subgroup")
    return pd.DataFrame.from_records(records, columns=columns)


def rows_with_data(outcome: Rm5Outcome) -> tuple[bool, ...]:
    """For each of ``outcome.rows``: whether it is a row of :func:`outcome_frame`."""
    return tuple(_has_data(row) for row in outcome.rows)


def pool_arguments(outcome: Rm5Outcome) -> dict[str, Any]:
    """Keyword arguments for ``evisynth.pool`` that redo RevMan's analysis of ``outcome``.

    ``measure`` (RR, OR, RD, MD, SMD; GEN for IV outcomes; PETO_OR → OR with method Peto),
    ``method`` (MH, IV, Peto), ``model`` (RANDOM="YES" → random, else fixed),
    ``preset="revman5"``, ``level`` (CI_TOTAL), and ``by="subgroup"`` when the outcome has
    subgroups.
    """
    measure = "GEN" if outcome.kind == "IV" else MEASURES[outcome.effect_measure]
    args: dict[str, Any] = {
        "measure": measure,
        "method": METHODS[outcome.method] if outcome.kind == "DICH" else "IV",
        "model": "random" if outcome.random else "fixed",
        "preset": "revman5",
        "level": outcome.ci_total,
    }
    if outcome.has_subgroups and outcome.subgroups:
        args["by"] = "subgroup"
    return args


def is_ratio(outcome: Rm5Outcome) -> bool:
    """Whether RevMan analyses ``outcome`` on the log scale and stores ratios in EFFECT_SIZE."""
    if outcome.kind == "IV":
        return bool(outcome.log_data)
    return outcome.effect_measure in RATIO_MEASURES
