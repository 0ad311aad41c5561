"""Helpers shared by the end-to-end tests that rebuild a RevMan 5 review from its references
(tests/e2e/test_review_from_records.py on the command line, test_review_in_browser.py in
Chromium): the references as a RIS file, the CLI run in-process, and the comparison of a
pooled result (results.json's) with RevMan's stored one within the tolerances of the RevMan
conformance test."""

from __future__ import annotations

import csv
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from evisynth.cli.main import app
from evisynth.io.rm5 import Rm5Outcome, Rm5Pooled
from tests.test_rm5_conformance import ABS_TOL, P_CHI2_ABS_TOL, P_Z_ABS_TOL, REL_TOL

RM5_NAME = "antibiotics-for-sore-throat.rm5"
#: RevMan outcome → (our outcome id, its name, the time point, subgroup characteristic or "").
ANALYSES = {
    "CMP-001.01": ("sore_throat_d3", "Symptom of sore throat on day 3", "day 3", ""),
    "CMP-001.02": ("sore_throat_d3", "Symptom of sore throat on day 3", "day 3", "blinding"),
    "CMP-002.01": ("fever_d3", "Symptom of fever on day 3", "day 3", ""),
    "CMP-004.04": ("otitis_media", "Incidence of otitis media within 14 days", "14 days", ""),
}


def blinding_of(subgroup: str) -> str:
    """The blinding characteristic of the studies in one of RevMan's subgroups (CMP-001.02)."""
    return "unblinded" if "unblind" in subgroup.lower() else "blinded"


class Cli:
    """``evisynth`` run in-process (the same Typer app as the console script)."""

    def __init__(self, project: Path) -> None:
        self.project = str(project)
        self.runner = CliRunner()
        self.calls = 0

    def __call__(self, *args: str) -> Any:
        self.calls += 1
        result = self.runner.invoke(app, [str(a) for a in args], catch_exceptions=True)
        assert result.exit_code == 0, (args, result.output, result.exception)
        return json.loads(result.stdout) if "--json" in args else result.stdout


def references(path: Path) -> list[tuple[str, str, dict[str, str]]]:
    """(included|excluded, RevMan study id, reference fields) in file order."""
    root = ET.parse(path).getroot()
    out = []
    for section, status in (("INCLUDED_STUDIES", "included"), ("EXCLUDED_STUDIES", "excluded")):
        for block in root.iter(section):
            for study in block.findall("STUDY"):
                for ref in study.findall("REFERENCE"):
                    fields = {t: (ref.findtext(t) or "").strip() for t in ("AU", "TI", "SO", "YR",
                                                                             "VL", "NO", "PG")}
                    out.append((status, str(study.get("ID")), fields))
    return out


def write_ris(refs: list[tuple[str, str, dict[str, str]]], path: Path) -> None:
    lines = []
    for _status, _study, f in refs:
        lines.append("TY  - JOUR")
        lines += [f"AU  - {a.strip()}" for a in f["AU"].split(",") if a.strip()]
        lines += [f"TI  - {f['TI']}", f"JO  - {f['SO']}", f"PY  - {f['YR']}"]
        lines += [f"{tag}  - {f[key]}" for tag, key in (("VL", "VL"), ("IS", "NO")) if f[key]]
        if f["PG"]:
            start, _, end = f["PG"].partition("-")
            lines.append(f"SP  - {start}")
            if end:
                lines.append(f"EP  - {end}")
        lines.append("ER  - ")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_csv(path: Path, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def close(ours: float, revman: float | None, statistic: str) -> None:
    assert revman is not None, statistic
    tolerance = {"p_z": P_Z_ABS_TOL, "p_chi2": P_CHI2_ABS_TOL}.get(statistic)
    if tolerance is not None:
        assert math.isclose(ours, revman, rel_tol=0, abs_tol=tolerance), (statistic, ours, revman)
    else:
        assert math.isclose(ours, revman, rel_tol=REL_TOL, abs_tol=ABS_TOL), (statistic, ours, revman)


def same_pooled(ours: dict[str, Any], stored: Rm5Pooled, *, ratio: bool = True) -> int:
    """Compare one pooled estimate (results.json's, on the analysis scale) with RevMan's (ratios
    as ratios); returns how many statistics were compared."""
    shown = math.exp if ratio else float
    close(shown(ours["estimate"]), stored.effect_size, "effect")
    close(shown(ours["ci_low"]), stored.ci_start, "ci_low")
    close(shown(ours["ci_high"]), stored.ci_end, "ci_high")
    close(abs(ours["estimate"]) / ours["se"], stored.z, "z")
    close(ours["p"], stored.p_z, "p_z")
    close(ours["q"], stored.chi2, "chi2")
    close(float(ours["q_df"]), stored.df, "df")
    compared = 7
    if ours["model"] == "random" if "model" in ours else True:
        close(ours["tau2"], stored.tau2, "tau2")
        compared += 1
    if ours["q_df"] > 0:
        close(ours["q_p"], stored.p_chi2, "p_chi2")
        close(ours["i2"], stored.i2, "i2")
        compared += 2
    return compared


def same_as_revman(analyses: list[dict[str, Any]], outcomes: dict[str, Rm5Outcome]) -> int:
    """Compare results.json's ``analyses`` (one per ANALYSES entry, in its order) with RevMan's
    stored results: overall, per subgroup and the test for subgroup differences; returns how
    many statistics were compared."""
    compared = 0
    for spec, analysis in zip(ANALYSES, analyses, strict=True):
        revman_outcome = outcomes[spec]
        result = analysis["result"]
        assert result["model"] == "random" and result["method"] == "MH", spec
        compared += same_pooled(result, revman_outcome.stats)
        if revman_outcome.subgroups:
            for sub in revman_outcome.subgroups:
                compared += same_pooled(result["subgroups"][blinding_of(sub.name)], sub.stats)
            test = result["subgroup_test"]
            close(test["q"], revman_outcome.subgroup_test.q, "chi2")
            close(test["p"], revman_outcome.subgroup_test.p, "p_chi2")
            close(test["i2"], revman_outcome.subgroup_test.i2, "i2")
            compared += 3
    return compared
