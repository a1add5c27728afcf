"""People, organisations and places, with one canonical name per real-world entity.

Within an article a short name is folded into the fullest name it is part of ("Peskov"
-> "Dmitry Peskov"); titles standing next to a name are kept as its role ("Kremlin
spokesman"), and a later definite description matching a role ("the Kremlin spokesman")
becomes a mention of that person. Across the articles of a story the same folding runs
over the articles' canonical names, so an outlet that only ever writes "Peskov" still
lands on "Dmitry Peskov".
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storylens.model import Article, Entity, short_hash

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

KEPT_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC"})


def lexicon(words: str) -> frozenset[str]:
    """A word list written as whitespace-separated text."""
    return frozenset(words.split())


# Words that, standing before a name, are a title and belong in the role.
HONORIFICS = lexicon(
    "mr mrs ms miss dr prof sir dame lord lady rev sen rep gov gen col maj capt lt sgt "
    "adm cmdr pres supt det insp"
)
# Nouns that name a person by office or function: a definite description headed by one
# of these ("the spokesman", "the official") can stand for a person.
PERSON_NOUNS = lexicon(
    """
    spokesman spokeswoman spokesperson official minister president vice-president
    premier chancellor senator congressman congresswoman representative governor mayor
    candidate nominee chief leader diplomat ambassador envoy secretary director chairman
    chairwoman chair commissioner general admiral commander officer prosecutor attorney
    judge justice lawyer adviser advisor aide king queen prince princess emperor pope
    monarch ruler dictator strongman lawmaker legislator politician deputy head founder
    executive ceo cfo economist analyst expert scientist researcher professor doctor
    source sheriff chief-of-staff manager strategist pollster activist owner coach
    minister-president speaker whip negotiator mediator investigator inspector
    superintendent captain lieutenant colonel major sergeant general-secretary
    """
)
_LEADING_DETS = frozenset({"the", "a", "an", "this", "that", "these", "those"})
_ROLE_DEPS = frozenset({"compound", "amod", "nmod", "poss", "case", "npadvmod", "nummod"})
_ROLE_POS = frozenset({"PROPN", "NOUN", "ADJ", "PART", "NUM"})
_TRIM = " \t\n.,;:!?'\"“”‘’«»()[]-—–"


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    text: str
    label: str
    name: str  # the cleaned name (no determiner, no honorific)
    role: str | None
    head: int  # token index of the mention's root, for syntactic look-ups


def extract_entities(article: Article, doc: Doc) -> list[Entity]:
    """Every person, organisation and place mention in the article, canonicalised.

    Mentions come from the spaCy NER; definite descriptions that match a known
    person's role ("the Kremlin spokesman") are added as mentions of that person.
    """
    mentions = [m for m in (_mention(ent) for ent in doc.ents) if m is not None]
    canonical = _canonical_names(mentions)
    entities = [
        Entity(
            article_id=article.id,
            start=m.start,
            end=m.end,
            text=m.text,
            label=m.label,
            canonical=canonical[i],
            role=m.role,
        )
        for i, m in enumerate(mentions)
    ]
    entities.extend(_role_mentions(article, doc, entities))
    entities.sort(key=lambda e: (e.start, e.end))
    return [dataclasses.replace(e, entity_id=entity_id(e.label, e.canonical)) for e in entities]


def entity_id(label: str, canonical: str) -> str:
    return short_hash(label, canonical.casefold())


def _mention(ent: Span) -> _Mention | None:
    if ent.label_ not in KEPT_LABELS:
        return None
    tokens = list(ent)
    # Drop a leading determiner and trailing possessive/punctuation the NER swept in.
    while tokens and (tokens[0].lower_ in _LEADING_DETS or tokens[0].is_punct):
        tokens.pop(0)
    while tokens and (tokens[-1].is_punct or tokens[-1].lower_ in {"'s", "’s", "of", "and"}):
        tokens.pop()
    if not tokens:
        return None
    role_words: list[str] = []
    if ent.label_ == "PERSON":
        while len(tokens) > 1 and _is_title_word(tokens[0]):
            role_words.append(tokens.pop(0).text)
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    text = ent.doc[tokens[0].i : tokens[-1].i + 1].text
    name = _clean_name(text)
    if not name or not any(ch.isalpha() for ch in name):
        return None
    if ent.label_ == "PERSON" and len(name) < 2:
        return None
    role = None
    if ent.label_ == "PERSON":
        role = _role(ent, tokens, role_words)
    return _Mention(start, end, text, ent.label_, name, role, ent.root.i)


def _is_title_word(token: Token) -> bool:
    word = token.lower_.rstrip(".")
    return word in HONORIFICS or word in PERSON_NOUNS


def _clean_name(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(_TRIM)
    text = re.sub(r"[’']s$", "", text).strip(_TRIM)
    return text


def _role(ent: Span, tokens: list[Token], titles: list[str]) -> str | None:
    """The title next to a person's name: left modifiers, else an appositive."""
    doc = ent.doc
    inside = {t.i for t in tokens} | {t.i for t in ent}
    taken: list[Token] = []
    i = ent.start - 1
    while i >= 0:
        token = doc[i]
        if token.is_space or token.is_punct or token.lower_ in _LEADING_DETS:
            break
        if token.ent_type_ == "PERSON" or token.ent_type_ in {"DATE", "TIME", "CARDINAL"}:
            break
        linked = token.head.i in inside or any(token.head.i == t.i for t in taken)
        if not linked or token.dep_ not in _ROLE_DEPS or token.pos_ not in _ROLE_POS:
            break
        taken.append(token)
        i -= 1
    if taken:
        taken.reverse()
        words = [t.text for t in taken] + titles
        text = doc[taken[0].i : taken[-1].i + 1].text
        if titles:
            text = " ".join([text, *titles])
        return text if _has_title_noun(words) else None
    if titles:
        return " ".join(titles)
    # "Dmitry Peskov, the Kremlin spokesman," / "the Kremlin spokesman, Dmitry Peskov,"
    root = ent.root
    for child in root.children:
        if child.dep_ == "appos" and child.pos_ == "NOUN":
            return _np_role(child)
    if root.dep_ == "appos" and root.head.pos_ == "NOUN" and root.head.i < root.i:
        return _np_role(root.head)
    return None


def _has_title_noun(words: Iterable[str]) -> bool:
    lowered = [w.lower().strip(".") for w in words]
    return any(w in PERSON_NOUNS or w in HONORIFICS for w in lowered) or any(
        w.endswith(("man", "woman", "person", "ist", "er", "or", "ent")) for w in lowered[-1:]
    )


def _np_role(head: Token) -> str | None:
    kept = [head]
    for child in head.lefts:
        if child.dep_ in _ROLE_DEPS | {"det"} and child.ent_type_ != "PERSON":
            kept.extend(child.subtree)
    for child in head.rights:
        if child.dep_ == "prep" and child.lower_ in {"of", "for", "at"}:
            kept.extend(child.subtree)
    kept = sorted(set(kept), key=lambda t: t.i)
    while kept and (kept[0].lower_ in _LEADING_DETS or kept[0].is_punct):
        kept.pop(0)
    if not kept or len(kept) > 10 or any(t.ent_type_ == "PERSON" for t in kept):
        return None
    if head.lemma_.lower() not in PERSON_NOUNS and not _has_title_noun([head.text]):
        return None
    return head.doc[kept[0].i : kept[-1].i + 1].text


def _words(name: str) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"[\s\-‐]+", name.casefold()) if w and w.strip(".") != "")


def _is_part(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """`short` is a contiguous run of `long`'s words (and shorter than it)."""
    if not short or len(short) >= len(long):
        return False
    n = len(short)
    return any(long[i : i + n] == short for i in range(len(long) - n + 1))


def _canonical_names(mentions: Sequence[_Mention]) -> list[str]:
    """For each mention, the fullest name of its entity within the article."""
    by_label: dict[str, Counter[str]] = {}
    for m in mentions:
        by_label.setdefault(m.label, Counter())[m.name] += 1
    last_seen: dict[tuple[str, str], int] = {}
    out: list[str] = []
    for i, m in enumerate(mentions):
        names = by_label[m.label]
        choice = _fullest(m.name, names, {n: last_seen.get((m.label, n), -1) for n in names})
        out.append(choice)
        last_seen[(m.label, choice)] = i
        last_seen[(m.label, m.name)] = i
    return out


def _fullest(name: str, names: Mapping[str, int], recency: Mapping[str, int]) -> str:
    words = _words(name)
    longer = [n for n in names if _is_part(words, _words(n))]
    if not longer:
        return _case_variant(name, names)
    # Only the maximal names: "Dmitry Peskov" rather than "Peskov" in "Dmitry Peskov".
    maximal = [n for n in longer if not any(_is_part(_words(n), _words(o)) for o in longer)]
    if len(maximal) == 1:
        return maximal[0]
    # Ambiguous ("Clinton": Hillary or Bill): the one mentioned last, then most often.
    return max(sorted(maximal), key=lambda n: (recency.get(n, -1), names[n], len(n)))


def _case_variant(name: str, names: Mapping[str, int]) -> str:
    """One spelling per name: "NATO"/"Nato" fold to the most frequent form."""
    folded = [n for n in names if n.casefold() == name.casefold()]
    return max(sorted(folded), key=lambda n: names[n]) if folded else name


def person_roles(entities: Iterable[Entity]) -> dict[str, set[str]]:
    """Canonical person -> the words of every role recorded for them."""
    roles: dict[str, set[str]] = {}
    for e in entities:
        if e.label == "PERSON" and e.role:
            roles.setdefault(e.canonical, set()).update(_words(e.role))
    return roles


def _role_mentions(article: Article, doc: Doc, entities: Sequence[Entity]) -> list[Entity]:
    first_seen: dict[str, int] = {}
    for e in entities:
        if e.label == "PERSON":
            first_seen.setdefault(e.canonical, e.start)
    return role_mentions(article, doc, person_roles(entities), first_seen)


def role_mentions(
    article: Article,
    doc: Doc,
    roles: Mapping[str, set[str]],
    first_seen: Mapping[str, int] | None = None,
) -> list[Entity]:
    """Descriptions ("the Kremlin spokesman") that name a person with that role.

    `first_seen` holds where each person is first named in this article; a description
    only names someone introduced before it. Without it (roles learnt from other
    articles of the story) any position will do.
    """
    if not roles:
        return []
    seen = first_seen if first_seen is not None else dict.fromkeys(roles, -1)
    text = doc.text  # built once: Doc.text joins every token
    covered = {t.i for e in doc.ents if e.label_ in KEPT_LABELS for t in e}
    found: list[Entity] = []
    for token in doc:
        if token.pos_ != "NOUN" or token.lemma_.lower() not in PERSON_NOUNS or token.i in covered:
            continue
        if any(c.dep_ in {"appos", "compound"} and c.ent_type_ == "PERSON" for c in token.children):
            continue
        if token.dep_ == "compound" or (token.head.ent_type_ == "PERSON" and token.dep_ != "appos"):
            continue
        person, span = match_role(doc, token, roles, seen)
        if person is None or span is None:
            continue
        start, end = span
        phrase = text[start:end]
        found.append(
            Entity(
                article_id=article.id,
                start=start,
                end=end,
                text=phrase,
                label="PERSON",
                canonical=person,
                role=_clean_name(phrase.split(" ", 1)[-1])
                if phrase.lower().startswith(("the ", "this "))
                else phrase,
            )
        )
    return found


def match_role(
    doc: Doc,
    head: Token,
    roles: Mapping[str, set[str]],
    first_seen: Mapping[str, int],
) -> tuple[str | None, tuple[int, int] | None]:
    """The person whose recorded role covers the description headed by `head`."""
    left = [t for t in head.lefts if t.dep_ in {"det", "compound", "amod", "nmod", "poss"}]
    det = [t for t in left if t.dep_ == "det"]
    if det and det[0].lower_ not in {"the", "this", "that"}:
        return None, None
    if not det and not [t for t in left if t.dep_ in {"compound", "amod"}]:
        return None, None
    tokens = sorted([head, *[t for c in left for t in c.subtree]], key=lambda t: t.i)
    content = {w for t in tokens if t.dep_ != "det" and not t.is_punct for w in _words(t.text)} - {
        "'s",
        "’s",
    }
    if not content:
        return None, None
    candidates = [
        p
        for p, words in roles.items()
        if content <= words and first_seen.get(p, 1 << 30) < tokens[0].idx
    ]
    if len(candidates) != 1:
        return None, None
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
    return candidates[0], (start, end)


def story_names(per_article: Iterable[Sequence[Entity]]) -> dict[tuple[str, str], str]:
    """Map (label, article-level canonical) to the story-level canonical name.

    A name that is a contiguous part of exactly one fuller name in the story folds into
    it; ambiguous short names ("Clinton" with both Hillary and Bill Clinton present)
    fold into the fuller name mentioned most often.
    """
    counts: dict[str, Counter[str]] = {}
    for entities in per_article:
        for e in entities:
            counts.setdefault(e.label, Counter())[e.canonical] += 1
    mapping: dict[tuple[str, str], str] = {}
    for label, names in counts.items():
        for name in names:
            mapping[(label, name)] = _fullest(name, names, {})
    return mapping


def canonicalise_story(per_article: Sequence[Sequence[Entity]]) -> list[list[Entity]]:
    """The articles' entities with canonical names and ids unified across the story."""
    mapping = story_names(per_article)
    out: list[list[Entity]] = []
    for entities in per_article:
        renamed = []
        for e in entities:
            name = mapping.get((e.label, e.canonical), e.canonical)
            renamed.append(
                dataclasses.replace(e, canonical=name, entity_id=entity_id(e.label, name))
            )
        out.append(renamed)
    return out


def person_names(mapping: Mapping[tuple[str, str], str]) -> dict[str, str]:
    """Article-level canonical person (or org) name -> story-level name, for speakers."""
    names: dict[str, str] = {}
    for (label, name), story in sorted(mapping.items()):
        if label == "PERSON" or name not in names:
            names[name] = story
    return names
