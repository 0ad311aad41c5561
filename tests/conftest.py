"""Shared test helpers: the real data beside the repository, skipped cleanly when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs a fixed set of examples (reproducible); `HYPOTHESIS_PROFILE=thorough` searches wider.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SHARED_SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA} (../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_seeds() -> Path:
    """The five source documents (../shared/seeds), never copied into the repository."""
    if not SHARED_SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SHARED_SEEDS} (../shared/seeds)")
    return SHARED_SEEDS
