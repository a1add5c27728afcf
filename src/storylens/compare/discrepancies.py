"""Discrepancies: numbers, amounts, dates, times, names and titles outlets disagree on.

A discrepancy is only worth a reader's attention when the outlets talk about the same
thing and their values cannot both be true. So values are compared only inside a fact
(units the alignment judged to state the same claim), only between values that measure
the same thing (the noun a count counts, the verb a date dates, or, for a date, time or
measure, the only one of its kind each outlet gives in that fact), and only when no
reading of one is compatible with the other (see `readings` for what "about", "more
than" and missing years allow). A value one outlet gives and another leaves out is an
omission, not a discrepancy. When an outlet gives several matching values, one
agreeing value is enough to clear it: a false alarm costs the reader's trust.

Titles are compared per person across the whole story: a role that is merely shorter
("spokesman" vs "Kremlin spokesman") is not a conflict; one that changes who holds the
office ("Deputy Interior Minister" vs "Interior Minister", "Foreign" vs "Defence
Minister") is. Names conflict when a fact gives the same office to differently named
people, or when two outlets spell a person's name in ways that are not transliteration
variants ("Dmitry"/"Dmitri" are; "Joren"/"Jonas" are not).

Parses only the units of facts carried by at least two articles, once each.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import combinations
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from storylens.compare.model import (
    ClaimUnit,
    Discrepancy,
    DiscrepancyKind,
    DiscrepantValue,
    Fact,
    Span,
)
from storylens.compare.readings import Reading, comparable, compatible, conflict, read_values
from storylens.model import Article, Entity, short_hash
from storylens.nlp.entities import HONORIFICS, lexicon

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token
    from spacy.tokens import Span as DocSpan

__all__ = ["find_discrepancies", "role_conflict", "same_name"]

_KIND_ORDER: dict[str, int] = {
    "number": 0,
    "amount": 1,
    "date": 2,
    "time": 3,
    "title": 4,
    "name": 5,
}
_CONTENT = frozenset({"NOUN", "PROPN", "VERB", "ADJ"})
# Spans of these entity types are names: a number inside one ("Rossiya 1", "Hall 4") is
# part of the name, not a value.
_NAME_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "LAW", "EVENT", "NORP"}
)
# Words too general to say what a count is of: "41 people" and "6,000 people" are not
# the same quantity unless something else ties them.
_GENERIC = lexicon(
    """
    people person persons individual individuals one ones number numbers total figure
    figures time times more other others least some thing things way ways be have do say
    tell report add show get make take include reach stand put leave give
    """
)
# "the number of injured rose to 44": the count is of what follows "of".
_COUNT_NOUNS = lexicon("number total toll tally count figure")
# Words that change who holds an office: "Deputy Foreign Minister" is someone else.
_RANKS = lexicon(
    "deputy vice acting interim former ex assistant associate junior under co first prime "
    "elect designate shadow outgoing lieutenant"
)
# Portfolios: "Interior Minister" and "Foreign Minister" are different offices.
_PORTFOLIOS = lexicon(
    """
    foreign interior home defence finance treasury justice health education economy trade
    energy transport agriculture environment labour culture tourism security intelligence
    housing industry communications information digital science technology sport
    infrastructure fisheries immigration migration veterans commerce war emergencies
    """
)
_SPELLING = {
    "defense": "defence",
    "labor": "labour",
    "transportation": "transport",
    "sports": "sport",
    "economic": "economy",
    "emergency": "emergencies",
}
_ROLE_DROP = lexicon("the a an his her its their our this that") | HONORIFICS
_TRANSLIT = (
    ("dzh", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("ks", "x"),
    ("ph", "f"),
    ("ck", "k"),
    ("dh", "d"),
    ("th", "t"),
    ("q", "k"),
    ("c", "k"),
    ("g", "k"),
    ("w", "v"),
    ("y", "i"),
)
_SURNAME_SIMILARITY = 80.0  # rapidfuzz ratio: "Vaskel"/"Vastel" are one name misspelt
# Across facts, two sentences must share this many content words besides the subject.
CROSS_FACT_SHARED = 3
# ... or only this many when both values count the same noun, each outlet counts that
# noun only once in the story, and the values are near (see `_sole_noun_pair`): "6,500
# residents ... were ordered out" and "forced about 6,000 residents from their homes".
CROSS_FACT_SHARED_SOLE_NOUN = 1
# Near values: the larger at most this many times the smaller. A misreported figure is
# close to the right one (41/44, 6,000/6,500); 3 and 6,000 residents are two groups.
NEAR_RATIO = 2.0


@dataclass(frozen=True, slots=True)
class _Word:
    lemma: str
    text: str


@dataclass(frozen=True, slots=True)
class _Mention:
    """A value in a claim unit, and the words that say what it is a value of."""

    reading: Reading
    unit: ClaimUnit
    noun: _Word | None  # the non-generic noun a count counts ("residents")
    keys: tuple[_Word, ...]  # other content words tied to the value ("injured")
    phrase: str  # a short human label: "mission suspended from"
    content: frozenset[str] = frozenset()  # content lemmas of the whole unit
    label: bool = False  # the number follows its noun ("Hall 4"): a name, not a count

    @property
    def article_id(self) -> str:
        return self.unit.article_id

    @property
    def order(self) -> tuple[int, int]:
        return (self.unit.index, self.reading.start)


def find_discrepancies(
    facts: Sequence[Fact],
    articles: Mapping[str, Article],
    entities: Mapping[str, Sequence[Entity]],
    outlets: Mapping[str, str],
    *,
    nlp: Language | None = None,
) -> list[Discrepancy]:
    """Every value the outlets disagree on, each with the spans that state it.

    `articles` and `outlets` are keyed by article id (`outlets` gives display names);
    `entities` are the story-wide canonicalised entities per article. The result is
    sorted by fact order, then kind and subject, so the same input gives the same list.
    """
    shared = [f for f in facts if len({u.article_id for u in f.units}) >= 2]
    mentions = _mentions(facts, shared, articles, nlp)
    found: list[Discrepancy] = []
    for fact in shared:
        found.extend(_fact_discrepancies(fact, mentions, articles, outlets))
    found.extend(_cross_fact_discrepancies(facts, mentions, articles, outlets, found))
    found.extend(_title_discrepancies(facts, articles, entities, outlets))
    found.extend(_name_discrepancies(facts, articles, entities, outlets))
    rank = {f.id: i for i, f in enumerate(facts)}
    unique = {d.id: d for d in reversed(found)}  # the first of equal ids wins
    return sorted(
        unique.values(),
        key=lambda d: (
            rank.get(d.fact_id, len(rank)) if d.fact_id else len(rank),
            _KIND_ORDER[d.kind],
            d.subject,
            d.id,
        ),
    )


# --- values inside facts ----------------------------------------------------------------


def _source(unit: ClaimUnit, article: Article | None) -> str | None:
    if article is None:
        return None
    return (article.title or "") if unit.section == "headline" else article.text


def _published(article: Article | None) -> date | None:
    if article is None or article.published is None:
        return None
    return article.published.local.date()


def _mentions(
    facts: Sequence[Fact],
    shared: Sequence[Fact],
    articles: Mapping[str, Article],
    nlp: Language | None,
) -> dict[str, list[_Mention]]:
    """Values of the units, with what they are values of.

    Every value of the units of `shared` facts; of the other units only the counts and
    amounts, which `_cross_fact_discrepancies` compares across facts.
    """
    in_shared = {u.id for f in shared for u in f.units}
    readings: dict[str, tuple[ClaimUnit, list[Reading]]] = {}
    for fact in facts:
        for unit in fact.units:
            if unit.id in readings:
                continue
            article = articles.get(unit.article_id)
            source = _source(unit, article)
            if source is not None and source[unit.start : unit.end] != unit.text:
                continue  # offsets that do not point at the text would mislead the reader
            found = read_values(unit.text, _published(article))
            if unit.id not in in_shared:
                found = [r for r in found if _countable(r)]
            if found:
                readings[unit.id] = (unit, found)
    if not readings:
        return {}
    if nlp is None:
        from storylens.nlp.pipeline import load

        nlp = load()
    texts = sorted({unit.text for unit, _ in readings.values()})
    docs: dict[str, Doc] = dict(zip(texts, nlp.pipe(texts), strict=True))
    out: dict[str, list[_Mention]] = {}
    for unit_id, (unit, found) in readings.items():
        doc = docs[unit.text]
        kept = [m for m in (_mention(r, unit, doc) for r in found) if m is not None]
        if kept:
            out[unit_id] = kept
    return out


def _mention(reading: Reading, unit: ClaimUnit, doc: Doc) -> _Mention | None:
    span = doc.char_span(reading.start, reading.end, alignment_mode="expand")
    if span is None or not len(span):
        return None
    if any(t.ent_type_ in _NAME_LABELS for t in span):
        return None
    spelled = not any(ch.isdigit() for ch in reading.text)
    if reading.kind == "number" and spelled and not any(t.pos_ == "NUM" for t in span):
        return None  # "one" as a pronoun ("no one", "the one who")
    noun, keys = _context(span, count=reading.dim == "count")
    head = span.root.head
    label = head.i < span.start and head.pos_ in {"NOUN", "PROPN"}
    return _Mention(
        reading,
        unit,
        noun,
        keys,
        _phrase(span, reading, noun, keys),
        _content(span.doc),
        label=label,
    )


def _countable(reading: Reading) -> bool:
    """Counts and amounts: the values compared across facts too."""
    return reading.dim == "count" or reading.kind == "amount"


def _content(doc: Doc) -> frozenset[str]:
    return frozenset(t.lemma_.lower() for t in doc if _meaningful(t) or t.pos_ == "PROPN")


def _word(token: Token) -> _Word:
    return _Word(token.lemma_.lower(), token.text.lower())


def _meaningful(token: Token) -> bool:
    return (
        token.pos_ in _CONTENT
        and token.is_alpha
        and not token.is_stop
        and token.lemma_.lower() not in _GENERIC
    )


def _context(span: DocSpan, *, count: bool) -> tuple[_Word | None, tuple[_Word, ...]]:
    """The noun a value counts and the content words that govern it in the parse."""
    inside = {t.i for t in span}
    root = span.root
    noun: Token | None = None
    if (
        count
        and root.dep_ in {"nummod", "quantmod", "amod", "compound", "nmod", "appos"}
        and root.head.pos_ in {"NOUN", "PROPN"}
        and root.head.i not in inside
    ):
        noun = root.head
    anchor = noun if noun is not None else root
    keys: list[Token] = []
    if noun is not None:
        keys.extend(
            c
            for c in noun.children
            if c.dep_ in {"amod", "acl", "relcl", "compound"} and c.i not in inside
        )
    head = anchor.head
    if anchor.dep_ == "pobj" and head.dep_ in {"prep", "agent", "dative"}:
        head = head.head
    if head.i != anchor.i and head.i not in inside:
        keys.append(head)
        # "leaving 44 people injured": the state is a second predicate of the verb.
        keys.extend(
            c
            for c in head.children
            if c.dep_ in {"xcomp", "oprd", "acomp"} and c.pos_ in {"VERB", "ADJ"}
        )
        # "the number of injured had risen to 44"
        for subject in head.children:
            if subject.dep_ in {"nsubj", "nsubjpass"} and subject.lemma_.lower() in _COUNT_NOUNS:
                keys.extend(
                    g
                    for p in subject.children
                    if p.dep_ == "prep" and p.lower_ == "of"
                    for g in p.children
                    if g.dep_ == "pobj"
                )
    doc = span.doc
    if span.end < len(doc) and (noun is None or doc[span.end].i != noun.i):
        keys.append(doc[span.end])
    if root.dep_ == "appos" and root.head.pos_ == "PROPN":
        keys.append(root.head)  # "Marta Kovel, 67": the age of Kovel
    if noun is not None and not _meaningful(noun) and noun.pos_ != "PROPN":
        keys.append(noun)  # kept for display only; filtered below
        noun = None
    words = tuple(dict.fromkeys(_word(t) for t in keys if _meaningful(t) or t.pos_ == "PROPN"))
    return (_word(noun) if noun is not None else None), words


def _phrase(span: DocSpan, reading: Reading, noun: _Word | None, keys: tuple[_Word, ...]) -> str:
    """A short label for what the value is of: "residents", "mission suspended from"."""
    if reading.dim == "count":
        if noun is not None:
            return noun.text
        return keys[0].text if keys else "number"
    root = span.root
    prep = root.head if root.dep_ == "pobj" and root.head.dep_ == "prep" else None
    verb = prep.head if prep is not None else root.head
    if verb.i == root.i or verb.i in {t.i for t in span}:
        return reading.kind if not keys else keys[0].text
    words: list[str] = []
    if verb.pos_ in {"VERB", "AUX"}:
        # What the verb acts on; for a copula ("turnout was 40%"), what is measured.
        deps = {"nsubjpass", "dobj", "nsubj"} if verb.lemma_ == "be" else {"nsubjpass", "dobj"}
        obj = next((c for c in verb.children if c.dep_ in deps), None)
        if obj is not None:
            of = [
                g for p in obj.children if p.lower_ == "of" for g in p.children if g.dep_ == "pobj"
            ]
            words.append((of[0] if of else obj).text.lower())
        words.append(verb.text.lower() if verb.tag_ in {"VBN", "VBD"} else verb.lemma_.lower())
    else:
        words.append(verb.text.lower())
    if prep is not None:
        words.append(prep.lower_)
    return " ".join(words)


def _similar(a: _Word, b: _Word) -> bool:
    """Same word up to inflection: "injured" ~ "injure" ~ "injuries"."""
    for x in (a.lemma, a.text):
        for y in (b.lemma, b.text):
            if x == y:
                return True
            shorter = min(len(x), len(y))
            common = len(_common_prefix(x, y))
            if common >= 5 and common >= 0.75 * shorter:
                return True
    return False


def _common_prefix(x: str, y: str) -> str:
    n = 0
    for cx, cy in zip(x, y, strict=False):
        if cx != cy:
            break
        n += 1
    return x[:n]


def _shared_word(a: _Mention, b: _Mention) -> _Word | None:
    words_a = ([a.noun] if a.noun else []) + list(a.keys)
    words_b = ([b.noun] if b.noun else []) + list(b.keys)
    return next((w for w in words_a if any(_similar(w, v) for v in words_b)), None)


def _same_subject(a: _Mention, b: _Mention, only_ones: bool) -> str | None:
    """What both values are of ("" when paired as each outlet's only such value), or None."""
    ra, rb = a.reading, b.reading
    if not comparable(ra, rb):
        return None
    if ra.prep and rb.prep and ra.prep != rb.prep:
        return None  # "from March 3" and "until March 17" date different ends
    if ra.dim == "count":
        if a.noun is not None and b.noun is not None:
            return a.noun.text if _similar(a.noun, b.noun) else None
        shared = _shared_word(a, b)
        return shared.text if shared is not None else None
    shared = _shared_word(a, b)
    if shared is not None:
        return shared.text
    return "" if only_ones else None


def _fact_discrepancies(
    fact: Fact,
    mentions: Mapping[str, list[_Mention]],
    articles: Mapping[str, Article],
    outlets: Mapping[str, str],
) -> list[Discrepancy]:
    found = [m for u in fact.units for m in mentions.get(u.id, ())]
    if len({m.article_id for m in found}) < 2:
        return []
    alone = [
        sum(1 for o in found if o.article_id == m.article_id and comparable(o.reading, m.reading))
        == 1
        for m in found
    ]
    partners: dict[int, list[int]] = defaultdict(list)
    subject_of: dict[tuple[int, int], str] = {}
    for i, j in combinations(range(len(found)), 2):
        if found[i].article_id == found[j].article_id:
            continue
        word = _same_subject(found[i], found[j], alone[i] and alone[j])
        if word is None:
            continue
        partners[i].append(j)
        partners[j].append(i)
        subject_of[(i, j)] = word

    def cleared(i: int, article_id: str) -> bool:
        # Some matching value in that article agrees with it.
        return any(
            found[k].article_id == article_id and compatible(found[i].reading, found[k].reading)
            for k in partners[i]
        )

    edges = [
        (i, j)
        for (i, j) in subject_of
        if conflict(found[i].reading, found[j].reading)
        and not cleared(i, found[j].article_id)
        and not cleared(j, found[i].article_id)
    ]
    out: list[Discrepancy] = []
    for component in _components(edges):
        chosen: dict[str, _Mention] = {}
        for i in sorted(component, key=lambda k: found[k].order):
            chosen.setdefault(found[i].article_id, found[i])
        picked = list(chosen.values())
        if len({m.reading.label for m in picked}) < 2:
            continue
        words = Counter(subject_of[e] for e in edges if e[0] in component and subject_of[e])
        first = min(picked, key=lambda m: _article_rank(articles, m.article_id, m.order))
        kind: DiscrepancyKind = first.reading.kind
        if kind in {"number", "amount"} and words:
            subject = max(sorted(words), key=lambda w: words[w])
        else:
            subject = first.phrase
        if words:
            shared = max(sorted(words), key=words.__getitem__)
            evidence = f"same fact {fact.id}; each value is of '{shared}'"
        else:
            evidence = f"same fact {fact.id}; the only {kind} each outlet gives in it"
        values = [
            _value(m.reading, m.unit, articles, outlets)
            for m in sorted(picked, key=lambda m: _article_rank(articles, m.article_id, m.order))
        ]
        out.append(_discrepancy(kind, fact.id, subject, values, evidence))
    return out


def _cross_fact_discrepancies(
    facts: Sequence[Fact],
    mentions: Mapping[str, list[_Mention]],
    articles: Mapping[str, Article],
    outlets: Mapping[str, str],
    found: Sequence[Discrepancy],
) -> list[Discrepancy]:
    """Counts and amounts that clash although alignment put their sentences apart.

    A same-fact judge may split "injured 41 people" from "leaving 44 people injured"
    precisely because the numbers differ. So counts and amounts are also compared
    across facts, more strictly: same subject (as within a fact), the two sentences
    share at least `CROSS_FACT_SHARED` other content words, and the other outlet gives
    no compatible value for that subject anywhere in the story. Sentences that report
    one figure in different words share few words ("6,500 residents ... were ordered
    out" vs "forced about 6,000 residents from their homes"); so when both values count
    the same noun, each outlet counts that noun only once, and the values are near,
    `CROSS_FACT_SHARED_SOLE_NOUN` shared words are enough.
    """
    fact_of = {u.id: f.id for f in facts for u in f.units}
    done = {(v.unit_id, v.span.start) for d in found for v in d.values}
    pool = [
        m for unit_mentions in mentions.values() for m in unit_mentions if _countable(m.reading)
    ]
    pool.sort(key=lambda m: _article_rank(articles, m.article_id, m.order))
    sole = [_counts_sole_noun(m, pool) for m in pool]
    subject_of: dict[tuple[int, int], str] = {}
    partners: dict[int, list[int]] = defaultdict(list)
    for i, j in combinations(range(len(pool)), 2):
        a, b = pool[i], pool[j]
        if a.article_id == b.article_id:
            continue
        word = _same_subject(a, b, only_ones=False)
        if word:
            partners[i].append(j)
            partners[j].append(i)
            subject_of[(i, j)] = word

    def cleared(i: int, article_id: str) -> bool:
        return any(
            pool[k].article_id == article_id and compatible(pool[i].reading, pool[k].reading)
            for k in partners[i]
        )

    edges: list[tuple[int, int]] = []
    overlap: dict[tuple[int, int], list[str]] = {}
    for (i, j), word in subject_of.items():
        a, b = pool[i], pool[j]
        if fact_of.get(a.unit.id) == fact_of.get(b.unit.id):
            continue  # within one fact: judged above
        if (a.unit.id, a.unit.start + a.reading.start) in done or (
            b.unit.id,
            b.unit.start + b.reading.start,
        ) in done:
            continue
        if not conflict(a.reading, b.reading):
            continue
        if cleared(i, b.article_id) or cleared(j, a.article_id):
            continue
        words = {w.lemma for w in (a.noun, b.noun, *a.keys, *b.keys) if w is not None}
        shared = sorted(a.content & b.content - words - {word})
        sole_pair = sole[i] and sole[j] and _same_noun(a, b) and _near(a.reading, b.reading)
        if len(shared) < (CROSS_FACT_SHARED_SOLE_NOUN if sole_pair else CROSS_FACT_SHARED):
            continue
        edges.append((i, j))
        overlap[(i, j)] = shared
    out: list[Discrepancy] = []
    for component in _components(edges):
        chosen: dict[str, _Mention] = {}
        for i in sorted(component, key=lambda k: pool[k].order):
            chosen.setdefault(pool[i].article_id, pool[i])
        picked = sorted(
            chosen.values(), key=lambda m: _article_rank(articles, m.article_id, m.order)
        )
        if len({m.reading.label for m in picked}) < 2:
            continue
        inside = [e for e in edges if e[0] in component]
        counts = Counter(subject_of[e] for e in inside)
        subject = max(sorted(counts), key=counts.__getitem__)
        shared = overlap[inside[0]]
        evidence = (
            f"different facts, same subject '{subject}'; the sentences also share "
            + ", ".join(f"'{w}'" for w in shared[:4])
        )
        values = [_value(m.reading, m.unit, articles, outlets) for m in picked]
        out.append(_discrepancy(picked[0].reading.kind, None, subject, values, evidence))
    return out


def _same_noun(a: _Mention, b: _Mention) -> bool:
    """Both values count the same (non-generic) noun: "6,500 residents", "6,000 residents"."""
    return a.noun is not None and b.noun is not None and _similar(a.noun, b.noun)


def _counts_sole_noun(m: _Mention, pool: Sequence[_Mention]) -> bool:
    """`m` is the only count of its noun in its article (across the whole story)."""
    if m.noun is None or m.reading.dim != "count" or m.label:
        return False
    same = [
        o
        for o in pool
        if o.article_id == m.article_id and o.reading.dim == "count" and _same_noun(m, o)
    ]
    return len({(o.unit.id, o.reading.start) for o in same}) == 1


def _near(a: Reading, b: Reading) -> bool:
    """Some value of each is within `NEAR_RATIO` of the other (both positive)."""
    return any(
        lo1 > 0 and lo2 > 0 and max(lo1, lo2) <= NEAR_RATIO * min(hi1, hi2)
        for lo1, hi1 in a.ranges
        for lo2, hi2 in b.ranges
    )


def _article_rank(
    articles: Mapping[str, Article], article_id: str, order: tuple[int, int]
) -> tuple[int, str, tuple[int, int]]:
    ids = list(articles)
    return (ids.index(article_id) if article_id in articles else len(ids), article_id, order)


def _value(
    reading: Reading,
    unit: ClaimUnit,
    articles: Mapping[str, Article],
    outlets: Mapping[str, str],
) -> DiscrepantValue:
    start, end = unit.start + reading.start, unit.start + reading.end
    return DiscrepantValue(
        article_id=unit.article_id,
        outlet=outlets.get(unit.article_id, unit.article_id),
        span=Span(unit.article_id, start, end, reading.text, unit.section),
        value=reading.label,
        unit_id=unit.id,
    )


def _discrepancy(
    kind: DiscrepancyKind,
    fact_id: str | None,
    subject: str,
    values: Sequence[DiscrepantValue],
    evidence: str,
) -> Discrepancy:
    ident = short_hash("discrepancy", kind, subject, *sorted({v.value for v in values}))
    return Discrepancy(ident, kind, fact_id, subject, tuple(values), evidence)


def _components(edges: Iterable[tuple[int, int]]) -> list[set[int]]:
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        parent[find(a)] = find(b)
    groups: dict[int, set[int]] = defaultdict(set)
    for x in list(parent):
        groups[find(x)].add(x)
    return sorted(groups.values(), key=min)


# --- titles -----------------------------------------------------------------------------


def _role_words(role: str) -> tuple[str, ...]:
    words = []
    for raw in re.split(r"[\s\-‐–]+", role.casefold()):
        word = re.sub(r"[’']s$", "", raw).strip(".,;:()\"'“”‘’")
        if word and word not in _ROLE_DROP:
            words.append(_SPELLING.get(word, word))
    return tuple(words)


def _role_head(words: Sequence[str]) -> str | None:
    before_of = list(words[: words.index("of")]) if "of" in words else list(words)
    return before_of[-1] if before_of else None


def role_conflict(a: str, b: str) -> str | None:
    """Why two titles cannot name the same office, or None when they can.

    Only titles with the same head noun are judged: "spokesman" vs "Kremlin spokesman" is
    one title said more or less fully; "Pentagon chief" vs "Defense Secretary" may well
    be one office, so it is left alone.
    """
    wa, wb = _role_words(a), _role_words(b)
    return _words_conflict(wa, wb)


def _words_conflict(wa: tuple[str, ...], wb: tuple[str, ...]) -> str | None:
    if wa == wb or not wa or not wb or _role_head(wa) != _role_head(wb):
        return None
    ranks = sorted((set(wa) & _RANKS) ^ (set(wb) & _RANKS))
    if ranks:
        return f"'{ranks[0]}' changes who holds the office"
    pa, pb = set(wa) & _PORTFOLIOS, set(wb) & _PORTFOLIOS
    if pa and pb and pa != pb:
        x, y = sorted(pa - pb)[:1] or sorted(pa), sorted(pb - pa)[:1] or sorted(pb)
        return f"'{x[0]}' and '{y[0]}' are different offices"
    return None


def _fits(wa: tuple[str, ...], wb: tuple[str, ...]) -> bool:
    """One title is the other said more or less fully ("spokesman", "Kremlin spokesman")."""
    related = set(wa) <= set(wb) or set(wb) <= set(wa)
    return related and _words_conflict(wa, wb) is None


def _title_discrepancies(
    facts: Sequence[Fact],
    articles: Mapping[str, Article],
    entities: Mapping[str, Sequence[Entity]],
    outlets: Mapping[str, str],
) -> list[Discrepancy]:
    roles: dict[str, dict[str, dict[tuple[str, ...], Entity]]] = defaultdict(dict)
    for article_id in sorted(entities, key=lambda a: _article_rank(articles, a, (0, 0))):
        for e in entities[article_id]:
            if e.label != "PERSON" or not e.role:
                continue
            words = _role_words(e.role)
            if words:
                roles[e.canonical].setdefault(article_id, {}).setdefault(words, e)
    out: list[Discrepancy] = []
    for person in sorted(roles):
        per_article = roles[person]
        items = [(aid, words, e) for aid, held in per_article.items() for words, e in held.items()]
        edges: list[tuple[int, int]] = []
        reasons: dict[tuple[int, int], str] = {}
        for i, j in combinations(range(len(items)), 2):
            (aid_a, wa, _), (aid_b, wb, _) = items[i], items[j]
            if aid_a == aid_b:
                continue
            reason = _words_conflict(wa, wb)
            if reason is None:
                continue
            if any(_fits(wa, w) for w in per_article[aid_b]) or any(
                _fits(wb, w) for w in per_article[aid_a]
            ):
                continue  # the other outlet also gives a title that fits
            edges.append((i, j))
            reasons[(i, j)] = reason
        for component in _components(edges):
            chosen: dict[str, tuple[tuple[str, ...], Entity]] = {}
            for i in sorted(component):
                aid, words, e = items[i]
                chosen.setdefault(aid, (words, e))
            values = [
                _entity_value(articles, outlets, aid, e, " ".join(words), role_span=True)
                for aid, (words, e) in chosen.items()
            ]
            reason = next(reasons[e] for e in edges if e[0] in component)
            evidence = f"same person ({person}) in each outlet; {reason}"
            fact_id = _fact_holding(facts, values)
            values = _with_units(facts, values, fact_id)
            out.append(_discrepancy("title", fact_id, f"{person}'s title", values, evidence))
    return out


def _entity_value(
    articles: Mapping[str, Article],
    outlets: Mapping[str, str],
    article_id: str,
    entity: Entity,
    value: str,
    *,
    role_span: bool = False,
) -> DiscrepantValue:
    start, end = entity.start, entity.end
    article = articles.get(article_id)
    text = article.text if article is not None else ""
    if role_span and entity.role and text:
        start, end = _role_span(text, entity)
    shown = text[start:end] if text else entity.text
    return DiscrepantValue(
        article_id=article_id,
        outlet=outlets.get(article_id, article_id),
        span=Span(article_id, start, end, shown, "body"),
        value=value,
        unit_id=None,
    )


def _role_span(text: str, entity: Entity) -> tuple[int, int]:
    """The entity's span widened to the title written next to it."""
    role = entity.role or ""
    if role.casefold() in entity.text.casefold():
        return entity.start, entity.end
    reach = len(role) + 60
    low, high = max(0, entity.start - reach), min(len(text), entity.end + reach)
    hits = [
        (m.start() + low, m.end() + low)
        for m in re.finditer(re.escape(role), text[low:high], flags=re.IGNORECASE)
    ]
    if not hits:
        return entity.start, entity.end
    s, e = min(hits, key=lambda h: min(abs(h[1] - entity.start), abs(entity.end - h[0])))
    return min(s, entity.start), max(e, entity.end)


def _holds(unit: ClaimUnit, article_id: str, span: Span) -> bool:
    """The unit contains the span (headline units only headline spans)."""
    return (
        unit.article_id == article_id
        and (unit.section == "headline") == (span.section == "headline")
        and unit.start <= span.start
        and span.end <= unit.end
    )


def _fact_holding(facts: Sequence[Fact], values: Sequence[DiscrepantValue]) -> str | None:
    """The fact whose units hold every value's span, when there is one."""
    for fact in facts:
        if all(any(_holds(u, v.article_id, v.span) for u in fact.units) for v in values):
            return fact.id
    return None


def _with_units(
    facts: Sequence[Fact], values: Sequence[DiscrepantValue], fact_id: str | None
) -> list[DiscrepantValue]:
    out = []
    for v in values:
        unit = next(
            (
                u
                for f in facts
                if fact_id is None or f.id == fact_id
                for u in f.units
                if _holds(u, v.article_id, v.span)
            ),
            None,
        )
        out.append(
            DiscrepantValue(v.article_id, v.outlet, v.span, v.value, unit.id if unit else None)
        )
    return out


# --- names ------------------------------------------------------------------------------


@lru_cache(maxsize=16384)
def _skeleton(name: str) -> str:
    """A transliteration-blind key: "Dmitry"/"Dmitri", "Aleksandr"/"Alexander" agree."""
    plain = unicodedata.normalize("NFKD", name.casefold())
    word = "".join(ch for ch in plain if ch.isalpha())
    for old, new in _TRANSLIT:
        word = word.replace(old, new)
    if not word:
        return ""
    rest = re.sub(r"[aeiou]", "", word[1:])
    return re.sub(r"(.)\1+", r"\1", word[0] + rest)


@lru_cache(maxsize=65536)
def _variant(a: str, b: str) -> bool:
    x, y = a.casefold().rstrip("."), b.casefold().rstrip(".")
    if x == y or _skeleton(x) == _skeleton(y):
        return True
    # An initial or a short form: "J. Vaskel", "Alex"/"Alexander".
    return bool(
        x
        and y
        and x[0] == y[0]
        and (len(x) <= 2 or len(y) <= 2 or x.startswith(y) or y.startswith(x))
    )


def same_name(a: str, b: str) -> bool:
    """Two spellings of one person's name (transliteration variants, initials)."""
    wa, wb = a.split(), b.split()
    if len(wa) != len(wb):
        return False
    return all(_variant(x, y) for x, y in zip(wa, wb, strict=True))


def _name_discrepancies(
    facts: Sequence[Fact],
    articles: Mapping[str, Article],
    entities: Mapping[str, Sequence[Entity]],
    outlets: Mapping[str, str],
) -> list[Discrepancy]:
    people: dict[str, dict[str, list[Entity]]] = {}  # article -> canonical -> mentions
    roles: dict[str, dict[str, set[tuple[str, ...]]]] = {}
    for aid, ents in entities.items():
        for e in ents:
            if e.label != "PERSON":
                continue
            people.setdefault(aid, {}).setdefault(e.canonical, []).append(e)
            if e.role:
                roles.setdefault(aid, {}).setdefault(e.canonical, set()).add(_role_words(e.role))
    ids = sorted(people, key=lambda a: _article_rank(articles, a, (0, 0)))
    naming = _naming_index(facts, people)
    out: list[Discrepancy] = []
    for aid_a, aid_b in combinations(ids, 2):
        only_a = sorted(set(people[aid_a]) - set(people[aid_b]))
        only_b = sorted(set(people[aid_b]) - set(people[aid_a]))
        for p in only_a:
            for q in only_b:
                found = _name_pair(p, q, aid_a, aid_b, facts, naming, roles)
                if found is None:
                    continue
                subject, evidence, fact_id = found
                values = [
                    _entity_value(articles, outlets, aid, _fullest(people[aid][name]), name)
                    for aid, name in ((aid_a, p), (aid_b, q))
                ]
                values = _with_units(facts, values, fact_id)
                out.append(_discrepancy("name", fact_id, subject, values, evidence))
    return out


def _fullest(mentions: Sequence[Entity]) -> Entity:
    """The mention that writes the name out in full, else the first."""
    return next((e for e in mentions if e.text == e.canonical), mentions[0])


def _name_pair(
    p: str,
    q: str,
    aid_a: str,
    aid_b: str,
    facts: Sequence[Fact],
    naming: Mapping[tuple[str, str], set[int]],
    roles: Mapping[str, Mapping[str, set[tuple[str, ...]]]],
) -> tuple[str, str, str | None] | None:
    """(subject, evidence, fact id) when p (in one article) and q (in the other) clash."""
    wp, wq = p.split(), q.split()
    both = naming.get((aid_a, p), set()) & naming.get((aid_b, q), set())
    shared_fact = facts[min(both)].id if both else None
    # The same office held by differently named people in one statement.
    common = {
        w
        for w in roles.get(aid_a, {}).get(p, set()) & roles.get(aid_b, {}).get(q, set())
        if len(w) >= 2
    }
    if common and shared_fact is not None and not same_name(p, q):
        role = " ".join(sorted(common)[0])
        return f"the {role}", f"same fact {shared_fact}; both outlets name the {role}", shared_fact
    if len(wp) < 2 or len(wp) != len(wq) or same_name(p, q):
        return None
    first_same = _variant(wp[0], wq[0])
    last_same = _variant(wp[-1], wq[-1])
    if first_same and not last_same:
        if fuzz.ratio(wp[-1].casefold(), wq[-1].casefold()) < _SURNAME_SIMILARITY:
            return None
        evidence = "same first name and a near-identical surname that is no transliteration variant"
        return f"{p}'s name", evidence, shared_fact
    if last_same and not first_same and shared_fact is not None:
        evidence = f"same fact {shared_fact}; same surname, first names that are not variants"
        return f"{p}'s name", evidence, shared_fact
    return None


def _naming_index(
    facts: Sequence[Fact], people: Mapping[str, Mapping[str, Sequence[Entity]]]
) -> dict[tuple[str, str], set[int]]:
    """(article, person) -> the facts (by position) whose units name that person there.

    Built once so that comparing every pair of names is a set intersection, not a scan
    of every fact's units (which made name checks grow with the cube of the story).
    """
    units: dict[str, list[tuple[int, ClaimUnit]]] = {}
    for position, fact in enumerate(facts):
        for unit in fact.units:
            units.setdefault(unit.article_id, []).append((position, unit))
    index: dict[tuple[str, str], set[int]] = {}
    for aid, names in people.items():
        held = units.get(aid, [])
        for name, mentions in names.items():
            spans = [Span(aid, e.start, e.end, e.text) for e in mentions]
            index[(aid, name)] = {i for i, u in held if any(_holds(u, aid, sp) for sp in spans)}
    return index
