"""Studies from records, join/split, arms, outcomes, extraction and planned analyses: each
change audited in one transaction, and refused changes leave the project as it was."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from evisynth.review.errors import DomainError
from evisynth.review.extraction import Resolution, standing_values
from evisynth.review.model import Arm, ExtractedValue, Protocol, Provenance, Report, Review, Study
from evisynth.review.records import Record
from evisynth.review.studies import (
    IncludedRecord,
    first_author,
    join_studies,
    split_study,
    studies_from_records,
)
from evisynth.services import review as review_services
from evisynth.services import screening as screening_services
from evisynth.services import studies
from evisynth.storage.project import open_project
from evisynth.storage.records import add_records

RECORDS = (
    Record("a.ris", 1, "ris", "", title="Penicillin for tonsillitis", authors=("Brink, W. R.",),
           year=1951, journal="Am J Med", volume="10", pages="300-8"),
    Record("a.ris", 2, "ris", "", title="Reattendance after sore throat", authors=("Little P",),
           year=1997, journal="BMJ"),
    Record("a.ris", 3, "ris", "", title="Open trial of prescribing strategies",
           authors=("Little P", "Gould C"), year=1997, journal="BMJ"),
    Record("a.ris", 4, "ris", "", title="Not a trial", authors=("Other X",), year=2001),
)


def _value(study: str, statistic: str, value: float, extractor: str) -> ExtractedValue:
    return ExtractedValue(study, "e", "o", "end", statistic, value, "",
                          Provenance("1", "Table 2", extractor=extractor))


def test_first_author_takes_the_family_name_in_both_layouts() -> None:
    assert first_author(("Brink, W. R.", "Denny F")) == "Brink"
    assert first_author(("Brink WRR",)) == "Brink"
    assert first_author(("张三",)) == "张三"
    assert first_author(()) == ""


def test_studies_from_records_label_by_author_and_year_and_never_twice() -> None:
    review = Review("r", protocol=Protocol("T"))
    included = [IncludedRecord(i, r) for i, r in enumerate(RECORDS[:3], start=1)]
    made, ids = studies_from_records(review, included)
    assert ids == ("brink1951", "little1997", "little1997b")
    assert [s.label for s in made.studies] == ["Brink 1951", "Little 1997", "Little 1997b"]
    assert [r.id for s in made.studies for r in s.reports] == ["1", "2", "3"]
    assert made.studies[0].reports[0].citation == ("Brink, W. R. Penicillin for tonsillitis. "
                                                    "Am J Med 1951;10:300-8.")
    again, more = studies_from_records(made, included)
    assert more == () and again == made


def test_join_moves_reports_values_and_resolutions_and_split_undoes_it() -> None:
    a = Study("a", "A 1997", reports=(Report("1", "x"),), arms=(Arm("e", "E"),))
    b = Study("b", "A 1997b", reports=(Report("2", "y"),), arms=(Arm("e", "E"),),
              characteristics={"blinding": "open"})
    review = Review("r", Protocol("T"), studies=(a, b), values=(_value("b", "n", 10, "ana"),))
    resolution = Resolution("b", "e", "o", "end", "n", 10, "", "cara")
    joined, resolutions = join_studies(review, (resolution,), ["a", "b"], label="A 1997")
    [study] = joined.studies
    assert [r.id for r in study.reports] == ["1", "2"]
    assert study.characteristics == {"blinding": "open"}
    assert [v.study for v in joined.values] == ["a"] and resolutions[0].study == "a"
    split, new_id = split_study(joined, "a", ["2"])
    assert new_id == "a1997b" and [[r.id for r in s.reports] for s in split.studies] == [["1"], ["2"]]
    with pytest.raises(DomainError, match="leave it empty"):
        split_study(split, "a", ["1"])
    clash = Review("r", Protocol("T"), studies=(a, Study("b", "B", arms=(Arm("e", "Other"),))))
    with pytest.raises(DomainError, match="arm 'e' differs"):
        join_studies(clash, (), ["a", "b"])
    with pytest.raises(DomainError, match="two or more different studies"):
        join_studies(review, (), ["a", "a"])


def test_standing_values_take_agreement_or_the_resolution_and_leave_disputes_out() -> None:
    values = [_value("s", "n", 10, "ana"), _value("s", "n", 10, "ben"),
              _value("s", "events", 3, "ana"), _value("s", "events", 4, "ben"),
              _value("s", "mean", 1.5, "ana"), _value("s", "mean", 2.5, "ben")]
    resolution = Resolution("s", "e", "o", "end", "events", 4, "", "cara")
    standing, still_open = standing_values(values, [resolution])
    assert {(v.statistic, v.value) for v in standing} == {("n", 10), ("events", 4)}
    assert still_open == (("s", "e", "o", "end", "mean"),)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with four records: 1-3 included at full text by two reviewers, 4 excluded."""
    path = tmp_path / "p.evisynth"
    review_services.new_project(path, title="T", language="en", actor="owner").close()
    with open_project(path) as p:
        add_records(p, RECORDS, "importer", source="test")
    decisions = tmp_path / "decisions.csv"
    with decisions.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["record_id", "stage", "reviewer", "decision", "reason"])
        for stage in ("ta", "ft"):
            for rid in (1, 2, 3, 4):
                for reviewer in ("ana", "ben"):
                    if stage == "ta" or rid != 4:
                        w.writerow([rid, stage, reviewer, "exclude" if rid == 4 else "include",
                                    "off topic" if rid == 4 else ""])
    screening_services.import_decisions(path, decisions)
    return path


def test_services_make_studies_arms_values_and_analyses_and_audit_them(project: Path,
                                                                        tmp_path: Path) -> None:
    made = studies.from_records(project, "owner")
    assert made.ids == ("brink1951", "little1997", "little1997b") and made.audit_rows > 0
    studies.join(project, ["little1997", "little1997b"], "owner")
    assert [s.id for s in studies.list_studies(project)] == ["brink1951", "little1997"]
    studies.add_arm(project, "e", "owner", label="Antibiotic", role="experimental")
    studies.add_arm(project, "c", "owner", label="Placebo", role="control")
    studies.add_outcome(project, "o", "owner", name="Sore throat", kind="dichotomous",
                        lower_is_better=True)
    values = tmp_path / "v.csv"
    values.write_text("study,arm,outcome,timepoint,statistic,value,location\n"
                      "Brink 1951,Antibiotic,o,day 3,events,12,Table 1\n"
                      "brink1951,c,o,day 3,events,20,Table 1\n", encoding="utf-8")
    studies.extract_csv(project, values, "ana", "ana")
    studies.add_analysis(project, "a1", "owner", outcome="o", measure="RR", timepoint="day 3",
                         preset="revman5", subgroup="blinding")
    with open_project(project) as p:
        review = p.load_review()
        audit = {(e.entity, e.action) for e in p.audit_entries()}
    assert review.protocol.picos.outcomes == ("Sore throat",)
    assert {(v.study, v.arm, v.value, v.provenance.report) for v in review.values} == {
        ("brink1951", "e", 12.0, "1"), ("brink1951", "c", 20.0, "1")}
    [spec] = review.analyses
    assert (spec.model, spec.method, spec.tau2, spec.preset, spec.subgroup) == (
        "random", "MH", "DL", "revman5", "blinding")
    assert {("study", "create"), ("study", "delete"), ("report", "delete"), ("arm", "create"),
            ("value", "create"), ("analysis", "create")} <= audit


def test_a_refused_extraction_stores_nothing(project: Path, tmp_path: Path) -> None:
    studies.from_records(project, "owner")
    studies.add_arm(project, "e", "owner", label="E", role="experimental")
    studies.add_outcome(project, "o", "owner", name="O", kind="binary")
    bad = tmp_path / "bad.csv"
    bad.write_text("study,arm,outcome,timepoint,statistic,value,location\n"
                   "brink1951,e,o,end,events,12,T1\n"
                   "brink1951,e,o,end,events,twelve,T1\n", encoding="utf-8")
    with open_project(project) as p:
        before = len(p.audit_entries())
    with pytest.raises(DomainError, match=r"line 3: value 'twelve' is not a number"):
        studies.extract_csv(project, bad, "ana", "ana")
    missing = tmp_path / "missing.csv"
    missing.write_text("study,arm,value\n", encoding="utf-8")
    with pytest.raises(DomainError, match=r"missing column.*outcome, timepoint, statistic"):
        studies.extract_csv(project, missing, "ana", "ana")
    with pytest.raises(DomainError, match="no study 'nobody'"):
        studies.join(project, ["nobody", "brink1951"], "owner")
    with pytest.raises(DomainError, match="--tau2 'XX' must be one of DL"):
        studies.add_analysis(project, "a", "owner", outcome="o", measure="RR", timepoint="end",
                             tau2="XX")
    with pytest.raises(DomainError, match="--method MH pools RR, OR or RD, not MD"):
        studies.add_analysis(project, "a", "owner", outcome="o", measure="MD", timepoint="end",
                             method="MH")
    with open_project(project) as p:
        assert len(p.audit_entries()) == before and p.load_review().values == ()


def test_analysis_settings_survive_the_bundle_round_trip(project: Path, tmp_path: Path) -> None:
    studies.from_records(project, "owner")
    studies.add_outcome(project, "o", "owner", name="O", kind="binary")
    studies.add_analysis(project, "a1", "owner", outcome="o", measure="OR", timepoint="end",
                         preset="revman5", subgroup="blinding")
    studies.set_protocol(project, "owner", question="Q?", population="Adults",
                         inclusion=["RCT"], exclusion=["Not randomised"])
    review_services.export_bundle(project, tmp_path / "bundle")
    copy = tmp_path / "copy.evisynth"
    review_services.import_bundle(copy, tmp_path / "bundle", actor="owner", create=True)
    with open_project(project) as a, open_project(copy) as b:
        assert b.load_review() == a.load_review()
        assert b.load_review().analyses[0].subgroup == "blinding"


def test_report_of_a_project_without_analyses_has_no_empty_sentences(tmp_path: Path) -> None:
    path = tmp_path / "empty.evisynth"
    review_services.new_project(path, title="Empty", language="en", actor="owner").close()
    written = review_services.write_report(path, tmp_path / "out")
    assert written.html is not None
    html = written.html.read_text(encoding="utf-8")
    assert "expressed as" not in html and "Source:" not in html and "not reported" not in html
    assert "Analyses were run with evisynth" in html
    assert "<th>Population</th>" not in html and "Inclusion criteria" not in html


def test_cli_errors_are_one_line(project: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "evisynth", "study", "join", str(project), "x", "y"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: no study 'x'")
    proc = subprocess.run([sys.executable, "-m", "evisynth", "study", "from-records", str(project),
                           "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ids"] == ["brink1951", "little1997", "little1997b"]


def test_every_new_command_has_help() -> None:
    from typer.testing import CliRunner

    from evisynth.cli.main import app

    runner = CliRunner()
    for command in (["study", "from-records"], ["study", "join"], ["study", "split"],
                    ["study", "list"], ["study", "set"], ["study", "arm", "add"], ["study", "arm", "set"],
                    ["protocol", "set"], ["outcome", "add"], ["extract"], ["resolve"],
                    ["analysis", "add"], ["analysis", "list"], ["grade"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage" in result.stdout


def test_extract_one_value_by_options_and_refuse_a_second_without_replace(project: Path) -> None:
    from typer.testing import CliRunner

    from evisynth.cli.main import app

    studies.from_records(project, "owner")
    studies.add_arm(project, "e", "owner", label="Antibiotic", role="experimental")
    studies.add_outcome(project, "o", "owner", name="O", kind="binary")
    args = ["extract", str(project), "--extractor", "ana", "--study", "Brink 1951", "--arm",
            "Antibiotic", "--outcome", "o", "--timepoint", "day 3", "--statistic", "events",
            "--location", "Table 2", "--quote", "12 of 40"]
    runner = CliRunner()
    assert runner.invoke(app, [*args, "--value", "12"]).exit_code == 0
    again = runner.invoke(app, [*args, "--value", "13"])
    assert isinstance(again.exception, DomainError) and "pass --replace" in str(again.exception)
    assert runner.invoke(app, [*args, "--value", "13", "--replace"]).exit_code == 0
    with open_project(project) as p:
        [v] = p.load_review().values
        changes = [e for e in p.audit_entries(entity="value") if e.action == "update"]
    assert (v.study, v.arm, v.value, v.provenance.report, v.provenance.quote) == (
        "brink1951", "e", 13.0, "1", "12 of 40")
    assert [(c.old_value, c.new_value) for c in changes if c.field == "value"] == [(12.0, 13.0)]


def test_a_planned_outcome_keeps_its_measure_and_time_points_through_the_bundle(
        project: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from evisynth.cli.main import app

    runner = CliRunner()
    result = runner.invoke(app, ["outcome", "add", str(project), "pain", "--name", "Pain", "--kind",
                                 "continuous", "--measure", "SMD", "--timepoint", "end",
                                 "--timepoint", "12 months", "--lower-is-better"])
    assert result.exit_code == 0, result.output
    studies.add_outcome(project, "o", "owner", name="Sore throat", kind="dichotomous")
    with open_project(project) as p:
        pain, plain = p.load_review().outcomes
    assert (pain.measure, pain.timepoints, pain.lower_is_better) == ("SMD", ("end", "12 months"), True)
    assert (plain.measure, plain.timepoints) == ("", ())
    review_services.export_bundle(project, tmp_path / "bundle")
    assert "- 12 months" in (tmp_path / "bundle" / "outcomes.yaml").read_text(encoding="utf-8")
    copy = tmp_path / "copy.evisynth"
    review_services.import_bundle(copy, tmp_path / "bundle", actor="owner", create=True)
    with open_project(project) as a, open_project(copy) as b:
        assert b.load_review().outcomes == a.load_review().outcomes


def test_a_planned_measure_must_be_known_and_time_points_named(project: Path) -> None:
    with pytest.raises(DomainError, match=r"--measure 'XX' must be one of MD, SMD, RR"):
        studies.add_outcome(project, "o", "owner", name="O", kind="binary", measure="XX")
    with pytest.raises(DomainError, match="a --timepoint is empty"):
        studies.add_outcome(project, "o", "owner", name="O", kind="binary", timepoints=["end", " "])
    with open_project(project) as p:
        assert p.load_review().outcomes == ()


def test_an_analysis_without_a_measure_takes_the_outcomes_planned_one(project: Path) -> None:
    from typer.testing import CliRunner

    from evisynth.cli.main import app

    studies.add_outcome(project, "o", "owner", name="O", kind="binary", measure="OR")
    studies.add_outcome(project, "u", "owner", name="U", kind="binary")
    runner = CliRunner()
    result = runner.invoke(app, ["analysis", "add", str(project), "a1", "--outcome", "o",
                                 "--preset", "revman5", "--hksj", "--prediction", "t",
                                 "--moderator", "year", "--leave-one-out"])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(app, ["analysis", "add", str(project), "a2", "--outcome", "u"])
    assert isinstance(refused.exception, DomainError)
    assert "outcome 'u' plans no effect measure; give --measure" in str(refused.exception)
    refused = runner.invoke(app, ["analysis", "add", str(project), "a3", "--outcome", "o",
                                  "--prediction", "normal"])
    assert "--prediction 'normal' must be one of" in str(refused.exception)
    with open_project(project) as p:
        [spec] = p.load_review().analyses
    assert (spec.measure, spec.method, spec.hksj, spec.prediction, spec.moderator,
            spec.leave_one_out) == ("OR", "MH", True, "t", "year", True)


def test_study_design_country_and_arm_doses_from_the_command_line(project: Path) -> None:
    from typer.testing import CliRunner

    from evisynth.cli.main import app

    studies.from_records(project, "owner")
    runner = CliRunner()
    for args in (["study", "arm", "add", str(project), "e", "--label", "Penicillin", "--role",
                  "experimental", "--study", "brink1951", "--dose", "800000", "--dose-unit", "IU/day"],
                 ["study", "arm", "add", str(project), "c", "--label", "Placebo", "--role", "control"],
                 ["study", "arm", "set", str(project), "Brink 1951", "Placebo", "--n", "40"],
                 ["study", "set", str(project), "brink1951", "--design", "non_randomised", "--country",
                  "USA", "--population", "airmen with sore throat"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    refused = (
        (["study", "set", str(project), "brink1951", "--design", "cohort"],
         "--design 'cohort' must be one of rct, single_arm, non_randomised, observational"),
        (["study", "arm", "add", str(project), "x", "--label", "X", "--role", "control", "--dose", "5"],
         "--dose 5.0 has no unit; give --dose-unit"),
        (["study", "arm", "set", str(project), "brink1951", "e", "--dose", "-2"], "must be a number ≥ 0"),
        (["study", "arm", "set", str(project), "brink1951", "z", "--n", "3"],
         "study 'brink1951' has no arm 'z'; its arms are e, c"),
    )
    with open_project(project) as p:
        before = p.load_review()
    for args, message in refused:
        result = runner.invoke(app, args)
        assert isinstance(result.exception, DomainError) and message in str(result.exception), args
    with open_project(project) as p:
        review = p.load_review()
    assert review == before
    brink = review.studies[0]
    assert (brink.design, brink.country, brink.population) == (
        "non_randomised", "USA", "airmen with sore throat")
    assert [(a.id, a.n, a.dose, a.dose_unit) for a in brink.arms] == [
        ("e", None, 800000.0, "IU/day"), ("c", 40, None, "")]


def test_grade_rates_one_domain_from_the_command_line_and_keeps_the_others(project: Path,
                                                                          tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from evisynth.cli.main import app
    from evisynth.services import workspace

    studies.from_records(project, "owner")
    studies.add_arm(project, "e", "owner", label="Antibiotic", role="experimental")
    studies.add_arm(project, "c", "owner", label="Placebo", role="control")
    studies.add_outcome(project, "o", "owner", name="Sore throat", kind="binary", measure="RR")
    values = tmp_path / "v.csv"
    values.write_text("study,arm,outcome,timepoint,statistic,value,location\n"
                      "brink1951,e,o,end,events,12,T1\nbrink1951,e,o,end,n,40,T1\n"
                      "brink1951,c,o,end,events,20,T1\nbrink1951,c,o,end,n,40,T1\n", encoding="utf-8")
    studies.extract_csv(project, values, "ana", "ana")
    studies.add_analysis(project, "a1", "owner", outcome="o", timepoint="end", preset="revman5")
    with open_project(project) as p:
        suggestion = workspace.grade_view(p, "a1").suggestion
    assert suggestion is not None
    runner = CliRunner()
    base = ["grade", str(project), "--analysis", "a1", "--by", "cara"]
    result = runner.invoke(app, [*base, "--domain", "indirectness", "--change", "-1", "--reason",
                                 "adults only", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["level"] in ("moderate", "low", "very low")
    result = runner.invoke(app, [*base, "--domain", "large_effect", "--change", "+1", "--reason", "RR<0.5"])
    assert isinstance(result.exception, DomainError)  # an RCT: GRADE does not rate it up
    assert "rates up observational evidence only" in str(result.exception)
    refused = runner.invoke(app, [*base, "--domain", "indirectness", "--change", "-3", "--reason", "x"])
    assert isinstance(refused.exception, DomainError) and "must be one of 0, -1, -2" in str(refused.exception)
    refused = runner.invoke(app, [*base, "--domain", "vibes", "--change", "-1"])
    assert "unknown GRADE domain 'vibes'" in str(refused.exception)
    with open_project(project) as p:
        [spec] = p.load_review().analyses
        actors = {e.actor for e in p.audit_entries(entity="analysis") if e.action == "update"}
    rated = {g.domain: g for g in spec.grade}
    indirectness = rated["indirectness"]
    assert (indirectness.change, indirectness.reason, indirectness.suggested) == (-1, "adults only", 0)
    for r in suggestion.ratings:  # the domains not rated keep evisynth's suggestion
        if r.domain != "indirectness":
            assert (rated[r.domain].change, rated[r.domain].reason) == (r.change, r.reason)
    assert actors == {"cara"}
