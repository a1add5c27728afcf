"""Article exports as records: JSON Lines, JSON documents, CSV and TSV.

Crawlers and datasets (news-please, Fundus, NewsAPI, AllSides, Kaggle dumps) already
hold the fields we want, under a dozen spellings. Each record becomes a `RawDocument`
whose hints carry those fields under our names (see `FIELD_ALIASES`); column names match
case- and punctuation-insensitively (``publishedAt`` = ``published_at``), and
`ReadOptions.columns` (our field -> input column) overrides the defaults.

JSON Lines is streamed one line at a time. A file that is one JSON document instead —
a pretty-printed object (news-please writes one per article), an array, or an object
wrapping one array of articles (NewsAPI's ``{"articles": [...]}``) — is read whole, so
only up to `MAX_DOCUMENT_BYTES`; a bigger one is refused with the `jq` line that turns
it into JSON Lines. CSV needs a header row; the delimiter comes from the format (by file
name) unless the header plainly uses another one (``;`` from European spreadsheets).

Each record is named ``file#line`` (the line it starts on); records inside a JSON
document add a JSON Pointer, ``file#1/articles/0``. A bad record (invalid JSON, not an
object, a row with the wrong number of fields, no text) is a `ReadFailure` under that
name and the file goes on; a CSV header without any text column fails the file once.
Text is UTF-8; a line that is not is decoded in the encoding guessed for the first such
line, and a UTF-16 byte-order mark (spreadsheet "Unicode text" exports) switches the
whole file.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import IO, Any

from storylens.readers import base
from storylens.readers.base import RawDocument, ReadFailure, ReadResult, ReadStream

__all__ = ["FIELD_ALIASES", "RecordMapper", "read"]

# Our field (a RawDocument hint key) -> input column names, most specific first.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "article_id", "doc_id", "guid", "uuid"),
    "url": ("url", "link", "article_url", "responded_url"),
    "title": ("title", "headline"),
    "text": ("text", "body", "content", "article", "maintext", "plaintext", "article_text"),
    "html": ("html", "raw_html"),
    "authors": ("authors", "author", "byline"),
    "published": (
        "published",
        "published_at",
        "date_publish",
        "pubdate",
        "publish_date",
        "publishing_date",
        "date",
    ),
    "updated": ("updated", "updated_at", "date_modify", "modified"),
    "outlet": ("outlet", "source", "publisher", "site_name"),
    # A domain, not a name: the outlet's name then comes from a profile or the domain.
    "outlet_domain": ("source_domain",),
    "language": ("language", "lang"),
    "summary": ("summary", "description"),
}
# Other names accepted on the left of ``--column FIELD=COLUMN``.
FIELD_SYNONYMS = {
    "id": "external_id",
    "date": "published",
    "author": "authors",
    "byline": "authors",
    "body": "text",
    "source": "outlet",
    "domain": "outlet_domain",
    "lang": "language",
}
_BODY_FIELDS = ("text", "html", "summary")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_DELIMITERS = (",", "\t", ";", "|")


def _key(name: str) -> str:
    """Column names compare without case or punctuation: 'Published At' = publishedAt."""
    return _NON_WORD.sub("", name.lower())


class ColumnError(ValueError):
    """`--column` names a field we do not have."""


class RecordMapper:
    """Finds our fields in one record, by the user's mapping or the usual aliases."""

    def __init__(self, columns: Mapping[str, str] | None = None) -> None:
        self.user: dict[str, str] = {}
        for name, column in (columns or {}).items():
            field = FIELD_SYNONYMS.get(name.strip().lower(), name.strip().lower())
            if field not in FIELD_ALIASES:
                known = ", ".join(sorted(FIELD_ALIASES))
                raise ColumnError(f"unknown field {name!r} in --column (fields: {known})")
            self.user[field] = column

    def locate(self, names: Iterable[str]) -> dict[str, str]:
        """Our field -> the record's key for it, for the keys a record has."""
        exact = set(names)
        by_key: dict[str, str] = {}
        for name in exact:
            by_key.setdefault(_key(name), name)
        found: dict[str, str] = {}
        for field, aliases in FIELD_ALIASES.items():
            if field in self.user:
                column = self.user[field]
                match = column if column in exact else by_key.get(_key(column))
                if match is not None:
                    found[field] = match
                continue
            for alias in aliases:
                match = by_key.get(_key(alias))
                if match is not None:
                    found[field] = match
                    break
        return found

    def missing_user_columns(self, names: Iterable[str]) -> list[str]:
        """User-mapped columns that a CSV header does not have."""
        located = self.locate(names)
        return [column for field, column in self.user.items() if field not in located]

    def hints(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record's fields under our names, as hint values (strings or lists)."""
        hints: dict[str, Any] = {}
        located = self.locate(record)
        for field, column in located.items():
            value = _convert(field, record[column])
            if value:
                hints[field] = value
        html = record.get(located["html"]) if "html" in located else None
        if "url" not in hints and isinstance(html, Mapping):  # Fundus: html.responded_url
            url = html.get("responded_url") or html.get("requested_url")
            if isinstance(url, str) and url.strip():
                hints["url"] = url.strip()
        return hints

    def document(self, record: Mapping[str, Any], where: str, data: bytes) -> ReadResult:
        """One record as a raw document, or a failure when it carries no text."""
        hints = self.hints(record)
        if not any(hints.get(name) for name in _BODY_FIELDS):
            return ReadFailure(
                where,
                f"record has no text, html or summary field (fields: {_names(record)}); "
                "name one with --column text=FIELD",
            )
        return RawDocument(
            source=where,
            data=data,
            media_type="record",
            url=hints.get("url"),
            hints=hints,
            hint_source="record",
        )


# ---------------------------------------------------------------------------- values


def _convert(field: str, value: Any) -> Any:
    """A record value as a hint: strings as found, lists for authors, None when empty."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if field in ("text", "summary"):
        return _text(value)
    if field == "html":
        content = value.get("content") if isinstance(value, Mapping) else value
        return content if isinstance(content, str) and content.strip() else None
    if field == "authors":
        return _authors(value)
    if field in ("published", "updated"):
        return _time(value)
    if isinstance(value, Mapping):  # NewsAPI {"name": "BBC News"}, MongoDB {"$oid": ...}
        value = value.get("$oid") if field == "external_id" else value.get("name")
    if isinstance(value, int | float) and field == "external_id":
        return str(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _text(value: Any) -> str | None:
    """Article text from a string, a list of paragraphs, or a Fundus body object."""
    parts: list[str] = []
    _collect(value, parts, depth=0)
    text = "\n\n".join(p.strip() for p in parts if p.strip())
    return text or None


def _collect(value: Any, parts: list[str], depth: int) -> None:
    if depth > 8:  # hostile nesting: text is never this deep in a real export
        return
    if isinstance(value, str):
        parts.append(value)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, parts, depth + 1)
    elif isinstance(value, Mapping):
        # Fundus ArticleBody: {"summary": [...], "sections": [{"headline", "paragraphs"}]}
        for key in ("summary", "headline", "paragraphs", "sections", "text"):
            if key in value:
                _collect(value[key], parts, depth + 1)


def _authors(value: Any) -> str | list[str] | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        value = [value]
    if isinstance(value, list | tuple):
        names = []
        for item in value:
            name = item.get("name") if isinstance(item, Mapping) else item
            if isinstance(name, str) and name.strip():
                names.append(name.strip())
        return names or None
    return None


def _time(value: Any) -> str | None:
    """A time as found; epoch numbers (seconds or milliseconds) become ISO UTC strings."""
    if isinstance(value, Mapping):  # MongoDB export: {"$date": "..."}
        value = value.get("$date")
    if isinstance(value, str):
        value = value.strip()
        if not (value.isdigit() and len(value) in (10, 13)):
            return value or None
        value = int(value)
    if isinstance(value, int | float):
        seconds = value / 1000 if value >= 1e11 else value
        if not 1e8 <= seconds < 1e10:
            return None
        moment = datetime.fromtimestamp(seconds, UTC)
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    return None


# ---------------------------------------------------------------------------- reading


def read(stream: IO[bytes], source: str, options: Any = None) -> ReadStream:
    """Stream the records of a JSON Lines, JSON, CSV or TSV file."""
    columns = getattr(options, "columns", None) or {}
    try:
        mapper = RecordMapper(columns)
    except ColumnError as exc:
        yield ReadFailure(source, str(exc))
        return
    lines = _LineSource(stream)
    fmt = getattr(options, "format", None) or _format_by_name(source)
    yielded = False
    try:
        if fmt in ("csv", "tsv"):
            results = _read_csv(lines, source, mapper, "\t" if fmt == "tsv" else ",")
        else:
            results = _read_json(lines, source, mapper)
        for result in results:
            yielded = True
            yield result
    finally:
        lines.release()
    if not yielded:  # an empty file, or a header without rows: say so, once
        yield ReadFailure(source, "empty input (no records)")


def _format_by_name(source: str) -> str:
    from storylens.readers import detect_format

    name = source.lower()
    if name.endswith((".tab", ".tab.gz")):
        return "tsv"
    return detect_format(source, b"")


class _LineSource:
    """Bounded lines of UTF-8-or-legacy bytes from a binary stream (or UTF-16 text)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = _peekable(stream)
        self.text: io.TextIOWrapper | None = None
        head = bytes(self.stream.peek(4)[:4])
        for bom, encoding in (
            (codecs.BOM_UTF32_LE, "utf-32"),
            (codecs.BOM_UTF32_BE, "utf-32"),
            (codecs.BOM_UTF16_LE, "utf-16"),
            (codecs.BOM_UTF16_BE, "utf-16"),
        ):
            if head.startswith(bom):
                self.text = io.TextIOWrapper(
                    self.stream, encoding=encoding, errors="replace", newline=""
                )
                break
        self.fallback: str | None = None

    def lines(self) -> Iterator[tuple[int, bytes | None]]:
        """(line number, line) from 1; the line is None when it is over the size limit."""
        limit = base.MAX_DOCUMENT_BYTES
        number = 0
        while True:
            line = self.readline(limit + 1)
            if not line:
                return
            number += 1
            if len(line) > limit:
                while line and not line.endswith(b"\n"):
                    line = self.readline(1024 * 1024)
                yield number, None
                continue
            if number == 1:
                line = line.removeprefix(codecs.BOM_UTF8)
            yield number, line

    def readline(self, limit: int) -> bytes:
        if self.text is not None:
            return self.text.readline(limit).encode("utf-8")
        return bytes(self.stream.readline(limit))

    def read(self, limit: int) -> bytes:
        if self.text is not None:
            return self.text.read(limit).encode("utf-8")
        return bytes(self.stream.read(limit))

    def decode(self, data: bytes) -> str:
        """UTF-8, else the legacy encoding guessed from the first line that is not."""
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        if self.fallback is None:
            self.fallback = _guess_encoding(data)
        return data.decode(self.fallback, errors="replace")

    def release(self) -> None:
        """Let go of the caller's stream without closing it."""
        if self.text is not None:
            self.text.detach()
            self.text = None


def _guess_encoding(data: bytes) -> str:
    """The legacy encoding of a line; windows-1252 when it ties with others.

    One line is a small sample: Latin text decodes equally well as windows-1250, -1252,
    -1257 and friends, and charset-normalizer then lists them in no useful order.
    Western exports are by far the most common, so a tie goes to windows-1252.
    """
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return "cp1252"
    best = matches[0]
    tied = {m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)}
    return "cp1252" if "cp1252" in tied else str(best.encoding)


class _RawAdapter(io.RawIOBase):
    """Any object with `read` as a raw stream, so it can be buffered and peeked."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _peekable(stream: IO[bytes]) -> io.BufferedReader:
    if isinstance(stream, io.BufferedReader):
        return stream
    return io.BufferedReader(_RawAdapter(stream), buffer_size=64 * 1024)


def _names(names: Iterable[str]) -> str:
    """Column names for a one-line message: untrusted, so flattened and cut short."""
    shown = [" ".join(str(name).split())[:40] for name in itertools.islice(names, 12)]
    return ", ".join(shown) or "none"


def _too_long(where: str) -> ReadFailure:
    mib = base.MAX_DOCUMENT_BYTES // (1024 * 1024)
    return ReadFailure(where, f"line longer than the {mib} MiB limit for one record")


# ---------------------------------------------------------------------------- JSON


def _read_json(lines: _LineSource, source: str, mapper: RecordMapper) -> ReadStream:
    started = False
    for number, line in lines.lines():
        if line is None:
            yield _too_long(f"{source}#{number}")
            started = True
            continue
        stripped = line.strip()
        if not stripped:
            continue
        if not started and (stripped.startswith(b"[") or stripped == b"{"):
            yield from _read_json_document(lines, source, number, line, mapper)
            return
        started = True
        yield from _json_line(lines, stripped, f"{source}#{number}", mapper)


def _json_line(lines: _LineSource, line: bytes, where: str, mapper: RecordMapper) -> ReadStream:
    try:
        value = json.loads(lines.decode(line))
    except RecursionError:
        yield ReadFailure(where, "invalid JSON (nested too deeply)")
        return
    except ValueError as exc:
        yield ReadFailure(where, f"invalid JSON ({_json_error(exc)})")
        return
    if not isinstance(value, dict):
        yield ReadFailure(where, f"not a JSON object but {_json_type(value)}")
        return
    yield from _json_records(value, where, line, mapper)


def _read_json_document(
    lines: _LineSource, source: str, number: int, first: bytes, mapper: RecordMapper
) -> ReadStream:
    """A file that is one JSON value: an object, or an array of objects."""
    limit = base.MAX_DOCUMENT_BYTES
    data = first + lines.read(limit + 1 - len(first))
    if len(data) > limit:
        yield ReadFailure(
            source,
            f"a JSON document over {limit // (1024 * 1024)} MiB is not streamed; "
            "write it as JSON Lines, one object a line (jq -c '.[]')",
        )
        return
    where = f"{source}#{number}"
    try:
        value = json.loads(lines.decode(data))
    except RecursionError:
        yield ReadFailure(where, "invalid JSON (nested too deeply)")
        return
    except ValueError as exc:
        yield ReadFailure(where, f"invalid JSON ({_json_error(exc, number - 1)})")
        return
    if isinstance(value, list):
        yield from _json_items(value, where, mapper)
        return
    if not isinstance(value, dict):
        yield ReadFailure(where, f"not a JSON object or array but {_json_type(value)}")
        return
    yield from _json_records(value, where, data.strip(), mapper)


def _json_records(
    value: dict[str, Any], where: str, data: bytes, mapper: RecordMapper
) -> ReadStream:
    """One object as a record, or the articles it wraps (NewsAPI ``{"articles": [...]}``).

    Records inside a value are named by a JSON Pointer after the line: ``file#1/articles/0``.
    """
    inner = _article_list(value, mapper)
    if inner is None:
        yield mapper.document(value, where, data)
        return
    pointer, items = inner
    yield from _json_items(items, where + pointer, mapper)


def _json_items(items: list[Any], where: str, mapper: RecordMapper) -> ReadStream:
    for index, item in enumerate(items):
        item_where = f"{where}/{index}"
        if not isinstance(item, dict):
            yield ReadFailure(item_where, f"not a JSON object but {_json_type(item)}")
            continue
        encoded = json.dumps(item, ensure_ascii=False, sort_keys=True).encode("utf-8")
        yield mapper.document(item, item_where, encoded)


def _article_list(value: dict[str, Any], mapper: RecordMapper) -> tuple[str, list[Any]] | None:
    """The one list of objects inside a wrapper object without text of its own."""
    if any(field in mapper.locate(value) for field in _BODY_FIELDS):
        return None
    lists = [
        (key, item)
        for key, item in value.items()
        if isinstance(item, list) and item and all(isinstance(i, dict) for i in item)
    ]
    if len(lists) != 1:
        return None
    key, items = lists[0]
    return "/" + key.replace("~", "~0").replace("/", "~1"), items


def _json_error(exc: ValueError, line_offset: int = 0) -> str:
    if isinstance(exc, json.JSONDecodeError):
        if line_offset or exc.lineno > 1:
            return f"{exc.msg} at line {exc.lineno + line_offset} column {exc.colno}"
        return f"{exc.msg} at column {exc.colno}"
    return " ".join(str(exc).split())[:200]


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


# ---------------------------------------------------------------------------- CSV


class _CsvLines:
    """Decoded physical lines for `csv.reader`, numbered, remembering the too-long ones."""

    def __init__(self, lines: _LineSource) -> None:
        self.source = lines
        self.number = 0  # physical line number of the last line handed out
        self.overlong: set[int] = set()
        self._lines = lines.lines()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        self.number, line = next(self._lines)
        if line is None:
            self.overlong.add(self.number)
            return "\n"
        return self.source.decode(line)


def _read_csv(lines: _LineSource, source: str, mapper: RecordMapper, delimiter: str) -> ReadStream:
    csv.field_size_limit(max(csv.field_size_limit(), base.MAX_DOCUMENT_BYTES))
    physical = _CsvLines(lines)
    first = next((line for line in physical if line.strip()), None)
    if first is None:
        return
    header_line = physical.number
    reader = csv.reader(itertools.chain([first], physical), delimiter=_delimiter(first, delimiter))
    try:
        header = [name.strip() for name in next(reader)]
    except csv.Error as exc:
        yield ReadFailure(f"{source}#{header_line}", f"unreadable CSV header ({exc})")
        return
    problem = _header_problem(header, mapper)
    if problem:
        yield ReadFailure(f"{source}#{header_line}", problem)
        return
    yield from _csv_rows(reader, physical, header, source, mapper)


def _csv_rows(
    reader: Iterator[list[str]],
    physical: _CsvLines,
    header: list[str],
    source: str,
    mapper: RecordMapper,
) -> ReadStream:
    while True:
        start = physical.number + 1  # csv.reader pulls lines only as a row needs them
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield ReadFailure(f"{source}#{start}", f"unreadable CSV row ({exc})")
            continue
        where = f"{source}#{start}"
        if any(start <= n <= physical.number for n in physical.overlong):
            yield _too_long(where)
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield ReadFailure(where, f"expected {len(header)} fields, found {len(row)}")
            continue
        record = dict(zip(header, row, strict=True))
        data = json.dumps(record, ensure_ascii=False).encode("utf-8")
        yield mapper.document(record, where, data)


def _delimiter(header_line: str, expected: str) -> str:
    """The format's delimiter, unless the header plainly uses another one."""
    if expected in header_line:
        return expected
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else expected


def _header_problem(header: list[str], mapper: RecordMapper) -> str | None:
    if not any(header):
        return "the header row is empty"
    missing = mapper.missing_user_columns(header)
    if missing:
        return f"--column names {_names(map(repr, missing))}, not in the header"
    located = mapper.locate(header)
    if not any(field in located for field in _BODY_FIELDS):
        return (
            f"no text, html or summary column in the header ({_names(header)}); "
            "name one with --column text=COLUMN"
        )
    return None
