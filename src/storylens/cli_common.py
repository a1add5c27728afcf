"""Pieces every `storylens` command shares: the store option and error output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console

if TYPE_CHECKING:
    from storylens.store.sqlite import SQLiteStore

F = TypeVar("F", bound=Callable[..., Any])

EXIT_SOME_FAILED = 1


def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def db_option(func: F) -> F:
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="STORYLENS_DB",
        default="storylens.db",
        show_default=True,
        help="SQLite store (or set STORYLENS_DB).",
    )(func)


def existing_store(db: Path) -> SQLiteStore:
    """Open a store that must already exist (reading commands never create one)."""
    from storylens.store import open_store

    if not db.exists():
        raise click.UsageError(f"no store at {db} (run `storylens ingest` first)")
    return open_store(db)
