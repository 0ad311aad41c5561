"""Data extraction: values entered one by one, compared between two extractors."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from evisynth.services import workspace
from evisynth.web.deps import Member, Screener, back, render

router = APIRouter()


@router.get("/p/{slug}/extraction", response_class=HTMLResponse)
def extraction(request: Request, ctx: Member, first: str = "",
               second: str = "") -> HTMLResponse:
    view = workspace.extraction_view(ctx.project, first, second)
    return render(request, "extraction.html", ctx=ctx, view=view, statistics=workspace.STATISTICS,
                  first=first, second=second)


@router.post("/p/{slug}/extraction")
def enter_value(ctx: Screener, study: Annotated[str, Form()], outcome: Annotated[str, Form()],
                timepoint: Annotated[str, Form()], statistic: Annotated[str, Form()],
                value: Annotated[float, Form()], arm: Annotated[str, Form()] = "",
                location: Annotated[str, Form()] = "", unit: Annotated[str, Form()] = "") -> Response:
    workspace.enter_value(ctx.project, study=study, arm=arm, outcome=outcome,
                          timepoint=timepoint, statistic=statistic, value=value, extractor=ctx.name,
                          location=location, unit=unit)
    return back(f"/p/{ctx.slug}/extraction")
