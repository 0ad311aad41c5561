"""PubMed E-utilities client on recorded answers: history server, batches, API key, rate
limits, retries and offline errors."""

from __future__ import annotations

import urllib.error
from pathlib import Path

import pytest

from evisynth.io.records import read_records
from evisynth.io.search import HttpResponse, PubMed, RateLimiter, SearchError, parse_esearch
from evisynth.io.search._http import HttpRequest, urllib_transport
from tests.search.conftest import FIXTURES, FakeClock, Replay, recorded, timed

QUERY = '("Vitamin K 2"[Mesh] OR menaquinone*[tiab]) AND CKD'


def five_records() -> Replay:
    return Replay(recorded("esearch.xml"), recorded("efetch_1.txt"), recorded("efetch_2.txt"),
                  recorded("efetch_3.txt"))


def test_esearch_answer_gives_count_and_history_handle() -> None:
    hit = parse_esearch((FIXTURES / "esearch.xml").read_text(encoding="utf-8"))
    assert (hit.count, hit.query_key, hit.webenv) == (5, "1", "MCID_674a9e3f1c2b8d0e5a6f7b31")
    assert hit.translation.startswith('("vitamin k 2"[MeSH Terms]')


def test_an_esearch_error_is_reported_with_ncbis_message() -> None:
    client = PubMed(transport=Replay(recorded("esearch_error.xml")), sleep=lambda s: None)
    with pytest.raises(SearchError, match="PubMed refused the search: Empty term and query_key"):
        client.search("x")


def test_search_then_fetch_in_batches_through_the_history_server(tmp_path: Path,
                                                                  fake_clock: FakeClock) -> None:
    replay = five_records()
    client = PubMed(transport=replay, batch_size=2, email="me@example.org", clock=fake_clock.clock,
                    sleep=fake_clock.sleep)
    out = tmp_path / "pubmed.nbib"
    seen: list[tuple[int, int]] = []
    with out.open("w", encoding="utf-8") as f:
        result = client.download(QUERY, f.write, progress=lambda done, total: seen.append((done, total)))
    assert (result.count, result.fetched, result.batches, result.requests) == (5, 5, 3, 4)
    search, *fetches = replay.requests
    assert search.method == "POST" and search.url.endswith("/esearch.fcgi")
    assert search.params["usehistory"] == "y" and search.params["term"] == QUERY
    assert search.params["db"] == "pubmed" and search.params["email"] == "me@example.org"
    assert "api_key" not in search.params
    windows = [(r.params["retstart"], r.params["retmax"]) for r in fetches]
    assert windows == [("0", "2"), ("2", "2"), ("4", "1")]
    for r in fetches:
        assert r.url.endswith("/efetch.fcgi")
        assert (r.params["WebEnv"], r.params["query_key"]) == ("MCID_674a9e3f1c2b8d0e5a6f7b31", "1")
        assert (r.params["rettype"], r.params["retmode"]) == ("medline", "text")
    assert seen == [(2, 5), (4, 5), (5, 5)]
    records = read_records(out)
    assert [r.pmid for r in records] == ["26176405", "99000002", "99000003", "99000004", "99000005"]
    assert records[0].doi == "10.20452/pamw.3041"


def test_max_caps_the_fetch_and_dates_go_to_esearch(fake_clock: FakeClock) -> None:
    replay = Replay(recorded("esearch.xml"), recorded("efetch_1.txt"))
    client = PubMed(transport=replay, batch_size=200, clock=fake_clock.clock, sleep=fake_clock.sleep)
    result = client.download(QUERY, lambda text: None, max_records=2, maxdate="2023/01/31")
    assert (result.count, result.fetched, result.batches) == (5, 2, 1)
    search, fetch = replay.requests
    assert (search.params["datetype"], search.params["mindate"], search.params["maxdate"]) == (
        "pdat", "1000", "2023/01/31")
    assert fetch.params["retmax"] == "2"


def test_the_api_key_is_sent_and_raises_the_rate_to_ten_a_second(fake_clock: FakeClock) -> None:
    replay = five_records()
    client = PubMed(transport=timed(replay, fake_clock), api_key="SECRET", batch_size=2,
                    clock=fake_clock.clock, sleep=fake_clock.sleep)
    client.download(QUERY, lambda text: None)
    assert all(r.params["api_key"] == "SECRET" for r in replay.requests)
    gaps = [b - a for a, b in zip(fake_clock.request_times, fake_clock.request_times[1:], strict=False)]
    assert gaps == pytest.approx([0.1] * 3)


def test_without_a_key_requests_are_a_third_of_a_second_apart(fake_clock: FakeClock) -> None:
    replay = five_records()
    client = PubMed(transport=timed(replay, fake_clock), batch_size=2, clock=fake_clock.clock,
                    sleep=fake_clock.sleep)
    client.download(QUERY, lambda text: None)
    gaps = [b - a for a, b in zip(fake_clock.request_times, fake_clock.request_times[1:], strict=False)]
    assert gaps == pytest.approx([1 / 3] * 3)


def test_rate_limiter_spaces_calls_and_does_not_wait_after_a_pause(fake_clock: FakeClock) -> None:
    limiter = RateLimiter(2.0, clock=fake_clock.clock, sleep=fake_clock.sleep)
    limiter.wait()  # first call: no wait
    limiter.wait()  # 0.5 s later at the earliest
    fake_clock.now += 0.2
    limiter.wait()  # 0.3 s left of the interval
    fake_clock.now += 5.0
    limiter.wait()  # long after: no wait
    assert fake_clock.slept == pytest.approx([0.5, 0.3])


def test_429_and_5xx_are_retried_with_backoff_and_retry_after(fake_clock: FakeClock) -> None:
    replay = Replay(HttpResponse(429, b'{"error":"API rate limit exceeded"}', {"Retry-After": "7"}),
                    HttpResponse(503, b"Service Unavailable"), recorded("esearch.xml"))
    client = PubMed(transport=replay, backoff=1.5, clock=fake_clock.clock, sleep=fake_clock.sleep)
    hit = client.search(QUERY)
    assert hit.count == 5 and len(replay.requests) == 3
    # Retry-After: 7 s; then 1.5 × 2¹ = 3 s; the rate limiter's own waits are already covered.
    assert [s for s in fake_clock.slept if s > 1] == [7.0, 3.0]


def test_retries_give_up_with_one_clear_line(fake_clock: FakeClock) -> None:
    replay = Replay(*[HttpResponse(502, b"<html>Bad Gateway</html>")] * 3)
    client = PubMed(transport=replay, retries=2, clock=fake_clock.clock, sleep=fake_clock.sleep)
    with pytest.raises(SearchError, match=r"HTTP 502 after 3 attempt\(s\) \(<html>Bad Gateway</html>\); "
                                          r"the service failed; try again later"):
        client.search(QUERY)


def test_a_400_is_not_retried(fake_clock: FakeClock) -> None:
    replay = Replay(HttpResponse(400, b"bad request"))
    client = PubMed(transport=replay, clock=fake_clock.clock, sleep=fake_clock.sleep)
    with pytest.raises(SearchError, match="HTTP 400 after 1 attempt"):
        client.search(QUERY)


def test_an_expired_history_session_is_a_clear_error(fake_clock: FakeClock) -> None:
    replay = Replay(recorded("esearch.xml"), recorded("efetch_error.txt"))
    client = PubMed(transport=replay, clock=fake_clock.clock, sleep=fake_clock.sleep)
    with pytest.raises(SearchError, match=r"no MEDLINE records for records 1–5 .*Unable to obtain query #1.*"
                                          r"run the search again"):
        client.download(QUERY, lambda text: None)


def test_more_than_ncbi_serves_is_refused_before_fetching(fake_clock: FakeClock) -> None:
    big = (FIXTURES / "esearch.xml").read_bytes().replace(b"<Count>5</Count>", b"<Count>12000</Count>")
    replay = Replay(HttpResponse(200, big))
    client = PubMed(transport=replay, clock=fake_clock.clock, sleep=fake_clock.sleep)
    with pytest.raises(SearchError, match="found 12000 records; NCBI serves at most 10000"):
        client.download(QUERY, lambda text: None)
    assert len(replay.requests) == 1


def test_offline_is_one_line_naming_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise urllib.error.URLError(OSError(-3, "Temporary failure in name resolution"))

    monkeypatch.setattr("urllib.request.urlopen", refuse)
    send = urllib_transport(timeout=1)
    with pytest.raises(SearchError, match=r"cannot reach eutils\.ncbi\.nlm\.nih\.gov .*check the network"):
        send(HttpRequest("GET", "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi", {"term": "x"}))
