"""Compare one story's articles: facts, quotes, discrepancies, timeline, framing, summary.

`compare(articles)` is the one call the CLI, the web app and batch jobs use. It parses
each article once (entities, quotes, sentences), groups the quotes across outlets, splits
the articles into claim units, aligns the units into facts by meaning, and derives the
rest from those facts. It does no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from threadpoolctl import threadpool_limits

from storylens.compare.align import align_facts
from storylens.compare.discrepancies import find_discrepancies
from storylens.compare.framing import frame_article
from storylens.compare.matrix import fact_matrix
from storylens.compare.model import ArticleInfo, Comparison
from storylens.compare.relation import RelationModel
from storylens.compare.summary import summarise
from storylens.compare.timeline import build_timeline
from storylens.compare.units import claim_units
from storylens.model import Article
from storylens.nlp.analyze import ArticleAnalysis, analyse
from storylens.nlp.quote_match import default_encoder, match_quotes, with_groups
from storylens.stories.lineage import trace_origins

if TYPE_CHECKING:
    from spacy.language import Language

    from storylens.compare.align import SameFactScorer

__all__ = [
    "Comparison",
    "compare",
    "compare_with_analyses",
    "outlet_names",
    "publication_order",
]


def outlet_names(articles: Sequence[Article]) -> dict[str, str]:
    """A display name per article, unique within the comparison.

    The outlet's name when a profile or the page gives one, else the site's host, else
    the input's file name: a reader must be able to tell the columns apart and find the
    input again.
    """
    names: dict[str, str] = {}
    seen: dict[str, int] = {}
    for article in articles:
        base = (
            (article.outlet.name if article.outlet else None)
            or _host(article)
            or _source_name(article)
            or article.id
        )
        seen[base] = seen.get(base, 0) + 1
        names[article.id] = base if seen[base] == 1 else f"{base} ({seen[base]})"
    return names


def _host(article: Article) -> str | None:
    if article.outlet and article.outlet.domain:
        return article.outlet.domain
    if article.url:
        host = urlsplit(article.url).hostname
        return host.removeprefix("www.") if host else None
    return None


def _source_name(article: Article) -> str | None:
    """The last part of the input's name ("000_dfa65108.txt" of a path, a WARC record's URI)."""
    name = PurePosixPath(article.source.split("#", 1)[0]).name if article.source else ""
    return name or None


def compare(
    articles: Sequence[Article],
    *,
    zone: str = "UTC",
    nlp: Language | None = None,
    judge: SameFactScorer | None = None,
    story_id: str | None = None,
    relation: RelationModel | None = None,
) -> Comparison:
    """Lay out what each article of one story says, every figure tied to its spans."""
    comparison, _ = compare_with_analyses(
        articles, zone=zone, nlp=nlp, judge=judge, story_id=story_id, relation=relation
    )
    return comparison


def compare_with_analyses(
    articles: Sequence[Article],
    *,
    zone: str = "UTC",
    nlp: Language | None = None,
    judge: SameFactScorer | None = None,
    story_id: str | None = None,
    relation: RelationModel | None = None,
) -> tuple[Comparison, list[ArticleAnalysis]]:
    """`compare`, also returning each article's parse (entities, quotes, sentences).

    For callers that index what the articles mention (the server's entity search)
    without parsing them a second time.

    BLAS runs on one thread meanwhile: the comparison makes thousands of small matrix
    products (token against token of two sentences, window against window of two
    quotes), on which OpenBLAS's threads cost far more than they save (the 1,379 pairs
    the judge scores at 20 BASIL articles: 0.05 s on one thread, 6 s on two on a busy
    2-core machine), and one thread rounds the same whatever the machine's core count.
    The limit is process-wide (threadpoolctl), like `storylens.group`'s: comparisons of
    one process run one at a time (the command line, the server's one worker thread).
    """
    with threadpool_limits(1, user_api="blas"):
        return _compare(
            articles, zone=zone, nlp=nlp, judge=judge, story_id=story_id, relation=relation
        )


def _compare(
    articles: Sequence[Article],
    *,
    zone: str,
    nlp: Language | None,
    judge: SameFactScorer | None,
    story_id: str | None,
    relation: RelationModel | None,
) -> tuple[Comparison, list[ArticleAnalysis]]:
    ordered = sorted(_unique(articles), key=publication_order)
    outlets = outlet_names(ordered)
    analyses = analyse(ordered, nlp)
    by_id = {a.id: a for a in ordered}
    quotes = {a.article.id: list(a.quotes) for a in analyses}
    groups = match_quotes(quotes, by_id, encoder=default_encoder())
    for analysis in analyses:
        quotes[analysis.article.id] = with_groups(quotes[analysis.article.id], groups)
    units = [
        unit
        for analysis in analyses
        for unit in claim_units(analysis.article, analysis.sentences, quotes[analysis.article.id])
    ]
    origins = trace_origins(ordered)
    origin_of = {aid: origin.original for origin in origins for aid in origin.article_ids}
    if judge is None:
        from storylens.compare.same_fact import default_judge

        judge = default_judge()
    article_ids = [a.id for a in ordered]
    facts = align_facts(
        units,
        article_ids=article_ids,
        quote_groups=groups,
        origin_of=origin_of,
        judge=judge,
        relation=relation,
    )
    entities = {a.article.id: list(a.entities) for a in analyses}
    comparison = Comparison(
        articles=tuple(_info(a, outlets[a.id], origin_of.get(a.id, a.id)) for a in ordered),
        units=tuple(units),
        facts=tuple(facts),
        matrix=fact_matrix(facts, article_ids, outlets),
        quote_groups=tuple(groups),
        discrepancies=tuple(find_discrepancies(facts, by_id, entities, outlets)),
        timeline=build_timeline(ordered, outlets, zone=zone),
        framing=tuple(
            frame_article(a.article, quotes[a.article.id], outlets[a.article.id]) for a in analyses
        ),
        summary=tuple(summarise(facts, units, outlets)),
        story_id=story_id,
    )
    return comparison, analyses


def _unique(articles: Sequence[Article]) -> list[Article]:
    return list({a.id: a for a in articles}.values())


def publication_order(article: Article) -> tuple[int, float, str]:
    """Sort key: dated articles by their (earliest possible) time, then undated; ties by id."""
    if article.published is None:
        return (1, 0.0, article.id)
    return (0, article.published.sort_key.timestamp(), article.id)


def _info(article: Article, outlet: str, origin: str) -> ArticleInfo:
    published = article.published
    if published is None:
        when = None
    elif published.zone_known:
        when = published.utc.isoformat() if published.utc else published.original
    else:
        when = published.original
    return ArticleInfo(
        id=article.id,
        outlet=outlet,
        title=article.title,
        url=article.url,
        source=article.source,
        language=article.language,
        published=when,
        text=article.text,
        origin=origin,
    )
