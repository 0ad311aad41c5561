"""The records page: import with feedback (per file, per source, warnings; a file whose
SHA-256 was imported before is refused until confirmed), the table with search, filters,
sorting and paging (all in SQL), and the export of the current filter as RIS or CSV."""

import re
import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from evisynth.services import records as record_services
from evisynth.storage import records as record_store
from evisynth.web.deps import Context, Member, Owner, Page, SettingsDep, done, read_upload, render

router = APIRouter()

PAGE_SIZE = 50
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _query(q: str, source: str, year: str, state: str, decision: str, reviewer: str,
           reason: str) -> record_services.RecordQuery:
    if year and not year.isdigit():
        raise Page(400, f"year must be a number (got {year!r})")
    return record_services.RecordQuery(q, source or None, int(year) if year else None, state or None,
                                       decision or None, reviewer or None, reason or None)


@router.get("/p/{slug}/records", response_class=HTMLResponse)
def records_page(request: Request, ctx: Member, q: str = "", source: str = "", year: str = "",
                 state: str = "", decision: str = "", reviewer: str = "", reason: str = "",
                 sort: str = "id", desc: str = "false", page: int = 1) -> HTMLResponse:
    if sort not in record_store.SORTS:
        raise Page(400, f"sort must be one of {', '.join(record_store.SORTS)}")
    if desc not in ("true", "false", "1", "0"):
        raise Page(400, f"desc must be true or false (got {desc!r})")
    descending = desc in ("true", "1")
    query = _query(q, source, year, state, decision, reviewer, reason)
    page = max(page, 1)
    found = record_services.browse(ctx.project, query, sort=sort, descending=descending, limit=PAGE_SIZE,
                                   offset=(page - 1) * PAGE_SIZE)
    filters = {k: v for k, v in (("q", q), ("source", source), ("year", year), ("state", state),
                                 ("decision", decision), ("reviewer", reviewer), ("reason", reason)) if v}
    return render(request, "records.html", ctx=ctx, found=found, query=query, filters=filters,
                  here=urlencode({**filters, "sort": sort, "desc": str(descending).lower()}),
                  filtered=urlencode(filters), sort=sort, desc=descending, page=page,
                  pages=max(1, -(-found.total // PAGE_SIZE)),
                  choices=record_services.screening_choices(ctx.project),
                  per_source=record_store.count_records(ctx.project),
                  batches=tuple(reversed(record_store.list_batches(ctx.project))),
                  states=record_services.SCREENING_STATES, sorts=record_store.SORTS)


@router.get("/p/{slug}/records/export")
def export(ctx: Member, format: str = "ris", q: str = "", source: str = "", year: str = "",
           state: str = "", decision: str = "", reviewer: str = "", reason: str = "") -> Response:
    query = _query(q, source, year, state, decision, reviewer, reason)
    _, text = record_services.export_text(ctx.project, query, format=format)
    media = "application/x-research-info-systems" if format == "ris" else "text/csv"
    return Response(text.encode("utf-8"), media_type=f"{media}; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{ctx.slug}-records.{format}"',
        "X-Content-Type-Options": "nosniff"})


def _held(ctx: Context, digest: str) -> Path:
    """Where an upload refused as already imported waits for its confirmation."""
    return ctx.server.files_dir(ctx.slug) / "held-uploads" / digest


def _import(request: Request, ctx: Context, data: bytes, name: str, source: str,
            allow_reimport: bool) -> Response:
    name = Path(name).name
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (name if name.strip(". ") else "upload.txt")
        path.write_bytes(data)
        try:
            result = record_services.import_records(ctx.project, [path], actor=ctx.name,
                                                    source=source or None, names=[path.name],
                                                    allow_reimport=allow_reimport)
        except record_services.AlreadyImported as exc:
            digest = exc.found[0][2].sha256
            held = _held(ctx, digest)
            held.mkdir(parents=True, exist_ok=True)
            (held / "upload").write_bytes(data)
            return render(request, "records_confirm.html", code=409, ctx=ctx, refusal=exc, sha256=digest,
                          name=path.name, source=source)
    return done(f"/p/{ctx.slug}/records", "imported", result.batch.record_count)


@router.post("/p/{slug}/records")
async def upload_records(request: Request, settings: SettingsDep, ctx: Owner, file: UploadFile,
                         source: Annotated[str, Form()] = "") -> Response:
    data = await read_upload(settings, file)
    return _import(request, ctx, data, file.filename or "upload.txt", source.strip(), allow_reimport=False)


@router.post("/p/{slug}/records/reimport")
def reimport(request: Request, ctx: Owner, sha256: Annotated[str, Form()], name: Annotated[str, Form()],
             source: Annotated[str, Form()] = "") -> Response:
    if not _SHA256.fullmatch(sha256):
        raise Page(400, "sha256 must be 64 lowercase hex digits")
    held = _held(ctx, sha256) / "upload"
    if not held.is_file():
        raise Page(404, "that upload is no longer held; upload the file again")
    response = _import(request, ctx, held.read_bytes(), name, source.strip(), allow_reimport=True)
    held.unlink()
    return response
