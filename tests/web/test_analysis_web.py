"""Analysis, extraction and report pages on the vitamin K2 review (seed 000's bundle)."""

from __future__ import annotations

import re

from tests.web.conftest import sign_in

#: Oikonomaki 2019's MGP is not in the seed; these numbers are made up for the test only.
NEW_VALUES = (("k2", "mean", 700.0), ("k2", "sd", 150.0),
              ("control", "mean", 650.0), ("control", "sd", 160.0))


def field(page: str, name: str) -> str:
    found = re.search(rf'<dd id="{name}">([^<]*)</dd>', page)
    assert found, name
    return found.group(1)


def test_analysis_shows_forest_plot_and_heterogeneity_and_switches_preset(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    sign_in(client, "rui")
    page = client.get(f"/p/{slug}/analysis?outcome=dp_ucmgp&measure=SMD&model=random&preset=revman5").text
    assert field(page, "k") == "2" and 'id="forest" src="data:image/svg+xml;base64,' in page
    # I² from Q on 1 df: (Q - df) / Q = (2.09 - 1) / 2.09 = 52%
    assert field(page, "i2") == "52%"
    revman = field(page, "tau2")
    page = client.get(f"/p/{slug}/analysis?outcome=dp_ucmgp&measure=SMD&preset=metafor").text
    metafor = field(page, "tau2")
    assert revman != metafor  # RevMan's SMD variance differs from metafor's (Hedges' g either way)
    assert client.get(f"/p/{slug}/analysis?preset=stata").status_code == 400


def test_an_extraction_entered_updates_the_analysis(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    csrf = sign_in(client, "rui")
    before = client.get(f"/p/{slug}/analysis?outcome=mgp&measure=MD").text
    assert field(before, "k") == "1" and 'id="forest"' not in before
    for arm, statistic, value in NEW_VALUES:
        r = client.post(f"/p/{slug}/extraction", data={
            "csrf": csrf, "study": "oikonomaki2019", "arm": arm, "outcome": "mgp", "timepoint": "12m",
            "statistic": statistic, "value": value, "location": "Table 2"}, follow_redirects=False)
        assert r.status_code == 303, r.text
    after = client.get(f"/p/{slug}/analysis?outcome=mgp&measure=MD").text
    assert field(after, "k") == "2" and 'id="forest"' in after
    page = client.get(f"/p/{slug}/extraction?first=seed000&second=rui").text
    assert 'id="discrepancies"' in page and "oikonomaki2019/k2/mgp/12m/mean" in page


def test_the_report_downloads_as_html(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    sign_in(client, "rui")
    r = client.get(f"/p/{slug}/report.html")
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")
    assert "<html" in r.text[:500].lower()
    r = client.get(f"/p/{slug}/report.docx")
    assert r.status_code == 200 and r.content[:2] == b"PK"  # a DOCX is a zip
    assert r.headers["content-disposition"] == f'attachment; filename="{slug}-report.docx"'


def test_risk_of_bias_form_saves_judgements_with_support(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    csrf = sign_in(client, "rui")
    page = client.get(f"/p/{slug}/rob?study=witham2020").text
    assert 'name="allocation_concealment.judgement"' in page
    form = {"csrf": csrf, "study": "witham2020", "allocation_concealment.judgement": "high",
            "allocation_concealment.support": "Open allocation list (made up for the test)",
            "allocation_concealment.location": "Methods"}
    r = client.post(f"/p/{slug}/rob", data=form, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/p/{slug}/rob?study=witham2020").text
    assert 'value="Open allocation list (made up for the test)"' in page
    assert '<td class="rob-high">high</td>' in page
    # a judgement without its support text is refused
    form["allocation_concealment.support"] = ""
    assert client.post(f"/p/{slug}/rob", data=form).status_code == 400


def test_results_json_downloads_every_saved_analysis_and_the_page_title_is_plain(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    sign_in(client, "rui")
    page = client.get(f"/p/{slug}/analysis").text
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title and title.group(1) == "Analysis · Vitamin K2"  # no page markup in the title
    assert page.count('id="saved-analyses"') == 1 and f'href="/p/{slug}/results.json"' in page
    listed = re.findall(r'<tr data-analysis="([^"]+)">', page)
    r = client.get(f"/p/{slug}/results.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"] == f'attachment; filename="{slug}-results.json"'
    analyses = r.json()["analyses"]
    assert listed and [a["analysis"]["id"] for a in analyses] == listed
    assert all(isinstance(a["result"]["estimate"], float) for a in analyses if a["result"])


def test_a_saved_analysis_by_subgroups_shows_its_forest_plot(review) -> None:  # type: ignore[no-untyped-def]
    client, slug = review
    csrf = sign_in(client, "rui")
    for study, setting in (("kurnatowska2015", "non-dialysed"), ("oikonomaki2019", "dialysis"),
                           ("witham2020", "non-dialysed")):
        r = client.post(f"/p/{slug}/studies/characteristics", follow_redirects=False,
                        data={"csrf": csrf, "study": study, "name": "setting", "value": setting})
        assert r.status_code == 303
    r = client.post(f"/p/{slug}/analyses", follow_redirects=False,
                    data={"csrf": csrf, "outcome": "dp_ucmgp", "measure": "SMD", "preset": "revman5",
                          "subgroup": "setting"})
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert page.status_code == 200, page.text  # was a server error: the forest plot had no groups
    assert 'id="forest" src="data:image/svg+xml;base64,' in page.text
