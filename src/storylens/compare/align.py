"""Alignment: which claim units of a story's articles state the same fact.

Four kinds of evidence join units, strongest first:

- near-copy: the same sentence, give or take spelling and punctuation (a wire story
  and its reprints);
- quote-group: the units render one utterance (`match_quotes` put their quotes in one
  group), and within the group each unit is joined to the unit of the other article
  that the same-fact judge scores highest. This is how pronoun-heavy quoted sentences
  ("We cannot prevent it.") meet the reported speech that spells them out ("Russia
  cannot prevent Ukraine from joining NATO"): alone they share too little to be judged;
  the quote group supplies the context;
- same-fact, by the judge: the judge's probability that two sentences state the same
  fact (blended with the embedding cosine), asked only of candidate pairs that a cheap
  cosine prefilter keeps (the few nearest units in each other article), so a 20-article
  story costs thousands of judgements, not hundreds of thousands. It catches the
  paraphrase that shares few words; within an article it joins a fact restated
  (reported speech, then the quote);
- same-fact, by the learned relation (`relation.py`): for every pair of units of
  different articles at once, the probability that they state the same fact from the
  story's rare words they share, their embeddings and where they stand. It catches the
  fact folded into a longer sentence, which a paraphrase judge does not; a pair links
  when one unit is the other's best match in its article and the probability is at
  least RELATION_LINK.

Units whose quotes have incompatible speakers never join. Linked units are grouped
greedily, surest links first, with a group-average check (as `match_quotes` does): two
groups merge only when the units of different articles across them relate on average
(by the learned relation), so a chain of loose links cannot glue unrelated facts
together. Pronoun-heavy units ("It is impossible.") take no part in that average: they
join through their own link and cannot pull two groups together. A unit nothing
matches is a fact of one article.

Pure: no I/O. The judge and the relation model are passed in (the relation defaults
to the shipped weights).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from rapidfuzz import fuzz

from storylens.compare.model import ClaimUnit, Coverage, Fact, FactLink
from storylens.compare.relation import RelationModel, load_relation, relation_features
from storylens.model import short_hash
from storylens.nlp.quote_match import QuoteGroup, speakers_compatible
from storylens.stories.features import content_words

__all__ = ["SameFactScorer", "align_facts", "context_texts", "coverage_of", "fact_id"]

# Candidate pairs: for each unit, the TOP_K units of each other article nearest by
# embedding cosine, if at least COS_FLOOR, and at most max(MIN_CANDIDATES,
# CANDIDATES_PER_ARTICLE x other articles) in all. On the gold set (tests/data/alignment)
# the trained judge's probability separates same-fact pairs worse than the cosine does,
# and no pair below cosine 0.5 can reach LINK_FLOOR, so such pairs are not judged.
TOP_K = 1
COS_FLOOR = 0.5
MIN_CANDIDATES = 8
CANDIDATES_PER_ARTICLE = 1.0
# Within one article, each unit's SAME_ARTICLE_K nearest units are candidates too (an
# article restating a fact: reported speech, then the quote); they link at the judge's
# threshold plus SAME_ARTICLE_MARGIN.
SAME_ARTICLE_K = 2
SAME_ARTICLE_MARGIN = 0.05
# The judged relation of a candidate pair: JUDGE_WEIGHT x the judge's probability plus
# the rest x the embedding cosine; a pair links at LINK_FLOOR.
JUDGE_WEIGHT = 0.1
LINK_FLOOR = 0.7
# Units of different articles, one the other's best match in its article by the learned
# relation (`relation.py`), link when it gives them at least this probability of stating
# the same fact (a probability, not tuned: more likely the same fact than not).
RELATION_LINK = 0.5
# Near-copies: rapidfuzz ratio of the normalised texts.
NEAR_COPY_RATIO = 92.0
# Within a quote group, the best-scoring unit of the other article joins if the judge
# gives at least this (the group already says the words are one utterance).
QUOTE_GROUP_FLOOR = 0.02
# ... and they share a content word or their embeddings are this close.
QUOTE_GROUP_COS = 0.3
# Two groups merge when the mean relation of their cross-article unit pairs reaches this
# (the learned relation: on average more likely the same fact than not).
MERGE_MEAN = 0.5
# A unit with at most this many content words and a pronoun leans on its context.
DEPENDENT_CONTENT = 2
# ... and is read with at most this many units before it.
CONTEXT_UNITS = 3

Via = Literal["same-fact", "quote-group", "near-copy"]

_PRONOUNS_TEXT = "it this that they them we us he she him her its these those"
_PRONOUNS = frozenset(_PRONOUNS_TEXT.split())
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_MARKS = re.compile(r"[\"“”„«»]")
_LEADING_JOINER = re.compile(
    r"^(?:but|and|while|whereas|yet|adding|saying|noting)(?:\s+that)?\s+", re.IGNORECASE
)


class SameFactScorer(Protocol):
    """What alignment needs of the same-fact judge (`storylens.compare.same_fact`)."""

    @property
    def threshold(self) -> float: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised vectors, one row per text."""
        ...

    def scores(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Probability that the two sentences of each pair state the same fact."""
        ...


@dataclass(frozen=True, slots=True)
class _Link:
    a: int  # unit indices, a < b
    b: int
    score: float
    via: Via


def align_facts(
    units: Sequence[ClaimUnit],
    *,
    article_ids: Sequence[str],
    quote_groups: Sequence[QuoteGroup],
    origin_of: Mapping[str, str],
    judge: SameFactScorer,
    relation: RelationModel | None = None,
) -> list[Fact]:
    """Group the units of different articles that state the same fact.

    Every unit ends up in exactly one fact; facts come in order of first appearance
    (article order of `article_ids`, then unit order).
    """
    units = list(units)
    if not units:
        return []
    position = {aid: i for i, aid in enumerate(article_ids)}
    plain = [judge_text(u.text) for u in units]
    content = [frozenset(content_words(t)) for t in plain]
    dependent = [_dependent(t, c) for t, c in zip(plain, content, strict=True)]
    # what the judge reads: a dependent unit together with its context
    read_with = context_units(units, dependent)
    context = context_texts(units, plain, dependent)
    texts = [context.get(i, t) for i, t in enumerate(plain)]
    # a unit read with its context matches that context trivially: no link between them
    own_context = {(min(i, k), max(i, k)) for i, before in read_with.items() for k in before}
    vectors = np.asarray(judge.embed(texts), dtype=np.float32)
    cosine = vectors @ vectors.T
    articles = np.array([position.get(u.article_id, len(position)) for u in units])

    positions = _positions(units)
    related = (relation or load_relation()).probabilities(
        relation_features(plain, positions, cosine)
    )
    cross = articles[:, None] != articles[None, :]

    near = _near_copies(units, plain, cosine, articles)
    candidates = _candidates(cosine, articles) - set(near) - own_context
    group_pairs = _quote_group_pairs(units, quote_groups)
    to_score = sorted((candidates | group_pairs) - set(near))
    to_score = [p for p in to_score if _speakers_ok(units[p[0]], units[p[1]])]
    judged = dict(zip(to_score, _score(judge, texts, to_score), strict=True))
    # the judge's probability blended with the cosine: catches the paraphrase that
    # shares few words; the learned relation catches the fact folded into a longer
    # sentence, which the judge (trained on paraphrase pairs) does not
    blended = {
        (a, b): JUDGE_WEIGHT * p + (1.0 - JUDGE_WEIGHT) * float(cosine[a, b])
        for (a, b), p in judged.items()
    }
    links = [_Link(a, b, 1.0, "near-copy") for a, b in near]
    links += [
        _Link(a, b, s, "same-fact")
        for (a, b), s in blended.items()
        if (a, b) in candidates
        and s >= LINK_FLOOR + (SAME_ARTICLE_MARGIN if articles[a] == articles[b] else 0.0)
    ]
    known = {**blended, **{pair: 1.0 for pair in near}}
    links += _quote_group_links(units, quote_groups, known, cosine, content, LINK_FLOOR)
    linked = {(link.a, link.b) for link in links}
    sure = _best_in_article(related, articles) & (related >= RELATION_LINK)
    rows, cols = np.nonzero(np.triu(sure, k=1))
    links += [
        _Link(a, b, float(related[a, b]), "same-fact")
        for a, b in zip(rows.tolist(), cols.tolist(), strict=True)
        if (a, b) not in linked and _speakers_ok(units[a], units[b])
    ]
    # how two units relate when their groups may merge: across articles the learned
    # relation, within one the blended judge (or the cosine when not judged); a link
    # lifts its pair to at least LINK_FLOOR
    affinity = {pair: s for pair, s in blended.items() if articles[pair[0]] == articles[pair[1]]}
    for link in links:
        level = 1.0 if link.via == "near-copy" else max(LINK_FLOOR, link.score)
        affinity[(link.a, link.b)] = max(affinity.get((link.a, link.b), 0.0), level)
    floor = np.where(cross, related, np.clip((1.0 - JUDGE_WEIGHT) * cosine, 0.0, None))
    clusters = _cluster(units, links, affinity, floor, articles, dependent)
    return _facts(units, clusters, links, article_ids, position, origin_of)


def judge_text(text: str) -> str:
    """What the judge reads of a unit: no quotation marks, no leading joiner ("but")."""
    text = _MARKS.sub("", text).strip()
    return _LEADING_JOINER.sub("", text) or text


def fact_id(units: Iterable[ClaimUnit]) -> str:
    """Stable id of a fact: a hash of its sorted unit ids."""
    return short_hash(*sorted(u.id for u in units))


def coverage_of(carrying: Sequence[str], article_ids: Sequence[str]) -> Coverage:
    """Coverage: "all" when every compared article (2+) carries it, "some" when 2+,
    else "one"."""
    count = len(set(carrying))
    if count >= 2 and count >= len(set(article_ids)):
        return "all"
    return "some" if count >= 2 else "one"


# --------------------------------------------------------------------------- evidence


def _dependent(text: str, content: frozenset[str]) -> bool:
    words = {w.casefold() for w in _WORD.findall(text)}
    return len(content) <= DEPENDENT_CONTENT and bool(words & _PRONOUNS)


def _normal(text: str) -> str:
    return " ".join(w.casefold() for w in _WORD.findall(text))


def _near_copies(
    units: Sequence[ClaimUnit], texts: Sequence[str], cosine: np.ndarray, articles: np.ndarray
) -> list[tuple[int, int]]:
    """Cross-article pairs whose words are (nearly) the same: reprints, shared wire copy."""
    normal = [_normal(t) for t in texts]
    found = []
    rows, cols = np.nonzero(np.triu(cosine >= 0.9, k=1))
    for a, b in zip(rows.tolist(), cols.tolist(), strict=True):
        if articles[a] == articles[b] or units[a].article_id == units[b].article_id:
            continue
        if fuzz.ratio(normal[a], normal[b]) >= NEAR_COPY_RATIO:
            found.append((a, b))
    return found


def _candidates(cosine: np.ndarray, articles: np.ndarray) -> set[tuple[int, int]]:
    """Each unit's nearest units by embedding cosine (at least COS_FLOOR): TOP_K per
    other article, at most max(MIN_CANDIDATES, CANDIDATES_PER_ARTICLE x other articles)
    in all; and its SAME_ARTICLE_K nearest units of its own article."""
    pairs: set[tuple[int, int]] = set()
    n = len(articles)
    labels = np.unique(articles)
    cap = max(MIN_CANDIDATES, int(CANDIDATES_PER_ARTICLE * (len(labels) - 1)))
    of_article = {article: np.flatnonzero(articles == article) for article in labels.tolist()}
    for i in range(n):
        row = cosine[i]
        chosen: list[int] = []
        for article, members in of_article.items():
            if article == articles[i]:
                k = SAME_ARTICLE_K
                members = members[members != i]
            else:
                k = TOP_K
            if not k or not len(members):
                continue
            values = row[members]
            keep = members[values >= COS_FLOOR]
            if len(keep) > k:
                keep = keep[np.argsort(-row[keep], kind="stable")[:k]]
            if article == articles[i]:
                pairs.update((min(i, int(j)), max(i, int(j))) for j in keep)
            else:
                chosen += [int(j) for j in keep]
        if len(chosen) > cap:
            chosen = sorted(chosen, key=lambda j: (-row[j], j))[:cap]
        pairs.update((min(i, j), max(i, j)) for j in chosen)
    return pairs


def _best_in_article(relation: np.ndarray, articles: np.ndarray) -> np.ndarray:
    """Pairs of units of different articles one of which is the other's best match in
    its article: an article states a fact once, mostly, and a unit's best match there is
    the surest reading of it (on the labelled stories, linking every pair above the
    floor instead costs 3 points of precision for 2 of recall)."""
    out = np.zeros(relation.shape, dtype=bool)
    labels = np.unique(articles).tolist()
    members = {label: np.flatnonzero(articles == label) for label in labels}
    for x, left in enumerate(labels):
        rows = members[left]
        for right in labels[x + 1 :]:
            cols = members[right]
            block = relation[np.ix_(rows, cols)]
            best_col = block.argmax(axis=1)
            best_row = block.argmax(axis=0)
            out[rows, cols[best_col]] = True
            out[rows[best_row], cols] = True
            out[cols[best_col], rows] = True
            out[cols, rows[best_row]] = True
    return out


def _positions(units: Sequence[ClaimUnit]) -> list[float]:
    """Each unit's place in its article: 0 for the first, 1 for the last."""
    last: dict[str, int] = {}
    for unit in units:
        last[unit.article_id] = max(last.get(unit.article_id, 0), unit.index)
    return [u.index / last[u.article_id] if last[u.article_id] else 0.0 for u in units]


def _rendering_units(
    units: Sequence[ClaimUnit], groups: Sequence[QuoteGroup]
) -> list[list[tuple[str, list[int]]]]:
    """Per quote group, each rendering's article and the units that overlap it."""
    by_key: dict[str, list[int]] = {}
    for index, unit in enumerate(units):
        for key in unit.quote_ids:
            by_key.setdefault(key, []).append(index)
    return [
        [(r.article_id, by_key[r.key]) for r in group.renderings if r.key in by_key]
        for group in groups
    ]


def _rendering_pairs(
    units: Sequence[ClaimUnit], groups: Sequence[QuoteGroup]
) -> list[tuple[list[int], list[int]]]:
    """Per utterance, the units that render it in one article and in another (every
    rendering of the utterance in an article taken together), for every two articles."""
    pairs = []
    for renderings in _rendering_units(units, groups):
        per_article: dict[str, list[int]] = {}
        for article, members in renderings:
            bucket = per_article.setdefault(article, [])
            bucket += [m for m in members if m not in bucket]
        sides = [sorted(v) for _, v in sorted(per_article.items())]
        for i, left in enumerate(sides):
            for right in sides[i + 1 :]:
                pairs.append((left, right))
    return pairs


def _quote_group_pairs(
    units: Sequence[ClaimUnit], groups: Sequence[QuoteGroup]
) -> set[tuple[int, int]]:
    return {
        (min(a, b), max(a, b))
        for left, right in _rendering_pairs(units, groups)
        for a in left
        for b in right
    }


def _quote_group_links(
    units: Sequence[ClaimUnit],
    groups: Sequence[QuoteGroup],
    known: Mapping[tuple[int, int], float],
    cosine: np.ndarray,
    content: Sequence[frozenset[str]],
    threshold: float,
) -> list[_Link]:
    """Units of two renderings of one utterance that are each other's best match.

    Renderings differ in length and order (a four-sentence quote, a one-clause
    paraphrase of part of it), so a unit joins the unit of the other rendering the judge
    scores highest, and only when that unit, in turn, scores it highest of its own
    rendering: the paraphrase's one clause joins the one quoted sentence it renders,
    not all four.
    """

    def score(a: int, b: int) -> float:
        return known.get((min(a, b), max(a, b)), -1.0)

    links: dict[tuple[int, int], _Link] = {}
    for left, right in _rendering_pairs(units, groups):
        for a in left:
            best_b = max(right, key=lambda b: (score(a, b), -b))
            best_a = max(left, key=lambda x: (score(x, best_b), -x))
            if best_a != a:
                continue
            value = score(a, best_b)
            if value < QUOTE_GROUP_FLOOR:
                continue
            if value < threshold and not (
                content[a] & content[best_b] or cosine[a, best_b] >= QUOTE_GROUP_COS
            ):
                continue
            pair = (min(a, best_b), max(a, best_b))
            links[pair] = _Link(pair[0], pair[1], value, "quote-group")
    return [links[p] for p in sorted(links)]


def context_texts(
    units: Sequence[ClaimUnit], texts: Sequence[str], dependent: Sequence[bool]
) -> dict[int, str]:
    """What a dependent unit ("It is impossible.") says once its context is read with it."""
    return {
        i: " ".join(texts[k] for k in reversed(before)) + " " + texts[i]
        for i, before in context_units(units, dependent).items()
    }


def context_units(units: Sequence[ClaimUnit], dependent: Sequence[bool]) -> dict[int, list[int]]:
    """The units a dependent unit is read with, nearest first.

    The context is the units before it in its paragraph, back to the nearest one that
    stands on its own; a dependent unit that opens the lead leans on the headline (which
    restates the lead). At most CONTEXT_UNITS units are read before it.
    """
    out: dict[int, list[int]] = {}
    for i, unit in enumerate(units):
        if not dependent[i] or unit.section == "headline":
            continue
        before: list[int] = []
        j = i - 1
        while j >= 0 and len(before) < CONTEXT_UNITS:
            other = units[j]
            if other.article_id != unit.article_id or other.section == "headline":
                break
            if other.paragraph != unit.paragraph:
                break
            before.append(j)
            if not dependent[j]:
                break
            j -= 1
        if (not before or dependent[before[-1]]) and unit.section == "lead":
            heads = [
                k
                for k in range(i)
                if units[k].article_id == unit.article_id and units[k].section == "headline"
            ]
            before += heads[:1]
        if before:
            out[i] = before
    return out


def _speakers_ok(a: ClaimUnit, b: ClaimUnit) -> bool:
    return speakers_compatible(a.speaker, b.speaker)


def _score(
    judge: SameFactScorer, texts: Sequence[str], pairs: Sequence[tuple[int, int]]
) -> list[float]:
    if not pairs:
        return []
    unique = sorted({(texts[a], texts[b]) for a, b in pairs})
    found = dict(zip(unique, judge.scores(unique), strict=True))
    return [float(found[(texts[a], texts[b])]) for a, b in pairs]


# --------------------------------------------------------------------------- grouping


def _cluster(
    units: Sequence[ClaimUnit],
    links: Sequence[_Link],
    affinity: Mapping[tuple[int, int], float],
    floor: np.ndarray,
    articles: np.ndarray,
    dependent: Sequence[bool],
) -> list[list[int]]:
    clusters: dict[int, list[int]] = {i: [i] for i in range(len(units))}
    owner = list(range(len(units)))
    rank = {"near-copy": 1, "quote-group": 0, "same-fact": 0}
    for link in sorted(links, key=lambda k: (-rank[k.via], -k.score, k.a, k.b)):
        left, right = owner[link.a], owner[link.b]
        if left == right:
            continue
        if not _compatible(units, clusters[left], clusters[right]):
            continue
        if _mean_relation(clusters[left], clusters[right], affinity, floor, articles, dependent) < (
            MERGE_MEAN
        ):
            continue
        keep, drop = min(left, right), max(left, right)
        clusters[keep] = sorted(clusters[keep] + clusters.pop(drop))
        for member in clusters[keep]:
            owner[member] = keep
    return [clusters[k] for k in sorted(clusters)]


def _compatible(units: Sequence[ClaimUnit], left: Sequence[int], right: Sequence[int]) -> bool:
    speakers = sorted({s for i in (*left, *right) if (s := units[i].speaker)})
    return all(speakers_compatible(a, b) for a in speakers for b in speakers if a < b)


def _mean_relation(
    left: Sequence[int],
    right: Sequence[int],
    affinity: Mapping[tuple[int, int], float],
    floor: np.ndarray,
    articles: np.ndarray,
    dependent: Sequence[bool],
) -> float:
    """Mean relation of the self-contained cross-article pairs across two groups (1.0
    when there are none: a pronoun-heavy unit joins on its own link)."""
    total = 0.0
    count = 0
    for a in left:
        if dependent[a]:
            continue
        for b in right:
            if dependent[b] or articles[a] == articles[b]:
                continue
            total += affinity.get((min(a, b), max(a, b)), float(floor[a, b]))
            count += 1
    return total / count if count else 1.0


# --------------------------------------------------------------------------- facts


def _facts(
    units: Sequence[ClaimUnit],
    clusters: Sequence[Sequence[int]],
    links: Sequence[_Link],
    article_ids: Sequence[str],
    position: Mapping[str, int],
    origin_of: Mapping[str, str],
) -> list[Fact]:
    def order(i: int) -> tuple[int, int, str]:
        unit = units[i]
        return (position.get(unit.article_id, len(position)), unit.index, unit.id)

    owner = {i: n for n, members in enumerate(clusters) for i in members}
    evidence: dict[int, list[FactLink]] = {}
    for link in links:
        if owner[link.a] == owner[link.b]:
            a, b = sorted((units[link.a].id, units[link.b].id))
            evidence.setdefault(owner[link.a], []).append(FactLink(a, b, link.score, link.via))
    facts = []
    for n, members in sorted(enumerate(clusters), key=lambda c: min(order(i) for i in c[1])):
        ordered = sorted(members, key=order)
        fact_units = tuple(units[i] for i in ordered)
        carrying = tuple(dict.fromkeys(u.article_id for u in fact_units))
        facts.append(
            Fact(
                id=fact_id(fact_units),
                units=fact_units,
                article_ids=carrying,
                coverage=coverage_of(carrying, article_ids),
                origins=len({origin_of.get(aid, aid) for aid in carrying}),
                evidence=tuple(_used(evidence.get(n, []))),
            )
        )
    return facts


def _used(links: Sequence[FactLink]) -> list[FactLink]:
    """One link per unit pair (the strongest), in a stable order."""
    best: dict[tuple[str, str], FactLink] = {}
    for link in links:
        key = (link.a, link.b)
        if key not in best or link.score > best[key].score:
            best[key] = link
    return [best[k] for k in sorted(best)]
