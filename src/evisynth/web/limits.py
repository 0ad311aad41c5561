"""The longest value each form field may hold, checked on every POST before a route runs.

A request with a longer value is refused with a 413 page naming the field and its limit, so
nothing of it is stored (a failed login once stored a 900 KiB account name as given). Files
(uploads) are not form values: their size is the upload limit's (``Settings.max_upload_bytes``).
A URL-encoded form, which the framework reads whole into memory, is refused while it is
received once it passes ``MAX_FORM_BYTES`` (multipart fields are capped at 1 MiB each by
Starlette, and ``limit_fields`` then applies).
"""

from __future__ import annotations

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evisynth.services.accounts import MAX_TITLE
from evisynth.services.passwords import MAX_NAME, MAX_PASSWORD

#: Characters allowed per field name; a field not listed may hold ``MAX_TEXT``.
FIELD_LIMITS = {
    "name": MAX_NAME, "password": MAX_PASSWORD, "title": MAX_TITLE, "csrf": 128, "next": 2048,
    "role": 32, "decision": 32, "stage": 32, "order": 32, "language": 8, "copy": 64,
    "record_id": 20, "user_id": 20, "reviewers": 20, "value": 64,
    "study": 200, "outcome": 200, "timepoint": 200, "statistic": 64, "arm": 200, "unit": 64,
    "source": 200, "reason": 2000, "question": 4000, "include": 4000, "exclude": 4000,
}
#: Free text (criteria, support for a judgement, notes): a few pages at most.
MAX_TEXT = 20_000
#: A whole URL-encoded form: the longest fields of the largest form (RoB 2), percent-encoded
#: Chinese text (9 bytes a character) included, fit well within.
MAX_FORM_BYTES = 4 * 1024 * 1024


class FormSizeLimit:
    """ASGI middleware: a URL-encoded body larger than ``MAX_FORM_BYTES`` is refused (413)
    as it arrives, before it is parsed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope.get("headers", ())).get(b"content-type", b"")
        if scope["type"] != "http" or not content_type.startswith(b"application/x-www-form-urlencoded"):
            await self.app(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_FORM_BYTES:
                raise HTTPException(413, f"the form is larger than {MAX_FORM_BYTES // 2**20} MiB; "
                                         "shorten its text and send it again")
            return message

        await self.app(scope, counted, send)


async def limit_fields(request: Request) -> None:
    """A FastAPI dependency: 413 when a form field is longer than its limit."""
    if request.method != "POST":
        return
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return
    for field, value in (await request.form()).multi_items():
        limit = FIELD_LIMITS.get(field, MAX_TEXT)
        if isinstance(value, str) and len(value) > limit:
            shown = field if len(field) <= 40 else field[:40] + "…"
            raise HTTPException(413, f"the field {shown!r} holds {len(value):,} characters; it may hold "
                                     f"{limit:,} at most: shorten it and send the form again")
