"""Time the full vitamin K2 report (seed 000): every figure and table, HTML and results.json,
and with the DOCX and the CSV/XLSX tables.

Run by hand: ``.venv/bin/python bench/bench_report.py``; results go in the README. The project
is imported once beforehand (the import is not part of the report).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from evisynth.services import review as review_services


def main(repeats: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project = folder / "vitk2.sqlite"
        review_services.import_bundle(project, review_services.EXAMPLE_BUNDLE, actor="bench", create=True)
        review_services.write_report(project, folder / "warm")  # fonts, templates, caches
        for label, options in (
            ("HTML + results.json", {}),
            ("HTML + results.json + DOCX + CSV/XLSX", {"docx": folder / "r.docx",
                                                       "tables_dir": folder / "tables"}),
        ):
            times: list[float] = []
            cpu: list[float] = []
            for i in range(repeats):
                start, cpu_start = time.perf_counter(), time.process_time()
                review_services.write_report(project, folder / f"out{i}", **options)  # type: ignore[arg-type]
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cpu_start)
            print(f"vitamin K2 report, {label}: best {min(times):.2f} s, "
                  f"median {sorted(times)[len(times) // 2]:.2f} s of {repeats} (CPU best {min(cpu):.2f} s)")


if __name__ == "__main__":
    main()
