"""The protocol page: question, PICOS, criteria and the planned outcomes (the owner edits;
every change is audited)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from evisynth.services import forms, workspace
from evisynth.web.deps import Member, Owner, done, render

router = APIRouter()


@router.get("/p/{slug}/protocol", response_class=HTMLResponse)
def protocol_page(request: Request, ctx: Member) -> HTMLResponse:
    review = ctx.project.load_review()
    return render(request, "protocol.html", ctx=ctx, protocol=review.protocol, outcomes=review.outcomes,
                  inclusion=workspace.criteria_text(review.protocol.inclusion),
                  exclusion=workspace.criteria_text(review.protocol.exclusion),
                  types=forms.OUTCOME_TYPES, measures=forms.PLANNED_MEASURES)


@router.post("/p/{slug}/protocol")
def save_protocol(ctx: Owner, question: Annotated[str, Form()] = "", inclusion: Annotated[str, Form()] = "",
                  exclusion: Annotated[str, Form()] = "", population: Annotated[str | None, Form()] = None,
                  intervention: Annotated[str | None, Form()] = None,
                  comparator: Annotated[str | None, Form()] = None,
                  outcomes: Annotated[str | None, Form()] = None,
                  study_design: Annotated[str | None, Form()] = None) -> Response:
    picos = {"population": population, "intervention": intervention, "comparator": comparator,
             "outcomes": outcomes, "study_design": study_design}
    workspace.save_protocol(ctx.project, ctx.name, question=question, inclusion=inclusion,
                            exclusion=exclusion, picos=picos)
    return done(f"/p/{ctx.slug}/protocol", "protocol")


@router.post("/p/{slug}/outcomes")
def add_outcome(ctx: Owner, name: Annotated[str, Form()], kind: Annotated[str, Form()],
                unit: Annotated[str, Form()] = "", direction: Annotated[str, Form()] = "",
                measure: Annotated[str, Form()] = "", timepoints: Annotated[str, Form()] = "") -> Response:
    forms.add_outcome(ctx.project, ctx.name, name=name, kind=kind, unit=unit, direction=direction,
                      measure=measure, timepoints=timepoints)
    return done(f"/p/{ctx.slug}/protocol", "outcome")
