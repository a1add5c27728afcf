"""One IMMEDIATE write transaction on a SQLite connection, for every table class."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def immediate(conn: sqlite3.Connection, *, join: bool = False) -> Iterator[None]:
    """Everything inside commits together or not at all.

    IMMEDIATE takes the write lock first, so another process cannot slip a write between
    a read and the write that depends on it. With `join`, a transaction the caller
    already opened is used as is (its commit or rollback decides).
    """
    if join and conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
