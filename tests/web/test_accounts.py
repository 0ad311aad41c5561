"""The accounts store and service on SQLite, and on PostgreSQL when EVISYNTH_TEST_PG is set
(``serve --database URL``): users, sessions, throttling, invitations, memberships."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from argon2 import PasswordHasher

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
    with pytest.raises(DomainError, match="at least 10"):
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


@pytest.mark.parametrize(("password", "why"), [
    ("12345678", "at least 10"), ("1234567890", "digits only"), ("aaaaaaaaaaaa", "repeats"),
    ("abcabcabcabc", "repeats"), ("abcdefghij", "consecutive"), ("Password123", "common passwords"),
    ("QWERTYUIOP", "common passwords"), ("patricia-2024", "account name"), ("x" * 1025, "longer than 1024")])
def test_weak_passwords_are_refused_with_the_reason(server: Server, password: str, why: str) -> None:
    with pytest.raises(DomainError, match=why):
        server.create_user("patricia", password)
    assert not server.has_users()


def test_names_are_nfkc_normalised_and_look_alikes_refused(server: Server) -> None:
    server.create_owner("olga", PASSWORD)
    for look_alike in ("ｏｌｇａ", "Olga", "оlga", "o1ga"):  # full-width, capital, Cyrillic о, digit one
        with pytest.raises(DomainError, match=r"already an account named 'olga'|looks like the existing"):
            server.create_user(look_alike, PASSWORD)
    assert store.user_names(server.accounts) == ["olga"]
    assert server.create_user("ｏｌｇａ２", PASSWORD).name == "olga2"  # stored as NFKC
    assert server.session(server.login("ｏｌｇａ", PASSWORD, "10.0.0.1")) is not None
    assert server.create_user("李明", PASSWORD).name == "李明"  # Chinese names are names


def test_a_failed_login_with_an_oversized_name_stores_nothing(server: Server) -> None:
    server.create_user("rui", PASSWORD)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    huge = "x" * 900 * 1024
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthError, match="wrong account name or password"):
            server.login(huge, PASSWORD, "10.0.0.5")
        with pytest.raises(AuthError, match="wrong account name or password"):
            server.login("rui", huge, "10.0.0.5")
    assert store.failures_since(server.accounts, huge, "10.0.0.5", since) == 0
    assert store.failures_since(server.accounts, "rui", "10.0.0.5", since) == 0
    assert server.session(server.login("rui", PASSWORD, "10.0.0.5")) is not None


def test_one_invitation_posted_four_times_at_once_creates_one_account(location: str, tmp_path: Path) -> None:  # noqa: F811
    # a hash that takes a few milliseconds (it releases the GIL) so that the four requests overlap
    hasher = PasswordHasher(time_cost=1, memory_cost=16 * 1024, parallelism=1)
    server = Server(tmp_path / "data", None if "://" not in location else location, hasher=hasher)
    try:
        olga = server.create_owner("olga", PASSWORD)
        slug = server.create_project(olga, "Trial")
        token = server.invite(slug, olga, "reviewer")
        start = threading.Barrier(4)

        def register(i: int) -> str:
            start.wait()
            try:
                return server.register(token, f"reviewer{i}", PASSWORD).name
            except DomainError as exc:
                return str(exc)

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(register, range(4)))
        created = [a for a in answers if a.startswith("reviewer")]
        assert len(created) == 1, answers
        assert sum("already used" in a for a in answers) == 3, answers
        assert store.user_names(server.accounts) == ["olga", *created]
        assert [m.name for m in server.members(slug)] == sorted(["olga", *created])
    finally:
        server.close()


def test_the_last_owner_can_neither_be_demoted_nor_removed(server: Server) -> None:
    olga = server.create_owner("olga", PASSWORD)
    slug = server.create_project(olga, "Trial")
    rui = server.register(server.invite(slug, olga, "reviewer"), "rui", PASSWORD)
    with pytest.raises(DomainError, match="only owner"):
        server.set_role(slug, olga, olga.id, "reviewer")
    with pytest.raises(DomainError, match="only owner"):
        server.remove_member(slug, olga, olga.id)
    assert server.role(slug, olga) == "owner"
    server.set_role(slug, olga, rui.id, "owner")  # with a second owner, either may step down
    server.set_role(slug, rui, olga.id, "reviewer")
    with pytest.raises(DomainError, match="only owner"):
        server.set_role(slug, rui, rui.id, "arbiter")
    server.remove_member(slug, rui, olga.id)
    assert [(m.name, m.role) for m in server.members(slug)] == [("rui", "owner")]
    with pytest.raises(DomainError, match="no such member"):
        server.remove_member(slug, rui, olga.id)
