"""Shared fixtures: where ../shared lives, and skipping cleanly when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
DATA = SHARED / "data"
EXAMPLES = REPO / "examples"


def need(path: Path) -> Path:
    """Skip the test with a clear message when a ../shared input is missing."""
    if not path.exists():
        pytest.skip(f"{path} is absent: clone the repository with ../shared beside it")
    return path


@pytest.fixture
def seeds() -> Path:
    return need(SEEDS)


@pytest.fixture
def data_dir() -> Path:
    return need(DATA)
