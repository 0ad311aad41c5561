"""Benchmark: evisynth's deduplication against bib-dedupe (run by hand: `make bench-dedup`).

1. Accuracy on the labelled sets in ../shared/data/dedup/ (bib-dedupe's own evaluation data,
   from Rathbone et al.'s deduplication study): pairwise TP/FP/FN, sensitivity, specificity,
   and per group (true groups fully recovered; predicted groups containing a false merge),
   for evisynth and bib-dedupe in the same run.
2. Scale: synthetic sets of 10k, 100k (and 1M with ``--million``) records built from the real
   ones (distinct studies made by recombining real titles, authors and journals, then planted
   duplicates perturbed the way exports differ: case, punctuation, initials, abbreviated
   journals, short page ranges, dropped subtitles, typos). Reports time and planted recall.

bib-dedupe is not a project dependency. It is used when importable, or through the
interpreter named by ``BIB_DEDUPE_PYTHON`` (default: ../bench-venv/bin/python), e.g.::

    python3 -m venv ../bench-venv && ../bench-venv/bin/pip install bib-dedupe
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from evisynth.analysis.dedup import find_duplicates
from evisynth.io.records import read_records
from evisynth.review.links import duplicate_groups
from evisynth.review.records import Record

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "dedup"
SETS = ("respiratory", "cytology_screening")
DEFAULT_BD_PYTHON = REPO.parent / "bench-venv" / "bin" / "python"

_BD_SCRIPT = """
import json, sys, time
import pandas as pd
import bib_dedupe.bib_dedupe as bd
df = pd.read_csv(sys.argv[1])
start = time.perf_counter()
records = bd.prep(df, verbosity_level=0, cpu=int(sys.argv[3]))
pairs = bd.block(records, verbosity_level=0, cpu=int(sys.argv[3]))
matched = bd.match(pairs, verbosity_level=0, cpu=int(sys.argv[3]))
groups = bd.cluster(matched)
maybe = int((matched["duplicate_label"] == "maybe").sum())
seconds = time.perf_counter() - start
json.dump({"groups": [list(g) for g in groups], "maybe": maybe, "seconds": seconds},
          open(sys.argv[2], "w"))
"""


# ---------------------------------------------------------------- metrics
def pairs_of(groups: Iterable[Sequence[int]]) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for g in groups:
        out |= set(itertools.combinations(sorted(g), 2))
    return out


def evaluate(n: int, truth: Sequence[Sequence[int]], predicted: Sequence[Sequence[int]]) -> dict:
    """Pairwise and per-group figures of ``predicted`` groups against ``truth`` groups."""
    t, p = pairs_of(truth), pairs_of(predicted)
    tp, fp, fn = len(t & p), len(p - t), len(t - p)
    all_pairs = n * (n - 1) // 2
    tn = all_pairs - tp - fp - fn
    true_of = {i: k for k, g in enumerate(truth) for i in g}
    cluster_of = {i: k for k, g in enumerate(predicted) for i in g}
    recovered = sum(
        1 for g in truth
        if g[0] in cluster_of and all(cluster_of.get(i) == cluster_of[g[0]] for i in g)
    )
    false_merges = sum(1 for g in predicted if len({true_of.get(i, -1 - i) for i in g}) > 1)
    return {
        "TP": tp, "FP": fp, "FN": fn,
        "sensitivity": tp / (tp + fn) if tp + fn else 1.0,
        "specificity": tn / (tn + fp) if tn + fp else 1.0,
        "true_groups": len(truth), "groups_recovered": recovered,
        "predicted_groups": len(predicted), "groups_with_false_merge": false_merges,
    }


# ---------------------------------------------------------------- labelled sets
def labelled(name: str) -> tuple[Path, tuple[Record, ...], list[list[int]]]:
    path = DATA / name / "records_pre_merged.csv"
    records = read_records(path)
    ids = pd.read_csv(path, dtype=str, keep_default_na=False)["ID"].tolist()
    pos = {x: i for i, x in enumerate(ids)}
    truth = [
        sorted(pos[x] for x in g.split(";"))
        for g in pd.read_csv(DATA / name / "merged_record_ids.csv")["merged_ids"]
    ]
    return path, records, [g for g in truth if len(g) > 1]


def bib_dedupe_groups(csv_path: Path, cpu: int) -> tuple[list[list[str]], int, float] | str:
    """bib-dedupe's groups (record IDs), its 'maybe' count and seconds, or why it did not run."""
    python = os.environ.get("BIB_DEDUPE_PYTHON", str(DEFAULT_BD_PYTHON))
    try:
        import bib_dedupe  # noqa: F401

        python = sys.executable
    except ImportError:
        if not Path(python).exists():
            return ("bib-dedupe not installed: python3 -m venv ../bench-venv && "
                    "../bench-venv/bin/pip install bib-dedupe (or set BIB_DEDUPE_PYTHON)")
    with tempfile.TemporaryDirectory() as tmp:
        script, out = Path(tmp) / "bd.py", Path(tmp) / "out.json"
        script.write_text(_BD_SCRIPT)
        run = subprocess.run([python, str(script), str(csv_path), str(out), str(cpu)],
                             capture_output=True, text=True, check=False)
        if run.returncode != 0:
            return f"bib-dedupe failed: {run.stderr.strip().splitlines()[-1:]}"
        result = json.loads(out.read_text())
    return result["groups"], result["maybe"], result["seconds"]


def accuracy(cpu: int) -> list[dict]:
    rows = []
    for name in SETS:
        path, records, truth = labelled(name)
        n = len(records)
        start = time.perf_counter()
        result = find_duplicates(records, workers=cpu)
        seconds = time.perf_counter() - start
        row = {"set": name, "records": n, "tool": "evisynth", "seconds": seconds,
               **evaluate(n, truth, result.groups), "review_queue": result.counts.pairs_awaiting_review}
        review = {link.pair for link in result.links if link.status == "needs_review"}
        row["true_pairs_in_review"] = len(review & (pairs_of(truth) - pairs_of(result.groups)))
        true = pairs_of(truth)
        # the queue as a reviewer reads it, best first
        ranked = [link.pair in true for link in result.review]
        row["true_in_queue_top50"], row["true_in_queue_top200"] = sum(ranked[:50]), sum(ranked[:200])
        # a reviewer who accepts exactly the true pairs of the queue
        decided = [link.decide(link.pair in true, "oracle") if link.status == "needs_review" else link
                   for link in result.links]
        row["sensitivity_after_review"] = evaluate(n, truth, duplicate_groups(n, decided))["sensitivity"]
        rows.append(row)
        bd = bib_dedupe_groups(path, cpu)
        if isinstance(bd, str):
            rows.append({"set": name, "records": n, "tool": "bib-dedupe", "error": bd})
            continue
        groups, maybe, bd_seconds = bd
        ids = pd.read_csv(path, dtype=str, keep_default_na=False)["ID"].tolist()
        pos = {x: i for i, x in enumerate(ids)}
        predicted = [sorted(pos[x] for x in g) for g in groups if len(g) > 1]
        rows.append({"set": name, "records": n, "tool": "bib-dedupe", "seconds": bd_seconds,
                     **evaluate(n, truth, predicted), "review_queue": maybe})
    return rows


# ---------------------------------------------------------------- synthetic scale sets
_PUNCT = re.compile(r"[.,:;!?]")


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 10:
        return text
    k = rng.randrange(1, len(text) - 1)
    op = rng.choice(("drop", "swap", "double"))
    if op == "drop":
        return text[:k] + text[k + 1:]
    if op == "swap":
        return text[:k] + text[k + 1] + text[k] + text[k + 2:]
    return text[:k] + text[k] + text[k:]


def _initials(name: str) -> str:
    last, _, first = name.partition(",")
    letters = "".join(w[0] for w in first.replace(".", " ").split() if w)
    return f"{last}, {'. '.join(letters)}." if letters else last


def _abbreviate(journal: str) -> str:
    words = [w for w in journal.split() if w.lower() not in {"of", "the", "and", "&"}]
    return " ".join(w[:4].rstrip("aeiou") if len(w) > 5 else w for w in words)


def _perturb(rng: random.Random, r: Record) -> Record:
    """One more copy of ``r`` as another database would export it."""
    title = r.title
    choice = rng.random()
    if choice < 0.25:
        title = title.lower() if rng.random() < 0.5 else title.upper()
    elif choice < 0.45:
        title = _PUNCT.sub("", title)
    elif choice < 0.6:
        title = _typo(rng, title)
    elif choice < 0.7 and ": " in title:
        title = title.split(": ")[0] + ". " + title.split(": ", 1)[1]
    elif choice < 0.8:
        title = f"{title}. [Review]" if rng.random() < 0.5 else f"[{title}]"
    authors = tuple(_initials(a) for a in r.authors) if rng.random() < 0.5 else r.authors
    if rng.random() < 0.2 and len(authors) > 3:
        authors = authors[:3]
    pages = r.pages
    if rng.random() < 0.3 and "-" in pages:
        first, last = pages.split("-", 1)
        common = 0
        while common < min(len(first), len(last)) - 1 and first[common] == last[common]:
            common += 1
        pages = f"{first}-{last[common:]}"
    if rng.random() < 0.15:
        pages = ""
    journal = _abbreviate(r.journal) if rng.random() < 0.4 else r.journal
    return replace(r, title=title, authors=authors, pages=pages, journal=journal,
                   doi="" if rng.random() < 0.3 else r.doi, entry=r.entry + 1)


def synthetic(n: int, seed: int = 20261130) -> tuple[list[Record], list[list[int]]]:
    """About ``n`` records: distinct studies plus planted duplicates; returns (records, truth)."""
    rng = random.Random(seed)
    real = [r for name in SETS for r in labelled(name)[1] if r.title]
    words = sorted({w for r in real for w in r.title.split() if w.isalpha() and len(w) > 3})
    surnames = sorted({a.partition(",")[0] for r in real for a in r.authors if "," in a})
    journals = sorted({r.journal for r in real if r.journal})
    records: list[Record] = []
    truth: list[list[int]] = []
    study = 0
    while len(records) < n:
        study += 1
        base = rng.choice(real)
        tokens = base.title.split()
        for _ in range(max(2, len(tokens) // 3)):  # a new study: a third of the words replaced
            tokens[rng.randrange(len(tokens))] = rng.choice(words)
        start = rng.randrange(2, 3000)
        authors = tuple(f"{rng.choice(surnames)}, {rng.choice('ABCDEFGHJKLMPRST')}. "
                        f"{rng.choice('ABCDEFGHJKLMPRST')}." for _ in range(rng.randint(1, 6)))
        record = replace(
            base, title=" ".join(tokens), authors=authors, year=rng.randint(1970, 2024),
            journal=rng.choice(journals), volume=str(rng.randint(1, 400)),
            pages=f"{start}-{start + rng.randint(2, 15)}", entry=study,
            doi=f"10.{rng.randint(1000, 9999)}/syn.{study}" if rng.random() < 0.5 else "",
        )
        group = [len(records)]
        records.append(record)
        copies = rng.choice((0, 0, 0, 1, 1, 2, 3))
        for _ in range(copies):
            group.append(len(records))
            records.append(_perturb(rng, record))
        if len(group) > 1:
            truth.append(group)
    order = list(range(len(records)))
    rng.shuffle(order)
    where = {old: new for new, old in enumerate(order)}
    shuffled = [records[i] for i in order]
    return shuffled, [sorted(where[i] for i in g) for g in truth]


def scale(sizes: Sequence[int], cpu: int) -> list[dict]:
    rows = []
    for n in sizes:
        records, truth = synthetic(n)
        start = time.perf_counter()
        result = find_duplicates(records, workers=cpu)
        seconds = time.perf_counter() - start
        figures = evaluate(len(records), truth, result.groups)
        rows.append({"records": len(records), "seconds": seconds,
                     "candidate_pairs": result.candidate_pairs,
                     "planted_pairs": figures["TP"] + figures["FN"],
                     "planted_recall": figures["sensitivity"], "false_pairs": figures["FP"],
                     "review_queue": result.counts.pairs_awaiting_review})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", type=int, default=2, help="cores for both tools (default 2)")
    parser.add_argument("--million", action="store_true", help="also run the 1,000,000-record set")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    report: dict = {"cpu": args.cpu, "load_1min": load, "accuracy": accuracy(args.cpu)}
    if not args.skip_scale:
        sizes = [10_000, 100_000] + ([1_000_000] if args.million else [])
        report["scale"] = scale(sizes, args.cpu)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"Deduplication benchmark ({args.cpu} cores; 1-minute load average at start {load:.1f})\n")
    print(f"{'set':<20}{'tool':<12}{'TP':>6}{'FP':>5}{'FN':>5}{'sens':>8}{'spec':>10}"
          f"{'groups ok':>12}{'false merges':>14}{'review':>8}{'seconds':>9}")
    for r in report["accuracy"]:
        if "error" in r:
            print(f"{r['set']:<20}{r['tool']:<12}{r['error']}")
            continue
        print(f"{r['set']:<20}{r['tool']:<12}{r['TP']:>6}{r['FP']:>5}{r['FN']:>5}"
              f"{r['sensitivity']:>8.4f}{r['specificity']:>10.6f}"
              f"{r['groups_recovered']:>6}/{r['true_groups']:<5}{r['groups_with_false_merge']:>14}"
              f"{r['review_queue']:>8}{r['seconds']:>9.2f}")
        if "sensitivity_after_review" in r:
            print(f"{'':<32}{r['true_pairs_in_review']} missed true pairs in the review queue "
                  f"({r['true_in_queue_top50']} in its top 50, {r['true_in_queue_top200']} in its "
                  f"top 200); sensitivity {r['sensitivity_after_review']:.4f} once accepted")
    for r in report.get("scale", []):
        print(f"\nsynthetic {r['records']:>9,} records: {r['seconds']:7.2f} s, "
              f"{r['candidate_pairs']:,} pairs compared, planted recall {r['planted_recall']:.4f} "
              f"({r['planted_pairs']:,} planted pairs), {r['false_pairs']} false pairs, "
              f"{r['review_queue']:,} in review")


if __name__ == "__main__":
    main()
