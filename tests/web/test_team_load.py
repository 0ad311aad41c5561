"""A team screening at once against a real ``evisynth serve`` (issue 14: 84 % of decisions
were refused when every reviewer was shown the same record): with work allocation none is."""

from __future__ import annotations

from pathlib import Path

from bench.bench_web_team import make_site, team_run

from tests.web.conftest import serving

REVIEWERS, ROUNDS = 6, 5


def test_six_reviewers_five_rounds_no_decision_refused(tmp_path: Path) -> None:
    slug = make_site(tmp_path, REVIEWERS, REVIEWERS * ROUNDS // 2 + REVIEWERS)
    with serving(tmp_path) as base:
        result = team_run(base, slug, REVIEWERS, ROUNDS, time_limit_s=120)
    wanted = (REVIEWERS * ROUNDS, 0, 0)
    assert (result.posted, result.refused, result.nothing_offered) == wanted, result.errors
    assert result.stored == REVIEWERS * ROUNDS
