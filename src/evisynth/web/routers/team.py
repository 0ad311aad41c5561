"""The owner's team page (progress, Cohen's kappa, batches, members, invitations), the
project's audit log, and every user's password."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from evisynth.review.errors import DomainError
from evisynth.services import team
from evisynth.services.accounts import AuthError
from evisynth.web.deps import SESSION_COOKIE, Owner, Page, ServerDep, User, back, done, render

router = APIRouter()


def _member(ctx: Owner, user_id: int) -> str:
    found = next((m for m in ctx.server.members(ctx.slug) if m.user_id == user_id), None)
    if found is None:
        raise Page(404, "no such member in this project")
    return found.name


@router.get("/p/{slug}/team", response_class=HTMLResponse)
def team_page(request: Request, ctx: Owner, invited: str = "") -> HTMLResponse:
    members = ctx.server.members(ctx.slug)
    screeners = [m.name for m in members if m.role in ("owner", "reviewer")]
    return render(request, "team.html", ctx=ctx, members=members,
                  progress=team.progress(ctx.project, screeners),
                  invitations=ctx.server.invitations(ctx.slug), invited=invited,
                  base=str(request.base_url).rstrip("/"))


@router.post("/p/{slug}/team/assign")
def assign(ctx: Owner, user_id: Annotated[int, Form()], count: Annotated[int, Form()] = 0,
           contains: Annotated[str, Form()] = "", stage: Annotated[str, Form()] = "ta") -> Response:
    added = team.assign(ctx.project, ctx.name, _member(ctx, user_id), stage=stage, count=count,
                        contains=contains)
    return done(f"/p/{ctx.slug}/team", "assigned", len(added))


@router.post("/p/{slug}/team/unassign")
def unassign(ctx: Owner, user_id: Annotated[int, Form()]) -> Response:
    team.unassign(ctx.project, ctx.name, _member(ctx, user_id))
    return done(f"/p/{ctx.slug}/team", "unassigned")


@router.post("/p/{slug}/members/remove")
def remove_member(ctx: Owner, user_id: Annotated[int, Form()]) -> Response:
    _member(ctx, user_id)
    ctx.server.remove_member(ctx.slug, ctx.session.user, user_id)
    if user_id == ctx.session.user.id:  # an owner who left: the project is no longer theirs
        return back("/projects")
    return done(f"/p/{ctx.slug}/team", "removed")


@router.post("/p/{slug}/invitations/revoke")
def revoke(ctx: Owner, invitation: Annotated[str, Form()]) -> Response:
    ctx.server.revoke(ctx.slug, ctx.session.user, invitation)
    return done(f"/p/{ctx.slug}/team", "revoked")


@router.post("/p/{slug}/invitations/reissue")
def reissue(ctx: Owner, invitation: Annotated[str, Form()]) -> Response:
    token = ctx.server.reissue(ctx.slug, ctx.session.user, invitation)
    return back(f"/p/{ctx.slug}/team?invited={token}")


@router.get("/p/{slug}/audit", response_class=HTMLResponse)
def audit(request: Request, ctx: Owner, page: int = 1) -> HTMLResponse:
    return render(request, "audit.html", ctx=ctx, found=team.audit_log(ctx.project, page))


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, session: User) -> HTMLResponse:
    return render(request, "password.html")


@router.post("/account/password")
def change_password(request: Request, server: ServerDep, session: User, current: Annotated[str, Form()],
                    new: Annotated[str, Form()], again: Annotated[str, Form()]) -> Response:
    if new != again:
        return render(request, "password.html", 400,
                      error="the two new passwords differ; nothing was changed")
    try:
        server.change_password(session.user, current, new, request.cookies.get(SESSION_COOKIE, ""))
    except DomainError as exc:  # a wrong current password (AuthError) or the password policy
        return render(request, "password.html", 403 if isinstance(exc, AuthError) else 400, error=str(exc))
    return done("/account/password", "password")
