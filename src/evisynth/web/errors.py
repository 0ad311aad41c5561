"""HTML error pages for every status, in words a web user can act on.

Every error the app answers becomes the site's error page (never FastAPI's JSON): unknown
URLs and methods, form fields of the wrong type or missing, domain, storage and import
errors, and anything unexpected (500, logged with its traceback, never shown). The messages
of the services are written for the command line; ``web_message`` takes out what a browser
user cannot use and must not see: the server's file paths (the project database, the
temporary upload) and command-line advice (``evisynth records list``, ``--encoding``).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from http import HTTPStatus
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from evisynth.core.errors import InputError
from evisynth.io.errors import ImportFormatError
from evisynth.review.errors import DomainError
from evisynth.storage.errors import StorageError

Render = Callable[..., HTMLResponse]
log = logging.getLogger("evisynth.web")

#: What the default reason phrase of a status means on this site.
PLAIN = {404: "there is no such page here; check the address, or start again from your projects",
         405: "this page cannot be used that way; start again from the page that links to it",
         500: "something went wrong on the server; nothing was changed by this request if it "
              "failed part-way. Try again, and tell the server's owner if it happens again"}

#: Command-line advice in the services' messages, and what a web user does instead.
WEB_ADVICE = (
    (re.compile(r"pass the right --encoding|pass its encoding with --encoding( \([^)]*\))?"),
     "save the file as UTF-8 text and upload it again"),
    (re.compile(r", or pass --encoding [\w-]+"), ""),
    (re.compile(r"pass --encoding if"), "save the file as UTF-8 and upload it again if"),
    (re.compile(r"pass --format with one of"), "give the file the extension of its format, one of"),
    (re.compile(r"; list the records (\(evisynth records list\) )?for their ids"),
     "; it may have been removed: go back to the project's page"),
    (re.compile(r"\s*\((?:see |run )?evisynth [^)]*\)"), ""),
)
#: An absolute path (two parts at least), as an error message quotes a file.
_PATH = re.compile(r"""(?<![\w.~/])/(?:[^\s'"<>:;,()/]+/)+[^\s'"<>:;,()/]*""")
#: A project's database named in a message (what a web user knows as "this project").
_PROJECT = re.compile(r"(?<![\w/.~-])(in )?(?:the )?(?:project )?'?[^\s'\":;]*\.evisynth\b'?")
#: A clause that still gives command-line advice after WEB_ADVICE (a '--option' or a command).
_CLI_CLAUSE = re.compile(r"--[a-z][\w-]*|\bevisynth [a-z]+ [a-z]+")


def _place(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if name.endswith(".evisynth"):
        return "this project"
    if name.startswith("upload"):
        return "the uploaded file"
    return name or "a folder on the server"


def web_message(text: str, server_folders: Sequence[Path] = ()) -> str:
    """``text`` without server paths and with web advice in place of command-line advice.
    ``server_folders``: folders whose paths may appear, relative or with spaces (the data
    folder); the temporary folder is always one."""
    for folder in (*server_folders, Path(tempfile.gettempdir())):
        for form in sorted({str(folder), str(folder.resolve())}, key=len, reverse=True):
            text = text.replace(form + os.sep, "/")
    for pattern, advice in WEB_ADVICE:
        text = pattern.sub(advice, text)
    text = _PROJECT.sub(lambda m: f"{m.group(1) or ''}this project", text)
    text = _PATH.sub(lambda m: _place(m.group(0)), text)
    head, *rest = text.split("; ")
    return "; ".join([head, *(clause for clause in rest if not _CLI_CLAUSE.search(clause))])


def _field_errors(exc: RequestValidationError) -> str:
    out = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        where = f"the field {loc[-1]!r}" if loc else "the request"
        if error.get("type") == "missing":
            out.append(f"{where} is required")
            continue
        given = str(error.get("input", ""))
        shown = given if len(given) <= 40 else given[:40] + "…"
        out.append(f"{where}: {str(error.get('msg', 'invalid')).lower()} (got {shown!r})")
    return "; ".join(out) + "; go back, correct the form and send it again"


def install_error_pages(app: FastAPI, render: Render, server_folders: Sequence[Path] = ()) -> None:
    """Answer every error with ``error.html`` rendered by ``render`` (the app's page renderer);
    ``server_folders``: as for ``web_message``."""

    def page(request: Request, status: int, message: str) -> HTMLResponse:
        return render(request, "error.html", status, message=web_message(message, server_folders),
                      status=status)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if exc.status_code in (302, 303):
            return RedirectResponse(exc.headers["Location"] if exc.headers else "/", exc.status_code)
        detail = str(exc.detail)
        if detail == HTTPStatus(exc.status_code).phrase:
            detail = PLAIN.get(exc.status_code, detail)
        response = page(request, exc.status_code, detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        return page(request, 400, _field_errors(exc))

    for kind in (DomainError, StorageError, InputError, ImportFormatError):
        @app.exception_handler(kind)
        async def _domain(request: Request, exc: Exception) -> HTMLResponse:
            return page(request, 400, str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> HTMLResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return page(request, 500, PLAIN[500])
