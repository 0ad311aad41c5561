"""The PRISMA flow (page and SVG) and the report downloads (HTML, DOCX, results.json)."""

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from evisynth.services import workspace
from evisynth.web.deps import Member, render

router = APIRouter()


@router.get("/p/{slug}/prisma", response_class=HTMLResponse)
def prisma_page(request: Request, ctx: Member) -> HTMLResponse:
    counts = workspace.prisma_counts(ctx.project)
    return render(request, "prisma.html", ctx=ctx, counts=counts)


@router.get("/p/{slug}/prisma.svg")
def prisma_svg(ctx: Member) -> Response:
    return Response(workspace.prisma_svg(ctx.project), media_type="image/svg+xml")


@router.get("/p/{slug}/report.html")
def report(ctx: Member) -> Response:
    html = workspace.report_html(ctx.project)
    disposition = f'attachment; filename="{ctx.slug}-report.html"'
    return HTMLResponse(html, headers={"Content-Disposition": disposition,
                                       "Content-Security-Policy": "script-src 'none'"})


@router.get("/p/{slug}/report.docx")
def report_docx(ctx: Member) -> Response:
    return Response(workspace.report_docx(ctx.project),
                    media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f'attachment; filename="{ctx.slug}-report.docx"'})


@router.get("/p/{slug}/results.json")
def results_json(ctx: Member) -> Response:
    """The report's numbers at full precision, the same file as ``evisynth report --out``'s."""
    body = json.dumps(workspace.report_results(ctx.project), ensure_ascii=False, indent=2, allow_nan=False)
    return Response(body + "\n", media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{ctx.slug}-results.json"'})
