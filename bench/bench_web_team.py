"""A team screening at once against a real ``evisynth serve`` on 127.0.0.1: refused decisions
and the latency of a decision.

    PYTHONPATH=src .venv/bin/python bench/bench_web_team.py [--reviewers 20] [--rounds 15]
        [--time-limit 300] [--json results.json]

A fresh data folder gets one project (2 reviewers per record) with enough records for every
round, and ``--reviewers`` reviewer accounts; the server is started on a free loopback port.
Each reviewer signs in, then for each round (all reviewers start a round together, at a
barrier) opens the screening page, reads the record it offers and posts a decision on it.
A decision is *refused* when it was not stored: an error page (the state machine's, before
work allocation: issue 14 measured 84 % refused at 20 × 15), or the page saying that the
record was decided by others meanwhile. Latency: the POST of a decision, until its redirect.

Bounded: ``--reviewers`` × ``--rounds`` decisions at most, every request with a timeout, and
the whole run stopped after ``--time-limit`` seconds. Only 127.0.0.1 is contacted. Results:
README, section "Web app: a team screening at once".
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx2
from argon2 import PasswordHasher, profiles

from evisynth.review.records import Record
from evisynth.services.accounts import Server
from evisynth.storage import records as record_store

PASSWORD = "correct horse battery"
#: Argon2id at its cheapest: the bench measures screening, not password hashing.
CHEAP = PasswordHasher.from_parameters(profiles.CHEAPEST)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
RECORD = re.compile(r'data-record="(\d+)"')


@dataclass
class TeamRun:
    """What a run measured: decisions posted, stored and refused, and their latencies (ms)."""

    reviewers: int
    rounds: int
    posted: int = 0
    stored: int = 0
    refused: int = 0
    nothing_offered: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def summary(self) -> dict[str, object]:
        out = {k: v for k, v in asdict(self).items() if k != "latencies_ms"}
        out.update(refused_pct=100 * self.refused / self.posted if self.posted else 0.0,
                   p50_ms=self.percentile(50), p95_ms=self.percentile(95),
                   mean_ms=statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan"))
        return out


def make_site(data_dir: Path, reviewers: int, records: int) -> str:
    """A data folder with owner olga, reviewers r00…, one project of ``records`` records; its slug."""
    server = Server(data_dir, hasher=CHEAP)
    try:
        olga = server.create_owner("olga", PASSWORD)
        slug = server.create_project(olga, "Team load test")
        for i in range(reviewers):
            user = server.create_user(f"r{i:02d}", PASSWORD)
            server.set_role(slug, olga, user.id, "reviewer")
        record_store.add_records(server.project(slug), [
            Record(source_file="load.ris", entry=i + 1, format="ris", original=f"TI  - Trial {i + 1}\nER  -",
                   database="PubMed", title=f"Randomised trial {i + 1} of vitamin K2 in dialysis",
                   abstract=f"Abstract {i + 1}.") for i in range(records)], "olga", source="PubMed")
    finally:
        server.close()
    return slug


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int, timeout_s: float = 40.0) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "evisynth", "serve", "--data-dir", str(data_dir),
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("evisynth serve exited at start")
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return proc
        except httpx2.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("evisynth serve did not start in time")


def sign_in(base: str, name: str) -> tuple[httpx2.Client, str]:
    client = httpx2.Client(base_url=base, timeout=30, follow_redirects=False)
    token = CSRF.search(client.get("/login").text)
    assert token, "the login page has no CSRF field"
    r = client.post("/login", data={"name": name, "password": PASSWORD, "csrf": token.group(1)})
    if r.status_code != 303:
        raise RuntimeError(f"{name} could not sign in ({r.status_code})")
    csrf = CSRF.search(client.get("/projects").text)
    assert csrf
    return client, csrf.group(1)


def team_run(base: str, slug: str, reviewers: int, rounds: int, *, time_limit_s: float = 300.0) -> TeamRun:
    """``reviewers`` reviewers (r00…) screen ``rounds`` records each, all starting each round
    together; bounded by ``time_limit_s`` (rounds left are not run)."""
    assert base.startswith("http://127.0.0.1:"), "this load test contacts 127.0.0.1 only"
    result = TeamRun(reviewers, rounds)
    clients = [sign_in(base, f"r{i:02d}") for i in range(reviewers)]
    barrier = threading.Barrier(reviewers, timeout=60)
    lock = threading.Lock()
    stop = time.monotonic() + time_limit_s

    def work(i: int) -> None:
        client, csrf = clients[i]
        for _ in range(rounds):
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                return
            if time.monotonic() > stop:
                barrier.abort()
                return
            page = client.get(f"/p/{slug}/screen")
            found = RECORD.search(page.text)
            if found is None:
                with lock:
                    result.nothing_offered += 1
                continue
            started = time.perf_counter()
            r = client.post(f"/p/{slug}/screen", data={"csrf": csrf, "record_id": found.group(1),
                                                       "stage": "ta", "decision": "include"})
            took = 1000 * (time.perf_counter() - started)
            with lock:
                result.posted += 1
                result.latencies_ms.append(took)
                if r.status_code == 303 and "last=" in r.headers.get("location", ""):
                    result.stored += 1
                else:
                    result.refused += 1
                    result.errors.append(f"{r.status_code} {r.headers.get('location', '')}"[:200])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(reviewers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=time_limit_s + 120)
    for client, _ in clients:
        client.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds for the whole run")
    parser.add_argument("--json", type=Path, help="write the summary here")
    args = parser.parse_args()
    if not (1 <= args.reviewers <= 50 and 1 <= args.rounds <= 100):
        parser.error("--reviewers must be 1–50 and --rounds 1–100 (a bounded load test)")
    with tempfile.TemporaryDirectory() as tmp:
        # every decision needs a slot: reviewers × rounds / 2 records for dual screening, and spare
        slug = make_site(Path(tmp), args.reviewers, args.reviewers * args.rounds // 2 + args.reviewers)
        port = free_port()
        proc = start_server(Path(tmp), port)
        try:
            result = team_run(f"http://127.0.0.1:{port}", slug, args.reviewers, args.rounds,
                              time_limit_s=args.time_limit)
        finally:
            proc.kill()
            proc.wait(timeout=10)
    summary = result.summary()
    print(f"{args.reviewers} reviewers × {args.rounds} rounds, 2 decisions per record: "
          f"{result.posted} posted, {result.stored} stored, {result.refused} refused "
          f"({summary['refused_pct']:.1f} %), {result.nothing_offered} pages with nothing to screen")
    print(f"decision latency: p50 {summary['p50_ms']:.0f} ms, p95 {summary['p95_ms']:.0f} ms, "
          f"mean {summary['mean_ms']:.0f} ms")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
