"""One review from the first record to the report, in the web app (issue 13's acceptance).

The Cochrane review "Antibiotics for sore throat" (RevMan 5 file in ../shared/data/rm5) is
rebuilt by driving the pages in Chromium as its team would: the owner imports the included and
excluded studies' references as a RIS file (and the first one again from a second database)
and writes the protocol; two reviewers screen every title/abstract and full text with the
keyboard shortcuts (one conflict, settled by the arbiter on the Conflicts page); the studies
page makes the studies and joins the two reports of Little 1997; two extractors fill in the
2×2 counts of three outcomes in each study's form, blinded (one typo, resolved by the
arbiter); four analyses are saved with the revman5 preset, one by blinding subgroups. Every
pooled statistic in results.json (downloaded from the analysis page) must equal RevMan's stored
result within the RevMan conformance test's tolerances, and the report (downloaded and opened
in the browser) must show the four forest plots and a PRISMA flow whose counts follow from the
decisions. The review has no continuous outcome; test_review_from_records.py covers one on
the command line.

Deduplication runs in the browser too (the Duplicates page): one group, the MEDLINE copy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from evisynth.io.rm5 import DichRow, read_rm5
from tests.e2e.rm5_review import ANALYSES, RM5_NAME, blinding_of, references, same_as_revman, write_ris
from tests.web.conftest import browser_signed_in, serving_team
from tests.web.test_browser import CHROMIUM, VIEWPORT

pytestmark = [pytest.mark.slow,  # about 2.5 minutes: 330 screening decisions and 42 forms
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium; .ci/run "
                                        "installs it)")]

#: Excluded studies' references the reviewers already exclude at title/abstract.
EXCLUDED_AT_TA = 5
TA_REASON, FT_REASON = "wrong study design", "wrong intervention"
#: The RevMan outcomes whose data are entered (CMP-001.02 pools CMP-001.01's by subgroup).
ENTERED = ("CMP-001.01", "CMP-002.01", "CMP-004.04")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """A server with owner olga, reviewers rui and rita, arbiter ari: its address, the
    project's slug and its database file."""
    data_dir = tmp_path_factory.mktemp("sore-throat-browser")
    with serving_team(data_dir, "Antibiotics for sore throat") as (base, slug):
        yield base, slug, data_dir / "projects" / f"{slug}.evisynth"


def test_the_cochrane_review_rebuilt_in_a_browser_matches_revman(
        served: tuple[str, str, Path], shared_data: Path, tmp_path: Path) -> None:
    from playwright.sync_api import Browser, Page, expect, sync_playwright

    rm5_path = shared_data / "rm5" / RM5_NAME
    if not rm5_path.is_file():
        pytest.skip(f"{rm5_path} not found")
    base, slug, _ = served
    project = f"{base}/p/{slug}"
    revman = read_rm5(rm5_path)
    outcomes = {o.id: o for o in revman.outcomes}
    refs = references(rm5_path)
    write_ris(refs, tmp_path / "central.ris")
    write_ris(refs[:1], tmp_path / "medline.ris")
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[step], clock = now - clock, now

    def signed_in(browser: Browser, name: str) -> Page:
        page: Page = browser_signed_in(browser, base, name, VIEWPORT)
        return page

    # A fresh project numbers the first file's records 1, 2, … in file order.
    def ref_of(record_id: int) -> tuple[str, str, dict[str, str]]:
        return refs[record_id - 1]

    def screen(page: Page, stage: str, decide: dict[int, tuple[str, str]]) -> None:
        """Decide every record the queue serves with the keyboard: I, or E after the reason."""
        page.goto(f"{project}/screen?stage={stage}")
        for done in range(1, len(decide) + 1):
            record = int(page.locator("section.record").get_attribute("data-record") or 0)
            key, reason = decide.pop(record)
            assert page.locator("#record-title").inner_text() == ref_of(record)[2]["TI"]
            if key == "e":
                page.select_option("#reason", reason)
                page.locator("#record-title").click()
            page.keyboard.press(key)
            expect(page.locator("#progress")).to_contain_text(f"{done} decided, {len(decide)} to go")
        assert not decide
        expect(page.locator("h1")).to_have_text("Nothing left to screen")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            olga, rui, rita, ari = (signed_in(browser, n) for n in ("olga", "rui", "rita", "ari"))
            lap("sign in")

            # -- records and protocol ---------------------------------------------------------
            olga.goto(project)
            for file, source in (("central.ris", "CENTRAL"), ("medline.ris", "MEDLINE")):
                olga.set_input_files("input[name=file]", str(tmp_path / file))
                olga.fill("input[name=source]", source)
                olga.click("form[action$='/records'] button[type=submit]")
                expect(olga.locator("#notice")).to_contain_text("records imported.")
                olga.goto(project)
            olga.click("#dedup-link")
            olga.click("#run-dedup")
            expect(olga.locator("#notice")).to_contain_text("Deduplication run:")
            expect(olga.locator("#group-count")).to_have_text("1")
            olga.goto(f"{project}/protocol")
            for field, text in (("#question", "Do antibiotics relieve sore throat and prevent its "
                                              "complications?"),
                                ("#population", "Children and adults with sore throat"),
                                ("#intervention", "Antibiotics"), ("#comparator", "Placebo or no treatment"),
                                ("#study-design", "Randomised or quasi-randomised controlled trials")):
                olga.fill(field, text)
            olga.click("#protocol-form button[type=submit]")
            expect(olga.locator("#notice")).to_have_text("Protocol saved.")
            names = {a[0]: a[1] for a in ANALYSES.values()}
            for name in names.values():
                olga.fill("#outcome-name", name)
                olga.select_option("#outcome-kind", "dichotomous")
                olga.select_option("#outcome-direction", "lower")
                olga.click("#outcome-form button[type=submit]")
                expect(olga.locator("#notice")).to_have_text("Outcome added to the protocol.")
            outcome_ids = olga.locator("tr[data-outcome]").evaluate_all(
                "rows => rows.map(r => r.dataset.outcome)")
            web_outcome = dict(zip(names, outcome_ids, strict=True))  # our id → the page's id
            lap("import, dedup, protocol")

            # -- screening: two reviewers, one conflict for the arbiter ------------------------
            screened = range(1, len(refs) + 1)  # the MEDLINE duplicate (last) is not queued
            included = [r for r in screened if ref_of(r)[0] == "included"]
            excluded = [r for r in screened if ref_of(r)[0] == "excluded"]
            at_ta, at_ft = excluded[:EXCLUDED_AT_TA], excluded[EXCLUDED_AT_TA:]
            conflict = included[0]
            for reviewer in (rui, rita):
                ta = {r: ("e", TA_REASON) if r in at_ta else ("i", "") for r in screened}
                if reviewer is rita:
                    ta[conflict] = ("e", TA_REASON)
                screen(reviewer, "ta", ta)
            ari.goto(f"{project}/conflicts")
            expect(ari.locator("#conflict-count")).to_have_text("1")
            ari.click(f"section.conflict[data-record='{conflict}'] button[value=include]")
            expect(ari.locator("#conflict-count")).to_have_text("0")
            lap("title/abstract screening (2 reviewers) and the conflict")
            for reviewer in (rui, rita):
                screen(reviewer, "ft", {r: ("i", "") if r in included else ("e", FT_REASON)
                                        for r in included + at_ft})
            lap("full-text screening (2 reviewers)")

            # -- studies: made from the records, Little 1997's two reports joined --------------
            rui.goto(f"{project}/studies")
            expect(rui.locator("#waiting-count")).to_have_text(str(len(included)))
            rui.click("#make-studies")
            expect(rui.locator("#notice")).to_have_text(f"{len(included)} studies made from the records "
                                                        "included at full text.")

            def study_reports() -> dict[str, list[int]]:
                rows = rui.locator("tr[data-study]").evaluate_all(
                    "rows => rows.map(r => [r.dataset.study, "
                    "[...r.querySelectorAll('.reports .tag')].map(t => +t.textContent)])")
                return {sid: reports for sid, reports in rows}

            little = [sid for sid, reports in study_reports().items()
                      if ref_of(reports[0])[1] == "STD-Little-1997"]
            assert len(little) == 2
            for sid in little:
                rui.check(f"tr[data-study='{sid}'] input[name=study]")
            rui.fill("#study-list input[name=label]", "Little 1997")
            rui.click("#join")
            expect(rui.locator("#notice")).to_have_text("Studies joined into one.")
            reports_of = study_reports()
            assert len(reports_of) == len({s for status, s, _ in refs if status == "included"}) == 27
            assert sorted(len(r) for r in reports_of.values())[-2:] == [1, 2]
            ours_of = {ref_of(reports[0])[1]: sid for sid, reports in reports_of.items()}
            arms = (("Antibiotic", "experimental"), ("Placebo or no treatment", "control"))
            for label, role in arms:
                rui.fill("#arm-label", label)
                rui.select_option("#arm-role", role)
                rui.click("#arm-form button[type=submit]")
                expect(rui.locator("#notice")).to_have_text("Arm added to 27 studies.")
            form = rui.locator("#characteristic-form")
            for sub in outcomes["CMP-001.02"].subgroups:
                for row in sub.rows:
                    form.locator("select[name=study]").select_option(ours_of[row.study_id])
                    form.locator("input[name=name]").fill("blinding")
                    form.locator("input[name=value]").fill(blinding_of(sub.name))
                    form.locator("button[type=submit]").click()
                    expect(rui.locator("#notice")).to_have_text("Study characteristic saved.")
            lap("studies, join, arms, characteristics")

            # -- dual extraction in each study's form; the arbiter resolves the one typo -------
            table: dict[str, dict[str, DichRow]] = {}  # study → our outcome id → RevMan's row
            for rm_id in ENTERED:
                for row in outcomes[rm_id].rows:
                    assert isinstance(row, DichRow)
                    table.setdefault(ours_of[row.study_id], {})[ANALYSES[rm_id][0]] = row
            typo_study = next(iter(table))
            typo_outcome, typo_row = next(iter(table[typo_study].items()))
            for extractor in (rui, rita):
                for sid, rows in table.items():
                    extractor.goto(f"{project}/extraction/{sid}")
                    for outcome, row in rows.items():
                        name = names[outcome]
                        events = row.events_2
                        if extractor is rita and (sid, outcome) == (typo_study, typo_outcome):
                            events += 10
                        for (arm, _), e, n in zip(arms, (row.events_1, events),
                                                  (row.total_1, row.total_2), strict=True):
                            extractor.fill(f'input[aria-label="{name} {arm} events"]', f"{e:g}")
                            extractor.fill(f'input[aria-label="{name} {arm} n"]', f"{n:g}")
                        where = web_outcome[outcome]
                        extractor.fill(f'input[name="{where}|location"]', "Analysis data table")
                        extractor.fill(f'input[name="{where}|quote"]',
                                       f"{row.study_name}: {row.events_1:g}/{row.total_1:g} vs "
                                       f"{row.events_2:g}/{row.total_2:g}")
                    extractor.click("#save-values")
                    expect(extractor.locator("#notice")).to_have_text(
                        f"{4 * len(rows)} values saved as yours.")
            lap(f"dual extraction ({len(table)} studies × 2 extractors)")
            ari.goto(f"{project}/extraction?first=rui&second=rita")
            row = ari.locator("tr.discrepancy")
            expect(row).to_have_count(1)
            expect(row).to_have_attribute("data-key", f"{typo_study}/placebo_or_no_treatment/"
                                                      f"{web_outcome[typo_outcome]}/end/events")
            row.locator("input[name=value]").fill(f"{typo_row.events_2:g}")
            row.locator("button[type=submit]").click()
            expect(ari.locator("#notice")).to_contain_text("Discrepancy resolved")
            expect(ari.locator("tr.discrepancy .resolution b")).to_have_text(str(float(typo_row.events_2)))

            # -- analyses with the revman5 preset, results.json and the report ----------------
            for _rm_id, (outcome, _name, _timepoint, subgroup) in ANALYSES.items():
                rui.goto(f"{project}/analysis")  # choose the settings, see them pooled, save them
                choosing = rui.locator("#analysis-form")
                choosing.locator("select[name=outcome]").select_option(web_outcome[outcome])
                choosing.locator("select[name=measure]").select_option("RR")
                choosing.locator("select[name=preset]").select_option("revman5")
                choosing.locator("select[name=subgroup]").select_option(subgroup)
                choosing.locator("button[type=submit]").click()
                expect(rui.locator("#forest")).to_be_visible()
                rui.locator("#save-analysis button[type=submit]").click()
                expect(rui.locator("#notice")).to_have_text("Analysis saved.")
            expect(rui.locator("tr[data-analysis]")).to_have_count(len(ANALYSES))
            sore = outcomes["CMP-001.01"].stats
            rui.goto(f"{project}/analysis?saved=a1")
            expect(rui.locator("#estimate")).to_contain_text(
                f"{sore.effect_size:.2f} [{sore.ci_start:.2f} to {sore.ci_end:.2f}]")
            with rui.expect_download() as download:
                rui.click("#results-json")
            results = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
            lap("analyses saved, results.json")
            compared = same_as_revman(results["analyses"], outcomes)
            assert compared > 50

            flow = results["prisma_computed"]
            assert flow["database_results"] == len(refs) + 1
            assert flow["database_specific"] == {"CENTRAL": len(refs), "MEDLINE": 1}
            assert flow["duplicates"] == 1
            assert flow["records_screened"] == len(screened)
            assert flow["records_excluded"] == EXCLUDED_AT_TA
            assert flow["assessed"] == len(included) + len(at_ft)
            assert flow["excluded_reports"] == len(at_ft)
            assert flow["exclusion_reasons"] == {FT_REASON: len(at_ft)}
            assert flow["new_studies"] == 27

            with rui.expect_download() as download:
                rui.click("header nav >> text=Report")
            report = tmp_path / "report.html"
            download.value.save_as(report)
            rui.goto(report.as_uri())
            shown = rui.locator("img").evaluate_all(
                "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).map(i => i.alt)")
            titles = [a["analysis"]["title"] for a in results["analyses"]]
            assert "PRISMA 2020 (computed)" in shown
            assert all(title in shown for title in titles), (titles, shown)
            counts = dict(rui.locator("table.prisma-computed tr").evaluate_all(
                "rows => rows.map(r => [r.querySelector('th').textContent.trim(), "
                "r.querySelector('td').textContent.trim()])"))
            assert {label: counts[label] for label in (
                "Duplicate records removed", "Records screened", "Records excluded",
                "Reports assessed for eligibility", "Reports excluded", FT_REASON,
                "Studies included in review", "Reports of included studies")} == {
                "Duplicate records removed": "1", "Records screened": str(len(screened)),
                "Records excluded": str(EXCLUDED_AT_TA),
                "Reports assessed for eligibility": str(len(included) + len(at_ft)),
                "Reports excluded": str(len(at_ft)), FT_REASON: str(len(at_ft)),
                "Studies included in review": "27", "Reports of included studies": str(len(included))}
            lap("report opened")
        finally:
            browser.close()
    total = sum(timings.values())
    print(f"\nreview in the browser: {compared} statistics; {total:.1f} s: "
          + "; ".join(f"{step} {s:.1f} s" for step, s in timings.items()))
