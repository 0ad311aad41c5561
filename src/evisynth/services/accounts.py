"""The web server's accounts: a data folder, Argon2 passwords, server-side sessions, CSRF
tokens, login throttling, projects, memberships and invitations.

One server = one data folder (``evisynth serve --data-dir D``): ``D/server.evisynth`` holds
the accounts (or a PostgreSQL URL given as ``database``) and the list of projects served;
each project is its own database, ``D/projects/<slug>.evisynth``, the same file the CLI
opens (``evisynth screen ... D/projects/<slug>.evisynth``). Uploaded full texts go to
``D/files/<slug>/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from evisynth.review.errors import DomainError
from evisynth.review.model import Protocol, Review
from evisynth.services.passwords import MAX_NAME, MAX_PASSWORD, normalise_name, password_problem, skeleton
from evisynth.storage import accounts as store
from evisynth.storage.accounts import INVITATION_USED, Member, User, WebProject
from evisynth.storage.errors import StorageError
from evisynth.storage.project import Project, open_project

__all__ = ["ROLES", "AuthError", "Member", "Server", "SessionInfo", "ThrottledError", "User", "WebProject"]

ROLES = ("owner", "reviewer", "arbiter")
#: Login throttling: this many failures for one account from one address ...
MAX_FAILURES = 5
#: ... within this window refuse further attempts until the window has passed.
FAILURE_WINDOW = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=12)
MAX_TITLE = 300
_NAME = re.compile(rf"[\w.@-]{{1,{MAX_NAME}}}")
# A hash to verify against when the account does not exist, so timing does not tell.
_DUMMY_HASH = PasswordHasher().hash("not a password of anyone")


class AuthError(DomainError):
    """Wrong name or password (never says which)."""


class ThrottledError(AuthError):
    """Too many failed logins for this account from this address."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words)[:40].strip("-") or "project"


@dataclass(frozen=True)
class SessionInfo:
    user: User
    csrf: str


@dataclass
class Server:
    """The accounts database and the projects it serves (open databases are kept open)."""

    data_dir: Path
    database: str | None = None
    #: Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile); tests pass a
    #: cheaper one. Verification always uses the parameters stored in each hash.
    hasher: PasswordHasher = field(default_factory=PasswordHasher)
    accounts: Project = field(init=False)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        (self.data_dir / "projects").mkdir(parents=True, exist_ok=True)
        self.accounts = open_project(self.database or self.data_dir / "server.evisynth", create=True)
        self._open: dict[str, Project] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        for p in self._open.values():
            p.close()
        self._open.clear()
        self.accounts.close()

    # -- accounts ---------------------------------------------------------------------

    def create_user(self, name: str, password: str, *, is_admin: bool = False) -> User:
        name = self._new_name(name, password)
        return store.add_user(self.accounts, name, self.hasher.hash(password), is_admin=is_admin, actor=name)

    def _new_name(self, name: str, password: str) -> str:
        """``name`` as it will be stored (NFKC), once it and ``password`` pass the rules:
        a valid name, not confusable with an existing account's, a password of the policy."""
        name = normalise_name(name)
        if not _NAME.fullmatch(name):
            shown = name if len(name) <= MAX_NAME else name[:MAX_NAME] + "…"
            raise DomainError(f"account name {shown!r}: use 1–{MAX_NAME} letters, digits, '.', '@', '_' "
                              "or '-'")
        problem = password_problem(password, name)
        if problem:
            raise DomainError(problem)
        look = skeleton(name)
        for other in store.user_names(self.accounts):
            if other == name:
                raise DomainError(f"there is already an account named {name!r}; choose another name")
            if skeleton(other) == look:
                raise DomainError(f"account name {name!r} looks like the existing account {other!r}; "
                                  "choose a name that cannot be mistaken for it")
        return name

    def create_owner(self, name: str, password: str) -> User:
        """The server's first account: it may create projects (``serve --create-owner``)."""
        return self.create_user(name, password, is_admin=True)

    def has_users(self) -> bool:
        return store.count_users(self.accounts) > 0

    def login(self, name: str, password: str, ip: str) -> str:
        """A new session token for the account; AuthError/ThrottledError otherwise."""
        now = dt.datetime.now(dt.UTC)
        name = normalise_name(name)
        if not _NAME.fullmatch(name) or len(password) > MAX_PASSWORD:
            # no account has such a name or password: refused before anything is stored
            raise AuthError("wrong account name or password")
        if store.failures_since(self.accounts, name, ip, now - FAILURE_WINDOW) >= MAX_FAILURES:
            raise ThrottledError("too many failed logins; try again in "
                                 f"{FAILURE_WINDOW.seconds // 60} minutes")
        user = store.user_by_name(self.accounts, name)
        try:
            ok: bool = self.hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
            ok = ok and user is not None
        except (VerificationError, InvalidHashError):
            ok = False
        store.add_login_attempt(self.accounts, name, ip, ok, now)
        if not ok or user is None:
            raise AuthError("wrong account name or password")
        token = secrets.token_urlsafe(32)
        store.add_session(self.accounts, _digest(token), user.id, secrets.token_urlsafe(32),
                          now + SESSION_LIFETIME)
        return token

    def session(self, token: str | None) -> SessionInfo | None:
        if not token:
            return None
        found = store.session_user(self.accounts, _digest(token), dt.datetime.now(dt.UTC))
        return None if found is None else SessionInfo(*found)

    def logout(self, token: str) -> None:
        store.delete_session(self.accounts, _digest(token))

    # -- projects -------------------------------------------------------------------------

    def create_project(self, owner: User, title: str, language: str = "en", *,
                       bundle: Path | None = None) -> str:
        """A new project database in the data folder, owned by ``owner``; returns its slug.
        ``bundle``: a review bundle folder to import into it (its protocol, studies, values)."""
        if not owner.is_admin:
            raise DomainError("only the server's owner account can create projects")
        if not title.strip():
            raise DomainError("a project needs a title")
        if len(title) > MAX_TITLE:
            raise DomainError(f"a project title has at most {MAX_TITLE} characters (this one: {len(title)})")
        if language not in ("en", "zh"):
            raise DomainError(f"language {language!r} must be en or zh")
        base = slug = _slug(title)
        n = 1
        while store.get_web_project(self.accounts, slug) is not None or \
                (self.data_dir / "projects" / f"{slug}.evisynth").exists():
            n += 1
            slug = f"{base}-{n}"
        path = self.data_dir / "projects" / f"{slug}.evisynth"
        project = open_project(path, create=True)
        try:
            if bundle is not None:
                project.import_bundle(bundle, owner.name)
            else:
                project.save_review(Review(id=slug, protocol=Protocol(title=title.strip(),
                                                                      language=language)),  # type: ignore[arg-type]
                                    owner.name)
        finally:
            project.close()
        store.add_web_project(self.accounts, slug, title.strip(), str(path), owner.id, owner.name)
        return slug

    def projects_of(self, user: User) -> list[tuple[WebProject, str]]:
        """The projects the user belongs to, with the role in each (nothing else is listed)."""
        return store.web_projects(self.accounts, user.id)

    def role(self, slug: str, user: User) -> str | None:
        """The user's role in the project; None when the project is unknown or not theirs."""
        return store.role_of(self.accounts, slug, user.id)

    def web_project(self, slug: str) -> WebProject:
        found = store.get_web_project(self.accounts, slug)
        if found is None:
            raise StorageError(f"no project {slug!r} on this server")
        return found

    def project(self, slug: str) -> Project:
        """The project's open database (opened once, then shared by every request)."""
        with self._lock:
            if slug not in self._open:
                self._open[slug] = open_project(self.web_project(slug).location)
            return self._open[slug]

    def files_dir(self, slug: str) -> Path:
        folder = self.data_dir / "files" / slug
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def members(self, slug: str) -> list[Member]:
        return store.members(self.accounts, slug)

    def set_role(self, slug: str, by: User, member_id: int, role: str) -> None:
        """Change a member's role (never the last owner's to another)."""
        if role not in ROLES:
            raise DomainError(f"role {role!r} must be one of {', '.join(ROLES)}")
        store.set_role(self.accounts, slug, member_id, role, by.name)

    def remove_member(self, slug: str, by: User, member_id: int) -> None:
        """Take a member out of the project (never its last owner)."""
        store.remove_member(self.accounts, slug, member_id, by.name)

    def change_password(self, user: User, current: str, new: str, session_token: str) -> None:
        """Replace ``user``'s password after checking the current one and the password policy;
        their other sessions end (this one stays)."""
        try:
            ok = bool(self.hasher.verify(user.password_hash, current))
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            raise AuthError("the current password is wrong; nothing was changed")
        problem = password_problem(new, user.name)
        if problem:
            raise DomainError(f"{problem}; nothing was changed")
        store.set_password(self.accounts, user.id, self.hasher.hash(new), _digest(session_token))

    # -- invitations ------------------------------------------------------------------------

    def invitations(self, slug: str) -> list[store.Invitation]:
        return store.open_invitations(self.accounts, slug)

    def revoke(self, slug: str, by: User, token_hash: str) -> str:
        """Revoke an unused invitation (by its hash); returns its role."""
        return store.revoke_invitation(self.accounts, slug, token_hash, by.name)

    def reissue(self, slug: str, by: User, token_hash: str) -> str:
        """Revoke an unused invitation and make a new one with its role; the new token."""
        return self.invite(slug, by, self.revoke(slug, by, token_hash))

    def invite(self, slug: str, by: User, role: str) -> str:
        """A one-use invitation token to join ``slug`` with ``role`` (the owner shares the link)."""
        if role not in ROLES:
            raise DomainError(f"role {role!r} must be one of {', '.join(ROLES)}")
        token = secrets.token_urlsafe(24)
        store.add_invitation(self.accounts, _digest(token), slug, role, by.id, by.name)
        return token

    def invitation(self, token: str) -> tuple[str, str] | None:
        return store.open_invitation(self.accounts, _digest(token))

    def accept(self, token: str, user: User) -> tuple[str, str]:
        return store.accept_invitation(self.accounts, _digest(token), user.id, user.name)

    def register(self, token: str, name: str, password: str) -> User:
        """A new account through an invitation (there is no open sign-up). The account is
        created and the invitation used in one transaction: a token posted several times at
        once creates one account."""
        if self.invitation(token) is None:  # early, before the cost of hashing
            raise DomainError(INVITATION_USED)
        name = self._new_name(name, password)
        user, _slug = store.register_invited(self.accounts, _digest(token), name, self.hasher.hash(password))
        return user


def open_server(data_dir: str | os.PathLike[str], database: str | None = None) -> Server:
    return Server(Path(data_dir), database)
