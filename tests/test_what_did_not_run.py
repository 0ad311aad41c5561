"""The end-of-run summary of what did not run (tests/conftest.py), checked on tiny inner pytest
sessions that load the real conftest: skips and xfails counted by reason, and with
EVISYNTH_NO_SKIPS=1 (as CI sets it) a skip fails the run."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).resolve().parent / "conftest.py"

INNER_TESTS = '''
import pytest

def test_runs():
    pass

@pytest.mark.skipif(True, reason="needs the moon")
def test_needs_the_moon():
    pass

MOON = pytest.mark.skip(reason="needs the moon")

@pytest.mark.parametrize("backend", ["here", pytest.param("there", marks=MOON),
                                     pytest.param("far", marks=MOON)])
def test_on_three_backends(backend):
    pass

def test_skips_itself():
    pytest.skip("needs a telescope")

@pytest.mark.xfail(reason="known to disagree with RevMan", strict=True)
def test_known_disagreement():
    assert False
'''


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A fresh directory with the project's conftest; EVISYNTH_NO_SKIPS unset (CI sets it outside)."""
    monkeypatch.delenv("EVISYNTH_NO_SKIPS", raising=False)
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    return pytester


def test_the_run_ends_with_the_skips_and_xfails_counted_by_reason(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_inner=INNER_TESTS)
    inner.makepyfile(test_module_skip='import pytest\n\n'
                                      'pytest.skip("needs a telescope", allow_module_level=True)\n')
    result = inner.runpytest("-q")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=2, skipped=5, xfailed=1)
    result.stdout.fnmatch_lines([
        "*= not run: 5 skipped, 1 xfailed, by reason =*",
        "    3 skipped: needs the moon",
        "    2 skipped: needs a telescope",
        "    1 xfailed: known to disagree with RevMan",
        "*2 passed, 5 skipped, 1 xfailed in *",
    ], consecutive=True)
    assert result.stdout.lines[-1].startswith("2 passed"), "the summary is the last thing before the count"
    assert "EVISYNTH_NO_SKIPS" not in result.stdout.str()


def test_a_run_where_everything_ran_says_so(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_inner="def test_runs():\n    pass\n")
    result = inner.runpytest("-q")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*= not run: 0 skipped, 0 xfailed: every collected test ran =*"])


def test_with_no_skips_asked_a_skip_fails_the_run_and_lists_the_tests(
        inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVISYNTH_NO_SKIPS", "1")
    inner.makepyfile(test_inner=INNER_TESTS)
    result = inner.runpytest("-q")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*= EVISYNTH_NO_SKIPS=1: 4 skipped tests fail this run =*",
        "SKIPPED test_inner.py::test_needs_the_moon: needs the moon",
        "SKIPPED test_inner.py::test_on_three_backends[[]there[]]: needs the moon",
        "SKIPPED test_inner.py::test_on_three_backends[[]far[]]: needs the moon",
        "SKIPPED test_inner.py::test_skips_itself: needs a telescope",
        "*= not run: 4 skipped, 1 xfailed, by reason =*",
    ], consecutive=True)


def test_with_no_skips_asked_an_xfail_alone_does_not_fail_the_run(
        inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVISYNTH_NO_SKIPS", "1")
    inner.makepyfile(test_inner='import pytest\n\n@pytest.mark.xfail(reason="known", strict=True)\n'
                                'def test_known():\n    assert False\n')
    result = inner.runpytest("-q")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*= not run: 0 skipped, 1 xfailed, by reason =*", "    1 xfailed: known"])


def test_with_no_skips_asked_a_failing_run_keeps_its_exit_status(
        inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVISYNTH_NO_SKIPS", "1")
    inner.makepyfile(test_inner='import pytest\n\ndef test_fails():\n    assert False\n\n'
                                'def test_skips():\n    pytest.skip("needs the moon")\n')
    result = inner.runpytest("-q")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1, skipped=1)
