"""Accounts, sessions, CSRF, throttling, escaping and per-project authorization on every route."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from evisynth.services.accounts import MAX_FAILURES, Server
from tests.web.conftest import PASSWORD, Site, csrf_of, sign_in


def project_routes(client: TestClient) -> list[tuple[str, str]]:
    routes = [(m, r.path) for r in client.app.routes if isinstance(r, APIRoute)  # type: ignore[attr-defined]
              for m in r.methods if "{slug}" in r.path]
    assert len(routes) >= 10, routes
    return routes


def test_passwords_are_stored_as_argon2id_hashes(site: Site) -> None:
    server = Server(site.data_dir)
    try:
        from evisynth.storage.accounts import user_by_name

        user = user_by_name(server.accounts, "rui")
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        # the server's own default: RFC 9106's low-memory profile (64 MiB, t=3, p=4)
        assert Server.__dataclass_fields__["hasher"].default_factory().hash("x").startswith(  # type: ignore[misc]
            "$argon2id$v=19$m=65536,t=3,p=4$")
    finally:
        server.close()


def test_session_cookie_is_httponly_samesite_lax_and_secure(app: TestClient) -> None:
    app.cookies.clear()
    token = csrf_of(app.get("/login").text)
    r = app.post("/login", data={"name": "rui", "password": PASSWORD, "csrf": token}, follow_redirects=False)
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("evisynth_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie


def test_pages_need_a_session(app: TestClient, site: Site) -> None:
    app.cookies.clear()
    r = app.get(f"/p/{site.slug}/screen", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_every_post_without_the_csrf_token_is_refused(app: TestClient, site: Site) -> None:
    sign_in(app, "olga")
    posts = [p for m, p in project_routes(app) if m == "POST"] + ["/projects", "/logout"]
    for path in posts:
        r = app.post(path.replace("{slug}", site.slug), data={"record_id": site.record_ids[0]},
                     follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
        r = app.post(path.replace("{slug}", site.slug), data={"csrf": "forged", "record_id": "1"},
                     follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
    app.cookies.clear()
    assert app.post("/login", data={"name": "olga", "password": PASSWORD}).status_code == 403


@pytest.mark.parametrize("who", ["otto", "stranger"])
def test_outsiders_get_403_or_404_on_every_project_route(app: TestClient, site: Site, who: str) -> None:
    """otto belongs to another project; "stranger" to none (a fresh account)."""
    if who == "stranger":
        server: Server = app.app.state.server  # type: ignore[attr-defined]
        if _user(server, "stranger") is None:
            server.create_user("stranger", PASSWORD)
    csrf = sign_in(app, who)
    form = {"csrf": csrf, "record_id": str(site.record_ids[0]), "decision": "include", "stage": "ta",
            "role": "reviewer", "title": "x", "include": "x"}
    routes = project_routes(app)
    assert {("GET", "/p/{slug}/rob2"), ("POST", "/p/{slug}/rob2")} <= set(routes)
    for method, path in routes:
        url = path.replace("{slug}", site.slug)
        r = app.get(url) if method == "GET" else app.post(url, data=form, follow_redirects=False)
        assert r.status_code in (403, 404), (method, url, r.status_code)
        assert "Vitamin K2" not in r.text
    # and nothing of the project is listed
    assert site.slug not in app.get("/projects").text


def _user(server: Server, name: str) -> object:
    from evisynth.storage.accounts import user_by_name

    return user_by_name(server.accounts, name)


def test_a_reviewer_sees_only_their_projects(app: TestClient, site: Site) -> None:
    sign_in(app, "otto")
    page = app.get("/projects").text
    assert f"/p/{site.other}" in page and f"/p/{site.slug}\"" not in page


def test_roles_limit_pages_within_a_project(app: TestClient, site: Site) -> None:
    csrf = sign_in(app, "rui")  # a reviewer
    assert app.get(f"/p/{site.slug}/conflicts").status_code == 403
    assert app.post(f"/p/{site.slug}/invite", data={"csrf": csrf, "role": "owner"}).status_code == 403
    assert app.post(f"/p/{site.slug}/settings", data={"csrf": csrf, "include": "x"}).status_code == 403
    csrf = sign_in(app, "ari")  # the arbiter does not screen, extract or appraise
    assert app.get(f"/p/{site.slug}/screen").status_code == 403
    assert app.post(f"/p/{site.slug}/rob2", data={"csrf": csrf, "study": "x"}).status_code == 403
    assert app.get(f"/p/{site.slug}/rob2").status_code == 200  # but reads the appraisals
    assert app.get(f"/p/{site.slug}/conflicts").status_code == 200


def test_a_record_title_with_a_script_tag_shows_as_text(app: TestClient, site: Site) -> None:
    sign_in(app, "rita")
    page = app.get(f"/p/{site.slug}/screen?record={site.record_ids[0]}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/app.js">']


def test_login_is_throttled_after_repeated_failures(app: TestClient) -> None:
    server: Server = app.app.state.server  # type: ignore[attr-defined]
    server.create_user("tess", PASSWORD)
    app.cookies.clear()
    token = csrf_of(app.get("/login").text)
    for _ in range(MAX_FAILURES):
        r = app.post("/login", data={"name": "tess", "password": "wrong password", "csrf": token})
        assert r.status_code == 401
    r = app.post("/login", data={"name": "tess", "password": PASSWORD, "csrf": token})
    assert r.status_code == 429  # even the right password, until the window passes
    r = app.post("/login", data={"name": "rita", "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303  # another account is not locked out


def test_an_invitation_works_once(app: TestClient, site: Site) -> None:
    csrf = sign_in(app, "olga")
    r = app.post(f"/p/{site.slug}/invite", data={"csrf": csrf, "role": "reviewer"}, follow_redirects=False)
    token = r.headers["location"].split("invited=")[1]
    app.cookies.clear()
    csrf = csrf_of(app.get(f"/invite/{token}").text)
    r = app.post(f"/invite/{token}", data={"csrf": csrf, "name": "nina", "password": PASSWORD},
                 follow_redirects=False)
    assert r.status_code == 303
    assert app.get(f"/p/{site.slug}").status_code == 200
    app.cookies.clear()
    assert app.get(f"/invite/{token}").status_code == 404


def test_signing_out_ends_the_session_on_the_server(app: TestClient) -> None:
    csrf = sign_in(app, "rita")
    token = app.cookies.get("evisynth_session")
    assert token and app.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    app.cookies.set("evisynth_session", token, domain="testserver")  # a copied cookie is no use
    r = app.get("/projects", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_the_pages_refuse_framing_and_inline_scripts(app: TestClient) -> None:
    r = app.get("/login")
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]


@pytest.mark.parametrize(("wanted", "landing"), [
    ("/p/x/screen", "/p/x/screen"), ("//evil.example", "/projects"), ("/\\evil.example", "/projects"),
    ("https://evil.example", "/projects")])
def test_after_login_only_local_pages_are_reached(app: TestClient, wanted: str, landing: str) -> None:
    app.cookies.clear()
    token = csrf_of(app.get("/login").text)
    r = app.post("/login", data={"name": "rita", "password": PASSWORD, "csrf": token, "next": wanted},
                 follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == landing
