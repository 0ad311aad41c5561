"""Every option of the analysis page reaches ``evisynth.pool``: the page's numbers equal
``evisynth.pool`` called here on the same table (written by this test) with the same options;
saved analyses keep their options and are pooled from the values stored when shown."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from evisynth import pool
from evisynth.review.model import (
    Arm,
    ExtractedValue,
    Outcome,
    Protocol,
    Provenance,
    Report,
    Review,
    Study,
)
from evisynth.services.accounts import Server
from evisynth.storage.bundle import write_bundle
from evisynth.web.app import create_app
from evisynth.web.deps import Settings
from tests.web.conftest import CHEAP, PASSWORD, csrf_of, sign_in

#: Made-up systolic blood pressure at 12 months: study, region, dose, (mean, sd, n) per arm.
TABLE = (
    ("s1", "Europe", "90", (138.0, 14.0, 40), (142.0, 15.0, 41)),
    ("s2", "Europe", "200", (131.0, 12.0, 60), (139.0, 13.0, 58)),
    ("s3", "Asia", "360", (135.0, 16.0, 35), (134.0, 15.0, 33)),
    ("s4", "Asia", "400", (128.0, 11.0, 80), (137.0, 12.0, 79)),
    ("s5", "Europe", "100", (140.0, 18.0, 25), (141.0, 17.0, 27)),
)


def _review() -> Review:
    studies, values = [], []
    for sid, region, dose, treated, control in TABLE:
        report = Report(f"{sid}-r1", f"Study {sid} (made up)", 2020)
        studies.append(Study(sid, f"Study {sid}", 2020, reports=(report,),
                             arms=(Arm("k2", "K2", treated[2]),
                                   Arm("c", "control", control[2], role="control")),
                             characteristics={"region": region, "dose": dose,
                                              **({"n1": "x"} if sid == "s1" else {})}))
        for arm, (m, sd, n) in (("k2", treated), ("c", control)):
            for statistic, value in (("mean", m), ("sd", sd), ("n", n)):
                values.append(ExtractedValue(sid, arm, "sbp", "12m", statistic, float(value), "",
                                             Provenance(report.id, "Table 2", extractor="test")))
    return Review("bp", Protocol("Blood pressure (made up)"), tuple(studies),
                  (Outcome("sbp", "Systolic blood pressure", kind="continuous", unit="mmHg"),), tuple(values))


def _frame() -> pd.DataFrame:
    return pd.DataFrame([{"study": f"Study {sid}", "m1": t[0], "sd1": t[1], "n1": t[2], "m2": c[0],
                          "sd2": c[1], "n2": c[2], "region": region, "dose": float(dose)}
                         for sid, region, dose, t, c in TABLE])


@pytest.fixture(scope="module")
def bp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    folder = tmp_path_factory.mktemp("bundle")
    write_bundle(_review(), folder)
    data_dir = tmp_path_factory.mktemp("bp")
    server = Server(data_dir, hasher=CHEAP)
    try:
        olga = server.create_owner("olga", PASSWORD)
        slug = server.create_project(olga, "BP", bundle=Path(folder))
        server.register(server.invite(slug, olga, "reviewer"), "rui", PASSWORD)
        server.register(server.invite(slug, olga, "arbiter"), "ari", PASSWORD)
    finally:
        server.close()
    with TestClient(create_app(Settings(data_dir)), base_url="https://testserver") as client:
        yield client, slug


def _dd(page: str, name: str) -> str:
    found = re.search(rf'<dd id="{name}">([^<]*)</dd>', page)
    assert found, name
    return html.unescape(found.group(1))


def _rows(page: str, table: str) -> list[list[str]]:
    part = page.split(f'id="{table}"')[1].split("</table>")[0]
    return [[html.unescape(c) for c in re.findall(r"<td>([^<]*)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", part, re.S) if "<td>" in row]


def _ci(low: float, high: float) -> str:
    return f"{low:.2f} to {high:.2f}"


CASES = [
    {"model": "random", "preset": "revman5"},
    {"model": "fixed", "preset": "metafor"},
    {"model": "auto", "preset": ""},
    {"model": "random", "preset": "metafor", "tau2": "PM", "hksj": True, "prediction": "t"},
    {"model": "random", "preset": "", "tau2": "SJ", "prediction": "z"},
]


@pytest.mark.parametrize("options", CASES, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_the_pooled_numbers_are_evisynth_pool_with_the_same_options(bp, options) -> None:  # type: ignore[no-untyped-def]
    client, slug = bp
    sign_in(client, "rui")
    query = "&".join(f"{k}={'true' if v is True else v}" for k, v in options.items())
    page = client.get(f"/p/{slug}/analysis?outcome=sbp&measure=MD&{query}").text
    expected = pool(_frame(), measure="MD", model=options["model"], preset=options["preset"] or None,
                    tau2=options.get("tau2"), hksj=bool(options.get("hksj")),
                    prediction=options.get("prediction"))
    e = expected.overall
    assert e is not None
    assert _dd(page, "k") == "5"
    assert _dd(page, "estimate").startswith(f"{e.estimate:.2f} [{_ci(e.ci_low, e.ci_high)}]")
    assert _dd(page, "tau2") == f"{e.tau2:.4f}" and _dd(page, "i2") == f"{e.i2:.0f}%"
    if options.get("prediction") in ("t", "z"):
        assert _dd(page, "pi") == _ci(e.pi_low, e.pi_high)
    assert 'id="forest" src="data:image/svg+xml;base64,' in page
    assert 'id="funnel" src="data:image/svg+xml;base64,' in page


def test_subgroups_meta_regression_and_leave_one_out_are_pool_s(bp) -> None:  # type: ignore[no-untyped-def]
    client, slug = bp
    sign_in(client, "rui")
    page = client.get(f"/p/{slug}/analysis?outcome=sbp&measure=MD&preset=metafor&subgroup=region"
                      "&moderator=dose&leave_one_out=true").text
    expected = pool(_frame(), measure="MD", preset="metafor", by="region", moderator="dose",
                    leave_one_out=True)
    assert expected.subgroups is not None and expected.metaregression is not None
    assert _rows(page, "subgroups") == [
        [g, str(x.k), f"{x.estimate:.2f} [{_ci(x.ci_low, x.ci_high)}]"]
        for g, x in expected.subgroups.items()]
    t = expected.subgroup_test
    assert t is not None and f"Q = {t.q:.2f}, df {t.df}" in page
    coefficients = _rows(page, "metaregression")
    assert [row[:2] for row in coefficients] == [
        [term, f"{c.estimate:.4f}"] for term, c in expected.metaregression.coefficients.items()]
    assert _rows(page, "leave-one-out") == [
        [r.label, f"{r.estimate:.2f} [{_ci(r.ci_low, r.ci_high)}]", f"{r.i2:.0f}%"]
        for r in expected.leave_one_out or ()]


def test_a_saved_analysis_keeps_its_options_and_reruns_when_data_change(bp) -> None:  # type: ignore[no-untyped-def]
    client, slug = bp
    csrf = sign_in(client, "rui")
    options = {"outcome": "sbp", "measure": "MD", "preset": "metafor", "model": "random", "tau2": "PM",
               "prediction": "t", "hksj": "true", "subgroup": "region", "moderator": "dose",
               "leave_one_out": "true", "timepoint": "12m"}
    r = client.post(f"/p/{slug}/analyses", data={"csrf": csrf, **options}, follow_redirects=False)
    assert r.status_code == 303, r.text
    saved = r.headers["location"].split("saved=")[1].split("&")[0]
    page = client.get(f"/p/{slug}/analysis?saved={saved}").text
    expected = pool(_frame(), measure="MD", preset="metafor", tau2="PM", hksj=True, prediction="t",
                    by="region", moderator="dose", leave_one_out=True)
    e = expected.overall
    assert e is not None
    assert _dd(page, "estimate").startswith(f"{e.estimate:.2f} [{_ci(e.ci_low, e.ci_high)}]")
    assert "HKSJ, prediction t, by region, regressed on dose, leave one out" in page
    assert 'id="subgroups"' in page and 'id="metaregression"' in page and 'id="leave-one-out"' in page
    # a changed value: the saved analysis is pooled again from what is stored now
    r = client.post(f"/p/{slug}/extraction", data={
        "csrf": csrf, "study": "s1", "arm": "k2", "outcome": "sbp", "timepoint": "12m", "statistic": "mean",
        "value": 120.0, "location": "Table 2"}, follow_redirects=False)
    assert r.status_code == 303
    frame = _frame()
    frame.loc[0, "m1"] = 120.0
    changed = pool(frame, measure="MD", preset="metafor", tau2="PM", hksj=True, prediction="t").overall
    assert changed is not None
    # rui's own value stands only once agreed; the arbiter's resolution makes it stand
    sign_in(client, "ari")
    page = client.get(f"/p/{slug}/extraction?first=test&second=rui").text
    r = client.post(f"/p/{slug}/discrepancies", data={
        "csrf": csrf_of(page), "key": "s1/k2/sbp/12m/mean", "value": 120.0, "first": "test", "second": "rui"},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(f"/p/{slug}/analysis?saved={saved}").text
    shown = f"{changed.estimate:.2f} [{_ci(changed.ci_low, changed.ci_high)}]"
    assert _dd(page, "estimate").startswith(shown)


def test_options_outside_their_choices_are_refused(bp) -> None:  # type: ignore[no-untyped-def]
    client, slug = bp
    sign_in(client, "rui")
    for bad in ("tau2=XX", "prediction=maybe", "model=mixed", "hksj=perhaps", "preset=stata"):
        assert client.get(f"/p/{slug}/analysis?outcome=sbp&{bad}").status_code in (400, 422), bad


def test_a_characteristic_named_like_a_table_column_is_refused_by_name(bp) -> None:  # type: ignore[no-untyped-def]
    client, slug = bp
    sign_in(client, "rui")
    page = html.unescape(client.get(f"/p/{slug}/analysis?outcome=sbp&measure=MD&moderator=n1").text)
    assert "the characteristic 'n1' has the name of a column of the pooling table" in page
