"""``create_app(settings)``: the FastAPI application served by ``evisynth serve``, assembled
from one router per area (``evisynth.web.routers``), the shared dependencies in
``evisynth.web.deps`` and the error handlers in ``evisynth.web.errors``."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from evisynth.services.accounts import Server
from evisynth.services.team import Leases
from evisynth.web.deps import Settings, render, verify_csrf
from evisynth.web.errors import install_error_pages
from evisynth.web.headers import install_headers
from evisynth.web.limits import FormSizeLimit, limit_fields
from evisynth.web.routers import ROUTERS

__all__ = ["Settings", "create_app"]


def create_app(settings: Settings) -> FastAPI:
    server = Server(Path(settings.data_dir), settings.database)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        server.close()

    app = FastAPI(title="evisynth", lifespan=lifespan,
                  dependencies=[Depends(verify_csrf), Depends(limit_fields)],
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.server = server
    app.state.settings = settings
    app.state.leases = Leases()
    app.state.templates = Environment(loader=PackageLoader("evisynth.web", "templates"),
                                      autoescape=select_autoescape(default=True, default_for_string=True))
    app.mount("/static", StaticFiles(packages=[("evisynth.web", "static")]), name="static")
    install_error_pages(app, render, server_folders=(settings.data_dir,))
    install_headers(app, settings.trusted_proxies)
    app.add_middleware(FormSizeLimit)
    for router in ROUTERS:  # flat, so that app.routes lists every route (the security tests walk them)
        for route in router.routes:
            assert isinstance(route, APIRoute)
            app.router.add_api_route(route.path, route.endpoint, methods=route.methods, name=route.name,
                                     response_class=route.response_class)
    return app
