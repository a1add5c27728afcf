"""A real `storylens serve` app under a real uvicorn server on 127.0.0.1, for tests.

    with running_server(ServeSettings(db=path, worker=False)) as base_url:
        httpx.get(f"{base_url}/health")

The server runs in a thread on a port the OS picked (the socket is bound before the
server starts, so no other process can take it in between), answers as soon as the
context is entered (its lifespan has started, the worker too when settings ask for
one), and is stopped cleanly on exit: in-flight requests finish, the lifespan's
shutdown runs (the worker requeues or finishes its job), the thread is joined.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from storylens.web.settings import ServeSettings

__all__ = ["running_app", "running_server"]


@contextmanager
def running_app(
    app: Any, *, startup_timeout: float = 30.0, stop_timeout: float = 30.0
) -> Iterator[str]:
    """Serve any ASGI `app` on 127.0.0.1 in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the test below, not lost in the thread
            failure.append(exc)

    thread = threading.Thread(target=serve, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if failure or not thread.is_alive():
            sock.close()
            raise RuntimeError(f"the test server did not start: {failure[:1] or 'it exited'}")
        if time.monotonic() > deadline:
            server.should_exit = True
            thread.join(stop_timeout)
            sock.close()
            raise TimeoutError(f"the test server did not start within {startup_timeout} s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(stop_timeout)
        sock.close()
        if thread.is_alive():
            raise RuntimeError(f"the test server did not stop within {stop_timeout} s")


@contextmanager
def running_server(
    settings: ServeSettings,
    *,
    factory: Callable[[ServeSettings], Any] | None = None,
    startup_timeout: float = 30.0,
    stop_timeout: float = 30.0,
) -> Iterator[str]:
    """`storylens serve` for `settings` (the app from `create_app` unless `factory` is
    given) on 127.0.0.1; yields the base URL, e.g. ``http://127.0.0.1:41234``."""
    if factory is None:
        from storylens.web.app import create_app

        factory = create_app
    with running_app(
        factory(settings), startup_timeout=startup_timeout, stop_timeout=stop_timeout
    ) as base_url:
        yield base_url
