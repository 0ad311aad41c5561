"""Screening through the web pages: two reviewers, blinding, undo, a conflict, the arbiter,
keyword highlighting and the PRISMA counts that follow."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from evisynth.web import Settings, create_app
from tests.web.conftest import Site, sign_in


def counts(client: TestClient, slug: str) -> dict[str, int]:
    page = client.get(f"/p/{slug}/prisma").text
    return {k: int(v) for k, v in re.findall(r'<dd id="([a-z-]+)">(\d+)</dd>', page)}


def decide(client: TestClient, site: Site, csrf: str, rid: int, decision: str, reason: str = "") -> None:
    r = client.post(f"/p/{site.slug}/screen", data={"csrf": csrf, "record_id": rid, "decision": decision,
                                                    "stage": "ta", "reason": reason}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"].endswith(f"last={rid}&order=id")


def test_two_reviewers_a_conflict_and_the_arbiter(app: TestClient, site: Site) -> None:
    one, two, _three, four = site.record_ids
    csrf = sign_in(app, "olga")
    r = app.post(f"/p/{site.slug}/settings", data={"csrf": csrf, "include": "haemodialysis, dialysis",
                                                   "exclude": "children", "reviewers": "2"})
    assert r.status_code == 200
    before = counts(app, site.slug)
    assert before["records-screened"] == 4 and before["records-excluded"] == 0 and before["pending"] == 4

    rui = sign_in(app, "rui")
    page = app.get(f"/p/{site.slug}/screen").text
    assert f'data-record="{one}"' in page and "0 decided, 4 to go" in page
    assert '<mark class="kw-include">haemodialysis</mark>' in page
    decide(app, site, rui, one, "include")
    decide(app, site, rui, two, "include")
    # undo brings record two back, first in the queue
    r = app.post(f"/p/{site.slug}/screen/undo", data={"csrf": rui, "record_id": two, "stage": "ta"})
    assert f'data-record="{two}"' in r.text and "1 decided, 3 to go" in r.text
    decide(app, site, rui, four, "exclude", "wrong population")
    page = app.get(f"/p/{site.slug}/screen?record={four}").text
    # a decided record asked for by id is shown as it is, with the decision to change
    assert f'data-record="{four}"' in page and "You decided <b>exclude</b> (wrong population)" in page
    assert '/screen/change" id="decide-form"' in page
    assert f'data-record="{four}"' not in app.get(f"/p/{site.slug}/screen").text  # never offered again

    rita = sign_in(app, "rita")
    page = app.get(f"/p/{site.slug}/screen?record={one}").text
    assert f'data-record="{one}"' in page
    assert "rui" not in page and "blinded" in page  # rui's decision stays hidden
    decide(app, site, rita, one, "exclude", "wrong population")
    decide(app, site, rita, four, "exclude", "wrong population")
    r = app.post(f"/p/{site.slug}/screen", data={"csrf": rita, "record_id": four, "decision": "include"})
    assert r.status_code in (400, 409)  # a second decision on the same record is refused
    after = counts(app, site.slug)
    assert after["records-excluded"] == 1 and after["pending"] == 3

    sign_in(app, "ari")
    ari = re.search(r'name="csrf" value="([^"]+)"', app.get(f"/p/{site.slug}/conflicts").text)
    assert ari
    page = app.get(f"/p/{site.slug}/conflicts").text
    assert '<span class="count" id="conflict-count">1</span>' in page
    assert "&lt;script&gt;" in page and ">include<" in page and "wrong population" in page
    r = app.post(f"/p/{site.slug}/conflicts", data={"csrf": ari.group(1), "record_id": one, "stage": "ta",
                                                    "decision": "include"})
    assert '<span class="count" id="conflict-count">0</span>' in r.text
    resolved = counts(app, site.slug)
    assert resolved["reports-sought"] == 1 and resolved["pending"] == 2


def test_the_prisma_figure_is_an_svg(app: TestClient, site: Site) -> None:
    sign_in(app, "rita")
    r = app.get(f"/p/{site.slug}/prisma.svg")
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    assert r.content.lstrip().startswith(b"<?xml") or b"<svg" in r.content[:500]


def test_active_learning_order_can_be_switched_on(app: TestClient, site: Site) -> None:
    sign_in(app, "olga")
    page = app.get(f"/p/{site.slug}/screen?order=relevance").text
    assert "relevance (switch to id)" in page
    assert app.get(f"/p/{site.slug}/screen?order=sideways").status_code == 400


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_full_text_pdf_upload_is_checked_kept_and_shown(app: TestClient, site: Site) -> None:
    one = site.record_ids[0]  # included at title/abstract by the arbiter above
    csrf = sign_in(app, "rui")
    url = f"/p/{site.slug}/fulltext/{one}"
    fake = app.post(url, data={"csrf": csrf}, files={"file": ("paper.pdf", b"<html>not a pdf</html>",
                                                              "application/pdf")})
    assert fake.status_code == 400 and "not a PDF" in fake.text
    r = app.post(url, data={"csrf": csrf}, files={"file": ("paper.pdf", PDF, "application/pdf")},
                 follow_redirects=False)
    assert r.status_code == 303
    shown = app.get(url)
    assert shown.status_code == 200 and shown.headers["content-type"] == "application/pdf"
    assert shown.content == PDF
    page = app.get(f"/p/{site.slug}/screen?stage=ft").text
    assert f'<iframe id="pdf" src="{url}"' in page
    stored = list((site.data_dir / "files" / site.slug).glob("*.pdf"))
    assert len(stored) == 1 and stored[0].read_bytes() == PDF


def test_uploads_over_the_size_limit_are_refused(site: Site) -> None:
    small = Settings(site.data_dir, max_upload_bytes=64)
    with TestClient(create_app(small), base_url="https://testserver") as client:
        csrf = sign_in(client, "rui")
        r = client.post(f"/p/{site.slug}/fulltext/{site.record_ids[0]}", data={"csrf": csrf},
                        files={"file": ("big.pdf", PDF + b"%" * 100, "application/pdf")})
        assert r.status_code == 413


def test_the_owner_edits_the_criteria_and_roles(app: TestClient, site: Site) -> None:
    csrf = sign_in(app, "olga")
    r = app.post(f"/p/{site.slug}/protocol", data={
        "csrf": csrf, "question": "Does vitamin K2 slow vascular calcification?",
        "inclusion": "I1: adults on dialysis\nI2: randomised trials",
        "exclusion": "E1: children\nE2: animal studies"}, follow_redirects=False)
    assert r.status_code == 303
    rita = next(m for m in app.app.state.server.members(site.slug) if m.name == "rita")  # type: ignore[attr-defined]
    r = app.post(f"/p/{site.slug}/members", data={"csrf": csrf, "user_id": rita.user_id, "role": "arbiter"})
    assert r.status_code == 200
    sign_in(app, "rita")
    assert app.get(f"/p/{site.slug}/conflicts").status_code == 200  # now an arbiter
    csrf = sign_in(app, "olga")
    app.post(f"/p/{site.slug}/members", data={"csrf": csrf, "user_id": rita.user_id, "role": "reviewer"})
    sign_in(app, "rui")
    page = app.get(f"/p/{site.slug}/screen").text
    assert '<option value="E2">animal studies</option>' in page  # the reasons offered
    assert "<b>I1</b> adults on dialysis" in page  # the criteria beside the record


RIS = """TY  - JOUR
TI  - Vitamin K2 in peritoneal dialysis: a pilot trial
AB  - Forty patients on peritoneal dialysis received menaquinone-7.
PY  - 2021
ER  -

TY  - JOUR
TI  - Rats fed warfarin develop aortic calcification
AB  - An animal model.
PY  - 2019
ER  -
"""


def test_the_owner_imports_records_from_a_ris_upload(app: TestClient, site: Site) -> None:
    before = counts(app, site.slug)["records-screened"]
    csrf = sign_in(app, "olga")
    r = app.post(f"/p/{site.slug}/records", data={"csrf": csrf, "source": "Embase"},
                 files={"file": ("export.ris", RIS.encode(), "application/x-research-info-systems")},
                 follow_redirects=False)
    assert r.status_code == 303, r.text
    assert counts(app, site.slug)["records-screened"] == before + 2
    bad = app.post(f"/p/{site.slug}/records", data={"csrf": csrf},
                   files={"file": ("export.ris", b"\x00\x01 not a bibliography", "text/plain")})
    assert bad.status_code == 400
