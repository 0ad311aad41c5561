"""HTTP for the search clients: a replaceable transport, a rate limiter, retries, one-line errors.

All network I/O goes through a :data:`Transport` (a function from :class:`HttpRequest` to
:class:`HttpResponse`); :func:`urllib_transport` is the real one, tests pass recorded
responses. Time is read and spent through injectable ``clock``/``sleep`` functions, so rate
limits and back-off are tested without waiting.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

USER_AGENT = "evisynth (evidence synthesis; literature search client)"
#: Statuses worth trying again: rate limited, or the server is busy or failing.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class SearchError(RuntimeError):
    """A search that could not be run; the message says what happened and what to do."""


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def full_url(self) -> str:
        return self.url + ("?" + urllib.parse.urlencode(self.params) if self.params else "")


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


Transport = Callable[[HttpRequest], HttpResponse]


def urllib_transport(timeout: float = 60.0) -> Transport:
    """The real network: GET with the parameters in the URL, POST with them as a form body.

    A connection that cannot be made raises :class:`SearchError` (offline, DNS, proxy);
    HTTP error statuses come back as responses, for the client to retry or report.
    """

    def send(request: HttpRequest) -> HttpResponse:
        data = None
        url = request.full_url
        if request.method == "POST":
            url = request.url
            data = urllib.parse.urlencode(request.params).encode("ascii")
        req = urllib.request.Request(url, data=data, method=request.method,
                                     headers={"User-Agent": USER_AGENT})
        host = urllib.parse.urlsplit(request.url).hostname or request.url
        try:
            with urllib.request.urlopen(req, timeout=timeout) as reply:
                return HttpResponse(reply.status, reply.read(), dict(reply.headers.items()))
        except urllib.error.HTTPError as exc:
            return HttpResponse(exc.code, exc.read() or b"", dict(exc.headers.items()) if exc.headers else {})
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SearchError(f"cannot reach {host} ({reason}); check the network connection or "
                              "proxy, or search on the website and import the exported file") from exc

    return send


class RateLimiter:
    """At most ``per_second`` requests per second: each call to :meth:`wait` sleeps until the
    next request is allowed (requests are spaced ``1 / per_second`` seconds apart)."""

    def __init__(self, per_second: float, *, clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        if per_second <= 0:
            raise ValueError(f"per_second must be > 0 (got {per_second})")
        self.interval = 1.0 / per_second
        # Looked up when the limiter is made (not when the module is), so a test can replace them.
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self._next: float | None = None

    def wait(self) -> None:
        now = self.clock()
        if self._next is not None and now < self._next:
            self.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


class Client:
    """A rate-limited HTTP client that retries 429 and 5xx with exponential back-off
    (``backoff`` × 2^attempt seconds, or the server's ``Retry-After`` when it gives one)."""

    service = "the server"

    def __init__(self, *, transport: Transport | None = None, per_second: float = 3.0,
                 retries: int = 4, backoff: float = 1.0, clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.transport = transport or urllib_transport()
        self.limiter = RateLimiter(per_second, clock=clock, sleep=sleep)
        self.retries, self.backoff, self.sleep = retries, backoff, self.limiter.sleep
        self.requests: int = 0

    def request(self, url: str, params: Mapping[str, str], *, method: str = "GET") -> HttpResponse:
        request = HttpRequest(method, url, dict(params))
        for attempt in range(self.retries + 1):
            self.limiter.wait()
            self.requests += 1
            response = self.transport(request)
            if response.status == 200:
                return response
            if response.status not in RETRY_STATUSES or attempt == self.retries:
                break
            self.sleep(self._delay(response, attempt))
        detail = " ".join(response.text().split())[:200]
        hint = ("too many requests: wait a while, or use an API key" if response.status == 429
                else "the service failed; try again later" if response.status >= 500
                else "check the query and options")
        raise SearchError(f"{self.service} answered HTTP {response.status} after {attempt + 1} "
                          f"attempt(s) ({detail or 'no message'}); {hint}")

    def _delay(self, response: HttpResponse, attempt: int) -> float:
        retry_after = {k.lower(): v for k, v in response.headers.items()}.get("retry-after", "")
        if retry_after.strip().isdigit():
            return float(retry_after)
        return float(self.backoff * 2**attempt)
