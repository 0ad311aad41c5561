"""A team screening one project through the web (issue 14): work allocation, stale pages,
decided records shown as they are, changing a decision with its history, "my decisions",
exclusion reasons from the protocol, batches, and the owner's team page, members,
invitations, passwords and audit log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from evisynth.review.errors import DomainError
from evisynth.review.screening import agreement
from evisynth.services import team
from evisynth.services.accounts import Server
from evisynth.storage import screening as screening_store
from evisynth.web import Settings, create_app
from tests.web.conftest import PASSWORD, Site, build_site, csrf_of, sign_in

RECORD = re.compile(r'data-record="(\d+)"')


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[tuple[TestClient, Site]]:
    """A site of its own for each test (the tests change the screening)."""
    site = build_site(tmp_path)
    with TestClient(create_app(Settings(site.data_dir)), base_url="https://testserver") as client:
        yield client, site


def offered(client: TestClient, slug: str, query: str = "") -> int | None:
    found = RECORD.search(client.get(f"/p/{slug}/screen{query}").text)
    return None if found is None else int(found.group(1))


def post(client: TestClient, slug: str, csrf: str, rid: int, decision: str, path: str = "/screen",
         **extra: str) -> tuple[int, str]:
    r = client.post(f"/p/{slug}{path}", data={"csrf": csrf, "record_id": rid, "decision": decision,
                                               "stage": "ta", **extra}, follow_redirects=False)
    return r.status_code, r.headers.get("location", r.text)


def states(client: TestClient, slug: str) -> dict[int, object]:
    server: Server = client.app.state.server  # type: ignore[attr-defined]
    return screening_store.load_screening(server.project(slug))  # type: ignore[return-value]


def test_three_reviewers_asking_at_once_are_spread_two_per_record(fresh: tuple[TestClient, Site]) -> None:
    client, site = fresh
    one, two, *_ = site.record_ids
    seen = {}
    for name in ("rui", "rita", "olga"):  # each page view leases its record to the reviewer
        sign_in(client, name)
        seen[name] = offered(client, site.slug)
    assert seen == {"rui": one, "rita": one, "olga": two}
    sign_in(client, "rui")
    assert offered(client, site.slug) == one  # a reload keeps the reviewer's record


def test_a_stale_page_says_who_decided_the_record_and_moves_on(fresh: tuple[TestClient, Site]) -> None:
    client, site = fresh
    one, two, *_ = site.record_ids
    sign_in(client, "olga")
    assert offered(client, site.slug, f"?record={one}") == one  # olga's page shows record one
    for name in ("rui", "rita"):
        csrf = sign_in(client, name)
        assert post(client, site.slug, csrf, one, "include")[0] == 303
    olga = sign_in(client, "olga")
    code, location = post(client, site.slug, olga, one, "exclude")
    assert code == 303 and f"taken={one}" in location
    page = client.get(location).text
    assert f"Record {one} has been decided by rui and rita meanwhile" in page
    assert "cannot record" not in page  # no state-machine error
    assert RECORD.search(page) and int(RECORD.search(page).group(1)) == two  # type: ignore[union-attr]
    assert [d.reviewer for d in states(client, site.slug)[one].stage("ta").decisions] == ["rui", "rita"]  # type: ignore[attr-defined]
    code, text = post(client, site.slug, olga, two, "include", stage="xx")  # not a stage: said so
    assert code == 400 and "stage 'xx' must be ta" in text.replace("&#39;", "'")


def test_a_decided_record_asked_for_by_id_is_shown_never_another(fresh: tuple[TestClient, Site]) -> None:
    client, site = fresh
    one = site.record_ids[0]
    for name in ("rui", "rita"):
        csrf = sign_in(client, name)
        post(client, site.slug, csrf, one, "include")
    sign_in(client, "olga")
    page = client.get(f"/p/{site.slug}/screen?record={one}").text
    assert f'data-record="{one}"' in page
    assert "This record has been decided by rui and rita; it needs no decision from you" in page
    assert 'id="decide-form"' not in page  # read-only: olga has no decision to change
    page = client.get(f"/p/{site.slug}/screen?stage=ft&record={site.record_ids[1]}").text
    assert "is not open for screening at this stage" in page and 'id="decide-form"' not in page
    r = client.get(f"/p/{site.slug}/screen?record=999")
    assert r.status_code == 400 and "999" in r.text  # an unknown id is said so, not replaced


def test_a_reviewer_changes_an_earlier_decision_and_sees_its_history(fresh: tuple[TestClient, Site]) -> None:
    client, site = fresh
    one, two, *_ = site.record_ids
    rui = sign_in(client, "rui")
    post(client, site.slug, rui, one, "include")
    post(client, site.slug, rui, two, "include")
    code, location = post(client, site.slug, rui, one, "exclude", "/screen/change", reason="other",
                          other="a  narrative   review")
    assert code == 303
    page = client.get(location).text
    assert "Your decision was changed" in page
    assert "You decided <b>exclude</b> (a narrative review)" in page
    history = [h.strip() for h in re.findall(r"<li>[^<]*· rui: ([a-z ]+)", page.split('id="history"')[1])]
    assert history == ["include", "withdrew the decision", "exclude"]
    state = states(client, site.slug)[one]
    assert [(d.action, d.reason) for d in state.stage("ta").decisions] == [("exclude", "a narrative review")]  # type: ignore[attr-defined]
    # the change of a decision nobody made is refused in words
    sign_in(client, "rita")
    csrf = csrf_of(client.get(f"/p/{site.slug}/screen").text)
    code, text = post(client, site.slug, csrf, one, "include", "/screen/change")
    assert code == 400 and "you have no title/abstract decision on record" in text


def test_my_decisions_lists_mine_newest_first(fresh: tuple[TestClient, Site]) -> None:
    client, site = fresh
    one, two, three, _ = site.record_ids
    rui = sign_in(client, "rui")
    for rid in (one, two, three):
        post(client, site.slug, rui, rid, "include")
    page = client.get(f"/p/{site.slug}/screen/mine").text
    assert [int(x) for x in re.findall(r'record=(\d+)">\d+</a>', page)] == [three, two, one]
    assert "3 decision(s)" in page
    assert client.get(f"/p/{site.slug}/screen/mine?page=2").status_code == 400
    server: Server = client.app.state.server  # type: ignore[attr-defined]
    assert team.my_decisions(server.project(site.slug), "rita").total == 0


def test_paging_splits_a_list_and_refuses_a_page_beyond_it() -> None:
    found = team._page(list(range(60)), 3)
    assert (found.items, found.pages, found.total) == (tuple(range(50, 60)), 3, 60)
    with pytest.raises(DomainError, match="page 4 does not exist; there are 3"):
        team._page(list(range(60)), 4)


@pytest.mark.parametrize(("stage", "reason", "other", "expected"), [
    ("ta", "", "", ""),  # optional at title/abstract
    ("ft", "E1", "", "E1"),
    ("ft", "other", "  wrong  setting ", "wrong setting"),
    ("ft", "", "", "a full-text exclusion needs a reason"),
    ("ft", "other", " ", "'other' needs words"),
    ("ta", "E9", "", "'E9' is not one of the protocol's criteria (E1, E2)"),
])
def test_exclusion_reasons_come_from_the_protocol(stage: str, reason: str, other: str, expected: str) -> None:
    from evisynth.review.model import Criterion

    criteria = (Criterion("E1", "children"), Criterion("E2", "animal studies"))
    if expected in ("", "E1", "wrong setting"):
        assert team.exclusion_reason(stage, "exclude", reason, other, criteria) == expected
    else:
        with pytest.raises(DomainError, match=re.escape(expected)):
            team.exclusion_reason(stage, "exclude", reason, other, criteria)
    assert team.exclusion_reason(stage, "include", reason, other, criteria) == ""


def test_a_full_text_exclusion_needs_a_listed_reason(fresh: tuple[TestClient, Site]) -> None:
    client, site = fresh
    one = site.record_ids[0]
    for name in ("rui", "rita"):
        csrf = sign_in(client, name)
        post(client, site.slug, csrf, one, "include")
    rui = sign_in(client, "rui")
    assert offered(client, site.slug, "?stage=ft") == one
    r = client.post(f"/p/{site.slug}/screen", data={"csrf": rui, "record_id": one, "stage": "ft",
                                                    "decision": "exclude", "reason": ""})
    assert r.status_code == 400 and "a full-text exclusion needs a reason" in r.text
    r = client.post(f"/p/{site.slug}/screen", data={"csrf": rui, "record_id": one, "stage": "ft",
                                                    "decision": "exclude", "reason": "made up"})
    assert r.status_code == 400 and "is not one of the protocol&#39;s criteria" in r.text
    r = client.post(f"/p/{site.slug}/screen", data={"csrf": rui, "record_id": one, "stage": "ft",
                                                    "decision": "exclude", "reason": "wrong outcome"},
                    follow_redirects=False)
    assert r.status_code == 303


def test_an_assigned_batch_comes_first(fresh: tuple[TestClient, Site]) -> None:
    client, site = fresh
    four = site.record_ids[3]
    olga = sign_in(client, "olga")
    rita = next(m for m in client.app.state.server.members(site.slug) if m.name == "rita")  # type: ignore[attr-defined]
    r = client.post(f"/p/{site.slug}/team/assign", data={"csrf": olga, "user_id": rita.user_id, "count": 5,
                                                         "contains": "ASTHMA"}, follow_redirects=False)
    assert r.status_code == 303
    assert "1 records assigned." in client.get(r.headers["location"]).text
    # nothing else matches: a second batch of the same filter is refused in words
    r = client.post(f"/p/{site.slug}/team/assign", data={"csrf": olga, "user_id": rita.user_id,
                                                         "contains": "asthma"})
    assert r.status_code == 400 and "no record to assign to rita" in r.text
    sign_in(client, "rita")
    assert offered(client, site.slug) == four
    sign_in(client, "rui")
    assert offered(client, site.slug) == site.record_ids[0]  # others keep the shared order


def test_the_owner_sees_progress_and_kappa(fresh: tuple[TestClient, Site]) -> None:
    client, site = fresh
    plan = {"rui": ("include", "include", "exclude", "exclude"), "rita": ("include", "exclude", "exclude",
                                                                         "exclude")}
    for name, decisions in plan.items():
        csrf = sign_in(client, name)
        for rid, decision in zip(site.record_ids, decisions, strict=True):
            post(client, site.slug, csrf, rid, decision)
    sign_in(client, "olga")
    page = client.get(f"/p/{site.slug}/team").text
    rows = dict(re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td>", page.split('id="progress"')[1]))
    assert rows == {"olga": "0", "rita": "4", "rui": "4"}
    # the kappa shown is the one of the domain's agreement (pinned against R in tests/review)
    kappa = agreement(list(states(client, site.slug).values()), "ta", "rita", "rui")  # type: ignore[arg-type]
    assert kappa.kappa is not None and f"{kappa.kappa:.2f}" in page.split('id="kappa"')[1]
    assert kappa.kappa == pytest.approx(0.5)  # 2x2 table [[1, 0], [1, 2]]: po 0.75, pe 0.5
    sign_in(client, "rui")
    assert client.get(f"/p/{site.slug}/team").status_code == 403


def test_the_owner_removes_members_and_never_the_last_owner(fresh: tuple[TestClient, Site]) -> None:
    client, site = fresh
    server: Server = client.app.state.server  # type: ignore[attr-defined]
    members = {m.name: m.user_id for m in server.members(site.slug)}
    olga = sign_in(client, "olga")
    r = client.post(f"/p/{site.slug}/members/remove", data={"csrf": olga, "user_id": members["rita"]},
                    follow_redirects=False)
    assert r.status_code == 303 and "Member removed" in client.get(r.headers["location"]).text
    r = client.post(f"/p/{site.slug}/members/remove", data={"csrf": olga, "user_id": members["olga"]})
    assert r.status_code == 400 and "only owner" in r.text
    sign_in(client, "rita")
    assert client.get(f"/p/{site.slug}/screen").status_code == 404


def test_invitations_are_revoked_and_reissued(fresh: tuple[TestClient, Site]) -> None:
    client, site = fresh
    olga = sign_in(client, "olga")
    r = client.post(f"/p/{site.slug}/invite", data={"csrf": olga, "role": "reviewer"}, follow_redirects=False)
    first = r.headers["location"].split("invited=")[1]
    page = client.get(f"/p/{site.slug}/team").text
    (digest,) = re.findall(r'name="invitation" value="([0-9a-f]+)"', page)[:1]
    r = client.post(f"/p/{site.slug}/invitations/reissue", data={"csrf": olga, "invitation": digest},
                    follow_redirects=False)
    second = r.headers["location"].split("invited=")[1]
    assert second != first
    assert client.get(f"/invite/{first}").status_code == 404  # the old link stops working
    assert client.get(f"/invite/{second}").status_code == 200
    page = client.get(f"/p/{site.slug}/team").text
    digests = re.findall(r'name="invitation" value="([0-9a-f]+)"', page)
    assert len(set(digests)) == 1 and digest not in digests
    r = client.post(f"/p/{site.slug}/invitations/revoke", data={"csrf": olga, "invitation": digests[0]},
                    follow_redirects=False)
    assert "Invitation revoked" in client.get(r.headers["location"]).text
    assert client.get(f"/invite/{second}").status_code == 404
    r = client.post(f"/p/{site.slug}/invitations/revoke", data={"csrf": olga, "invitation": digests[0]})
    assert r.status_code == 400 and "already used or revoked" in r.text


def test_every_user_changes_their_password_under_the_policy(fresh: tuple[TestClient, Site]) -> None:
    client, _site = fresh
    other = TestClient(client.app, base_url="https://testserver")
    sign_in(other, "rui")  # a second session of rui's, ended by the change
    csrf = sign_in(client, "rui")
    new = "seven purple kites at dawn"

    def change(current: str, password: str, again: str | None = None) -> tuple[int, str]:
        r = client.post("/account/password", data={"csrf": csrf, "current": current, "new": password,
                                                   "again": password if again is None else again},
                        follow_redirects=False)
        return r.status_code, r.text

    assert change("wrong password here", new) == (403, change("wrong password here", new)[1])
    assert "the current password is wrong" in change("wrong password here", new)[1]
    code, text = change(PASSWORD, "1234567890")
    assert code == 400 and "digits only" in text
    assert change(PASSWORD, new, "something else")[0] == 400
    assert change(PASSWORD, new)[0] == 303
    assert client.get("/projects").status_code == 200  # this session stays
    assert other.get("/projects", follow_redirects=False).status_code == 303  # the other ended
    token = csrf_of(other.get("/login").text)
    r = other.post("/login", data={"name": "rui", "password": new, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    other.close()


def test_the_password_page_needs_a_session(fresh: tuple[TestClient, Site]) -> None:
    client, _site = fresh
    client.cookies.clear()
    r = client.get("/account/password", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_the_audit_log_is_paged_newest_first_for_the_owner(fresh: tuple[TestClient, Site]) -> None:
    client, site = fresh
    rui = sign_in(client, "rui")
    post(client, site.slug, rui, site.record_ids[0], "include")
    assert client.get(f"/p/{site.slug}/audit").status_code == 403
    sign_in(client, "olga")
    page = client.get(f"/p/{site.slug}/audit").text
    ids = [int(x) for x in re.findall(r"<tr><td>(\d+)</td>", page)]
    assert ids == sorted(ids, reverse=True) and len(ids) >= 2
    assert "rui" in page.split("<tbody>")[1].split("</tr>")[0]  # the newest: rui's decision


def test_leases_expire_and_spread_a_queue() -> None:
    now = [0.0]
    leases = team.Leases(seconds=60, clock=lambda: now[0])
    decided = {3: frozenset({"z"})}  # record 3 has z's decision: room for one more
    assert [leases.take("p", "ta", who, [1, 2, 3], decided, 2) for who in "abcde"] == [1, 1, 2, 2, 3]
    assert leases.take("p", "ta", "f", [1, 2, 3], decided, 2) is None  # every record full
    now[0] = 61.0  # the pages were abandoned
    assert leases.take("p", "ta", "f", [1, 2, 3], decided, 2) == 1
    leases.release("p", "ta", "f")
    assert leases.take("p", "ta", "g", [1], {}, 1) == 1  # f's release left room for one


def test_the_shared_ranking_learns_only_from_settled_records() -> None:
    from evisynth.review.screening import RecordScreening

    found = team._shared_labels({1: RecordScreening(1, "ta:open"), 2: RecordScreening(2, "ta:conflict"),
                                 3: RecordScreening(3, "ta:excluded"), 4: RecordScreening(4, "ft:open"),
                                 5: RecordScreening(5, "included")})
    assert found == {3: False, 4: True, 5: True}  # what every reviewer may see: blinding holds


def test_a_decision_just_stored_counts_even_for_a_page_read_before_it() -> None:
    leases = team.Leases(seconds=60, clock=lambda: 0.0)
    assert leases.take("p", "ta", "a", [1, 2], {}, 2) == 1
    assert leases.take("p", "ta", "b", [1, 2], {}, 2) == 1
    leases.done("p", "ta", "a", 1)
    leases.done("p", "ta", "b", 1)
    # c read the decisions before a's and b's were stored: record 1 still looked empty
    assert leases.take("p", "ta", "c", [1, 2], {}, 2) == 2
