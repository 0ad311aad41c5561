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

from sqlalchemy import Connection, Table, delete, func, insert, select, update
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


def _insert_user(conn: Connection, name: str, password_hash: str, is_admin: bool) -> User:
    new_id = conn.execute(insert(_USER).returning(_USER.c.id),
                          {"name": name, "password_hash": password_hash, "is_admin": is_admin,
                           "created_at": dt.datetime.now(dt.UTC)}).scalar_one()
    return User(new_id, name, password_hash, is_admin)


def _name_taken(name: str) -> str:
    return f"there is already an account named {name!r}; choose another name"


def add_user(project: Project, name: str, password_hash: str, *, is_admin: bool, actor: str) -> User:
    with _taken(_name_taken(name)), project._write(actor) as (conn, _changes):
        return _insert_user(conn, name, password_hash, is_admin)


def user_by_name(project: Project, name: str) -> User | None:
    with project._read() as conn:
        return _user(conn.execute(select(_USER).where(_USER.c.name == name)).first())


def user_names(project: Project) -> list[str]:
    """Every account's name (to refuse a new name that looks like one of them)."""
    with project._read() as conn:
        return list(conn.scalars(select(_USER.c.name).order_by(_USER.c.id)))


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


def _keep_an_owner(conn: Connection, slug: str, user_id: int, what: str) -> None:
    """Refuse ``what`` (a demotion or a removal of ``user_id``) when it would leave the
    project without an owner; run inside the writing transaction, so two owners cannot
    demote each other at once."""
    if conn.scalar(select(_MEMBER.c.role).where(_MEMBER.c.project == slug,
                                                _MEMBER.c.user_id == user_id)) != "owner":
        return
    owners = conn.scalar(select(func.count()).select_from(_MEMBER).where(
        _MEMBER.c.project == slug, _MEMBER.c.role == "owner")) or 0
    if owners <= 1:
        raise DomainError(f"cannot {what}: this member is the project's only owner; make another "
                          "member owner first")


def set_role(project: Project, slug: str, user_id: int, role: str, actor: str) -> None:
    with project._write(actor) as (conn, _changes):
        if role != "owner":
            _keep_an_owner(conn, slug, user_id, f"make this member {role}")
        done = conn.execute(update(_MEMBER).where(_MEMBER.c.project == slug, _MEMBER.c.user_id == user_id)
                            .values(role=role)).rowcount
        if not done:
            conn.execute(insert(_MEMBER), {"project": slug, "user_id": user_id, "role": role})


def remove_member(project: Project, slug: str, user_id: int, actor: str) -> None:
    """Take ``user_id`` out of the project (never its last owner); nothing they did is deleted."""
    with project._write(actor) as (conn, _changes):
        _keep_an_owner(conn, slug, user_id, "remove this member")
        done = conn.execute(delete(_MEMBER).where(_MEMBER.c.project == slug,
                                                  _MEMBER.c.user_id == user_id)).rowcount
        if not done:
            raise DomainError(f"no such member in project {slug!r}")


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


@dataclass(frozen=True)
class Invitation(Serializable):
    """An invitation not yet used: its token's hash (the id to revoke it by), role, who and when."""

    token_hash: str
    role: str
    created_by: str
    created_at: str


def open_invitations(project: Project, slug: str) -> list[Invitation]:
    """The project's invitations not yet used, newest first."""
    with project._read() as conn:
        rows = conn.execute(select(_INVITE.c.token_hash, _INVITE.c.role, _USER.c.name, _INVITE.c.created_at)
                            .join(_USER, _USER.c.id == _INVITE.c.created_by)
                            .where(_INVITE.c.project == slug, _INVITE.c.accepted_by.is_(None))
                            .order_by(_INVITE.c.created_at.desc())).all()
    return [Invitation(r.token_hash, r.role, r.name, _rows.as_utc(r.created_at).isoformat()) for r in rows]


def revoke_invitation(project: Project, slug: str, token_hash: str, actor: str) -> str:
    """Delete an unused invitation of ``slug`` (its link stops working); returns its role."""
    with project._write(actor) as (conn, _changes):
        role = conn.scalar(select(_INVITE.c.role).where(_INVITE.c.token_hash == token_hash,
                                                        _INVITE.c.project == slug,
                                                        _INVITE.c.accepted_by.is_(None)))
        if role is None:
            raise DomainError("this invitation was already used or revoked; reload the page")
        conn.execute(delete(_INVITE).where(_INVITE.c.token_hash == token_hash))
    return str(role)


def set_password(project: Project, user_id: int, password_hash: str, keep_session: str) -> None:
    """Store a new password hash and end the user's other sessions (all but ``keep_session``,
    a token hash)."""
    with project._write("server") as (conn, _changes):
        conn.execute(update(_USER).where(_USER.c.id == user_id).values(password_hash=password_hash))
        conn.execute(delete(_SESSION).where(_SESSION.c.user_id == user_id,
                                            _SESSION.c.token_hash != keep_session))


INVITATION_USED = "this invitation was already used or does not exist; ask the owner for a new one"


def _use_invitation(conn: Connection, token_hash: str, user_id: int) -> tuple[str, str]:
    """Mark the invitation used by ``user_id`` and add them to its project with its role (an
    existing owner stays owner); (slug, role). A conditional UPDATE inside the caller's
    transaction: of two requests racing with one token only one changes a row, the other
    finds none and is refused (DomainError), so its transaction stores nothing."""
    row = conn.execute(update(_INVITE).where(_INVITE.c.token_hash == token_hash,
                                             _INVITE.c.accepted_by.is_(None))
                       .values(accepted_by=user_id)
                       .returning(_INVITE.c.project, _INVITE.c.role)).first()
    if row is None:
        raise DomainError(INVITATION_USED)
    current = conn.scalar(select(_MEMBER.c.role).where(_MEMBER.c.project == row.project,
                                                       _MEMBER.c.user_id == user_id))
    if current is None:
        conn.execute(insert(_MEMBER), {"project": row.project, "user_id": user_id, "role": row.role})
    elif current != "owner":
        conn.execute(update(_MEMBER).where(_MEMBER.c.project == row.project,
                                           _MEMBER.c.user_id == user_id).values(role=row.role))
    return row.project, row.role


def accept_invitation(project: Project, token_hash: str, user_id: int, actor: str) -> tuple[str, str]:
    """Use the invitation once: the user joins its project with its role (an existing higher
    role is kept only if it is the owner's). Returns (slug, role)."""
    with project._write(actor) as (conn, _changes):
        return _use_invitation(conn, token_hash, user_id)


def register_invited(project: Project, token_hash: str, name: str, password_hash: str) -> tuple[User, str]:
    """A new account that joins the invitation's project, in one transaction: the account is
    stored only if this request is the one that uses the invitation. (user, slug)."""
    with _taken(_name_taken(name)), project._write(name) as (conn, _changes):
        user = _insert_user(conn, name, password_hash, False)
        slug, _role = _use_invitation(conn, token_hash, user.id)
    return user, slug


def add_login_attempt(project: Project, name: str, ip: str, ok: bool, at: dt.datetime) -> None:
    with project._write("server") as (conn, _changes):
        conn.execute(insert(_ATTEMPT), {"name": name, "ip": ip, "ok": ok, "at": at})


def failures_since(project: Project, name: str, ip: str, since: dt.datetime) -> int:
    with project._read() as conn:
        return int(conn.scalar(select(func.count()).select_from(_ATTEMPT).where(
            _ATTEMPT.c.name == name, _ATTEMPT.c.ip == ip, _ATTEMPT.c.at >= since,
            _ATTEMPT.c.ok.is_(False))) or 0)
