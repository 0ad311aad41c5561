"""The records page (import with feedback, the refusal of a file imported before and its
confirmation, search, filters, sorting, paging, export) and the duplicates page (run, review
a pair, undo a merge), in-process; roles on each."""

from __future__ import annotations

import csv
import hashlib
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from evisynth.review.records import Record
from evisynth.services import screening as screening_services
from evisynth.services.accounts import Server
from evisynth.storage import records as record_store
from evisynth.storage.accounts import user_by_name
from evisynth.web.routers import records as records_router
from tests.web.conftest import Site, sign_in

RIS = ("TY  - JOUR\nTI  - Menaquinone-7 and arterial stiffness in kidney transplant recipients\n"
       "AU  - Mansour, AG\nPY  - 2017\nDB  - Embase\nER  - \n\n"
       "TY  - JOUR\nTI  - 维生素K2对维持性血液透析患者血管钙化的影响\nAU  - 王斌\nAU  - 李明\nPY  - 2020\n"
       "AB  - 目的 探讨维生素K2对血管钙化的作用。\nDB  - Embase\nER  - \n")


def upload(app: TestClient, slug: str, csrf: str, data: bytes, name: str = "embase-2024.ris"):  # type: ignore[no-untyped-def]
    return app.post(f"/p/{slug}/records", data={"csrf": csrf, "source": "Embase"},
                    files={"file": (name, data, "application/x-research-info-systems")},
                    follow_redirects=False)


def ids_on(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-record="(\d+)"', page)]


def total(app: TestClient, slug: str) -> int:
    found = re.search(r'<span id="total">(\d+)</span>', app.get(f"/p/{slug}/records").text)
    assert found
    return int(found.group(1))


def test_an_import_reports_its_file_and_a_second_one_is_refused_until_confirmed(app: TestClient,
                                                                              site: Site) -> None:
    csrf = sign_in(app, "olga")
    before = total(app, site.slug)
    r = upload(app, site.slug, csrf, RIS.encode())
    assert r.status_code == 303
    assert r.headers["location"].startswith(f"/p/{site.slug}/records?done=imported&n=2")
    page = app.get(r.headers["location"]).text
    assert "2 records imported." in page
    digest = hashlib.sha256(RIS.encode()).hexdigest()
    assert "embase-2024.ris" in page and digest[:12] in page and f'title="{digest}"' in page
    assert re.search(r"<td>Embase</td><td>2</td>", page)  # per source
    assert total(app, site.slug) == before + 2
    # the same bytes under another name: refused, nothing stored, a confirmation offered
    again = upload(app, site.slug, csrf, RIS.encode(), name="copy.ris")
    assert again.status_code == 409
    assert "copy.ris was imported before" in again.text and "as embase-2024.ris, 2 records" in again.text
    assert 'id="import-anyway"' in again.text and digest in again.text
    assert total(app, site.slug) == before + 2
    # a malformed or unknown hash is refused; a confirmation imports the held upload once
    bad = {"csrf": csrf, "name": "copy.ris", "source": "Embase"}
    assert app.post(f"/p/{site.slug}/records/reimport", data={**bad, "sha256": "../../x"}).status_code == 400
    assert app.post(f"/p/{site.slug}/records/reimport", data={**bad, "sha256": "0" * 64}).status_code == 404
    ok = app.post(f"/p/{site.slug}/records/reimport", data={**bad, "sha256": digest},
                  follow_redirects=False)
    assert ok.status_code == 303 and total(app, site.slug) == before + 4
    assert app.post(f"/p/{site.slug}/records/reimport", data={**bad, "sha256": digest}).status_code == 404
    # a reviewer may look, not import
    csrf = sign_in(app, "rui")
    assert app.get(f"/p/{site.slug}/records").status_code == 200
    assert upload(app, site.slug, csrf, b"TY  - JOUR\nTI  - x\nER  - \n").status_code == 403


def test_search_filters_sorting_and_paging(app: TestClient, site: Site,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    server: Server = app.app.state.server  # type: ignore[attr-defined]
    project = server.project(site.slug)
    batch = record_store.add_records(project, [
        Record(source_file="cnki.txt", entry=1, format="cnki", original="", database="CNKI",
               title="维生素D与儿童哮喘", authors=("张伟",), year=2019, abstract="儿童 哮喘"),
        Record(source_file="cnki.txt", entry=2, format="cnki", original="", database="CNKI",
               title="Calcification 100% solved_", authors=("Smith J",), year=2021)], "olga")
    cnki = [batch.first_id, batch.last_id]
    sign_in(app, "rui")
    base = f"/p/{site.slug}/records"
    assert ids_on(app.get(f"{base}?q=儿童").text) == cnki[:1]  # Chinese in the title and abstract
    assert ids_on(app.get(f"{base}?q=张伟").text) == cnki[:1]  # a Chinese author (stored escaped in JSON)
    assert ids_on(app.get(f"{base}?q=smith").text) == cnki[1:]  # case-insensitive
    assert ids_on(app.get(f"{base}?q=100%25").text) == cnki[1:]  # % and _ are literal
    assert ids_on(app.get(f"{base}?q=0%25 s").text) == cnki[1:]
    assert ids_on(app.get(f"{base}?source=CNKI").text) == cnki
    assert ids_on(app.get(f"{base}?source=CNKI&year=2021").text) == cnki[1:]
    assert ids_on(app.get(f"{base}?source=CNKI&sort=year&desc=true").text) == cnki[::-1]
    assert "No record matches" in app.get(f"{base}?q=nothing-like-this").text
    assert app.get(f"{base}?sort=password").status_code == 400
    assert app.get(f"{base}?year=abc").status_code == 400
    assert app.get(f"{base}?desc=yes").status_code == 400
    assert app.get(f"{base}?state=bogus").status_code == 400
    # screening filters: two reviewers exclude the first record with a reason
    first = site.record_ids[0]
    for reviewer in ("rui", "rita"):
        screening_services.decide(project, first, "ta", reviewer, "exclude", "wrong population")
    screening_services.decide(project, site.record_ids[1], "ta", "rui", "include")
    assert ids_on(app.get(f"{base}?state=ta:excluded").text) == [first]
    assert first not in ids_on(app.get(f"{base}?state=ta:open").text)
    assert ids_on(app.get(f"{base}?decision=exclude&reviewer=rita").text) == [first]
    assert ids_on(app.get(f"{base}?reason=wrong population").text) == [first]
    assert ids_on(app.get(f"{base}?decision=include").text) == [site.record_ids[1]]
    assert ids_on(app.get(f"{base}?decision=include&reviewer=rita").text) == []
    # paging happens in SQL: LIMIT/OFFSET on the query, one page read
    monkeypatch.setattr(records_router, "PAGE_SIZE", 2)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(project.engine, "before_cursor_execute", seen)
    try:
        second = app.get(f"{base}?sort=id&page=2").text
    finally:
        event.remove(project.engine, "before_cursor_execute", seen)
    assert ids_on(second) == [s.id for s in record_store.list_records(project)][2:4]
    assert 'rel="next"' in second and 'rel="prev"' in second
    reads = [s for s in statements if "records.title" in s]  # the reads of whole records
    assert reads and all("LIMIT" in s and "OFFSET" in s for s in reads), "\n\n".join(reads)


def test_export_writes_the_current_filter(app: TestClient, site: Site) -> None:
    sign_in(app, "rita")
    base = f"/p/{site.slug}/records/export"
    r = app.get(f"{base}?format=csv&source=PubMed")
    assert r.status_code == 200 and r.headers["content-disposition"].endswith('-records.csv"')
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    server: Server = app.app.state.server  # type: ignore[attr-defined]
    pubmed = [s.record.title for s in record_store.list_records(server.project(site.slug), database="PubMed")]
    assert [row["title"] for row in rows] == pubmed and pubmed
    ris = app.get(f"{base}?format=ris&q=Warfarin").text
    assert ris.count("ER  -") == 1 and "Warfarin and arterial stiffness" in ris
    assert app.get(f"{base}?format=pdf").status_code == 400


def test_the_empty_records_page_says_what_to_do(app: TestClient, site: Site) -> None:
    server: Server = app.app.state.server  # type: ignore[attr-defined]
    olga = user_by_name(server.accounts, "olga")
    assert olga is not None
    slug = server.create_project(olga, "Empty review")
    sign_in(app, "olga")
    page = app.get(f"/p/{slug}/records").text
    assert 'id="no-records"' in page and "Import an export" in page
    dedup = app.get(f"/p/{slug}/dedup").text
    assert 'id="no-records"' in dedup and "import them" in dedup


def test_dedup_run_review_and_undo(app: TestClient, site: Site) -> None:
    server: Server = app.app.state.server  # type: ignore[attr-defined]
    project = server.project(site.other)
    fields = {"journal": "N Engl J Med", "volume": "360", "issue": "23", "pages": "2487", "year": 2009}
    batch = record_store.add_records(project, [
        Record(source_file="a.ris", entry=1, format="ris", original="", database="PubMed", title="Erratum",
               **fields),  # type: ignore[arg-type]
        Record(source_file="b.ris", entry=1, format="ris", original="", database="Embase",
               title="Erratum: More on eculizumab for congenital atypical hemolytic-uremic syndrome",
               **fields),  # type: ignore[arg-type]
        *(Record(source_file=name, entry=2, format="ris", original="", database=db,
                 doi="10.1053/j.ajkd.2016.01.1", authors=("Kurnatowska I",), year=2016,
                 title="Menaquinone-7 and vascular calcification in haemodialysis", journal="Am J Kidney Dis")
          for name, db in (("a.ris", "PubMed"), ("b.ris", "Embase")))],
        "olga")
    assert batch.first_id is not None
    csrf = sign_in(app, "otto")  # a reviewer of this project
    r = app.post(f"/p/{site.other}/dedup/run", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and "done=dedup" in r.headers["location"]
    page = app.get(r.headers["location"]).text
    assert "Deduplication run:" in page
    assert re.search(r'id="queue-count">1<', page) and re.search(r'id="group-count">1<', page)
    pair = re.search(r'<section class="card pair" data-link="(\d+)"', page)
    assert pair and "Erratum: More on eculizumab" in page
    link = int(pair.group(1))
    assert app.post(f"/p/{site.other}/dedup/decide", data={"csrf": csrf, "link_id": link, "decision": "maybe"}
                    ).status_code == 400
    assert app.post(f"/p/{site.other}/dedup/decide", data={"csrf": csrf, "link_id": 99999,
                                                          "decision": "accepted"}).status_code == 404
    r = app.post(f"/p/{site.other}/dedup/decide", data={"csrf": csrf, "link_id": link,
                                                        "decision": "accepted"})
    assert r.status_code == 200 and "Duplicate accepted." in r.text
    assert re.search(r'id="queue-count">0<', r.text) and re.search(r'id="group-count">2<', r.text)
    decided = re.search(rf'<tr data-link="{link}">(.*?)</tr>', r.text, re.S)
    assert decided and "accepted" in decided.group(1) and "otto" in decided.group(1)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", decided.group(1))
    # undo the merge: the link stays, rejected, and the group is gone
    r = app.post(f"/p/{site.other}/dedup/decide", data={"csrf": csrf, "link_id": link,
                                                        "decision": "rejected"})
    assert "Not duplicates" in r.text and re.search(r'id="group-count">1<', r.text)
    assert [s.link.status for s in record_store.list_links(project) if s.id == link] == ["rejected"]


def test_roles_on_the_new_pages(app: TestClient, site: Site) -> None:
    csrf = sign_in(app, "ari")  # the arbiter reads but does not run or decide
    assert app.get(f"/p/{site.slug}/dedup").status_code == 200
    assert app.post(f"/p/{site.slug}/dedup/run", data={"csrf": csrf}).status_code == 403
    assert app.post(f"/p/{site.slug}/dedup/decide", data={"csrf": csrf, "link_id": 1,
                                                         "decision": "accepted"}).status_code == 403
    assert 'id="run-dedup"' not in app.get(f"/p/{site.slug}/dedup").text
    sign_in(app, "otto")  # an outsider
    for url in ("records", "dedup", "records/export?format=ris"):
        r = app.get(f"/p/{site.slug}/{url}")
        assert r.status_code == 404 and "Vitamin K2" not in r.text
