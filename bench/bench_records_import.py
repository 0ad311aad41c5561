"""Benchmark: importing large exports (run by hand: ``python bench/bench_records_import.py``).

Generates synthetic RIS and MEDLINE exports of the requested sizes (records with a title, six
authors, journal, year, DOI, keywords and a ~1 kB abstract, a third of them Chinese), then
times each step and reports the peak resident memory (of the whole run, and how much
``read_file`` alone added to it):

1. ``read_file`` (decode, parse, clean, convert);
2. ``add_records`` into a fresh SQLite project (one transaction);
3. a truncated copy (the last entry cut off): the time to the error, and that nothing is
   stored.

Usage: ``python bench/bench_records_import.py --mb 20 200`` (default 20).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from evisynth.io.errors import ImportFormatError
from evisynth.io.records import read_file
from evisynth.storage import open_project
from evisynth.storage import records as store

WORDS = ("vitamin", "K2", "menaquinone", "calcification", "vascular", "kidney", "chronic", "disease",
         "randomised", "trial", "dialysis", "coronary", "artery", "stiffness", "matrix", "Gla", "protein")
ZH = "维生素慢性肾脏病血管钙化冠状动脉随机对照试验透析患者疗效安全性"


def _title(rng: random.Random, zh: bool) -> str:
    if zh:
        return "".join(rng.choice(ZH) for _ in range(rng.randint(12, 30)))
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16)))


def ris_entry(i: int, rng: random.Random) -> str:
    zh = i % 3 == 0
    lines = ["TY  - JOUR", f"TI  - {_title(rng, zh)}"]
    lines += [f"AU  - Author{rng.randint(1, 9999)}, {chr(65 + k)}." for k in range(6)]
    lines += [f"PY  - {rng.randint(1990, 2023)}", f"T2  - Journal {rng.randint(1, 500)}",
              f"VL  - {rng.randint(1, 80)}", f"IS  - {rng.randint(1, 12)}", f"SP  - {rng.randint(1, 900)}",
              f"DO  - 10.{rng.randint(1000, 9999)}/bench.{i}", "KW  - vitamin K2", "KW  - CKD",
              "AB  - " + " ".join(rng.choice(WORDS) for _ in range(130)), "ER  - ", ""]
    return "\n".join(lines)


def medline_entry(i: int, rng: random.Random) -> str:
    lines = [f"PMID- {30000000 + i}", f"TI  - {_title(rng, False)}"]
    lines += [f"FAU - Author{rng.randint(1, 9999)}, {chr(65 + k)}" for k in range(6)]
    lines += [f"DP  - {rng.randint(1990, 2023)}", f"JT  - Journal {rng.randint(1, 500)}",
              "AB  - " + " ".join(rng.choice(WORDS) for _ in range(130)), ""]
    return "\n".join(lines)


def generate(path: Path, megabytes: float, entry: object) -> int:
    rng = random.Random(7)
    target = int(megabytes * 1024 * 1024)
    written = n = 0
    with path.open("w", encoding="utf-8") as f:
        while written < target:
            n += 1
            text = entry(n, rng) + "\n"  # type: ignore[operator]
            f.write(text)
            written += len(text.encode("utf-8"))
    return n


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(megabytes: float, kind: str, folder: Path) -> None:
    path = folder / f"bench_{kind}_{megabytes:g}mb.{'ris' if kind == 'ris' else 'nbib'}"
    n = generate(path, megabytes, ris_entry if kind == "ris" else medline_entry)
    size = path.stat().st_size / 1024 / 1024
    before = peak_mb()
    started = time.perf_counter()
    read = read_file(path)
    t_read = time.perf_counter() - started
    read_growth = peak_mb() - before
    project = folder / f"{kind}_{megabytes:g}.evisynth"
    started = time.perf_counter()
    with open_project(project, create=True) as p:
        batch = store.add_records(p, read.records, "bench", files=[])
    t_store = time.perf_counter() - started
    truncated = folder / f"truncated_{path.name}"
    data = path.read_bytes()
    truncated.write_bytes(data[: len(data) - 200])
    started = time.perf_counter()
    try:
        read_file(truncated)
        outcome = "read (no error)"
    except ImportFormatError as exc:
        outcome = str(exc)[:100]
    t_trunc = time.perf_counter() - started
    print(f"{kind:8s} {size:7.1f} MB {n:8d} entries ({len(read.records)} records, batch {batch.id}): "
          f"read {t_read:6.1f} s, store {t_store:6.1f} s, truncated → error in {t_trunc:5.1f} s; "
          f"peak RSS {peak_mb():7.0f} MB (read_file alone: +{read_growth:.0f} MB)")
    print(f"         truncated file: {outcome}")
    for p in (path, truncated, project):
        p.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(project) + suffix).unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[20.0])
    parser.add_argument("--kind", choices=["ris", "medline", "both"], default="both")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        for mb in args.mb:
            for kind in (["ris", "medline"] if args.kind == "both" else [args.kind]):
                bench(mb, kind, Path(tmp))


if __name__ == "__main__":
    main()
