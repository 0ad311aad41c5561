"""Screening (title/abstract and full text), conflicts for the arbiter, full-text PDFs."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response

from evisynth.services import screening as screening_services
from evisynth.services import team, workspace
from evisynth.storage.errors import StorageError
from evisynth.web.deps import Arbiter, Member, Page, Screener, SettingsDep, back, done, read_upload, render

router = APIRouter()

DECISIONS = ("include", "exclude", "maybe")


def get_leases(request: Request) -> team.Leases:
    leases: team.Leases = request.app.state.leases
    return leases


LeasesDep = Annotated[team.Leases, Depends(get_leases)]


def _order(order: str) -> bool:
    if order not in ("id", "relevance"):
        raise Page(400, "order must be id or relevance")
    return order == "relevance"


@router.get("/p/{slug}/screen", response_class=HTMLResponse)
def screen(request: Request, ctx: Screener, leases: LeasesDep, stage: str = "ta", record: int | None = None,
           last: int | None = None, taken: int | None = None, order: str = "id") -> HTMLResponse:
    page = team.screen(ctx.project, leases, ctx.slug, ctx.name, stage, record=record,
                       relevance=_order(order))
    taken_by = () if taken is None else team.taken_by(ctx.project, taken, stage, ctx.name)
    return render(request, "screen.html", ctx=ctx, page=page, view=page.view, reasons=page.reasons,
                  last=last, order=order, taken=taken, taken_by=taken_by)


@router.post("/p/{slug}/screen")
def decide(ctx: Screener, leases: LeasesDep, record_id: Annotated[int, Form()],
           decision: Annotated[str, Form()], stage: Annotated[str, Form()] = "ta",
           reason: Annotated[str, Form()] = "", other: Annotated[str, Form()] = "",
           order: Annotated[str, Form()] = "id") -> Response:
    if decision not in DECISIONS:
        raise Page(400, f"decision must be one of {', '.join(DECISIONS)}")
    _order(order)
    try:
        outcome = team.decide(ctx.project, leases, ctx.slug, record_id, stage, ctx.name, decision, reason,
                              other)
    except StorageError as exc:
        raise Page(409, str(exc)) from exc
    after = "taken" if outcome.taken_by else "last"
    return back(f"/p/{ctx.slug}/screen?stage={quote(stage)}&{after}={record_id}&order={quote(order)}")


@router.post("/p/{slug}/screen/change")
def change(ctx: Screener, record_id: Annotated[int, Form()], decision: Annotated[str, Form()],
           stage: Annotated[str, Form()] = "ta", reason: Annotated[str, Form()] = "",
           other: Annotated[str, Form()] = "") -> Response:
    if decision not in DECISIONS:
        raise Page(400, f"decision must be one of {', '.join(DECISIONS)}")
    team.change(ctx.project, record_id, stage, ctx.name, decision, reason, other)
    return done(f"/p/{ctx.slug}/screen?stage={quote(stage)}&record={record_id}", "changed")


@router.get("/p/{slug}/screen/mine", response_class=HTMLResponse)
def mine(request: Request, ctx: Screener, stage: str = "ta", page: int = 1) -> HTMLResponse:
    return render(request, "mine.html", ctx=ctx, stage=stage,
                  found=team.my_decisions(ctx.project, ctx.name, stage, page))


@router.post("/p/{slug}/screen/undo")
def undo(ctx: Screener, record_id: Annotated[int, Form()], stage: Annotated[str, Form()] = "ta",
         order: Annotated[str, Form()] = "id") -> Response:
    workspace.undo(ctx.project, ctx.name, stage, record_id)
    return back(f"/p/{ctx.slug}/screen?stage={quote(stage)}&record={record_id}&order={quote(order)}")


@router.get("/p/{slug}/conflicts", response_class=HTMLResponse)
def conflict_page(request: Request, ctx: Arbiter, stage: str | None = None) -> HTMLResponse:
    return render(request, "conflicts.html", ctx=ctx,
                  conflicts=workspace.conflict_views(ctx.project, stage))


@router.post("/p/{slug}/conflicts")
def resolve(ctx: Arbiter, record_id: Annotated[int, Form()], stage: Annotated[str, Form()],
            decision: Annotated[str, Form()], reason: Annotated[str, Form()] = "") -> Response:
    if decision not in ("include", "exclude"):
        raise Page(400, "an arbiter includes or excludes")
    screening_services.resolve(ctx.project, record_id, stage, ctx.name, decision, reason)
    return back(f"/p/{ctx.slug}/conflicts")


@router.post("/p/{slug}/fulltext/{record_id}")
async def upload_pdf(settings: SettingsDep, ctx: Screener, record_id: int, file: UploadFile,
                     stage: Annotated[str, Form()] = "ft") -> Response:
    data = await read_upload(settings, file)
    workspace.attach_pdf(ctx.project, ctx.server.files_dir(ctx.slug), record_id, data, ctx.name,
                         max_bytes=settings.max_upload_bytes)
    return back(f"/p/{ctx.slug}/screen?stage={quote(stage)}&record={record_id}")


@router.get("/p/{slug}/fulltext/{record_id}")
def show_pdf(ctx: Member, record_id: int) -> Response:
    path = workspace.pdf_of(ctx.project, ctx.server.files_dir(ctx.slug), record_id)
    return FileResponse(path, media_type="application/pdf",
                        headers={"Content-Disposition": "inline", "X-Content-Type-Options": "nosniff"})
