"""Web accounts in the server's database (revision 0004): users, the projects served,
memberships, server-side sessions, invitations and login attempts.

Plain reads and writes only; hashing passwords and tokens, throttling and authorization
rules are the services' (``evisynth.services.accounts``). Tokens are stored as their
SHA-256, never as given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from evisynth.core.results import Serializable
from evisynth.review.errors import DomainError
from evisynth.storage import _rows, schema
from evisynth.storage.errors import StorageError
from evisynth.storage.project import Project

_USER = cast(Table, schema.UserRow.__table__)
_WEB_PROJECT = cast(Table, schema.WebProjectRow.__table__)
_MEMBER = cast(Table, schema.MembershipRow.__table__)
_SESSION = cast(Table, schema.WebSessionRow.__table__)
_INVITE = cast(Table, schema.InvitationRow.__table__)
_ATTEMPT = cast(Table, schema.LoginAttemptRow.__table__)


@dataclass(frozen=True)
class User(Serializable):
    id: int
    name: str
    password_hash: str
    is_admin: bool

    def to_dict(self) -> dict[str, object]:  # never the hash
        return {"id": self.id, "name": self.name, "is_admin": self.is_admin}


@dataclass(frozen=True)
class WebProject(Serializable):
    slug: str
    title: str
    location: str


@dataclass(frozen=True)
class Member(Serializable):
    user_id: int
    name: str
    role: str


@contextmanager
def _taken(message: str) -> Iterator[None]:
    """A write refused by a unique constraint becomes a DomainError saying ``message``."""
    try:
        yield
    except StorageError as exc:
        if isinstance(exc.__cause__, IntegrityError):
            raise DomainError(message) from exc
        raise


def _user(row: object | None) -> User | None:
    if row is None:
        return None
    return User(row.id, row.name, row.password_hash, bool(row.is_admin))  # type: ignore[attr-defined]


def add_user(project: Project, name: str, password_hash: str, *, is_admin: bool, actor: str) -> User:
    with _taken(f"there is already an account named {name!r}; choose another name"), \
            project._write(actor) as (conn, _changes):
        new_id = conn.execute(insert(_USER).returning(_USER.c.id),
                              {"name": name, "password_hash": password_hash, "is_admin": is_admin,
                               "created_at": dt.datetime.now(dt.UTC)}).scalar_one()
    return User(new_id, name, password_hash, is_admin)


def user_by_name(project: Project, name: str) -> User | None:
    with project._read() as conn:
        return _user(conn.execute(select(_USER).where(_USER.c.name == name)).first())


def user_by_id(project: Project, user_id: int) -> User | None:
    with project._read() as conn:
        return _user(conn.execute(select(_USER).where(_USER.c.id == user_id)).first())


def count_users(project: Project) -> int:
    with project._read() as conn:
        return int(conn.scalar(select(func.count()).select_from(_USER)) or 0)


def add_web_project(project: Project, slug: str, title: str, location: str, owner: int, actor: str) -> None:
    """Register a served project and make ``owner`` its owner, in one transaction."""
    with _taken(f"there is already a project {slug!r}; choose another name"), \
            project._write(actor) as (conn, _changes):
        conn.execute(insert(_WEB_PROJECT), {"slug": slug, "title": title, "location": location,
                                            "created_at": dt.datetime.now(dt.UTC)})
        conn.execute(insert(_MEMBER), {"project": slug, "user_id": owner, "role": "owner"})


def web_projects(project: Project, user_id: int | None = None) -> list[tuple[WebProject, str]]:
    """Served projects with the user's role ("" for all projects when ``user_id`` is None)."""
    with project._read() as conn:
        if user_id is None:
            rows = conn.execute(select(_WEB_PROJECT).order_by(_WEB_PROJECT.c.slug)).all()
            return [(WebProject(r.slug, r.title, r.location), "") for r in rows]
        rows = conn.execute(select(_WEB_PROJECT, _MEMBER.c.role)
                            .join(_MEMBER, _MEMBER.c.project == _WEB_PROJECT.c.slug)
                            .where(_MEMBER.c.user_id == user_id).order_by(_WEB_PROJECT.c.slug)).all()
        return [(WebProject(r.slug, r.title, r.location), r.role) for r in rows]


def get_web_project(project: Project, slug: str) -> WebProject | None:
    with project._read() as conn:
        r = conn.execute(select(_WEB_PROJECT).where(_WEB_PROJECT.c.slug == slug)).first()
        return None if r is None else WebProject(r.slug, r.title, r.location)


def role_of(project: Project, slug: str, user_id: int) -> str | None:
    with project._read() as conn:
        return conn.scalar(select(_MEMBER.c.role).where(_MEMBER.c.project == slug,
                                                         _MEMBER.c.user_id == user_id))


def members(project: Project, slug: str) -> list[Member]:
    with project._read() as conn:
        rows = conn.execute(select(_MEMBER.c.user_id, _USER.c.name, _MEMBER.c.role)
                            .join(_USER, _USER.c.id == _MEMBER.c.user_id)
                            .where(_MEMBER.c.project == slug).order_by(_USER.c.name)).all()
    return [Member(r.user_id, r.name, r.role) for r in rows]


def set_role(project: Project, slug: str, user_id: int, role: str, actor: str) -> None:
    with project._write(actor) as (conn, _changes):
        done = conn.execute(update(_MEMBER).where(_MEMBER.c.project == slug, _MEMBER.c.user_id == user_id)
                            .values(role=role)).rowcount
        if not done:
            conn.execute(insert(_MEMBER), {"project": slug, "user_id": user_id, "role": role})


def add_session(project: Project, token_hash: str, user_id: int, csrf: str, expires_at: dt.datetime) -> None:
    with project._write("server") as (conn, _changes):
        conn.execute(insert(_SESSION), {"token_hash": token_hash, "user_id": user_id, "csrf": csrf,
                                        "created_at": dt.datetime.now(dt.UTC), "expires_at": expires_at})


def session_user(project: Project, token_hash: str, now: dt.datetime) -> tuple[User, str] | None:
    """The session's user and CSRF token; None when there is no such session or it expired."""
    with project._read() as conn:
        row = conn.execute(select(_SESSION.c.csrf, _SESSION.c.expires_at, _USER)
                           .join(_USER, _USER.c.id == _SESSION.c.user_id)
                           .where(_SESSION.c.token_hash == token_hash)).first()
    if row is None:
        return None
    if _rows.as_utc(row.expires_at) <= now:
        return None
    return User(row.id, row.name, row.password_hash, bool(row.is_admin)), row.csrf


def delete_session(project: Project, token_hash: str) -> None:
    with project._write("server") as (conn, _changes):
        conn.execute(delete(_SESSION).where(_SESSION.c.token_hash == token_hash))


def add_invitation(project: Project, token_hash: str, slug: str, role: str, created_by: int,
                   actor: str) -> None:
    with project._write(actor) as (conn, _changes):
        conn.execute(insert(_INVITE), {"token_hash": token_hash, "project": slug, "role": role,
                                       "created_by": created_by, "created_at": dt.datetime.now(dt.UTC),
                                       "accepted_by": None})


def open_invitation(project: Project, token_hash: str) -> tuple[str, str] | None:
    """(project slug, role) of an invitation not yet accepted; None otherwise."""
    with project._read() as conn:
        row = conn.execute(select(_INVITE.c.project, _INVITE.c.role)
                           .where(_INVITE.c.token_hash == token_hash,
                                  _INVITE.c.accepted_by.is_(None))).first()
    return None if row is None else (row.project, row.role)


def accept_invitation(project: Project, token_hash: str, user_id: int, actor: str) -> tuple[str, str]:
    """Use the invitation once: the user joins its project with its role (an existing higher
    role is kept only if it is the owner's). Returns (slug, role)."""
    with project._write(actor) as (conn, _changes):
        row = conn.execute(select(_INVITE.c.project, _INVITE.c.role)
                           .where(_INVITE.c.token_hash == token_hash,
                                  _INVITE.c.accepted_by.is_(None))).first()
        if row is None:
            raise DomainError("this invitation was already used or does not exist; "
                              "ask the owner for a new one")
        conn.execute(update(_INVITE).where(_INVITE.c.token_hash == token_hash).values(accepted_by=user_id))
        current = conn.scalar(select(_MEMBER.c.role).where(_MEMBER.c.project == row.project,
                                                           _MEMBER.c.user_id == user_id))
        if current is None:
            conn.execute(insert(_MEMBER), {"project": row.project, "user_id": user_id, "role": row.role})
        elif current != "owner":
            conn.execute(update(_MEMBER).where(_MEMBER.c.project == row.project,
                                               _MEMBER.c.user_id == user_id).values(role=row.role))
    return row.project, row.role


def add_login_attempt(project: Project, name: str, ip: str, ok: bool, at: dt.datetime) -> None:
    with project._write("server") as (conn, _changes):
        conn.execute(insert(_ATTEMPT), {"name": name, "ip": ip, "ok": ok, "at": at})


def failures_since(project: Project, name: str, ip: str, since: dt.datetime) -> int:
    with project._read() as conn:
        return int(conn.scalar(select(func.count()).select_from(_ATTEMPT).where(
            _ATTEMPT.c.name == name, _ATTEMPT.c.ip == ip, _ATTEMPT.c.at >= since,
            _ATTEMPT.c.ok.is_(False))) or 0)
