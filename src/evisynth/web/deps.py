"""What every router shares: the settings, the server, rendering, the CSRF check, the signed-in
user and their role in the project.

Security on every request: a server-side session (cookie ``evisynth_session``: random token,
HttpOnly, SameSite=Lax, Secure unless turned off for plain http on 127.0.0.1), a CSRF token
checked on every POST (the session's, or before login a double-submit cookie), and the
user's role in the project checked before anything of the project is read: a project the
user does not belong to answers 404, a page their role may not use 403.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment

from evisynth.services.accounts import Server, SessionInfo
from evisynth.storage.project import Project

SESSION_COOKIE = "evisynth_session"
CSRF_COOKIE = "evisynth_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The confirmation a page shows after an action (``?done=KEY&n=N`` on the redirect).
NOTICES = {
    "protocol": "Protocol saved.", "outcome": "Outcome added to the protocol.",
    "studies": "{n} studies made from the records included at full text.",
    "join": "Studies joined into one.", "split": "Reports moved into a new study.",
    "arm": "Arm added to {n} studies.", "values": "{n} values saved as yours.",
    "resolved": "Discrepancy resolved: the arbiter’s value stands.", "analysis": "Analysis saved.",
    "characteristic": "Study characteristic saved.", "study": "Study design and setting saved.",
    "arm-details": "Arm details saved.", "grade": "GRADE saved: the report shows it.",
    "imported": "{n} records imported.", "dedup": "Deduplication run: {n} new links.",
    "accepted": "Duplicate accepted.", "rejected": "Not duplicates: the records are kept apart.",
    "changed": "Your decision was changed; the earlier one stays in the record's history.",
    "assigned": "{n} records assigned.", "unassigned": "The batch was emptied.",
    "removed": "Member removed from the project.", "revoked": "Invitation revoked: its link no longer works.",
    "password": "Password changed; your other sessions were signed out.",
}


@dataclass(frozen=True)
class Settings:
    """``data_dir``: the server's folder (accounts, projects, uploads); ``database``: a
    PostgreSQL URL for the accounts instead of ``data_dir/server.evisynth``;
    ``secure_cookies``: send cookies over HTTPS only (turn off only for http on loopback);
    ``max_upload_bytes``: the largest upload accepted; ``trusted_proxies``: the reverse
    proxies (IP addresses or networks) whose X-Forwarded-For/-Proto are believed."""

    data_dir: Path
    database: str | None = None
    secure_cookies: bool = True
    max_upload_bytes: int = 25 * 1024 * 1024
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """A request inside a project: who, which project, with which role."""

    session: SessionInfo
    slug: str
    role: str
    title: str
    server: Server

    @property
    def name(self) -> str:
        return self.session.user.name

    @property
    def project(self) -> Project:
        """The project's store."""
        return self.server.project(self.slug)


class Page(HTTPException):
    """An error page: ``Page(status, message)`` (rendered by ``web.errors``)."""


def get_server(request: Request) -> Server:
    server: Server = request.app.state.server
    return server


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ServerDep = Annotated[Server, Depends(get_server)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def render(request: Request, template: str, code: int = 200, **ctx: Any) -> HTMLResponse:
    """``template`` rendered with the signed-in user and the CSRF token for its forms."""
    server, settings = get_server(request), get_settings(request)
    env: Environment = request.app.state.templates
    found = server.session(request.cookies.get(SESSION_COOKIE))
    csrf = found.csrf if found else request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    ctx.setdefault("notice", _notice(request))
    html = env.get_template(template).render(user=found.user if found else None, csrf=csrf, **ctx)
    response = HTMLResponse(html, status_code=code)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; object-src 'self'; frame-src 'self'")
    if not found and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="lax",
                            secure=settings.secure_cookies)
    return response


def _notice(request: Request) -> str:
    text = NOTICES.get(request.query_params.get("done", ""), "")
    n = request.query_params.get("n", "")
    return text.format(n=n if n.isdigit() else "some")


def done(url: str, key: str, n: int | None = None) -> RedirectResponse:
    """See ``url`` with the confirmation NOTICES[key] (303, after a POST)."""
    sep = "&" if "?" in url else "?"
    return back(f"{url}{sep}done={key}" + (f"&n={n}" if n is not None else ""))


async def verify_csrf(request: Request) -> None:
    """Refuse a POST whose form (or X-CSRF-Token header) lacks the session's token."""
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    sent = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
    found = get_server(request).session(request.cookies.get(SESSION_COOKIE))
    expected = found.csrf if found else request.cookies.get(CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "the form's security token is missing or stale; reload the page")


def signed_in(request: Request, server: ServerDep) -> SessionInfo:
    found = server.session(request.cookies.get(SESSION_COOKIE))
    if found is None:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, headers={"Location": "/login?next=" + quote(wanted, safe="/")})
    return found


User = Annotated[SessionInfo, Depends(signed_in)]


def member(*roles: str) -> Callable[[str, SessionInfo, Server], Context]:
    """A dependency: the user's Context in project ``slug``, if their role is one of ``roles``
    (any role when none is given)."""
    def check(slug: str, session: User, server: ServerDep) -> Context:
        role = server.role(slug, session.user)
        if role is None:  # unknown project, or not theirs: the same answer
            raise Page(404, "no such project among yours")
        if roles and role not in roles:
            raise Page(403, f"your role in this project ({role}) cannot do this")
        return Context(session, slug, role, server.web_project(slug).title, server)
    return check


Member = Annotated[Context, Depends(member())]
Screener = Annotated[Context, Depends(member("owner", "reviewer"))]
Arbiter = Annotated[Context, Depends(member("owner", "arbiter"))]
Owner = Annotated[Context, Depends(member("owner"))]


def back(url: str) -> RedirectResponse:
    """See ``url`` (303, after a POST)."""
    return RedirectResponse(url, status_code=303)


def local(path: str) -> str:
    """``path`` if it stays on this site ("/..." but not "//host" or "/\\host"), else /projects."""
    ok = path.startswith("/") and path[1:2] not in ("/", "\\") and "\n" not in path and "\r" not in path
    return path if ok else "/projects"


async def read_upload(settings: Settings, file: Any) -> bytes:
    """The bytes of an uploaded file, refused (413) above ``settings.max_upload_bytes``."""
    data: bytes = await file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise Page(413, f"the file is larger than {settings.max_upload_bytes // 2**20} MiB")
    return data
