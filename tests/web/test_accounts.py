"""The accounts store and service on SQLite, and on PostgreSQL when EVISYNTH_TEST_PG is set
(``serve --database URL``): users, sessions, throttling, invitations, memberships."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from evisynth.review.errors import DomainError
from evisynth.services.accounts import MAX_FAILURES, AuthError, Server, ThrottledError
from evisynth.storage import accounts as store
from tests.storage.conftest import location  # noqa: F401  (the SQLite/PostgreSQL fixture)
from tests.web.conftest import CHEAP, PASSWORD


@pytest.fixture
def server(location: str, tmp_path: Path) -> Server:  # noqa: F811
    database = None if "://" not in location else location
    s = Server(tmp_path / "data", database, hasher=CHEAP)
    yield s  # type: ignore[misc]
    s.close()


def test_login_sessions_and_logout(server: Server) -> None:
    server.create_owner("olga", PASSWORD)
    with pytest.raises(DomainError, match="already an account"):
        server.create_user("olga", PASSWORD)
    with pytest.raises(DomainError, match="at least 8"):
        server.create_user("pat", "short")
    with pytest.raises(AuthError, match="wrong account name or password"):
        server.login("nobody", PASSWORD, "10.0.0.1")
    token = server.login("olga", PASSWORD, "10.0.0.1")
    found = server.session(token)
    assert found is not None and found.user.name == "olga" and found.user.is_admin and found.csrf
    assert server.session(token + "x") is None
    server.logout(token)
    assert server.session(token) is None


def test_throttling_counts_failures_per_account_and_address(server: Server) -> None:
    server.create_user("rui", PASSWORD)
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthError):
            server.login("rui", "not the password", "10.0.0.2")
    with pytest.raises(ThrottledError):
        server.login("rui", PASSWORD, "10.0.0.2")
    assert server.session(server.login("rui", PASSWORD, "10.0.0.3")) is not None  # another address


def test_an_expired_session_is_refused(server: Server) -> None:
    user = server.create_user("rui", PASSWORD)
    store.add_session(server.accounts, "h" * 64, user.id, "csrf",
                      dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    assert store.session_user(server.accounts, "h" * 64, dt.datetime.now(dt.UTC)) is None


def test_invitations_memberships_and_what_each_user_sees(server: Server) -> None:
    olga = server.create_owner("olga", PASSWORD)
    first = server.create_project(olga, "First review")
    second = server.create_project(olga, "First review")  # same title: its own slug
    assert (first, second) == ("first-review", "first-review-2")
    token = server.invite(first, olga, "arbiter")
    ari = server.register(token, "ari", PASSWORD)
    with pytest.raises(DomainError, match="already used"):
        server.register(token, "ari2", PASSWORD)
    assert server.role(first, ari) == "arbiter" and server.role(second, ari) is None
    assert [p.slug for p, _ in server.projects_of(ari)] == [first]
    assert [p.slug for p, _ in server.projects_of(olga)] == [first, second]
    with pytest.raises(DomainError, match="only the server's owner"):
        server.create_project(ari, "Mine")


def test_a_second_project_with_a_taken_slug_is_refused_and_nothing_is_stored(server: Server) -> None:
    olga = server.create_owner("olga", PASSWORD)
    store.add_web_project(server.accounts, "trial", "Trial", "projects/trial.evisynth", olga.id, "olga")
    with pytest.raises(DomainError, match="already a project 'trial'"):
        store.add_web_project(server.accounts, "trial", "Other", "projects/other.evisynth", olga.id, "olga")
    projects = store.web_projects(server.accounts, olga.id)
    assert [(p.title, role) for p, role in projects] == [("Trial", "owner")]
