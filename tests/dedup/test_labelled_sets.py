"""find_duplicates on the real labelled sets (bib-dedupe's evaluation data, Rathbone et al.).

The truth is the sets' own merged_record_ids.csv (the known duplicate groups). The figures
measured when the rules were last changed (see README, "Deduplication") were: respiratory
sensitivity 0.9921 (505 of 509 pairs), cytology_screening 0.9978 (907 of 909), no false pair
in either; the floors below leave a margin of about 0.005 (two or three pairs) for rule
changes, never for false merges.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from evisynth.analysis.dedup import find_duplicates
from evisynth.io.records import read_records

#: set name -> lowest acceptable pairwise sensitivity of the automatic merges
FLOORS = {"respiratory": 0.987, "cytology_screening": 0.993}


def _pairs(groups: list[list[int]]) -> set[tuple[int, int]]:
    return {p for g in groups for p in itertools.combinations(sorted(g), 2)}


@pytest.mark.parametrize(
    ("name", "export"),
    [
        ("respiratory", "records_pre_merged.csv"),
        ("respiratory", "Respiratory.xml"),  # the EndNote export the CSV was made from
        ("cytology_screening", "records_pre_merged.csv"),
    ],
)
def test_no_false_merges_and_high_sensitivity(shared_data: Path, name: str, export: str) -> None:
    folder = shared_data / "dedup" / name
    records = read_records(folder / export)
    ids = pd.read_csv(folder / "records_pre_merged.csv", dtype=str, keep_default_na=False)["ID"]
    assert len(ids) == len(records)  # the XML holds the CSV's records, in the same order
    pos = {x: i for i, x in enumerate(ids)}
    truth = _pairs([[pos[x] for x in g.split(";")]
                    for g in pd.read_csv(folder / "merged_record_ids.csv")["merged_ids"]])
    result = find_duplicates(records)
    found = _pairs([list(g) for g in result.groups])
    assert found - truth == set(), "false merges"
    assert len(found & truth) / len(truth) >= FLOORS[name]
    # every automatic link joins a true pair; uncertain ones are only in the review queue
    assert all(link.pair in truth for link in result.links if link.status == "auto")
