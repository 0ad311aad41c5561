"""Every outcome of 16 real RevMan 5 files re-analysed with preset="revman5".

RevMan's own stored results (effect, CI, Z, P, Chi², df, I², Tau², subgroup totals, the test
for subgroup differences, every study's effect) must be reproduced. Tolerances are named in
evisynth.services.revman: 1e-7 relative for statistics, 1e-5 for p values (RevMan's tail
approximations). I² of single-study analyses (RevMan stores rounding noise there) and outcomes
without usable data are not compared; TOTALS="SUB" outcomes are compared by subgroup only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evisynth.services.revman import reanalyse_rm5
from tests.conftest import SHARED_DATA

FILES = sorted((SHARED_DATA / "rm5").glob("*.rm5")) if SHARED_DATA.is_dir() else []


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_outcome_matches_revman(path: Path) -> None:
    _, checks = reanalyse_rm5(path)
    compared = [c for oc in checks for c in oc.checks]
    assert compared, "nothing was compared"
    failures = [f"{oc.outcome.id} {c.scope} {c.statistic}: RevMan {c.revman!r}, evisynth {c.evisynth!r}"
                for oc in checks for c in oc.checks if not c.agrees]
    assert not failures, "\n".join(failures[:20])


def test_the_rm5_folder_is_there_or_skipped(shared_data: Path) -> None:
    assert len(FILES) == 16


def test_nearly_every_outcome_is_compared(shared_data: Path) -> None:
    outcomes = skipped = 0
    for path in FILES:
        _, checks = reanalyse_rm5(path)
        outcomes += sum(1 for oc in checks if oc.checks)
        skipped += sum(1 for oc in checks if oc.skipped)
    # 484 outcomes in the 16 files; those skipped have no usable study data at all
    assert outcomes + skipped == 484
    assert outcomes >= 450
