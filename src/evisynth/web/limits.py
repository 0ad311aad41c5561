"""The longest value each form field may hold, checked on every POST before a route runs.

A request with a longer value is refused with a 413 page naming the field and its limit, so
nothing of it is stored (a failed login once stored a 900 KiB account name as given). Files
(uploads) are not form values: their size is the upload limit's (``Settings.max_upload_bytes``).
"""

from __future__ import annotations

from fastapi import HTTPException, Request

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
