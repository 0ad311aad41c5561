"""ClinicalTrials.gov API v2 client on recorded pages: pageToken paging, totals, errors."""

from __future__ import annotations

import pytest

from evisynth.io.search import ClinicalTrialsGov, HttpResponse, SearchError
from tests.search.conftest import FakeClock, Replay, recorded, timed

QUERY = {"query.cond": '"chronic kidney disease" OR "vascular calcification"', "query.intr": "menaquinone"}


def test_pages_are_followed_by_token_until_the_last(fake_clock: FakeClock) -> None:
    replay = Replay(recorded("ctgov_page1.json"), recorded("ctgov_page2.json"))
    client = ClinicalTrialsGov(transport=timed(replay, fake_clock), page_size=2, clock=fake_clock.clock,
                               sleep=fake_clock.sleep)
    studies, summary = client.download(QUERY)
    assert [s["protocolSection"]["identificationModule"]["nctId"] for s in studies] == [
        "NCT09900001", "NCT09900002", "NCT09900003"]
    assert (summary.total, summary.fetched, summary.pages, summary.requests) == (3, 3, 2, 2)
    first, second = replay.requests
    assert first.url == "https://clinicaltrials.gov/api/v2/studies"
    assert first.params["query.cond"] == QUERY["query.cond"] and first.params["countTotal"] == "true"
    assert first.params["pageSize"] == "2" and "pageToken" not in first.params
    assert second.params["pageToken"] == "NF0g5JCBlvQg" and "countTotal" not in second.params
    # 50 requests a minute: 1.2 s apart
    assert fake_clock.request_times[1] - fake_clock.request_times[0] == pytest.approx(1.2)


def test_max_records_stops_without_fetching_more_pages(fake_clock: FakeClock) -> None:
    replay = Replay(recorded("ctgov_page1.json"))
    client = ClinicalTrialsGov(transport=replay, page_size=2, clock=fake_clock.clock, sleep=fake_clock.sleep)
    studies, summary = client.download(QUERY, max_records=2)
    assert len(studies) == 2 and summary.pages == 1 and len(replay.requests) == 1


def test_a_repeated_page_token_stops_instead_of_looping(fake_clock: FakeClock) -> None:
    replay = Replay(recorded("ctgov_page1.json"), recorded("ctgov_page1.json"))
    client = ClinicalTrialsGov(transport=replay, page_size=2, clock=fake_clock.clock, sleep=fake_clock.sleep)
    with pytest.raises(SearchError, match="same page token twice"):
        client.download(QUERY)


def test_bad_answers_and_queries_are_clear_errors(fake_clock: FakeClock) -> None:
    client = ClinicalTrialsGov(transport=Replay(HttpResponse(200, b"<html>maintenance</html>")),
                               clock=fake_clock.clock, sleep=fake_clock.sleep)
    with pytest.raises(SearchError, match="answer is not JSON"):
        client.download(QUERY)
    with pytest.raises(SearchError, match=r"unknown ClinicalTrials\.gov parameter 'query\.foo'"):
        client.download({"query.foo": "x"})
    with pytest.raises(SearchError, match="query is empty"):
        client.download({"query.cond": " "})
    bad = ClinicalTrialsGov(transport=Replay(HttpResponse(400, b"pageSize: must be <= 1000")),
                            clock=fake_clock.clock, sleep=fake_clock.sleep)
    with pytest.raises(SearchError, match=r"HTTP 400 after 1 attempt\(s\) \(pageSize: must be <= 1000\)"):
        bad.download(QUERY)
