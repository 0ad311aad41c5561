"""The issue's performance target: one 10,000-character article in under 3 s (warm, in-process)."""

from __future__ import annotations

import time
from pathlib import Path

from evisynth.claims import EvidenceBase, appraise

BUDGET_S = 3.0


def test_ten_thousand_characters_in_under_three_seconds(shared_seeds: Path, base: EvidenceBase) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(shared_seeds.glob("00[234]_*.txt")))
    text = (text * 2)[:10_000]
    assert len(text) == 10_000
    t0 = time.perf_counter()
    result = appraise(text, base)
    elapsed = time.perf_counter() - t0
    assert len(result.claims) > 50
    assert elapsed < BUDGET_S, f"{elapsed:.2f} s"
