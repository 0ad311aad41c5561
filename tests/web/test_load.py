"""No lost work: a real uvicorn on 127.0.0.1, 20 reviewers posting at the same moment (each
twice: a double submit), and a decision that survives SIGKILL right after its response."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from evisynth.cli.main import run
from evisynth.services.accounts import Server
from evisynth.storage import open_project
from evisynth.storage import records as record_store
from evisynth.storage import screening as screening_store
from evisynth.storage.accounts import user_by_name
from tests.web.conftest import CHEAP, PASSWORD, _records, free_port, start_server, stop_server

REVIEWERS = 20
Served = tuple[str, Path, str, list[int], "subprocess.Popen[bytes]"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("served")
    port = free_port()
    proc = start_server(data_dir, port, owner="olga")  # the first run creates the owner account
    server = Server(data_dir, hasher=CHEAP)  # set up beside the running server
    try:
        owner = user_by_name(server.accounts, "olga")
        assert owner is not None and owner.is_admin
        slug = server.create_project(owner, "Load test")
        for i in range(REVIEWERS):
            user = server.create_user(f"r{i:02d}", PASSWORD)
            server.set_role(slug, owner, user.id, "reviewer")
        records = [r for k in range(3) for r in _records(10 * k)][: REVIEWERS // 2 + 1]
        batch = record_store.add_records(server.project(slug), records, "olga")
        assert batch.first_id is not None and batch.last_id is not None
        ids = list(range(batch.first_id, batch.last_id + 1))
        location = server.web_project(slug).location
    finally:
        server.close()
    try:
        yield f"http://127.0.0.1:{port}", Path(location), slug, ids, proc
    finally:
        stop_server(proc)


def _client(base: str, name: str) -> tuple[httpx2.Client, str]:
    client = httpx2.Client(base_url=base, timeout=60, follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    r = client.post("/login", data={"name": name, "password": PASSWORD, "csrf": token.group(1)})
    assert r.status_code == 303, r.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/projects").text)
    assert csrf
    return client, csrf.group(1)


def test_twenty_reviewers_at_once_lose_nothing_and_duplicate_nothing(served) -> None:  # type: ignore[no-untyped-def]
    base, location, slug, ids, _proc = served
    clients = [_client(base, f"r{i:02d}") for i in range(REVIEWERS)]
    # reviewers 2j and 2j+1 screen record j; every one posts the same decision twice at once
    jobs = [(i, ids[i // 2]) for i in range(REVIEWERS) for _ in range(2)]
    barrier = threading.Barrier(len(jobs), timeout=60)
    status: list[int] = [0] * len(jobs)

    def post(k: int) -> None:
        i, rid = jobs[k]
        client, csrf = clients[i]
        barrier.wait()
        r = client.post(f"/p/{slug}/screen", data={"csrf": csrf, "record_id": rid, "stage": "ta",
                                                   "decision": "include" if i % 4 else "exclude",
                                                   "reason": "wrong population"})
        status[k] = r.status_code

    threads = [threading.Thread(target=post, args=(k,)) for k in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    for client, _ in clients:
        client.close()
    # each reviewer: one accepted, one refused (400 by the state machine, 409 by the unique key)
    accepted = Counter(jobs[k][0] for k, s in enumerate(status) if s == 303)
    assert accepted == Counter(range(REVIEWERS)), status
    assert all(s in (400, 409) for s in status if s != 303), status
    with open_project(location) as project:
        states = screening_store.load_screening(project)
    stored = [(int(rid), d.reviewer) for rid, s in states.items() for d in s.stage("ta").decisions]
    assert sorted(stored) == sorted((ids[i // 2], f"r{i:02d}") for i in range(REVIEWERS))


def test_a_decision_survives_sigkill_right_after_its_response(served) -> None:  # type: ignore[no-untyped-def]
    base, location, slug, ids, proc = served
    client, csrf = _client(base, "r00")
    last = ids[-1]
    r = client.post(f"/p/{slug}/screen", data={"csrf": csrf, "record_id": last, "stage": "ta",
                                               "decision": "maybe"})
    os.kill(proc.pid, signal.SIGKILL)
    client.close()
    assert r.status_code == 303
    proc.wait(timeout=10)
    with open_project(location) as project:
        state = screening_store.load_screening(project, [last])[last]
    assert [(d.reviewer, d.action) for d in state.stage("ta").decisions] == [("r00", "maybe")]


def test_serve_refuses_to_start_without_an_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["evisynth", "serve", "--data-dir", str(tmp_path)])
    with pytest.raises(SystemExit) as done:
        run()
    assert done.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "error: this server has no account yet; run once with --create-owner NAME --password-stdin")
