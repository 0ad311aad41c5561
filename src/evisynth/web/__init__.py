"""The web application for review teams: ``create_app(settings)`` (FastAPI + Jinja2).

Routes parse the request, check the session and the user's role in the project, call a
service and render a template; no statistics and no SQL here.
"""

from evisynth.web.app import create_app
from evisynth.web.deps import Settings

__all__ = ["Settings", "create_app"]
