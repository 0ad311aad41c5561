"""Appraisal by two assessors blinded to each other, then agreed: RoB 1, Jadad and RoB 2 on
the vitamin K2 review (seed 000's bundle); the assessors' copies survive a bundle round trip."""

from __future__ import annotations

import re
from pathlib import Path

from evisynth.review.appraisal import ROB1_DOMAINS
from evisynth.services.accounts import Server
from evisynth.storage.bundle import read_bundle
from tests.web.conftest import PASSWORD, sign_in
from tests.web.test_rob2_web import _form as rob2_form

STUDY = "mansour2017"


def _rob1(csrf: str, copy: str, judgements: dict[str, str], who: str) -> dict[str, str]:
    form = {"csrf": csrf, "study": STUDY, "copy": copy}
    for d in ROB1_DOMAINS:
        form[f"{d}.judgement"] = judgements.get(d, "low")
        form[f"{d}.support"] = f"{who} quote for {d} (made up)"
        form[f"{d}.location"] = "p. 2"
    return form


def _arbiter(client) -> None:  # type: ignore[no-untyped-def]
    server: Server = client.app.state.server
    slug = next(iter(p.slug for p, _ in server.projects_of(_user(server, "olga"))))
    server.register(server.invite(slug, _user(server, "olga"), "arbiter"), "ari", PASSWORD)


def _user(server: Server, name: str):  # type: ignore[no-untyped-def]
    from evisynth.storage.accounts import user_by_name

    return user_by_name(server.accounts, name)


def test_rob1_assessors_are_blinded_until_both_have_assessed_then_agree(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    csrf = sign_in(client, "rui")
    r = client.post(f"/p/{slug}/rob", data=_rob1(csrf, "mine", {"allocation_concealment": "unclear"}, "rui"),
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("copy=mine")
    page = client.get(f"/p/{slug}/rob?study={STUDY}&copy=mine").text
    assert "rui quote for other_bias" in page and "Your own assessment" in page

    csrf = sign_in(client, "olga")
    for copy in ("mine", "agreed"):  # rui's judgements are nowhere on olga's pages
        page = client.get(f"/p/{slug}/rob?study={STUDY}&copy={copy}").text
        assert "rui quote" not in page and "<th>rui</th>" not in page and 'id="disagreements"' not in page
    # the agreed judgement waits for the second assessor
    r = client.post(f"/p/{slug}/rob", data=_rob1(csrf, "agreed", {}, "olga"))
    assert r.status_code == 400 and "waits for the second assessor" in r.text
    r = client.post(f"/p/{slug}/rob", data=_rob1(csrf, "mine", {"random_sequence_generation": "unclear",
                                                                "allocation_concealment": "high"}, "olga"),
                    follow_redirects=False)
    assert r.status_code == 303

    csrf = sign_in(client, "rui")  # both have assessed: each sees both, and where they differ
    page = client.get(f"/p/{slug}/rob?study={STUDY}&copy=agreed").text
    assert "<th>olga</th><th>rui</th>" in page
    listed = re.findall(r"<li>([^<]*)</li>", page.split('id="disagreements"')[1].split("</section>")[0])
    assert listed == ["随机序列生成: olga unclear · rui low",  # the review is in Chinese
                      "分配隐藏: olga high · rui unclear"]
    agreed = _rob1(csrf, "agreed", {"allocation_concealment": "unclear"}, "agreed")
    r = client.post(f"/p/{slug}/rob", data=agreed, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/p/{slug}/rob?study={STUDY}").text
    summary = page.split('id="rob-summary"')[1]
    row = re.search(r"<td>Mansour[^<]*</td>(.*?)</tr>", summary, re.S)
    assert row and re.findall(r">(\w+)</td>", row.group(1))[:2] == ["low", "unclear"]
    server: Server = client.app.state.server
    audit = server.project(slug).audit_entries(entity="appraisal", entity_id=f"{STUDY}/rob1")
    assert audit and audit[-1].actor == "rui"  # the agreed judgement, recorded and audited


def test_jadad_totals_are_computed_per_assessor_and_blinded(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    # Jadad 1996 by hand: randomised +1, appropriate method +1, double blind +1, blinding method
    # not described 0, withdrawals described +1: 4; olga's inappropriate randomisation: 1 - 1 + 1 + 0 + 1 = 2.
    answers = {"randomised": "yes", "randomisation_method": "appropriate", "double_blind": "yes",
               "blinding_method": "not_described", "withdrawals_described": "yes"}
    csrf = sign_in(client, "rui")
    r = client.post(f"/p/{slug}/jadad", data={"csrf": csrf, "study": STUDY, "copy": "mine", **answers},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/p/{slug}/jadad?study={STUDY}&copy=mine").text
    assert '<strong id="jadad-total">4</strong>' in page
    csrf = sign_in(client, "olga")
    page = client.get(f"/p/{slug}/jadad?study={STUDY}&copy=mine").text
    assert '<strong id="jadad-total">—</strong>' in page and "<th>rui</th>" not in page
    r = client.post(f"/p/{slug}/jadad", data={"csrf": csrf, "study": STUDY, "copy": "mine", **answers,
                                              "randomisation_method": "inappropriate"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/p/{slug}/jadad?study={STUDY}&copy=mine").text
    side = page.split('id="jadad-assessors"')[1].split("</table>")[0]
    assert "<th>Total</th><td>2</td><td>4</td>" in side
    assert "Was the method of randomisation appropriate?: olga inappropriate · rui appropriate" in page
    # an unanswered item is refused with its name
    r = client.post(f"/p/{slug}/jadad",
                    data={"csrf": csrf, "study": STUDY, "copy": "mine", "randomised": "yes"})
    assert r.status_code == 400 and "randomisation_method" in r.text


def test_rob2_assessors_are_blinded_until_both_have_assessed(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    study = "oikonomaki2019"
    csrf = sign_in(client, "rui")
    r = client.post(f"/p/{slug}/rob2", data=rob2_form(csrf, study=study, copy="mine"), follow_redirects=False)
    assert r.status_code == 303
    sign_in(client, "olga")
    for copy in ("mine", "agreed"):
        page = client.get(f"/p/{slug}/rob2?study={study}&copy={copy}").text
        assert 'id="rob2-assessors"' not in page and "<th>rui</th>" not in page


def test_the_arbiter_reads_appraisals_but_does_not_appraise(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    _arbiter(client)
    csrf = sign_in(client, "ari")
    assert client.get(f"/p/{slug}/jadad").status_code == 200
    assert client.get(f"/p/{slug}/rob").status_code == 200
    for page in ("rob", "jadad"):
        r = client.post(f"/p/{slug}/{page}", data={"csrf": csrf, "study": STUDY, "copy": "agreed"})
        assert r.status_code == 403, page
    assert client.get(f"/p/{slug}/rob?copy=theirs").status_code == 400


def test_assessors_copies_survive_a_bundle_round_trip(review, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    csrf = sign_in(client, "rui")
    r = client.post(f"/p/{slug}/rob", data={**_rob1(csrf, "mine", {}, "rui"), "study": "witham2020"},
                    follow_redirects=False)
    assert r.status_code == 303
    project = client.app.state.server.project(slug)
    project.export_bundle(tmp_path)
    stored = project.load_appraisals()
    assert any(tool.startswith("rob1_user") for tool in stored["witham2020"])
    assert read_bundle(tmp_path).appraisals == stored
    assert "assessor: rui" in (tmp_path / "appraisal.yaml").read_text(encoding="utf-8")
