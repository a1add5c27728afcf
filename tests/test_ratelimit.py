"""Rate limiting: token buckets under a fake clock, and the middleware in front of a real
app served by uvicorn on 127.0.0.1, spoken to over HTTP."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from storylens.web.ratelimit import TOKEN_CEILING, RateLimitMiddleware, TokenBuckets


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- the buckets -----------------------------------------------------------------------


def test_a_bucket_bursts_to_its_limit_then_refills_at_the_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(clock=clock)
    for _ in range(60):
        assert buckets.take([("a", 60)]) == (0.0, 0)
    wait, limit = buckets.take([("a", 60)])
    assert wait == pytest.approx(1.0) and limit == 60
    clock.advance(0.5)
    assert buckets.take([("a", 60)])[0] == pytest.approx(0.5)
    clock.advance(0.5)
    assert buckets.take([("a", 60)]) == (0.0, 0)
    clock.advance(3600)  # a long rest refills to the limit, no further
    for _ in range(60):
        assert buckets.take([("a", 60)]) == (0.0, 0)
    assert buckets.take([("a", 60)])[0] > 0


def test_keys_are_separate() -> None:
    buckets = TokenBuckets(clock=FakeClock())
    assert buckets.take([("a", 1)]) == (0.0, 0)
    assert buckets.take([("a", 1)])[0] == pytest.approx(60.0)
    assert buckets.take([("b", 1)]) == (0.0, 0)


def test_a_refused_request_takes_from_no_bucket() -> None:
    buckets = TokenBuckets(clock=FakeClock())
    assert buckets.take([("token", 10), ("ceiling", 1)]) == (0.0, 0)
    wait, limit = buckets.take([("token", 10), ("ceiling", 1)])
    assert (wait, limit) == (pytest.approx(60.0), 1)
    for _ in range(9):  # the refusal did not spend one of the token's nine
        assert buckets.take([("token", 10)]) == (0.0, 0)
    assert buckets.take([("token", 10)])[0] > 0


def test_idle_buckets_are_dropped() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(clock=clock, idle_seconds=120)
    for key in ("a", "b", "c"):
        buckets.take([(key, 5)])
    clock.advance(100)
    buckets.take([("c", 5)])
    assert len(buckets) == 3
    clock.advance(30)  # a and b idle 130 s, c 30 s
    buckets.take([("d", 5)])
    assert len(buckets) == 2
    assert "a" not in buckets and "c" in buckets and "d" in buckets


def test_the_number_of_clients_is_capped_least_recently_used_first() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(clock=clock, max_clients=3)
    for key in ("a", "b", "c"):
        buckets.take([(key, 5)])
        clock.advance(1)
    buckets.take([("a", 5)])  # a is now the most recent
    buckets.take([("d", 5)])
    assert len(buckets) == 3
    assert "b" not in buckets and {"a", "c", "d"} <= {k for k in "abcd" if k in buckets}
    for n in range(1000):
        buckets.take([(f"x{n}", 5)])
    assert len(buckets) == 3


# -- the middleware, served by uvicorn --------------------------------------------------


def make_app(
    reads: int, writes: int, *, trust_forwarded: bool = False, clock: FakeClock | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.started = True  # proves the lifespan scope passed through
        yield

    app = FastAPI(lifespan=lifespan)
    app.state.started = False

    @app.get("/items")
    def items() -> dict[str, Any]:
        return {"items": [], "started": app.state.started}

    @app.post("/items")
    def add_item() -> dict[str, bool]:
        return {"added": True}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
    app.add_middleware(
        RateLimitMiddleware,
        reads_per_minute=reads,
        writes_per_minute=writes,
        trust_forwarded=trust_forwarded,
        **extra,
    )
    return app


@contextmanager
def serving(app: FastAPI) -> Iterator[httpx.Client]:
    """Run `app` under uvicorn on a free port of 127.0.0.1; yield a client for it."""
    # proxy_headers off: uvicorn would otherwise apply X-Forwarded-For from 127.0.0.1
    # itself, and the middleware's own handling is what is under test.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(20)


DETAIL = re.compile(r"^rate limit: (\d+) requests a minute; retry in (\d+) s$")


def assert_limited(response: httpx.Response, limit: int, retry_after: int) -> None:
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/json"
    assert response.headers["retry-after"] == str(retry_after)
    match = DETAIL.match(response.json()["detail"])
    assert match, response.json()
    assert (int(match[1]), int(match[2])) == (limit, retry_after)


def test_reads_get_429_after_the_limit_with_retry_after() -> None:
    clock = FakeClock()
    with serving(make_app(5, 2, clock=clock)) as client:
        for _ in range(5):
            response = client.get("/items")
            assert response.status_code == 200
            assert response.json()["started"] is True
        assert_limited(client.get("/items"), 5, 12)  # 5 a minute: one every 12 s
        assert client.head("/items").status_code == 429  # HEAD is a read too
        clock.advance(12)
        assert client.get("/items").status_code == 200
        assert client.get("/items").status_code == 429


def test_writes_are_limited_separately() -> None:
    clock = FakeClock()
    with serving(make_app(3, 2, clock=clock)) as client:
        for _ in range(3):
            assert client.get("/items").status_code == 200
        assert client.get("/items").status_code == 429
        assert client.post("/items").status_code == 200  # reads spent, writes not
        assert client.post("/items").status_code == 200
        assert_limited(client.post("/items"), 2, 30)
        assert_limited(client.delete("/items"), 2, 30)  # any non-read method is a write
        clock.advance(30)
        assert client.post("/items").status_code == 200


def test_each_token_has_its_own_budget() -> None:
    with serving(make_app(3, 1, clock=FakeClock())) as client:
        alice = {"Authorization": "Bearer slk_alice"}
        bob = {"Authorization": "Bearer slk_bob"}
        for _ in range(3):
            assert client.get("/items", headers=alice).status_code == 200
        assert client.get("/items", headers=alice).status_code == 429
        for _ in range(3):
            assert client.get("/items", headers=bob).status_code == 200
        assert client.get("/items", headers=bob).status_code == 429
        for _ in range(3):  # no token: the address's own bucket
            assert client.get("/items").status_code == 200
        assert client.get("/items").status_code == 429


def test_made_up_tokens_do_not_make_a_client_unlimited() -> None:
    reads = 2
    with serving(make_app(reads, 1, clock=FakeClock())) as client:
        statuses = [
            client.get("/items", headers={"Authorization": f"Bearer made-up-{n}"}).status_code
            for n in range(reads * TOKEN_CEILING + 5)
        ]
    assert statuses.count(200) == reads * TOKEN_CEILING
    assert set(statuses[reads * TOKEN_CEILING :]) == {429}


def test_health_is_exempt() -> None:
    with serving(make_app(1, 1, clock=FakeClock())) as client:
        assert client.get("/items").status_code == 200
        assert client.get("/items").status_code == 429
        for _ in range(20):
            assert client.get("/health").status_code == 200


def test_zero_means_unlimited() -> None:
    with serving(make_app(0, 1, clock=FakeClock())) as client:
        for _ in range(30):
            assert client.get("/items").status_code == 200
        assert client.post("/items").status_code == 200
        assert client.post("/items").status_code == 429


def test_forwarded_for_is_used_only_when_trusted() -> None:
    def via(client_address: str) -> dict[str, str]:
        return {"X-Forwarded-For": f"{client_address}, 203.0.113.7"}

    with serving(make_app(1, 1, trust_forwarded=False, clock=FakeClock())) as client:
        assert client.get("/items", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 200
        # Untrusted: the header is ignored, so this is the same client (127.0.0.1).
        assert client.get("/items", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 429

    with serving(make_app(1, 1, trust_forwarded=True, clock=FakeClock())) as client:
        assert client.get("/items", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 200
        assert client.get("/items", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 200
        assert client.get("/items", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 429
        # The proxy appends the address it saw; what the client wrote before it is not
        # trusted, so changing it does not make a new client.
        assert client.get("/items", headers=via("192.0.2.1")).status_code == 200
        assert client.get("/items", headers=via("192.0.2.2")).status_code == 429
        # Not an address at all: the peer's address is used.
        assert client.get("/items", headers={"X-Forwarded-For": "junk"}).status_code == 200
        assert client.get("/items", headers={"X-Forwarded-For": "junk"}).status_code == 429


def test_other_scopes_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    async def never(*_: Any) -> Any:
        raise AssertionError("not called")

    middleware = RateLimitMiddleware(inner, 1, 1)
    for scope_type in ("lifespan", "websocket", "websocket"):
        asyncio.run(middleware({"type": scope_type, "path": "/ws", "headers": []}, never, never))
    assert seen == ["lifespan", "websocket", "websocket"]
    assert len(middleware.buckets) == 0


def test_negative_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimitMiddleware(make_app(1, 1), -1, 1)
