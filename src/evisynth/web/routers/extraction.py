"""Data extraction: one form per study (generated from the protocol's outcomes and the
study's arms, blinded between extractors), single values, and the discrepancies between two
extractors with the arbiter's resolution."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from evisynth.services import forms, workspace
from evisynth.services import studies as study_services
from evisynth.web.deps import Arbiter, Member, Screener, back, done, render

router = APIRouter()

#: Roles that see every extractor's values (the others are extractors, blinded).
UNBLINDED = ("owner", "arbiter")


@router.get("/p/{slug}/extraction", response_class=HTMLResponse)
def extraction(request: Request, ctx: Member, first: str = "", second: str = "") -> HTMLResponse:
    viewer = None if ctx.role in UNBLINDED else ctx.name
    view = workspace.extraction_view(ctx.project, first, second, viewer=viewer)
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


@router.post("/p/{slug}/discrepancies")
def resolve(ctx: Arbiter, key: Annotated[str, Form()], value: Annotated[float, Form()],
            first: Annotated[str, Form()] = "", second: Annotated[str, Form()] = "",
            note: Annotated[str, Form()] = "") -> Response:
    study_services.resolve(ctx.project, key, value, ctx.name, note=note.strip())
    return done(f"/p/{ctx.slug}/extraction?first={quote(first)}&second={quote(second)}", "resolved")


@router.get("/p/{slug}/extraction/{study}", response_class=HTMLResponse)
def study_form(request: Request, ctx: Screener, study: str) -> HTMLResponse:
    form = forms.extraction_form(ctx.project, study, ctx.name)
    return render(request, "extract_study.html", ctx=ctx, form=form)


@router.post("/p/{slug}/extraction/{study}")
async def save_study_form(request: Request, ctx: Screener, study: str) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    stored = forms.save_extraction_form(ctx.project, study, ctx.name, form)
    return done(f"/p/{ctx.slug}/extraction/{quote(study)}", "values", stored)
