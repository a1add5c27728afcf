"""Canonical URLs and outlet names derived from them."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|mc_cid|mc_eid|ocid|cmpid|ref|ref_src|rss|smid|"
    r"_ga|sr_share|feature|taid|icid|ito|at_medium|at_campaign|__twitter_impression)$",
    re.IGNORECASE,
)
_MULTI_PART_SUFFIXES = {
    "co.uk",
    "org.uk",
    "ac.uk",
    "gov.uk",
    "com.au",
    "net.au",
    "co.nz",
    "co.in",
    "co.za",
    "com.br",
    "com.ar",
    "com.mx",
    "co.jp",
    "ne.jp",
    "or.jp",
    "com.cn",
    "com.hk",
    "com.sg",
    "com.tr",
    "co.kr",
    "com.pk",
    "com.ng",
    "co.il",
    "com.ua",
    "com.my",
    "com.ph",
    "co.id",
}


def canonical_url(url: str) -> str | None:
    """Lower-case host, no www, no fragment, no tracking parameters, no trailing slash."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = urlencode(
        sorted(
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING.match(k)
        )
    )
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    return urlunsplit(("https", host, path, query, ""))


def domain_of(url: str | None) -> str | None:
    """The registrable domain ("bbc.co.uk" for "https://www.bbc.co.uk/news/...")."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.lower().rstrip(".")
    if _is_ip(host) or "." not in host:
        return host  # an address or "localhost": nothing to shorten
    labels = host.split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in _MULTI_PART_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:]) if len(labels) >= 2 else host


def country_of(domain: str | None) -> str | None:
    """The country-code TLD of a domain, as a hint for ambiguous zones and date order."""
    if not domain:
        return None
    tld = domain.rsplit(".", 1)[-1]
    return tld if len(tld) == 2 else None


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
