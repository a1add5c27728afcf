"""What a comparison of one story's articles is made of.

Every figure points back at character spans of the articles' clean text, so a reader
can check each claim the report makes. Each type has `to_dict` for the versioned JSON
report (see `present/report_json.py` for the schema).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Section = Literal["headline", "lead", "body"]
Coverage = Literal["all", "some", "one"]
DiscrepancyKind = Literal["number", "amount", "date", "time", "name", "title"]


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of one article's clean text (or of its headline when `section` says so)."""

    article_id: str
    start: int
    end: int
    text: str
    section: Section = "body"

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "section": self.section,
        }


@dataclass(frozen=True, slots=True)
class ClaimUnit:
    """One claim-bearing piece of an article: a sentence, or a clause of a sentence.

    Offsets are into `Article.text`; a headline unit has offsets into `Article.title`
    and `section == "headline"`. `speaker` is set when the unit is (or reports) a quote.
    """

    id: str  # "<article_id>:<start>-<end>" ("<article_id>:h<start>-<end>" for the headline)
    article_id: str
    start: int
    end: int
    text: str
    index: int  # order within the article, headline first
    section: Section = "body"
    paragraph: int = 0
    quote_ids: tuple[str, ...] = ()  # quote keys ("<article_id>:<start>-<end>") it overlaps
    speaker: str | None = None

    @property
    def span(self) -> Span:
        return Span(self.article_id, self.start, self.end, self.text, self.section)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "article_id": self.article_id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "index": self.index,
            "section": self.section,
            "paragraph": self.paragraph,
            "quote_ids": list(self.quote_ids),
            "speaker": self.speaker,
        }


@dataclass(frozen=True, slots=True)
class FactLink:
    """Evidence: two units judged to state the same fact, and how."""

    a: str  # unit id
    b: str
    score: float
    via: Literal["same-fact", "quote-group", "near-copy"]

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "score": round(self.score, 4), "via": self.via}


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact: the units, across the story's articles, that state it.

    `coverage` is relative to the compared articles: "all" of them carry it, "some" (at
    least two, not all), or "one". `origins` counts the independent origins (lineage)
    among the carrying articles: a fact carried by five reprints of one wire story rests
    on one origin.
    """

    id: str
    units: tuple[ClaimUnit, ...]
    article_ids: tuple[str, ...]
    coverage: Coverage
    origins: int = 1
    evidence: tuple[FactLink, ...] = ()

    @property
    def single_source(self) -> bool:
        return self.origins <= 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "coverage": self.coverage,
            "article_ids": list(self.article_ids),
            "origins": self.origins,
            "single_source": self.single_source,
            "units": [u.id for u in self.units],
            "evidence": [link.to_dict() for link in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class OutletDelta:
    """What one article adds that no other carries, and leaves out that most others carry."""

    article_id: str
    outlet: str
    adds: tuple[str, ...]  # fact ids carried by this article only
    omits: tuple[str, ...]  # fact ids carried by more than half of the other articles
    shared: tuple[str, ...]  # fact ids it shares with at least one other article

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "outlet": self.outlet,
            "adds": list(self.adds),
            "omits": list(self.omits),
            "shared": list(self.shared),
        }


@dataclass(frozen=True, slots=True)
class FactMatrix:
    """Which article carries which fact (rows: facts; columns: articles)."""

    article_ids: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (fact id, article ids carrying it)
    deltas: tuple[OutletDelta, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_ids": list(self.article_ids),
            "rows": [{"fact_id": f, "article_ids": list(a)} for f, a in self.rows],
            "deltas": [d.to_dict() for d in self.deltas],
        }


@dataclass(frozen=True, slots=True)
class DiscrepantValue:
    """One article's value in a discrepancy, where it says it, and how it was read."""

    article_id: str
    outlet: str
    span: Span
    value: str  # normalised: "41", "2021-11-01", "foreign minister", "Sergei Lavrov"
    unit_id: str | None = None  # the claim unit it sits in

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "outlet": self.outlet,
            "span": self.span.to_dict(),
            "value": self.value,
            "unit_id": self.unit_id,
        }


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """Outlets that give different values for the same thing in the same fact."""

    id: str
    kind: DiscrepancyKind
    fact_id: str | None  # None when found across facts (e.g. a person's title story-wide)
    subject: str  # what the values are of: "injured", "mission suspended from", "Peskov"
    values: tuple[DiscrepantValue, ...]  # at least two distinct normalised values
    evidence: str = ""  # why these were judged to be the same quantity

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "fact_id": self.fact_id,
            "subject": self.subject,
            "values": [v.to_dict() for v in self.values],
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One article's publication time in the report's zone, honestly as an interval.

    `earliest == latest` when the time and its zone are known; an unknown zone widens it
    to every zone the local time could be in. `lag_*` are seconds after the first
    publication (bounds, since both times may be intervals). `rank` orders entries; equal
    ranks mean the order cannot be told.
    """

    article_id: str
    outlet: str
    original: str | None  # the time as the page gave it
    earliest: datetime | None  # in the report's zone
    latest: datetime | None
    zone_known: bool
    rank: int
    lag_min: float | None = None
    lag_max: float | None = None
    span: Span | None = None  # where the page states the time, when known

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "outlet": self.outlet,
            "original": self.original,
            "earliest": self.earliest.isoformat() if self.earliest else None,
            "latest": self.latest.isoformat() if self.latest else None,
            "zone_known": self.zone_known,
            "rank": self.rank,
            "lag_min_seconds": self.lag_min,
            "lag_max_seconds": self.lag_max,
            "span": self.span.to_dict() if self.span else None,
        }


@dataclass(frozen=True, slots=True)
class EventMention:
    """A dated event an article mentions ("from November 1"), resolved against its date."""

    article_id: str
    span: Span
    date: str  # ISO date (or datetime) as resolved
    phrase: str  # the words around it that say what happens then
    resolved_from: str | None = None  # the publication date used to fill a missing year

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "span": self.span.to_dict(),
            "date": self.date,
            "phrase": self.phrase,
            "resolved_from": self.resolved_from,
        }


@dataclass(frozen=True, slots=True)
class Timeline:
    zone: str  # IANA name or "UTC"
    entries: tuple[TimelineEntry, ...]  # ordered by rank, undated last
    first: tuple[str, ...]  # article ids that may have published first
    first_certain: bool
    events: tuple[EventMention, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "first": list(self.first),
            "first_certain": self.first_certain,
            "entries": [e.to_dict() for e in self.entries],
            "events": [e.to_dict() for e in self.events],
        }


@dataclass(frozen=True, slots=True)
class TermUse:
    """A framing-relevant word in an article: an attribution verb or a loaded term.

    `in_quote` tells whose word it is: True when it stands inside quotation marks (the
    source's own words), False when it is the outlet's wording. For a loaded term,
    `speaker` names the source whose words the passage reports (quoted or paraphrased),
    so `in_quote=False` with a speaker is the outlet's paraphrase of that source, and
    with no speaker the outlet's own narration.
    """

    term: str  # lemma or lexicon entry: "claim", "aggression"
    category: str  # "neutral" / "assertive" / "doubting" / "alarm"... or loaded-term class
    span: Span
    speaker: str | None = None  # for attribution verbs: whose words they introduce
    in_quote: bool = False  # inside quotation marks: the source's words, not the outlet's

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "category": self.category,
            "span": self.span.to_dict(),
            "speaker": self.speaker,
            "in_quote": self.in_quote,
        }


@dataclass(frozen=True, slots=True)
class Voice:
    """A quoted speaker in one article and how much room the article gives them."""

    speaker: str
    quotes: int
    words: int
    share: float  # of all quoted words in the article
    spans: tuple[Span, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "speaker": self.speaker,
            "quotes": self.quotes,
            "words": self.words,
            "share": round(self.share, 4),
            "spans": [s.to_dict() for s in self.spans],
        }


@dataclass(frozen=True, slots=True)
class Framing:
    """How one article frames the story."""

    article_id: str
    outlet: str
    attribution_verbs: tuple[TermUse, ...]
    loaded_terms: tuple[TermUse, ...]
    voices: tuple[Voice, ...]
    quoted_share: float  # quoted words / all words of the body
    headline_terms: tuple[TermUse, ...] = ()  # loaded terms and verbs in the headline
    notes: tuple[str, ...] = field(default=())  # e.g. "headline names Kremlin; body quotes Peskov"

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "outlet": self.outlet,
            "attribution_verbs": [t.to_dict() for t in self.attribution_verbs],
            "loaded_terms": [t.to_dict() for t in self.loaded_terms],
            "voices": [v.to_dict() for v in self.voices],
            "quoted_share": round(self.quoted_share, 4),
            "headline_terms": [t.to_dict() for t in self.headline_terms],
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class SummarySentence:
    """One sentence of the neutral summary, taken from an article, with its support."""

    text: str
    source: Span  # where the sentence was taken from
    fact_id: str
    article_ids: tuple[str, ...]  # every article that states the fact
    outlets: tuple[str, ...]
    single_source: bool  # the fact rests on one independent origin

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "source": self.source.to_dict(),
            "fact_id": self.fact_id,
            "article_ids": list(self.article_ids),
            "outlets": list(self.outlets),
            "single_source": self.single_source,
        }


@dataclass(frozen=True, slots=True)
class ArticleInfo:
    """The compared article as the report shows it (text included: spans point into it)."""

    id: str
    outlet: str  # display name, unique within the comparison ("Reuters", "Reuters (2)")
    title: str | None
    url: str | None
    source: str
    language: str | None
    published: str | None  # ISO UTC, or the original string when the zone is unknown
    text: str
    origin: str  # id of the independent origin (lineage) the article belongs to

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "outlet": self.outlet,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "language": self.language,
            "published": self.published,
            "origin": self.origin,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """Everything `compare` found about one story's articles."""

    articles: tuple[ArticleInfo, ...]
    units: tuple[ClaimUnit, ...]
    facts: tuple[Fact, ...]
    matrix: FactMatrix
    quote_groups: tuple[Any, ...]  # storylens.nlp.quote_match.QuoteGroup
    discrepancies: tuple[Discrepancy, ...]
    timeline: Timeline
    framing: tuple[Framing, ...]
    summary: tuple[SummarySentence, ...]
    story_id: str | None = None

    def outlet(self, article_id: str) -> str:
        for info in self.articles:
            if info.id == article_id:
                return info.outlet
        return article_id

    def fact(self, fact_id: str) -> Fact | None:
        return next((f for f in self.facts if f.id == fact_id), None)

    def unit(self, unit_id: str) -> ClaimUnit | None:
        return next((u for u in self.units if u.id == unit_id), None)
