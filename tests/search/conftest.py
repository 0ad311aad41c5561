"""Recorded responses instead of the network, and a clock that never sleeps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from evisynth.io.search import HttpRequest, HttpResponse

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def recorded(name: str, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, (FIXTURES / name).read_bytes(), headers or {})


class Replay:
    """A transport that answers with ``responses`` in order and keeps every request."""

    def __init__(self, *responses: HttpResponse) -> None:
        self.responses = list(responses)
        self.requests: list[HttpRequest] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if not self.responses:
            raise AssertionError(f"unexpected request {request.full_url}")
        return self.responses.pop(0)


class FakeClock:
    """``clock``/``sleep`` pair: sleeping advances the time at once and is logged."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self.request_times: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


def timed(transport: Replay, clock: FakeClock) -> Callable[[HttpRequest], HttpResponse]:
    """Wrap ``transport`` so each request's time is logged on ``clock``."""

    def send(request: HttpRequest) -> HttpResponse:
        clock.request_times.append(clock.now)
        return transport(request)

    return send
