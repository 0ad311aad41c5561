"""The command line as a user runs it: a real process, exit codes, JSON, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.test_pool_api import EXAMPLE


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evisynth", *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120,
    )


def test_pool_json_matches_the_library(tmp_path: Path) -> None:
    proc = run("pool", str(EXAMPLE), "--measure", "SMD", "--model", "auto", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    import evisynth

    lib = evisynth.pool(EXAMPLE, measure="SMD", model="auto").to_dict()
    assert out["estimate"] == lib["estimate"]
    assert out["auto_rule"]["chose"] in ("fixed", "random")


def test_pool_prints_a_human_table() -> None:
    proc = run("pool", str(EXAMPLE), "--measure", "SMD", "--tau2", "DL")
    assert proc.returncode == 0, proc.stderr
    assert "Kurnatowska 2015" in proc.stdout
    assert "tau^2 estimator: DL" in proc.stdout


def test_bad_input_is_one_line_exit_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    frame = pd.read_csv(EXAMPLE)
    frame.loc[1, "sd2"] = -3
    frame.to_csv(bad, index=False)
    proc = run("pool", str(bad), "--measure", "MD")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "'sd2' must be > 0" in proc.stderr and "Oikonomaki 2019" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_file_and_debug_traceback(tmp_path: Path) -> None:
    proc = run("pool", str(tmp_path / "nope.csv"), "--measure", "MD")
    assert proc.returncode == 2 and "no such file" in proc.stderr
    debug = run("pool", str(tmp_path / "nope.csv"), "--measure", "MD", env={"EVISYNTH_DEBUG": "1"})
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_every_command_has_help() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    for command in ("pool", "import-rm5"):
        assert command in proc.stdout
        assert run(command, "--help").returncode == 0



def test_import_rm5_refuses_a_file_that_is_not_revman(tmp_path: Path) -> None:
    bad = tmp_path / "x.rm5"
    bad.write_text("not xml at all")
    proc = run("import-rm5", str(bad))
    assert proc.returncode == 2 and "line 1" in proc.stderr and "Traceback" not in proc.stderr


def test_review_project_commands_end_to_end(tmp_path: Path) -> None:
    import shutil

    from evisynth.services.review import EXAMPLE_BUNDLE

    project = tmp_path / "review.sqlite"
    proc = run("import", str(EXAMPLE_BUNDLE), "--project", str(project), "--create", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["changes"] > 0

    checks = json.loads(run("check", str(project), "--json").stdout)
    assert any("182" in c["message"] for c in checks)

    out = tmp_path / "bundle"
    assert run("export", str(project), "--out", str(out)).returncode == 0
    assert (out / "values.csv").exists() and (out / "review.yaml").exists()

    # a broken bundle: one line, exit 2, and the project keeps what it had
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    values = broken / "values.csv"
    lines = values.read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    first[5] = "1,077.1"
    lines[1] = ",".join(first)
    values.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = run("export", str(project), "--out", str(tmp_path / "before")).returncode
    failed = run("import", str(broken), "--project", str(project))
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert "values.csv" in failed.stderr
    assert before == 0 and run("export", str(project), "--out", str(tmp_path / "after")).returncode == 0
    before_csv = (tmp_path / "before" / "values.csv").read_bytes()
    assert before_csv == (tmp_path / "after" / "values.csv").read_bytes()

    report = json.loads(run("report", str(project), "--out", str(tmp_path / "r"), "--json").stdout)
    assert (tmp_path / "r" / "report.html").exists() and report["analyses"]
