"""End to end in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium, no
browser download). Two reviewers in two browser contexts screen the same record by keyboard,
a conflict appears, the arbiter resolves it, the PRISMA counts change. Screenshots of the
main pages are compared with the small references in tests/web/reference/ (regenerate them
with EVISYNTH_UPDATE_SCREENSHOTS=1 after a deliberate change of the pages).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evisynth.services.accounts import Server
from evisynth.services.review import EXAMPLE_BUNDLE
from evisynth.storage.accounts import user_by_name
from tests.web.conftest import CHEAP, PASSWORD, Site, build_site, serving

CHROMIUM = "/usr/bin/chromium"
REFERENCE = Path(__file__).resolve().parent / "reference"
#: Screenshots are compared at this size, in grey levels (fonts and anti-aliasing differ a
#: little between machines; a changed layout does not pass).
THUMB = (320, 200)
#: Largest mean absolute difference in grey levels (0–255) between a screenshot and its reference.
TOLERANCE = 6.0
VIEWPORT = {"width": 1280, "height": 800}

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium; .ci/run "
                                       "installs it)")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Site, str]]:
    site = build_site(tmp_path_factory.mktemp("browser"))
    server = Server(site.data_dir, hasher=CHEAP)
    try:  # seed 000's review, with rui as a reviewer, for the extraction → forest plot step
        olga, rui = (user_by_name(server.accounts, n) for n in ("olga", "rui"))
        assert olga is not None and rui is not None
        review = server.create_project(olga, "Vitamin K2 (seed 000)", bundle=EXAMPLE_BUNDLE)
        server.set_role(review, olga, rui.id, "reviewer")
    finally:
        server.close()
    with serving(site.data_dir) as base:
        yield base, site, review


def thumb(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png)).convert("L").resize(THUMB, Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=float)


def check_screenshot(png: bytes, name: str, out: Path) -> None:
    (out / f"{name}.png").write_bytes(png)
    reference = REFERENCE / f"{name}.png"
    small = thumb(png)
    if os.environ.get("EVISYNTH_UPDATE_SCREENSHOTS") == "1":
        Image.fromarray(small.astype(np.uint8)).save(reference, optimize=True)
    expected = np.asarray(Image.open(reference).convert("L"), dtype=float)
    diff = float(np.abs(small - expected).mean())
    assert diff <= TOLERANCE, f"{name}: screenshot differs from {reference} by {diff:.1f} grey levels"


def test_two_reviewers_conflict_arbiter_and_prisma_in_a_browser(served: tuple[str, Site, str],
                                                                  tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    base, site, review = served
    one = site.record_ids[0]

    def sign_in(page: Page, name: str) -> None:
        page.goto(f"{base}/login")
        page.fill("input[name=name]", name)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{base}/projects")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            rui = browser.new_context(viewport=VIEWPORT).new_page()  # type: ignore[arg-type]
            rita = browser.new_context(viewport=VIEWPORT).new_page()  # type: ignore[arg-type]
            ari = browser.new_context(viewport=VIEWPORT).new_page()  # type: ignore[arg-type]
            rui.goto(f"{base}/login")
            check_screenshot(rui.screenshot(), "login", tmp_path)
            sign_in(rui, "rui")
            sign_in(rita, "rita")
            sign_in(ari, "ari")

            ari.goto(f"{base}/p/{site.slug}/prisma")
            expect(ari.locator("#reports-sought")).to_have_text("0")

            rui.goto(f"{base}/p/{site.slug}/screen")
            expect(rui.locator("#record-title")).to_contain_text("<script>alert(1)</script>")
            check_screenshot(rui.screenshot(), "screen", tmp_path)
            rui.keyboard.press("i")  # include by key
            expect(rui.locator("#progress")).to_contain_text("1 decided, 3 to go")

            rita.goto(f"{base}/p/{site.slug}/screen")
            expect(rita.locator(".record")).to_have_attribute("data-record", str(one))
            expect(rita.locator(".blinded")).to_be_visible()  # rui's decision is hidden
            rita.select_option("#reason", "wrong population")
            rita.locator("body").click(position={"x": 5, "y": 300})
            rita.keyboard.press("e")  # exclude by key, with the reason picked
            expect(rita.locator("#progress")).to_contain_text("1 decided, 3 to go")

            ari.goto(f"{base}/p/{site.slug}/conflicts")
            expect(ari.locator("#conflict-count")).to_have_text("1")
            expect(ari.locator(".conflict .d-exclude")).to_contain_text("wrong population")
            check_screenshot(ari.screenshot(), "conflicts", tmp_path)
            ari.click(".conflict button[value=include]")
            expect(ari.locator("#conflict-count")).to_have_text("0")

            ari.goto(f"{base}/p/{site.slug}/prisma")
            expect(ari.locator("#reports-sought")).to_have_text("1")
            expect(ari.locator("img.prisma")).to_be_visible()
            check_screenshot(ari.screenshot(), "prisma", tmp_path)

            # an extraction is entered (Oikonomaki 2019's MGP: made-up numbers) and the
            # analysis gains a study and its forest plot
            rui.goto(f"{base}/p/{review}/analysis?outcome=mgp&measure=MD")
            expect(rui.locator("#k")).to_have_text("1")
            expect(rui.locator("#forest")).to_have_count(0)
            for arm, statistic, value in (("k2", "mean", "700"), ("k2", "sd", "150"),
                                          ("control", "mean", "650"), ("control", "sd", "160")):
                rui.goto(f"{base}/p/{review}/extraction")
                rui.select_option("#study", "oikonomaki2019")
                rui.select_option("#arm", arm)
                rui.select_option("#outcome", "mgp")
                rui.fill("#timepoint", "12m")
                rui.select_option("#statistic", statistic)
                rui.fill("#value", value)
                rui.click("#value-form button[type=submit]")
                expect(rui).to_have_url(f"{base}/p/{review}/extraction")
            rui.goto(f"{base}/p/{review}/analysis?outcome=mgp&measure=MD")
            expect(rui.locator("#k")).to_have_text("2")
            expect(rui.locator("#forest")).to_be_visible()
            check_screenshot(rui.screenshot(), "analysis", tmp_path)

            # a tablet in portrait: the criteria go below the record
            tablet = browser.new_context(viewport={"width": 768, "height": 1024}).new_page()
            sign_in(tablet, "rita")
            tablet.goto(f"{base}/p/{site.slug}/screen")
            expect(tablet.locator("#decide-form")).to_be_visible()
            check_screenshot(tablet.screenshot(), "screen-tablet", tmp_path)
        finally:
            browser.close()
