"""Schema versioning: numbered SQL files applied in order, tracked by user_version."""

from __future__ import annotations

import re
import sqlite3
from importlib import resources

_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")


def available() -> list[tuple[int, str]]:
    """(version, SQL) for every migration shipped with the package, in order."""
    folder = resources.files("storylens.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return max((v for v, _ in available()), default=0)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to the latest schema; each step is one transaction."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > latest_version():
        raise RuntimeError(
            f"database schema v{current} is newer than this storylens (v{latest_version()})"
        )
    for version, sql in available():
        if version <= current:
            continue
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\n;PRAGMA user_version = {version:d};\nCOMMIT;"
            )
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        current = version
    return int(current)
