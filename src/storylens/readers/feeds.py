"""RSS and Atom feeds: one raw document per entry, the entry's own metadata as hints.

feedparser reads every feed dialect, but its `*_parsed` dates are UTC `struct_time`s
that drop the publisher's offset (feedparser #51) and misread some forms (#75: "2016/6/29"
becomes June 1; #20/#160: "MEST"). So the entry's date strings go to the extractor raw,
as written, and `extract.times.parse_time` reads them keeping the offset.

An entry becomes one of:

- a "record" with `hints["html"]` when it carries the full article (content:encoded or
  Atom content of more than `FULL_CONTENT_CHARS` characters of text);
- the linked page, fetched, as "text/html" with the entry's metadata as hints, so what the
  feed says competes with what the page says (`ReadOptions.fetch_linked`);
- otherwise, or when the page cannot be had, a "record" holding the summary, so an entry
  is never dropped for want of its page.

Polling: a feed URL is fetched by `readers._read_url` through the fetcher, which sends
If-None-Match / If-Modified-Since; an unchanged feed costs one 304 and reads nothing.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import feedparser

from storylens.extract.urls import domain_of
from storylens.readers import ReadOptions
from storylens.readers.base import (
    MAX_DOCUMENT_BYTES,
    RawDocument,
    ReadFailure,
    ReadSkip,
    ReadStream,
)
from storylens.readers.url import NOT_MODIFIED, human_size

__all__ = ["FULL_CONTENT_CHARS", "MAX_FEED_BYTES", "read"]

# A feed is parsed whole (feedparser has no streaming mode), so its size is bounded like
# one document. feedparser needs about 1 s per MB with HTML sanitising on.
MAX_FEED_BYTES = MAX_DOCUMENT_BYTES
# Entry content with more text than this is taken to be the whole article, not a teaser.
FULL_CONTENT_CHARS = 1000

_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class _Feed:
    """What the channel says about every entry in it."""

    source: str
    title: str | None
    link: str | None
    domain: str | None
    language: str | None
    rss: bool  # an RSS dialect, where dc:date is the publication date


def read(stream: IO[bytes], source: str, options: ReadOptions | None = None) -> ReadStream:
    """Yield one raw document (or failure) per entry of the feed in `stream`."""
    options = options or ReadOptions()
    data = stream.read(MAX_FEED_BYTES + 1)
    if len(data) > MAX_FEED_BYTES:
        limit = human_size(MAX_FEED_BYTES)
        yield ReadFailure(source, f"larger than the {limit} limit for one feed")
        return
    if not data.strip():
        yield ReadFailure(source, "empty input")
        return
    try:
        parsed = _parse(data, source)
    except Exception as exc:  # a parser bug must not end the batch
        yield ReadFailure(source, f"feed parser error ({exc.__class__.__name__}: {exc})")
        return
    entries = parsed.get("entries") or []
    if not entries:
        yield _no_entries(parsed, source)
        return
    feed = _feed_info(parsed, source)
    for index, entry in enumerate(entries, start=1):
        yield from _read_entry(entry, f"{source}#{index}", feed, options)


def _parse(data: bytes, source: str) -> Any:
    """Parse bytes only: feedparser fetches a `str` that looks like a URL or path.

    Sanitising stays on (entry HTML is untrusted and its script text must not leak into
    article text); resolving relative URIs inside content is off (we never render it,
    and it costs a third of the parse time, feedparser #209). Entry links are still
    resolved against the feed's URL, given as Content-Location.
    """
    headers = {"content-type": "application/xml", "content-location": source}
    return feedparser.parse(
        io.BytesIO(data),
        response_headers=headers if _is_web(source) else None,
        resolve_relative_uris=False,
        sanitize_html=True,
    )


def _no_entries(parsed: Any, source: str) -> ReadFailure | ReadSkip:
    if parsed.get("bozo"):
        reason = _one_line(str(parsed.get("bozo_exception") or "malformed XML"))
        return ReadFailure(source, f"not a readable feed ({reason})")
    if not parsed.get("version"):
        return ReadFailure(source, "not an RSS or Atom feed")
    return ReadSkip(source, "the feed has no entries")


def _feed_info(parsed: Any, source: str) -> _Feed:
    channel = parsed.get("feed") or {}
    link = _web_link(channel.get("link"), source)
    return _Feed(
        source=source,
        title=_plain(channel.get("title")),
        link=link,
        domain=domain_of(link) or (domain_of(source) if _is_web(source) else None),
        language=_plain(channel.get("language")),
        rss=str(parsed.get("version") or "").startswith("rss"),
    )


def _read_entry(entry: Any, source: str, feed: _Feed, options: ReadOptions) -> ReadStream:
    hints = _entry_hints(entry, feed)
    summary = hints.get("summary") or ""
    content = _longest_content(entry)
    content_chars = _text_length(content)
    if content_chars > FULL_CONTENT_CHARS and content_chars >= _text_length(summary):
        yield _record(source, hints, content)
        return
    # A shorter content block still beats a shorter summary when the page is not read.
    fallback = content if content_chars > _text_length(summary) else None
    link = hints.get("url")
    if options.fetch_linked and link:
        yield from _linked_page(source, link, hints, fallback, options)
        return
    yield _record(source, hints, fallback)


def _linked_page(
    source: str, link: str, hints: dict[str, Any], fallback: str | None, options: ReadOptions
) -> Iterator[RawDocument | ReadFailure | ReadSkip]:
    """Fetch the entry's page; on failure say why and fall back to the summary record."""
    fetched = options.get_fetcher().fetch(link)
    if isinstance(fetched, RawDocument):
        page_hints = {**hints, "url": fetched.url or link}
        yield replace(fetched, hints=page_hints, hint_source="feed")
        return
    if isinstance(fetched, ReadSkip) and fetched.reason == NOT_MODIFIED:
        yield fetched  # read on an earlier poll; nothing new to store
        return
    if not (hints.get("summary") or fallback):
        why = f"linked page {link}: {fetched.reason}; the entry has no summary to fall back on"
        yield ReadFailure(source, why)
        return
    yield ReadSkip(link, f"page not read ({fetched.reason}); stored the feed's summary instead")
    yield _record(source, hints, fallback)


def _record(source: str, hints: Mapping[str, Any], content: str | None) -> RawDocument:
    """A feed entry as a structured record; its raw form is the entry's fields as JSON."""
    fields = dict(hints)
    if content:
        fields["html"] = content
    data = json.dumps(fields, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return RawDocument(
        source=source,
        data=data,
        media_type="record",
        url=fields.get("url"),
        encoding="utf-8",
        hints=fields,
        hint_source="feed",
    )


def _entry_hints(entry: Any, feed: _Feed) -> dict[str, Any]:
    """The entry's metadata as extraction hints, values as found (dates as raw strings)."""
    hints: dict[str, Any] = {}
    _put(hints, "title", _plain(entry.get("title")))
    _put(hints, "url", _web_link(entry.get("link"), feed.link or feed.source))
    _put(hints, "external_id", _plain(entry.get("id")))
    _put(hints, "summary", (entry.get("summary") or "").strip() or None)
    _put(hints, "authors", _authors(entry))
    published, updated = _dates(entry, feed.rss)
    _put(hints, "published", published)
    _put(hints, "updated", updated)
    origin = entry.get("source") or {}
    if origin.get("title"):  # RSS <source>: the entry was first published elsewhere
        _put(hints, "outlet_name", _plain(origin.get("title")))
        _put(hints, "outlet_domain", domain_of(_web_link(origin.get("href"), None)))
    else:
        # A channel title ("Example News — World") names a feed, not always the outlet:
        # a weak guess that an outlet profile or the page's own site name overrides.
        _put(hints, "feed_title", feed.title)
        _put(hints, "outlet_domain", feed.domain)
    detail = entry.get("summary_detail") or entry.get("title_detail") or {}
    _put(hints, "language", detail.get("language") or feed.language)
    return hints


def _dates(entry: Any, rss: bool) -> tuple[str | None, str | None]:
    """The raw date strings. Read with `dict.get`: feedparser's own lookup answers
    `updated` with `published` when the entry has no updated date."""
    published = _plain(dict.get(entry, "published"))
    updated = _plain(dict.get(entry, "updated"))
    if published is None and rss and updated is not None:
        # feedparser files RSS's dc:date under `updated`; in RSS it dates publication.
        return updated, None
    return published, updated


def _authors(entry: Any) -> list[str] | None:
    names: list[str] = []
    for author in entry.get("authors") or []:
        name = _plain(author.get("name")) if isinstance(author, Mapping) else None
        if name and name not in names:
            names.append(name)
    if not names:
        name = _plain(entry.get("author"))
        if name and "@" not in name:
            names.append(name)
    return names or None


def _longest_content(entry: Any) -> str | None:
    best: str | None = None
    for item in entry.get("content") or []:
        value = item.get("value") if isinstance(item, Mapping) else None
        if isinstance(value, str) and value.strip() and (best is None or len(value) > len(best)):
            best = value
    return best


def _text_length(fragment: str | None) -> int:
    """Characters of visible text in an HTML fragment: a size test, not extraction."""
    if not fragment:
        return 0
    text = html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", fragment)))
    return len(" ".join(text.split()))


def _plain(value: Any) -> str | None:
    """A short text field as plain text: feed titles may carry markup and entities."""
    if not isinstance(value, str):
        return None
    if "<" in value or "&" in value:
        value = html.unescape(_TAG.sub("", value))
    return " ".join(value.split()) or None


def _web_link(link: Any, base: str | None) -> str | None:
    """An absolute http(s) link, resolving a relative one against `base`."""
    if not isinstance(link, str) or not link.strip():
        return None
    link = link.strip()
    if not _is_web(link) and base and _is_web(base):
        link = urljoin(base, link)
    return link if _is_web(link) else None


def _is_web(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _put(hints: dict[str, Any], name: str, value: Any) -> None:
    if value:
        hints[name] = value


def _one_line(text: str) -> str:
    return " ".join(text.split())
