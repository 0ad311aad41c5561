"""Exception handlers (and any middleware): every error answers with the error page."""

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from evisynth.core.errors import InputError
from evisynth.io.errors import ImportFormatError
from evisynth.review.errors import DomainError
from evisynth.storage.errors import StorageError
from evisynth.web.deps import Page, render


def install(app: FastAPI) -> None:
    """Register the error handlers on ``app``."""

    @app.exception_handler(Page)
    async def _page(request: Request, exc: Page) -> HTMLResponse:
        return render(request, "error.html", exc.status, message=exc.message, status=exc.status)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if exc.status_code in (302, 303):
            return RedirectResponse(exc.headers["Location"] if exc.headers else "/", exc.status_code)
        return render(request, "error.html", exc.status_code, message=str(exc.detail), status=exc.status_code)

    for kind in (DomainError, StorageError, InputError, ImportFormatError):
        @app.exception_handler(kind)
        async def _domain(request: Request, exc: Exception) -> HTMLResponse:
            return render(request, "error.html", 400, message=str(exc), status=400)
