"""SQLite connections for requests: one per request, reused across requests.

FastAPI may run a request's dependencies and its endpoint in different threads of its
pool, so a thread-local connection would be used from the wrong thread. Instead each
request checks a store out of this pool when it first needs one and the
`StoreReleaseMiddleware` puts it back when the response is sent: a connection is only
ever used by one request at a time, and idle connections are kept for the next ones.
"""

from __future__ import annotations

import threading
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from storylens.store.sqlite import SQLiteStore

SCOPE_KEY = "storylens.store"


class StorePool:
    """Idle stores of one database, at most `keep` of them kept open.

    The default covers AnyIO's 40 worker threads: opening a store costs about a
    millisecond (migrations check, pragmas), as much as serving a story page, so under
    load no request should have to open one.
    """

    def __init__(self, path: Path, keep: int = 48) -> None:
        self.path = path
        self.keep = keep
        self._idle: list[SQLiteStore] = []
        self._lock = threading.Lock()

    def acquire(self) -> SQLiteStore:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return SQLiteStore(self.path, check_same_thread=False)

    def release(self, store: SQLiteStore) -> None:
        if store.conn.in_transaction:  # a request that failed mid-write: never reuse it
            store.close()
            return
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(store)
                return
        store.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for store in idle:
            store.close()


class StoreReleaseMiddleware:
    """Returns the request's store to the pool once the response has been sent."""

    def __init__(self, app: ASGIApp, pool: StorePool) -> None:
        self.app = app
        self.pool = pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            store = scope.pop(SCOPE_KEY, None)
            if store is not None:
                self.pool.release(store)
