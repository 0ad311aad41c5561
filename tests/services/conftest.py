"""Shared by the service tests: seed 000's demo review and its DP-ucMGP numbers typed by hand."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from evisynth.services import review as review_services

#: The documented JSON Schema of results.json (docs/results-json.md).
RESULTS_SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "results.schema.json"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> review_services.ReportOutput:
    """seed 000's review rebuilt by ``evisynth demo``, once per test module."""
    return review_services.demo(tmp_path_factory.mktemp("demo") / "vitk2")


def dp_ucmgp_by_hand() -> pd.DataFrame:
    """DP-ucMGP at the end of treatment as seed 000 prints it: means ± SD from §3.4.1, arm
    sizes from Table 2."""
    return pd.DataFrame({
        "study": ["Kurnatowska 2015", "Oikonomaki 2019"],
        "m1": [961.5, 4218], "sd1": [506.7, 6505], "n1": [29, 22],
        "m2": [820.7, 8050], "sd2": [565.2, 12155], "n2": [13, 30],
    })


def results_validator() -> jsonschema.Draft202012Validator:
    """A draft 2020-12 validator for results.json, the schema itself checked first."""
    schema = json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)
