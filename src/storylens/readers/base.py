"""What every reader yields: raw documents with their provenance, or failures.

Readers are the I/O edge. They stream (one document at a time, memory flat in the
number of documents), never raise for one bad record inside a container (they yield a
`ReadFailure` and go on), and hand the extractor the bytes plus whatever metadata the
container itself carried (feed entry fields, JSONL columns, HTTP/WARC headers) as hints.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

# Limits shared by all readers. A larger input is refused with a one-line reason rather
# than read into memory.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

MediaType = Literal["text/html", "text/plain", "record"]


@dataclass(frozen=True, slots=True)
class ValidatorUpdate:
    """HTTP validators to remember for `url` once what was fetched is safely stored."""

    url: str
    etag: str | None
    last_modified: str | None
    status: int


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One document as read, before extraction.

    `media_type` says how to extract: an HTML page, a plain-text page dump, or a
    structured record (JSONL/CSV/feed entry) whose `hints` already hold the fields.
    `hints` keys: title, text, html, summary, url, published, updated, authors (list),
    outlet, outlet_domain, language, external_id, wire. Values are as found (raw strings);
    the extractor parses and ranks them. `hint_source` names where hints came from
    ("feed", "record", "http", "warc").
    """

    source: str
    data: bytes
    media_type: MediaType
    url: str | None = None
    encoding: str | None = None
    hints: Mapping[str, Any] = field(default_factory=dict)
    hint_source: str = "record"
    # Set on fetched documents: remembered only after the article is stored, so an
    # interrupted ingest re-fetches instead of being told "304 Not Modified".
    validators: ValidatorUpdate | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """A document or record that could not be read; `str()` is the one-line report."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ReadSkip:
    """Nothing to read, and that is not an error (a 304 Not Modified, robots.txt)."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ReadCheckpoint:
    """Everything before this item in the stream came from `update.url`: once it is
    stored, remember the validators (a feed is marked read only after its entries)."""

    source: str
    update: ValidatorUpdate


FetchResult = RawDocument | ReadFailure | ReadSkip
ReadResult = RawDocument | ReadFailure | ReadSkip | ReadCheckpoint
ReadStream = Iterator[ReadResult]


class ValidatorCache(Protocol):
    """Remembers HTTP validators (ETag, Last-Modified) per URL for conditional GET.

    The store implements it, so polling a feed twice across runs sends
    If-None-Match / If-Modified-Since and honours a 304.
    """

    def get_validators(self, url: str) -> tuple[str | None, str | None] | None: ...

    def put_validators(
        self, url: str, etag: str | None, last_modified: str | None, status: int
    ) -> None: ...
