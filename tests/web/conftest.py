"""A served data folder with two projects and five accounts, and signed-in clients.

Project "trial" has owner olga, reviewers rui and rita, arbiter ari; project "other" has
owner olga and reviewer otto (a member of another project: an outsider to "trial").
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient

from evisynth.review.records import Record
from evisynth.services import screening as screening_services
from evisynth.services.accounts import Server
from evisynth.services.review import EXAMPLE_BUNDLE
from evisynth.storage import records as record_store
from evisynth.web import Settings, create_app

PASSWORD = "correct horse battery"
STARTUP_S = 40.0
TITLES = (
    "<script>alert(1)</script> Vitamin K2 and vascular calcification in dialysis",
    "Menaquinone-7 supplementation in haemodialysis patients: a randomised trial",
    "Warfarin and arterial stiffness: a cohort study",
    "Vitamin D in children with asthma",
)


@dataclass
class Site:
    data_dir: Path
    slug: str
    other: str
    record_ids: list[int]


def _records(offset: int = 0) -> list[Record]:
    return [Record(source_file="seed.ris", entry=i + 1 + offset, format="ris", original=f"TI  - {t}\nER  -",
                   database="PubMed", title=t,
                   abstract=f"Abstract {i + 1}: haemodialysis patients, matrix Gla protein, calcification.",
                   keywords=("vitamin K", "dialysis"))
            for i, t in enumerate(TITLES)]


#: Argon2id at its cheapest: these tests are about the web, not about the hash's cost.
CHEAP = PasswordHasher.from_parameters(profiles.CHEAPEST)


def build_site(data_dir: Path) -> Site:
    server = Server(data_dir, hasher=CHEAP)
    try:
        olga = server.create_owner("olga", PASSWORD)
        slug = server.create_project(olga, "Vitamin K2 trial review")
        other = server.create_project(olga, "Other review")
        for name, role, where in (("rui", "reviewer", slug), ("rita", "reviewer", slug),
                                  ("ari", "arbiter", slug), ("otto", "reviewer", other)):
            server.register(server.invite(where, olga, role), name, PASSWORD)
        batch = record_store.add_records(server.project(slug), _records(), "olga", source="PubMed")
        screening_services.settings(server.project(slug), "olga", include=("haemodialysis", "vitamin K2"),
                                    exclude=("children", "asthma"))
        record_store.add_records(server.project(other), _records()[:1], "olga", source="PubMed")
        assert batch.first_id is not None and batch.last_id is not None
        ids = list(range(batch.first_id, batch.last_id + 1))
    finally:
        server.close()
    return Site(data_dir, slug, other, ids)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def app(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(site.data_dir)), base_url="https://testserver") as client:
        yield client


def build_review_site(data_dir: Path) -> str:
    """A data folder with the vitamin K2 example review (owner olga, reviewer rui); its slug."""
    server = Server(data_dir, hasher=CHEAP)
    try:
        olga = server.create_owner("olga", PASSWORD)
        slug = server.create_project(olga, "Vitamin K2", bundle=EXAMPLE_BUNDLE)
        server.register(server.invite(slug, olga, "reviewer"), "rui", PASSWORD)
    finally:
        server.close()
    return slug


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    """A client of a served build_review_site, and the review's slug (one per test module)."""
    data_dir = tmp_path_factory.mktemp("review")
    slug = build_review_site(data_dir)
    with TestClient(create_app(Settings(data_dir)), base_url="https://testserver") as client:
        yield client, slug


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, name: str) -> str:
    """Sign ``client`` in as ``name``; returns the session's CSRF token."""
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"name": name, "password": PASSWORD, "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/projects").text)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int, owner: str | None = None) -> subprocess.Popen[bytes]:
    """``evisynth serve`` on 127.0.0.1:port, ready; ``owner``: create that owner account first
    (the password, PASSWORD, through stdin)."""
    extra = ["--create-owner", owner, "--password-stdin"] if owner else []
    proc = subprocess.Popen([sys.executable, "-m", "evisynth", "serve", "--data-dir", str(data_dir),
                             "--port", str(port), *extra], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(f"{PASSWORD}\n".encode() if owner else b"")
    proc.stdin.close()
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return proc
        except httpx2.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("the server did not start in time")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Kill a server from start_server (if it still runs) and release its pipe."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)
    if proc.stderr:
        proc.stderr.close()


@contextmanager
def serving(data_dir: Path, owner: str | None = None) -> Iterator[str]:
    """``evisynth serve`` on ``data_dir`` (see start_server) on a free port: its address;
    the server is stopped afterwards."""
    port = free_port()
    proc = start_server(data_dir, port, owner)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


#: The team of the browser tests that do a review: the owner olga, two reviewers, an arbiter.
TEAM = (("rui", "reviewer"), ("rita", "reviewer"), ("ari", "arbiter"))


@contextmanager
def serving_team(data_dir: Path, title: str) -> Iterator[tuple[str, str]]:
    """``evisynth serve`` on a new project ``title`` owned by olga with :data:`TEAM` invited
    and registered: its address and the project's slug; the server stops afterwards."""
    server = Server(data_dir, hasher=CHEAP)
    try:
        olga = server.create_owner("olga", PASSWORD)
        slug = server.create_project(olga, title)
        for name, role in TEAM:
            server.register(server.invite(slug, olga, role), name, PASSWORD)
    finally:
        server.close()
    with serving(data_dir) as base:
        yield base, slug


def browser_signed_in(browser: Any, base: str, name: str, viewport: dict[str, int]) -> Any:
    """A new Playwright page of ``browser``, signed in at ``base`` as ``name`` (PASSWORD)."""
    from playwright.sync_api import expect

    page = browser.new_context(viewport=viewport, accept_downloads=True).new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/projects")
    return page
