"""HTML pages to clean article text plus ranked metadata.

The body comes from trafilatura (the best open extractor on the AEB, WCXB and Fundus
sets, see research/extraction.md); title, byline, times, language, URL and outlet come
from what the page states in JSON-LD and meta tags (`storylens.extract.metadata`), with
trafilatura's byline heuristics and htmldate only as fallbacks. Every value is proposed
to the draft with its provenance, so the ranking stays visible.

trafilatura has no timeout (issue #704) and can run for minutes on pathological pages,
so each page runs under a hard time limit (`run_with_time_limit`).
"""

from __future__ import annotations

import ctypes
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import urljoin, urlsplit

from storylens.errors import InputError
from storylens.extract import CONFIDENCE, ExtractOptions
from storylens.extract.draft import ArticleDraft
from storylens.extract.language import detect_language, normalize_language
from storylens.extract.metadata import (
    Found,
    PageMetadata,
    clean_byline,
    clean_title,
    outlet_keys,
    read_metadata,
)
from storylens.extract.text import decode
from storylens.extract.times import parse_iso, parse_time
from storylens.extract.urls import country_of, domain_of
from storylens.model import TimeValue

__all__ = ["decode_html", "extract_html", "html_fragment_text", "run_with_time_limit"]

T = TypeVar("T")

# trafilatura and htmldate log every page they discard at WARNING/ERROR; the reason
# reaches the user through InputError instead.
for _name in ("trafilatura", "htmldate"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

# --------------------------------------------------------------------------- time limit


class _Abandoned(BaseException):
    """Raised inside a worker whose caller stopped waiting (not an Exception: it must
    pass through libraries' `except Exception` clauses)."""


class _Worker(Generic[T]):
    """Runs one call in a thread; the caller can abandon it, which also stops it."""

    def __init__(self, func: Callable[[], T]) -> None:
        self.func = func
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.finished = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            value: T | None = None
            error: BaseException | None = None
            try:
                value = self.func()
            except BaseException as exc:
                error = exc
            with self.lock:
                self.finished = True
                self.value, self.error = value, error
            self.done.set()
        except _Abandoned:
            pass

    def abandon(self, thread: threading.Thread) -> bool:
        """Stop waiting; False when the call finished meanwhile (its result stands)."""
        with self.lock:  # held while interrupting, so the exception cannot land late
            if self.finished:
                return False
            _interrupt(thread)
            return True

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


def _interrupt(thread: threading.Thread) -> None:
    """Raise `_Abandoned` in the thread at its next bytecode, so it stops using CPU.

    Code stuck inside one C call cannot be interrupted this way; the thread then ends
    when that call returns. The caller never waits for it either way.
    """
    if thread.ident is None:
        return
    try:
        set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
    except AttributeError:  # pragma: no cover - not CPython
        return
    ident = ctypes.c_ulong(thread.ident)
    if set_async_exc(ident, ctypes.py_object(_Abandoned)) > 1:  # pragma: no cover
        set_async_exc(ident, None)


def run_with_time_limit(func: Callable[[], T], seconds: float | None, source: str) -> T:
    """Run `func`, raising InputError when it takes longer than `seconds`.

    The call runs in a worker thread rather than under SIGALRM: that works from any
    thread (web servers, Spark executors, thread pools), does not clobber another
    SIGALRM user (pytest-timeout), and bounds the caller's wait even when the work is
    stuck in C code, where a signal handler could not run.
    """
    if seconds is None or seconds <= 0:
        return func()
    worker = _Worker(func)
    thread = threading.Thread(target=worker.run, name="storylens-extract", daemon=True)
    thread.start()
    try:
        finished = worker.done.wait(seconds)
    except BaseException:
        worker.abandon(thread)
        raise
    if not finished and worker.abandon(thread):
        raise InputError(source, f"extraction timed out after {seconds:g} s")
    worker.done.wait()
    return worker.result()


# --------------------------------------------------------------------------- decoding

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
# WHATWG encoding labels that browsers read as a superset (what pages actually mean).
_ENCODING_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
}


def _encoding_label(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    return _ENCODING_ALIASES.get(label, label) or None


def decode_html(data: bytes, source: str, encoding: str | None = None) -> str:
    """Decode a page: BOM, then valid UTF-8, then the declared charset, then detection.

    Valid UTF-8 with non-ASCII bytes wins over a declared legacy charset because servers
    and templates mislabel UTF-8 far more often than legacy text happens to be valid UTF-8.
    """
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return decode(data, source, "utf-8")  # with its empty and binary checks
    declared = _encoding_label(encoding)
    if declared in (None, "utf-8", "utf8"):
        match = _META_CHARSET.search(data[:8192])
        if match:
            declared = _encoding_label(match.group(1).decode("ascii", "replace")) or declared
    return decode(data, source, declared)


# --------------------------------------------------------------------------- parsing and body


def _parse(html: str, source: str) -> Any:
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None or len(tree) == 0:
        # A fragment (record "html" columns often hold only the body): wrap it.
        tree = load_html(f"<html><body>{html}</body></html>")
    if tree is None or (tree.find(".//body") is None and len(tree) == 0):
        raise InputError(source, "malformed HTML: no document tree")
    return tree


# favor_precision scores best on AEB (0.964 vs 0.960) but on a few pages keeps only a
# fragment or nothing; below this many characters the default run is tried as well.
_SHORT_BODY = 1000


def _trafilatura_body(tree: Any, url: str | None) -> str:
    """Precise extraction, unless it kept under a quarter of what the default keeps."""
    precise = _trafilatura_run(tree, url, precision=True)
    if len(precise) >= _SHORT_BODY:
        return precise
    default = _trafilatura_run(tree, url, precision=False)
    return default if len(precise) < 0.25 * len(default) else precise


def _trafilatura_run(tree: Any, url: str | None, *, precision: bool) -> str:
    from trafilatura import bare_extraction

    document = bare_extraction(
        tree, url=url, favor_precision=precision, include_comments=False, with_metadata=False
    )
    text = getattr(document, "text", None) if document is not None else None
    return text if isinstance(text, str) and text.strip() else ""


def _looks_like_prose(text: str) -> bool:
    """At least one line of running text: menus and link lists come out as short lines."""
    return any(sum(ch.isalpha() for ch in line) >= 40 for line in text.splitlines())


def _drop_title_line(text: str, titles: Iterable[str]) -> str:
    """trafilatura often repeats the headline as the body's first line (issue #160)."""
    first, _, rest = text.lstrip().partition("\n")
    line = " ".join(first.split())
    if not rest.strip() or not 15 <= len(line) <= 300:
        return text
    for title in titles:
        title = " ".join(title.split())
        if line == title or title.startswith(line):
            return rest
    return text


_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "pre", "tr", "table", "section", "article", "header", "footer", "figure", "figcaption",
    "dd", "dt", "dl", "hr", "aside", "main", "address", "td", "th",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "noscript", "template", "iframe", "object", "svg", "head"}


def html_fragment_text(html: str) -> str:
    """Plain text of an HTML fragment (a feed summary): one paragraph per line."""
    import lxml.html

    if not html or not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except Exception:  # lxml raises several types for junk input
        return " ".join(html.split())
    parts: list[str] = []
    _fragment_walk(root, parts)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _fragment_walk(element: Any, parts: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _SKIP_TAGS:
        if element.tail:
            parts.append(element.tail)
        return
    block = tag.lower() in _BLOCK_TAGS
    if block:
        parts.append("\n")
    if isinstance(element.tag, str) and element.text:
        parts.append(element.text)
    for child in element:
        _fragment_walk(child, parts)
    if block:
        parts.append("\n")
    if element.tail:
        parts.append(element.tail)


# --------------------------------------------------------------------------- the page


@dataclass(frozen=True, slots=True)
class _Proposal:
    name: str
    value: Any
    source: str
    detail: str
    confidence: float


@dataclass(slots=True)
class _Page:
    """What one page yields; built in the worker, applied to the draft by the caller."""

    text: str = ""
    proposals: list[_Proposal] = field(default_factory=list)

    def propose(self, name: str, value: Any, found: Found, detail: str | None = None) -> None:
        confidence = round(CONFIDENCE.get(found.source, 0.5) - 0.02 * found.rank, 3)
        self.proposals.append(
            _Proposal(name, value, found.source, detail or found.detail, confidence)
        )


def extract_html(
    data: bytes, draft: ArticleDraft, options: ExtractOptions, encoding: str | None = None
) -> None:
    """Fill the draft from an HTML page; InputError when it has no article body."""
    source = draft.source
    known_url = draft.get("url")
    page = run_with_time_limit(
        lambda: _read_page(data, source, encoding, known_url), options.time_limit, source
    )
    draft.text = page.text
    for proposal in page.proposals:
        draft.propose(
            proposal.name, proposal.value, proposal.source, proposal.detail, proposal.confidence
        )


def _read_page(data: bytes, source: str, encoding: str | None, known_url: str | None) -> _Page:
    tree = _parse(decode_html(data, source, encoding), source)
    meta = read_metadata(tree, known_url)
    page = _Page()
    url = _propose_url(page, meta, known_url)
    page.text = _trafilatura_body(tree, url or known_url) or (meta.article_body or "")
    if not _looks_like_prose(page.text):
        raise InputError(source, "no article body found in HTML")
    page.text = _drop_title_line(page.text, (str(f.value) for f in meta.title))
    outlet = outlet_keys((str(f.value) for f in meta.site_name), url or known_url)
    _propose_outlet(page, meta)
    _propose_title(page, meta, outlet)
    _propose_byline(page, meta, outlet, tree)
    country = country_of(domain_of(url or known_url))
    published = _best_time(meta.published, country)
    if published is None:
        published = _htmldate(tree, url or known_url)
    if published is not None:
        page.propose("published", published[0], published[1])
    updated = _best_time(meta.updated, country)
    if updated is not None:
        page.propose("updated", updated[0], updated[1])
    _propose_language(page, meta)
    return page


def _propose_url(page: _Page, meta: PageMetadata, known_url: str | None) -> str | None:
    """The page's own URL: canonical link, og:url, then JSON-LD (first usable one)."""
    base = known_url
    for found in meta.url:
        url = urljoin(base, found.value) if base else str(found.value)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            continue
        if known_url and parts.path in ("", "/") and urlsplit(known_url).path not in ("", "/"):
            continue  # templates that point every page's canonical at the home page
        page.propose("url", url, found)
        domain = domain_of(url)
        if domain:
            page.propose("outlet_domain", domain, found)
        return url
    return None


# og:site_name is the name readers see; JSON-LD publisher.name is often the legal
# entity ("… Zeitung GmbH"), so it only fills in when the page has no display name.
_SITE_NAME_ORDER = ('meta property="og:site_name"', "JSON-LD WebSite.name")


def _propose_outlet(page: _Page, meta: PageMetadata) -> None:
    def order(found: Found) -> int:
        detail = found.detail.replace("meta name=", "meta property=")
        return _SITE_NAME_ORDER.index(detail) if detail in _SITE_NAME_ORDER else 2

    for found in sorted(meta.site_name, key=order):
        name = " ".join(str(found.value).split()).lstrip("@")
        if name and len(name) <= 80 and not name.lower().startswith("http"):
            page.propose("outlet_name", name, found)
            return


# Separators that attach a site name; a colon attaches a kicker, which is the headline's.
_JOINT = re.compile(r"^\s*(?:[|\-–—·•»«/]|::)\s*\S")


def _propose_title(page: _Page, meta: PageMetadata, outlet: set[str]) -> None:
    titles = [(clean_title(str(found.value), outlet), found) for found in meta.title]
    distinct = {title for title, _ in titles if title}
    for title, found in titles:
        if title and len(title) <= 500:
            page.propose("title", _drop_extra_part(title, distinct), found)


def _drop_extra_part(title: str, others: set[str]) -> str:
    """ "Headline - Tageszeitung" when the page also states plain "Headline" elsewhere:
    the extra part is the site's, whatever its name."""
    for other in sorted(others, key=len, reverse=True):
        if other != title and len(other) >= 10:
            if title.startswith(other) and _JOINT.match(title[len(other) :]):
                return other
            if title.endswith(other) and _JOINT.match(title[: -len(other)][::-1]):
                return other
    return title


def _propose_byline(page: _Page, meta: PageMetadata, outlet: set[str], tree: Any) -> None:
    proposed = False
    for found in meta.byline:
        names = clean_byline(found.value, outlet)
        if names:
            page.propose("byline", names, found)
            proposed = True
    if not proposed:
        from trafilatura.metadata import extract_author

        raw = extract_author(tree)
        names = clean_byline(raw.split(";"), outlet) if raw else ()
        if names:
            page.propose("byline", names, Found(names, "trafilatura", "trafilatura byline"))


def _parse_stated(value: str, country: str | None) -> TimeValue | None:
    return parse_iso(value) or parse_time(value, country=country)


def _best_time(candidates: Iterable[Found], country: str | None) -> tuple[TimeValue, Found] | None:
    """The most trusted stated time; a zone-less or day-only one borrows the zone and
    clock of a lower-ranked candidate that states the same wall-clock time or day."""
    parsed = [(t, f) for f in candidates if (t := _parse_stated(str(f.value), country))]
    if not parsed:
        return None
    best, found = parsed[0]
    if best.zone_known and best.precision != "day":
        return best, found
    for other, other_found in parsed[1:]:
        if not other.zone_known or (other.precision == "day" and best.precision == "day"):
            continue
        if _same_wall_clock(best, other):
            detail = f"{found.detail}; zone from {other_found.detail}"
            return other, Found(other.original, found.source, detail, found.rank)
    return best, found


def _same_wall_clock(coarse: TimeValue, fine: TimeValue) -> bool:
    local = fine.local.replace(tzinfo=None)
    if coarse.precision == "day":
        return local.date() == coarse.local.date()
    return abs((local - coarse.local.replace(tzinfo=None)).total_seconds()) < 60


def _htmldate(tree: Any, url: str | None) -> tuple[TimeValue, Found] | None:
    from htmldate import find_date

    # Without extensive search htmldate answers less often but is right more often
    # (on Fundus pages stripped of structured data: 84% vs 77% of its answers), and a
    # wrong date misorders the timeline, while a missing one is only missing.
    try:
        value = find_date(
            tree,
            extensive_search=False,
            original_date=True,
            outputformat="%Y-%m-%dT%H:%M:%S%z",
            url=url,
        )
    except Exception:  # htmldate raises assorted errors on odd pages; it is a fallback
        return None
    if not value or value[4:] == "-01-01T00:00:00":  # a bare year padded to 1 January
        return None
    if value.endswith("T00:00:00"):  # a day htmldate padded with midnight
        value = value[:10]
    moment = parse_iso(value)
    if moment is None:
        return None
    return moment, Found(value, "htmldate", "htmldate")


def _propose_language(page: _Page, meta: PageMetadata) -> None:
    """Declared language, unless the body is clearly in another one (templates often
    hard-code lang="en"); then leave it to detection in `finish()`."""
    declared = [(code, f) for f in meta.language if (code := normalize_language(str(f.value)))]
    if not declared:
        return
    detected = detect_language(page.text) if len(page.text) >= 200 else None
    for code, found in declared:
        if detected and detected[1] >= 0.9 and detected[0] != code:
            continue
        page.propose("language", code, found)
