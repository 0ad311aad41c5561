"""The analysis page: one outcome pooled with the chosen measure and every ``evisynth.pool``
option the page offers (model or auto, preset, τ² estimator, HKSJ, prediction interval,
subgroups, meta-regression moderator, leave-one-out), its forest and funnel plots; saved
analyses (which the report runs, from the values stored at the time); GRADE per saved
analysis, the reviewers' ratings beside evisynth's suggestion."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from evisynth.core.tau2 import TAU2_METHODS
from evisynth.review.errors import DomainError
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


@router.get("/p/{slug}/grade", response_class=HTMLResponse)
def grade(request: Request, ctx: Member, analysis: str = "") -> HTMLResponse:
    view = workspace.grade_view(ctx.project, analysis)
    return render(request, "grade.html", ctx=ctx, view=view, domains=workspace.GRADE_DOMAINS)


@router.post("/p/{slug}/grade")
async def save_grade(request: Request, ctx: Screener) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    analysis = form.get("analysis", "")
    entered = {}
    for domain, allowed in workspace.GRADE_DOMAINS:
        change = form.get(f"{domain}.change", "0").strip() or "0"
        if change.lstrip("+-") not in ("0", "1", "2") or int(change) not in allowed:
            raise DomainError(f"GRADE {domain}.change must be one of {', '.join(map(str, allowed))} "
                              f"(got {change!r})")
        entered[domain] = (int(change), form.get(f"{domain}.reason", ""))
    workspace.save_grade(ctx.project, analysis, entered, ctx.name)
    return done(f"/p/{ctx.slug}/grade?analysis={quote(analysis)}", "grade")
