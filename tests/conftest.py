"""Shared test helpers: the real data beside the repository, skipped cleanly when absent; and a
summary at the end of every run of what did not run, and why (with EVISYNTH_NO_SKIPS=1, as in
CI, any skip fails the run)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Generator
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs a fixed set of examples (reproducible); `HYPOTHESIS_PROFILE=thorough` searches wider.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SHARED_SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA} (../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_seeds() -> Path:
    """The five source documents (../shared/seeds), never copied into the repository."""
    if not SHARED_SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SHARED_SEEDS} (../shared/seeds)")
    return SHARED_SEEDS


class WhatDidNotRun:
    """Collects the skipped and xfailed tests with their reasons; ends the run with them counted
    by reason. With ``fail_on_skip`` (EVISYNTH_NO_SKIPS=1) a skip also lists the tests and makes
    pytest's exit status 1, so that CI, which installs everything, runs every test."""

    def __init__(self, fail_on_skip: bool) -> None:
        self.fail_on_skip = fail_on_skip
        self.skipped: list[tuple[str, str]] = []  # (node id, reason)
        self.xfailed: list[tuple[str, str]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._record(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._record(report)

    def _record(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        if not report.skipped:
            return
        if hasattr(report, "wasxfail"):
            self.xfailed.append((report.nodeid, str(report.wasxfail).removeprefix("reason: ")))
            return
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        self.skipped.append((report.nodeid, reason.removeprefix("Skipped: ")))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.fail_on_skip and self.skipped and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    # tryfirst makes this wrapper the outer one: its lines come after pytest's own short summary,
    # just before the final count.
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> Generator[None]:
        result = yield
        tr = terminalreporter
        if tr.config.option.collectonly:
            return result
        if self.fail_on_skip and self.skipped:
            tr.write_sep("=", f"EVISYNTH_NO_SKIPS=1: {len(self.skipped)} skipped tests fail this run",
                            red=True)
            for nodeid, reason in self.skipped:
                tr.write_line(f"SKIPPED {nodeid}: {reason}")
        title = f"not run: {len(self.skipped)} skipped, {len(self.xfailed)} xfailed"
        if not self.skipped and not self.xfailed:
            tr.write_sep("=", title + ": every collected test ran", green=True)
            return result
        failing = self.fail_on_skip and bool(self.skipped)
        tr.write_sep("=", title + ", by reason", red=failing, yellow=not failing)
        for kind, entries in (("skipped", self.skipped), ("xfailed", self.xfailed)):
            for reason, count in Counter(reason for _, reason in entries).most_common():
                tr.write_line(f"{count:5d} {kind}: {reason}")
        return result


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(WhatDidNotRun(os.environ.get("EVISYNTH_NO_SKIPS") == "1"),
                                  "evisynth-what-did-not-run")
