"""UrlFetcher against a real HTTP server on 127.0.0.1: no mocks between client and wire."""

from __future__ import annotations

import gzip
import re
import socket
import time
from collections.abc import Iterator

import pytest

from storylens.readers import detect_format
from storylens.readers.base import RawDocument, ReadFailure, ReadSkip
from storylens.readers.url import (
    DEFAULT_USER_AGENT,
    NOT_MODIFIED,
    ROBOTS_DISALLOWED,
    UrlFetcher,
)
from tests.httpserver import HTTPTestServer, Response, http_date, repeat, trickle

PAGE = b"<!DOCTYPE html><html><head><title>A page</title></head><body><p>Hello.</p></body></html>"
HTML = {"Content-Type": "text/html; charset=utf-8"}


class MemoryValidators:
    """A ValidatorCache in a dict (the store implements the same protocol)."""

    def __init__(self) -> None:
        self.saved: dict[str, tuple[str | None, str | None, int]] = {}

    def get_validators(self, url: str) -> tuple[str | None, str | None] | None:
        found = self.saved.get(url)
        return (found[0], found[1]) if found else None

    def put_validators(
        self, url: str, etag: str | None, last_modified: str | None, status: int
    ) -> None:
        old = self.saved.get(url, (None, None, 0))
        self.saved[url] = (etag or old[0], last_modified or old[1], status)


@pytest.fixture
def server() -> Iterator[HTTPTestServer]:
    with HTTPTestServer() as running:
        yield running


@pytest.fixture
def fetcher() -> Iterator[UrlFetcher]:
    with UrlFetcher(min_interval=0, timeout=5) as client:
        yield client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- a plain fetch ---------------------------------------------------------------------


def test_fetches_an_html_page_with_its_charset(server: HTTPTestServer, fetcher: UrlFetcher) -> None:
    server.set("/page.html", (200, {"Content-Type": "text/html; charset=ISO-8859-1"}, PAGE))
    result = fetcher.fetch(server.url("/page.html"))
    assert isinstance(result, RawDocument)
    assert result.data == PAGE
    assert result.media_type == "text/html"
    assert (result.encoding or "").lower() == "iso-8859-1"
    assert result.url == result.source == server.url("/page.html")
    assert result.hint_source == "http"


def test_sends_a_clear_user_agent(server: HTTPTestServer, fetcher: UrlFetcher) -> None:
    server.set("/page.html", (200, HTML, PAGE))
    fetcher.fetch(server.url("/page.html"))
    agent = server.requests_for("/page.html")[0].header("User-Agent")
    assert agent == DEFAULT_USER_AGENT
    assert re.fullmatch(r"storylens/\S+ \(\+https://github\.com/storylens\)", agent or "")


def test_last_modified_is_not_a_publication_date(
    server: HTTPTestServer, fetcher: UrlFetcher
) -> None:
    headers = {**HTML, "Last-Modified": http_date(1_700_000_000), "Content-Language": "de"}
    server.set("/page.html", (200, headers, PAGE))
    result = fetcher.fetch(server.url("/page.html"))
    assert isinstance(result, RawDocument)
    assert "published" not in result.hints and "updated" not in result.hints
    assert result.hints == {"language": "de"}


@pytest.mark.parametrize(
    ("content_type", "body", "media_type"),
    [
        ("text/plain; charset=utf-8", b"Updated 5 May\n\nA plain dump.", "text/plain"),
        ("application/xhtml+xml", PAGE, "text/html"),
        ("", PAGE, "text/html"),
        ("application/octet-stream", b"just words", "text/plain"),
    ],
)
def test_media_type_from_content_type(
    server: HTTPTestServer, fetcher: UrlFetcher, content_type: str, body: bytes, media_type: str
) -> None:
    server.set("/doc", (200, {"Content-Type": content_type} if content_type else {}, body))
    result = fetcher.fetch(server.url("/doc"))
    assert isinstance(result, RawDocument)
    assert result.media_type == media_type


def test_a_feed_is_recognised_from_its_bytes(server: HTTPTestServer, fetcher: UrlFetcher) -> None:
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
    server.set("/feed", (200, {"Content-Type": "application/rss+xml"}, feed))
    result = fetcher.fetch(server.url("/feed"))
    assert isinstance(result, RawDocument)
    assert detect_format(result.url or "", result.data[:4096]) == "feed"


def test_binary_types_are_refused(server: HTTPTestServer, fetcher: UrlFetcher) -> None:
    server.set("/photo.png", (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n" + b"\0" * 100))
    result = fetcher.fetch(server.url("/photo.png"))
    assert isinstance(result, ReadFailure)
    assert result.reason == "unsupported content type image/png"


def test_gzip_bodies_are_decoded(server: HTTPTestServer, fetcher: UrlFetcher) -> None:
    server.set("/page.html", (200, {**HTML, "Content-Encoding": "gzip"}, gzip.compress(PAGE)))
    result = fetcher.fetch(server.url("/page.html"))
    assert isinstance(result, RawDocument)
    assert result.data == PAGE


def test_the_fragment_is_not_sent(server: HTTPTestServer, fetcher: UrlFetcher) -> None:
    server.set("/page.html", (200, HTML, PAGE))
    result = fetcher.fetch(server.url("/page.html#comments"))
    assert isinstance(result, RawDocument)
    assert [r.path for r in server.requests if r.path != "/robots.txt"] == ["/page.html"]


# -- failures are one line -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error")]
)
def test_http_errors(server: HTTPTestServer, fetcher: UrlFetcher, status: int, reason: str) -> None:
    server.set("/gone", (status, HTML, b"<p>error page</p>"))
    result = fetcher.fetch(server.url("/gone"))
    assert isinstance(result, ReadFailure)
    assert result.reason == reason
    assert str(result) == f"{server.url('/gone')}: {reason}"


def test_empty_body_fails(server: HTTPTestServer, fetcher: UrlFetcher) -> None:
    server.set("/empty", (200, HTML, b"  \n"))
    result = fetcher.fetch(server.url("/empty"))
    assert isinstance(result, ReadFailure)
    assert result.reason == "empty response body"


def test_connection_refused(fetcher: UrlFetcher) -> None:
    url = f"http://127.0.0.1:{free_port()}/page.html"
    result = fetcher.fetch(url)
    assert isinstance(result, ReadFailure)
    assert result.reason == "connection refused"


def test_unresolvable_host(fetcher: UrlFetcher) -> None:
    result = fetcher.fetch("http://no-such-host.invalid/page.html")
    assert isinstance(result, ReadFailure)
    assert result.reason.startswith(("cannot resolve host no-such-host.invalid", "timed out"))


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/a.txt", "javascript:alert(1)", "page.html"]
)
def test_only_http_and_https(fetcher: UrlFetcher, url: str) -> None:
    result = fetcher.fetch(url)
    assert isinstance(result, ReadFailure)
    assert result.reason == "only http and https URLs can be fetched"


def test_malformed_url(fetcher: UrlFetcher) -> None:
    result = fetcher.fetch("http://[::zz]/page")
    assert isinstance(result, ReadFailure)
    assert result.reason.startswith("invalid URL")


# -- timeouts --------------------------------------------------------------------------


def test_slow_server_times_out(server: HTTPTestServer) -> None:
    server.set("/slow", Response(200, HTML, PAGE, delay=5.0))
    with UrlFetcher(min_interval=0, timeout=0.5, respect_robots=False) as client:
        started = time.monotonic()
        result = client.fetch(server.url("/slow"))
        elapsed = time.monotonic() - started
    assert isinstance(result, ReadFailure)
    assert result.reason == "timed out after 0.5 s"
    assert elapsed < 3


def test_trickling_body_hits_the_deadline(server: HTTPTestServer) -> None:
    server.set("/trickle", Response(200, HTML, trickle([b"<p>x</p>"] * 20, pause=0.2)))
    with UrlFetcher(min_interval=0, timeout=1, deadline=1, respect_robots=False) as client:
        started = time.monotonic()
        result = client.fetch(server.url("/trickle"))
        elapsed = time.monotonic() - started
    assert isinstance(result, ReadFailure)
    assert result.reason == "timed out after 1 s (whole download)"
    assert elapsed < 3


# -- size limit ------------------------------------------------------------------------


def test_huge_streamed_body_is_cut_off_not_read(server: HTTPTestServer) -> None:
    total = 256 * 1024 * 1024
    server.set("/huge", Response(200, HTML, repeat(b"<p>" + b"x" * 65530 + b"</p>", total)))
    with UrlFetcher(min_interval=0, timeout=5, max_bytes=64 * 1024) as client:
        result = client.fetch(server.url("/huge"))
    assert isinstance(result, ReadFailure)
    assert result.reason == "larger than the 64 KiB limit for one document"
    record = server.requests_for("/huge")[0]
    assert record.finished.wait(10)
    assert record.aborted
    assert record.body_bytes_sent < total // 8  # only what the socket buffers held


def test_declared_length_over_the_limit_is_refused_at_once(server: HTTPTestServer) -> None:
    headers = {**HTML, "Content-Length": str(10**9)}
    server.set("/big", Response(200, headers, repeat(b"x" * 65536, 10**9)))
    with UrlFetcher(min_interval=0, timeout=5, max_bytes=1024 * 1024) as client:
        result = client.fetch(server.url("/big"))
    assert isinstance(result, ReadFailure)
    assert result.reason == "larger than the 1 MiB limit for one document"


def test_the_limit_applies_after_decompression(server: HTTPTestServer) -> None:
    bomb = gzip.compress(b"<p>" + b"a" * (8 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    server.set("/bomb", (200, {**HTML, "Content-Encoding": "gzip"}, bomb))
    with UrlFetcher(min_interval=0, timeout=5, max_bytes=1024 * 1024) as client:
        result = client.fetch(server.url("/bomb"))
    assert isinstance(result, ReadFailure)
    assert result.reason.startswith("larger than the 1 MiB limit")


# -- redirects -------------------------------------------------------------------------


def test_redirect_chain_gives_the_final_url(server: HTTPTestServer, fetcher: UrlFetcher) -> None:
    server.set("/a", (301, {"Location": server.url("/b")}, b""))
    server.set("/b", (302, {"Location": "/c?x=1"}, b""))  # relative Location
    server.set("/c", (307, {"Location": "d"}, b""))
    server.set("/d", (200, HTML, PAGE))
    result = fetcher.fetch(server.url("/a"))
    assert isinstance(result, RawDocument)
    assert result.source == server.url("/a")
    assert result.url == server.url("/d")
    assert [r.path for r in server.requests if r.path != "/robots.txt"] == [
        "/a",
        "/b",
        "/c?x=1",
        "/d",
    ]


def test_redirects_are_bounded(server: HTTPTestServer) -> None:
    server.set("/loop", (302, {"Location": "/loop"}, b""))
    with UrlFetcher(min_interval=0, timeout=5, max_redirects=3) as client:
        result = client.fetch(server.url("/loop"))
    assert isinstance(result, ReadFailure)
    assert result.reason == "too many redirects (more than 3)"
    assert len(server.requests_for("/loop")) == 4


def test_redirect_to_another_scheme_is_refused(server: HTTPTestServer, fetcher: UrlFetcher) -> None:
    server.set("/away", (302, {"Location": "file:///etc/passwd"}, b""))
    result = fetcher.fetch(server.url("/away"))
    assert isinstance(result, ReadFailure)
    assert result.reason == (
        "redirect to file:///etc/passwd: only http and https URLs can be fetched"
    )


# -- robots.txt ------------------------------------------------------------------------


def test_robots_txt_disallow_is_a_skip(server: HTTPTestServer, fetcher: UrlFetcher) -> None:
    robots = b"User-agent: *\nDisallow: /private/\n"
    server.set("/robots.txt", (200, {"Content-Type": "text/plain"}, robots))
    server.set("/private/page.html", (200, HTML, PAGE))
    server.set("/public/page.html", (200, HTML, PAGE))
    result = fetcher.fetch(server.url("/private/page.html"))
    assert isinstance(result, ReadSkip)
    assert result.reason == ROBOTS_DISALLOWED
    assert isinstance(fetcher.fetch(server.url("/public/page.html")), RawDocument)
    assert server.requests_for("/private/page.html") == []
    assert len(server.requests_for("/robots.txt")) == 1  # cached per host


def test_robots_txt_rules_for_our_agent(server: HTTPTestServer, fetcher: UrlFetcher) -> None:
    robots = b"User-agent: storylens\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    server.set("/robots.txt", (200, {"Content-Type": "text/plain"}, robots))
    server.set("/page.html", (200, HTML, PAGE))
    result = fetcher.fetch(server.url("/page.html"))
    assert isinstance(result, ReadSkip)
    assert result.reason == ROBOTS_DISALLOWED


def test_robots_txt_checked_on_every_redirect_hop(
    server: HTTPTestServer, fetcher: UrlFetcher
) -> None:
    server.set("/robots.txt", (200, {}, b"User-agent: *\nDisallow: /private/\n"))
    server.set("/go", (302, {"Location": "/private/page.html"}, b""))
    server.set("/private/page.html", (200, HTML, PAGE))
    result = fetcher.fetch(server.url("/go"))
    assert isinstance(result, ReadSkip)
    assert server.requests_for("/private/page.html") == []


def test_robots_txt_server_error_means_disallow(
    server: HTTPTestServer, fetcher: UrlFetcher
) -> None:
    server.set("/robots.txt", (503, {}, b"busy"))
    server.set("/page.html", (200, HTML, PAGE))
    result = fetcher.fetch(server.url("/page.html"))
    assert isinstance(result, ReadSkip)
    assert result.reason == "robots.txt unavailable (HTTP 503), so not fetching"


def test_robots_txt_can_be_ignored(server: HTTPTestServer) -> None:
    server.set("/robots.txt", (200, {}, b"User-agent: *\nDisallow: /\n"))
    server.set("/page.html", (200, HTML, PAGE))
    with UrlFetcher(min_interval=0, respect_robots=False) as client:
        assert isinstance(client.fetch(server.url("/page.html")), RawDocument)
    assert server.requests_for("/robots.txt") == []


# -- pacing ----------------------------------------------------------------------------


def test_requests_to_one_host_are_spaced(server: HTTPTestServer) -> None:
    server.set("/page.html", (200, HTML, PAGE))
    with UrlFetcher(min_interval=0.3, respect_robots=False) as client:
        started = time.monotonic()
        for _ in range(3):
            assert isinstance(client.fetch(server.url("/page.html")), RawDocument)
        elapsed = time.monotonic() - started
    assert elapsed >= 0.6


def test_other_hosts_do_not_wait(server: HTTPTestServer) -> None:
    server.set("/page.html", (200, HTML, PAGE))
    with UrlFetcher(min_interval=5, respect_robots=False) as client:
        started = time.monotonic()
        assert isinstance(client.fetch(server.url("/page.html")), RawDocument)
        other = f"http://localhost:{server.port}/page.html"
        assert isinstance(client.fetch(other), RawDocument)
        assert time.monotonic() - started < 4


def test_crawl_delay_is_honoured(server: HTTPTestServer) -> None:
    server.set("/robots.txt", (200, {}, b"User-agent: *\nCrawl-delay: 1\n"))
    server.set("/page.html", (200, HTML, PAGE))
    with UrlFetcher(min_interval=0) as client:
        client.fetch(server.url("/page.html"))
        started = time.monotonic()
        client.fetch(server.url("/page.html"))
        assert time.monotonic() - started >= 0.9


# -- conditional GET -------------------------------------------------------------------


def test_etag_gives_a_304_skip(server: HTTPTestServer) -> None:
    server.set("/feed.xml", (200, {"ETag": '"v1"', "Content-Type": "application/xml"}, b"<rss/>"))
    cache = MemoryValidators()
    with UrlFetcher(min_interval=0, validators=cache) as client:
        first = client.fetch(server.url("/feed.xml"))
        assert isinstance(first, RawDocument)
        assert cache.saved[server.url("/feed.xml")] == ('"v1"', None, 200)
        second = client.fetch(server.url("/feed.xml"))
    assert isinstance(second, ReadSkip)
    assert second.reason == NOT_MODIFIED
    last = server.requests_for("/feed.xml")[-1]
    assert last.header("If-None-Match") == '"v1"'
    assert last.status == 304
    assert cache.saved[server.url("/feed.xml")][2] == 304


def test_last_modified_gives_a_304_skip(server: HTTPTestServer) -> None:
    stamp = http_date(1_715_000_000)
    server.set("/page.html", (200, {**HTML, "Last-Modified": stamp}, PAGE))
    cache = MemoryValidators()
    with UrlFetcher(min_interval=0, validators=cache) as client:
        assert isinstance(client.fetch(server.url("/page.html")), RawDocument)
        second = client.fetch(server.url("/page.html"))
    assert isinstance(second, ReadSkip)
    last = server.requests_for("/page.html")[-1]
    assert last.header("If-Modified-Since") == stamp
    assert last.status == 304


def test_a_changed_resource_is_read_and_its_new_validator_kept(server: HTTPTestServer) -> None:
    server.set("/page.html", (200, {**HTML, "ETag": '"v1"'}, PAGE))
    cache = MemoryValidators()
    with UrlFetcher(min_interval=0, validators=cache) as client:
        client.fetch(server.url("/page.html"))
        server.set("/page.html", (200, {**HTML, "ETag": '"v2"'}, PAGE + b"<p>More.</p>"))
        changed = client.fetch(server.url("/page.html"))
    assert isinstance(changed, RawDocument)
    assert changed.data.endswith(b"<p>More.</p>")
    assert cache.saved[server.url("/page.html")][0] == '"v2"'


def test_no_conditional_headers_without_a_cache(
    server: HTTPTestServer, fetcher: UrlFetcher
) -> None:
    server.set("/page.html", (200, {**HTML, "ETag": '"v1"'}, PAGE))
    fetcher.fetch(server.url("/page.html"))
    fetcher.fetch(server.url("/page.html"))
    for request in server.requests_for("/page.html"):
        assert request.header("If-None-Match") is None
        assert request.status == 200
