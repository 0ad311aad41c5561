"""The analysis page: one outcome pooled with the chosen measure, model and preset."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from evisynth.services import workspace
from evisynth.web.deps import Member, render

router = APIRouter()


@router.get("/p/{slug}/analysis", response_class=HTMLResponse)
def analysis(request: Request, ctx: Member, outcome: str = "", measure: str = "",
             model: str = "random", preset: str = "revman5") -> HTMLResponse:
    view = workspace.analysis_view(ctx.project, outcome, measure, model, preset)
    return render(request, "analysis.html", ctx=ctx, view=view, measures=workspace.MEASURES,
                  models=workspace.MODELS, presets=tuple(workspace.PRESETS))
