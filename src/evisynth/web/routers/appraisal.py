"""Risk of bias: RoB 1 (one agreed table per study) and RoB 2 (blinded copies, then agreed)."""

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
def rob(request: Request, ctx: Member, study: str = "") -> HTMLResponse:
    view = workspace.rob_view(ctx.project, study)
    return render(request, "rob.html", ctx=ctx, view=view)


@router.post("/p/{slug}/rob")
async def save_rob(request: Request, ctx: Screener) -> Response:
    form = await request.form()
    study = str(form.get("study", ""))
    answers = {d: {"judgement": str(form.get(f"{d}.judgement", "")),
                   "support": str(form.get(f"{d}.support", "")),
                   "location": str(form.get(f"{d}.location", ""))}
               for d in ROB1_DOMAINS}
    workspace.save_rob1(ctx.project, study, answers, ctx.name)
    return back(f"/p/{ctx.slug}/rob?study={quote(study)}")


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
