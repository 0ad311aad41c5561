"""Appraisal: RoB 1, Jadad and RoB 2 per study, each by two assessors blinded to each other
(``copy=mine``: an assessor sees only their own until both have assessed), then agreed
(``copy=agreed``: the disagreements listed, the agreed judgement recorded and audited)."""

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from evisynth.review.appraisal import ROB1_DOMAINS
from evisynth.review.errors import DomainError
from evisynth.services import workspace
from evisynth.storage.errors import StorageError
from evisynth.web.deps import Member, Screener, back, render

router = APIRouter()

#: The answers offered to a RoB 2 signalling question ("" = not answered yet).
ROB2_ANSWERS = ("", "Y", "PY", "PN", "N", "NI", "NA")


@router.get("/p/{slug}/rob", response_class=HTMLResponse)
def rob(request: Request, ctx: Member, study: str = "", copy: str = "agreed") -> HTMLResponse:
    view = workspace.rob_view(ctx.project, study, user_id=ctx.session.user.id, copy=copy)
    return render(request, "rob.html", ctx=ctx, view=view)


@router.post("/p/{slug}/rob")
async def save_rob(request: Request, ctx: Screener) -> Response:
    form = await request.form()
    study, copy = str(form.get("study", "")), str(form.get("copy", "agreed"))
    answers = {d: {"judgement": str(form.get(f"{d}.judgement", "")),
                   "support": str(form.get(f"{d}.support", "")),
                   "location": str(form.get(f"{d}.location", ""))}
               for d in ROB1_DOMAINS}
    workspace.save_rob1(ctx.project, study, answers, ctx.name, copy=copy, user_id=ctx.session.user.id)
    return back(f"/p/{ctx.slug}/rob?study={quote(study)}&copy={quote(copy)}")


@router.get("/p/{slug}/jadad", response_class=HTMLResponse)
def jadad(request: Request, ctx: Member, study: str = "", copy: str = "agreed") -> HTMLResponse:
    view = workspace.jadad_view(ctx.project, study, user_id=ctx.session.user.id, copy=copy)
    return render(request, "jadad.html", ctx=ctx, view=view, items=workspace.JADAD_ITEMS)


@router.post("/p/{slug}/jadad")
async def save_jadad(request: Request, ctx: Screener) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    study, copy = form.get("study", ""), form.get("copy", "agreed")
    workspace.save_jadad(ctx.project, study, workspace.jadad_form(form), ctx.name, copy=copy,
                         user_id=ctx.session.user.id)
    return back(f"/p/{ctx.slug}/jadad?study={quote(study)}&copy={quote(copy)}")


@router.get("/p/{slug}/rob2", response_class=HTMLResponse)
def rob2(request: Request, ctx: Member, study: str = "", copy: str = "agreed") -> HTMLResponse:
    view = workspace.rob2_view(ctx.project, study, user_id=ctx.session.user.id, copy=copy)
    return render(request, "rob2.html", ctx=ctx, view=view, answers=ROB2_ANSWERS)


@router.post("/p/{slug}/rob2")
async def save_rob2(request: Request, ctx: Screener) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    study, copy = form.get("study", ""), form.get("copy", "agreed")
    data = workspace.rob2_form(form)
    project, user_id = ctx.project, ctx.session.user.id
    try:
        workspace.save_rob2(project, study, data, ctx.name, copy=copy, user_id=user_id)
    except (DomainError, StorageError) as exc:  # the form again, with what was entered
        view = workspace.rob2_view(project, study, user_id=user_id, copy=copy, entered=data,
                                   error=str(exc))
        return render(request, "rob2.html", 400, ctx=ctx, view=view, answers=ROB2_ANSWERS)
    return back(f"/p/{ctx.slug}/rob2?study={quote(study)}&copy={quote(copy)}")
