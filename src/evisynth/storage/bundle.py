"""The review bundle: a whole review as a folder of YAML and CSV (docs/review-bundle.md).

``read_bundle(folder)`` reads, checks and converts a bundle to the domain model;
``write_bundle(review, folder, ...)`` writes one. Writing is deterministic (fields in the
model's order, every field written, values sorted by key, LF line ends), so reading a
bundle and writing it again gives the same bytes once it has been written by evisynth.

A bundle that cannot be read raises ``BundleError`` naming the file, the line, the field,
the value and the fix, e.g. ``values.csv line 14: 'value' must be a number (got "1,077.1");
write numbers without thousands separators``.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import difflib
import io
import math
import os
import re
import tempfile
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NoReturn, TypeVar, Union, get_args, get_origin

import yaml

from evisynth.review.extraction import Resolution
from evisynth.review.model import (
    AnalysisSpec,
    ExtractedValue,
    Outcome,
    PrismaCounts,
    Protocol,
    Provenance,
    ReportedTotal,
    Review,
    Study,
)
from evisynth.storage._rules import (
    Ids,
    Problem,
    appraisals_problems,
    describe,
    resolutions_problems,
    review_problems,
)
from evisynth.storage.errors import BundleError

Appraisals = Mapping[str, Mapping[str, Mapping[str, Any]]]

REVIEW_FILE, STUDIES_FILE, OUTCOMES_FILE = "review.yaml", "studies.yaml", "outcomes.yaml"
VALUES_FILE, RESOLUTIONS_FILE, APPRAISAL_FILE = "values.csv", "resolutions.csv", "appraisal.yaml"
REQUIRED_FILES = (REVIEW_FILE, STUDIES_FILE, OUTCOMES_FILE, VALUES_FILE)
BUNDLE_FILES = (*REQUIRED_FILES, RESOLUTIONS_FILE, APPRAISAL_FILE)

REVIEW_KEYS = ("id", "source", "protocol", "prisma", "reported_totals", "analyses", "locations")
KEY_COLUMNS = ("study", "arm", "outcome", "timepoint", "statistic")
VALUE_COLUMNS = (*KEY_COLUMNS, "value", "unit", "report", "location", "quote", "extractor",
                 "extracted_at")
RESOLUTION_COLUMNS = (*KEY_COLUMNS, "value", "unit", "resolved_by", "resolved_at", "note")
REQUIRED_COLUMNS = (*KEY_COLUMNS, "value")

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")

T = TypeVar("T")


@dataclass(frozen=True)
class Bundle:
    """What a bundle holds: the review, the arbiter's resolutions, the appraisal answers.

    ``appraisals`` maps study id → tool (``jadad``, ``rob1``, …) → that tool's answers.
    """

    review: Review
    resolutions: tuple[Resolution, ...] = ()
    appraisals: Appraisals = field(default_factory=dict)


# -- YAML: a loader that remembers lines and refuses duplicate keys; a stable dumper ----------


class _Map(dict[Any, Any]):
    """A YAML mapping that knows the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


# libyaml's parser when PyYAML was built with it: several times faster, the same data. The
# writer stays pure Python, so a bundle's bytes do not depend on how PyYAML was built.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[valid-type,misc]
    file = ""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Iterator[_Map]:
    data = _Map()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, typing.Hashable):
            _fail(loader.file, line, f"a key must be a single value (got {key!r}); quote it")
        if key in data:
            _fail(loader.file, line, f"duplicate key {key!r} (also on line {data.key_lines[key]}); "
                                     "keep one")
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # Multi-line text (a synthesis plan, a long quote) reads best as a literal block.
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_Dumper.add_representer(str, _represent_str)


def _dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=1_000_000, indent=2)


# -- errors ----------------------------------------------------------------------------------


def _fail(file: str, line: int | None, message: str) -> NoReturn:
    raise BundleError(f"{file}{f' line {line}' if line else ''}: {message}")


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return str(value)


def _number(text: str, name: str, file: str, line: int) -> float:
    if _NUMBER.fullmatch(text):
        return float(text)
    got = f"(got {_shown(text)})"
    if not text.strip():
        _fail(file, line, f"'{name}' is empty; write the number, or remove the row")
    if _NUMBER.fullmatch(text.strip()):
        fix = "remove the spaces around it"
    elif _THOUSANDS.fullmatch(text.strip()):
        fix = "write numbers without thousands separators"
    elif "," in text:
        fix = "write a decimal point, not a comma (1.5, not 1,5)"
    elif "±" in text or "+/-" in text:
        fix = "one number per row: write the mean and the sd as two rows (statistic mean, then sd)"
    elif text.strip().endswith("%"):
        fix = "write the number without '%' and put % in 'unit'"
    else:
        fix = "write a plain number such as 12.5 or 1.2e-3"
    _fail(file, line, f"'{name}' must be a number {got}; {fix}")


# -- converting YAML data to the domain model ------------------------------------------------


@dataclass(frozen=True)
class _At:
    """Where a piece of YAML came from, for messages."""

    file: str
    line: int
    what: str  # "study", "arm", "outcome", …

    def fail(self, message: str, line: int | None = None) -> NoReturn:
        _fail(self.file, line or self.line, message)


_ITEM = {"inclusion": "criterion", "exclusion": "criterion", "searches": "search", "picos": "picos",
         "reports": "report", "arms": "arm", "reported_totals": "reported total",
         "analyses": "analysis", "protocol": "protocol", "prisma": "prisma"}


def _convert(hint: Any, value: Any, name: str, at: _At, line: int) -> Any:
    """``value`` as the type ``hint`` of field ``name``; refuse what would not round-trip."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
        origin, args = get_origin(hint), get_args(hint)
    got = f"(got {_shown(value)})"
    if hint is Any:
        return _plain_json(value, name, at, line)
    if origin is Literal:
        if isinstance(value, str) and value in args:
            return value
        choices = ", ".join(args)
        lower = f"write it in lower case: {value.lower()}" if (
            isinstance(value, str) and value.lower() in args) else f"use one of: {choices}"
        at.fail(f"'{name}' must be one of {choices} {got}; {lower}", line)
    if hint is str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        at.fail(f"'{name}' must be text {got}; quote it: {name}: \"{value}\"", line)
    if hint is bool:
        if isinstance(value, bool):
            return value
        at.fail(f"'{name}' must be true or false {got}", line)
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        at.fail(f"'{name}' must be a whole number {got}; write the count as digits", line)
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        at.fail(f"'{name}' must be a number {got}; write a plain number, the unit in its own field",
                line)
    if origin is tuple:
        if value is None:
            return ()
        if not isinstance(value, list):
            at.fail(f"'{name}' must be a list {got}; write one '- item' per line, or []", line)
        return tuple(_convert(args[0], v, name, at, getattr(v, "line", line)) for v in value)
    if origin is dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            at.fail(f"'{name}' must be a mapping of name: value {got}, or {{}}", line)
        return {
            _convert(args[0], k, f"{name} key", at, _line(value, k, line)):
            _convert(args[1], v, f"{name}: {k}", at, _line(value, k, line))
            for k, v in value.items()
        }
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _structure(hint, value, _At(at.file, getattr(value, "line", line), _ITEM.get(name, name)))
    raise TypeError(f"no bundle conversion for {hint!r}")  # a model type this reader lacks


def _line(data: Any, key: Any, default: int) -> int:
    return data.line_of(key) if isinstance(data, _Map) else default


def _plain_json(value: Any, name: str, at: _At, line: int) -> Any:
    """Appraisal answers: text, numbers, true/false, null, lists and mappings of them."""
    if isinstance(value, dict):
        return {
            _convert(str, k, f"{name} key", at, _line(value, k, line)):
            _plain_json(v, f"{name}.{k}", at, _line(value, k, line))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_plain_json(v, name, at, getattr(v, "line", line)) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        at.fail(f"'{name}' must be a finite number {_shown(value)}", line)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    at.fail(f"'{name}' must be text, a number, true/false or null (got {value!r}); quote it", line)


def _structure(cls: type[T], data: Any, at: _At) -> T:
    """A ``cls`` from a YAML mapping: every field known, required fields present, types right."""
    if not isinstance(data, dict):
        at.fail(f"{at.what} must be a mapping of field: value (got {_shown(data)})")
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = [f.name for f in fields]
    for key in data:
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"the fields are {', '.join(names)}"
            at.fail(f"unknown field {key!r} in {at.what}; {hint}", _line(data, key, at.line))
    out = {}
    for f in fields:
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                at.fail(f"'{f.name}' is missing in {at.what}; add {f.name}: …")
            continue
        out[f.name] = _convert(hints[f.name], data[f.name], f.name, at, _line(data, f.name, at.line))
    return cls(**out)


# -- reading ---------------------------------------------------------------------------------


def _read_text(folder: Path, name: str) -> str:
    try:
        return (folder / name).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _fail(name, None, f"is not UTF-8 text (byte {exc.start}); save it as UTF-8")


def _load_yaml(folder: Path, name: str) -> Any:
    text = _read_text(folder, name)
    loader = _Loader(text)
    loader.file = name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        _fail(name, mark.line + 1 if mark else None,
              f"not valid YAML ({exc.problem or exc.context}); check the indentation, and quote "
              "text that contains ': ' or starts with a special character")
    except yaml.YAMLError as exc:
        _fail(name, None, f"not valid YAML ({exc}); check the file")
    finally:
        loader.dispose()


def _list_doc(data: Any, name: str, what: str) -> list[Any]:
    if data is None:
        return []
    if not isinstance(data, list):
        _fail(name, getattr(data, "line", 1), f"must be a list of {what}, one '- id: …' per {what[:-1]}")
    return data


def _read_csv(folder: Path, name: str, columns: Sequence[str]
              ) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) for each row; the header must name known columns, the required ones all."""
    rows = csv.reader(io.StringIO(_read_text(folder, name), newline=""))
    try:
        header = next(rows, None)
        if header is None:
            _fail(name, 1, f"is empty; write the header {','.join(columns)}")
        for column in header:
            if column not in columns:
                close = difflib.get_close_matches(column, columns, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"the columns are {', '.join(columns)}"
                _fail(name, 1, f"unknown column {column!r}; {hint}")
            if header.count(column) > 1:
                _fail(name, 1, f"column {column!r} appears twice; keep one")
        for column in REQUIRED_COLUMNS:
            if column not in header:
                _fail(name, 1, f"column {column!r} is missing; the header needs {', '.join(columns)}")
        last = rows.line_num
        for row in rows:
            line, last = last + 1, rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                _fail(name, line, f"has {len(row)} fields but the header has {len(header)}; quote "
                                  "text that contains commas")
            cells = dict(zip(header, row, strict=True))
            yield line, {c: cells.get(c, "") for c in columns}
    except csv.Error as exc:
        _fail(name, rows.line_num, f"not valid CSV ({exc}); check the quotes")


def _values(folder: Path) -> tuple[list[ExtractedValue], list[int]]:
    values: list[ExtractedValue] = []
    lines: list[int] = []
    for line, row in _read_csv(folder, VALUES_FILE, VALUE_COLUMNS):
        values.append(ExtractedValue(
            study=row["study"], arm=row["arm"], outcome=row["outcome"], timepoint=row["timepoint"],
            statistic=row["statistic"], value=_number(row["value"], "value", VALUES_FILE, line),
            unit=row["unit"],
            provenance=Provenance(report=row["report"], location=row["location"], quote=row["quote"],
                                  extractor=row["extractor"], extracted_at=row["extracted_at"]),
        ))
        lines.append(line)
    return values, lines


def _resolutions(folder: Path) -> tuple[list[Resolution], list[int]]:
    resolutions: list[Resolution] = []
    lines: list[int] = []
    if not (folder / RESOLUTIONS_FILE).exists():
        return resolutions, lines
    for line, row in _read_csv(folder, RESOLUTIONS_FILE, RESOLUTION_COLUMNS):
        resolutions.append(Resolution(
            study=row["study"], arm=row["arm"], outcome=row["outcome"], timepoint=row["timepoint"],
            statistic=row["statistic"], value=_number(row["value"], "value", RESOLUTIONS_FILE, line),
            unit=row["unit"], resolved_by=row["resolved_by"], resolved_at=row["resolved_at"],
            note=row["note"],
        ))
        lines.append(line)
    return resolutions, lines


def _appraisals(folder: Path) -> tuple[dict[str, dict[str, dict[str, Any]]], Any]:
    if not (folder / APPRAISAL_FILE).exists():
        return {}, None
    data = _load_yaml(folder, APPRAISAL_FILE)
    if data is None:
        return {}, None
    at = _At(APPRAISAL_FILE, getattr(data, "line", 1), "appraisal.yaml")
    if not isinstance(data, dict):
        at.fail("must map each study id to its tools' answers (kurnatowska2015: {jadad: {…}})")
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for study, tools in data.items():
        line = _line(data, study, at.line)
        if not isinstance(tools, dict):
            at.fail(f"study {study!r} must map each tool (jadad, rob1, …) to its answers "
                    f"(got {_shown(tools)})", line)
        out[str(study)] = {}
        for tool, answers in tools.items():
            tool_line = _line(tools, tool, line)
            if not isinstance(answers, dict):
                at.fail(f"answers of {tool!r} for study {study!r} must be a mapping of item: answer "
                        f"(got {_shown(answers)})", tool_line)
            out[str(study)][str(tool)] = _plain_json(answers, str(tool), at, tool_line)
    return out, data


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise BundleError(f"{folder}: not a folder; give the bundle folder (the one holding "
                          f"{', '.join(REQUIRED_FILES)})")
    for name in REQUIRED_FILES:
        if not (folder / name).is_file():
            raise BundleError(f"{name}: file not found in {folder}; a bundle has "
                              f"{', '.join(REQUIRED_FILES)} (and optionally {RESOLUTIONS_FILE}, "
                              f"{APPRAISAL_FILE}); see docs/review-bundle.md")
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".yml", ".csv") and path.name not in BUNDLE_FILES:
            close = difflib.get_close_matches(path.name, BUNDLE_FILES, n=1)
            hint = f"did you mean {close[0]}?" if close else (
                f"a bundle holds only {', '.join(BUNDLE_FILES)}; move it elsewhere")
            raise BundleError(f"{path.name}: not a bundle file; {hint}")


def read_bundle(folder: str | os.PathLike[str]) -> Bundle:
    """Read and check the bundle in ``folder``: the review, its resolutions and appraisals.

    Values and resolutions come back sorted by key (and extractor); everything else in the
    order of the files. Raises ``BundleError`` on the first problem found.
    """
    folder = Path(folder)
    _check_folder(folder)
    root = _load_yaml(folder, REVIEW_FILE)
    at = _At(REVIEW_FILE, getattr(root, "line", 1), "review.yaml")
    if not isinstance(root, dict):
        at.fail(f"must be a mapping with {', '.join(REVIEW_KEYS)}")
    for key in root:
        if key not in REVIEW_KEYS:
            close = difflib.get_close_matches(str(key), REVIEW_KEYS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"the keys are {', '.join(REVIEW_KEYS)}"
            at.fail(f"unknown key {key!r}; {hint}", _line(root, key, at.line))
    for key in ("id", "protocol"):
        if key not in root:
            at.fail(f"'{key}' is missing; add {key}: …")

    def part(name: str, hint: Any, default: Any) -> Any:
        return _convert(hint, root[name], name, at, _line(root, name, at.line)) if name in root else default

    studies_doc = _list_doc(_load_yaml(folder, STUDIES_FILE), STUDIES_FILE, "studies")
    outcomes_doc = _list_doc(_load_yaml(folder, OUTCOMES_FILE), OUTCOMES_FILE, "outcomes")
    protocol = part("protocol", Protocol, None)
    prisma = part("prisma", PrismaCounts, PrismaCounts())
    studies = tuple(_structure(Study, s, _At(STUDIES_FILE, getattr(s, "line", 1), "study"))
                    for s in studies_doc)
    outcomes = tuple(_structure(Outcome, o, _At(OUTCOMES_FILE, getattr(o, "line", 1), "outcome"))
                     for o in outcomes_doc)
    values, value_lines = _values(folder)
    review = Review(
        id=part("id", str, ""), source=part("source", str, ""), protocol=protocol,
        studies=studies, outcomes=outcomes, values=tuple(values), prisma=prisma,
        reported_totals=part("reported_totals", tuple[ReportedTotal, ...], ()),
        analyses=part("analyses", tuple[AnalysisSpec, ...], ()),
        locations=part("locations", dict[str, str], {}),
    )
    docs: dict[str, Any] = {REVIEW_FILE: root, STUDIES_FILE: studies_doc, OUTCOMES_FILE: outcomes_doc}
    lines = {VALUES_FILE: value_lines}
    _refuse_first(review_problems(review), docs, lines)
    resolutions, resolution_lines = _resolutions(folder)
    lines[RESOLUTIONS_FILE] = resolution_lines
    _refuse_first(resolutions_problems(resolutions, Ids.of(review)), docs, lines)
    appraisals, appraisal_doc = _appraisals(folder)
    docs[APPRAISAL_FILE] = appraisal_doc
    _refuse_first(appraisals_problems(appraisals, [s.id for s in review.studies]), docs, lines)
    return Bundle(
        review=dataclasses.replace(review, values=tuple(sorted(values, key=_value_order))),
        resolutions=tuple(sorted(resolutions, key=lambda r: r.key)),
        appraisals=appraisals,
    )


_FILE_OF = {"protocol": REVIEW_FILE, "prisma": REVIEW_FILE, "reported_totals": REVIEW_FILE,
            "analyses": REVIEW_FILE, "locations": REVIEW_FILE, "studies": STUDIES_FILE,
            "outcomes": OUTCOMES_FILE, "values": VALUES_FILE, "resolutions": RESOLUTIONS_FILE,
            "appraisals": APPRAISAL_FILE}


def _refuse_first(problems: Iterator[Problem], docs: Mapping[str, Any],
                  lines: Mapping[str, Sequence[int]]) -> None:
    """Raise for the first problem, located by file and line."""
    problem = next(problems, None)
    if problem is None:
        return
    where = problem.where
    file = _FILE_OF.get(str(where[0]), REVIEW_FILE) if where else REVIEW_FILE
    if file in lines:
        _fail(file, lines[file][int(where[1])], problem.message)
    node: Any = docs.get(file)
    path = where[1:] if file in (STUDIES_FILE, OUTCOMES_FILE, APPRAISAL_FILE) else where
    line = getattr(node, "line", None)
    for step in path:
        if isinstance(node, _Map):
            line = node.line_of(step)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(step, int):
            line = getattr(node, "line", line)
    if isinstance(node, _Map) and problem.field:
        line = node.line_of(problem.field)
    _fail(file, line, problem.message)


# -- writing ---------------------------------------------------------------------------------


def _value_order(v: ExtractedValue) -> tuple[str, ...]:
    return (*v.key, v.provenance.extractor)


def format_number(value: float) -> str:
    """A float as the shortest text that reads back as the same float (integers without .0)."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e16:
        return f"{value:.0f}"
    return repr(value)


def _csv(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one step, so a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def bundle_texts(review: Review, *, resolutions: Sequence[Resolution] = (),
                 appraisals: Appraisals | None = None) -> dict[str, str]:
    """The bundle's files as text, by file name (optional files only when they have content)."""
    _refuse_unwritable(review, resolutions, appraisals or {})
    head = {"id": review.id, "source": review.source, "protocol": review.protocol.to_dict(),
            "prisma": review.prisma.to_dict(),
            "reported_totals": [t.to_dict() for t in review.reported_totals],
            "analyses": [a.to_dict() for a in review.analyses], "locations": dict(review.locations)}
    texts = {
        REVIEW_FILE: _dump_yaml(head),
        STUDIES_FILE: _dump_yaml([s.to_dict() for s in review.studies]),
        OUTCOMES_FILE: _dump_yaml([o.to_dict() for o in review.outcomes]),
        VALUES_FILE: _csv(VALUE_COLUMNS, [
            (*v.key, format_number(v.value), v.unit, v.provenance.report, v.provenance.location,
             v.provenance.quote, v.provenance.extractor, v.provenance.extracted_at)
            for v in sorted(review.values, key=_value_order)
        ]),
    }
    if resolutions:
        texts[RESOLUTIONS_FILE] = _csv(RESOLUTION_COLUMNS, [
            (*r.key, format_number(r.value), r.unit, r.resolved_by, r.resolved_at, r.note)
            for r in sorted(resolutions, key=lambda r: r.key)
        ])
    if appraisals:
        order = {s.id: i for i, s in enumerate(review.studies)}
        texts[APPRAISAL_FILE] = _dump_yaml({
            study: {tool: _plain_out(appraisals[study][tool]) for tool in sorted(appraisals[study])}
            for study in sorted(appraisals, key=lambda s: order[s])
        })
    return texts


def _plain_out(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain_out(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_out(v) for v in value]
    return value


def _refuse_unwritable(review: Review, resolutions: Sequence[Resolution],
                       appraisals: Appraisals) -> None:
    checks: tuple[Callable[[], Iterator[Problem]], ...] = (
        lambda: review_problems(review),
        lambda: resolutions_problems(resolutions, Ids.of(review)),
        lambda: appraisals_problems(appraisals, [s.id for s in review.studies]),
    )
    for check in checks:
        problem = next(check(), None)
        if problem is not None:
            raise BundleError(f"cannot write the bundle: {describe(problem, review, resolutions)}")


def write_bundle(review: Review, folder: str | os.PathLike[str], *,
                 resolutions: Sequence[Resolution] = (), appraisals: Appraisals | None = None) -> None:
    """Write ``review`` (with its resolutions and appraisals) as a bundle in ``folder``.

    The folder is created if needed; each file is replaced in one step. ``resolutions.csv``
    and ``appraisal.yaml`` are written when there is something to put in them and removed
    otherwise; other files in the folder (a README, .git) are left alone.
    """
    texts = bundle_texts(review, resolutions=resolutions, appraisals=appraisals)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in BUNDLE_FILES:
        if name in texts:
            _write_atomically(folder / name, texts[name])
        else:
            (folder / name).unlink(missing_ok=True)
