"""The probes of issue 14, each closed: forwarded headers, oversized fields, look-alike names,
weak passwords, the last owner, error pages (HTML for every status, no server paths, no
command-line advice), cache and sniffing headers, and ``next`` with its query string."""

from __future__ import annotations

import datetime as dt
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

import httpx2
import pytest
from fastapi.testclient import TestClient

from evisynth.cli.main import run
from evisynth.services.accounts import MAX_FAILURES, Server
from evisynth.storage import accounts as store
from evisynth.web import Settings, create_app
from tests.web.conftest import CHEAP, PASSWORD, Site, csrf_of, serving, sign_in

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _server(app: TestClient) -> Server:
    return app.app.state.server  # type: ignore[attr-defined,no-any-return]


def _new_account(app: TestClient, name: str) -> None:
    if store.user_by_name(_server(app).accounts, name) is None:
        _server(app).create_user(name, PASSWORD)


def _html_error(r: httpx2.Response, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    assert '{"detail"' not in r.text
    return r.text


# -- forwarded headers ------------------------------------------------------------------------

def test_a_rotated_x_forwarded_for_from_loopback_does_not_escape_the_lockout(tmp_path: Path) -> None:
    with serving(tmp_path, owner="olga") as base, \
            httpx2.Client(base_url=base, timeout=30, follow_redirects=False) as c:
        found = CSRF.search(c.get("/login").text)
        assert found
        form = {"name": "olga", "password": "not the password", "csrf": found.group(1)}
        for i in range(MAX_FAILURES):
            r = c.post("/login", data=form, headers={"X-Forwarded-For": f"198.51.100.{i}"})
            assert r.status_code == 401
        r = c.post("/login", data={**form, "password": PASSWORD},
                   headers={"X-Forwarded-For": "198.51.100.200"})
        assert r.status_code == 429  # the header changes nothing: the address is 127.0.0.1


def test_x_forwarded_for_is_believed_from_a_named_proxy_only(site: Site) -> None:
    settings = Settings(site.data_dir, trusted_proxies=("10.0.0.0/30",))
    base = "https://testserver"
    with TestClient(create_app(settings), base_url=base, client=("10.0.0.2", 4000)) as proxy, \
            TestClient(create_app(settings), base_url=base, client=("10.0.0.9", 4000)) as other:
        def xff(value: str) -> dict[str, str]:
            return {"X-Forwarded-For": value}

        _new_account(proxy, "paula")
        token = csrf_of(proxy.get("/login").text)
        wrong = {"name": "paula", "password": "not the password", "csrf": token}
        right = {**wrong, "password": PASSWORD}
        for _ in range(MAX_FAILURES):
            assert proxy.post("/login", data=wrong, headers=xff("203.0.113.7")).status_code == 401
        assert proxy.post("/login", data=right, headers=xff("203.0.113.7")).status_code == 429
        # the proxy appends the real address to what the client sent: the last one counts
        spoofed = {"X-Forwarded-For": "203.0.113.50, 203.0.113.7"}
        assert proxy.post("/login", data=right, headers=spoofed).status_code == 429
        r = proxy.post("/login", data=right, headers=xff("203.0.113.8"), follow_redirects=False)
        assert r.status_code == 303  # another client behind the proxy is not locked out

        _new_account(other, "pedro")  # 10.0.0.9 is not a trusted proxy: its header is ignored
        token = csrf_of(other.get("/login").text)
        wrong = {"name": "pedro", "password": "not the password", "csrf": token}
        for i in range(MAX_FAILURES):
            assert other.post("/login", data=wrong, headers=xff(f"203.0.113.{i}")).status_code == 401
        r = other.post("/login", data={**wrong, "password": PASSWORD}, headers=xff("203.0.113.99"))
        assert r.status_code == 429


def test_serve_refuses_a_trusted_proxy_that_is_not_an_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setattr(sys, "argv", ["evisynth", "serve", "--data-dir", str(data_dir),
                                      "--trusted-proxy", "127.0.0.1", "--trusted-proxy", "*"])
    with pytest.raises(SystemExit) as done:
        run()
    assert done.value.code == 2
    assert "--trusted-proxy '*' is not an IP address or network" in capsys.readouterr().err
    assert not data_dir.exists()


# -- sizes, names, passwords, owners ------------------------------------------------------------

def test_oversized_form_fields_are_refused_before_anything_is_stored(app: TestClient, site: Site) -> None:
    accounts = _server(app).accounts
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    huge = "x" * 900 * 1024
    app.cookies.clear()
    token = csrf_of(app.get("/login").text)
    for _ in range(MAX_FAILURES):
        page = _html_error(app.post("/login", data={"name": huge, "password": "wrong", "csrf": token}), 413)
        assert "the field &#39;name&#39; holds 921,600 characters; it may hold 64 at most" in page
    assert store.failures_since(accounts, huge, "testclient", since) == 0

    csrf = sign_in(app, "olga")
    before = store.web_projects(accounts, None)
    page = _html_error(app.post("/projects", data={"csrf": csrf, "title": "T" * 5000}), 413)
    assert "&#39;title&#39;" in page
    assert store.web_projects(accounts, None) == before
    criteria = _server(app).project(site.slug).load_review().protocol
    page = _html_error(app.post(f"/p/{site.slug}/protocol",
                                data={"csrf": csrf, "inclusion": "adults " * 10_000}), 413)
    assert "&#39;inclusion&#39;" in page
    assert _server(app).project(site.slug).load_review().protocol == criteria


def test_a_form_too_large_to_read_is_refused_as_it_arrives(app: TestClient) -> None:
    from evisynth.web.limits import MAX_FORM_BYTES

    app.cookies.clear()
    token = csrf_of(app.get("/login").text)
    body = f"csrf={token}&name=olga&password=x&notes=".encode() + b"a" * MAX_FORM_BYTES
    page = _html_error(app.post("/login", content=body,
                                headers={"content-type": "application/x-www-form-urlencoded"}), 413)
    assert f"the form is larger than {MAX_FORM_BYTES // 2**20} MiB" in page


def _invitation(app: TestClient, site: Site) -> str:
    csrf = sign_in(app, "olga")
    r = app.post(f"/p/{site.slug}/invite", data={"csrf": csrf, "role": "reviewer"}, follow_redirects=False)
    token = unquote(r.headers["location"].split("invited=")[1])
    app.cookies.clear()
    return token


@pytest.mark.parametrize(("name", "password", "why"), [
    ("ｏｌｇａ", PASSWORD, "already an account named &#39;olga&#39;"),
    ("Olga", PASSWORD, "looks like the existing account &#39;olga&#39;"),
    ("newbie", "12345678", "at least 10 characters"),
    ("newbie", "password123", "common passwords")])
def test_the_invitation_page_refuses_look_alike_names_and_weak_passwords(
        app: TestClient, site: Site, name: str, password: str, why: str) -> None:
    token = _invitation(app, site)
    csrf = csrf_of(app.get(f"/invite/{token}").text)
    form = {"csrf": csrf, "name": name, "password": password}
    page = _html_error(app.post(f"/invite/{token}", data=form), 400)
    assert why in page
    assert app.get(f"/invite/{token}").status_code == 200  # still unused
    assert store.user_by_name(_server(app).accounts, "newbie") is None


def test_one_invitation_posted_four_times_at_once_to_a_real_server_makes_one_account(tmp_path: Path) -> None:
    with serving(tmp_path, owner="olga") as base:
        server = Server(tmp_path, hasher=CHEAP)  # beside the running server, as its owner would
        try:
            olga = store.user_by_name(server.accounts, "olga")
            assert olga is not None
            token = server.invite(server.create_project(olga, "Trial"), olga, "reviewer")
            start = threading.Barrier(4)

            def accept(i: int) -> int:
                with httpx2.Client(base_url=base, timeout=60) as c:
                    found = CSRF.search(c.get(f"/invite/{token}").text)
                    assert found
                    start.wait()
                    form = {"csrf": found.group(1), "name": f"nina{i}", "password": PASSWORD}
                    return c.post(f"/invite/{token}", data=form, follow_redirects=False).status_code

            with ThreadPoolExecutor(4) as pool:
                codes = sorted(pool.map(accept, range(4)))
            assert codes == [303, 400, 400, 400]
            assert len(store.user_names(server.accounts)) == 2  # olga and one nina
        finally:
            server.close()


def test_the_owner_cannot_demote_herself_by_a_direct_post(app: TestClient, site: Site) -> None:
    csrf = sign_in(app, "olga")
    olga = store.user_by_name(_server(app).accounts, "olga")
    assert olga is not None
    page = _html_error(app.post(f"/p/{site.slug}/members",
                                data={"csrf": csrf, "user_id": str(olga.id), "role": "reviewer"}), 400)
    assert "the project&#39;s only owner; make another member owner first" in page
    assert _server(app).role(site.slug, olga) == "owner"


# -- error pages --------------------------------------------------------------------------------

def test_unknown_urls_methods_and_mistyped_fields_answer_an_html_page(app: TestClient, site: Site) -> None:
    app.cookies.clear()
    assert "no such page here" in _html_error(app.get("/no/such/page"), 404)
    assert "no such page here" in _html_error(app.get("/static/nothing.css"), 404)
    csrf = sign_in(app, "olga")
    assert "cannot be used that way" in _html_error(app.get("/logout"), 405)
    page = _html_error(app.post(f"/p/{site.slug}/members", data={"csrf": csrf, "user_id": "abc",
                                                                 "role": "reviewer"}), 400)
    assert "the field &#39;user_id&#39;: input should be a valid integer" in page
    page = _html_error(app.post(f"/p/{site.slug}/members", data={"csrf": csrf, "role": "reviewer"}), 400)
    assert "the field &#39;user_id&#39; is required" in page


def test_error_pages_show_no_server_paths_and_no_command_line_advice(app: TestClient, site: Site) -> None:
    csrf = sign_in(app, "olga")
    nul, undecodable = b"TY  - JOUR\n\x00TI  - x\nER  -\n", b"TY  - JOUR\nTI  - \xff\xfe\x80 x\nER  -\n"
    pages = [
        _html_error(app.post(f"/p/{site.slug}/records", data={"csrf": csrf},
                             files={"file": ("export.ris", nul)}), 400),
        _html_error(app.post(f"/p/{site.slug}/records", data={"csrf": csrf},
                             files={"file": ("export.ris", undecodable)}), 400),
        _html_error(app.post(f"/p/{site.slug}/screen", data={"csrf": csrf, "record_id": "999999",
                                                             "decision": "include"}), 400),
        _html_error(app.get(f"/p/{site.slug}/fulltext/999999"), 400)]
    assert "export.ris, line 2: the file contains NUL bytes" in pages[0]  # the name the user uploaded
    assert "save the file as UTF-8 text and upload it again" in pages[1]
    assert "no record 999999 in this project; it may have been removed" in pages[2]
    for page in pages:
        message = re.search(r'<p class="error">(.*?)</p>', page, re.S)
        assert message, page
        server_side = r"/tmp|/home|/work|\.evisynth|--[a-z]|evisynth [a-z]+ [a-z]+"
        assert not re.search(server_side, message.group(1)), message.group(1)
        assert str(site.data_dir) not in page


# -- headers and next ----------------------------------------------------------------------------

def test_pages_are_not_cached_sniffed_or_referred(app: TestClient, site: Site) -> None:
    app.cookies.clear()
    responses = [app.get("/login"), app.get("/no/such/page"), app.get("/projects", follow_redirects=False)]
    sign_in(app, "rui")
    responses += [app.get(f"/p/{site.slug}/screen"), app.get(f"/p/{site.slug}/prisma.svg")]
    for r in responses:
        assert r.headers["cache-control"] == "no-store", r.url
        assert r.headers["x-content-type-options"] == "nosniff", r.url
        assert r.headers["referrer-policy"] == "same-origin", r.url
    static = app.get("/static/app.css")
    assert static.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in static.headers.get("cache-control", "")


def test_signing_in_keeps_the_query_string_of_next(app: TestClient, site: Site) -> None:
    app.cookies.clear()
    wanted = f"/p/{site.slug}/screen?stage=ft&order=relevance"
    r = app.get(wanted, follow_redirects=False)
    assert r.status_code == 303
    login = r.headers["location"]
    assert unquote(login.split("next=", 1)[1]) == wanted
    token = csrf_of(page := app.get(login).text)
    found = re.search(r'name="next" value="([^"]+)"', page)
    assert found and found.group(1).replace("&amp;", "&") == wanted
    r = app.post("/login", data={"name": "rita", "password": PASSWORD, "csrf": token, "next": wanted},
                 follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == wanted


def test_an_unexpected_error_is_an_html_page_that_tells_nothing_of_the_server(
        site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from evisynth.services import workspace

    def broken(*_args: object) -> None:
        raise RuntimeError(f"cannot open {site.data_dir}/projects/secret.evisynth")

    monkeypatch.setattr(workspace, "prisma_counts", broken)
    with TestClient(create_app(Settings(site.data_dir)), base_url="https://testserver",
                    raise_server_exceptions=False) as client:
        sign_in(client, "rui")
        page = _html_error(client.get(f"/p/{site.slug}/prisma"), 500)
    assert "something went wrong on the server" in page
    assert "secret" not in page and "RuntimeError" not in page
    assert "secret.evisynth" in caplog.text  # the owner finds it in the log


@pytest.mark.parametrize(("message", "shown"), [
    ("/srv/team/projects/trial.evisynth: the database is locked", "this project: the database is locked"),
    ("cannot open the project '/srv/team/projects/trial.evisynth'", "cannot open this project"),
    ("no record 5 in project /srv/a b/trial.evisynth; nothing was stored", "no record 5 in this project; "
     "nothing was stored"),
    ("/tmp/tmpab12/upload.ris, line 3: the file is not valid utf-8 (byte 7); pass the right --encoding",
     "the uploaded file, line 3: the file is not valid utf-8 (byte 7); save the file as UTF-8 text and "
     "upload it again"),
    ("cannot tell the format of this .txt; pass --format with one of ris, nbib",
     "cannot tell the format of this .txt; give the file the extension of its format, one of ris, nbib"),
    ("no study 'X' (evisynth study list)", "no study 'X'"),
    ("value refused; run evisynth extract set --replace to change it; nothing was stored",
     "value refused; nothing was stored"),
    ("cannot read team/projects/trial.evisynth", "cannot read this project"),
    ("CSV/TSV/XLSX only, and/or 1/2 of it", "CSV/TSV/XLSX only, and/or 1/2 of it")])
def test_web_messages_drop_paths_and_command_line_advice(message: str, shown: str) -> None:
    from evisynth.web.errors import web_message

    assert web_message(message, server_folders=(Path("/srv/a b"), Path("team"))) == shown
