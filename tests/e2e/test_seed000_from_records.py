"""Seed 000's review (vitamin K2 in CKD) built from its four studies' records with the command
line only, not from the bundle (issue 13's acceptance).

The bundle (src/evisynth/examples/vitk2) is the independent path: ``evisynth demo`` imports it
whole and writes results.json. Here the same review is rebuilt as a team would from records:
a RIS file with one record per included study (first author's full name and year as the
seed's Table 1 and Table 2 print them; the seed's reference list is not in its text, so each
record's title is the study's arms and population in Table 2's words from studies.yaml) and
three records made up for the test to exclude, the Witham record found again in a second
database; ``import``, ``dedup``, two reviewers screen (``screen import-decisions``), ``study
from-records``, each study's design, arms and population, the outcomes of outcomes.yaml, the
values of values.csv entered by two extractors (one discrepancy resolved), the analyses of
review.yaml, ``report``. Every analysis must pool to the bundle's results.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import yaml

from evisynth.services.review import EXAMPLE_BUNDLE, demo
from tests.e2e.rm5_review import Cli, write_csv

#: First author (as the seed prints the name: given name first) per included study.
AUTHORS = {"kurnatowska2015": "Ilona Kurnatowska", "oikonomaki2019": "Theodora Oikonomaki",
           "witham2020": "Miles D. Witham", "mansour2017": "Anthony G. Mansour"}
#: Made up for the test: records the reviewers exclude (two at title/abstract, one at full text).
OTHERS = (("Smith, A.", "2018", "Vitamin D supplementation in children with asthma: a randomised trial"),
          ("Jones, B.", "2016", "Warfarin and arterial stiffness in atrial fibrillation: a cohort study"),
          ("Lee, C.", "2021", "Menaquinone-7 in twelve haemodialysis patients: a pilot study"))
KINDS = {"binary": "dichotomous", "continuous": "continuous"}


def _ris(entries: list[tuple[str, str, str]]) -> str:
    lines = []
    for author, year, title in entries:
        lines += ["TY  - JOUR", f"AU  - {author}", f"TI  - {title}", f"PY  - {year}", "ER  - "]
    return "\n".join(lines) + "\n"


def _same(ours: Any, theirs: Any, where: str) -> int:
    """Compare two results.json values: numbers within 1e-9 (relative), the rest equal; how
    many numbers were compared."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), where
        return sum(_same(ours[k], theirs[k], f"{where}.{k}") for k in theirs)
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), where
        return sum(_same(o, t, f"{where}[{i}]") for i, (o, t) in enumerate(zip(ours, theirs, strict=True)))
    if isinstance(theirs, float) and not isinstance(theirs, bool):
        assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12), (where, ours, theirs)
        return 1
    assert ours == theirs, (where, ours, theirs)
    return 0


def test_seed000_review_from_its_records_pools_as_the_bundle(shared_seeds: Path, tmp_path: Path) -> None:
    [seed] = shared_seeds.glob("000_*.txt")
    seed_text = seed.read_text(encoding="utf-8")
    studies = yaml.safe_load((EXAMPLE_BUNDLE / "studies.yaml").read_text(encoding="utf-8"))
    outcomes = yaml.safe_load((EXAMPLE_BUNDLE / "outcomes.yaml").read_text(encoding="utf-8"))
    bundle = yaml.safe_load((EXAMPLE_BUNDLE / "review.yaml").read_text(encoding="utf-8"))
    with (EXAMPLE_BUNDLE / "values.csv").open(encoding="utf-8", newline="") as fh:
        values = list(csv.DictReader(fh))
    entries = []
    for s in studies:
        author = AUTHORS[s["id"]]
        assert author in seed_text and f"{author.split()[-1]} [" in seed_text  # Table 1, Table 2
        given, family = author.rsplit(" ", 1)
        arms = " vs ".join(a["intervention"] for a in s["arms"])
        entries.append((f"{family}, {given}", str(s["year"]), f"{arms} ({s['population']})"))
    write_ris_text = _ris(entries + list(OTHERS))
    (tmp_path / "pubmed.ris").write_text(write_ris_text, encoding="utf-8")
    witham = next(i for i, s in enumerate(studies) if s["id"] == "witham2020")
    (tmp_path / "embase.ris").write_text(_ris([entries[witham]]), encoding="utf-8")

    project = tmp_path / "vitk2.evisynth"
    cli = Cli(project)
    p = str(project)
    cli("new", p, "--title", bundle["protocol"]["title"])
    cli("protocol", "set", p, "--question", bundle["protocol"]["question"])
    cli("import", tmp_path / "pubmed.ris", "--project", p, "--source", "PubMed")
    cli("import", tmp_path / "embase.ris", "--project", p, "--source", "Embase")
    dedup = cli("dedup", p, "--json")
    assert dedup["links_found"] == 1 and dedup["prisma"]["duplicates_removed"] == 1
    records = cli("records", "list", p, "--json")
    assert len(records) == len(entries) + len(OTHERS) + 1
    # Records are imported in file order: the studies', the made-up ones, the duplicate.
    included = [r["id"] for r in records[:len(entries)]]
    at_ta = [r["id"] for r in records[len(entries):len(entries) + 2]]
    at_ft = [records[len(entries) + 2]["id"]]
    decisions = []
    for rid in included + at_ta + at_ft:
        for reviewer in ("ana", "ben"):
            decisions.append((rid, "ta", reviewer, "exclude" if rid in at_ta else "include", ""))
    for rid in included + at_ft:
        for reviewer in ("ana", "ben"):
            decisions.append((rid, "ft", reviewer, "include" if rid in included else "exclude",
                              "" if rid in included else "E4"))
    cli("screen", "import-decisions", p,
        write_csv(tmp_path / "decisions.csv", ("record_id", "stage", "reviewer", "decision", "reason"),
                  decisions))

    made = cli("study", "from-records", p, "--json")
    assert len(made["ids"]) == len(studies)
    record_of = {s["id"]: str(rid) for s, rid in zip(studies, included, strict=True)}
    ours = {s["reports"][0]["id"]: s["id"] for s in cli("study", "list", p, "--json")}
    study_of = {bundle_id: ours[rid] for bundle_id, rid in record_of.items()}
    for s in studies:
        sid = study_of[s["id"]]
        cli("study", "set", p, sid, "--label", s["label"], "--design", s["design"],
            "--population", s["population"])
        for arm in s["arms"]:
            cli("study", "arm", "add", p, arm["id"], "--label", arm["label"], "--role", arm["role"],
                "--study", sid, "--n", arm["n"], "--intervention", arm["intervention"])
    for o in outcomes:
        direction = {True: ("--lower-is-better",), False: ("--higher-is-better",), None: ()}
        cli("outcome", "add", p, o["id"], "--name", o["name"], "--kind", KINDS[o["kind"]],
            "--unit", o["unit"], *direction[o["lower_is_better"]])

    header = ("study", "arm", "outcome", "timepoint", "statistic", "value", "unit", "report", "location",
              "quote")
    rows = [(study_of[v["study"]], v["arm"], v["outcome"], v["timepoint"], v["statistic"], v["value"],
             v["unit"], record_of[v["study"]], v["location"], v["quote"]) for v in values]
    cli("extract", p, "--extractor", "ana", "--csv", write_csv(tmp_path / "ana.csv", header, rows))
    typo = next(r for r in rows if r[2] == "mgp" and r[4] == "mean")
    wrong = [(*r[:5], str(float(r[5]) * 10), *r[6:]) if r == typo else r for r in rows]
    cli("extract", p, "--extractor", "ben", "--csv", write_csv(tmp_path / "ben.csv", header, wrong))
    comparison = cli("extraction", p, "--first", "ana", "--second", "ben", "--json")
    assert comparison["open"] == 1
    [d] = comparison["discrepancies"]
    cli("resolve", p, "--key", d["key"], "--value", typo[5], "--by", "cara")

    for a in bundle["analyses"]:
        cli("analysis", "add", p, a["id"], "--outcome", a["outcome"], "--measure", a["measure"],
            "--timepoint", a["timepoint"], "--title", a["title"], "--model", a["model"],
            "--method", a["method"], "--tau2", a["tau2"])
    results = cli("report", p, "--out", tmp_path / "report", "--json")

    shipped = demo(tmp_path / "demo").content  # the bundle imported whole
    assert [a["analysis"]["id"] for a in results["analyses"]] == \
           [a["analysis"]["id"] for a in shipped["analyses"]] == [a["id"] for a in bundle["analyses"]]
    compared = 0
    for ours_a, theirs_a in zip(results["analyses"], shipped["analyses"], strict=True):
        where = ours_a["analysis"]["id"]
        assert ours_a["not_pooled_because"] == theirs_a["not_pooled_because"], where
        assert ours_a["result"] is not None or theirs_a["result"] is None, where
        compared += _same(ours_a["result"], theirs_a["result"], where)
        assert [i["included"] for i in ours_a["inclusion"]] == [i["included"] for i in theirs_a["inclusion"]]
    assert compared > 50
    flow = results["prisma_computed"]
    assert flow["records_screened"] == len(entries) + len(OTHERS) and flow["duplicates"] == 1
    assert flow["records_excluded"] == 2 and flow["excluded_reports"] == 1 and flow["new_studies"] == 4
