"""The fact matrix: which article carries which fact, and what each adds or leaves out.

Facts stated only in headlines (every unit of the fact is a headline unit) are rows of
the matrix but count neither as something an article adds nor as something it leaves
out: a headline is the outlet's angle on the story, reported with framing, and a
headline no other outlet echoes is no omission by the others. A fact a headline and a
body sentence share counts as usual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from storylens.compare.model import Fact, FactMatrix, OutletDelta

__all__ = ["fact_matrix", "headline_only"]


def fact_matrix(
    facts: Sequence[Fact], article_ids: Sequence[str], outlets: Mapping[str, str]
) -> FactMatrix:
    """Rows (fact, carrying articles) and, per article, what it adds, omits and shares.

    `omits` holds the facts carried by more than half of the other articles (with two
    articles: every fact the other carries); `adds` the facts no other article carries,
    empty when there is no other article to compare with.
    """
    order = {aid: i for i, aid in enumerate(article_ids)}
    carried = {
        fact.id: tuple(sorted(set(fact.article_ids), key=lambda a: (order.get(a, len(order)), a)))
        for fact in facts
    }
    rows = tuple((fact.id, carried[fact.id]) for fact in facts)
    deltas = []
    for article_id in article_ids:
        others = len(article_ids) - 1
        adds: list[str] = []
        omits: list[str] = []
        shared: list[str] = []
        for fact in facts:
            carriers = carried[fact.id]
            mine = article_id in carriers
            elsewhere = len(carriers) - (1 if mine else 0)
            if mine and elsewhere:
                shared.append(fact.id)
            if headline_only(fact):
                continue
            if mine and not elsewhere and others:
                adds.append(fact.id)
            if not mine and others and elsewhere * 2 > others:
                omits.append(fact.id)
        deltas.append(
            OutletDelta(
                article_id=article_id,
                outlet=outlets.get(article_id, article_id),
                adds=tuple(adds),
                omits=tuple(omits),
                shared=tuple(shared),
            )
        )
    return FactMatrix(article_ids=tuple(article_ids), rows=rows, deltas=tuple(deltas))


def headline_only(fact: Fact) -> bool:
    """Is the fact stated in headlines only?"""
    return bool(fact.units) and all(u.section == "headline" for u in fact.units)
