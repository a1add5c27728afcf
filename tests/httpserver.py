"""A real HTTP server on 127.0.0.1 for tests: no mocks between the client and the wire.

Serve a mapping of path -> response from a thread on a free port, answer conditional
requests (If-None-Match / If-Modified-Since) the way a well-behaved origin does, and
record every request so a test can assert what the client actually sent.

    with HTTPTestServer({"/feed.xml": (200, {"ETag": '"v1"'}, b"<rss/>")}) as server:
        fetch(server.url("/feed.xml"))
        assert server.requests_for("/feed.xml")[0].status == 200

A body may be bytes or a callable returning an iterable of chunks (sent chunked unless
the route sets Content-Length), so tests can stream huge or slow bodies and check how
much the client read. `delay` holds the status line back, for timeout tests.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Body = bytes | Callable[[], Iterable[bytes]]


@dataclass
class Response:
    """What the server answers for one path."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = b""
    delay: float = 0.0  # seconds to wait before answering at all

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


Route = Response | tuple[int, Mapping[str, str], Body]


@dataclass
class RecordedRequest:
    """One request as the server saw it; `finished` is set once the answer is over."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    status: int
    body_bytes_sent: int = 0
    aborted: bool = False  # the client went away before the body was complete
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def _as_response(route: Route) -> Response:
    if isinstance(route, Response):
        return route
    status, headers, body = route
    return Response(status, dict(headers), body)


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2): W/"x" matches "x"."""
    if if_none_match.strip() == "*":
        return True
    wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag.strip().removeprefix("W/") in wanted


def _not_modified(response: Response, request_headers: Mapping[str, str]) -> bool:
    """Whether a conditional GET may be answered 304 (If-None-Match wins, RFC 9110 13.2.2)."""
    if response.status != 200:
        return False
    etag = response.header("ETag")
    if_none_match = request_headers.get("if-none-match")
    if if_none_match is not None:
        return etag is not None and _etag_matches(if_none_match, etag)
    last_modified = response.header("Last-Modified")
    since = request_headers.get("if-modified-since")
    if last_modified and since:
        try:
            return email.utils.parsedate_to_datetime(
                last_modified
            ) <= email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class HTTPTestServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 serving `routes`; use as a context manager."""

    def __init__(self, routes: Mapping[str, Route] | None = None) -> None:
        self._routes: dict[str, Response] = {
            path: _as_response(route) for path, route in (routes or {}).items()
        }
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> HTTPTestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HTTPTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- routes ----------------------------------------------------------------------

    def set(self, path: str, route: Route) -> None:
        """Add or replace what `path` serves (e.g. a feed that gained an entry)."""
        with self._lock:
            self._routes[path] = _as_response(route)

    def remove(self, path: str) -> None:
        with self._lock:
            self._routes.pop(path, None)

    def route(self, path: str) -> Response | None:
        with self._lock:
            return self._routes.get(path) or self._routes.get(path.split("?", 1)[0])

    # -- what was asked --------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: HTTPTestServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-answer are what some tests are about: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        owner = self.server.owner
        route = owner.route(self.path) or Response(404, {"Content-Type": "text/plain"}, b"")
        headers = {name.lower(): value for name, value in self.headers.items()}
        status = 304 if _not_modified(route, headers) else route.status
        record = RecordedRequest(self.command, self.path, headers, status)
        owner._record(record)
        try:
            if route.delay and owner._stopping.wait(route.delay):
                return
            self._send(route, status, record, send_body)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            record.aborted = True
            self.close_connection = True
        finally:
            record.finished.set()

    def _send(self, route: Response, status: int, record: RecordedRequest, send_body: bool) -> None:
        self.send_response(status)
        if status == 304:
            for name in ("ETag", "Last-Modified", "Cache-Control"):
                value = route.header(name)
                if value is not None:
                    self.send_header(name, value)
            self.end_headers()
            return
        for name, value in route.headers.items():
            self.send_header(name, value)
        body = route.body
        if isinstance(body, bytes):
            if route.header("Content-Length") is None:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
                record.body_bytes_sent = len(body)
            return
        chunked = route.header("Content-Length") is None
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if not send_body:
            return
        for chunk in body():
            if not chunk:
                continue
            if chunked:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            else:
                self.wfile.write(chunk)
            record.body_bytes_sent += len(chunk)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


def repeat(chunk: bytes, total: int) -> Callable[[], Iterable[bytes]]:
    """A streamed body of `total` bytes made of `chunk`, generated lazily."""

    def generate() -> Iterable[bytes]:
        sent = 0
        while sent < total:
            piece = chunk[: total - sent]
            sent += len(piece)
            yield piece

    return generate


def trickle(chunks: Iterable[bytes], pause: float) -> Callable[[], Iterable[bytes]]:
    """A streamed body that waits `pause` seconds before each chunk (a slow origin)."""
    items = list(chunks)

    def generate() -> Iterable[bytes]:
        for item in items:
            time.sleep(pause)
            yield item

    return generate


def http_date(timestamp: float) -> str:
    """An IMF-fixdate for Last-Modified headers."""
    return email.utils.formatdate(timestamp, usegmt=True)
