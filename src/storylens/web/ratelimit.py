"""Per-client request limits for the web app: token buckets in pure ASGI middleware.

Each client may burst up to its per-minute limit and then goes at the refill rate; over
that it gets 429 with Retry-After. Reads (GET, HEAD, OPTIONS) and writes have separate
budgets, since one upload costs far more than one page.

A client is its IP address, and, when it sends an Authorization header, that header's
hash as well: two API tokens behind one NAT are two clients. Those per-token buckets sit
under a per-address ceiling (`TOKEN_CEILING` times the limit), so sending a fresh made-up
token with every request does not make a client unlimited.

Memory is bounded: a bucket idle for two minutes has refilled (the refill takes one) and
is dropped, and past `max_clients` buckets the least recently used go first. The bucket
update never awaits, so one event loop needs no lock; a lock makes threads safe too.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "IDLE_SECONDS",
    "MAX_CLIENTS",
    "TOKEN_CEILING",
    "RateLimitMiddleware",
    "TokenBuckets",
]

IDLE_SECONDS = 120.0
MAX_CLIENTS = 100_000
TOKEN_CEILING = 10  # all the tokens used from one address: this many times the limit
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXEMPT_PATHS = frozenset({"/health"})

Clock = Callable[[], float]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    seen: float  # clock time of the last refill


class TokenBuckets:
    """Token buckets by key; a bucket holding `per_minute` refills in one minute."""

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        idle_seconds: float = IDLE_SECONDS,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self._clock = clock
        self._idle = idle_seconds
        self._max = max_clients
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def __contains__(self, key: object) -> bool:
        return key in self._buckets

    def take(self, charges: Sequence[tuple[str, int]]) -> tuple[float, int]:
        """Take one token from each (key, per_minute) bucket, or from none of them.

        Returns (0.0, 0) when taken, else (seconds until all have a token, the limit of
        the bucket that is shortest).
        """
        with self._lock:
            now = self._clock()
            self._evict(now)
            buckets = [
                (self._refilled(key, per_minute, now), per_minute) for key, per_minute in charges
            ]
            wait, limit = 0.0, 0
            for bucket, per_minute in buckets:
                if bucket.tokens < 1.0:
                    need = (1.0 - bucket.tokens) * 60.0 / per_minute
                    if need > wait:
                        wait, limit = need, per_minute
            if wait > 0:
                return wait, limit
            for bucket, _ in buckets:
                bucket.tokens -= 1.0
            return 0.0, 0

    def _refilled(self, key: str, per_minute: int, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(per_minute), now)
            while len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
        else:
            elapsed = max(0.0, now - bucket.seen)
            bucket.tokens = min(float(per_minute), bucket.tokens + elapsed * per_minute / 60.0)
            bucket.seen = now
            self._buckets.move_to_end(key)
        return bucket

    def _evict(self, now: float) -> None:
        while self._buckets:
            key, oldest = next(iter(self._buckets.items()))
            if now - oldest.seen <= self._idle:
                return
            del self._buckets[key]


class RateLimitMiddleware:
    """Limits "http" requests per client; lifespan and websocket scopes pass through.

    `reads_per_minute` and `writes_per_minute` of 0 mean unlimited. With
    `trust_forwarded` the client address is the last X-Forwarded-For entry, the one the
    proxy in front added: the entries before it come from the client and are not trusted.
    """

    def __init__(
        self,
        app: ASGIApp,
        reads_per_minute: int,
        writes_per_minute: int,
        trust_forwarded: bool = False,
        *,
        clock: Clock = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        if reads_per_minute < 0 or writes_per_minute < 0:
            raise ValueError("rate limits are requests a minute, 0 or more")
        self.app = app
        self.reads_per_minute = reads_per_minute
        self.writes_per_minute = writes_per_minute
        self.trust_forwarded = trust_forwarded
        self.buckets = TokenBuckets(clock=clock, max_clients=max_clients)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        write = scope.get("method", "GET").upper() not in SAFE_METHODS
        limit = self.writes_per_minute if write else self.reads_per_minute
        if limit <= 0:
            await self.app(scope, receive, send)
            return
        wait, shortest = self.buckets.take(self._charges(scope, write, limit))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        await _too_many(send, shortest, wait)

    def _charges(self, scope: Scope, write: bool, limit: int) -> list[tuple[str, int]]:
        kind = "w" if write else "r"
        address = self._address(scope)
        token = _authorization(scope)
        if token is None:
            return [(f"{kind}|{address}", limit)]
        return [
            (f"{kind}|{address}|{token}", limit),
            (f"{kind}|{address}|tokens", limit * TOKEN_CEILING),
        ]

    def _address(self, scope: Scope) -> str:
        if self.trust_forwarded:
            forwarded = _header(scope, b"x-forwarded-for")
            if forwarded:
                last = forwarded.rsplit(",", 1)[-1].strip()
                try:
                    return str(ipaddress.ip_address(last))
                except ValueError:
                    pass  # not an address: fall back to the peer
        client = scope.get("client")
        return str(client[0]) if client else "unknown"


def _authorization(scope: Scope) -> str | None:
    value = _header(scope, b"authorization")
    if not value:
        return None
    return hashlib.sha256(value.encode("latin-1")).hexdigest()[:32]


def _header(scope: Scope, name: bytes) -> str | None:
    """The first header called `name` (lower case), as latin-1 text."""
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _too_many(send: Send, limit: int, wait: float) -> None:
    seconds = max(1, math.ceil(wait))
    body = json.dumps(
        {"detail": f"rate limit: {limit} requests a minute; retry in {seconds} s"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(seconds).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
