"""Entities and quotes for a set of articles (one story), names unified across them.

The one call the CLI and other stages use: parse each article once, extract its
entities and quotes, then fold names across the articles so that one outlet's "Peskov"
and another's "Kremlin spokesman Dmitry Peskov" are the same speaker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storylens.model import Article, Entity, Quote
from storylens.nlp.entities import (
    canonicalise_story,
    entity_id,
    extract_entities,
    person_names,
    person_roles,
    role_mentions,
    story_names,
)
from storylens.nlp.pipeline import load, parse_many
from storylens.nlp.quotes import extract_quotes, rename_speakers

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


@dataclass(frozen=True, slots=True)
class ArticleAnalysis:
    article: Article
    entities: tuple[Entity, ...]
    quotes: tuple[Quote, ...]
    # Sentence spans from the same parse, so later stages need not parse again.
    sentences: tuple[tuple[int, int], ...] = ()


def analyse(
    articles: Iterable[Article],
    nlp: Language | None = None,
    *,
    n_process: int = 1,
) -> list[ArticleAnalysis]:
    """Entities and quotes of each article, canonical names unified across all of them."""
    pipeline = nlp or load()
    per_article: list[tuple[Article, list[Entity], list[Quote]]] = []
    docs: list[Doc] = []
    for article, doc in parse_many(articles, pipeline, n_process=n_process):
        entities = extract_entities(article, doc)
        per_article.append((article, entities, extract_quotes(article, doc, entities)))
        docs.append(doc)
    mapping = story_names([entities for _, entities, _ in per_article])
    unified = canonicalise_story([entities for _, entities, _ in per_article])
    # A title one outlet gives a person names them in another ("Kremlin spokesman said").
    roles = person_roles(e for entities in unified for e in entities)
    for index, ((article, _, _), doc) in enumerate(zip(per_article, docs, strict=True)):
        taken = [(e.start, e.end) for e in unified[index] if e.label == "PERSON"]
        extra = [
            dataclasses.replace(e, entity_id=entity_id(e.label, e.canonical))
            for e in role_mentions(article, doc, roles)
            if not any(a < e.end and e.start < b for a, b in taken)
        ]
        if extra:
            unified[index] = sorted([*unified[index], *extra], key=lambda e: (e.start, e.end))
    speakers = person_names(mapping)
    return [
        ArticleAnalysis(
            article,
            tuple(entities),
            tuple(_named_by_role(rename_speakers(quotes, speakers), entities)),
            tuple((s.start_char, s.end_char) for s in doc.sents),
        )
        for (article, _, quotes), entities, doc in zip(per_article, unified, docs, strict=True)
    ]


def _named_by_role(quotes: list[Quote], entities: list[Entity]) -> list[Quote]:
    """Unresolved speakers whose mention is a person's story-level title."""
    out = []
    for q in quotes:
        if q.speaker is None and q.speaker_start is not None and q.speaker_end is not None:
            start, end = q.speaker_start, q.speaker_end
            named = [e for e in entities if e.label == "PERSON" and e.start < end and start < e.end]
            if named:
                q = dataclasses.replace(q, speaker=named[0].canonical)
        out.append(q)
    return out
