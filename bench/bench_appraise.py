"""Benchmark: appraising one 10,000-character article (run by hand; figures go in the README).

The article is the three popular seeds (002, 003, 004) joined and cut to exactly 10,000
characters, or any file given with ``--article``. Timed: a cold start in a fresh process
(imports, reading and indexing the evidence base, appraisal) and the warm appraisal alone
(median of ``--repeat`` runs). The issue's target is under 3 s on 2 cores.

    .venv/bin/python bench/bench_appraise.py [--article FILE] [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
LENGTH = 10_000


def article_text(path: Path | None = None, length: int = LENGTH) -> str:
    """``length`` characters of ``path``, or of seeds 002-004 joined (repeated if short)."""
    if path is not None:
        text = path.read_text(encoding="utf-8")
    else:
        text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("00[234]_*.txt")))
    while len(text) < length:
        text += "\n" + text
    return text[:length]


def warm_seconds(text: str, repeat: int) -> tuple[float, int]:
    from evisynth.claims import appraise
    from evisynth.services.claims import default_base

    base = default_base()
    times, n = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = len(appraise(text, base).claims)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), n


def cold_seconds(path: Path) -> float:
    code = (
        "import time; t0 = time.perf_counter();"
        "from pathlib import Path;"
        "from evisynth.claims import appraise; from evisynth.services.claims import default_base;"
        f"appraise(Path({str(path)!r}).read_text(encoding='utf-8'), default_base());"
        "print(time.perf_counter() - t0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    text = article_text(args.article)
    tmp = Path("/tmp/evisynth_bench_article.txt")
    tmp.write_text(text, encoding="utf-8")
    warm, claims = warm_seconds(text, args.repeat)
    cold = cold_seconds(tmp)
    result = {"characters": len(text), "claims": claims, "warm_s": round(warm, 3), "cold_s": round(cold, 3)}
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{len(text)} characters, {claims} claims: warm {warm:.3f} s (median of {args.repeat}), "
            f"cold start in a new process {cold:.3f} s"
        )


if __name__ == "__main__":
    main()
