"""A file whose bytes were imported before is refused (its SHA-256 is kept in the batch's file
summary), on the command line and in the service, unless the user asks for it again."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evisynth.cli.main import app
from evisynth.core.errors import InputError
from evisynth.services import records as services
from evisynth.storage import open_project
from evisynth.storage import records as store

RIS = ("TY  - JOUR\nTI  - Vitamin K2 in haemodialysis\nAU  - Kurnatowska, I\nPY  - 2015\nER  - \n\n"
       "TY  - JOUR\nTI  - 维生素K2对慢性肾脏病血管钙化的影响\nAU  - 王斌\nPY  - 2020\nER  - \n")


def count(project: Path) -> int:
    p = open_project(project)
    try:
        return sum(store.count_records(p).values())
    finally:
        p.close()


def test_cli_refuses_a_file_imported_before_unless_allowed(tmp_path: Path) -> None:
    first, again = tmp_path / "search.ris", tmp_path / "renamed-copy.ris"
    first.write_text(RIS, encoding="utf-8")
    again.write_bytes(first.read_bytes())
    project = tmp_path / "p.evisynth"
    runner = CliRunner()
    ok = runner.invoke(app, ["import", str(first), "--project", str(project), "--create", "--json"])
    assert ok.exit_code == 0, ok.output
    summary = json.loads(ok.stdout)
    assert summary["files"][0]["sha256"] == hashlib.sha256(RIS.encode()).hexdigest()
    refused = runner.invoke(app, ["import", str(again), "--project", str(project)])
    # an InputError: one line and exit 2 in a real process (the table in cli/main.py)
    assert isinstance(refused.exception, services.AlreadyImported)
    assert isinstance(refused.exception, InputError)
    message = str(refused.exception)
    assert "renamed-copy.ris was imported before (batch 1" in message and "as search.ris" in message
    assert "--allow-reimport" in message
    assert count(project) == 2  # nothing stored
    also = runner.invoke(app, ["records", "import", str(project), str(again)])
    assert isinstance(also.exception, services.AlreadyImported) and count(project) == 2
    forced = runner.invoke(app, ["import", str(again), "--project", str(project), "--allow-reimport"])
    assert forced.exit_code == 0, forced.output
    assert count(project) == 4


def test_a_changed_file_is_not_a_reimport_and_names_are_kept_as_provenance(tmp_path: Path) -> None:
    path = tmp_path / "upload-1234.ris"
    path.write_text(RIS, encoding="utf-8")
    project = tmp_path / "p.evisynth"
    services.import_records(project, [path], actor="olga", create=True, names=["PubMed 2024-05.ris"])
    batch = services.import_records(project, [path], actor="olga", allow_reimport=True).batch
    assert batch.record_count == 2
    path.write_text(RIS + "\n", encoding="utf-8")  # one byte more: another file
    services.import_records(project, [path], actor="olga")
    with pytest.raises(services.AlreadyImported) as refused:
        services.import_records(project, [path], actor="olga")
    assert "upload-1234.ris was imported before (batch 3" in str(refused.value)
    p = open_project(project)
    try:
        first = store.list_batches(p)[0]
        assert first.files[0].path == "PubMed 2024-05.ris"
        assert {s.record.source_file for s in store.list_records(p, batch=first.id)} == {"PubMed 2024-05.ris"}
    finally:
        p.close()
