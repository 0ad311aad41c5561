"""Deduplication in the web app: run it, review the uncertain pairs side by side (accept or
reject; who and when are shown), see the groups, and undo a merge (the link is rejected: a
new decision, audited; nothing is deleted).

The run happens inside the request: on the projects this app serves it takes seconds (see
the README). Moving long runs to a background worker is issue 14."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from evisynth.services import dedup as dedup_services
from evisynth.storage import records as record_store
from evisynth.storage.errors import StorageError
from evisynth.web.deps import Member, Page, Screener, done, render

router = APIRouter()


@router.get("/p/{slug}/dedup", response_class=HTMLResponse)
def dedup_page(request: Request, ctx: Member) -> HTMLResponse:
    project = ctx.project
    return render(request, "dedup.html", ctx=ctx, queue=dedup_services.review_queue(project, joined=False),
                  groups=dedup_services.groups(project), decided=dedup_services.decided(project),
                  links=record_store.count_links(project),
                  records=sum(record_store.count_records(project).values()))


@router.post("/p/{slug}/dedup/run")
def run(ctx: Screener) -> Response:
    result = dedup_services.deduplicate(ctx.project, actor=ctx.name)
    return done(f"/p/{ctx.slug}/dedup", "dedup", result.links_added)


@router.post("/p/{slug}/dedup/decide")
def decide(ctx: Screener, link_id: Annotated[int, Form()], decision: Annotated[str, Form()]) -> Response:
    if decision not in record_store.DECISIONS:
        raise Page(400, f"decision must be one of {', '.join(record_store.DECISIONS)}")
    try:
        dedup_services.decide(ctx.project, [(link_id, decision)], actor=ctx.name)
    except StorageError as exc:
        raise Page(404, str(exc)) from exc
    return done(f"/p/{ctx.slug}/dedup", decision)
