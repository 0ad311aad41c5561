"""``create_app(settings)``: the FastAPI application served by ``evisynth serve``.

Security on every request: a server-side session (cookie ``evisynth_session``: random token,
HttpOnly, SameSite=Lax, Secure unless turned off for plain http on 127.0.0.1), a CSRF token
checked on every POST (the session's, or before login a double-submit cookie), and the
user's role in the project checked before anything of the project is read: a project the
user does not belong to answers 404, a page their role may not use 403.
"""


import secrets
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from evisynth.review.appraisal import ROB1_DOMAINS
from evisynth.review.errors import DomainError
from evisynth.services import screening as screening_services
from evisynth.services import workspace
from evisynth.services.accounts import AuthError, Server, SessionInfo, ThrottledError
from evisynth.storage.errors import StorageError
from evisynth.web.errors import install_error_pages
from evisynth.web.headers import install_headers
from evisynth.web.limits import FormSizeLimit, limit_fields

SESSION_COOKIE = "evisynth_session"
CSRF_COOKIE = "evisynth_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Reasons offered for an exclusion when the protocol lists no exclusion criteria.
DEFAULT_REASONS = ("wrong population", "wrong intervention", "wrong comparator", "wrong outcome",
                   "wrong study design", "duplicate publication", "other")
DECISIONS = ("include", "exclude", "maybe")
#: The answers offered to a RoB 2 signalling question ("" = not answered yet).
ROB2_ANSWERS = ("", "Y", "PY", "PN", "N", "NI", "NA")


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

    @property
    def name(self) -> str:
        return self.session.user.name


class _Page(HTTPException):
    """An error page: ``_Page(status, message)`` (rendered by ``web.errors``)."""


def create_app(settings: Settings) -> FastAPI:
    server = Server(Path(settings.data_dir), settings.database)
    env = Environment(loader=PackageLoader("evisynth.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        server.close()

    async def verify_csrf(request: Request) -> None:
        if request.method in SAFE_METHODS:
            return
        form = await request.form()
        sent = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
        found = server.session(request.cookies.get(SESSION_COOKIE))
        expected = found.csrf if found else request.cookies.get(CSRF_COOKIE, "")
        if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
            raise HTTPException(403, "the form's security token is missing or stale; reload the page")

    app = FastAPI(title="evisynth", lifespan=lifespan,
                  dependencies=[Depends(verify_csrf), Depends(limit_fields)],
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.server = server
    app.mount("/static", StaticFiles(packages=[("evisynth.web", "static")]), name="static")

    def render(request: Request, template: str, code: int = 200, **ctx: Any) -> HTMLResponse:
        found = server.session(request.cookies.get(SESSION_COOKIE))
        csrf = found.csrf if found else request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        html = env.get_template(template).render(user=found.user if found else None, csrf=csrf, **ctx)
        response = HTMLResponse(html, status_code=code)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; object-src 'self'; frame-src 'self'")
        if not found and not request.cookies.get(CSRF_COOKIE):
            response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="lax",
                                secure=settings.secure_cookies)
        return response

    install_error_pages(app, render, server_folders=(settings.data_dir,))
    install_headers(app, settings.trusted_proxies)
    app.add_middleware(FormSizeLimit)

    def signed_in(request: Request) -> SessionInfo:
        found = server.session(request.cookies.get(SESSION_COOKIE))
        if found is None:
            wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise HTTPException(303, headers={"Location": "/login?next=" + quote(wanted, safe="/")})
        return found

    User = Annotated[SessionInfo, Depends(signed_in)]

    def member(*roles: str) -> Callable[[str, SessionInfo], Context]:
        def check(slug: str, session: User) -> Context:
            role = server.role(slug, session.user)
            if role is None:  # unknown project, or not theirs: the same answer
                raise _Page(404, "no such project among yours")
            if roles and role not in roles:
                raise _Page(403, f"your role in this project ({role}) cannot do this")
            return Context(session, slug, role, server.web_project(slug).title)
        return check

    Member = Annotated[Context, Depends(member())]
    Screener = Annotated[Context, Depends(member("owner", "reviewer"))]
    Arbiter = Annotated[Context, Depends(member("owner", "arbiter"))]
    Owner = Annotated[Context, Depends(member("owner"))]

    def back(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    # -- sign in -----------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        if server.session(request.cookies.get(SESSION_COOKIE)) is None:
            return back("/login")
        return back("/projects")

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/projects") -> HTMLResponse:
        return render(request, "login.html", next=_local(next))

    @app.post("/login")
    def login(request: Request, name: Annotated[str, Form()], password: Annotated[str, Form()],
              next: Annotated[str, Form()] = "/projects") -> Response:
        ip = request.client.host if request.client else ""
        try:
            token = server.login(name, password, ip)
        except ThrottledError as exc:
            return render(request, "login.html", 429, error=str(exc), next=next)
        except AuthError as exc:
            return render(request, "login.html", 401, error=str(exc), next=next)
        response = back(_local(next))
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                            secure=settings.secure_cookies)
        return response

    @app.post("/logout")
    def logout(request: Request, session: User) -> Response:
        server.logout(request.cookies.get(SESSION_COOKIE, ""))
        response = back("/login")
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/invite/{token}", response_class=HTMLResponse)
    def invite_page(request: Request, token: str) -> HTMLResponse:
        found = server.invitation(token)
        if found is None:
            raise _Page(404, "this invitation was already used or does not exist")
        return render(request, "invite.html", token=token, slug=found[0], role=found[1])

    @app.post("/invite/{token}")
    def invite_accept(request: Request, token: str, name: Annotated[str, Form()] = "",
                      password: Annotated[str, Form()] = "") -> Response:
        found = server.session(request.cookies.get(SESSION_COOKIE))
        if found is not None:
            slug, _role = server.accept(token, found.user)
            return back(f"/p/{slug}")
        server.register(token, name, password)
        return login(request, name, password, "/projects")

    # -- projects ----------------------------------------------------------------------

    @app.get("/projects", response_class=HTMLResponse)
    def projects(request: Request, session: User) -> HTMLResponse:
        return render(request, "projects.html", projects=server.projects_of(session.user))

    @app.post("/projects")
    def create_project(session: User, title: Annotated[str, Form()],
                       language: Annotated[str, Form()] = "en") -> Response:
        if not session.user.is_admin:
            raise _Page(403, "only the server's owner account can create projects")
        return back(f"/p/{server.create_project(session.user, title, language)}")

    @app.get("/p/{slug}", response_class=HTMLResponse)
    def project_home(request: Request, ctx: Member, invited: str = "") -> HTMLResponse:
        project = server.project(ctx.slug)
        policy, words = screening_services.settings(project, ctx.name)
        protocol = project.load_review().protocol
        return render(request, "project.html", ctx=ctx, members=server.members(ctx.slug), protocol=protocol,
                      inclusion=workspace.criteria_text(protocol.inclusion),
                      exclusion=workspace.criteria_text(protocol.exclusion),
                      counts=workspace.prisma_counts(project), policy=policy, words=words,
                      invited=invited, base=str(request.base_url).rstrip("/"))

    @app.post("/p/{slug}/invite")
    def invite(ctx: Owner, role: Annotated[str, Form()]) -> Response:
        token = server.invite(ctx.slug, ctx.session.user, role)
        return back(f"/p/{ctx.slug}?invited={quote(token)}")

    @app.post("/p/{slug}/protocol")
    def protocol(ctx: Owner, question: Annotated[str, Form()] = "", inclusion: Annotated[str, Form()] = "",
                 exclusion: Annotated[str, Form()] = "") -> Response:
        workspace.save_protocol(server.project(ctx.slug), ctx.name, question=question, inclusion=inclusion,
                                exclusion=exclusion)
        return back(f"/p/{ctx.slug}")

    @app.post("/p/{slug}/members")
    def member_role(ctx: Owner, user_id: Annotated[int, Form()], role: Annotated[str, Form()]) -> Response:
        if not any(m.user_id == user_id for m in server.members(ctx.slug)):
            raise _Page(404, "no such member in this project")
        server.set_role(ctx.slug, ctx.session.user, user_id, role)
        return back(f"/p/{ctx.slug}")

    @app.post("/p/{slug}/settings")
    def project_settings(ctx: Owner, include: Annotated[str, Form()] = "",
                         exclude: Annotated[str, Form()] = "",
                         reviewers: Annotated[int | None, Form()] = None) -> Response:
        screening_services.settings(server.project(ctx.slug), ctx.name, reviewers=reviewers,
                                    include=_words(include), exclude=_words(exclude))
        return back(f"/p/{ctx.slug}")

    @app.post("/p/{slug}/records")
    async def upload_records(ctx: Owner, file: UploadFile, source: Annotated[str, Form()] = "") -> Response:
        data = await file.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise _Page(413, f"the file is larger than {settings.max_upload_bytes // 2**20} MiB")
        suffix = Path(file.filename or "upload.txt").suffix[:10]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            workspace.import_records(server.project(ctx.slug), str(path), ctx.name, source)
        return back(f"/p/{ctx.slug}")

    # -- screening -----------------------------------------------------------------------

    @app.get("/p/{slug}/screen", response_class=HTMLResponse)
    def screen(request: Request, ctx: Screener, stage: str = "ta", record: int | None = None,
               last: int | None = None, order: str = "id") -> HTMLResponse:
        if order not in ("id", "relevance"):
            raise _Page(400, "order must be id or relevance")
        view = workspace.screen_view(server.project(ctx.slug), ctx.name, stage, prefer=record,
                                     relevance=order == "relevance")
        reasons = [(c.id, c.text) for c in view.exclusion] or [(r, r) for r in DEFAULT_REASONS]
        return render(request, "screen.html", ctx=ctx, view=view, reasons=reasons, last=last, order=order)

    @app.post("/p/{slug}/screen")
    def decide(ctx: Screener, record_id: Annotated[int, Form()], decision: Annotated[str, Form()],
               stage: Annotated[str, Form()] = "ta", reason: Annotated[str, Form()] = "",
               order: Annotated[str, Form()] = "id") -> Response:
        if decision not in DECISIONS:
            raise _Page(400, f"decision must be one of {', '.join(DECISIONS)}")
        try:
            screening_services.decide(server.project(ctx.slug), record_id, stage, ctx.name, decision,
                                      reason if decision == "exclude" else "")
        except StorageError as exc:
            raise _Page(409, str(exc)) from exc
        return back(f"/p/{ctx.slug}/screen?stage={quote(stage)}&last={record_id}&order={quote(order)}")

    @app.post("/p/{slug}/screen/undo")
    def undo(ctx: Screener, record_id: Annotated[int, Form()], stage: Annotated[str, Form()] = "ta",
             order: Annotated[str, Form()] = "id") -> Response:
        workspace.undo(server.project(ctx.slug), ctx.name, stage, record_id)
        return back(f"/p/{ctx.slug}/screen?stage={quote(stage)}&record={record_id}&order={quote(order)}")

    @app.get("/p/{slug}/conflicts", response_class=HTMLResponse)
    def conflict_page(request: Request, ctx: Arbiter, stage: str | None = None) -> HTMLResponse:
        return render(request, "conflicts.html", ctx=ctx,
                      conflicts=workspace.conflict_views(server.project(ctx.slug), stage))

    @app.post("/p/{slug}/conflicts")
    def resolve(ctx: Arbiter, record_id: Annotated[int, Form()], stage: Annotated[str, Form()],
                decision: Annotated[str, Form()], reason: Annotated[str, Form()] = "") -> Response:
        if decision not in ("include", "exclude"):
            raise _Page(400, "an arbiter includes or excludes")
        screening_services.resolve(server.project(ctx.slug), record_id, stage, ctx.name, decision, reason)
        return back(f"/p/{ctx.slug}/conflicts")

    @app.post("/p/{slug}/fulltext/{record_id}")
    async def upload_pdf(ctx: Screener, record_id: int, file: UploadFile,
                         stage: Annotated[str, Form()] = "ft") -> Response:
        data = await file.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise _Page(413, f"the file is larger than {settings.max_upload_bytes // 2**20} MiB")
        workspace.attach_pdf(server.project(ctx.slug), server.files_dir(ctx.slug), record_id, data, ctx.name,
                             max_bytes=settings.max_upload_bytes)
        return back(f"/p/{ctx.slug}/screen?stage={quote(stage)}&record={record_id}")

    @app.get("/p/{slug}/fulltext/{record_id}")
    def show_pdf(ctx: Member, record_id: int) -> Response:
        path = workspace.pdf_of(server.project(ctx.slug), server.files_dir(ctx.slug), record_id)
        return FileResponse(path, media_type="application/pdf",
                            headers={"Content-Disposition": "inline", "X-Content-Type-Options": "nosniff"})

    # -- PRISMA and report ------------------------------------------------------------------

    @app.get("/p/{slug}/prisma", response_class=HTMLResponse)
    def prisma_page(request: Request, ctx: Member) -> HTMLResponse:
        counts = workspace.prisma_counts(server.project(ctx.slug))
        return render(request, "prisma.html", ctx=ctx, counts=counts)

    @app.get("/p/{slug}/prisma.svg")
    def prisma_svg(ctx: Member) -> Response:
        return Response(workspace.prisma_svg(server.project(ctx.slug)), media_type="image/svg+xml")

    # -- analysis, extraction, report ----------------------------------------------------

    @app.get("/p/{slug}/analysis", response_class=HTMLResponse)
    def analysis(request: Request, ctx: Member, outcome: str = "", measure: str = "",
                 model: str = "random", preset: str = "revman5") -> HTMLResponse:
        view = workspace.analysis_view(server.project(ctx.slug), outcome, measure, model, preset)
        return render(request, "analysis.html", ctx=ctx, view=view, measures=workspace.MEASURES,
                      models=workspace.MODELS, presets=tuple(workspace.PRESETS))

    @app.get("/p/{slug}/extraction", response_class=HTMLResponse)
    def extraction(request: Request, ctx: Member, first: str = "", second: str = "") -> HTMLResponse:
        view = workspace.extraction_view(server.project(ctx.slug), first, second)
        return render(request, "extraction.html", ctx=ctx, view=view, statistics=workspace.STATISTICS,
                      first=first, second=second)

    @app.post("/p/{slug}/extraction")
    def enter_value(ctx: Screener, study: Annotated[str, Form()], outcome: Annotated[str, Form()],
                    timepoint: Annotated[str, Form()], statistic: Annotated[str, Form()],
                    value: Annotated[float, Form()], arm: Annotated[str, Form()] = "",
                    location: Annotated[str, Form()] = "", unit: Annotated[str, Form()] = "") -> Response:
        workspace.enter_value(server.project(ctx.slug), study=study, arm=arm, outcome=outcome,
                              timepoint=timepoint, statistic=statistic, value=value, extractor=ctx.name,
                              location=location, unit=unit)
        return back(f"/p/{ctx.slug}/extraction")

    @app.get("/p/{slug}/rob", response_class=HTMLResponse)
    def rob(request: Request, ctx: Member, study: str = "") -> HTMLResponse:
        view = workspace.rob_view(server.project(ctx.slug), study)
        return render(request, "rob.html", ctx=ctx, view=view)

    @app.post("/p/{slug}/rob")
    async def save_rob(request: Request, ctx: Screener) -> Response:
        form = await request.form()
        study = str(form.get("study", ""))
        answers = {d: {"judgement": str(form.get(f"{d}.judgement", "")),
                       "support": str(form.get(f"{d}.support", "")),
                       "location": str(form.get(f"{d}.location", ""))}
                   for d in ROB1_DOMAINS}
        workspace.save_rob1(server.project(ctx.slug), study, answers, ctx.name)
        return back(f"/p/{ctx.slug}/rob?study={quote(study)}")

    @app.get("/p/{slug}/rob2", response_class=HTMLResponse)
    def rob2(request: Request, ctx: Member, study: str = "", copy: str = "agreed") -> HTMLResponse:
        view = workspace.rob2_view(server.project(ctx.slug), study, user_id=ctx.session.user.id, copy=copy)
        return render(request, "rob2.html", ctx=ctx, view=view, answers=ROB2_ANSWERS)

    @app.post("/p/{slug}/rob2")
    async def save_rob2(request: Request, ctx: Screener) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        study, copy = form.get("study", ""), form.get("copy", "agreed")
        data = workspace.rob2_form(form)
        project, user_id = server.project(ctx.slug), ctx.session.user.id
        try:
            workspace.save_rob2(project, study, data, ctx.name, copy=copy, user_id=user_id)
        except (DomainError, StorageError) as exc:  # the form again, with what was entered
            view = workspace.rob2_view(project, study, user_id=user_id, copy=copy, entered=data,
                                       error=str(exc))
            return render(request, "rob2.html", 400, ctx=ctx, view=view, answers=ROB2_ANSWERS)
        return back(f"/p/{ctx.slug}/rob2?study={quote(study)}&copy={quote(copy)}")

    @app.get("/p/{slug}/report.html")
    def report(ctx: Member) -> Response:
        html = workspace.report_html(server.project(ctx.slug))
        disposition = f'attachment; filename="{ctx.slug}-report.html"'
        return HTMLResponse(html, headers={"Content-Disposition": disposition,
                                           "Content-Security-Policy": "script-src 'none'"})

    @app.get("/p/{slug}/report.docx")
    def report_docx(ctx: Member) -> Response:
        return Response(workspace.report_docx(server.project(ctx.slug)),
                        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        headers={"Content-Disposition": f'attachment; filename="{ctx.slug}-report.docx"'})

    return app


def _local(path: str) -> str:
    """``path`` if it stays on this site ("/..." but not "//host" or "/\\host"), else /projects."""
    ok = path.startswith("/") and path[1:2] not in ("/", "\\") and "\n" not in path and "\r" not in path
    return path if ok else "/projects"


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.replace("\n", ",").split(",") if w.strip())
