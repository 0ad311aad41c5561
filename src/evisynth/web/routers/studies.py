"""The studies page: studies made from the records included at full text, joined and split
(each keeps its reports' record ids), and their arms."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from evisynth.services import forms
from evisynth.services import studies as study_services
from evisynth.web.deps import Member, Screener, done, render

router = APIRouter()


@router.get("/p/{slug}/studies", response_class=HTMLResponse)
def studies_page(request: Request, ctx: Member) -> HTMLResponse:
    return render(request, "studies.html", ctx=ctx, view=forms.studies_view(ctx.project),
                  roles=study_services.ARM_ROLES, designs=forms.STUDY_DESIGNS)


@router.post("/p/{slug}/studies/from-records")
def from_records(ctx: Screener) -> Response:
    change = study_services.from_records(ctx.project, ctx.name)
    return done(f"/p/{ctx.slug}/studies", "studies", len(change.ids))


@router.post("/p/{slug}/studies/join")
def join(ctx: Screener, study: Annotated[list[str], Form()], label: Annotated[str, Form()] = "") -> Response:
    study_services.join(ctx.project, study, ctx.name, label=label.strip())
    return done(f"/p/{ctx.slug}/studies", "join")


@router.post("/p/{slug}/studies/split")
def split(ctx: Screener, study: Annotated[str, Form()], report: Annotated[list[str], Form()],
          label: Annotated[str, Form()] = "") -> Response:
    study_services.split(ctx.project, study, report, ctx.name, label=label.strip())
    return done(f"/p/{ctx.slug}/studies", "split")


@router.post("/p/{slug}/studies/characteristics")
def set_characteristic(ctx: Screener, study: Annotated[str, Form()], name: Annotated[str, Form()],
                       value: Annotated[str, Form()] = "") -> Response:
    forms.set_characteristic(ctx.project, ctx.name, study=study, name=name, value=value)
    return done(f"/p/{ctx.slug}/studies", "characteristic")


@router.post("/p/{slug}/studies/arms")
def add_arm(ctx: Screener, label: Annotated[str, Form()], role: Annotated[str, Form()],
            study: Annotated[str, Form()] = "", n: Annotated[int | None, Form()] = None,
            dose: Annotated[float | None, Form()] = None, dose_unit: Annotated[str, Form()] = "") -> Response:
    touched = forms.add_arm(ctx.project, ctx.name, label=label, role=role, study=study, n=n, dose=dose,
                            dose_unit=dose_unit)
    return done(f"/p/{ctx.slug}/studies", "arm", len(touched))


@router.post("/p/{slug}/studies/details")
def describe_study(ctx: Screener, study: Annotated[str, Form()], design: Annotated[str, Form()] = "",
                   country: Annotated[str, Form()] = "", population: Annotated[str, Form()] = "") -> Response:
    forms.describe_study(ctx.project, ctx.name, study=study, design=design, country=country,
                         population=population)
    return done(f"/p/{ctx.slug}/studies", "study")


@router.post("/p/{slug}/studies/arm-details")
def set_arm(ctx: Screener, arm: Annotated[str, Form()], n: Annotated[int | None, Form()] = None,
            dose: Annotated[float | None, Form()] = None, dose_unit: Annotated[str, Form()] = "") -> Response:
    forms.set_arm(ctx.project, ctx.name, arm=arm, n=n, dose=dose, dose_unit=dose_unit)
    return done(f"/p/{ctx.slug}/studies", "arm-details")
