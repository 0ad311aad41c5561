"""In Chromium: the owner uploads a RIS export twice (the second upload is refused, then
confirmed), runs deduplication, accepts a queued pair, and filters the records table by
source. Screenshots of the records, refusal and duplicates pages are compared with
tests/web/reference (EVISYNTH_UPDATE_SCREENSHOTS=1 regenerates them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD, Site, build_site, serving
from tests.web.test_browser import CHROMIUM, VIEWPORT, check_screenshot

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs Chromium at {CHROMIUM}")

_ERRATUM = "JO  - N Engl J Med\nVL  - 360\nIS  - 23\nSP  - 2487\nPY  - 2009\n"
RIS = (f"TY  - JOUR\nTI  - Erratum\n{_ERRATUM}ER  - \n\n"
       f"TY  - JOUR\nTI  - Erratum: More on eculizumab for congenital atypical hemolytic-uremic syndrome\n"
       f"{_ERRATUM}ER  - \n\n"
       "TY  - JOUR\nTI  - 维生素K2对维持性血液透析患者血管钙化的影响\nAU  - 王斌\nPY  - 2020\n"
       "JO  - 中华肾脏病杂志\nER  - \n")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Site]]:
    site = build_site(tmp_path_factory.mktemp("records-browser"))
    with serving(site.data_dir) as base:
        yield base, site


def test_upload_twice_deduplicate_accept_a_pair_and_filter_by_source(served: tuple[str, Site],
                                                                     tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, site = served
    export = tmp_path / "embase-2024-05.ris"
    export.write_text(RIS, encoding="utf-8")
    project = f"{base}/p/{site.slug}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            olga = browser.new_context(viewport=VIEWPORT).new_page()  # type: ignore[arg-type]
            olga.goto(f"{base}/login")
            olga.fill("input[name=name]", "olga")
            olga.fill("input[name=password]", PASSWORD)
            olga.click("button[type=submit]")
            expect(olga).to_have_url(f"{base}/projects")

            olga.goto(f"{project}/records")
            expect(olga.locator("#total")).to_have_text("4")
            for attempt in (1, 2):
                olga.set_input_files("input[name=file]", str(export))
                olga.fill("input[name=source]", "Embase")
                olga.click("#import")
                if attempt == 1:
                    expect(olga.locator("#notice")).to_have_text("3 records imported.")
                    expect(olga.locator("#batches td.file").first).to_have_text("embase-2024-05.ris")
                    check_screenshot(olga.screenshot(), "records", tmp_path)
            expect(olga.locator("#refused")).to_contain_text("embase-2024-05.ris was imported before")
            check_screenshot(olga.screenshot(), "records-refused", tmp_path)
            olga.click("#import-anyway")
            expect(olga.locator("#notice")).to_have_text("3 records imported.")
            expect(olga.locator("#total")).to_have_text("10")

            olga.goto(project)
            olga.click("#dedup-link")
            expect(olga.locator("#no-groups")).to_be_visible()
            olga.click("#run-dedup")
            expect(olga.locator("#notice")).to_contain_text("Deduplication run:")
            # the second upload duplicates the first (3 groups); the two errata of each upload
            # are pairs to review (2 × 2)
            expect(olga.locator("#group-count")).to_have_text("3")
            expect(olga.locator("#queue-count")).to_have_text("4")
            check_screenshot(olga.screenshot(), "dedup", tmp_path)
            olga.click(".pair button.accept")
            expect(olga.locator("#notice")).to_have_text("Duplicate accepted.")
            # one accepted pair joins the two groups: the other three pairs are settled
            expect(olga.locator("#group-count")).to_have_text("2")
            expect(olga.locator("#queue-count")).to_have_text("0")
            expect(olga.locator("#decided td").nth(3)).to_have_text("olga")

            olga.goto(project)
            olga.click("#records-link")
            olga.select_option("#filter-source", "Embase")
            olga.click("#apply")
            expect(olga.locator("#total")).to_have_text("6")
            expect(olga.locator("#records td.source")).to_have_text(["Embase"] * 6)
        finally:
            browser.close()
