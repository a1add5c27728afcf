"""Keep URLs that users submit from reaching the server's own network (SSRF).

A web app that fetches URLs on request can be pointed at addresses only the server can
reach: its loopback services, the private network, a cloud metadata endpoint
(169.254.169.254). Two layers stop that:

- `check_public_url` answers at submission time, so the API can refuse a URL with a
  reason instead of queueing a job that will fail. It resolves the host, so a check at
  submission is only advice: DNS may answer differently later (rebinding), and a page
  may redirect anywhere.
- `guarded_fetcher` is the layer that holds: its connections are checked as they are
  opened. The host is resolved once, every address is checked, and the socket goes to
  an address that was checked, so neither a redirect nor a second DNS answer can reach
  a private address. TLS still verifies, and the Host header still names, the host.

An address passes when it is globally routable. Its IPv6 wrappings of IPv4 (mapped,
compatible, 6to4, NAT64) are judged by the IPv4 address inside, and odd spellings of
IPv4 that C resolvers accept (`2130706433`, `0x7f.1`, `017700000001`) are read as
the address they spell.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from storylens.readers.url import BlockedConnection, UrlFetcher

__all__ = [
    "MAX_URL_LENGTH",
    "GuardedBackend",
    "address_problem",
    "check_public_url",
    "guarded_fetcher",
    "guarded_transport",
    "resolve_host",
]

MAX_URL_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# host, port -> the addresses a connection could go to; raises OSError when it cannot resolve
Resolver = Callable[[str, int], list[IPAddress]]

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# IANA special-purpose ranges, spelled out rather than taken from `ipaddress.is_global`,
# whose answers changed between Python patch releases. First match names the problem.
_V4_RANGES: tuple[tuple[IPNetwork, str], ...] = (
    (_V4("0.0.0.0/8"), "an unspecified"),
    (_V4("10.0.0.0/8"), "a private"),
    (_V4("100.64.0.0/10"), "a shared (carrier-grade NAT)"),
    (_V4("127.0.0.0/8"), "a loopback"),
    (_V4("169.254.169.254/32"), "a link-local (cloud metadata)"),
    (_V4("169.254.0.0/16"), "a link-local"),
    (_V4("172.16.0.0/12"), "a private"),
    (_V4("192.0.0.0/24"), "a reserved"),
    (_V4("192.0.2.0/24"), "a reserved (documentation)"),
    (_V4("192.88.99.0/24"), "a reserved"),
    (_V4("192.168.0.0/16"), "a private"),
    (_V4("198.18.0.0/15"), "a reserved (benchmarking)"),
    (_V4("198.51.100.0/24"), "a reserved (documentation)"),
    (_V4("203.0.113.0/24"), "a reserved (documentation)"),
    (_V4("224.0.0.0/4"), "a multicast"),
    (_V4("240.0.0.0/4"), "a reserved"),
)
_V6_RANGES: tuple[tuple[IPNetwork, str], ...] = (
    (_V6("::/128"), "an unspecified"),
    (_V6("::1/128"), "a loopback"),
    (_V6("64:ff9b:1::/48"), "a private (local NAT64)"),
    (_V6("100::/64"), "a reserved (discard)"),
    (_V6("2001::/23"), "a reserved"),  # IETF protocol assignments, Teredo among them
    (_V6("2001:db8::/32"), "a reserved (documentation)"),
    (_V6("3fff::/20"), "a reserved (documentation)"),
    (_V6("fc00::/7"), "a private"),
    (_V6("fe80::/10"), "a link-local"),
    (_V6("fec0::/10"), "a private (site-local)"),
    (_V6("ff00::/8"), "a multicast"),
)
_V6_GLOBAL_UNICAST = _V6("2000::/3")  # everything outside it is unassigned or special
_V4_MAPPED = _V6("::ffff:0:0/96")
_V4_COMPATIBLE = _V6("::/96")
_NAT64 = _V6("64:ff9b::/96")

# The numeric host forms inet_aton accepts: 1 to 4 parts, each decimal, octal (leading 0)
# or hex (0x). Browsers and C resolvers both read `http://0x7f.1/` as 127.0.0.1.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?\Z")


def check_public_url(
    url: str, allow_private: bool = False, *, resolver: Resolver | None = None
) -> str | None:
    """None when `url` may be fetched, else a one-line reason naming the problem.

    With `allow_private` only the form is checked (scheme, host, credentials, length),
    not where the host points. Resolving uses the system resolver and may block for
    as long as DNS takes; `resolver` replaces it (tests).
    """
    if len(url) > MAX_URL_LENGTH:
        return f"URL is too long (over {MAX_URL_LENGTH} characters)"
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"invalid URL ({_one_line(str(exc))})"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"{scheme!r} URLs" if scheme else "URLs without a scheme"
        return f"{shown} cannot be fetched: only http and https"
    if "@" in parts.netloc:
        return "credentials in the URL are not allowed"
    host = parts.hostname
    if not host:
        return "the URL has no host"
    if any(ch.isspace() or ord(ch) < 32 or ch == "\x7f" for ch in host):
        return "invalid host in the URL"
    if allow_private:
        return None
    if _is_localhost(host):
        return f"{host} is a loopback host"
    literal = literal_address(host)
    if isinstance(literal, str):
        return literal
    if literal is not None:
        problem = address_problem(literal)
        return _describe(host, literal, problem) if problem else None
    try:
        addresses = (resolver or resolve_host)(host, port or (443 if scheme == "https" else 80))
    except (OSError, UnicodeError, ValueError):
        return f"cannot resolve host {host}"
    if not addresses:
        return f"cannot resolve host {host}"
    for address in addresses:
        problem = address_problem(address)
        if problem:
            return _describe(host, address, problem)
    return None


def address_problem(address: IPAddress) -> str | None:
    """None for a globally routable address, else what it is: "a private address"."""
    if isinstance(address, ipaddress.IPv6Address):
        address = ipaddress.IPv6Address(int(address))  # drop any %scope
        inner, form = _embedded_ipv4(address)
        if inner is not None:
            problem = address_problem(inner)
            return f"{problem} ({form} {inner})" if problem else None
        for network, kind in _V6_RANGES:
            if address in network:
                return f"{kind} address"
        if address not in _V6_GLOBAL_UNICAST:
            return "a reserved address"
        return None
    for network, kind in _V4_RANGES:
        if address in network:
            return f"{kind} address"
    return None


def literal_address(host: str) -> IPAddress | str | None:
    """The address a literal host names, a reason when it is a malformed number, or None
    for a name. `host` is as `urlsplit(...).hostname` gives it: lower case, no brackets."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not _NUMERIC_HOST.match(host):
        return None
    numbers: list[int] = []
    for part in host.rstrip(".").split("."):
        if len(part) > 12:  # no part of a valid address is longer (0x + 8 hex, or 11 octal)
            return f"{host} is not a valid IPv4 address"
        if part.startswith("0x"):
            numbers.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if not set(part) <= set("01234567"):
                return f"{host} is not a valid IPv4 address"
            numbers.append(int(part, 8))
        else:
            numbers.append(int(part))
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (4 - len(leading)):
        return f"{host} is not a valid IPv4 address"
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for `host`, in its order, without repeats."""
    found: list[IPAddress] = []
    for family, _, _, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(str(sockaddr[0]))
        if address not in found:
            found.append(address)
    return found


class GuardedBackend(httpcore.SyncBackend):
    """An httpcore network backend that opens TCP connections to public addresses only.

    `allowed` lists networks let through even though they are not public (an operator's
    own feed server; tests on 127.0.0.1).
    """

    def __init__(
        self, *, resolver: Resolver | None = None, allowed: Iterable[IPNetwork] = ()
    ) -> None:
        self._resolver = resolver or resolve_host
        self._allowed = tuple(allowed)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._checked_addresses(host, port)
        failure: Exception | None = None
        for address in addresses:  # like socket.create_connection: first that answers
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # _checked_addresses never returns an empty list
        raise failure

    def _checked_addresses(self, host: str, port: int) -> Sequence[IPAddress]:
        literal = literal_address(host.lower())
        if isinstance(literal, str):
            raise BlockedConnection(f"refused: {literal}")
        try:
            addresses = [literal] if literal is not None else self._resolver(host, port)
        except (OSError, UnicodeError, ValueError) as exc:
            # The text keeps the resolver's words, which UrlFetcher reads as "cannot resolve"
            raise httpcore.ConnectError(f"getaddrinfo: {_one_line(str(exc))}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"getaddrinfo: no address for {host}")
        for address in addresses:
            problem = address_problem(address)
            if problem and not any(address in network for network in self._allowed):
                raise BlockedConnection(f"refused: {_describe(host, address, problem)}")
        return addresses


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool whose backend is a `GuardedBackend`."""

    def __init__(self, backend: GuardedBackend) -> None:
        ssl_context = httpx.create_ssl_context()  # what a plain httpx.Client verifies with
        super().__init__(verify=ssl_context)
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError("httpx.HTTPTransport changed: cannot install the URL guard")
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


def guarded_transport(
    *, resolver: Resolver | None = None, allowed: Iterable[IPNetwork] = ()
) -> httpx.BaseTransport:
    """An httpx transport that refuses to connect to non-public addresses.

    A client given a transport ignores HTTP(S)_PROXY from the environment, which is what
    the guard needs: through a proxy, the address checked would be the proxy's.
    """
    return _GuardedTransport(GuardedBackend(resolver=resolver, allowed=allowed))


def guarded_fetcher(**kwargs: Any) -> UrlFetcher:
    """A `UrlFetcher` (same keyword arguments) whose every connection, robots.txt and
    redirects included, goes to a public address; a refusal is a one-line ReadFailure."""
    return UrlFetcher(transport=guarded_transport(), **kwargs)


def _describe(host: str, address: IPAddress, problem: str) -> str:
    """ "10.0.0.1 is a private address", or "db.local resolves to 10.0.0.1, a private address"."""
    if literal_address(host) is not None:
        return f"{host} is {problem}"
    return f"{host} resolves to {address}, {problem}"


def _is_localhost(host: str) -> bool:
    name = host.rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def _embedded_ipv4(
    address: ipaddress.IPv6Address,
) -> tuple[ipaddress.IPv4Address | None, str]:
    """The IPv4 address an IPv6 form carries, and the name of the form."""
    if address in _V4_MAPPED:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "IPv4-mapped"
    if address in _V4_COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "IPv4-compatible"
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "NAT64"
    if address.sixtofour is not None:
        return address.sixtofour, "6to4"
    return None, ""


def _one_line(text: str) -> str:
    return " ".join(text.split())
