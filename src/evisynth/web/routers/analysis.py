"""The analysis page: one outcome pooled with the chosen measure and every ``evisynth.pool``
option the page offers (model or auto, preset, τ² estimator, HKSJ, prediction interval,
subgroups, meta-regression moderator, leave-one-out), its forest and funnel plots; saved
analyses (which the report runs, from the values stored at the time)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from evisynth.core.tau2 import TAU2_METHODS
from evisynth.services import forms, workspace
from evisynth.services.workspace import AnalysisChoice
from evisynth.web.deps import Member, Screener, done, render

router = APIRouter()


def choice(outcome: str = "", measure: str = "", model: str = "random", preset: str = "revman5",
           tau2: str = "", hksj: bool = False, prediction: str = "", subgroup: str = "",
           moderator: str = "", leave_one_out: bool = False) -> AnalysisChoice:
    """The page's query parameters (booleans: true/false/1/0)."""
    return AnalysisChoice(outcome, measure, model, preset, tau2, hksj, prediction, subgroup, moderator,
                          leave_one_out)


@router.get("/p/{slug}/analysis", response_class=HTMLResponse)
def analysis(request: Request, ctx: Member, chosen: Annotated[AnalysisChoice, Depends(choice)],
             saved: str = "") -> HTMLResponse:
    view = workspace.analysis_view(ctx.project, chosen, saved)
    return render(request, "analysis.html", ctx=ctx, view=view, measures=workspace.MEASURES,
                  models=workspace.MODELS, presets=tuple(workspace.PRESETS), tau2_methods=TAU2_METHODS,
                  predictions=workspace.PREDICTIONS, chosen=chosen)


@router.post("/p/{slug}/analyses")
def save_analysis(ctx: Screener, outcome: Annotated[str, Form()], measure: Annotated[str, Form()],
                  preset: Annotated[str, Form()] = "", model: Annotated[str, Form()] = "",
                  tau2: Annotated[str, Form()] = "", subgroup: Annotated[str, Form()] = "",
                  timepoint: Annotated[str, Form()] = "", hksj: Annotated[bool, Form()] = False,
                  prediction: Annotated[str, Form()] = "", moderator: Annotated[str, Form()] = "",
                  leave_one_out: Annotated[bool, Form()] = False) -> Response:
    analysis_id = forms.save_analysis(ctx.project, ctx.name, outcome=outcome, measure=measure, preset=preset,
                                      model=model, tau2=tau2, subgroup=subgroup, timepoint=timepoint,
                                      hksj=hksj, prediction=prediction, moderator=moderator,
                                      leave_one_out=leave_one_out)
    return done(f"/p/{ctx.slug}/analysis?saved={analysis_id}", "analysis")
