"""The comparison as one self-contained HTML file: outlets side by side, every figure linked.

`comparison_html(c)` renders the whole report: inline CSS and JavaScript, no external
resource, so it opens from `file://`, mails as an attachment and prints. Article text is
untrusted: the templates autoescape everything, no article-derived string is marked
safe, bidirectional overrides and control characters are stripped (they can make text
read other than it is), only http(s) URLs become links, element ids are hashes, and a
Content-Security-Policy admits only our own style and script (by hash), so even a bug
in escaping could not run injected script.

The web app reuses the same pieces: `report_environment()` (templates under
`present/templates/`, autoescape on), `report_view(c)` (what the templates show) and
`report_assets()` (the CSS and JS, to serve as static files).
"""

from __future__ import annotations

import base64
import hashlib
import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib.resources import files
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from storylens.compare.model import (
    ArticleInfo,
    ClaimUnit,
    Comparison,
    Discrepancy,
    Fact,
    Framing,
    Span,
    TermUse,
    Timeline,
)
from storylens.model import short_hash
from storylens.present.report_parts import duration, time_label

__all__ = [
    "ReportView",
    "clean_text",
    "comparison_fragment",
    "comparison_html",
    "content_security_policy",
    "report_assets",
    "report_environment",
    "report_view",
    "safe_url",
]

TEMPLATE = "report.html.j2"
FRAGMENT = "report/_body.html.j2"
ASSET_DIR = "templates/report"

COVERAGE_LABELS = {
    "all": "in every report",
    "some": "in some reports",
    "one": "only in this report",
}
RELATION_LABELS = {
    "verbatim": "verbatim",
    "truncated": "truncated",
    "partial": "partial",
    "paraphrase": "paraphrase",
    "translation": "translation",
    "different": "different",
}
KIND_LABELS = {"direct": "direct quote", "partial": "partial quote", "indirect": "reported speech"}

# Characters that change how text around them reads (bidi embeddings, overrides and
# isolates) and control characters other than newline and tab.
_UNSAFE_CHARS = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LANG_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_LABEL_MAX = 180
_CONTEXT = 70


# --------------------------------------------------------------------------- text safety


def clean_text(text: str | None) -> str:
    """Text fit to show: bidi overrides and control characters removed, newlines unified."""
    if not text:
        return ""
    return _UNSAFE_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def safe_url(url: str | None) -> str | None:
    """`url` when it is a plain http(s) address, else None (never a live script link)."""
    if not url:
        return None
    url = url.strip()
    if _UNSAFE_CHARS.search(url) or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _language(tag: str | None) -> str | None:
    return tag if tag and _LANG_TAG.fullmatch(tag) else None


def _dom(kind: str, raw: str) -> str:
    """An element id derived from a hash only, whatever the raw id contains."""
    return f"{kind}-{short_hash(kind, raw, length=12)}"


def _input_name(source: str) -> str:
    """A local input by its file name only: the report is shared, the reader's disk is not."""
    if "://" in source.split("#", 1)[0]:
        return source
    return source.replace("\\", "/").rsplit("/", 1)[-1]


def _short(text: str, width: int = _LABEL_MAX) -> str:
    text = " ".join(clean_text(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


# --------------------------------------------------------------------------- view model


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of a run: plain, or a discrepant value marked in place."""

    text: str
    mark: str | None = None  # element id of the discrepant value
    mark_kind: str | None = None


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of column text belonging to one claim unit (or to none)."""

    parts: tuple[Part, ...]
    unit: str | None = None  # element id, set on the unit's first run only
    fact: str | None = None  # element id of the fact the highlight links to
    facts: str = ""  # element ids of every fact covering the run, space-separated
    coverage: str | None = None
    label: str = ""


@dataclass(frozen=True, slots=True)
class Link:
    """A link to a place in the report: a unit in a column, pinning its fact."""

    text: str
    href: str
    fact: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleView:
    id: str
    outlet: str
    title: tuple[Run, ...]
    body: tuple[Run, ...]
    url: str | None
    source: str
    language: str | None
    time: str
    time_note: str
    origin: str | None  # outlet of the article this one derives from, when not its own
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class MatrixCell:
    outlet: str
    unit: str | None  # element id of the article's unit stating the fact


@dataclass(frozen=True, slots=True)
class FactRow:
    id: str
    number: int
    label: str
    coverage: str
    carried: int
    outlets: str
    cells: tuple[MatrixCell, ...]
    origins: int
    single_source: bool


@dataclass(frozen=True, slots=True)
class DeltaView:
    article: str
    outlet: str
    adds: tuple[Link, ...]
    omits: tuple[Link, ...]
    shared: int


@dataclass(frozen=True, slots=True)
class DiffPart:
    op: str
    text: str


@dataclass(frozen=True, slots=True)
class RenderingView:
    outlet: str
    article: str
    kind: str
    relation: str
    score: float
    fullest: bool
    text: str
    href: str | None
    fact: str | None
    diff: tuple[DiffPart, ...]
    changed: bool


@dataclass(frozen=True, slots=True)
class QuoteCard:
    id: str
    speaker: str
    outlets: int
    first: str
    renderings: tuple[RenderingView, ...]


@dataclass(frozen=True, slots=True)
class ValueView:
    outlet: str
    value: str
    before: str
    text: str
    after: str
    href: str
    fact: str | None


@dataclass(frozen=True, slots=True)
class DiscrepancyView:
    id: str
    kind: str
    subject: str
    evidence: str
    fact: str | None
    values: tuple[ValueView, ...]


@dataclass(frozen=True, slots=True)
class TimelineRow:
    article: str
    outlet: str
    rank: int
    first: bool
    original: str
    when: str
    utc: str
    zone_known: bool
    interval: bool
    lag: str
    x: float | None  # percent along the axis
    width: float


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    label: str
    anchor: str


@dataclass(frozen=True, slots=True)
class EventView:
    date: str
    phrase: str
    outlet: str
    link: Link
    resolved_from: str | None


@dataclass(frozen=True, slots=True)
class TimelineView:
    zone: str
    first: str
    first_certain: bool
    rows: tuple[TimelineRow, ...]
    ticks: tuple[Tick, ...]
    events: tuple[EventView, ...]


@dataclass(frozen=True, slots=True)
class Chip:
    term: str
    count: int
    href: str | None
    fact: str | None
    note: str


@dataclass(frozen=True, slots=True)
class VoiceView:
    speaker: str
    share: float
    words: int
    quotes: int
    href: str | None
    fact: str | None


@dataclass(frozen=True, slots=True)
class FramingView:
    outlet: str
    article: str
    verbs: tuple[tuple[str, tuple[Chip, ...]], ...]  # by category
    own_terms: tuple[Chip, ...]
    quoted_terms: tuple[Chip, ...]
    headline_terms: tuple[Chip, ...]
    voices: tuple[VoiceView, ...]
    quoted_share: float
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SummaryView:
    text: str
    href: str | None
    fact: str
    citations: tuple[Link, ...]
    single_source: bool


@dataclass(frozen=True, slots=True)
class ReportView:
    """Everything the report templates show, every string already cleaned."""

    title: str
    story_id: str | None
    articles: tuple[ArticleView, ...]
    facts: tuple[FactRow, ...]
    coverage_counts: dict[str, int]
    deltas: tuple[DeltaView, ...]
    quotes: tuple[QuoteCard, ...]
    discrepancies: tuple[DiscrepancyView, ...]
    timeline: TimelineView
    framing: tuple[FramingView, ...]
    summary: tuple[SummaryView, ...]
    coverage_labels: dict[str, str]


# --------------------------------------------------------------------------- spans


class _Index:
    """Lookups over one comparison: units by article, facts by unit, element ids."""

    def __init__(self, c: Comparison) -> None:
        self.c = c
        self.articles = {a.id: a for a in c.articles}
        self.outlets = {a.id: clean_text(a.outlet) or "unknown outlet" for a in c.articles}
        self.facts_of: dict[str, list[Fact]] = defaultdict(list)
        units = {u.id: u for u in c.units}
        for fact in c.facts:
            for unit in fact.units:
                self.facts_of[unit.id].append(fact)
                units.setdefault(unit.id, unit)
        self.units = units
        self.by_section: dict[tuple[str, str], list[ClaimUnit]] = defaultdict(list)
        for unit in units.values():
            section = "headline" if unit.section == "headline" else "body"
            self.by_section[(unit.article_id, section)].append(unit)
        for members in self.by_section.values():
            members.sort(key=lambda u: (u.start, -u.end, u.id))
        self.unit_of_quote: dict[str, ClaimUnit] = {}
        for unit in sorted(units.values(), key=lambda u: (u.end - u.start, u.id)):
            for key in unit.quote_ids:
                self.unit_of_quote.setdefault(key, unit)

    def fact_dom(self, unit_id: str) -> str | None:
        facts = self.facts_of.get(unit_id)
        return _dom("f", facts[0].id) if facts else None

    def unit_at(self, article_id: str, start: int, end: int, section: str) -> ClaimUnit | None:
        """The innermost unit holding the span, or else the one holding its start."""
        key = (article_id, "headline" if section == "headline" else "body")
        members = self.by_section.get(key, [])
        holding = [u for u in members if u.start <= start and end <= u.end]
        if not holding:
            holding = [u for u in members if u.start <= start < u.end]
        return min(holding, key=lambda u: (u.end - u.start, u.start)) if holding else None

    def link(self, span: Span, text: str | None = None) -> Link:
        unit = self.unit_at(span.article_id, span.start, span.end, span.section)
        if unit is None:
            href = "#" + _dom("a", span.article_id)
            return Link(_short(text if text is not None else span.text), href)
        return Link(
            _short(text if text is not None else span.text),
            "#" + _dom("u", unit.id),
            self.fact_dom(unit.id),
        )

    def unit_link(self, unit: ClaimUnit, text: str) -> Link:
        return Link(_short(text), "#" + _dom("u", unit.id), self.fact_dom(unit.id))


@dataclass(frozen=True, slots=True)
class _Cover:
    start: int
    end: int
    unit: ClaimUnit


def _runs(
    text: str, units: Sequence[ClaimUnit], marks: Sequence[tuple[int, int, str, str]], index: _Index
) -> tuple[Run, ...]:
    """Cut `text` at every unit and mark boundary; each run keeps its innermost unit.

    Units come from one splitter and should neither overlap nor nest, but a run covered by
    several units keeps the shortest as its link and lists every covering fact.
    """
    size = len(text)
    covers = [
        _Cover(max(0, u.start), min(size, u.end), u)
        for u in units
        if max(0, u.start) < min(size, u.end)
    ]
    spans = [(max(0, s), min(size, e), m, k) for s, e, m, k in marks if max(0, s) < min(size, e)]
    points = sorted(
        {0, size, *(c.start for c in covers), *(c.end for c in covers)}
        | {p for s, e, _, _ in spans for p in (s, e)}
    )
    seen_units: set[str] = set()
    seen_marks: set[str] = set()
    runs: list[Run] = []
    current: ClaimUnit | None = None
    current_facts = ""
    parts: list[Part] = []

    def flush() -> None:
        nonlocal parts
        if not parts:
            return
        if current is None:
            runs.append(Run(tuple(parts)))
        else:
            facts = index.facts_of.get(current.id, [])
            coverage = facts[0].coverage if facts and facts[0].coverage in COVERAGE_LABELS else None
            first = current.id not in seen_units
            seen_units.add(current.id)
            runs.append(
                Run(
                    tuple(parts),
                    unit=_dom("u", current.id) if first else None,
                    fact=_dom("f", facts[0].id) if facts else None,
                    facts=current_facts,
                    coverage=coverage,
                    label=COVERAGE_LABELS.get(coverage or "", "not aligned"),
                )
            )
        parts = []

    order = sorted(range(len(covers)), key=lambda i: covers[i].start)
    sorted_covers = [covers[i] for i in order]
    starts = [c.start for c in sorted_covers]
    for a, b in pairwise(points):
        if a >= b:
            continue
        limit = bisect_right(starts, a)
        holding = [c for c in sorted_covers[:limit] if c.end >= b]
        unit = min(holding, key=lambda c: (c.end - c.start, c.start)).unit if holding else None
        fact_ids = sorted(
            {_dom("f", f.id) for c in holding for f in index.facts_of.get(c.unit.id, [])}
        )
        joined = " ".join(fact_ids)
        if unit is not current or joined != current_facts:
            flush()
            current, current_facts = unit, joined
        marking = [(e - s, m, k) for s, e, m, k in spans if s <= a and b <= e]
        piece = clean_text(text[a:b])
        if marking:
            _, mark, kind = min(marking)
            mark_id = None if mark in seen_marks else mark
            seen_marks.add(mark)
            parts.append(Part(piece, mark_id, kind))
        else:
            parts.append(Part(piece))
    flush()
    return tuple(runs)


# --------------------------------------------------------------------------- sections


def _lag(lag_min: float | None, lag_max: float | None, first: bool) -> str:
    if lag_min is None and lag_max is None:
        return "—" if not first else "first"
    low = lag_min if lag_min is not None else lag_max
    high = lag_max if lag_max is not None else lag_min
    assert low is not None and high is not None
    if abs(high - low) < 60:
        return "first" if first and abs(low) < 60 else duration(low)
    return f"{duration(low)} to {duration(high)}"


def _article_views(c: Comparison, index: _Index) -> tuple[ArticleView, ...]:
    marks: dict[tuple[str, str], list[tuple[int, int, str, str]]] = defaultdict(list)
    for discrepancy in c.discrepancies:
        for value in discrepancy.values:
            span = value.span
            section = "headline" if span.section == "headline" else "body"
            marks[(span.article_id, section)].append(
                (span.start, span.end, _value_dom(discrepancy, value.article_id, span), "disc")
            )
    entries = {e.article_id: e for e in c.timeline.entries}
    views = []
    for info in c.articles:
        entry = entries.get(info.id)
        if entry is not None and entry.earliest is not None:
            if entry.zone_known:
                time, note = time_label(entry.earliest), ""
            else:
                time = clean_text(entry.original) or time_label(entry.earliest)
                note = (
                    "zone unknown: between "
                    f"{time_label(entry.earliest)} and {time_label(entry.latest)}"
                )
        else:
            time, note = clean_text(info.published) or "no publication time", ""
        origin = None
        if info.origin and info.origin != info.id and info.origin in index.articles:
            origin = index.outlets[info.origin]
        counts = Counter(
            (index.facts_of[u.id][0].coverage if index.facts_of.get(u.id) else "none")
            for u in index.by_section.get((info.id, "body"), [])
        )
        views.append(
            ArticleView(
                id=_dom("a", info.id),
                outlet=index.outlets[info.id],
                title=_runs(
                    info.title or "",
                    index.by_section.get((info.id, "headline"), []),
                    marks.get((info.id, "headline"), []),
                    index,
                ),
                body=_runs(
                    info.text,
                    index.by_section.get((info.id, "body"), []),
                    marks.get((info.id, "body"), []),
                    index,
                ),
                url=safe_url(info.url),
                source=_short(_input_name(info.source), 120),
                language=_language(info.language),
                time=time,
                time_note=note,
                origin=origin,
                counts=dict(counts),
            )
        )
    return tuple(views)


def _value_dom(discrepancy: Discrepancy, article_id: str, span: Span) -> str:
    return _dom("dv", f"{discrepancy.id}\x1f{article_id}\x1f{span.start}\x1f{span.end}")


def _fact_label(fact: Fact, order: dict[str, int]) -> str:
    units = sorted(
        fact.units,
        key=lambda u: (u.section == "headline", order.get(u.article_id, 1 << 30), u.index),
    )
    return _short(units[0].text) if units else ""


def _fact_rows(c: Comparison, index: _Index) -> tuple[FactRow, ...]:
    order = {a.id: i for i, a in enumerate(c.articles)}
    facts = {f.id: f for f in c.facts}
    fact_ids = [fid for fid, _ in c.matrix.rows if fid in facts] or [f.id for f in c.facts]
    rows = []
    for number, fid in enumerate(fact_ids, start=1):
        fact = facts[fid]
        first_unit: dict[str, ClaimUnit] = {}
        for unit in sorted(fact.units, key=lambda u: (u.section != "headline", u.start)):
            first_unit.setdefault(unit.article_id, unit)
        cells = tuple(
            MatrixCell(
                index.outlets[a.id],
                _dom("u", first_unit[a.id].id) if a.id in first_unit else None,
            )
            for a in c.articles
        )
        carriers = [index.outlets[a] for a in fact.article_ids if a in index.outlets]
        rows.append(
            FactRow(
                id=_dom("f", fact.id),
                number=number,
                label=_fact_label(fact, order),
                coverage=fact.coverage if fact.coverage in COVERAGE_LABELS else "one",
                carried=len(set(fact.article_ids)),
                outlets=", ".join(carriers),
                cells=cells,
                origins=fact.origins,
                single_source=fact.single_source,
            )
        )
    return tuple(rows)


def _fact_link(fact: Fact | None, index: _Index, article_id: str | None = None) -> Link | None:
    if fact is None:
        return None
    order = {a.id: i for i, a in enumerate(index.c.articles)}
    units = [u for u in fact.units if article_id is None or u.article_id == article_id]
    units.sort(key=lambda u: (order.get(u.article_id, 1 << 30), u.section != "headline", u.start))
    label = _fact_label(fact, order)
    if units:
        return Link(label, "#" + _dom("u", units[0].id), _dom("f", fact.id))
    return Link(label, "#" + _dom("f", fact.id), _dom("f", fact.id))


def _deltas(c: Comparison, index: _Index) -> tuple[DeltaView, ...]:
    views = []
    for delta in c.matrix.deltas:
        if delta.article_id not in index.articles:
            continue
        adds = [_fact_link(c.fact(f), index, delta.article_id) for f in delta.adds]
        omits = [_fact_link(c.fact(f), index) for f in delta.omits]
        views.append(
            DeltaView(
                article=_dom("a", delta.article_id),
                outlet=index.outlets[delta.article_id],
                adds=tuple(link for link in adds if link is not None),
                omits=tuple(link for link in omits if link is not None),
                shared=len(delta.shared),
            )
        )
    return tuple(views)


def _diff(rendering: Any, index: _Index) -> tuple[DiffPart, ...]:
    parts = []
    for segment in rendering.diff:
        op = segment.op if segment.op in ("equal", "insert", "delete") else "equal"
        article = index.articles.get(segment.article_id)
        text = segment.text
        if article is not None and 0 <= segment.start < segment.end <= len(article.text):
            text = article.text[segment.start : segment.end]
        parts.append(DiffPart(op, " ".join(clean_text(text).split())))
    return tuple(parts)


def _quote_cards(c: Comparison, index: _Index) -> tuple[QuoteCard, ...]:
    order = {a.id: i for i, a in enumerate(c.articles)}
    cards = []
    for group in c.quote_groups:
        renderings = []
        for rendering in group.renderings:
            quote = rendering.quote
            unit = index.unit_of_quote.get(rendering.key) or index.unit_at(
                quote.article_id, quote.start, quote.end, "body"
            )
            diff = () if rendering.fullest else _diff(rendering, index)
            renderings.append(
                RenderingView(
                    outlet=index.outlets.get(quote.article_id, clean_text(rendering.outlet)),
                    article=_dom("a", quote.article_id),
                    kind=KIND_LABELS.get(quote.kind, "quote"),
                    relation=RELATION_LABELS.get(rendering.relation, "related"),
                    score=float(rendering.score),
                    fullest=bool(rendering.fullest),
                    text=" ".join(clean_text(quote.text).split()),
                    href="#" + _dom("u", unit.id) if unit is not None else None,
                    fact=index.fact_dom(unit.id) if unit is not None else None,
                    diff=diff,
                    changed=any(p.op != "equal" for p in diff),
                )
            )
        if not renderings:
            continue
        first = ""
        if group.first is not None:
            names = [index.outlets.get(a, "?") for a in group.first.article_ids]
            if group.first.certain:
                first = f"first carried by {', '.join(names)}"
            else:
                first = f"first: {' or '.join(names)} ({clean_text(group.first.reason)})"
        outlets = len({r.article for r in renderings})
        cards.append(
            (
                -outlets,
                min(order.get(r.quote.article_id, 1 << 30) for r in group.renderings),
                min(r.quote.start for r in group.renderings),
                QuoteCard(
                    id=_dom("q", group.id),
                    speaker=clean_text(group.speaker) or "unknown speaker",
                    outlets=outlets,
                    first=first,
                    renderings=tuple(renderings),
                ),
            )
        )
    cards.sort(key=lambda item: item[:3])
    return tuple(card for *_, card in cards)


def _discrepancies(c: Comparison, index: _Index) -> tuple[DiscrepancyView, ...]:
    views = []
    for discrepancy in c.discrepancies:
        values = []
        for value in discrepancy.values:
            span = value.span
            info = index.articles.get(span.article_id)
            if info is None:
                source = ""
            else:
                source = (info.title or "") if span.section == "headline" else info.text
            if info is not None and 0 <= span.start < span.end <= len(source):
                before = source[max(0, span.start - _CONTEXT) : span.start]
                text = source[span.start : span.end]
                after = source[span.end : span.end + _CONTEXT]
            else:
                before, text, after = "", span.text, ""
            unit = index.unit_at(span.article_id, span.start, span.end, span.section)
            values.append(
                ValueView(
                    outlet=index.outlets.get(value.article_id, clean_text(value.outlet)),
                    value=clean_text(value.value),
                    before=("…" if len(before) == _CONTEXT else "")
                    + " ".join(clean_text(before).split())
                    + (" " if before[-1:].isspace() else ""),
                    text=" ".join(clean_text(text).split()),
                    after=(" " if after[:1].isspace() else "")
                    + " ".join(clean_text(after).split())
                    + ("…" if len(after) == _CONTEXT else ""),
                    href="#" + _value_dom(discrepancy, value.article_id, span),
                    fact=index.fact_dom(unit.id) if unit is not None else None,
                )
            )
        views.append(
            DiscrepancyView(
                id=_dom("d", discrepancy.id),
                kind=clean_text(discrepancy.kind),
                subject=clean_text(discrepancy.subject),
                evidence=clean_text(discrepancy.evidence),
                fact=_dom("f", discrepancy.fact_id) if discrepancy.fact_id else None,
                values=tuple(values),
            )
        )
    return tuple(views)


def _timeline(t: Timeline, index: _Index) -> TimelineView:
    moments = [m for e in t.entries for m in (e.earliest, e.latest) if m is not None]
    low = min(moments) if moments else None
    high = max(moments) if moments else None
    if low is not None and high is not None:
        pad = max((high - low) * 0.04, timedelta(minutes=30))
        low, high = low - pad, high + pad

    def at(moment: datetime | None) -> float | None:
        if moment is None or low is None or high is None:
            return None
        return round(100 * (moment - low) / (high - low), 3)

    first = set(t.first)
    rows = []
    for entry in t.entries:
        x0, x1 = at(entry.earliest), at(entry.latest)
        interval = (
            entry.earliest is not None
            and entry.latest is not None
            and (entry.latest - entry.earliest) >= timedelta(minutes=2)
        )
        when = time_label(entry.earliest)
        if interval:
            when = f"{time_label(entry.earliest)} – {time_label(entry.latest)}"
        rows.append(
            TimelineRow(
                article=_dom("a", entry.article_id),
                outlet=index.outlets.get(entry.article_id, clean_text(entry.outlet)),
                rank=entry.rank,
                first=entry.article_id in first,
                original=clean_text(entry.original),
                when=when or "no publication time",
                utc=_utc_range(entry.earliest, entry.latest, interval) if t.zone != "UTC" else "",
                zone_known=entry.zone_known,
                interval=interval,
                lag=_lag(entry.lag_min, entry.lag_max, entry.article_id in first),
                x=x0,
                width=max(0.0, (x1 or 0.0) - (x0 or 0.0)) if interval else 0.0,
            )
        )
    ticks: list[Tick] = []
    if low is not None and high is not None:
        for i in range(5):
            moment = low + (high - low) * (i / 4)
            anchor = "start" if i == 0 else "end" if i == 4 else "middle"
            ticks.append(Tick(i * 25.0, f"{moment:%d %b %H:%M}", anchor))
    names = [index.outlets.get(a, "?") for a in t.first]
    events = tuple(
        EventView(
            date=clean_text(event.date),
            phrase=clean_text(event.phrase),
            outlet=index.outlets.get(event.article_id, "?"),
            link=index.link(event.span),
            resolved_from=clean_text(event.resolved_from) or None,
        )
        for event in sorted(t.events, key=lambda e: (e.date, e.article_id, e.span.start))
    )
    return TimelineView(
        zone=clean_text(t.zone),
        first=(" or ".join(names)),
        first_certain=t.first_certain,
        rows=tuple(rows),
        ticks=tuple(ticks),
        events=events,
    )


def _utc_range(low: datetime | None, high: datetime | None, interval: bool) -> str:
    if low is None:
        return ""
    if interval and high is not None:
        return f"{low.astimezone(UTC):%Y-%m-%d %H:%M} – {high.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return f"{low.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _chips(terms: Iterable[TermUse], index: _Index) -> tuple[Chip, ...]:
    grouped: dict[str, list[TermUse]] = defaultdict(list)
    for term in terms:
        grouped[clean_text(term.term)].append(term)
    chips = []
    for name, uses in grouped.items():
        uses.sort(key=lambda t: (t.span.section != "headline", t.span.start))
        link = index.link(uses[0].span, name)
        speakers = sorted({clean_text(t.speaker) for t in uses if t.speaker})
        words = sorted({" ".join(clean_text(t.span.text).split()) for t in uses} - {name})
        note = "; ".join(
            x
            for x in (
                f"{len(uses)}×",
                f"introduces {', '.join(speakers)}" if speakers else "",
                f"as {', '.join(words)}" if words else "",
            )
            if x
        )
        chips.append(Chip(name, len(uses), link.href, link.fact, note))
    chips.sort(key=lambda chip: (-chip.count, chip.term))
    return tuple(chips)


def _framing(c: Comparison, index: _Index) -> tuple[FramingView, ...]:
    by_article = {f.article_id: f for f in c.framing}
    views = []
    for info in c.articles:
        framing: Framing | None = by_article.get(info.id)
        if framing is None:
            continue
        by_category: dict[str, list[TermUse]] = defaultdict(list)
        for verb in framing.attribution_verbs:
            by_category[clean_text(verb.category) or "other"].append(verb)
        voices = []
        for voice in framing.voices:
            link = index.link(voice.spans[0]) if voice.spans else None
            voices.append(
                VoiceView(
                    speaker=clean_text(voice.speaker) or "unknown speaker",
                    share=max(0.0, min(1.0, voice.share)),
                    words=voice.words,
                    quotes=voice.quotes,
                    href=link.href if link else None,
                    fact=link.fact if link else None,
                )
            )
        views.append(
            FramingView(
                outlet=index.outlets[info.id],
                article=_dom("a", info.id),
                verbs=tuple(
                    (category, _chips(verbs, index))
                    for category, verbs in sorted(by_category.items())
                ),
                own_terms=_chips((t for t in framing.loaded_terms if not t.in_quote), index),
                quoted_terms=_chips((t for t in framing.loaded_terms if t.in_quote), index),
                headline_terms=_chips(framing.headline_terms, index),
                voices=tuple(voices),
                quoted_share=max(0.0, min(1.0, framing.quoted_share)),
                notes=tuple(clean_text(n) for n in framing.notes),
            )
        )
    return tuple(views)


def _summary(c: Comparison, index: _Index) -> tuple[SummaryView, ...]:
    views = []
    for sentence in c.summary:
        source = index.link(sentence.source)
        fact = c.fact(sentence.fact_id)
        citations = []
        for article_id in dict.fromkeys(sentence.article_ids):
            if article_id == sentence.source.article_id:
                citations.append(Link(index.outlets.get(article_id, "?"), source.href, source.fact))
                continue
            link = _fact_link(fact, index, article_id)
            href = link.href if link else "#" + _dom("a", article_id)
            citations.append(
                Link(index.outlets.get(article_id, "?"), href, _dom("f", sentence.fact_id))
            )
        views.append(
            SummaryView(
                text=" ".join(clean_text(sentence.text).split()),
                href=source.href,
                fact=_dom("f", sentence.fact_id),
                citations=tuple(citations),
                single_source=sentence.single_source,
            )
        )
    return tuple(views)


def _title(articles: Sequence[ArticleInfo]) -> str:
    title = next((a.title for a in articles if a.title and a.title.strip()), None)
    return _short(title, 160) if title else "Story comparison"


def report_view(c: Comparison) -> ReportView:
    """What the report shows of `c`: plain data, every article-derived string cleaned."""
    index = _Index(c)
    facts = _fact_rows(c, index)
    return ReportView(
        title=_title(c.articles),
        story_id=clean_text(c.story_id) or None,
        articles=_article_views(c, index),
        facts=facts,
        coverage_counts=dict(Counter(row.coverage for row in facts)),
        deltas=_deltas(c, index),
        quotes=_quote_cards(c, index),
        discrepancies=_discrepancies(c, index),
        timeline=_timeline(c.timeline, index),
        framing=_framing(c, index),
        summary=_summary(c, index),
        coverage_labels=COVERAGE_LABELS,
    )


# --------------------------------------------------------------------------- rendering


def _finalize(value: Any) -> Any:
    """Last line of defence: any plain string a template prints is cleaned first."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean_text(value)
    return value


@lru_cache(maxsize=1)
def report_environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates (autoescape on, strict undefined)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("storylens.present", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["percent"] = _percent
    return env


def _percent(value: float, digits: int = 0) -> str:
    return f"{100 * value:.{digits}f}%"


@lru_cache(maxsize=1)
def report_assets() -> tuple[str, str]:
    """The report's CSS and JavaScript, as the HTML file inlines them."""
    folder = files("storylens.present").joinpath(ASSET_DIR)
    css = folder.joinpath("report.css").read_text(encoding="utf-8")
    js = folder.joinpath("report.js").read_text(encoding="utf-8")
    for name, text in (("report.css", css), ("report.js", js)):
        if re.search(r"</(?:style|script)", text, re.IGNORECASE):
            raise ValueError(f"{name} must not contain a closing style or script tag")
    return css, js


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def content_security_policy(css: str, js: str) -> str:
    """Nothing loads from anywhere; only our own inline style and script run."""
    return "; ".join(
        (
            "default-src 'none'",
            f"style-src '{_sha256(css)}'",
            f"script-src '{_sha256(js)}'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


def comparison_html(c: Comparison) -> str:
    """The comparison as one self-contained, static HTML document."""
    css, js = report_assets()
    template = report_environment().get_template(TEMPLATE)
    return template.render(
        report=report_view(c),
        css=Markup(css),  # our own package files, never article text
        js=Markup(js),
        csp=content_security_policy(css, js),
    )


def comparison_fragment(c: Comparison) -> str:
    """The report's body alone, to embed in a page that serves report.css and report.js.

    The same view and autoescaping as `comparison_html`; no style, script or policy of
    its own (the embedding page sets them).
    """
    return report_environment().get_template(FRAGMENT).render(report=report_view(c))
