"""GRADE per saved analysis in the browser: the reviewers' ratings beside evisynth's
suggestion, saved (departures need a reason) and shown by the report (vitamin K2 review)."""

from __future__ import annotations

import html
import re

from tests.web.conftest import sign_in

#: The reviewers' made-up GRADE of the first analysis: high (randomised) - 1 - 1 = low. evisynth
#: suggests -1, 0, 0, -2, 0 there (very low): risk of bias, indirectness and imprecision depart.
RATED = {"risk_of_bias": ("0", "Blinded outcome assessment in both trials (test)"),
         "inconsistency": ("0", "Consistent direction (test)"),
         "indirectness": ("-1", "Surrogate outcome (test)"),
         "imprecision": ("-1", "A wide interval (test)"),
         "publication_bias": ("0", "Too few studies to judge (test)")}


def _form(csrf: str, analysis: str, rated: dict[str, tuple[str, str]]) -> dict[str, str]:
    form = {"csrf": csrf, "analysis": analysis}
    for domain, (change, reason) in rated.items():
        form[f"{domain}.change"], form[f"{domain}.reason"] = change, reason
    return form


def test_grade_is_saved_beside_the_suggestion_and_shown_in_the_report(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    csrf = sign_in(client, "rui")
    page = client.get(f"/p/{slug}/grade").text
    analysis = re.search(r'<option value="([^"]+)" selected>', page)
    assert analysis, page
    aid = analysis.group(1)
    assert page.count('class="grade-suggested"') == 5 and "not graded yet" in page  # no upgrades: RCTs
    suggested = html.unescape(re.search(r'id="grade-suggested-level">([^<]*)<', page).group(1))  # type: ignore[union-attr]
    # a departure from the suggestion without a reason is refused, and nothing is stored
    blank = {d: (c, "") for d, (c, _) in RATED.items()}
    r = client.post(f"/p/{slug}/grade", data=_form(csrf, aid, blank), follow_redirects=False)
    assert r.status_code == 400 and "give the reason" in r.text
    assert "not graded yet" in client.get(f"/p/{slug}/grade?analysis={aid}").text
    r = client.post(f"/p/{slug}/grade", data=_form(csrf, aid, RATED), follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"]).text
    assert "GRADE saved: the report shows it." in page
    assert re.search(r'id="grade-level">low<', page)
    assert suggested == "very low"
    assert re.search(r'id="grade-suggested-level">([^<]*)<', page).group(1) == suggested  # type: ignore[union-attr]
    assert "imprecision (-1): A wide interval (test)" in page
    assert re.search(r'<select name="imprecision.change">.*?<option value="-1" selected>', page, re.S)
    report = html.unescape(client.get(f"/p/{slug}/report.html").text)
    assert "indirectness (-1): Surrogate outcome (test)" in report
    # the other analyses are not graded: their rows show the suggestion, marked and explained
    assert "标 * 者为 evisynth 根据数据给出的建议" in report  # the review is in Chinese
    page = client.get(f"/p/{slug}/analysis").text
    assert re.search(rf'<tr data-analysis="{aid}">.*?>graded</a>', page, re.S)


def test_a_change_outside_the_domain_s_choices_is_refused(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    csrf = sign_in(client, "rui")
    page = client.get(f"/p/{slug}/grade").text
    aid = re.search(r'<option value="([^"]+)" selected>', page).group(1)  # type: ignore[union-attr]
    for domain, change in (("imprecision", "+1"), ("large_effect", "-1"), ("dose_response", "x")):
        r = client.post(f"/p/{slug}/grade", data={**_form(csrf, aid, RATED), f"{domain}.change": change,
                                                  f"{domain}.reason": "test"}, follow_redirects=False)
        assert r.status_code == 400, (domain, change)
    # GRADE rates up observational evidence only: these are randomised trials
    r = client.post(f"/p/{slug}/grade", data={**_form(csrf, aid, RATED), "large_effect.change": "1",
                                              "large_effect.reason": "RR 0.2 (test)"},
                    follow_redirects=False)
    assert r.status_code == 400 and "rates up observational evidence only" in r.text
