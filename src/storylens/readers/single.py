"""Shared logic for formats that hold one document per file (text dumps, HTML pages)."""

from __future__ import annotations

from typing import IO

from storylens.readers.base import (
    MAX_DOCUMENT_BYTES,
    MediaType,
    RawDocument,
    ReadFailure,
    ReadStream,
)


def read_single(stream: IO[bytes], source: str, media_type: MediaType) -> ReadStream:
    """Read a whole single-document file, refusing empty or oversized ones."""
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        yield ReadFailure(
            source,
            f"larger than the {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB limit for one document",
        )
        return
    if not data.strip():
        yield ReadFailure(source, "empty input")
        return
    yield RawDocument(source=source, data=data, media_type=media_type)
