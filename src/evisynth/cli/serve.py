"""``evisynth serve``: the web application for review teams, on 127.0.0.1 by default."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from evisynth.core.errors import InputError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(
    data_dir: Annotated[Path, typer.Option(
        help="Server folder: accounts, project databases, uploads.",
        metavar="DATA_DIR")] = Path("evisynth-data"),
    host: Annotated[str, typer.Option(
        help="Address to listen on (loopback by default).", metavar="HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", metavar="PORT")] = 8000,
    database: Annotated[str | None, typer.Option(
        help="PostgreSQL URL for the accounts instead of DATA_DIR/server.evisynth.", metavar="URL")] = None,
    create_owner: Annotated[str | None, typer.Option(
        help="Create the server's owner account with this name (password read from stdin).",
        metavar="NAME")] = None,
    password_stdin: Annotated[bool, typer.Option(
        help="Read the new owner's password from stdin.", show_default=False)] = False,
    secure_cookies: Annotated[bool | None, typer.Option(
        "--secure-cookies/--no-secure-cookies",
        help="Send cookies over HTTPS only (default: on, except for plain http on loopback).")] = None,
    trusted_proxy: Annotated[list[str] | None, typer.Option(
        help="A reverse proxy (IP or network) whose X-Forwarded-For is believed; repeat for "
             "several. Default: none, the connecting address is the client's.",
        metavar="IP")] = None,
) -> None:
    """Serve the web application (screening, conflicts, PRISMA) from DATA_DIR."""
    from rich.console import Console

    from evisynth.services.accounts import Server
    from evisynth.web.headers import trusted_proxies

    console = Console(stderr=True)
    proxies = tuple(trusted_proxies(trusted_proxy or ()))  # checked before anything is stored
    data_dir.mkdir(parents=True, exist_ok=True)
    server = Server(data_dir, database)
    try:
        if create_owner:
            if not password_stdin:
                raise InputError("--create-owner needs --password-stdin (the password is never an argument)")
            password = sys.stdin.readline().rstrip("\n")
            server.create_owner(create_owner, password)
            console.print(f"created owner account {create_owner}")
        elif not server.has_users():
            raise InputError("this server has no account yet; run once with --create-owner NAME "
                             "--password-stdin")
    finally:
        server.close()
    import uvicorn

    from evisynth.web import Settings, create_app

    secure = host not in LOOPBACK if secure_cookies is None else secure_cookies
    app = create_app(Settings(data_dir, database, secure_cookies=secure,
                              trusted_proxies=proxies))
    console.print(f"evisynth serving {data_dir} on http://{host}:{port}")
    # uvicorn would believe X-Forwarded-For from 127.0.0.1; the app believes the named proxies only
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
