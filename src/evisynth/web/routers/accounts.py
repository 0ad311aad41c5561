"""Signing in and out, and accepting an invitation."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from evisynth.services.accounts import AuthError, ThrottledError
from evisynth.web.deps import SESSION_COOKIE, Page, ServerDep, SettingsDep, User, back, local, render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, server: ServerDep) -> Response:
    if server.session(request.cookies.get(SESSION_COOKIE)) is None:
        return back("/login")
    return back("/projects")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/projects") -> HTMLResponse:
    return render(request, "login.html", next=local(next))


@router.post("/login")
def login(request: Request, server: ServerDep, settings: SettingsDep, name: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/projects") -> Response:
    ip = request.client.host if request.client else ""
    try:
        token = server.login(name, password, ip)
    except ThrottledError as exc:
        return render(request, "login.html", 429, error=str(exc), next=next)
    except AuthError as exc:
        return render(request, "login.html", 401, error=str(exc), next=next)
    response = back(local(next))
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=settings.secure_cookies)
    return response


@router.post("/logout")
def logout(request: Request, server: ServerDep, session: User) -> Response:
    server.logout(request.cookies.get(SESSION_COOKIE, ""))
    response = back("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/invite/{token}", response_class=HTMLResponse)
def invite_page(request: Request, server: ServerDep, token: str) -> HTMLResponse:
    found = server.invitation(token)
    if found is None:
        raise Page(404, "this invitation was already used or does not exist")
    return render(request, "invite.html", token=token, slug=found[0], role=found[1])


@router.post("/invite/{token}")
def invite_accept(request: Request, server: ServerDep, settings: SettingsDep, token: str,
                  name: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "") -> Response:
    found = server.session(request.cookies.get(SESSION_COOKIE))
    if found is not None:
        slug, _role = server.accept(token, found.user)
        return back(f"/p/{slug}")
    server.register(token, name, password)
    return login(request, server, settings, name, password, "/projects")
