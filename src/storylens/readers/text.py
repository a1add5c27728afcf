"""Plain-text page dumps (copy-pasted or saved pages, furniture included)."""

from __future__ import annotations

from typing import IO, Any

from storylens.readers.base import ReadStream
from storylens.readers.single import read_single


def read(stream: IO[bytes], source: str, options: Any = None) -> ReadStream:
    return read_single(stream, source, "text/plain")
