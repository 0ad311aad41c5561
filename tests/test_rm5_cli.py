"""``evisynth import-rm5``: the command module, registered on a Typer app as the CLI will."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from evisynth.cli.rm5 import import_rm5
from evisynth.io.errors import ImportFormatError
from tests.conftest import SHARED_DATA

RM5 = SHARED_DATA / "rm5"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("import-rm5")(import_rm5)
    app.command("noop")(lambda: None)  # two commands, so that the name is part of the call
    return app


@pytest.fixture(scope="module")
def fleiss(shared_data: Path) -> Path:
    path = RM5 / "Fleiss1993.rm5"
    if not path.is_file():
        pytest.skip(f"RevMan 5 test files not found at {RM5} (../shared/data/rm5)")
    return path


def test_tables_show_revman_beside_evisynth(fleiss: Path) -> None:
    result = CliRunner().invoke(_app(), ["import-rm5", str(fleiss)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "statistic" in result.output and "RevMan" in result.output and "difference" in result.output
    assert "measure=OR, method=MH, model=fixed" in result.output
    assert "outcomes," in result.output


def test_json_lists_every_outcome(fleiss: Path) -> None:
    result = CliRunner().invoke(_app(), ["import-rm5", str(fleiss), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert [o["kind"] for o in payload] == ["DICH", "CONT"]
    effect = next(s for s in payload[0]["statistics"]
                  if s["scope"] == "overall" and s["statistic"] == "effect")
    assert effect["evisynth"] == pytest.approx(effect["revman"], rel=1e-9)


def test_a_broken_file_raises_the_import_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.rm5"
    path.write_text("<COCHRANE_REVIEW>", encoding="utf-8")
    result = CliRunner().invoke(_app(), ["import-rm5", str(path)])
    assert isinstance(result.exception, ImportFormatError)
    assert "broken.rm5, line 1" in str(result.exception)
