"""A neutral, extractive summary of a story across its outlets, every sentence cited.

Extractive because every sentence must be checkable: each one is a claim unit taken
verbatim from an article, and it cites every outlet whose article states the fact. No
sentence is written by us, so the summary cannot put words in an outlet's mouth.

Which facts: the ones most outlets carry, from the most independent origins, and then
the ones told earliest (leads and headlines carry what the outlets judged central).
Facts only one article states come after every shared one and are flagged, as are
shared facts that rest on one origin (five reprints of one wire story are one source).
Facts stated in headlines only are used only when no other fact is: a headline is the
outlet's angle on the story, not a report of it.

Which sentence for a fact: the unit that states it most neutrally and completely. A
reporter's own sentence beats a direct quotation (the speaker's wording, often a
fragment); a sentence that stands alone beats one opening on "He" or "However"; a full
sentence beats a clause or a headline; plain wording beats loaded terms; and among those
the unit that carries most of what the outlets agree on wins.

Redundancy: a fact whose chosen sentence repeats one already chosen (most of its content
words again, or the same stretch of text) is left out, as in maximal marginal relevance
with a hard threshold. The chosen sentences are read in story order.

Pure and deterministic: no I/O, no model, ties broken by article order and offsets.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from storylens.compare.matrix import headline_only
from storylens.compare.model import ClaimUnit, Fact, SummarySentence
from storylens.stories.features import content_words

__all__ = ["summarise", "unit_quality"]

# A chosen sentence sharing this share of the shorter one's content words with an
# already chosen sentence says the same thing again.
REDUNDANT_OVERLAP = 0.7
# Sentences outside this many words are hard to read alone (fragments) or to skim.
SHORT_WORDS = 8
LONG_WORDS = 45

# Sentence-quality weights. Coverage of the fact's agreed words runs 0..1; the rest are
# penalties sized so that one severe flaw (headline, quotation, dangling pronoun)
# outweighs any difference in coverage, and mild ones only break near-ties.
HEADLINE_PENALTY = 3.0
# A fact whose best sentence is this much quotation ranks after facts the reporters state.
QUOTED_FACT = 0.5
QUOTED_PENALTY = 1.5  # times the share of the unit inside quotation marks
PRONOUN_PENALTY = 1.0
CONNECTIVE_PENALTY = 0.5
FIRST_PERSON_PENALTY = 0.5
PRONOUN_ATTRIBUTION_PENALTY = 0.3  # '..., "he added.' names no one
LOWER_START_PENALTY = 0.6  # "but it is possible ...": a clause cut from its sentence
NO_STOP_PENALTY = 0.15  # no final stop: a leading clause or a heading
LOADED_PENALTY = 0.3  # per loaded term in the unit's own voice
LENGTH_PENALTY = 0.3
ATTRIBUTION_BONUS = 0.2

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Double marks and guillemets; single marks are too often apostrophes to pair.
_OPEN = "“«„"
_CLOSE = "”»"
_TOGGLE = '"'
_TERMINAL = ".!?…"
_CLOSERS = "\"'”’»)]"
# Openers that point back at something the reader of a lone sentence has not seen.
_PRONOUNS_TEXT = """
he she it they him her them his hers its their theirs this these those that such
we i you our us my your
"""
_PRONOUNS = frozenset(_PRONOUNS_TEXT.split())
_CONNECTIVES_TEXT = """
but however further furthermore moreover meanwhile also and so yet still then besides
additionally instead nevertheless nonetheless therefore thus accordingly likewise
similarly otherwise earlier later previously
"""
_CONNECTIVES = frozenset(_CONNECTIVES_TEXT.split())
# "It is worth mentioning that ...", "It was not clear whether ...": no antecedent needed.
_EXPLETIVE_IT = re.compile(
    r"^it\s+(?:is|was|has\s+been|had\s+been|remains|remained|seems|seemed)\b"
    r"(?:\s+\S+){0,4}?\s+(?:that|to|whether|if|how|why|when)\b",
    re.IGNORECASE,
)
_FIRST_PERSON_TEXT = "i we our us my me ourselves"
_FIRST_PERSON = frozenset(_FIRST_PERSON_TEXT.split())
# The reporter attributing the claim: a neutral reported statement.
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|told|tells|stated|states|announced|announces|added|adds|noted|"
    r"reported|reports|according\s+to|confirmed|confirms|explained|explains)\b",
    re.IGNORECASE,
)
_PRONOUN_ATTRIBUTION = re.compile(
    r"\b(?:he|she|they)\s+(?:said|says|added|adds|told|tells|stated|noted|explained)\b",
    re.IGNORECASE,
)
# Evaluative words a neutral summary should not adopt in its own voice. A short list on
# purpose: it only breaks ties between sentences that state the same fact.
_LOADED_TEXT = """
aggression aggressive aggressiveness regime puppet thug thugs terrorist terrorists
extremist extremists radical radicals propaganda slammed slams blasted blasts lashed
fumed furious outrage outrageous outraged shocking brutal brutally notorious infamous
disastrous catastrophic scandal scandalous shameful disgraceful meddling occupiers junta
atrocity atrocities massacre slaughter heroic hero heroes cowardly despot dictator tyrant
claimed admitted conceded insisted alleged allegedly boasted bragged
"""
_LOADED = frozenset(_LOADED_TEXT.split())


@dataclass(frozen=True, slots=True)
class _Candidate:
    fact: Fact
    unit: ClaimUnit
    words: frozenset[str]
    first_seen: tuple[float, int, int]  # relative position, article order, unit index


def summarise(
    facts: Sequence[Fact],
    units: Sequence[ClaimUnit],
    outlets: Mapping[str, str],
    *,
    max_sentences: int = 8,
) -> list[SummarySentence]:
    """Up to `max_sentences` sentences, one per fact, taken verbatim and cited.

    `units` are all the story's claim units (for positions within each article and for
    which units sit inside quotations); `outlets` maps article ids to display names.
    """
    if max_sentences <= 0 or not facts:
        return []
    context = _Context(units)
    candidates = [
        _Candidate(fact, unit, frozenset(content_words(unit.text)), context.first_seen(fact))
        for fact in facts
        if (unit := context.best_unit(fact)) is not None
    ]
    candidates.sort(key=context.rank_key)
    chosen: list[_Candidate] = []
    for candidate in candidates:
        if len(chosen) >= max_sentences:
            break
        if chosen and headline_only(candidate.fact):
            break  # headlines are the outlets' angles: only when nothing else is said
        if any(_redundant(candidate, other) for other in chosen):
            continue
        if _dangling(candidate.unit.text):
            continue  # "He told ...": whose words they are is lost out of context
        chosen.append(candidate)
    chosen.sort(key=lambda c: (c.first_seen, c.fact.id))
    return [_sentence(c, outlets, context) for c in chosen]


_DANGLING = frozenset(["he", "she", "they", "we", "i", "him", "her", "them", "us"])


def _dangling(text: str) -> bool:
    """The sentence opens on a personal pronoun: read alone, it names no one."""
    first = text.split(maxsplit=1)[0] if text.split() else ""
    return first.strip("\"“”'‘’«»„").casefold() in _DANGLING


def unit_quality(
    unit: ClaimUnit, *, quoted_share: float = 0.0, agreed: frozenset[str] = frozenset()
) -> float:
    """How well a unit states its fact on its own, neutrally; higher is better.

    `quoted_share` is the share of the unit inside quotation marks (counting marks opened
    in an earlier unit of the paragraph); `agreed` the content words the fact's outlets
    share, of which the unit should carry as many as it can.
    """
    text = unit.text
    words = _WORD.findall(text)
    own_voice = _outside_quotes(text) if quoted_share < 1.0 else ""
    own_words = [w.casefold() for w in _WORD.findall(own_voice)]
    score = 0.0
    if agreed:
        score += len(agreed & set(content_words(text))) / len(agreed)
    if unit.section == "headline":
        score -= HEADLINE_PENALTY
    score -= QUOTED_PENALTY * quoted_share
    score -= _opener_penalty(text)
    if _FIRST_PERSON & set(own_words):
        score -= FIRST_PERSON_PENALTY
    if _PRONOUN_ATTRIBUTION.search(own_voice):
        score -= PRONOUN_ATTRIBUTION_PENALTY
    if not _starts_sentence(text):
        score -= LOWER_START_PENALTY
    if not _ends_sentence(text):
        score -= NO_STOP_PENALTY
    score -= LOADED_PENALTY * sum(1 for w in own_words if w in _LOADED)
    if len(words) < SHORT_WORDS or len(words) > LONG_WORDS:
        score -= LENGTH_PENALTY
    if quoted_share < 0.5 and _ATTRIBUTION.search(own_voice):
        score += ATTRIBUTION_BONUS
    return score


# --------------------------------------------------------------------------- context


class _Context:
    """What the ranking needs to know about every unit: its place and its quotation."""

    def __init__(self, units: Sequence[ClaimUnit]) -> None:
        self.article_order: dict[str, int] = {}
        per_article: dict[str, list[ClaimUnit]] = {}
        for unit in units:
            self.article_order.setdefault(unit.article_id, len(self.article_order))
            per_article.setdefault(unit.article_id, []).append(unit)
        self.positions: dict[str, float] = {}
        for members in per_article.values():
            members.sort(key=lambda u: (u.index, u.start, u.id))
            last = max(1, len(members) - 1)
            for rank, unit in enumerate(members):
                self.positions[unit.id] = rank / last
        self.quoted = _quoted_shares(units)

    def position(self, unit: ClaimUnit) -> float:
        """0 for the headline and the first unit, 1 for the last unit of the article."""
        if unit.section == "headline":
            return 0.0
        return self.positions.get(unit.id, 1.0)

    def first_seen(self, fact: Fact) -> tuple[float, int, int]:
        return min(
            (
                (
                    round(self.position(u), 6),
                    self.article_order.get(u.article_id, len(self.article_order)),
                    u.index,
                )
                for u in fact.units
            ),
            default=(1.0, len(self.article_order), 0),
        )

    def rank_key(self, candidate: _Candidate) -> tuple[int, int, int, bool, float, str]:
        """Shared, then single-article, then headline-only facts; within each, more
        origins, more articles, a sentence in the reporter's words (not only a
        quotation: those are in the report's quotes section), earlier in the articles."""
        fact = candidate.fact
        articles = len(set(fact.article_ids))
        tier = 2 if headline_only(fact) else 0 if articles >= 2 else 1
        quoted = self.quoted.get(candidate.unit.id, 0.0) >= QUOTED_FACT
        return (tier, -fact.origins, -articles, quoted, candidate.first_seen[0], fact.id)

    def best_unit(self, fact: Fact) -> ClaimUnit | None:
        """The unit that states the fact best; a headline only when the fact has no other.

        Headlines are written to sell the story (title case, dropped verbs, the outlet's
        angle), so a summary sentence is always body text when the body states the fact.
        """
        if not fact.units:
            return None
        agreed = _agreed_words(fact)
        body = [u for u in fact.units if u.section != "headline"]
        return max(
            body or fact.units,
            key=lambda u: (
                round(unit_quality(u, quoted_share=self.quoted.get(u.id, 0.0), agreed=agreed), 6),
                -self.article_order.get(u.article_id, len(self.article_order)),
                -u.index,
                u.id,
            ),
        )


def _agreed_words(fact: Fact) -> frozenset[str]:
    """Content words stated by at least two of the fact's articles (all, if only one)."""
    per_article: dict[str, set[str]] = {}
    for unit in fact.units:
        per_article.setdefault(unit.article_id, set()).update(content_words(unit.text))
    if len(per_article) < 2:
        return frozenset(w for words in per_article.values() for w in words)
    counts = Counter(w for words in per_article.values() for w in words)
    return frozenset(w for w, n in counts.items() if n >= 2)


def _quoted_shares(units: Sequence[ClaimUnit]) -> dict[str, float]:
    """Share of each unit's characters inside quotation marks.

    Marks are followed across the units of one paragraph, so the middle sentences of a
    multi-sentence quotation ("It is impossible.") count as quoted although they carry
    no mark of their own.
    """
    shares: dict[str, float] = {}
    ordered = sorted(
        (u for u in units if u.section != "headline"),
        key=lambda u: (u.article_id, u.start, u.end),
    )
    open_ = False
    previous: tuple[str, int] | None = None
    for unit in ordered:
        if previous != (unit.article_id, unit.paragraph):
            open_ = False
            previous = (unit.article_id, unit.paragraph)
        quoted = 0
        letters = 0
        for ch in unit.text:
            if ch in _OPEN:
                open_ = True
                continue
            if ch in _CLOSE:
                open_ = False
                continue
            if ch == _TOGGLE:
                open_ = not open_
                continue
            if ch.isspace():
                continue
            letters += 1
            quoted += open_
        shares[unit.id] = quoted / letters if letters else 0.0
    return shares


def _outside_quotes(text: str) -> str:
    """The unit's words outside quotation marks (as far as this unit shows them)."""
    out: list[str] = []
    open_ = False
    for ch in text:
        if ch in _OPEN or (ch == _TOGGLE and not open_):
            open_ = True
            out.append(" ")
        elif ch in _CLOSE or ch == _TOGGLE:
            open_ = False
            out.append(" ")
        elif not open_:
            out.append(ch)
    return "".join(out)


def _opener_penalty(text: str) -> float:
    """A unit opening on a connective ("However,") and/or a pronoun ("he") leans on
    the sentence before it."""
    stripped = text.lstrip(_CLOSERS + _OPEN + "\"'‘—–- ")
    words = _WORD.findall(stripped[:80])
    if not words:
        return 0.0
    penalty = 0.0
    first = words[0].casefold()
    if first in _CONNECTIVES:
        penalty += CONNECTIVE_PENALTY
        stripped = stripped[stripped.casefold().find(first) + len(first) :].lstrip(" ,")
        words = words[1:]
        if not words:
            return penalty
        first = words[0].casefold()
    if first == "it" and _EXPLETIVE_IT.match(stripped):
        return penalty
    if first in _PRONOUNS:
        penalty += PRONOUN_PENALTY
    return penalty


def _starts_sentence(text: str) -> bool:
    stripped = text.strip().lstrip(_OPEN + "\"'‘")
    return bool(stripped) and (stripped[0].isupper() or stripped[0].isdigit())


def _ends_sentence(text: str) -> bool:
    return text.strip().rstrip(_CLOSERS)[-1:] in tuple(_TERMINAL)


def _redundant(candidate: _Candidate, other: _Candidate) -> bool:
    a, b = candidate.unit, other.unit
    if (
        a.article_id == b.article_id
        and a.section == b.section
        and a.start < b.end
        and b.start < a.end
    ):
        return True
    if not candidate.words or not other.words:
        return candidate.unit.text.strip() == other.unit.text.strip()
    shared = len(candidate.words & other.words)
    return shared / min(len(candidate.words), len(other.words)) >= REDUNDANT_OVERLAP


def _sentence(
    candidate: _Candidate, outlets: Mapping[str, str], context: _Context
) -> SummarySentence:
    fact = candidate.fact
    article_ids = tuple(
        sorted(
            dict.fromkeys(fact.article_ids),
            key=lambda a: (context.article_order.get(a, len(context.article_order)), a),
        )
    )
    return SummarySentence(
        text=candidate.unit.text,
        source=candidate.unit.span,
        fact_id=fact.id,
        article_ids=article_ids,
        outlets=tuple(outlets.get(a, a) for a in article_ids),
        single_source=fact.single_source,
    )
