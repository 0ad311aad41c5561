"""results.json against its documented schema (docs/results.schema.json), its per-study
appraisals and GRADE checked against seed 000's bundle, and the tables export's counts."""

from __future__ import annotations

import copy
import csv
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openpyxl import load_workbook

from evisynth.report.labels import labels
from evisynth.review.appraisal import ROB1_DOMAINS
from evisynth.review.certainty import ALLOWED_CHANGES, LEVELS
from evisynth.review.rob2 import ANSWERS, QUESTIONS
from evisynth.services import appraisal_tables
from evisynth.services import review as review_services
from tests.services.conftest import RESULTS_SCHEMA, results_validator

BUNDLE = review_services.EXAMPLE_BUNDLE
DOC = RESULTS_SCHEMA.parent / "results-json.md"


def _bundle(name: str) -> Any:
    return yaml.safe_load((BUNDLE / name).read_text(encoding="utf-8"))


def _results(demo: review_services.ReportOutput) -> dict[str, Any]:
    assert demo.results is not None
    return json.loads(demo.results.read_text(encoding="utf-8"))


# --- the tables export: counts are integers ---------------------------------------------------

L = labels("zh")  # seed 000 is a Chinese review: its tables have Chinese headers
#: the count columns of each table (the header names the report gives them)
COUNT_COLUMNS = {
    "prisma": (L["count"],),
    "characteristics": (L["n"],),
    "vote_count": ("+", "−", "0"),
    **{f"analysis_{i}": ("n1", "n2", "e1", "e2") for i in range(1, 10)},
}


def _csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def test_tables_export_writes_counts_as_integers_and_missing_counts_as_empty(demo) -> None:
    csvs = {p.stem: p for p in demo.tables if p.suffix == ".csv"}
    book = load_workbook(next(p for p in demo.tables if p.suffix == ".xlsx"), read_only=True)
    checked = 0
    for name, columns in COUNT_COLUMNS.items():
        if name not in csvs:
            continue
        header, rows = _csv(csvs[name])
        sheet = list(book[name].iter_rows(values_only=True))
        assert [c or "" for c in sheet[0]] == header
        for j in (header.index(c) for c in columns if c in header):
            cells = [r[j] for r in rows]
            assert all(re.fullmatch(r"\d*", c) for c in cells), (name, header[j], cells)
            assert all(r[j] is None or type(r[j]) is int for r in sheet[1:]), (name, header[j])
            checked += sum(c != "" for c in cells)
    assert checked > 40
    # no table anywhere holds a NaN written out as text
    for path in csvs.values():
        assert not re.search(r"(^|,)nan(,|$)", path.read_text(encoding="utf-8-sig"), re.M), path.name


def test_prisma_table_has_the_bundles_counts_and_empty_cells_for_unreported_ones(demo) -> None:
    prisma = _bundle("review.yaml")["prisma"]
    _, rows = _csv(next(p for p in demo.tables if p.name == "prisma.csv"))
    cells = dict(rows)
    assert cells["Records identified"] == str(prisma["identified"]) == "38"
    assert cells["Duplicates removed"] == str(prisma["duplicates_removed"])
    assert cells["Studies included"] == str(prisma["included"])
    assert {k: cells[k] for k in prisma["identified_by_source"]} == {
        k: str(v) for k, v in prisma["identified_by_source"].items()}
    # seed 000 gives no count per exclusion reason: empty cells, not "nan" or 0
    assert [cells[k] for k in prisma["full_text_exclusion_reasons"]] == ["", ""]
    sheet = {r[0]: r[1] for r in load_workbook(next(p for p in demo.tables if p.suffix == ".xlsx"),
                                               read_only=True)["prisma"].iter_rows(values_only=True)}
    assert sheet["Records identified"] == 38
    assert [sheet[k] for k in prisma["full_text_exclusion_reasons"]] == [None, None]


def test_pooling_tables_hold_the_arm_sizes_of_the_bundle_as_integers(demo) -> None:
    arms = {s["id"]: [a["n"] for a in s["arms"]] for s in _bundle("studies.yaml")}
    analysis = next(a for a in _results(demo)["analyses"] if a["analysis"]["id"] == "dp_ucmgp_end")
    rows = {r["study_id"]: [r["n1"], r["n2"]] for r in analysis["table"]}
    assert rows == {s: arms[s] for s in ("kurnatowska2015", "oikonomaki2019")} == {
        "kurnatowska2015": [29, 13], "oikonomaki2019": [22, 30]}  # seed 000 Table 2
    assert all(type(n) is int for pair in rows.values() for n in pair)
    header, table = _csv(next(p for p in demo.tables if p.name == "analysis_1.csv"))
    assert [r[header.index("n1")] for r in table if r[header.index("n1")]] == ["29", "22"]


# --- results.json and its schema ------------------------------------------------------------------


def test_results_json_validates_against_the_documented_schema(demo) -> None:
    results = _results(demo)
    results_validator().validate(results)
    assert results == demo.content
    # the keys results.json had before the schema are all still there
    assert {"review", "evisynth_version", "prisma_reported", "quality", "rob2", "narrative", "analyses",
            "grade", "summary_of_findings", "checks"} <= set(results)


def _jadad(r: dict[str, Any]) -> dict[str, Any]:
    return r["studies"][0]["appraisal"]["jadad"]


def _rob1(r: dict[str, Any]) -> dict[str, Any]:
    return r["studies"][1]["appraisal"]["rob1"]


WRONG = {
    "a Jadad total as a string": lambda r: _jadad(r).update(total="5"),
    "a Jadad total above 5": lambda r: _jadad(r).update(total=6),
    "a Jadad item missing": lambda r: _jadad(r)["items"].pop("double_blind"),
    "a Jadad method that is not an answer": lambda r: _jadad(r)["items"].update(blinding_method="yes"),
    "no Jadad total beside its items": lambda r: _jadad(r).update(total=None),
    "a RoB 1 judgement that is not low/high/unclear": lambda r: _rob1(r)["domains"][
        "allocation_concealment"].update(judgement="medium"),
    "a RoB 1 domain without support": lambda r: _rob1(r)["domains"]["other_bias"].pop("support"),
    "an unknown RoB 1 domain": lambda r: _rob1(r)["domains"].update(
        blinding={"judgement": "low", "support": "x", "location": ""}),
    "no appraisal for a study": lambda r: r["studies"][2].pop("appraisal"),
    "an arm size as text": lambda r: r["studies"][0]["arms"][0].update(n="29"),
    "a GRADE level that is not one": lambda r: r["certainty"][0].update(level="very very low"),
    "a GRADE change of -3": lambda r: r["certainty"][0]["ratings"][0].update(change=-3),
    "no certainty key": lambda r: r.pop("certainty"),
    "no analyses key": lambda r: r.pop("analyses"),
    "a PRISMA count as a float": lambda r: r["prisma_reported"].update(identified=38.5),
    "a pooled estimate as text": lambda r: r["analyses"][0]["result"].update(estimate="-0.08"),
}


@pytest.mark.parametrize("mistake", list(WRONG))
def test_schema_rejects_a_wrong_document(demo, mistake: str) -> None:
    results = copy.deepcopy(_results(demo))
    validator = results_validator()
    validator.validate(results)
    WRONG[mistake](results)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(results)


def test_schema_enumerations_are_the_codes_own() -> None:
    """The schema's closed lists (domains, answers, levels) are the ones the code accepts."""
    defs = json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8"))["$defs"]
    assert defs["rob1"]["properties"]["domains"]["propertyNames"]["enum"] == list(ROB1_DOMAINS)
    assert defs["rob2_domain"]["properties"]["domain"]["enum"] == list(QUESTIONS)
    assert defs["rob2_domain"]["properties"]["answers"]["additionalProperties"]["enum"] == list(ANSWERS)
    rating = defs["certainty"]["properties"]["ratings"]["items"]["properties"]
    assert rating["domain"]["enum"] == list(ALLOWED_CHANGES)
    assert defs["certainty"]["properties"]["level"]["enum"] == list(LEVELS)


def _arms(study: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Each arm's id, size, dose, dose unit and role (absent in studies.yaml: None and "")."""
    return [(a["id"], a["n"], a.get("dose"), a.get("dose_unit", ""), a["role"]) for a in study["arms"]]


def test_study_appraisals_are_the_bundles_answers_and_seed_000s_jadad_scores(demo) -> None:
    appraisal = _bundle("appraisal.yaml")
    studies = {s["id"]: s for s in _bundle("studies.yaml")}
    got = {s["id"]: s for s in _results(demo)["studies"]}
    assert list(got) == list(studies)
    for sid, tools in appraisal.items():
        study, a = got[sid], got[sid]["appraisal"]
        assert a["jadad"]["items"] == tools["jadad"]
        # the items add up to the score Table 1 states (5, 4, 5, 3)
        assert a["jadad"]["total"] == a["jadad"]["reported"]["score"] == tools["jadad_reported"]["score"]
        assert a["jadad"]["reported"]["quote"] == tools["jadad_reported"]["quote"]
        assert a["rob1"]["domains"] == {d: {"judgement": v["judgement"], "support": v["support"],
                                            "location": v["location"]} for d, v in tools["rob1"].items()}
        key = [tools["rob1"][d]["judgement"] for d in a["rob1"]["key_domains"]]
        assert a["rob1"]["overall"] == ("high" if "high" in key else "low" if set(key) == {"low"}
                                        else "unclear")  # Handbook 8.7
        assert a["rob2"] is None
        assert (study["design"], study["country"], study["centres"], study["population"]) == (
            studies[sid]["design"], studies[sid]["country"], studies[sid]["centres"],
            studies[sid]["population"])
        assert study["characteristics"] == studies[sid]["characteristics"]
        assert _arms(study) == _arms(studies[sid])
    assert [got[s]["appraisal"]["jadad"]["total"] for s in appraisal] == [5, 4, 5, 3]  # seed 000 Table 1


def test_certainty_per_analysis_rests_on_the_bundles_arm_sizes(demo) -> None:
    results = _results(demo)
    assert [c["analysis"] for c in results["certainty"]] == [a["analysis"]["id"] for a in results["analyses"]]
    arms = {s["id"]: [a["n"] for a in s["arms"]] for s in _bundle("studies.yaml")}
    dp = next(c for c in results["certainty"] if c["analysis"] == "dp_ucmgp_end")
    assert dp["participants"] == sum(arms["kurnatowska2015"] + arms["oikonomaki2019"]) == 94
    assert dp["studies"] == 2
    for c in results["certainty"]:
        assert c["start"] == "high" and c["design"] == "randomised"
        down = sum(r["change"] for r in c["ratings"])
        assert c["level"] == LEVELS[max(0, LEVELS.index("high") + down)]
    # the Summary of Findings row shows the same level (极低: very low)
    sof = {row[0]: row[5] for row in results["summary_of_findings"]["rows"]}
    titles = {a["analysis"]["id"]: a["analysis"]["title"] for a in results["analyses"]}
    assert dp["level"] == "very low" and "极低" in sof[titles["dp_ucmgp_end"]]


def test_the_docs_example_validates_the_demos_file(demo) -> None:
    text = DOC.read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", text, re.S)
    assert example is not None
    code = (example.group(1).replace('"docs/results.schema.json"', repr(str(RESULTS_SCHEMA)))
            .replace('"out/vitk2/results.json"', repr(str(demo.results))))
    exec(compile(code, str(DOC), "exec"), {})


def test_a_study_without_appraisals_or_with_only_a_stated_jadad_score_still_meets_the_schema(demo) -> None:
    results = copy.deepcopy(_results(demo))
    results["studies"][0]["appraisal"] = appraisal_tables.study_appraisal("kurnatowska2015", {})
    results["studies"][1]["appraisal"] = appraisal_tables.study_appraisal(
        "oikonomaki2019", {"jadad_reported": {"score": 4, "location": "Table 1 (表 1)"}})
    assert results["studies"][0]["appraisal"] == {"jadad": None, "rob1": None, "rob2": None}
    assert results["studies"][1]["appraisal"]["jadad"] == {
        "items": None, "total": None, "reported": {"score": 4, "location": "Table 1 (表 1)", "quote": ""}}
    results_validator().validate(results)
