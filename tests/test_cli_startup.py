"""The command line starts instantly and its help fits 80 columns.

Guarded by module list, not by time (timings vary with the machine; ``bench/bench_cli_startup.py``
measures them): ``evisynth --help``, ``evisynth version`` and every command's ``--help`` run in a
fresh interpreter and must not import any of ``HEAVY``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from evisynth.cli import main
from evisynth.core.errors import ConvergenceError, InputError
from tests.test_cli import run

#: Modules that only the commands needing them may import (top-level package names).
HEAVY = ("numpy", "scipy", "pandas", "matplotlib", "sqlalchemy", "alembic", "sklearn", "fastapi",
         "uvicorn", "jinja2", "rapidfuzz", "docx", "openpyxl")

#: Run ``python -m evisynth ARGS`` in this interpreter, then list the heavy modules it loaded.
PROBE = """
import json, runpy, sys
heavy = set(json.loads(sys.argv[2]))
sys.argv = ["evisynth", *json.loads(sys.argv[1])]
try:
    runpy.run_module("evisynth", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
loaded = sorted({name.split(".")[0] for name in sys.modules} & heavy)
sys.stderr.write("LOADED " + json.dumps(loaded) + "\\n")
"""

#: Every command's help, in one fresh interpreter: {"evisynth pool": text, ...} and the heavy
#: modules loaded by the end.
ALL_HELP = """
import json, sys
import typer
from typer.testing import CliRunner
from evisynth.cli.main import app

def paths(command, prefix):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        if not sub.hidden:
            yield from paths(sub, [*prefix, name])

root = typer.main.get_command(app)
helps = {}
for path in paths(root, []):
    result = CliRunner().invoke(app, [*path, "--help"], prog_name="evisynth")
    assert result.exit_code == 0, (path, result.output)
    helps[" ".join(["evisynth", *path])] = result.output
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"helps": helps, "loaded": loaded}))
"""


def probe(*args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
                          capture_output=True, text=True, timeout=120)
    line = next(x for x in proc.stderr.splitlines() if x.startswith("LOADED "))
    return proc, json.loads(line.removeprefix("LOADED "))


@pytest.mark.parametrize("args", [("--help",), ("version",), ("version", "--json")])
def test_help_and_version_import_no_heavy_module(args: tuple[str, ...]) -> None:
    proc, loaded = probe(*args)
    assert proc.stdout.strip(), proc.stderr
    assert loaded == [], f"evisynth {' '.join(args)} imported {loaded}"


def test_the_probe_sees_heavy_modules_when_a_command_needs_them(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("study,e1,n1,e2,n2\nA,12,100,20,100\nB,8,60,15,62\n", encoding="utf-8")
    proc, loaded = probe("pool", str(table), "--measure", "RR")
    assert "RR" in proc.stdout, proc.stderr
    assert {"numpy", "pandas", "scipy"} <= set(loaded)


def test_version_prints_the_package_version() -> None:
    import evisynth

    assert run("version").stdout.strip() == evisynth.__version__
    assert json.loads(run("version", "--json").stdout) == {"version": evisynth.__version__}


@pytest.fixture(scope="module")
def helps() -> dict[str, str]:
    proc = subprocess.run([sys.executable, "-c", ALL_HELP, json.dumps(HEAVY)], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["loaded"] == [], f"some command's --help imported {out['loaded']}"
    return dict(out["helps"])


def test_every_command_is_listed_with_its_help(helps: dict[str, str]) -> None:
    for command in ("evisynth pool", "evisynth version", "evisynth import-rm5", "evisynth appraise",
                    "evisynth screen resolve", "evisynth records import", "evisynth search pubmed"):
        assert command in helps
    assert len(helps) >= 25


#: Typer's type placeholders (<str>, <bool>, <list[str]>, <path>) and braced arguments ({file}).
PLACEHOLDER = re.compile(r"<[a-z][\w\[\]|, ]*>|\{\w+\}")


def test_every_help_fits_80_columns_with_whole_option_names_and_clear_metavars(
        helps: dict[str, str]) -> None:
    import typer

    root = typer.main.get_command(main.app)
    for command, text in helps.items():
        assert not re.search(r"[\w-]…", text), f"{command} --help cuts a name:\n{text}"
        assert not PLACEHOLDER.search(text), f"{command} --help shows a type placeholder:\n{text}"
        assert max(map(len, text.splitlines())) <= 80, f"{command} --help is wider than 80:\n{text}"
        node = root
        for name in command.split()[1:]:
            node = node.commands[name]  # type: ignore[attr-defined]
        for param in node.params:
            for name in (*param.opts, *param.secondary_opts):
                if name.startswith("-"):
                    assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), (
                        f"{command} --help does not show {name} whole:\n{text}")


def test_pool_help_from_a_real_process_at_80_columns() -> None:
    text = run("pool", "--help", env={"COLUMNS": "80"}).stdout
    assert "evisynth pool [OPTIONS] FILE\n" in text
    assert "--no-leave-one-out" in text and "--continuity-correction NUMBER" in text
    assert "[REML]" in text  # square brackets in help are text, not markup


def test_error_table_imports_nothing_and_maps_subclasses() -> None:
    for module, name, _ in main.ERROR_EXIT_CODES:
        cls = getattr(__import__(module, fromlist=[name]), name)
        assert issubclass(cls, Exception)

    class Specific(InputError):
        pass

    assert main.exit_code(InputError("x")) == 2
    assert main.exit_code(Specific("x")) == 2
    assert main.exit_code(ConvergenceError("x")) == 3
    assert main.exit_code(ValueError("x")) is None
