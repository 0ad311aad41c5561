"""The web path from included records to a saved analysis: the protocol page (PICOS, planned
outcomes), the studies page (from records, join, split, arms), the one-page extraction form
(blinded between extractors), the arbiter's resolution and saved analyses."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from evisynth.services import screening as screening_services
from evisynth.services.accounts import Server
from evisynth.web import Settings, create_app
from tests.web.conftest import CHEAP, Site, build_site, sign_in
from tests.web.test_screening_web import PDF


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """build_site, with its first three records included at full text by rui and rita."""
    site = build_site(tmp_path_factory.mktemp("pages"))
    server = Server(site.data_dir, hasher=CHEAP)
    try:
        project = server.project(site.slug)
        for record in site.record_ids[:3]:
            for stage in ("ta", "ft"):
                for who in ("rui", "rita"):
                    screening_services.decide(project, record, stage, who, "include")
    finally:
        server.close()
    return site


@pytest.fixture(scope="module")
def app(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(site.data_dir)), base_url="https://testserver") as client:
        yield client


def notice(page: str) -> str:
    found = re.search(r'<p class="notice" id="notice" role="status">([^<]*)</p>', page)
    return found.group(1) if found else ""


def test_the_owner_writes_picos_and_planned_outcomes_and_each_change_is_audited(
        app: TestClient, site: Site) -> None:
    csrf = sign_in(app, "olga")
    assert 'id="no-outcomes"' in app.get(f"/p/{site.slug}/protocol").text
    r = app.post(f"/p/{site.slug}/protocol", data={
        "csrf": csrf, "question": "Does vitamin K2 slow calcification?", "population": "adults on dialysis",
        "intervention": "menaquinone-7", "comparator": "placebo", "outcomes": "calcification\nmortality",
        "study_design": "randomised trials", "inclusion": "I1: adults", "exclusion": "E1: children"})
    assert r.status_code == 200 and notice(r.text) == "Protocol saved."
    assert ">adults on dialysis</textarea>" in r.text and 'value="randomised trials"' in r.text
    r = app.post(f"/p/{site.slug}/outcomes", data={"csrf": csrf, "name": "Mortality", "kind": "dichotomous",
                                                  "direction": "lower"})
    assert notice(r.text) == "Outcome added to the protocol."
    assert re.search(r'<tr data-outcome="mortality"><td>Mortality</td><td>binary</td>', r.text)
    project = app.app.state.server.project(site.slug)  # type: ignore[attr-defined]
    picos = project.load_review().protocol.picos
    assert (picos.population, picos.comparator, picos.outcomes) == (
        "adults on dialysis", "placebo", ("calcification", "mortality", "Mortality"))
    changed = {(e.entity, e.actor) for e in project.audit_entries() if e.action == "update"}
    assert ("protocol", "olga") in changed
    assert any(e.entity == "outcome" and e.entity_id == "mortality" and e.actor == "olga"
               for e in project.audit_entries(entity="outcome"))
    # a reviewer reads the protocol but cannot change it
    csrf = sign_in(app, "rui")
    page = app.get(f"/p/{site.slug}/protocol").text
    assert "adults on dialysis" in page and 'id="protocol-form"' not in page
    assert app.post(f"/p/{site.slug}/outcomes", data={"csrf": csrf, "name": "x", "kind": "continuous"}
                    ).status_code == 403
    assert app.post(f"/p/{site.slug}/protocol", data={"csrf": csrf, "question": "x"}).status_code == 403
    r = app.post(f"/p/{site.slug}/outcomes", data={"csrf": sign_in(app, "olga"), "name": "Mortality 2",
                                                  "kind": "ordinal"})
    assert r.status_code == 400 and "must be one of" in r.text


def test_studies_are_made_from_included_records_joined_split_and_given_arms(app: TestClient,
                                                                             site: Site) -> None:
    csrf = sign_in(app, "rui")
    page = app.get(f"/p/{site.slug}/studies").text
    assert "No studies yet: include records at full text, then Make studies." in page
    assert '<span id="waiting-count">3</span>' in page
    r = app.post(f"/p/{site.slug}/studies/from-records", data={"csrf": csrf})
    assert notice(r.text) == "3 studies made from the records included at full text."
    rows = re.findall(r'<tr data-study="([^"]+)">', r.text)
    assert len(rows) == 3 and 'id="waiting"' not in r.text
    assert "&lt;script&gt;" in r.text and "<script>alert" not in r.text  # a label from a title
    for record in site.record_ids[:3]:
        assert '<span class="tag" title="' in r.text and f">{record}</span>" in r.text
    # a second time: nothing left to make
    again = app.post(f"/p/{site.slug}/studies/from-records", data={"csrf": csrf})
    assert notice(again.text).startswith("0 studies made") and again.text.count("<tr data-study=") == 3
    r = app.post(f"/p/{site.slug}/studies/join",
                 data={"csrf": csrf, "study": rows[1:], "label": "Joined 2020"})
    assert notice(r.text) == "Studies joined into one."
    joined = re.search(r'<tr data-study="([^"]+)">\s*<td><input[^>]*></td>\s*<td>Joined 2020</td>\s*'
                       r'<td class="reports">(.*?)</td>', r.text, re.S)
    assert joined and re.findall(r">(\d+)</span>", joined.group(2)) == [str(i) for i in site.record_ids[1:3]]
    r = app.post(f"/p/{site.slug}/studies/split", data={"csrf": csrf, "study": joined.group(1),
                                                       "report": str(site.record_ids[2])})
    assert notice(r.text) == "Reports moved into a new study." and r.text.count("<tr data-study=") == 3
    for label, role in (("Vitamin K2", "experimental"), ("Placebo", "control")):
        r = app.post(f"/p/{site.slug}/studies/arms", data={"csrf": csrf, "label": label, "role": role})
        assert notice(r.text) == "Arm added to 3 studies."
    assert r.text.count('Placebo <span class="role">control</span>') == 3
    r = app.post(f"/p/{site.slug}/studies/arms", data={"csrf": csrf, "label": "Placebo", "role": "control"})
    assert r.status_code == 400 and "already has arm" in r.text
    sign_in(app, "ari")  # the arbiter reads the list but does not change it
    assert 'id="make-studies"' not in app.get(f"/p/{site.slug}/studies").text


def _study_ids(app: TestClient, site: Site) -> list[str]:
    return re.findall(r'<tr data-study="([^"]+)">', app.get(f"/p/{site.slug}/studies").text)


def _form(app: TestClient, site: Site, study: str, numbers: dict[str, str]) -> dict[str, str]:
    page = app.get(f"/p/{site.slug}/extraction/{study}").text
    names = re.findall(r'name="(mortality\|[^"]*)"', page)
    assert set(numbers) <= set(names), names
    return {"csrf": re.findall(r'name="csrf" value="([^"]+)"', page)[0], "mortality|location": "Table 2",
            "mortality|quote": "deaths", **numbers}


def test_two_extractors_fill_one_form_blinded_and_the_arbiter_resolves(app: TestClient, site: Site) -> None:
    study = _study_ids(app, site)[0]
    sign_in(app, "rui")
    rui = {"mortality|vitamin_k2|events": "4", "mortality|vitamin_k2|n": "50",
           "mortality|placebo|events": "9", "mortality|placebo|n": "50"}
    r = app.post(f"/p/{site.slug}/extraction/{study}", data=_form(app, site, study, rui))
    assert notice(r.text) == "4 values saved as yours."
    assert 'name="mortality|placebo|events" aria-label="Mortality Placebo events" value="9"' in r.text
    sign_in(app, "rita")
    page = app.get(f"/p/{site.slug}/extraction/{study}").text
    assert 'value="9"' not in page  # blinded: rui's values are not on rita's form
    assert ">rui</td>" not in app.get(f"/p/{site.slug}/extraction").text
    rita = {**rui, "mortality|placebo|events": "8"}
    app.post(f"/p/{site.slug}/extraction/{study}", data=_form(app, site, study, rita))
    page = app.get(f"/p/{site.slug}/extraction?first=rui&second=rita").text
    assert page.count('class="discrepancy"') == 1 and ">rui</td>" in page  # both entered: both shown
    assert f'action="/p/{site.slug}/discrepancies"' not in page  # a reviewer does not resolve
    key = f"{study}/placebo/mortality/end/events"
    csrf = sign_in(app, "rita")
    assert app.post(f"/p/{site.slug}/discrepancies", data={"csrf": csrf, "key": key, "value": "9"}
                    ).status_code == 403
    csrf = sign_in(app, "ari")
    assert app.get(f"/p/{site.slug}/extraction/{study}").status_code == 403  # the arbiter does not extract
    r = app.post(f"/p/{site.slug}/discrepancies", data={"csrf": csrf, "key": key, "value": "9",
                                                       "first": "rui", "second": "rita"})
    assert notice(r.text) == "Discrepancy resolved: the arbiter’s value stands."
    assert re.search(rf'data-key="{re.escape(key)}">.*?<td class="resolution"><b>9.0</b>', r.text, re.S)
    # an empty form is refused and stores nothing
    csrf = sign_in(app, "rui")
    r = app.post(f"/p/{site.slug}/extraction/{study}", data={"csrf": csrf})
    assert r.status_code == 400 and "no number was filled in" in r.text


def test_the_form_shows_the_uploaded_pdf_beside_it(app: TestClient, site: Site) -> None:
    study = _study_ids(app, site)[0]
    csrf = sign_in(app, "rui")
    assert 'id="pdf"' not in app.get(f"/p/{site.slug}/extraction/{study}").text
    r = app.post(f"/p/{site.slug}/fulltext/{site.record_ids[0]}", data={"csrf": csrf},
                 files={"file": ("trial.pdf", PDF, "application/pdf")})
    assert r.status_code == 200
    page = app.get(f"/p/{site.slug}/extraction/{study}").text
    assert f'<iframe id="pdf" src="/p/{site.slug}/fulltext/{site.record_ids[0]}"' in page


def test_a_study_characteristic_is_saved_for_subgroups(app: TestClient, site: Site) -> None:
    study = _study_ids(app, site)[0]
    csrf = sign_in(app, "rita")
    form = {"csrf": csrf, "study": study, "name": "blinding", "value": "double blind"}
    r = app.post(f"/p/{site.slug}/studies/characteristics", data=form)
    assert notice(r.text) == "Study characteristic saved."
    assert '<td class="characteristics">blinding: double blind</td>' in r.text
    r = app.post(f"/p/{site.slug}/studies/characteristics", data={"csrf": csrf, "study": study, "name": " "})
    assert r.status_code == 400 and "name is empty" in r.text


def test_an_analysis_is_saved_listed_and_run_by_the_report(app: TestClient, site: Site) -> None:
    csrf = sign_in(app, "rui")
    assert 'id="no-analyses"' in app.get(f"/p/{site.slug}/analysis").text
    r = app.post(f"/p/{site.slug}/analyses", data={"csrf": csrf, "outcome": "mortality", "measure": "RR",
                                                  "preset": "revman5"})
    assert notice(r.text) == "Analysis saved." and str(r.url).endswith("saved=a1&done=analysis")
    assert re.search(r'<tr data-analysis="a1">.*?revman5, random, MH, τ² DL', r.text, re.S)
    # one study, with the arbiter's 9 (not rita's 8) for the placebo events: RR = (4/50)/(9/50)
    assert re.search(r'<dd id="estimate">0\.44 \[', r.text) and '<dd id="k">1</dd>' in r.text
    r = app.post(f"/p/{site.slug}/analyses", data={"csrf": csrf, "outcome": "mortality", "measure": "MD",
                                                  "preset": "revman5", "tau2": "nonsense"})
    assert r.status_code == 400 and "nonsense" in r.text and "must be one of" in r.text
    report = app.get(f"/p/{site.slug}/report.html").text
    assert "Mortality" in report


def test_a_planned_outcome_has_a_measure_and_time_points_and_the_analysis_page_takes_them(
        app: TestClient, site: Site) -> None:
    csrf = sign_in(app, "olga")
    r = app.post(f"/p/{site.slug}/outcomes", data={
        "csrf": csrf, "name": "Pain score", "kind": "continuous", "unit": "VAS", "direction": "lower",
        "measure": "SMD", "timepoints": "end; 12 months，24 months"})
    assert notice(r.text) == "Outcome added to the protocol."
    assert '<td class="planned-measure">SMD</td>' in r.text
    assert '<td class="planned-timepoints">end; 12 months; 24 months</td>' in r.text
    project = app.app.state.server.project(site.slug)  # type: ignore[attr-defined]
    pain = next(o for o in project.load_review().outcomes if o.id == "pain_score")
    assert (pain.measure, pain.timepoints) == ("SMD", ("end", "12 months", "24 months"))
    page = app.get(f"/p/{site.slug}/analysis", params={"outcome": "pain_score"}).text
    assert re.search(r'<option selected>SMD</option>', page)
    assert '<input type="hidden" name="measure" value="SMD">' in page
    r = app.post(f"/p/{site.slug}/outcomes", data={"csrf": csrf, "name": "Pain 2", "kind": "continuous",
                                                  "measure": "HRR"})
    assert r.status_code == 400 and "--measure &#39;HRR&#39; must be one of" in r.text


def test_a_study_gets_its_design_country_population_and_arm_doses(app: TestClient, site: Site) -> None:
    study = _study_ids(app, site)[0]
    csrf = sign_in(app, "rita")
    r = app.post(f"/p/{site.slug}/studies/details", data={
        "csrf": csrf, "study": study, "design": "non_randomised", "country": "中国",
        "population": "adults on dialysis"})
    assert notice(r.text) == "Study design and setting saved."
    row = re.search(rf'<tr data-study="{study}">.*?</tr>', r.text, re.S)
    assert row and '<td class="design">non_randomised; 中国; adults on dialysis</td>' in row.group(0)
    # a field left empty keeps what is stored
    r = app.post(f"/p/{site.slug}/studies/details", data={"csrf": csrf, "study": study, "country": "Japan"})
    assert '<td class="design">non_randomised; Japan; adults on dialysis</td>' in r.text
    r = app.post(f"/p/{site.slug}/studies/arm-details", data={
        "csrf": csrf, "arm": f"{study}/vitamin_k2", "n": "40", "dose": "360", "dose_unit": "μg/day"})
    assert notice(r.text) == "Arm details saved."
    row = re.search(rf'<tr data-study="{study}">.*?</tr>', r.text, re.S)
    assert row and 'n=40 <span class="dose">360 μg/day</span>' in row.group(0)
    project = app.app.state.server.project(site.slug)  # type: ignore[attr-defined]
    saved = next(s for s in project.load_review().studies if s.id == study)
    arm = saved.arm("vitamin_k2")
    assert (saved.design, saved.country, arm.n, arm.dose, arm.dose_unit) == (
        "non_randomised", "Japan", 40, 360.0, "μg/day")
    refused = [
        ({"study": study, "design": "cohort"}, "studies/details", "--design &#39;cohort&#39; must be one of"),
        ({"arm": f"{study}/vitamin_k2", "dose": "-1"}, "studies/arm-details", "must be a number ≥ 0"),
        ({"arm": f"{study}/nobody", "n": "3"}, "studies/arm-details", "has no arm &#39;nobody&#39;"),
    ]
    for form, path, message in refused:
        r = app.post(f"/p/{site.slug}/{path}", data={"csrf": csrf, **form})
        assert r.status_code == 400 and message in r.text, r.text[-500:]
    assert next(s for s in project.load_review().studies if s.id == study) == saved
