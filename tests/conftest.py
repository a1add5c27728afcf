"""Shared fixtures: where ../shared lives, and skipping cleanly when it is absent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
DATA = SHARED / "data"
EXAMPLES = REPO / "examples"
SCREENSHOTS = REPO / "out" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's chromium; .ci/run installs it
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (no browser download)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def record_problems(page: Any) -> list[str]:
    """A list that fills with the page's console errors and warnings, page errors and
    failed requests, for a test to assert empty."""
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"console {message.type}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    return problems
