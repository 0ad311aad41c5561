"""The analysis page: one outcome pooled with the chosen measure, model and preset; saved
analyses (which the report runs)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from evisynth.core.tau2 import TAU2_METHODS
from evisynth.services import forms, workspace
from evisynth.web.deps import Member, Screener, done, render

router = APIRouter()


@router.get("/p/{slug}/analysis", response_class=HTMLResponse)
def analysis(request: Request, ctx: Member, outcome: str = "", measure: str = "",
             model: str = "random", preset: str = "revman5", saved: str = "") -> HTMLResponse:
    view = workspace.analysis_view(ctx.project, outcome, measure, model, preset, saved)
    return render(request, "analysis.html", ctx=ctx, view=view, measures=workspace.MEASURES,
                  models=workspace.MODELS, presets=tuple(workspace.PRESETS), tau2_methods=TAU2_METHODS)


@router.post("/p/{slug}/analyses")
def save_analysis(ctx: Screener, outcome: Annotated[str, Form()], measure: Annotated[str, Form()],
                  preset: Annotated[str, Form()] = "", model: Annotated[str, Form()] = "",
                  tau2: Annotated[str, Form()] = "", subgroup: Annotated[str, Form()] = "",
                  timepoint: Annotated[str, Form()] = "") -> Response:
    analysis_id = forms.save_analysis(ctx.project, ctx.name, outcome=outcome, measure=measure, preset=preset,
                                      model=model, tau2=tau2, subgroup=subgroup, timepoint=timepoint)
    return done(f"/p/{ctx.slug}/analysis?saved={analysis_id}", "analysis")
