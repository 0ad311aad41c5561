"""Two assessors appraise a study with RoB 1 in Chromium, blinded to each other, then agree
(vitamin K2 review); screenshots of the RoB 1 (own and consensus), Jadad and GRADE pages are
compared with tests/web/reference/ (see test_browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from evisynth.review.appraisal import ROB1_DOMAINS
from evisynth.services.accounts import Server
from tests.web.conftest import (
    CHEAP,
    PASSWORD,
    browser_signed_in,
    build_review_site,
    serving,
)
from tests.web.test_browser import CHROMIUM, VIEWPORT, check_screenshot

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium; .ci/run "
                                       "installs it)")
STUDY = "mansour2017"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data_dir = tmp_path_factory.mktemp("appraisal-browser")
    slug = build_review_site(data_dir)
    server = Server(data_dir, hasher=CHEAP)
    try:
        from evisynth.storage.accounts import user_by_name

        olga = user_by_name(server.accounts, "olga")
        assert olga is not None
        server.register(server.invite(slug, olga, "reviewer"), "rita", PASSWORD)
    finally:
        server.close()
    with serving(data_dir) as base:
        yield base, slug


def test_two_assessors_rob1_blinded_then_agreed_in_a_browser(served: tuple[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import Browser, Page, expect, sync_playwright

    base, slug = served
    project = f"{base}/p/{slug}"

    def signed_in(browser: Browser, name: str) -> Page:
        page: Page = browser_signed_in(browser, base, name, VIEWPORT)
        return page

    def assess(page: Page, copy: str, judgements: dict[str, str], who: str) -> None:
        page.goto(f"{project}/rob?study={STUDY}&copy={copy}")
        for d in ROB1_DOMAINS:
            page.select_option(f'select[name="{d}.judgement"]', judgements.get(d, "low"))
            page.fill(f'input[name="{d}.support"]', f"{who} quote for {d} (made up)")
        page.click("#rob-form button[type=submit]")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            rui, rita = signed_in(browser, "rui"), signed_in(browser, "rita")
            assess(rui, "mine", {"allocation_concealment": "unclear"}, "rui")
            expect(rui.locator("#rob-assessors")).to_contain_text("Your own assessment")
            check_screenshot(rui.screenshot(full_page=True), "rob-mine", tmp_path)

            # rita sees none of rui's judgements, on her own copy or the agreed one
            for copy in ("mine", "agreed"):
                rita.goto(f"{project}/rob?study={STUDY}&copy={copy}")
                expect(rita.locator("body")).not_to_contain_text("rui quote")
                expect(rita.locator("#disagreements")).to_have_count(0)
            assess(rita, "mine", {"allocation_concealment": "high"}, "rita")
            expect(rita.locator("#rob-assessors th")).to_contain_text(["Domain", "rita", "rui"])

            # both have assessed: the consensus lists where they differ, and the agreed judgement is kept
            rui.goto(f"{project}/rob?study={STUDY}&copy=agreed")
            items = rui.locator("#disagreements li")
            expect(items).to_have_count(1)
            expect(items).to_contain_text("rita high · rui unclear")
            check_screenshot(rui.screenshot(full_page=True), "rob-consensus", tmp_path)
            assess(rui, "agreed", {"allocation_concealment": "high"}, "agreed")
            row = rui.locator("#rob-summary tr", has_text="Mansour")
            expect(row.locator("td").nth(2)).to_have_text("high")

            rita.goto(f"{project}/jadad?study={STUDY}&copy=mine")
            check_screenshot(rita.screenshot(full_page=True), "jadad", tmp_path)
            rita.goto(f"{project}/grade")
            expect(rita.locator(".grade-suggested")).to_have_count(5)
            check_screenshot(rita.screenshot(full_page=True), "grade", tmp_path)
        finally:
            browser.close()
