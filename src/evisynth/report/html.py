"""Render report contexts (plain dicts built by the services) to self-contained HTML."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from evisynth.report.labels import labels

_ENV = Environment(
    loader=PackageLoader("evisynth.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_review_html(context: dict[str, Any]) -> str:
    """The review report as one HTML page with inline CSS (no network needed to open it).

    Every value is escaped: text from records or bundles is shown, never executed.
    """
    language = context.get("language", "en")
    return _ENV.get_template("review.html.j2").render(**context, L=labels(language))
