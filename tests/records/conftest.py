"""Fixtures for the record importers: the real exports beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

FORMATS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "formats"


@pytest.fixture(scope="session")
def formats() -> Path:
    if not FORMATS.is_dir():
        pytest.skip(f"real export files not found at {FORMATS} (../shared/data/formats)")
    return FORMATS
