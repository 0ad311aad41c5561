"""Headers on every response, and which proxies may say who the client is.

``SecurityHeaders``: ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``
on every response, ``Cache-Control: no-store`` on all but the static files (pages show
records, decisions and invitation links that a shared browser's cache must not keep). A
header a route set itself is left as it is.

Forwarded headers (``X-Forwarded-For``/``-Proto``) are believed only from the proxies named
in the settings (``serve --trusted-proxy IP``; none by default): anyone else could rotate
the header to escape the login throttle, which counts failures per client address.
``evisynth serve`` turns uvicorn's own proxy handling off, which trusts 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from evisynth.core.errors import InputError

HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


class SecurityHeaders:
    """ASGI middleware adding ``HEADERS`` (and ``Cache-Control: no-store`` outside /static/)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cached = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if not cached:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def trusted_proxies(values: Sequence[str]) -> list[str]:
    """The proxies' addresses or networks (``10.0.0.5``, ``10.0.0.0/24``, ``::1``) as given,
    each checked; InputError names a value that is neither."""
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise InputError(f"--trusted-proxy {value!r} is not an IP address or network; name the "
                             "reverse proxy's address, e.g. --trusted-proxy 127.0.0.1") from None
    return list(values)


def install_headers(app: FastAPI, proxies: Sequence[str] = ()) -> None:
    """Add the security headers, and the forwarded-header handling for ``proxies`` if any."""
    app.add_middleware(SecurityHeaders)
    if proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted_proxies(proxies))
