"""Compare one stored story and keep the result: the server's unit of background work.

The core (`compare`) does the analysis; this edge reads the story's articles from the
store, renders the JSON report and the HTML fragment once, draws the search rows
(quotes, entities) and per-outlet counts from the same comparison, and stores them all
together. Pages and API calls then only read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from storylens import __version__
from storylens.compare import compare_with_analyses
from storylens.compare.matrix import headline_only
from storylens.compare.model import Comparison
from storylens.model import Article, Quote
from storylens.nlp.analyze import ArticleAnalysis
from storylens.present.report_html import comparison_fragment
from storylens.present.report_json import comparison_json
from storylens.store.analyses import (
    EntityRow,
    OutletStats,
    QuoteRow,
    StoredAnalysis,
    members_key,
)
from storylens.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from spacy.language import Language

    from storylens.compare.align import SameFactScorer

__all__ = ["analyse_story", "entity_rows", "outlet_stats", "quote_rows"]


def analyse_story(
    store: SQLiteStore,
    story_id: str,
    *,
    nlp: Language | None = None,
    judge: SameFactScorer | None = None,
    zone: str = "UTC",
) -> StoredAnalysis | None:
    """Compare the story's current members and store the result; None if the story is gone.

    A story merged into another is gone too: the survivor is analysed under its own id.
    One-article stories are analysed as well (their page still shows the article).
    Models load once per process (`storylens.nlp.pipeline.load` and the judge cache them).
    """
    live = store.conn.execute(
        "SELECT 1 FROM stories WHERE id = ? AND merged_into IS NULL", (story_id,)
    ).fetchone()
    if live is None:
        return None
    member_ids = store.stories.members(story_id)
    articles = [a for a in (store.get(i) for i in member_ids) if a is not None]
    if not articles:
        return None
    comparison, analyses = compare_with_analyses(
        articles, zone=zone, nlp=nlp, judge=judge, story_id=story_id
    )
    analysis = StoredAnalysis(
        story_id=story_id,
        members_key=members_key(a.id for a in articles),
        computed_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        version=__version__,
        report_json=comparison_json(comparison),
        report_html=comparison_fragment(comparison),
    )
    store.analyses.put(
        analysis,
        quote_rows(comparison, analyses),
        entity_rows(analyses),
        outlet_stats(comparison, articles),
    )
    return analysis


def quote_rows(c: Comparison, analyses: Sequence[ArticleAnalysis] = ()) -> list[QuoteRow]:
    """Every quote of every article: the quote groups' renderings, then any quote no group
    holds (one with no comparable words), each once, in article and text order."""
    found: dict[tuple[str, int, int], Quote] = {}
    for group in c.quote_groups:
        for rendering in getattr(group, "renderings", ()):
            quote = rendering.quote
            found.setdefault((quote.article_id, quote.start, quote.end), quote)
    for analysis in analyses:
        for quote in analysis.quotes:
            found.setdefault((quote.article_id, quote.start, quote.end), quote)
    order = {info.id: i for i, info in enumerate(c.articles)}
    return [
        QuoteRow(q.article_id, q.speaker, q.text, q.start, q.end)
        for _, q in sorted(found.items(), key=lambda kv: (order.get(kv[0][0], -1), kv[0]))
    ]


def entity_rows(analyses: Sequence[ArticleAnalysis]) -> list[EntityRow]:
    """Per article, each name (canonical form) and label with how often it is mentioned."""
    rows: list[EntityRow] = []
    for analysis in analyses:
        counts = Counter(
            (" ".join((e.canonical or e.text).split()), e.label) for e in analysis.entities
        )
        rows.extend(
            EntityRow(analysis.article.id, text, label, count)
            for (text, label), count in sorted(counts.items())
            if text
        )
    return rows


def outlet_stats(c: Comparison, articles: Sequence[Article]) -> list[OutletStats]:
    """Per outlet (the store's outlet name), facts its articles carry, add and omit.

    The fact matrix's rules, with an outlet's articles taken together: it adds a fact
    no other outlet carries, and omits one that more than half of the other outlets'
    articles carry and none of its own does. Headline-only facts are neither added nor
    omitted, as in the matrix. Articles with no known outlet are left out.
    """
    outlet_of = {a.id: a.outlet.name for a in articles if a.outlet and a.outlet.name}
    mine: dict[str, set[str]] = defaultdict(set)
    for article_id, outlet in outlet_of.items():
        mine[outlet].add(article_id)
    facts = {fact.id: fact for fact in c.facts}
    total = len(c.articles)
    stats = []
    for outlet in sorted(mine):
        own = mine[outlet]
        others = total - len(own)
        carried = adds = omits = 0
        for fact_id, carriers in c.matrix.rows:
            carrying = set(carriers)
            ours = carrying & own
            fact = facts.get(fact_id)
            counted = fact is not None and not headline_only(fact)
            if ours:
                carried += 1
                if counted and others and carrying <= own:
                    adds += 1
            elif counted and others and len(carrying) * 2 > others:
                omits += 1
        stats.append(OutletStats(outlet, carried, adds, omits))
    return stats
