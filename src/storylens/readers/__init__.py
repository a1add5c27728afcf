"""Open any input — file, directory, glob, stdin, URL — and stream raw documents.

`read_inputs` is the one entry point: it expands targets, sniffs each file's format
from its name and first bytes, and dispatches to the reader module for that format.
Reader modules are imported lazily so `storylens extract page.txt` does not pay for
warcio or feedparser.
"""

from __future__ import annotations

import glob
import gzip
import importlib
import io
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from storylens.readers.base import (
    FetchResult,
    RawDocument,
    ReadCheckpoint,
    ReadFailure,
    ReadResult,
    ReadStream,
    ValidatorCache,
)

__all__ = [
    "FORMATS",
    "RawDocument",
    "ReadFailure",
    "ReadOptions",
    "detect_format",
    "read_inputs",
    "read_stream",
]

# format name -> module implementing `read(stream, source, options) -> ReadStream`
FORMATS: dict[str, str] = {
    "text": "storylens.readers.text",
    "html": "storylens.readers.html",
    "feed": "storylens.readers.feeds",
    "warc": "storylens.readers.warc",
    "jsonl": "storylens.readers.tabular",
    "csv": "storylens.readers.tabular",
    "tsv": "storylens.readers.tabular",
}

_SNIFF_BYTES = 4096


class Fetcher(Protocol):
    """Fetches a URL into a raw document (see `storylens.readers.url`)."""

    def fetch(self, url: str) -> FetchResult: ...


@dataclass(slots=True)
class ReadOptions:
    """Reader settings that come from the command line or the caller."""

    format: str | None = None  # force a format instead of sniffing
    columns: Mapping[str, str] = field(default_factory=dict)  # our field -> input column
    fetch_linked: bool = True  # feeds: fetch the page when an entry carries only a summary
    fetcher: Fetcher | None = None  # used for URLs and linked pages; built lazily
    validators: ValidatorCache | None = None  # conditional GET across runs (the store)
    request_interval: float = 1.0  # seconds between requests to one host
    user_agent: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def get_fetcher(self) -> Fetcher:
        if self.fetcher is None:
            from storylens.readers.url import DEFAULT_USER_AGENT, UrlFetcher

            self.fetcher = UrlFetcher(
                validators=self.validators,
                defer_validators=True,
                min_interval=self.request_interval,
                user_agent=self.user_agent or DEFAULT_USER_AGENT,
            )
        return self.fetcher


def is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def detect_format(name: str, head: bytes) -> str:
    """Guess an input's format from its name and first bytes (content wins on conflict)."""
    lower = name.lower()
    for suffix in (".gz", ".bz2"):
        if lower.endswith(suffix):
            lower = lower[: -len(suffix)]
    if head.startswith(b"WARC/") or lower.endswith((".warc", ".arc")):
        return "warc"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lower.endswith((".jsonl", ".ndjson", ".jsonlines")) or (
        lower.endswith(".json") and stripped.startswith((b"{", b"["))
    ):
        return "jsonl"
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".tsv"):
        return "tsv"
    if stripped.startswith(b"<"):
        window = stripped[:_SNIFF_BYTES]
        if (b"<rss" in window or b"<feed" in window or b"<rdf:rdf" in window) and (
            b"<html" not in window
        ):
            return "feed"
        return "html"
    if lower.endswith((".rss", ".atom", ".xml")):
        return "feed"
    if lower.endswith((".html", ".htm", ".xhtml", ".shtml")):
        return "html"
    return "text"


def read_stream(stream: IO[bytes], source: str, options: ReadOptions | None = None) -> ReadStream:
    """Read one open binary stream (a file, stdin, a response body)."""
    options = options or ReadOptions()
    buffered = _peekable(stream)
    try:
        head = buffered.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
    except (OSError, ValueError) as exc:
        yield ReadFailure(source, f"unreadable ({exc.__class__.__name__}: {exc})")
        return
    fmt = options.format or detect_format(source, head)
    if head[:2] == b"\x1f\x8b" and fmt != "warc":
        buffered = _peekable(gzip.GzipFile(fileobj=buffered))
        try:
            inner_head = buffered.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
        except (OSError, EOFError, zlib.error) as exc:
            yield ReadFailure(source, f"corrupt gzip data ({exc})")
            return
        fmt = options.format or detect_format(source, inner_head)
    module = importlib.import_module(FORMATS[fmt])
    try:
        yield from module.read(buffered, source, options)
    except (EOFError, zlib.error) as exc:  # gzip damage past the first block
        yield ReadFailure(source, f"corrupt gzip data ({exc})")


def _peekable(stream: IO[bytes] | gzip.GzipFile) -> io.BufferedReader:
    """A stream whose first bytes can be looked at without consuming them."""
    if isinstance(stream, io.BufferedReader):
        return stream
    size = max(_SNIFF_BYTES, io.DEFAULT_BUFFER_SIZE)
    return io.BufferedReader(stream, buffer_size=size)  # type: ignore[arg-type]


# Files a directory of news commonly holds beside the articles: skipped when walking a
# directory (a file named on the command line is always read).
_NOT_ARTICLES = re.compile(
    r"^(?:readme|license|licence|copying|changelog|notice|authors)(?:\.\w+)?$"
    r"|\.(?:toml|ini|cfg|conf|ya?ml|py|sh|js|css|map|lock|db|sqlite3?|db-wal|db-shm|parquet"
    r"|png|jpe?g|gif|webp|svg|ico|bmp|tiff?|mp[34]|wav|ogg|woff2?|ttf|pdf|zip|tar|7z)$",
    re.IGNORECASE,
)


def _is_beside_the_news(name: str) -> bool:
    return bool(_NOT_ARTICLES.search(name))


def _expand(target: str) -> Iterator[str | ReadFailure]:
    if target == "-" or is_url(target):
        yield target
        return
    path = Path(target)
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and not _is_beside_the_news(name):
                    yield str(Path(root) / name)
        return
    if path.exists():
        yield target
        return
    if glob.has_magic(target):
        matches = sorted(glob.glob(target, recursive=True))
        if not matches:
            yield ReadFailure(target, "no file matches this pattern")
        for match in matches:
            yield from _expand(match)
        return
    yield ReadFailure(target, "no such file or directory")


def read_inputs(targets: Iterable[str], options: ReadOptions | None = None) -> ReadStream:
    """Stream raw documents from every target, in a deterministic order."""
    options = options or ReadOptions()
    for target in targets:
        for item in _expand(target):
            if isinstance(item, ReadFailure):
                yield item
            elif item == "-":
                yield from read_stream(sys.stdin.buffer, "<stdin>", options)
            elif is_url(item):
                yield from _read_url(item, options)
            else:
                yield from _read_path(item, options)


def _read_path(path: str, options: ReadOptions) -> ReadStream:
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the generator drains
    except OSError as exc:
        yield ReadFailure(path, f"cannot open ({exc.strerror or exc})")
        return
    with handle:
        try:
            yield from read_stream(handle, path, options)
        except OSError as exc:
            yield ReadFailure(path, f"read error ({exc.strerror or exc})")


def _read_url(url: str, options: ReadOptions) -> ReadStream:
    fetched = options.get_fetcher().fetch(url)
    if not isinstance(fetched, RawDocument):
        yield fetched
        return
    head = fetched.data[:_SNIFF_BYTES]
    fmt = options.format or detect_format(url, head)
    if fmt in ("html", "text"):
        yield fetched
        return
    module = importlib.import_module(FORMATS[fmt])
    data = _with_http_charset(fetched.data, fetched.encoding) if fmt == "feed" else fetched.data
    yield from module.read(io.BytesIO(data), url, options)
    if fetched.validators is not None:
        yield ReadCheckpoint(url, fetched.validators)


_XML_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=", re.IGNORECASE)


def _with_http_charset(data: bytes, charset: str | None) -> bytes:
    """XML that declares no encoding takes the HTTP header's charset: transcode to UTF-8."""
    if not charset or charset.lower() in ("utf-8", "utf8") or _XML_DECLARED_ENCODING.match(data):
        return data
    try:
        return data.decode(charset).encode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return data


def read_bytes(data: bytes, source: str, options: ReadOptions | None = None) -> list[ReadResult]:
    """Convenience for callers holding bytes (tests, the web upload endpoint)."""
    return list(read_stream(io.BytesIO(data), source, options))
