"""Stores the server tests share, built the way a user builds them: with the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES, REPO


def storylens(*args: str) -> None:
    """Run the real command line; fail the test with its stderr if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "storylens", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def examples_store(db: Path) -> Path:
    """The examples corpus ingested and grouped (four outlets, one story, plus strays)."""
    storylens(
        "ingest", str(EXAMPLES), "--db", str(db), "--profiles", str(EXAMPLES / "outlets.toml")
    )
    storylens("group", "--db", str(db))
    return db


def analysed_examples_store(db: Path) -> Path:
    """`examples_store` with its largest story's comparison stored (spaCy: seconds)."""
    from storylens.analyse_story import analyse_story
    from storylens.store.sqlite import SQLiteStore

    examples_store(db)
    with SQLiteStore(db) as store:
        largest = max(store.stories.live(), key=lambda s: len(s.article_ids))
        assert analyse_story(store, largest.id) is not None
    return db
