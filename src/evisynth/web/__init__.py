"""The web application for review teams: ``create_app(settings)`` (FastAPI + Jinja2).

Routes parse the request, check the session and the user's role in the project, call a
service and render a template; no statistics and no SQL here.
"""

from evisynth.web.app import Settings, create_app

__all__ = ["Settings", "create_app"]
