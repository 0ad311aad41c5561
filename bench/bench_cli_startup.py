"""Benchmark: how long the ``evisynth`` command takes, each run in a fresh process (run by hand).

Timed, best of ``--repeat`` runs (wall clock and the child's CPU time, user + system):

- ``evisynth --help``
- ``evisynth version``
- ``evisynth pool small.csv --measure RR`` (six two-arm studies written to a temporary folder)
- ``evisynth appraise short.txt`` (a few sentences; most of the time is the start-up)

Each command runs as ``python -m evisynth …`` with this interpreter, so it measures what a
user types (the console script does the same imports). Figures go in the README.

    PYTHONPATH=src .venv/bin/python bench/bench_cli_startup.py [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL_CSV = """study,e1,n1,e2,n2
Adams 2001,12,100,20,100
Baker 2004,8,60,15,62
Chen 2009,30,250,41,248
Diaz 2012,5,45,9,44
Evans 2015,18,120,22,118
Fujii 2019,10,80,19,81
"""

SHORT_TEXT = (
    "Vitamin K2 improves bone density.\n"
    "A trial found that 45 mg of vitamin K2 a day lowered the risk of fractures.\n"
    "大剂量维生素K2增强骨密度。\n"
)


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the child) of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   env={**os.environ, "COLUMNS": "80"})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command; the best is kept")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        csv, text = Path(tmp) / "small.csv", Path(tmp) / "short.txt"
        csv.write_text(SMALL_CSV, encoding="utf-8")
        text.write_text(SHORT_TEXT, encoding="utf-8")
        evisynth = [sys.executable, "-m", "evisynth"]
        commands = {
            "evisynth --help": [*evisynth, "--help"],
            "evisynth version": [*evisynth, "version"],
            "evisynth pool small.csv --measure RR": [*evisynth, "pool", str(csv), "--measure", "RR"],
            "evisynth appraise short.txt": [*evisynth, "appraise", str(text)],
        }
        rows = {}
        for name, argv in commands.items():
            runs = [timed(argv) for _ in range(args.repeat)]
            rows[name] = {"wall_s": min(w for w, _ in runs), "cpu_s": min(c for _, c in runs)}

    if args.json:
        print(json.dumps({"repeat": args.repeat, "commands": rows}, indent=2))
        return
    print(f"best of {args.repeat}, each in a new process")
    print(f"{'command':<40} {'wall s':>8} {'CPU s':>8}")
    for name, row in rows.items():
        print(f"{name:<40} {row['wall_s']:>8.2f} {row['cpu_s']:>8.2f}")


if __name__ == "__main__":
    main()
