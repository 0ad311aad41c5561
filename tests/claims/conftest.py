"""Fixtures for claim appraisal: the seeds by id, the evidence base, the hand annotations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from evisynth.claims import EvidenceBase
from evisynth.io.evidence import load_evidence

REPO = Path(__file__).resolve().parents[2]
ANNOTATIONS = REPO / "validation" / "claims" / "annotations.yaml"


@pytest.fixture(scope="session")
def seed_text(shared_seeds: Path) -> dict[str, str]:
    """Seed id ("000" …) -> its text."""
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(shared_seeds.glob("*.txt"))}


@pytest.fixture(scope="session")
def evidence_dicts() -> list[dict[str, Any]]:
    return load_evidence()


@pytest.fixture(scope="session")
def base(evidence_dicts: list[dict[str, Any]]) -> EvidenceBase:
    return EvidenceBase.from_dicts(evidence_dicts)


@pytest.fixture(scope="session")
def annotations() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = yaml.safe_load(ANNOTATIONS.read_text(encoding="utf-8"))["seeds"]
    return data


@pytest.fixture(scope="session")
def non_claims() -> dict[str, dict[str, list[str]]]:
    """Seed id -> {"missed_claims": [...], "not_claims": [...]}: the hand reading of the extra flags."""
    path = REPO / "validation" / "claims" / "non_claims.yaml"
    data: dict[str, dict[str, list[str]]] = yaml.safe_load(path.read_text(encoding="utf-8"))["seeds"]
    return data
