"""The shared data model.

Every stage of storylens speaks these types. They are plain frozen dataclasses so the
analytic core can pass them around without I/O, and `to_dict`/`from_dict` give the one
JSON shape used by the CLI, the store and (later) the web API.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

# Where a metadata value came from, most trusted first. Stored as plain strings so new
# origins need no migration.
FieldSource = Literal[
    "json-ld",
    "meta",
    "html",
    "feed",
    "record",  # a JSONL/CSV column
    "text",  # a line of a plain-text dump
    "http",  # an HTTP or WARC header
    "url",  # derived from the URL
    "htmldate",
    "trafilatura",
    "detected",  # statistical detection (language)
    "profile",  # an outlet profile
    "user",  # a command-line option
    "filename",
]

Precision = Literal["second", "minute", "hour", "day", "month", "year"]

# Earliest and latest UTC offsets in use anywhere: a wall-clock time with no known zone
# is some instant in [local - 14h, local + 12h].
EARLIEST_OFFSET = timedelta(hours=14)
LATEST_OFFSET = timedelta(hours=12)

_PRECISION_SPAN = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
}


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a field's value came from and how far to trust it (0..1)."""

    source: str
    detail: str = ""
    confidence: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "detail": self.detail, "confidence": self.confidence}


@dataclass(frozen=True, slots=True)
class TimeValue:
    """A point in time as an article states it, honest about what is unknown.

    `local` is the wall-clock time as written (naive when the zone is unknown).
    `earliest`/`latest` bound the instant in UTC: equal (up to `precision`) when the
    zone is known, and the whole span of world offsets when it is not. A zone-unknown
    time is never silently read as UTC.
    """

    original: str
    local: datetime
    zone: str | None = None  # what fixed the zone: "+05:30", "IST", "Europe/Moscow"
    precision: Precision = "minute"

    @property
    def zone_known(self) -> bool:
        return self.local.tzinfo is not None

    @property
    def utc(self) -> datetime | None:
        """The instant in UTC, or None when the zone is unknown."""
        if self.local.tzinfo is None:
            return None
        return self.local.astimezone(UTC)

    @property
    def earliest(self) -> datetime:
        if self.local.tzinfo is None:
            return (self.local - EARLIEST_OFFSET).replace(tzinfo=UTC)
        return self.local.astimezone(UTC)

    @property
    def latest(self) -> datetime:
        span = _PRECISION_SPAN.get(self.precision, timedelta(0))
        if self.local.tzinfo is None:
            return (self.local + LATEST_OFFSET + span).replace(tzinfo=UTC) - timedelta(
                microseconds=1 if span else 0
            )
        return self.local.astimezone(UTC) + span - timedelta(microseconds=1 if span else 0)

    @property
    def sort_key(self) -> datetime:
        """Midpoint of the interval: the honest single value for ordering."""
        return self.earliest + (self.latest - self.earliest) / 2

    def with_zone(self, tz: Any, zone_name: str) -> TimeValue:
        """Pin a zone-unknown time to a zone (user option or outlet profile)."""
        if self.local.tzinfo is not None:
            return self
        return dataclasses.replace(self, local=self.local.replace(tzinfo=tz), zone=zone_name)

    def to_dict(self) -> dict[str, Any]:
        utc = self.utc
        return {
            "utc": _iso(utc) if utc else None,
            "local": self.local.isoformat(),
            "original": self.original,
            "zone": self.zone,
            "zone_known": self.zone_known,
            "precision": self.precision,
            "earliest": _iso(self.earliest),
            "latest": _iso(self.latest),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TimeValue:
        return cls(
            original=data["original"],
            local=datetime.fromisoformat(data["local"]),
            zone=data.get("zone"),
            precision=data.get("precision", "minute"),
        )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Outlet:
    name: str
    domain: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "domain": self.domain}


@dataclass(frozen=True, slots=True)
class Article:
    """One news article: clean text, metadata, and where each field came from.

    `text` is the clean body, paragraphs separated by blank lines; every span that later
    stages produce (sentences, entities, quotes, facts) is a character offset into it.
    """

    id: str
    text: str
    source: str  # the input it was read from: a path, URL, or "path#record"
    title: str | None = None
    url: str | None = None
    external_id: str | None = None
    outlet: Outlet | None = None
    byline: tuple[str, ...] = ()
    published: TimeValue | None = None
    updated: TimeValue | None = None
    language: str | None = None
    wire: tuple[str, ...] = ()
    publisher_ids: tuple[str, ...] = ()
    content_hash: str = ""
    provenance: dict[str, Provenance] = field(default_factory=dict)
    raw_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape: every field but the raw input."""
        return {
            "id": self.id,
            "external_id": self.external_id,
            "source": self.source,
            "url": self.url,
            "outlet": self.outlet.to_dict() if self.outlet else None,
            "title": self.title,
            "byline": list(self.byline),
            "published": self.published.to_dict() if self.published else None,
            "updated": self.updated.to_dict() if self.updated else None,
            "language": self.language,
            "wire": list(self.wire),
            "publisher_ids": list(self.publisher_ids),
            "content_hash": self.content_hash,
            "raw_sha256": self.raw_sha256,
            "provenance": {k: v.to_dict() for k, v in sorted(self.provenance.items())},
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        outlet = data.get("outlet")
        return cls(
            id=data["id"],
            text=data["text"],
            source=data["source"],
            title=data.get("title"),
            url=data.get("url"),
            external_id=data.get("external_id"),
            outlet=Outlet(**outlet) if outlet else None,
            byline=tuple(data.get("byline") or ()),
            published=TimeValue.from_dict(data["published"]) if data.get("published") else None,
            updated=TimeValue.from_dict(data["updated"]) if data.get("updated") else None,
            language=data.get("language"),
            wire=tuple(data.get("wire") or ()),
            publisher_ids=tuple(data.get("publisher_ids") or ()),
            content_hash=data.get("content_hash", ""),
            raw_sha256=data.get("raw_sha256"),
            provenance={k: Provenance(**v) for k, v in (data.get("provenance") or {}).items()},
        )


def short_hash(*parts: str, length: int = 16) -> str:
    """A stable hex id: the same parts give the same id on every machine."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


EntityLabel = Literal["PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"]
QuoteKind = Literal["direct", "partial", "indirect"]


@dataclass(frozen=True, slots=True)
class Entity:
    """One mention of a person, organisation or place, with its canonical name.

    `canonical` is the fullest name the mention resolves to within the article (or the
    story, once canonicalised across articles); `role` keeps a title stated next to the
    name ("Kremlin spokesman", "Russian Deputy Foreign Minister").
    """

    article_id: str
    start: int
    end: int
    text: str
    label: str  # one of EntityLabel; a plain string so other models' labels pass
    canonical: str
    role: str | None = None
    entity_id: str | None = None  # stable id of the canonical entity within the story

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "label": self.label,
            "canonical": self.canonical,
            "role": self.role,
            "entity_id": self.entity_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        return cls(
            article_id=data["article_id"],
            start=int(data["start"]),
            end=int(data["end"]),
            text=data["text"],
            label=data["label"],
            canonical=data["canonical"],
            role=data.get("role"),
            entity_id=data.get("entity_id"),
        )


@dataclass(frozen=True, slots=True)
class Quote:
    """One attribution: what was said, by whom, how, and through which channel.

    `start`/`end` cover the attributed content; `parts` are the verbatim pieces of it.
    Direct quote: the text inside the marks, marks excluded; one part, or one per piece
    when the cue splits the quote or it runs over paragraphs (start/end then run from the
    first piece to the last). Partial quote (reported speech carrying quoted words:
    Peskov said it is "impossible" to ...): the reported clause, `parts` the quoted
    fragments. Indirect speech: the reported clause, no parts.

    `speaker` is the canonical name the speaker mention resolves to (None when
    unresolved); `speaker_mention` is the text at the speaker span, which may be a
    pronoun or a title ("he", "the spokesman"). `channel` is the addressee or medium when
    stated ("Rossiya 1", "reporters"). `group` links renderings of the same quote across
    outlets and is filled by the matcher.
    """

    article_id: str
    start: int
    end: int
    text: str
    kind: QuoteKind
    speaker: str | None = None
    speaker_mention: str | None = None
    speaker_start: int | None = None
    speaker_end: int | None = None
    cue: str | None = None
    cue_start: int | None = None
    cue_end: int | None = None
    channel: str | None = None
    channel_start: int | None = None
    channel_end: int | None = None
    parts: tuple[tuple[int, int], ...] = ()
    group: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "kind": self.kind,
            "speaker": self.speaker,
            "speaker_mention": self.speaker_mention,
            "speaker_start": self.speaker_start,
            "speaker_end": self.speaker_end,
            "cue": self.cue,
            "cue_start": self.cue_start,
            "cue_end": self.cue_end,
            "channel": self.channel,
            "channel_start": self.channel_start,
            "channel_end": self.channel_end,
            "parts": [list(p) for p in self.parts],
            "group": self.group,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quote:
        def opt_int(key: str) -> int | None:
            value = data.get(key)
            return None if value is None else int(value)

        return cls(
            article_id=data["article_id"],
            start=int(data["start"]),
            end=int(data["end"]),
            text=data["text"],
            kind=data["kind"],
            speaker=data.get("speaker"),
            speaker_mention=data.get("speaker_mention"),
            speaker_start=opt_int("speaker_start"),
            speaker_end=opt_int("speaker_end"),
            cue=data.get("cue"),
            cue_start=opt_int("cue_start"),
            cue_end=opt_int("cue_end"),
            channel=data.get("channel"),
            channel_start=opt_int("channel_start"),
            channel_end=opt_int("channel_end"),
            parts=tuple((int(a), int(b)) for a, b in data.get("parts") or ()),
            group=data.get("group"),
        )
