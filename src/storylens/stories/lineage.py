"""Copies and lineage within a story: how many independent origins it really has.

Forty outlets printing one wire story is one origin, not forty. Two articles share an
origin when one reprints the other (near-identical text), one contains most of the
other (a trimmed or extended reprint), or both credit the same wire agency. Origins are
the connected groups of that relation; within each, the original is the agency's own
article (or the earliest one), and every other article is a verbatim reprint or a
rewrite of it. Pure: it looks only at the articles it is given.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from storylens.model import Article

SHINGLE = 5
# Share of the shorter text's shingles found in the longer one above which the shorter
# is a reprint (trimmed, extended or lightly edited) of the other.
CONTAINMENT_THRESHOLD = 0.6
# Jaccard above which a reprint is "verbatim" rather than an edited copy.
VERBATIM_THRESHOLD = 0.8

Role = Literal["original", "verbatim", "reprint", "rewrite"]

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class LineageLink:
    """How one article descends from its origin's original, with the evidence."""

    article_id: str
    role: Role
    parent: str | None  # the article it copies (None for an original)
    jaccard: float | None = None
    containment: float | None = None
    credit: str | None = None  # the wire agency both credit

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "role": self.role,
            "parent": self.parent,
            "jaccard": self.jaccard,
            "containment": self.containment,
            "credit": self.credit,
        }


@dataclass(frozen=True, slots=True)
class Origin:
    """One independent origin: an original and what descends from it.

    `agency` names the wire agency when the origin is a credited wire story; its own
    article may be absent from the corpus (then `original` is the earliest copy).
    """

    original: str
    agency: str | None
    links: tuple[LineageLink, ...] = field(default=())

    @property
    def article_ids(self) -> list[str]:
        return [link.article_id for link in self.links]

    def to_dict(self) -> dict[str, Any]:
        return {
            "original": self.original,
            "agency": self.agency,
            "links": [link.to_dict() for link in self.links],
        }


def shingle_set(text: str, size: int = SHINGLE) -> frozenset[str]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return frozenset({" ".join(words)}) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def _overlap(a: frozenset[str], b: frozenset[str]) -> tuple[float, float]:
    """(Jaccard, containment of the smaller set in the larger)."""
    if not a or not b:
        return 0.0, 0.0
    shared = len(a & b)
    return shared / len(a | b), shared / min(len(a), len(b))


def _agency_of(article: Article, agencies: set[str]) -> str | None:
    """The agency an article is *from*: its outlet is a credited agency."""
    if article.outlet is None:
        return None
    for name in (article.outlet.name, article.outlet.domain):
        if name and name in agencies:
            return name
    return None


def trace_origins(articles: Sequence[Article]) -> list[Origin]:
    """Group a story's articles into independent origins with their lineage.

    `articles` should be in publication order (earliest first); ties and unknown times
    keep the given order. Deterministic.
    """
    n = len(articles)
    sets = [shingle_set(a.text) for a in articles]
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    overlap: dict[tuple[int, int], tuple[float, float]] = {}
    for i in range(n):
        for j in range(i + 1, n):
            jaccard, containment = _overlap(sets[i], sets[j])
            overlap[(i, j)] = (jaccard, containment)
            if containment >= CONTAINMENT_THRESHOLD:
                union(i, j)
    credits = [set(a.wire) for a in articles]
    for i in range(n):
        for j in range(i + 1, n):
            if credits[i] & credits[j]:
                union(i, j)
    credited = {name for c in credits for name in c}
    for i, article in enumerate(articles):
        own = _agency_of(article, credited)
        if own:
            for j in range(n):
                if own in credits[j]:
                    union(i, j)

    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return [
        _origin(members, articles, overlap, credits, credited)
        for _, members in sorted(groups.items())
    ]


def _most_credited(members: list[int], credits: list[set[str]]) -> str | None:
    """The agency most members credit (uncredited copies of a wire story are common)."""
    counts = Counter(name for i in members for name in credits[i])
    if not counts:
        return None
    return min(counts, key=lambda name: (-counts[name], name))


def _origin(
    members: list[int],
    articles: Sequence[Article],
    overlap: dict[tuple[int, int], tuple[float, float]],
    credits: list[set[str]],
    credited: set[str],
) -> Origin:
    own = [i for i in members if _agency_of(articles[i], credited)]
    root = own[0] if own else members[0]
    agency = _agency_of(articles[root], credited) if own else _most_credited(members, credits)
    links = [LineageLink(articles[root].id, "original", None)]
    placed = [root]
    for i in members:
        if i == root:
            continue
        best = max(placed, key=lambda p: overlap[(min(p, i), max(p, i))][1])
        jaccard, containment = overlap[(min(best, i), max(best, i))]
        credit = sorted(credits[i] & (credits[best] | ({agency} if agency else set())))
        role: Role
        if jaccard >= VERBATIM_THRESHOLD:
            role = "verbatim"
        elif containment >= CONTAINMENT_THRESHOLD:
            role = "reprint"
        else:
            role = "rewrite"
        links.append(
            LineageLink(
                articles[i].id,
                role,
                articles[best].id,
                round(jaccard, 3),
                round(containment, 3),
                credit[0] if credit else None,
            )
        )
        placed.append(i)
    return Origin(original=articles[root].id, agency=agency, links=tuple(links))
