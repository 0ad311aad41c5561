"""The project list and a project's home page (members, protocol, screening settings)."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from evisynth.services import screening as screening_services
from evisynth.services import workspace
from evisynth.web.deps import Member, Owner, Page, ServerDep, User, back, render

router = APIRouter()


@router.get("/projects", response_class=HTMLResponse)
def projects(request: Request, server: ServerDep, session: User) -> HTMLResponse:
    return render(request, "projects.html", projects=server.projects_of(session.user))


@router.post("/projects")
def create_project(server: ServerDep, session: User, title: Annotated[str, Form()],
                   language: Annotated[str, Form()] = "en") -> Response:
    if not session.user.is_admin:
        raise Page(403, "only the server's owner account can create projects")
    return back(f"/p/{server.create_project(session.user, title, language)}")


@router.get("/p/{slug}", response_class=HTMLResponse)
def project_home(request: Request, ctx: Member, invited: str = "") -> HTMLResponse:
    project = ctx.project
    policy, words = screening_services.settings(project, ctx.name)
    protocol = project.load_review().protocol
    return render(request, "project.html", ctx=ctx, members=ctx.server.members(ctx.slug), protocol=protocol,
                  inclusion=workspace.criteria_text(protocol.inclusion),
                  exclusion=workspace.criteria_text(protocol.exclusion),
                  counts=workspace.prisma_counts(project), policy=policy, words=words,
                  invited=invited, base=str(request.base_url).rstrip("/"))


@router.post("/p/{slug}/invite")
def invite(ctx: Owner, role: Annotated[str, Form()]) -> Response:
    token = ctx.server.invite(ctx.slug, ctx.session.user, role)
    return back(f"/p/{ctx.slug}?invited={quote(token)}")


@router.post("/p/{slug}/members")
def member_role(ctx: Owner, user_id: Annotated[int, Form()],
                role: Annotated[str, Form()]) -> Response:
    if not any(m.user_id == user_id for m in ctx.server.members(ctx.slug)):
        raise Page(404, "no such member in this project")
    ctx.server.set_role(ctx.slug, ctx.session.user, user_id, role)
    return back(f"/p/{ctx.slug}")


@router.post("/p/{slug}/settings")
def project_settings(ctx: Owner, include: Annotated[str, Form()] = "",
                     exclude: Annotated[str, Form()] = "",
                     reviewers: Annotated[int | None, Form()] = None) -> Response:
    screening_services.settings(ctx.project, ctx.name, reviewers=reviewers,
                                include=_words(include), exclude=_words(exclude))
    return back(f"/p/{ctx.slug}")


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.replace("\n", ",").split(",") if w.strip())
