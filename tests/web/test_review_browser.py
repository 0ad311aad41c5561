"""A small review end to end in Chromium, from a RIS file to the report, with only the pages:
the owner imports records and writes the protocol, two reviewers screen (title/abstract and
full text), studies are made from the included records, two extractors fill in each study's
form blinded, the arbiter resolves their discrepancy, a saved analysis (preset revman5) shows
the pooled risk ratio that ``evisynth.pool`` gives on the same numbers, and the report
downloads. Screenshots of the new pages are compared with tests/web/reference/ (see
test_browser.py)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import evisynth
from tests.web.conftest import browser_signed_in, serving_team
from tests.web.test_browser import CHROMIUM, VIEWPORT, check_screenshot

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium; .ci/run "
                                       "installs it)")

#: Two trials to include and a cohort study to exclude (bibliographic details made up).
RIS = """TY  - JOUR
AU  - Whitfield, M. J.
TI  - Penicillin for sore throat in general practice: a randomised trial
PY  - 1985
JO  - Practitioner
AB  - Adults with sore throat were randomised to penicillin or placebo.
ER  -
TY  - JOUR
AU  - Dagnelie, C. F.
TI  - Do patients with sore throat benefit from penicillin? A placebo-controlled trial
PY  - 1996
JO  - Br J Gen Pract
AB  - Patients with sore throat were randomised to penicillin or placebo.
ER  -
TY  - JOUR
AU  - Smith, A.
TI  - Tonsillectomy in children: a cohort study
PY  - 2001
JO  - Arch Dis Child
AB  - Children who had a tonsillectomy were followed for five years.
ER  -
"""
OUTCOME = "sore_throat_on_day_3"
#: Each study's numbers (made up): penicillin events, n; placebo events, n. rita types 31
#: instead of 13 for Dagnelie's placebo events; the arbiter keeps rui's 13.
TABLE = {"Whitfield 1985": (20, 120, 35, 118), "Dagnelie 1996": (6, 120, 13, 119)}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with serving_team(tmp_path_factory.mktemp("review-browser"), "Antibiotics for sore throat") as served:
        yield served


def test_a_review_from_a_ris_file_to_the_report_in_a_browser(served: tuple[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import Browser, Page, expect, sync_playwright

    base, slug = served
    project = f"{base}/p/{slug}"
    ris = tmp_path / "sore-throat.ris"
    ris.write_text(RIS, encoding="utf-8")

    def signed_in(browser: Browser, name: str) -> Page:
        page: Page = browser_signed_in(browser, base, name, VIEWPORT)
        return page

    def screen(page: Page, stage: str, keys: str) -> None:
        page.goto(f"{project}/screen?stage={stage}")
        for done, key in enumerate(keys, start=1):
            if key == "e":
                page.select_option("#reason", "wrong study design")
                page.locator("body").click(position={"x": 5, "y": 300})
            page.keyboard.press(key)
            expect(page.locator("#progress")).to_contain_text(f"{done} decided")

    def extract(page: Page, numbers: dict[str, tuple[int, int, int, int]], shot: bool = False) -> None:
        page.goto(f"{project}/studies")
        page.click("a.enter >> nth=0")
        for label in ("Whitfield 1985", "Dagnelie 1996"):
            expect(page.locator("h1")).to_contain_text(label)
            for arm, (events, n) in (("penicillin", numbers[label][:2]), ("placebo", numbers[label][2:])):
                page.fill(f'input[name="{OUTCOME}|{arm}|events"]', str(events))
                page.fill(f'input[name="{OUTCOME}|{arm}|n"]', str(n))
            page.fill(f'input[name="{OUTCOME}|location"]', "Table 2")
            if shot and label == "Whitfield 1985":
                check_screenshot(page.screenshot(), "extract-study", tmp_path)
            page.click("#save-values")
            expect(page.locator("#notice")).to_have_text("4 values saved as yours.")
            if label == "Whitfield 1985":
                page.click("#next-study")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            olga, rui, rita, ari = (signed_in(browser, n) for n in ("olga", "rui", "rita", "ari"))
            # the owner imports the records and writes the protocol
            olga.goto(project)
            olga.set_input_files("input[name=file]", str(ris))
            olga.fill("input[name=source]", "MEDLINE")
            olga.click("form[action$='/records'] button[type=submit]")
            olga.goto(f"{project}/protocol")
            expect(olga.locator("#no-outcomes")).to_be_visible()
            olga.fill("#question", "Do antibiotics relieve sore throat?")
            olga.fill("#population", "People with sore throat")
            olga.fill("#intervention", "Penicillin")
            olga.fill("#comparator", "Placebo")
            olga.fill("#study-design", "Randomised controlled trials")
            olga.click("#protocol-form button[type=submit]")
            expect(olga.locator("#notice")).to_have_text("Protocol saved.")
            olga.fill("#outcome-name", "Sore throat on day 3")
            olga.select_option("#outcome-kind", "dichotomous")
            olga.select_option("#outcome-direction", "lower")
            olga.click("#outcome-form button[type=submit]")
            expect(olga.locator("#notice")).to_have_text("Outcome added to the protocol.")
            expect(olga.locator(f"tr[data-outcome={OUTCOME}]")).to_contain_text("binary")
            check_screenshot(olga.screenshot(full_page=True), "protocol", tmp_path)

            # two reviewers screen: the two trials in, the cohort out; then the full texts
            rui.goto(f"{project}/studies")
            expect(rui.locator("#no-studies")).to_be_visible()
            for stage, keys in (("ta", "iie"), ("ft", "ii")):
                for reviewer in (rui, rita):
                    screen(reviewer, stage, keys)

            # included at full text → values entered: the studies page, then one form per study
            rui.click("header nav >> text=Studies")
            expect(rui.locator("#waiting-count")).to_have_text("2")
            rui.click("#make-studies")
            expect(rui.locator("#notice")).to_have_text("2 studies made from the records included at "
                                                        "full text.")
            for label, role in (("Penicillin", "experimental"), ("Placebo", "control")):
                rui.fill("#arm-label", label)
                rui.select_option("#arm-role", role)
                rui.click("#arm-form button[type=submit]")
                expect(rui.locator("#notice")).to_have_text("Arm added to 2 studies.")
            expect(rui.locator("tr[data-study]")).to_have_count(2)
            check_screenshot(rui.screenshot(), "studies", tmp_path)
            extract(rui, TABLE, shot=True)
            rita.goto(f"{project}/extraction/whitfield1985")
            expect(rita.locator(f'input[name="{OUTCOME}|placebo|events"]')).to_have_value("")  # blinded
            extract(rita, {**TABLE, "Dagnelie 1996": (6, 120, 31, 119)})

            # the arbiter resolves the one discrepancy
            ari.goto(f"{project}/extraction?first=rui&second=rita")
            row = ari.locator("tr.discrepancy")
            expect(row).to_have_count(1)
            expect(row).to_contain_text("dagnelie1996/placebo/sore_throat_on_day_3/end/events")
            row.locator("input[name=value]").fill("13")
            row.locator("button[type=submit]").click()
            expect(ari.locator("#notice")).to_contain_text("Discrepancy resolved")
            check_screenshot(ari.screenshot(), "discrepancies", tmp_path)

            # a saved analysis with RevMan 5's settings pools what evisynth.pool pools
            rui.goto(f"{project}/analysis")
            expect(rui.locator("#no-analyses")).to_be_visible()
            rui.select_option("#analysis-form select[name=measure]", "RR")
            rui.select_option("#analysis-form select[name=preset]", "revman5")
            rui.click("#analysis-form button[type=submit]")
            rui.click("#save-analysis button[type=submit]")
            expect(rui.locator("#notice")).to_have_text("Analysis saved.")
            expect(rui.locator("#k")).to_have_text("2")
            expect(rui.locator("#forest")).to_be_visible()
            table = pd.DataFrame([{"study": s, "e1": a, "n1": b, "e2": c, "n2": d}
                                  for s, (a, b, c, d) in TABLE.items()])
            pooled = evisynth.pool(table, measure="RR", preset="revman5").overall
            assert pooled is not None
            rr, low, high = (math.exp(x) for x in (pooled.estimate, pooled.ci_low, pooled.ci_high))
            expect(rui.locator("#estimate")).to_contain_text(f"{rr:.2f} [{low:.2f} to {high:.2f}]")
            check_screenshot(rui.screenshot(), "analysis-saved", tmp_path)

            with rui.expect_download() as download:
                rui.click("header nav >> text=Report")
            report = Path(download.value.path()).read_text(encoding="utf-8")
            assert "Sore throat on day 3" in report and "Whitfield 1985" in report
        finally:
            browser.close()
