"""WARC and ARC archives (Common Crawl, CC-NEWS, Heritrix, wget): the HTML responses.

warcio parses the container: ARC (converted to WARC headers), per-record gzip, chunked
transfer encoding and gzip/deflate/brotli content encoding. What it does not do is
survive bad input: one broken header ends its iterator, a gzip member that goes bad is
reported on stderr and silently truncated, and a header line without a newline is read
into memory whole. The small subclasses below turn those cases into exceptions, and
`read` turns every exception into a `ReadFailure` naming ``file#offset``, then seeks to
the next record it can verify and goes on. A stream that cannot seek (stdin) cannot be
resynchronised, so it stops at its first broken record.

Only ``response`` records with HTTP status 200 and an HTML content type become documents;
requests, metadata, warcinfo, revisits, redirects, errors and non-HTML payloads are not
articles and are skipped silently. WARC-Date is the crawl time, not the publication
time, so no record header becomes a time hint.

Memory stays flat in the number of records: warcio streams, and a record whose block is
larger than `MAX_DOCUMENT_BYTES` is refused from its header without reading its body.
"""

from __future__ import annotations

import codecs
import gzip
import logging
import re
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader, DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.utils import BUFF_SIZE

from storylens.readers import base
from storylens.readers.base import RawDocument, ReadFailure, ReadResult, ReadSkip, ReadStream

__all__ = ["HTML_TYPES", "read"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

# A WARC/HTTP header line longer than this is not a header: refuse it instead of
# reading a newline-free file into memory.
MAX_HEADER_LINE = 1024 * 1024
_SCAN_BLOCK = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MARKER = b"\nWARC/1."
# warcio logs a warning for each odd target URI; keep it off stderr unless the caller
# configured logging (a library must not print for every record of a damaged archive).
logging.getLogger("warcio").addHandler(logging.NullHandler())

_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)


class _CorruptArchive(Exception):
    """The container's own gzip stream went bad: the iterator cannot go on from here."""


class _CorruptContent(Exception):
    """One record's content encoding is broken; the records after it are unaffected."""


class _SingleMemberGzip(Exception):
    """The whole archive is one gzip member (``gzip file.warc``), not one per record."""


def _decompress_or_raise(
    reader: Any, data: bytes, error: type[Exception], compressed: bool = False
) -> bytes | None:
    """Decompress, raising instead of warcio's silent truncation.

    On the very first block of a stream warcio's own fallback ("not compressed after
    all") is right, so None hands the call back to it; once the stream is known to be
    compressed (`compressed`, or a block already decompressed) a failure is corruption.
    """
    if not (reader.decompressor and data and (compressed or reader.num_block_read > 0)):
        return None
    try:
        return bytes(reader.decompressor.decompress(data))
    except Exception as exc:  # zlib.error, brotli.error: both mean corrupt data
        raise error(f"corrupt {reader.decomp_type} data ({exc})") from exc


class _ArchiveReader(DecompressingBufferedReader):  # type: ignore[misc]
    """warcio's record reader with bounded header lines and loud gzip corruption.

    warcio treats a gzip member whose first block does not inflate as uncompressed data
    and parses the compressed bytes as headers, reporting the damage records later at
    the wrong offset; once one member has inflated, every later one must too.
    """

    gzip_seen = False
    fed = False  # the current gzip member has been given input

    def _init_decomp(self, decomp_type: str | None) -> None:
        super()._init_decomp(decomp_type)
        self.fed = False

    def _decompress(self, data: bytes) -> bytes:
        if self.decompressor is not None and data:
            self.fed = True
        result = _decompress_or_raise(self, data, _CorruptArchive, self.gzip_seen)
        if result is None:
            result = bytes(super()._decompress(data))
        if self.decompressor is not None and result:
            self.gzip_seen = True
        return result

    def consumed(self) -> int:
        """Decompressed bytes handed out so far (to tell a clean end from a cut one)."""
        unread = self.buff_size - self.buff.tell() if self.buff else 0
        return int(self.num_read) - unread

    def member_cut(self) -> bool:
        """A gzip member was started but the file ended before its end."""
        return bool(self.decompressor is not None and self.fed and not self.decompressor.eof)

    def readline(self, length: int | None = None) -> bytes:
        limit = MAX_HEADER_LINE if length is None else min(length, MAX_HEADER_LINE)
        parts: list[bytes] = []
        total = 0
        while total < limit:
            self._fillbuff()
            if self.empty():
                break
            piece = self.buff.readline(limit - total)
            parts.append(piece)
            total += len(piece)
            if piece.endswith(b"\n"):
                break
        line = b"".join(parts)
        if total >= MAX_HEADER_LINE and not line.endswith(b"\n"):
            raise ArchiveLoadFailed(f"a header line is longer than {MAX_HEADER_LINE} bytes")
        return line


def _content_is_compressed(reader: Any, data: bytes) -> bool:
    """gzip magic in the first block: then a failure to inflate is damage, not plain text."""
    return reader.num_block_read == 0 and reader.decomp_type == "gzip" and data[:2] == b"\x1f\x8b"


class _ContentReader(BufferedReader):  # type: ignore[misc]
    """Content-Encoding decoding that reports corruption instead of truncating."""

    def _decompress(self, data: bytes) -> bytes:
        compressed = _content_is_compressed(self, data)
        result = _decompress_or_raise(self, data, _CorruptContent, compressed)
        return result if result is not None else bytes(super()._decompress(data))


class _ChunkedContentReader(ChunkedDataReader):  # type: ignore[misc]
    """Chunked transfer decoding, with the same loud content decoding."""

    def _decompress(self, data: bytes) -> bytes:
        compressed = _content_is_compressed(self, data)
        result = _decompress_or_raise(self, data, _CorruptContent, compressed)
        return result if result is not None else bytes(super()._decompress(data))


class _Archive(ArchiveIterator):  # type: ignore[misc]
    """warcio's iterator, made to report damage instead of ending or writing to stderr.

    The record loop is warcio's, with two changes: single-member gzip is recognised by
    the next record's header turning up inside the same member, and a record cut short
    by the end of the file is remembered instead of passing for a clean end.
    """

    def __init__(self, fileobj: Any) -> None:
        super().__init__(fileobj, arc2warc=True)
        self.reader = _ArchiveReader(self.fh, block_size=BUFF_SIZE)
        self.the_iter = self._iterate()
        self.stray_line = False
        self.cut_short = False

    def take_stray(self) -> bool:
        """Whether the record just finished ran past its Content-Length (then forget it)."""
        stray, self.stray_line = self.stray_line, False
        return stray

    def _iterate(self) -> Iterator[Any]:
        reader = self.reader
        while True:
            try:
                self.record = self._next_record(self.next_line)
            except EOFError:
                if reader.decompressor is not None and reader.read_next_member():
                    continue  # an empty gzip member
                break
            yield self.record
            self.read_to_end()
            if int(getattr(self.record.raw_stream, "limit", 0) or 0) > 0:
                self.cut_short = True  # the file ended inside this record
                break
            decompressor = reader.decompressor
            if decompressor is not None:
                if self.next_line is not None:
                    raise _SingleMemberGzip  # the next record is inside the same member
                if not decompressor.eof or not reader.read_next_member():
                    break  # the end (or a cut inside the gzip trailer: the record is whole)
        self.close()

    def _next_record(self, next_line: bytes | None) -> Any:
        # warcio reads EOFError as "no more records", also when the file ends inside a
        # record's headers or a gzip stream is cut; only a clean end may stop quietly.
        before = self.reader.consumed()
        try:
            return super()._next_record(next_line)
        except EOFError as exc:
            if (
                next_line
                or str(exc)
                or self.reader.consumed() != before
                or self.reader.member_cut()
            ):
                raise ArchiveLoadFailed("truncated record: the file ends inside it") from exc
            raise
        except (AttributeError, TypeError, ValueError, IndexError) as exc:
            # e.g. a response record without WARC-Target-URI crashes warcio's parser
            raise ArchiveLoadFailed(f"invalid record headers ({exc})") from exc

    def _consume_blanklines(self) -> tuple[bytes | None, int]:
        # warcio's version, minus the warning it writes to stderr when a record's
        # Content-Length was wrong; the stray line marks the record as damaged instead.
        empty_size = 0
        first_line = True
        while True:
            line = self.reader.readline()
            if not line:
                return None, empty_size
            if not line.rstrip() or first_line:
                self.stray_line = self.stray_line or bool(line.rstrip())
                empty_size += len(line)
                first_line = False
                continue
            return line, empty_size


@dataclass(frozen=True, slots=True)
class _Break:
    """Why an iterator had to stop, and where."""

    offset: int
    reason: str
    records: int  # how many records the iterator had produced
    single_member: bool = False


def read(stream: IO[bytes], source: str, options: Any = None) -> ReadStream:
    """Stream the HTML responses of a WARC or ARC file (plain, per-record gzip or gzip).

    An archive with records but no HTML page yields one `ReadSkip`, so a batch reports
    it instead of passing over it in silence; one with no record at all is a failure.
    """
    counter = _Counter()
    yielded = False
    for result in _read(stream, source, counter):
        yielded = True
        yield result
    if not yielded:
        if counter.records:
            yield ReadSkip(source, f"no HTML responses among its {counter.records} records")
        else:
            yield ReadFailure(source, "empty input (no archive records)")


@dataclass(slots=True)
class _Counter:
    records: int = 0


def _read(stream: IO[bytes], source: str, counter: _Counter) -> ReadStream:
    seekable = _seekable(stream)
    start = stream.tell() if seekable else 0
    gzipped = _starts_with_gzip(stream, seekable)
    position: int | None = start
    while position is not None:
        if seekable:
            stream.seek(position)
        stop = yield from _records(_Archive(stream), source, counter)
        if stop is None:
            return
        if stop.single_member:
            yield from _read_single_member(stream, source, start, stop, seekable, counter)
            return
        position = _resync(stream, stop.offset, position, gzipped) if seekable else None
        yield ReadFailure(f"{source}#{stop.offset}", stop.reason)


def _read_single_member(
    stream: IO[bytes], source: str, start: int, stop: _Break, seekable: bool, counter: _Counter
) -> ReadStream:
    """Re-read a whole-file gzip through `gzip`; offsets are then into the unzipped data."""
    if not seekable:
        yield ReadFailure(
            source,
            "the whole archive is one gzip member, which cannot be read from a pipe; "
            "pipe it through gunzip, or run `warcio recompress`",
        )
        return
    stream.seek(start)
    stop2 = yield from _records(_Archive(_Gunzip(stream)), source, counter, skip=stop.records)
    if stop2 is not None:
        yield ReadFailure(f"{source}#{stop2.offset}", stop2.reason)


class _Gunzip:
    """A whole-file gzip read piecewise, so a cut file gives up what it holds.

    `GzipFile.read(n)` discards the data it has inflated when the file ends early;
    `read1` does not. The archive's own checks then report the cut record.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._file = gzip.GzipFile(fileobj=raw, mode="rb")
        self._position = 0
        self._ended = False

    def read(self, size: int = -1) -> bytes:
        if self._ended:
            return b""
        try:
            data = self._file.read1(size if size > 0 else BUFF_SIZE)
        except EOFError:
            self._ended = True
            return b""
        self._position += len(data)
        return data

    def tell(self) -> int:
        return self._position


def _records(
    archive: _Archive, source: str, counter: _Counter, skip: int = 0
) -> Generator[ReadResult, None, _Break | None]:
    """Yield documents and per-record failures until the archive ends or breaks.

    A document is held back until the iterator has moved past its record: only then
    does warcio see whether the record really ended where its Content-Length said.
    """
    records = iter(archive)
    count = 0
    pending: ReadResult | None = None
    last: int | None = None  # offset of the record before this one
    while True:
        record: Any = None
        stop: _Break | None = None
        try:
            record = next(records)
        except StopIteration:
            pass
        except _SingleMemberGzip:
            stop = _Break(archive.offset, "single gzip member", count, single_member=True)
        except Exception as exc:  # warcio raises many types on bad input; all mean the same
            stop = _Break(archive.offset, _describe(exc), count)
        overran = archive.take_stray()
        if archive.cut_short and pending is None and last is not None:
            pending = ReadFailure(f"{source}#{last}", "truncated record: the file ends inside it")
        if pending is not None:
            yield _overrun(pending) if overran else pending
            pending = None
        if record is None:
            return stop
        count += 1
        if count <= skip:
            continue
        counter.records += 1
        offset = last = archive.offset
        try:
            pending = _convert(record, f"{source}#{offset}")
        except _CorruptArchive as exc:
            return _Break(offset, str(exc), count)
        except Exception as exc:
            pending = ReadFailure(f"{source}#{offset}", _describe(exc))


def _overrun(result: ReadResult) -> ReadResult:
    if isinstance(result, RawDocument):
        return ReadFailure(result.source, "record runs past its Content-Length (damaged archive)")
    return result


def _convert(record: Any, where: str) -> ReadResult | None:
    """One record as a document, a failure, or None when it is not an HTML page."""
    http = record.http_headers
    if record.rec_type != "response" or http is None:
        return None
    if str(http.get_statuscode()).strip() != "200":
        return None
    content_type = http.get_header("Content-Type") or record.rec_headers.get_header(
        "WARC-Identified-Payload-Type"
    )
    media_type, charset = parse_content_type(content_type)
    if media_type not in HTML_TYPES:
        return None
    limit = base.MAX_DOCUMENT_BYTES
    if record.length is None:
        return ReadFailure(where, "record has no Content-Length")
    if record.length > limit:
        return ReadFailure(where, _too_large(limit))
    data = _content_stream(record).read(limit + 1)
    if len(data) > limit:
        return ReadFailure(where, _too_large(limit))
    missing = _drain(record.raw_stream)
    if missing:
        return ReadFailure(where, f"record truncated: the file ends {missing} bytes early")
    if not data.strip():
        return ReadFailure(where, "empty response body")
    url = record.rec_headers.get_header("WARC-Target-URI")
    return RawDocument(
        source=where,
        data=data,
        media_type="text/html",
        url=url.strip() if url else None,
        encoding=charset,
        hints={},
        hint_source="warc",
    )


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """Media type and a charset Python knows, from a Content-Type header value."""
    if not value:
        return None, None
    media_type = value.split(";", 1)[0].strip().lower() or None
    match = _CHARSET.search(value)
    if not match:
        return media_type, None
    label = match.group(1).lower()
    try:
        codecs.lookup(label)
    except LookupError:
        return media_type, None
    return media_type, label


def _content_stream(record: Any) -> Any:
    """The HTTP payload with chunking and content encoding undone."""
    http = record.http_headers
    encoding = (http.get_header("Content-Encoding") or "").strip().lower() or None
    if encoding not in BufferedReader.get_supported_decompressors():
        encoding = None
    chunked = "chunked" in (http.get_header("Transfer-Encoding") or "").lower()
    if chunked:
        return _ChunkedContentReader(record.raw_stream, decomp_type=encoding)
    if encoding:
        return _ContentReader(record.raw_stream, decomp_type=encoding)
    return record.raw_stream


def _drain(raw: Any) -> int:
    """Read a record's block to its end; returns how many bytes the file was short."""
    while raw.read(BUFF_SIZE):
        pass
    return max(int(getattr(raw, "limit", 0) or 0), 0)


def _resync(stream: IO[bytes], failed_at: int, floor: int, gzipped: bool) -> int | None:
    """Offset of the next verifiable record after a broken one, or None at the end."""
    begin = max(failed_at, floor)
    if gzipped:
        return _scan(stream, begin + 1, _GZIP_MAGIC, 0, _gzip_member_ok)
    return _scan(stream, begin, _WARC_MARKER, 1, None)


def _scan(
    stream: IO[bytes],
    begin: int,
    marker: bytes,
    skip: int,
    verify: Any,
) -> int | None:
    """Find `marker` at or after `begin`; `skip` bytes of it precede the record itself."""
    stream.seek(begin)
    carry = b""
    position = begin  # stream offset of the first byte after `carry`
    while True:
        block = stream.read(_SCAN_BLOCK)
        if not block:
            return None
        window = carry + block
        window_start = position - len(carry)
        position += len(block)
        found = window.find(marker)
        while found >= 0:
            candidate = window_start + found + skip
            if verify is None or verify(stream, candidate):
                return candidate
            found = window.find(marker, found + 1)
        stream.seek(position)
        carry = window[-(len(marker) - 1) :]


def _gzip_member_ok(stream: IO[bytes], offset: int) -> bool:
    """True when a gzip member starting at `offset` decompresses to an archive record."""
    stream.seek(offset)
    try:
        head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(stream.read(4096), 64)
    except zlib.error:
        return False
    return head.startswith(b"WARC/") or head.split(b"://", 1)[0] in (
        b"http",
        b"https",
        b"filedesc",
        b"dns",
        b"ftp",
    )


def _seekable(stream: IO[bytes]) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _starts_with_gzip(stream: IO[bytes], seekable: bool) -> bool:
    peek = getattr(stream, "peek", None)
    if peek is not None:
        return bytes(peek(2)[:2]) == b"\x1f\x8b"
    if not seekable:
        return False
    here = stream.tell()
    head = stream.read(2)
    stream.seek(here)
    return head == b"\x1f\x8b"


def _too_large(limit: int) -> str:
    return f"record larger than the {limit // (1024 * 1024)} MiB limit for one document"


def _describe(exc: BaseException) -> str:
    """A one-line reason from a warcio or decompression error."""
    if isinstance(exc, EOFError):
        return f"truncated archive ({exc})" if str(exc) else "truncated archive"
    text = " ".join(str(exc).split())
    if isinstance(exc, ArchiveLoadFailed | _CorruptArchive):
        return text[:300] or "unreadable archive record"
    name = exc.__class__.__name__
    return f"unreadable archive record ({name}: {text[:300]})" if text else f"unreadable ({name})"
