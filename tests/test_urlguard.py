"""The SSRF guard: which URLs are refused, and that a guarded fetcher never connects to
a private address, whatever the URL, a redirect or the resolver says."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storylens.readers.base import RawDocument, ReadFailure
from storylens.readers.url import UrlFetcher
from storylens.web.urlguard import (
    IPAddress,
    Resolver,
    address_problem,
    check_public_url,
    guarded_fetcher,
    guarded_transport,
    literal_address,
)
from tests.httpserver import HTTPTestServer

PAGE = b"<!DOCTYPE html><html><head><title>A page</title></head><body><p>Hello.</p></body></html>"
HTML = {"Content-Type": "text/html; charset=utf-8"}
LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


def offline(host: str, port: int) -> list[IPAddress]:
    """What the system resolver does for a name DNS does not know."""
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def answers(*addresses: str) -> Resolver:
    """A resolver with a fixed answer, standing in for DNS the test cannot control."""

    def resolve(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in addresses]

    return resolve


@pytest.fixture
def server() -> Iterator[HTTPTestServer]:
    with HTTPTestServer() as running:
        yield running


# -- check_public_url ------------------------------------------------------------------

REFUSED = [
    # scheme, host, credentials, length
    ("ftp://example.com/a.txt", "'ftp' URLs cannot be fetched: only http and https"),
    ("file:///etc/passwd", "'file' URLs cannot be fetched: only http and https"),
    ("javascript:alert(1)", "'javascript' URLs cannot be fetched: only http and https"),
    ("//93.184.216.34/", "URLs without a scheme cannot be fetched: only http and https"),
    ("page.html", "URLs without a scheme cannot be fetched: only http and https"),
    ("http:///path", "the URL has no host"),
    ("http://user:secret@93.184.216.34/", "credentials in the URL are not allowed"),
    ("http://user@93.184.216.34/", "credentials in the URL are not allowed"),
    ("http://@93.184.216.34/", "credentials in the URL are not allowed"),
    ("http://93.184.216.34/" + "a" * 2048, "URL is too long (over 2048 characters)"),
    ("http://[::1/", "invalid URL (Invalid IPv6 URL)"),
    ("http://93.184.216.34:99999/", "invalid URL (Port out of range 0-65535)"),
    # loopback, however it is spelled
    ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
    ("http://127.8.9.10:8080/", "127.8.9.10 is a loopback address"),
    ("http://localhost/", "localhost is a loopback host"),
    ("http://localhost./", "localhost. is a loopback host"),
    ("http://LOCALHOST:8000/", "localhost is a loopback host"),
    ("http://api.localhost/", "api.localhost is a loopback host"),
    ("http://2130706433/", "2130706433 is a loopback address"),
    ("http://0x7f.1/", "0x7f.1 is a loopback address"),
    ("http://0x7f000001/", "0x7f000001 is a loopback address"),
    ("http://017700000001/", "017700000001 is a loopback address"),
    ("http://0177.0.0.1/", "0177.0.0.1 is a loopback address"),
    ("http://127.1/", "127.1 is a loopback address"),
    ("http://127.0.0.1./", "127.0.0.1. is a loopback address"),
    ("http://[::1]/", "::1 is a loopback address"),
    (
        "http://[::ffff:127.0.0.1]/",
        "::ffff:127.0.0.1 is a loopback address (IPv4-mapped 127.0.0.1)",
    ),
    ("http://[::ffff:7f00:1]/", "::ffff:7f00:1 is a loopback address (IPv4-mapped 127.0.0.1)"),
    ("http://[::127.0.0.1]/", "::127.0.0.1 is a loopback address (IPv4-compatible 127.0.0.1)"),
    ("http://[2002:7f00:1::]/", "2002:7f00:1:: is a loopback address (6to4 127.0.0.1)"),
    # private, link-local, metadata, CGNAT
    ("http://10.0.0.1/", "10.0.0.1 is a private address"),
    ("http://172.16.5.4/", "172.16.5.4 is a private address"),
    ("http://172.31.255.255/", "172.31.255.255 is a private address"),
    ("http://192.168.1.1/", "192.168.1.1 is a private address"),
    ("http://[fd00::1]/", "fd00::1 is a private address"),
    ("http://[fc00::1]/", "fc00::1 is a private address"),
    (
        "http://169.254.169.254/latest/meta-data/",
        "169.254.169.254 is a link-local (cloud metadata)",
    ),
    ("http://169.254.1.1/", "169.254.1.1 is a link-local address"),
    ("http://[fe80::1]/", "fe80::1 is a link-local address"),
    ("http://[fe80::1%25eth0]/", "fe80::1%25eth0 is a link-local address"),
    ("http://100.64.0.1/", "100.64.0.1 is a shared (carrier-grade NAT) address"),
    ("http://100.127.255.254/", "100.127.255.254 is a shared (carrier-grade NAT) address"),
    (
        "http://[::ffff:169.254.169.254]/",
        "::ffff:169.254.169.254 is a link-local (cloud metadata) address (IPv4-mapped",
    ),
    ("http://[64:ff9b::a00:1]/", "64:ff9b::a00:1 is a private address (NAT64 10.0.0.1)"),
    ("http://[64:ff9b:1::1]/", "64:ff9b:1::1 is a private (local NAT64) address"),
    ("http://[2002:a00:1::]/", "2002:a00:1:: is a private address (6to4 10.0.0.1)"),
    # unspecified, multicast, reserved
    ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
    ("http://0/", "0 is an unspecified address"),
    ("http://[::]/", ":: is an unspecified address"),
    ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
    ("http://239.255.255.250/", "239.255.255.250 is a multicast address"),
    ("http://[ff02::1]/", "ff02::1 is a multicast address"),
    ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
    ("http://255.255.255.255/", "255.255.255.255 is a reserved address"),
    ("http://192.0.2.1/", "192.0.2.1 is a reserved (documentation) address"),
    ("http://198.18.0.1/", "198.18.0.1 is a reserved (benchmarking) address"),
    ("http://[2001:db8::1]/", "2001:db8::1 is a reserved (documentation) address"),
    ("http://[2001::1]/", "2001::1 is a reserved address"),  # Teredo
    ("http://[100::1]/", "100::1 is a reserved (discard) address"),
    ("http://[4000::1]/", "4000::1 is a reserved address"),  # outside 2000::/3
    # numbers that are no address at all
    ("http://08.1.1.1/", "08.1.1.1 is not a valid IPv4 address"),
    ("http://256.1.1.1/", "256.1.1.1 is not a valid IPv4 address"),
    ("http://4294967296/", "4294967296 is not a valid IPv4 address"),
    ("http://1.2.65536/", "1.2.65536 is not a valid IPv4 address"),
]

ACCEPTED = [
    "http://93.184.216.34/",
    "https://93.184.216.34/news/story.html?id=1#top",
    "HTTP://93.184.216.34:8080/",
    "  http://93.184.216.34/  ",
    "http://1.1.1.1/",
    "http://8.8.8.8/feed.xml",
    "http://172.32.0.1/",  # just past 172.16/12
    "http://100.128.0.1/",  # just past 100.64/10
    "http://1593628706/",  # 94.252.x.x spelled as one number: the address is public
    "https://[2606:2800:220:1:248:1893:25c8:1946]/",
    "http://[::ffff:93.184.216.34]/",  # mapped public IPv4
    "http://[64:ff9b::5db8:d822]/",  # NAT64 of 93.184.216.34
    "http://[2002:5db8:d822::1]/",  # 6to4 of 93.184.216.34
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_refused_urls(url: str, reason: str) -> None:
    got = check_public_url(url, resolver=offline)
    assert got is not None and got.startswith(reason), got


@pytest.mark.parametrize("url", ACCEPTED)
def test_accepted_urls(url: str) -> None:
    assert check_public_url(url, resolver=offline) is None


def test_every_resolved_address_is_checked() -> None:
    """One private address among public ones is enough: a connection may use any."""
    resolver = answers("93.184.216.34", "10.1.2.3")
    reason = check_public_url("https://news.example/a", resolver=resolver)
    assert reason == "news.example resolves to 10.1.2.3, a private address"
    public = answers("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    assert check_public_url("https://news.example/a", resolver=public) is None


def test_an_unresolvable_host_is_refused() -> None:
    assert check_public_url("http://news.example/", resolver=offline) == (
        "cannot resolve host news.example"
    )
    nothing = answers()
    assert check_public_url("http://news.example/", resolver=nothing) == (
        "cannot resolve host news.example"
    )
    # The real system resolver: .invalid never resolves (RFC 6761).
    assert check_public_url("http://no-such-host.invalid/") == (
        "cannot resolve host no-such-host.invalid"
    )


def test_allow_private_checks_only_the_form() -> None:
    for url in ("http://127.0.0.1:8000/", "http://localhost/", "http://10.0.0.1/", "http://x.y/"):
        assert check_public_url(url, allow_private=True, resolver=offline) is None
    assert check_public_url("ftp://127.0.0.1/", allow_private=True) is not None
    assert check_public_url("http://u:p@127.0.0.1/", allow_private=True) is not None
    assert check_public_url("http:///x", allow_private=True) is not None


def test_literal_addresses() -> None:
    assert literal_address("0x7f.0.0.1") == ipaddress.ip_address("127.0.0.1")
    assert literal_address("10.1") == ipaddress.ip_address("10.0.0.1")
    assert literal_address("10.1.258") == ipaddress.ip_address("10.1.1.2")
    assert literal_address("::1") == ipaddress.ip_address("::1")
    assert literal_address("news.example") is None
    assert literal_address("1e100.net") is None
    assert literal_address("0" * 100) == "%s is not a valid IPv4 address" % ("0" * 100)


def test_address_problem_of_public_addresses() -> None:
    for text in ("93.184.216.34", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8"):
        assert address_problem(ipaddress.ip_address(text)) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.booleans())
def test_fuzz_never_raises(text: str, allow_private: bool) -> None:
    for candidate in (text, "http://" + text, "https://" + text + "/x", "http://[" + text + "]/"):
        got = check_public_url(candidate, allow_private, resolver=offline)
        assert got is None or (isinstance(got, str) and got and "\n" not in got)


# -- the guarded fetcher ---------------------------------------------------------------


def test_a_plain_fetcher_reaches_the_local_server(server: HTTPTestServer) -> None:
    """The control: without the guard, the same URL is fetched."""
    server.set("/page.html", (200, HTML, PAGE))
    with UrlFetcher(min_interval=0, timeout=5) as fetcher:
        result = fetcher.fetch(server.url("/page.html"))
    assert isinstance(result, RawDocument)
    assert result.data == PAGE


def test_the_guard_refuses_a_loopback_address(server: HTTPTestServer) -> None:
    server.set("/page.html", (200, HTML, PAGE))
    with guarded_fetcher(min_interval=0, timeout=5) as fetcher:
        result = fetcher.fetch(server.url("/page.html"))
    assert isinstance(result, ReadFailure)
    assert result.reason == "refused: 127.0.0.1 is a loopback address"
    assert server.requests == []  # robots.txt included: no connection was opened


def test_the_guard_checks_what_a_name_resolves_to(server: HTTPTestServer) -> None:
    """A name passes a string check but is refused once resolved, at connect time."""
    server.set("/page.html", (200, HTML, PAGE))
    with guarded_fetcher(min_interval=0, timeout=5) as fetcher:
        result = fetcher.fetch(f"http://localhost:{server.port}/page.html")
    assert isinstance(result, ReadFailure)
    assert result.reason == "refused: localhost resolves to 127.0.0.1, a loopback address"
    assert server.requests == []


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://10.0.0.1/admin", "refused: 10.0.0.1 is a private address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused: 169.254.169.254 is a link-local (cloud metadata) address",
        ),
        (
            "http://[::ffff:a9fe:a9fe]/",
            "refused: ::ffff:a9fe:a9fe is a link-local (cloud metadata) address "
            "(IPv4-mapped 169.254.169.254)",
        ),
        ("http://0x0a.1/", "refused: 0x0a.1 is a private address"),
    ],
)
def test_a_redirect_to_a_private_address_is_refused(
    server: HTTPTestServer, location: str, reason: str
) -> None:
    """The first hop is allowed (the test server is on loopback), the redirect is not."""
    server.set("/go", (302, {"Location": location}, b""))
    transport = guarded_transport(allowed=LOOPBACK)
    with UrlFetcher(min_interval=0, timeout=5, transport=transport) as fetcher:
        result = fetcher.fetch(server.url("/go"))
    assert isinstance(result, ReadFailure)
    assert result.source == server.url("/go")
    assert result.reason == reason
    assert [r.path for r in server.requests if r.path != "/robots.txt"] == ["/go"]


def test_the_connection_goes_to_the_address_that_was_checked(server: HTTPTestServer) -> None:
    """The guard resolves once and connects to that address: no second lookup can differ.

    `rebind.example` is known only to the guard's resolver; the system resolver would
    fail, so the page arriving proves the socket went to the checked address. The Host
    header still names the host.
    """
    server.set("/page.html", (200, HTML, PAGE))
    transport = guarded_transport(resolver=answers("127.0.0.1"), allowed=LOOPBACK)
    url = f"http://rebind.example:{server.port}/page.html"
    with UrlFetcher(min_interval=0, timeout=5, transport=transport) as fetcher:
        result = fetcher.fetch(url)
    assert isinstance(result, RawDocument), result
    assert result.data == PAGE
    page = [r for r in server.requests if r.path == "/page.html"]
    assert page[0].header("host") == f"rebind.example:{server.port}"


def test_a_name_with_one_private_address_is_refused_before_connecting(
    server: HTTPTestServer,
) -> None:
    resolver = answers("127.0.0.1", "10.9.8.7")
    transport = guarded_transport(resolver=resolver, allowed=LOOPBACK)
    with UrlFetcher(min_interval=0, timeout=5, transport=transport) as fetcher:
        result = fetcher.fetch(f"http://mixed.example:{server.port}/page.html")
    assert isinstance(result, ReadFailure)
    assert result.reason == "refused: mixed.example resolves to 10.9.8.7, a private address"
    assert server.requests == []


def test_the_guard_keeps_unresolvable_hosts_as_they_were() -> None:
    with guarded_fetcher(min_interval=0, timeout=5) as fetcher:
        result = fetcher.fetch("http://no-such-host.invalid/page.html")
    assert isinstance(result, ReadFailure)
    assert result.reason.startswith(("cannot resolve host no-such-host.invalid", "timed out"))
