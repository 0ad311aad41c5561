"""The RoB 2 form: signalling questions by domain, the algorithm's judgement beside the
reviewer's, and an override that needs a reason (on the vitamin K2 review's bundle)."""

from __future__ import annotations

import re

from tests.web.conftest import sign_in

#: Made-up answers for the test. By the RoB 2 guidance's algorithms (Higgins et al. 2019):
#: D1 random and concealed, no baseline problem: low; D2 nobody aware (2.1, 2.2 N) and an
#: appropriate analysis (2.6 Y): low; D3 data for nearly all (3.1 Y): low; D4 assessors
#: aware (4.3 Y), could have influenced (4.4 PY) but not likely (4.5 PN): some concerns;
#: D5 pre-specified plan, no selection: low. Overall: the worst domain, some concerns.
ANSWERS = {"q1.1": "Y", "q1.2": "Y", "q1.3": "N", "q2.1": "N", "q2.2": "N", "q2.6": "Y",
           "q3.1": "Y", "q4.1": "N", "q4.2": "N", "q4.3": "Y", "q4.4": "PY", "q4.5": "PN",
           "q5.1": "Y", "q5.2": "N", "q5.3": "N"}


def _form(csrf: str, **extra: str) -> dict[str, str]:
    form = {"csrf": csrf, "study": "witham2020", "outcome": "dp_ucmgp", **ANSWERS}
    form.update({f"D{i}.support": f"Quote for domain {i} (made up)" for i in range(1, 6)})
    form.update(extra)
    return form


def _suggested(page: str) -> list[str]:
    return re.findall(r'<strong class="rob2-suggested">([^<]*)</strong>', page)


def test_the_form_lists_every_signalling_question_with_its_condition(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    sign_in(client, "rui")
    page = client.get(f"/p/{slug}/rob2?study=witham2020").text
    # 3 + 7 + 4 + 5 + 3 signalling questions in the five domains
    assert len(re.findall(r'<select name="q\d\.\d">', page)) == 22
    assert "asked if Y/PY/NI to 2.1 or 2.2" in page
    assert client.get(f"/p/{slug}/rob2?study=nosuchstudy").status_code == 400


def test_saved_answers_show_the_algorithms_judgements(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    csrf = sign_in(client, "rui")
    r = client.post(f"/p/{slug}/rob2", data=_form(csrf), follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(f"/p/{slug}/rob2?study=witham2020").text
    assert _suggested(page) == ["low", "low", "low", "some concerns", "low"]
    assert '<strong id="rob2-overall">some concerns</strong>' in page
    assert re.search(r'<select name="q4.4">.*?<option value="PY" selected>', page, re.S)
    summary = page.split('id="rob2-summary"')[1]
    assert "<td>some concerns</td>" in summary


def test_an_override_needs_a_reason_and_keeps_what_was_entered(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    csrf = sign_in(client, "rui")
    r = client.post(f"/p/{slug}/rob2", data=_form(csrf, **{"D4.judgement": "high"}))
    assert r.status_code == 400
    assert "differs from the algorithm" in r.text and "override_reason" in r.text
    assert 'value="Quote for domain 4 (made up)"' in r.text  # the entries are not lost
    r = client.post(f"/p/{slug}/rob2", data=_form(csrf, **{"D4.judgement": "high",
                                                            "D4.override_reason": "Assessor was the PI"}),
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/p/{slug}/rob2?study=witham2020").text
    assert _suggested(page)[3] == "some concerns"  # the algorithm's, beside the reviewer's high
    assert '<span class="rob2-judgement">high</span>' in page
    assert '<strong id="rob2-overall">high</strong>' in page


def test_an_unanswered_question_or_a_skipped_one_answered_is_refused(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    csrf = sign_in(client, "rui")
    form = _form(csrf)
    del form["q1.2"]
    r = client.post(f"/p/{slug}/rob2", data=form)
    assert r.status_code == 400 and "question 1.2" in r.text
    # 2.3 is asked only if Y/PY/NI to 2.1 or 2.2 (both N here)
    r = client.post(f"/p/{slug}/rob2", data=_form(csrf, **{"q2.3": "Y"}))
    assert r.status_code == 400 and "2.3 is asked only if" in r.text


def test_two_assessors_are_kept_apart_and_their_discrepancies_listed(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    study = "kurnatowska2015"
    csrf = sign_in(client, "rui")
    r = client.post(f"/p/{slug}/rob2", data=_form(csrf, study=study, copy="mine"), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("copy=mine")
    csrf = sign_in(client, "olga")
    page = client.get(f"/p/{slug}/rob2?study={study}&copy=mine").text
    assert 'name="D1.support" value=""' in page  # olga's own form starts empty, not rui's
    # olga: 4.5 PY, so D4 high (4.3 Y, 4.4 PY, 4.5 PY) and overall high; rui: 4.5 PN
    r = client.post(f"/p/{slug}/rob2", data=_form(csrf, study=study, copy="mine", **{"q4.5": "PY"}),
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/p/{slug}/rob2?study={study}&copy=mine").text
    side = page.split('id="rob2-assessors"')[1]
    assert "olga vs rui: 3 discrepancies" in side
    assert re.findall(r"<li>([^<]*)</li>", side) == [
        "4.5: olga PY, rui PN", "D4 judgement: olga high, rui some concerns",
        "overall: olga high, rui some concerns"]
    assert side.count('class="differs"') == 3
    # neither own copy is the agreed assessment the report uses
    summary = page.split('id="rob2-summary"')[1]
    assert "Kurnatowska" not in summary and "kurnatowska" not in summary
    assert client.post(f"/p/{slug}/rob2", data=_form(csrf, study=study, copy="theirs")).status_code == 400
