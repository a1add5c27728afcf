"""Fetch one URL politely and safely into a raw document.

Fetching is an edge that meets the open web, so every limit is explicit: only http(s),
a bounded number of redirects (robots.txt and the rate limit are checked on every hop,
not just the first), connect/read timeouts plus a deadline for the whole download so a
trickling server cannot hold a batch, and a size limit enforced while streaming, so a
huge body is cut off, never read into memory. Robots.txt is fetched once per origin and
obeyed (RFC 9309); requests to one host are spaced by `min_interval` (or the site's
Crawl-delay). With a `ValidatorCache` (the store) it sends If-None-Match /
If-Modified-Since, so polling an unchanged feed costs one 304.

Failures are values, not exceptions: a `ReadFailure` with a one-line reason ("HTTP 404
Not Found", "timed out after 10 s", "connection refused"), or a `ReadSkip` when there is
nothing to read and that is not an error (304, robots.txt).
"""

from __future__ import annotations

import re
import time
import urllib.robotparser
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

import httpcore
import httpx

from storylens import __version__
from storylens.readers.base import (
    MAX_DOCUMENT_BYTES,
    FetchResult,
    MediaType,
    RawDocument,
    ReadFailure,
    ReadSkip,
    ValidatorCache,
    ValidatorUpdate,
)

__all__ = [
    "DEFAULT_USER_AGENT",
    "NOT_MODIFIED",
    "ROBOTS_DISALLOWED",
    "BlockedConnection",
    "UrlFetcher",
    "human_size",
]

DEFAULT_USER_AGENT = f"storylens/{__version__} (+https://github.com/storylens)"
NOT_MODIFIED = "not modified since last fetch"
ROBOTS_DISALLOWED = "disallowed by robots.txt"

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to parse at least 500 KiB
_ROBOTS_TTL = 24 * 3600.0  # RFC 9309: do not use a cached robots.txt for longer
_ROBOTS_ERROR_TTL = 300.0  # a server error on robots.txt is retried after this long
_MAX_CRAWL_DELAY = 30.0  # a site's Crawl-delay is honoured up to this many seconds
_SNIFF_BYTES = 4096
# Types that can never be an article or a feed: refused before the body is read.
_UNSUPPORTED = re.compile(r"^(image|audio|video|font|model)/|^application/(pdf|zip|msword|vnd\.)")
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


class BlockedConnection(httpcore.ConnectError):
    """A connection the transport would not open (the SSRF guard in `storylens.web.urlguard`).

    Raised by a network backend in place of connecting; its text is the one-line reason
    ("refused: 10.0.0.1 is a private address") and becomes the ReadFailure as it is.
    """


class _Stop(Exception):
    """Ends a fetch early with the result to report (a failure or a skip)."""

    def __init__(self, result: ReadFailure | ReadSkip) -> None:
        super().__init__(str(result))
        self.result = result


class _TooLarge(_Stop):
    """The body passed the size limit."""


@dataclass(slots=True)
class _Robots:
    """One origin's robots.txt: a parser, or a blanket answer when there is no file."""

    parser: urllib.robotparser.RobotFileParser | None
    allow_all: bool
    fetched_at: float
    reason: str = ROBOTS_DISALLOWED
    ttl: float = _ROBOTS_TTL


class UrlFetcher:
    """Fetches pages and feeds over HTTP(S); implements `storylens.readers.Fetcher`.

    One instance keeps a connection pool, the robots.txt cache and the per-host clock,
    so reuse it for a whole batch. It is not meant to be shared between threads.
    """

    def __init__(
        self,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = 10.0,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        min_interval: float = 1.0,
        respect_robots: bool = True,
        validators: ValidatorCache | None = None,
        defer_validators: bool = False,
        max_redirects: int = 5,
        deadline: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.min_interval = min_interval
        self.respect_robots = respect_robots
        self.validators = validators
        # Deferred: validators travel on the RawDocument and the ingest remembers them
        # after storing, so a killed ingest never marks an unstored page or feed as read.
        self.defer_validators = defer_validators
        self.max_redirects = max_redirects
        # For the whole body: a read timeout alone restarts on every chunk, so a server
        # sending one byte a second would never time out.
        self.deadline = deadline if deadline is not None else max(timeout * 6, 30.0)
        self._client = httpx.Client(
            headers={"User-Agent": user_agent},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # followed by hand: robots.txt and pacing per hop
            transport=transport,  # e.g. the SSRF guard's, which checks every connection
        )
        self._robots: dict[str, _Robots] = {}
        self._last_request: dict[str, float] = {}

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> UrlFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ----------------------------------------------------------------------

    def fetch(self, url: str) -> FetchResult:
        """Fetch `url`; never raises for network or HTTP trouble."""
        url = url.strip()
        try:
            return self._fetch(urldefrag(url)[0])
        except _Stop as stop:
            return stop.result
        except ValueError as exc:  # urllib's verdict on a malformed URL or Location
            return ReadFailure(url, f"invalid URL ({_one_line(str(exc))})")

    # -- the steps -------------------------------------------------------------------

    def _fetch(self, url: str) -> FetchResult:
        conditional = self._conditional_headers(url)
        current = url
        for _ in range(self.max_redirects + 1):
            self._check_url(url, current)
            response = self._send(url, current, conditional)
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    current = urldefrag(urljoin(current, response.headers["location"]))[0]
                    continue
                return self._finish(url, response, bool(conditional))
            finally:
                response.close()
        return ReadFailure(url, f"too many redirects (more than {self.max_redirects})")

    def _check_url(self, source: str, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            why = "only http and https URLs can be fetched"
            raise _Stop(ReadFailure(source, why if url == source else f"redirect to {url}: {why}"))
        if not parts.hostname:
            raise _Stop(ReadFailure(source, f"invalid URL {url!r}"))
        if self.respect_robots and not self._allowed(source, url):
            robots = self._robots[_origin(url)]
            raise _Stop(ReadSkip(source, robots.reason))

    def _conditional_headers(self, url: str) -> dict[str, str]:
        known = self.validators.get_validators(url) if self.validators else None
        if not known:
            return {}
        etag, last_modified = known
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers

    def _send(self, source: str, url: str, headers: Mapping[str, str]) -> httpx.Response:
        """Send one GET (streamed), paced per host; network errors end the fetch."""
        self._wait_for_turn(url)
        try:
            request = self._client.build_request("GET", url, headers=dict(headers))
            return self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise _Stop(ReadFailure(source, _describe_error(exc, url, self.timeout))) from exc
        except (httpx.InvalidURL, ValueError) as exc:  # text urlsplit let through
            raise _Stop(ReadFailure(source, f"invalid URL ({_one_line(str(exc))})")) from exc

    def _finish(self, source: str, response: httpx.Response, conditional: bool) -> FetchResult:
        status = response.status_code
        if status == 304 and conditional:
            self._remember(source, response)
            return ReadSkip(source, NOT_MODIFIED)
        if status != 200:
            phrase = response.reason_phrase
            return ReadFailure(source, f"HTTP {status}{' ' + phrase if phrase else ''}")
        content_type = response.headers.get("content-type", "")
        mime = content_type.split(";", 1)[0].strip().lower()
        if _UNSUPPORTED.match(mime):
            return ReadFailure(source, f"unsupported content type {mime}")
        data = self._read_body(source, response, self.max_bytes)
        if not data.strip():
            return ReadFailure(source, "empty response body")
        final_url = str(response.url)
        update = self._remember(source, response)
        return RawDocument(
            source=source,
            data=data,
            media_type=_media_type(mime, data),
            url=final_url,
            encoding=response.charset_encoding,
            hints=_http_hints(response.headers),
            hint_source="http",
            validators=update,
        )

    def _read_body(self, source: str, response: httpx.Response, limit: int) -> bytes:
        """The body, refused once it passes `limit` bytes: never more is held in memory."""
        too_big = ReadFailure(source, f"larger than the {human_size(limit)} limit for one document")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _TooLarge(too_big)
        started = time.monotonic()
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise _TooLarge(too_big)
                if time.monotonic() - started > self.deadline:
                    why = f"timed out after {self.deadline:g} s (whole download)"
                    raise _Stop(ReadFailure(source, why))
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            why = _describe_error(exc, str(response.url), self.timeout)
            raise _Stop(ReadFailure(source, why)) from exc
        return b"".join(chunks)

    def _remember(self, url: str, response: httpx.Response) -> ValidatorUpdate | None:
        """Keep the validators of `url` (as asked for, before redirects) for the next poll.

        When deferring, return them instead of storing (a 304 is stored at once: it
        changes nothing that could be lost).
        """
        if self.validators is None:
            return None
        etag = response.headers.get("etag")
        last_modified = response.headers.get("last-modified")
        if not (etag or last_modified or response.status_code == 304):
            return None
        update = ValidatorUpdate(url, etag, last_modified, response.status_code)
        if self.defer_validators and response.status_code != 304:
            return update
        self.validators.put_validators(url, etag, last_modified, response.status_code)
        return None

    # -- politeness ------------------------------------------------------------------

    def _wait_for_turn(self, url: str) -> None:
        host = _host(url)
        interval = self.min_interval
        robots = self._robots.get(_origin(url))
        if robots is not None and robots.parser is not None:
            delay = robots.parser.crawl_delay(self.user_agent)
            if delay:
                interval = max(interval, min(float(delay), _MAX_CRAWL_DELAY))
        last = self._last_request.get(host)
        if last is not None and interval > 0:
            wait = last + interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        self._last_request[host] = time.monotonic()

    def _allowed(self, source: str, url: str) -> bool:
        origin = _origin(url)
        robots = self._robots.get(origin)
        if robots is None or time.monotonic() - robots.fetched_at > robots.ttl:
            robots = self._load_robots(source, origin)
            self._robots[origin] = robots
        if robots.parser is None:
            return robots.allow_all
        return robots.parser.can_fetch(self.user_agent, url)

    def _load_robots(self, source: str, origin: str) -> _Robots:
        """Fetch and parse robots.txt, with RFC 9309's rules for a missing or broken one."""
        robots_url = origin + "/robots.txt"
        now = time.monotonic()
        current = robots_url
        try:
            for _ in range(self.max_redirects + 1):
                response = self._send(source, current, {})
                try:
                    status = response.status_code
                    if status in _REDIRECTS and "location" in response.headers:
                        current = urljoin(current, response.headers["location"])
                        continue
                    if status >= 500:  # the site may be down: assume it disallows
                        why = f"robots.txt unavailable (HTTP {status}), so not fetching"
                        return _Robots(None, False, now, why, _ROBOTS_ERROR_TTL)
                    if status != 200:  # 4xx and the like: no robots.txt, all allowed
                        return _Robots(None, True, now)
                    body = self._read_body(robots_url, response, _ROBOTS_MAX_BYTES)
                finally:
                    response.close()
                parser = urllib.robotparser.RobotFileParser(robots_url)
                parser.parse(body.decode("utf-8", errors="replace").splitlines())
                return _Robots(parser, True, now)
        except _TooLarge:
            return _Robots(None, True, now)  # an absurd file is read as no file
        except _Stop:
            # Unreachable: the page fetch will report why. Not asked again for a while,
            # so a host whose robots.txt hangs does not cost a timeout per URL.
            return _Robots(None, True, now, ttl=_ROBOTS_ERROR_TTL)
        return _Robots(None, True, now)  # redirect loop: treated as no file (RFC 9309)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _media_type(mime: str, data: bytes) -> MediaType:
    """How to extract the body. Feeds and other containers are recognised later from the
    bytes by `readers.detect_format`, so only HTML versus plain text matters here."""
    if mime in _HTML_TYPES:
        return "text/html"
    head = data[:_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    if mime == "text/plain" and not head.lower().startswith((b"<!doctype html", b"<html")):
        return "text/plain"
    return "text/html" if head.startswith(b"<") else "text/plain"


def _http_hints(headers: httpx.Headers) -> dict[str, str]:
    """Only headers that describe the article. Last-Modified is when the file changed,
    not when the story was published, so it is deliberately not a date hint."""
    hints: dict[str, str] = {}
    language = headers.get("content-language", "").strip()
    if language and "," not in language:
        hints["language"] = language
    return hints


def _describe_error(exc: httpx.HTTPError, url: str, timeout: float) -> str:
    """A one-line, human reason for a transport failure."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout:g} s"
    text = _one_line(str(exc)) or exc.__class__.__name__
    lower = text.lower()
    if isinstance(exc, httpx.ConnectError) and isinstance(exc.__cause__, BlockedConnection):
        return text
    if isinstance(exc, httpx.ConnectError):
        host = urlsplit(url).hostname or url
        if "refused" in lower:
            return "connection refused"
        if any(
            marker in lower
            for marker in (
                "name or service not known",
                "nodename nor servname",
                "name resolution",
                "no address associated",
                "getaddrinfo",
            )
        ):
            return f"cannot resolve host {host}"
        if "certificate" in lower or "ssl" in lower:
            return f"TLS error ({text})"
        return f"cannot connect to {host} ({text})"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"invalid URL ({text})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"protocol error ({text})"
    if isinstance(exc, httpx.DecodingError):
        return f"cannot decode the response ({text})"
    return f"network error ({exc.__class__.__name__}: {text})"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def human_size(limit: int) -> str:
    """A byte count for messages: "20 MiB", "64 KiB", "1000 bytes"."""
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"
