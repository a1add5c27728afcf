"""Turn a raw document into an `Article`: body, metadata, provenance, stable id.

`extract()` dispatches on the document's media type to the HTML, text-dump or record
extractor, lets the container's own metadata (feed entry, JSONL columns, headers)
compete with what the page says, then `finish()` applies what every article needs:
clean paragraphs, language, wire credits, outlet, a zone for zone-less times when the
user gave one, and the id. No I/O happens here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from storylens.errors import InputError
from storylens.extract.draft import ArticleDraft
from storylens.extract.language import detect_language, normalize_language
from storylens.extract.profiles import OutletProfiles
from storylens.extract.text import normalize_text
from storylens.extract.times import parse_time, zone_by_name
from storylens.extract.urls import canonical_url, country_of, domain_of
from storylens.extract.wire import agency_name, detect_wire
from storylens.model import Article, Outlet, Provenance, TimeValue, short_hash
from storylens.readers.base import RawDocument

__all__ = ["CONFIDENCE", "ExtractOptions", "extract", "finish"]

# How far each origin of a value is trusted; the draft keeps the most trusted proposal.
CONFIDENCE: dict[str, float] = {
    "user": 1.0,
    "record": 0.97,
    "json-ld": 0.95,
    "feed": 0.9,
    "meta": 0.85,
    "html": 0.75,
    "text": 0.7,
    "profile": 0.65,
    "trafilatura": 0.6,
    "htmldate": 0.5,
    "detected": 0.5,
    "url": 0.4,
    "feed-title": 0.45,
    "http": 0.3,
    "warc": 0.3,
    "filename": 0.1,
}


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """Settings for extraction that come from the user."""

    default_tz: str | None = None  # zone for times whose zone the input does not state
    profiles: OutletProfiles = field(default_factory=OutletProfiles)
    outlet: str | None = None  # force the outlet name (e.g. a folder of one outlet's dumps)
    time_limit: float = 10.0  # seconds per HTML page before giving up on it


def extract(raw: RawDocument, options: ExtractOptions | None = None) -> Article:
    """Extract one article; raises `InputError` naming the input when it cannot."""
    options = options or ExtractOptions()
    draft = ArticleDraft(source=raw.source, raw_sha256=raw.sha256)
    if raw.url:
        draft.propose(
            "url", raw.url, raw.hint_source, confidence=CONFIDENCE.get(raw.hint_source, 0.5)
        )
    if raw.media_type == "text/html":
        from storylens.extract.html import extract_html

        extract_html(raw.data, draft, options, encoding=raw.encoding)
    elif raw.media_type == "text/plain":
        from storylens.extract.textdump import extract_textdump

        extract_textdump(raw.data, draft, options, encoding=raw.encoding)
    elif raw.media_type == "record":
        _extract_record(raw, draft, options)
    else:  # pragma: no cover - RawDocument's type forbids it
        raise InputError(raw.source, f"unsupported media type {raw.media_type}")
    apply_hints(draft, raw.hints, raw.hint_source)
    return finish(draft, options)


def _extract_record(raw: RawDocument, draft: ArticleDraft, options: ExtractOptions) -> None:
    hints = raw.hints
    text = hints.get("text")
    if isinstance(text, str) and text.strip():
        draft.text = text
        return
    html = hints.get("html")
    if isinstance(html, str) and html.strip():
        from storylens.extract.html import extract_html

        extract_html(html.encode("utf-8"), draft, options, encoding="utf-8")
        return
    summary = hints.get("summary")
    if isinstance(summary, str) and summary.strip():
        if "<" in summary:
            from storylens.extract.html import html_fragment_text

            summary = html_fragment_text(summary)
        draft.text = summary
        return
    raise InputError(raw.source, "record has no text, html or summary")


def apply_hints(draft: ArticleDraft, hints: Any, origin: str) -> None:
    """Let the container's metadata compete with what the document itself says."""
    confidence = CONFIDENCE.get(origin, 0.5)
    for name in ("title", "external_id", "outlet_name", "outlet_domain"):
        value = hints.get(name)
        if isinstance(value, str) and value.strip():
            draft.propose(name, value.strip(), origin, f"{origin} field", confidence)
    if hints.get("outlet") and isinstance(hints["outlet"], str):
        draft.propose("outlet_name", hints["outlet"].strip(), origin, f"{origin} field", confidence)
    feed_title = hints.get("feed_title")
    if isinstance(feed_title, str) and feed_title.strip():
        name = outlet_from_feed_title(feed_title)
        draft.propose("outlet_name", name, origin, "feed channel title", CONFIDENCE["feed-title"])
    url = hints.get("url")
    if isinstance(url, str) and url.strip():
        draft.propose("url", url.strip(), origin, f"{origin} field", confidence)
    authors = hints.get("authors")
    if isinstance(authors, str):
        authors = [a.strip() for a in re.split(r"\s*(?:;|\||,(?=\s*[A-Z])|\band\b)\s*", authors)]
    if isinstance(authors, list | tuple):
        names = tuple(str(a).strip() for a in authors if str(a).strip())
        draft.propose("byline", names, origin, f"{origin} field", confidence)
    language = normalize_language(hints.get("language"))
    if language:
        draft.propose("language", language, origin, f"{origin} field", confidence)
    country = country_of(domain_of(draft.get("url")))
    for name in ("published", "updated"):
        value = hints.get(name)
        parsed = _as_time(value, country)
        if parsed:
            draft.propose(name, parsed, origin, f"{origin} field: {value!s:.60}", confidence)
    wire = hints.get("wire")
    if isinstance(wire, str) and agency_name(wire):
        draft.propose("wire", (agency_name(wire),), origin, f"{origin} field", confidence)


_FEED_TITLE_SECTION = re.compile(r"\s+(?:[-–—|:»·>]|::)\s+[^-–—|:»·>]{1,40}$")


def outlet_from_feed_title(title: str) -> str:
    """ "Example News — World" -> "Example News": drop one trailing section label."""
    title = " ".join(title.split())
    stripped = _FEED_TITLE_SECTION.sub("", title)
    return stripped if len(stripped) >= 2 else title


def _as_time(value: Any, country: str | None) -> TimeValue | None:
    if isinstance(value, TimeValue):
        return value
    if isinstance(value, str):
        return parse_time(value, country=country)
    return None


def finish(draft: ArticleDraft, options: ExtractOptions | None = None) -> Article:
    """Apply what every article needs and freeze the draft into an `Article`."""
    options = options or ExtractOptions()
    text = normalize_text(draft.text)
    if not text:
        raise InputError(draft.source, "no article text found")
    title = draft.get("title")
    if isinstance(title, str):
        title = " ".join(title.split()) or None

    url = draft.get("url")
    canonical = canonical_url(url) if url else None
    domain = draft.get("outlet_domain") or domain_of(url)
    profile = options.profiles.match(domain=domain, source=draft.source, text=draft.text)
    if profile:
        draft.propose(
            "outlet_name", profile.name, "profile", "outlet profile", CONFIDENCE["profile"]
        )
        if profile.domain:
            draft.propose(
                "outlet_domain", profile.domain, "profile", "outlet profile", CONFIDENCE["profile"]
            )
            domain = draft.get("outlet_domain") or profile.domain
    if options.outlet:
        draft.propose("outlet_name", options.outlet, "user", "--outlet", CONFIDENCE["user"])
    outlet_name = draft.get("outlet_name")
    if not outlet_name and domain:
        outlet_name = domain
        draft.provenance["outlet_name"] = _prov("url", "the URL's domain", CONFIDENCE["url"])
    outlet = Outlet(name=outlet_name, domain=domain) if outlet_name else None

    if "language" not in draft.values:
        detected = detect_language(text)
        if detected:
            draft.propose(
                "language",
                detected[0],
                "detected",
                "py3langid",
                round(detected[1], 3) * CONFIDENCE["detected"],
            )

    byline = tuple(draft.get("byline") or ())
    for agency, evidence in detect_wire(text, byline, options.profiles.agencies):
        current = tuple(draft.get("wire") or ())
        if agency not in current:
            draft.values["wire"] = (*current, agency)
            draft.provenance.setdefault("wire", _prov("text", evidence, CONFIDENCE["text"]))

    zone_name = options.default_tz or (profile.tz if profile else None)
    if zone_name:
        zone = zone_by_name(zone_name)
        for name in ("published", "updated"):
            value: TimeValue | None = draft.get(name)
            if value is not None and not value.zone_known:
                draft.values[name] = value.with_zone(zone, zone_name)
                origin = "user" if options.default_tz else "profile"
                old = draft.provenance[name]
                draft.provenance[name] = _prov(
                    old.source, f"{old.detail}; zone from {origin}: {zone_name}", old.confidence
                )

    content_hash = _content_hash(title, text)
    external_id = draft.get("external_id")
    if canonical:
        article_id = short_hash("url", canonical)
    elif external_id:
        article_id = short_hash("external", str(external_id), content_hash)
    else:
        article_id = short_hash("content", content_hash)

    return Article(
        id=article_id,
        text=text,
        source=draft.source,
        title=title,
        url=url,
        external_id=str(external_id) if external_id is not None else None,
        outlet=outlet,
        byline=tuple(draft.get("byline") or ()),
        published=draft.get("published"),
        updated=draft.get("updated"),
        language=draft.get("language"),
        wire=tuple(sorted(draft.get("wire") or ())),
        publisher_ids=tuple(draft.get("publisher_ids") or ()),
        content_hash=content_hash,
        provenance=dict(draft.provenance),
        raw_sha256=draft.raw_sha256,
    )


def _prov(source: str, detail: str, confidence: float) -> Provenance:
    return Provenance(source=source, detail=detail, confidence=confidence)


def _content_hash(title: str | None, text: str) -> str:
    canonical = " ".join(f"{title or ''}\n{text}".lower().split())
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
