"""One review from the first record to the report, with the command line only (issue 13).

The Cochrane review "Antibiotics for sore throat" (RevMan 5 file in ../shared/data/rm5) is
rebuilt as a user would: its included and excluded studies' references are written as a RIS
file; ``evisynth new``, ``protocol set``, ``import``, ``dedup``; two reviewers screen titles
and abstracts and full texts (``screen import-decisions``; one conflict settled by an
arbiter); ``study from-records`` makes the studies and ``study join`` makes the two reports of
Little 1997 one study; arms, outcomes and a subgroup characteristic are set; two extractors
enter the 2×2 counts of four analyses from the file's data (one discrepancy, resolved);
``analysis add --preset revman5`` plans them and ``evisynth report`` runs them. Every pooled
statistic RevMan stored (effect, CI, Z, P, Chi², df, P(Chi²), I², Tau², per subgroup and the
test for subgroup differences) must come back within the tolerances of the RevMan
conformance test, and the report's PRISMA counts must follow from the decisions.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from evisynth.io.rm5 import ContRow, DichRow, IvRow, Rm5Outcome, is_ratio, read_rm5
from tests.e2e.rm5_review import (
    ANALYSES,
    RM5_NAME,
    Cli,
    blinding_of,
    close,
    references,
    same_as_revman,
    same_pooled,
    write_csv,
    write_ris,
)

#: Excluded studies whose references the reviewers already exclude at title/abstract.
EXCLUDED_AT_TA = 5


def test_review_from_records_to_report_matches_revman(shared_data: Path, tmp_path: Path) -> None:
    rm5_path = shared_data / "rm5" / RM5_NAME
    if not rm5_path.is_file():
        pytest.skip(f"{rm5_path} not found")
    started = time.perf_counter()
    revman = read_rm5(rm5_path)
    outcomes: dict[str, Rm5Outcome] = {o.id: o for o in revman.outcomes}
    refs = references(rm5_path)
    ris = tmp_path / "sore-throat.ris"
    write_ris(refs, ris)
    project = tmp_path / "sore-throat.evisynth"
    cli = Cli(project)
    p = str(project)

    # -- protocol and records -----------------------------------------------------------------
    cli("new", p, "--title", "Antibiotics for sore throat")
    cli("protocol", "set", p, "--question", "Do antibiotics relieve sore throat and prevent its "
        "complications?", "--population", "Children and adults with sore throat",
        "--intervention", "Antibiotics", "--comparator", "Placebo or no treatment",
        "--study-design", "Randomised or quasi-randomised controlled trials",
        "--inclusion", "Randomised controlled trial of antibiotics for sore throat",
        "--exclusion", "Not randomised")
    cli("import", ris, "--project", p, "--source", "CENTRAL")
    # The first included trial found again in a second database: dedup links it.
    again = tmp_path / "medline.ris"
    write_ris(refs[:1], again)
    cli("import", again, "--project", p, "--source", "MEDLINE")
    records = cli("records", "list", p, "--json")
    assert len(records) == len(refs) + 1
    dedup = cli("dedup", p, "--json")
    assert dedup["links_found"] == 1 and dedup["prisma"]["duplicates_removed"] == 1
    # Records are imported in file order: record i is reference i; the last is the duplicate.
    removed = {records[-1]["id"]}
    by_record = {r["id"]: refs[i] for i, r in enumerate(records[:-1])}
    screened = [rid for rid in by_record if rid not in removed]
    included = [rid for rid in screened if by_record[rid][0] == "included"]
    excluded = [rid for rid in screened if by_record[rid][0] == "excluded"]
    at_ta, at_ft = excluded[:EXCLUDED_AT_TA], excluded[EXCLUDED_AT_TA:]
    conflict = included[0]
    decisions = []
    for rid in screened:
        for reviewer in ("ana", "ben"):
            ta = "exclude" if rid in at_ta else "include"
            if rid == conflict and reviewer == "ben":
                ta = "exclude"
            decisions.append((rid, "ta", reviewer, ta, "not a trial" if ta == "exclude" else "", "reviewer"))
    decisions.append((conflict, "ta", "cara", "include", "", "arbiter"))
    for rid in included + at_ft:
        for reviewer in ("ana", "ben"):
            ft = "include" if rid in included else "exclude"
            decisions.append((rid, "ft", reviewer, ft, "" if ft == "include" else "not randomised",
                              "reviewer"))
    cli("screen", "import-decisions", p,
        write_csv(tmp_path / "decisions.csv", ("record_id", "stage", "reviewer", "decision",
                                                  "reason", "role"), decisions))

    # -- studies --------------------------------------------------------------------------------
    made = cli("study", "from-records", p, "--json")
    assert len(made["ids"]) == len(included)
    studies = {s["id"]: s for s in cli("study", "list", p, "--json")}
    revman_of = {sid: by_record[int(s["reports"][0]["id"])][1] for sid, s in studies.items()}
    little = [sid for sid, rid in revman_of.items() if rid == "STD-Little-1997"]
    assert len(little) == 2
    cli("study", "join", p, *little, "--label", "Little 1997")
    studies = {s["id"]: s for s in cli("study", "list", p, "--json")}
    revman_of = {sid: by_record[int(s["reports"][0]["id"])][1] for sid, s in studies.items()}
    assert len(studies) == len({rid for status, rid, _ in refs if status == "included"}) == 27
    assert len(studies[little[0]]["reports"]) == 2
    ours_of = {rid: sid for sid, rid in revman_of.items()}

    cli("study", "arm", "add", p, "antibiotic", "--label", "Antibiotic", "--role", "experimental")
    cli("study", "arm", "add", p, "control", "--label", "Placebo or no treatment", "--role", "control")
    for sub in outcomes["CMP-001.02"].subgroups:
        for row in sub.rows:
            cli("study", "set", p, ours_of[row.study_id], "--characteristic",
                f"blinding={blinding_of(sub.name)}")

    # -- outcomes, dual extraction, one discrepancy resolved --------------------------------------
    for outcome_id, name in {a[0]: a[1] for a in ANALYSES.values()}.items():
        cli("outcome", "add", p, outcome_id, "--name", name, "--kind", "dichotomous",
            "--lower-is-better")
    rows = []
    for rm_id, (outcome_id, _name, timepoint, subgroup) in ANALYSES.items():
        if subgroup:
            continue
        for row in outcomes[rm_id].rows:
            assert isinstance(row, DichRow)
            study = ours_of[row.study_id]
            for arm, events, total in (("antibiotic", row.events_1, row.total_1),
                                       ("control", row.events_2, row.total_2)):
                for statistic, value in (("events", events), ("n", total)):
                    rows.append((study, arm, outcome_id, timepoint, statistic, f"{value:g}",
                                 studies[study]["reports"][0]["id"], f"{rm_id} data table",
                                 f"{row.study_name}: {events:g}/{total:g}"))
    header = ("study", "arm", "outcome", "timepoint", "statistic", "value", "report", "location",
              "quote")
    cli("extract", p, "--extractor", "ana", "--csv", write_csv(tmp_path / "ana.csv", header, rows))
    typo = rows[0]
    wrong = [(*r[:5], str(float(r[5]) + 10), *r[6:]) if r == typo else r for r in rows]
    cli("extract", p, "--extractor", "ben", "--csv", write_csv(tmp_path / "ben.csv", header, wrong))
    comparison = cli("extraction", p, "--first", "ana", "--second", "ben", "--json")
    assert comparison["keys_compared"] == len(rows) and comparison["open"] == 1
    [d] = comparison["discrepancies"]
    assert d["key"] == "/".join(typo[:5]) and d["first"] == float(typo[5])
    cli("resolve", p, "--key", d["key"], "--value", typo[5], "--by", "cara")
    assert cli("extraction", p, "--first", "ana", "--second", "ben", "--json")["open"] == 0

    # -- analyses and the report --------------------------------------------------------------
    for rm_id, (outcome_id, _name, timepoint, subgroup) in ANALYSES.items():
        extra = ("--subgroup", subgroup) if subgroup else ()
        cli("analysis", "add", p, rm_id.lower(), "--outcome", outcome_id, "--measure", "RR",
            "--timepoint", timepoint, "--preset", "revman5", *extra)
    out = tmp_path / "report"
    results = cli("report", p, "--out", out, "--json")

    compared = same_as_revman(results["analyses"], outcomes)
    assert compared > 50

    flow = results["prisma_computed"]
    assert flow["database_results"] == len(refs) + 1
    assert flow["database_specific"] == {"CENTRAL": len(refs), "MEDLINE": 1}
    assert flow["duplicates"] == len(removed)
    assert flow["records_screened"] == len(screened)
    assert flow["records_excluded"] == EXCLUDED_AT_TA
    assert flow["assessed"] == len(included) + len(at_ft)
    assert flow["excluded_reports"] == len(at_ft)
    assert flow["exclusion_reasons"] == {"not randomised": len(at_ft)}
    assert flow["new_reports"] == len(included)
    assert flow["new_studies"] == len(studies) == len(included) - 1

    # The report says what this review did and nothing empty.
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<td>Children and adults with sore throat</td>" in html
    assert "Effects were expressed as risk ratio (RR) with 95% confidence intervals" in html
    assert "Computations followed the revman5 preset" in html
    assert "Subgroup analyses by blinding were run" in html
    assert "single-arm" not in html  # no study needed a narrative synthesis
    sore = outcomes["CMP-001.01"].stats
    assert f"the risk ratio (RR) was {sore.effect_size:.2f} (95% CI {sore.ci_start:.2f} to " \
           f"{sore.ci_end:.2f}" in html
    assert "By blinding: unblinded" in html and "test for subgroup differences: Chi²" in html
    assert "Source:" not in html and "not reported" not in html  # no source, no reported PRISMA
    elapsed = time.perf_counter() - started
    print(f"\nreview from records to report: {cli.calls} commands, {compared} statistics, "
          f"{elapsed:.1f} s")


def test_continuous_and_generic_inverse_variance_outcomes_match_revman(shared_data: Path,
                                                                      tmp_path: Path) -> None:
    """CD003188 (bisphosphonates in myeloma): mortality as hazard ratios entered as log HR and
    SE (generic inverse variance) with subgroups by drug, and renal dysfunction as means and
    SDs (continuous); one reviewer screens, the studies come from one record each."""
    path = shared_data / "rm5" / "CD003188StatsDataOnly.rm5"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    revman = read_rm5(path)
    outcomes = {o.id: o for o in revman.outcomes}
    mortality, renal = outcomes["CMP-001.01"], outcomes["CMP-002.04"]
    wanted = list(dict.fromkeys(row.study_id for o in (mortality, renal) for row in o.rows))
    refs = [("included", sid, {"AU": revman.studies[sid].name.split()[0] + " A",
                               "TI": f"Trial {revman.studies[sid].name}", "SO": "J",
                               "YR": revman.studies[sid].year or "", "VL": "", "NO": "", "PG": ""})
            for sid in wanted]
    ris = tmp_path / "myeloma.ris"
    write_ris(refs, ris)
    project = tmp_path / "myeloma.evisynth"
    cli = Cli(project)
    p = str(project)
    cli("new", p, "--title", "Bisphosphonates in multiple myeloma")
    cli("import", ris, "--project", p, "--source", "CENTRAL")
    cli("screen", "settings", p, "--reviewers", "1")
    records = cli("records", "list", p, "--json")
    decisions = [(r["id"], stage, "ana", "include") for stage in ("ta", "ft") for r in records]
    cli("screen", "import-decisions", p, write_csv(tmp_path / "d.csv", ("record_id", "stage",
                                                                        "reviewer", "decision"),
                                                     decisions))
    cli("study", "from-records", p)
    by_record = {r["id"]: wanted[i] for i, r in enumerate(records)}
    ours_of = {by_record[int(s["reports"][0]["id"])]: s["id"] for s in cli("study", "list", p, "--json")}
    cli("study", "arm", "add", p, "bp", "--label", "Bisphosphonate", "--role", "experimental")
    cli("study", "arm", "add", p, "control", "--label", "Control", "--role", "control")
    for sub in mortality.subgroups:
        for row in sub.rows:
            cli("study", "set", p, ours_of[row.study_id], "--characteristic", f"drug={sub.name}")
    cli("outcome", "add", p, "mortality", "--name", "Mortality", "--kind", "generic_inverse_variance",
        "--lower-is-better")
    cli("outcome", "add", p, "renal", "--name", "Renal dysfunction", "--kind", "continuous",
        "--unit", "ml/min", "--higher-is-better")
    rows = []
    for row in mortality.rows:
        assert isinstance(row, IvRow)
        for arm, statistic, value in (("", "estimate", row.estimate), ("", "se", row.se),
                                      ("bp", "n", row.total_1), ("control", "n", row.total_2)):
            rows.append((ours_of[row.study_id], arm, "mortality", "end", statistic, repr(value), "",
                         "Fig 1"))
    for row in renal.rows:
        assert isinstance(row, ContRow)
        for arm, m, sd, n in (("bp", row.mean_1, row.sd_1, row.total_1),
                              ("control", row.mean_2, row.sd_2, row.total_2)):
            for statistic, value in (("mean", m), ("sd", sd), ("n", n)):
                rows.append((ours_of[row.study_id], arm, "renal", "end", statistic, repr(value),
                             "ml/min" if statistic != "n" else "", "Table 3"))
    cli("extract", p, "--extractor", "ana", "--csv",
        write_csv(tmp_path / "values.csv", ("study", "arm", "outcome", "timepoint", "statistic",
                                             "value", "unit", "location"), rows))
    cli("analysis", "add", p, "mortality", "--outcome", "mortality", "--measure", "GEN",
        "--preset", "revman5", "--model", "random", "--subgroup", "drug")
    cli("analysis", "add", p, "renal", "--outcome", "renal", "--measure", "MD", "--preset", "revman5")
    results = cli("report", p, "--out", tmp_path / "report", "--json")
    gen, md = (a["result"] for a in results["analyses"])
    compared = same_pooled(gen, mortality.stats, ratio=is_ratio(mortality))
    for sub in mortality.subgroups:
        compared += same_pooled(gen["subgroups"][sub.name], sub.stats, ratio=True)
    close(gen["subgroup_test"]["q"], mortality.subgroup_test.q, "chi2")
    close(gen["subgroup_test"]["p"], mortality.subgroup_test.p, "p_chi2")
    compared += same_pooled(md, renal.stats, ratio=False)
    assert compared > 40
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "effect estimate (generic inverse variance)" in html and "0 participants" not in html
