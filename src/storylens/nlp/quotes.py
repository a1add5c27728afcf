"""Quotes in news text: direct, partial and indirect, with speaker, cue and channel.

Rules over the spaCy parse, in four passes over one article:

1. Pair the quotation marks (`quotemarks.find_quotes`: every mark style, quotes that
   run over paragraphs, unbalanced marks). A quotation that stands as its own
   constituent — at a sentence start, after a comma or colon, or as the object of a
   reporting verb — is a *direct* candidate; one inside a clause is a *partial* one.
2. Attach each direct quote to a cue: a reporting verb right after it ("...," Peskov
   told Rossiya 1), right before it (Peskov said: "..."), between its two halves
   ("...," he said, "..."), or in the previous paragraph when that ends with a colon. A
   quote standing alone as a sentence with no cue continues the last speaker.
3. Indirect speech: a reporting verb's clausal complement ("X said that ...", "...,
   sources said"), "according to X, ...", and reporting verbs whose object carries
   quoted words (called it a "disaster"). Reported clauses holding quoted words are
   *partial* quotes, the quoted words their `parts`.
4. Speakers: the cue's subject (through "went on to say", "adding"), an appositive
   name, or "according to"'s object; pronouns and titles ("he", "the spokesman")
   resolve to the nearest compatible named person, preferring the last speaker and a
   person whose recorded role matches. Channels come from "told X", "in an interview
   with X", "on X", "speaking to X"; a continuation ("he added") keeps the channel of
   the same speaker's previous quote.

Pure functions: no I/O, no model loading here (see `pipeline`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from storylens.model import Article, Entity, Quote, QuoteKind
from storylens.nlp.entities import PERSON_NOUNS, extract_entities, lexicon, match_role
from storylens.nlp.quotemarks import QUOTE_MARKS, QuoteSpan, find_quotes, paragraphs

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

# Reporting verbs (lemmas). Speech, writing, and the belief verbs news attribution
# corpora (PARC, PolNeAR) count as attributions.
CUE_VERBS = lexicon(
    """
    say tell add state announce warn claim argue explain note insist ask write tweet
    post declare report suggest acknowledge admit deny continue conclude reply respond
    answer recall predict urge emphasize emphasise stress complain accuse reiterate
    maintain confirm assert comment observe remark mention quip joke testify vow pledge
    promise threaten allege contend concede caution boast brag lament muse recount
    reveal disclose indicate signal estimate forecast proclaim agree disagree object
    protest scoff chide criticize criticise blast slam praise hail thank apologize
    apologise reassure assure inform notify advise recommend propose demand plead beg
    cry shout yell scream whisper mutter murmur sigh grumble retort counter rebut
    dispute question wonder speculate think believe feel hope fear worry doubt suspect
    surmise reckon figure guess acknowledge lecture preach insinuate imply hint
    announce clarify elaborate concur affirm reaffirm aver attest certify swear
    complain grouse gripe snap snarl bark fume rage rant wail sob exclaim gush
    enthuse marvel opine pontificate posit stipulate theorize theorise summarize
    summarise describe call label dub brand find show learn read highlight
    underscore underline recognize recognise reason write blog text email message
    admire attack denounce condemn dismiss deride mock ridicule refer characterize
    characterise portray depict tout laud applaud decry
    """
)
# Reporting nouns: "Trump's claim that ...", "a warning by the ministry that ...".
CUE_NOUNS = lexicon(
    """
    claim statement assertion remark comment warning promise pledge vow insistence
    argument suggestion allegation accusation admission prediction contention charge
    belief view announcement assurance denial testimony insinuation boast complaint
    """
)
# Cues that attribute only when their object carries quoted words (called it "X").
PARTIAL_ONLY_CUES = lexicon(
    """
    call describe label dub brand admire attack denounce condemn dismiss deride mock
    ridicule refer characterize characterise portray depict tout laud applaud decry
    """
)
# Cues that are usually a further statement by the speaker just quoted.
CONTINUATION_CUES = frozenset({"add", "continue", "conclude", "reiterate", "go", "elaborate"})
# Nouns of media, events and documents: "in an interview with X", "at a rally".
CHANNEL_NOUNS = lexicon(
    """
    interview statement tweet post op-ed oped letter speech email e-mail message
    appearance video podcast broadcast conversation remarks remark article column essay
    memo release briefing conference rally event hearing meeting summit forum debate
    address session call note blog radio television tv show program programme
    newsletter book testimony filing lawsuit report editorial commentary posting
    livestream chat townhall town talk
    """
)
_TIME_WORDS = lexicon(
    """
    monday tuesday wednesday thursday friday saturday sunday weekend morning afternoon
    evening night day week month year today tonight occasion occasions basis
    """
)
# Media the NER often takes for people or places ("wrote on Twitter").
PLATFORMS = lexicon(
    """
    twitter facebook instagram telegram youtube tiktok linkedin weibo wechat vk reddit
    threads mastodon bluesky snapchat whatsapp truth substack medium x
    """
)
# Verbs whose "on X" is the topic ("commented on the move"), not the medium.
_TOPIC_ON = frozenset(
    {"comment", "report", "agree", "insist", "elaborate", "reflect", "focus", "remark", "weigh"}
)
PRONOUNS = frozenset({"he", "she", "him", "her", "they", "them", "it", "i", "we", "you"})
_PERSON_PRONOUNS = frozenset({"he", "she", "him", "her"})
_BOUNDARY_BEFORE = frozenset(".:;,!?—–-(…[")
_SENTENCE_END = frozenset({".", "!", "?", "…"})
_DASHES = frozenset({"―", "—", "–", "-", "--", "‒"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj"})
_CLIMB_DEPS = frozenset({"xcomp", "conj", "advcl", "acl", "pcomp"})
_MENTION_RIGHT_DEPS = frozenset({"compound", "flat", "nummod", "prep", "case", "amod"})
_MAX_PARAGRAPH_GAP = 3


@dataclass(slots=True)
class _Attribution:
    kind: QuoteKind
    start: int
    end: int
    parts: list[tuple[int, int]] = field(default_factory=list)
    cue: Token | None = None
    cue_span: tuple[int, int] | None = None
    speaker_token: Token | None = None
    speaker_span: tuple[int, int] | None = None
    speaker: str | None = None
    channel: tuple[int, int] | None = None
    inherited_speaker: bool = False


@dataclass(slots=True)
class _Context:
    """What every pass needs: the text, its parse, marks, paragraphs and entities."""

    text: str
    doc: Doc
    quotes: list[QuoteSpan]
    paras: list[tuple[int, int]]
    entities: list[Entity]
    token_starts: list[int]
    in_quote: list[bool]  # per token: inside some quotation's marks
    roles: dict[str, set[str]]
    first_seen: dict[str, int]
    para_starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.para_starts = [p[0] for p in self.paras]

    def para_of(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.para_starts, pos) - 1)

    def tokens_in(self, start: int, end: int) -> list[Token]:
        lo = bisect.bisect_left(self.token_starts, start)
        hi = bisect.bisect_left(self.token_starts, end)
        return [t for t in self.doc[lo:hi] if not t.is_space]

    def token_at(self, pos: int) -> Token | None:
        i = bisect.bisect_right(self.token_starts, pos) - 1
        return self.doc[i] if 0 <= i < len(self.doc) else None


def extract_quotes(
    article: Article, doc: Doc, entities: Sequence[Entity] | None = None
) -> list[Quote]:
    """Every quote in the article, in text order.

    `doc` is the spaCy parse of `article.text` (see `pipeline.parse`); `entities` are
    the article's entities when already extracted (they give speakers' canonical names).
    """
    if doc.text != article.text:
        raise ValueError(f"{article.id}: the parse is not of this article's text")
    ents = list(entities) if entities is not None else extract_entities(article, doc)
    ctx = _context(article.text, doc, ents)
    turns = _transcript_turns(ctx)
    turn_paras = [ctx.paras[ctx.para_of(t.start)] for t in turns]
    direct, partial_marks = _direct_quotes(ctx, turn_paras)
    reported = _reported_speech(ctx, direct + turns, partial_marks)
    attributions = sorted(turns + direct + reported, key=lambda a: (a.start, a.end))
    _resolve_speakers(ctx, attributions)
    # Reported speech needs someone reporting it ("it is worth mentioning that" does not).
    attributions = [a for a in attributions if a.kind == "direct" or a.speaker_span is not None]
    _inherit_channels(ctx, attributions)
    return [_to_quote(article.id, ctx, a) for a in attributions]


def _context(text: str, doc: Doc, entities: list[Entity]) -> _Context:
    quotes = find_quotes(text)
    token_starts = [t.idx for t in doc]
    in_quote = [False] * len(doc)
    for q in quotes:
        lo = bisect.bisect_left(token_starts, q.open)
        hi = bisect.bisect_right(token_starts, q.close)
        for i in range(lo, hi):
            in_quote[i] = True
    roles: dict[str, set[str]] = {}
    first_seen: dict[str, int] = {}
    for e in entities:
        if e.label == "PERSON":
            first_seen.setdefault(e.canonical, e.start)
            if e.role:
                roles.setdefault(e.canonical, set()).update(re.findall(r"\w+", e.role.casefold()))
    return _Context(
        text, doc, quotes, paragraphs(text), entities, token_starts, in_quote, roles, first_seen
    )


# --- pass 1 and 2: direct quotes -------------------------------------------------------


def _quote_text(ctx: _Context, q: QuoteSpan) -> str:
    return " ".join(ctx.text[a:b] for a, b in q.parts)


def _word_count(text: str) -> int:
    return len(re.findall(r"\w+(?:['’]\w+)?", text))


def _char_before(ctx: _Context, pos: int) -> str:
    lo = ctx.paras[ctx.para_of(pos)][0]
    i = pos - 1
    while i >= lo and ctx.text[i].isspace():
        i -= 1
    return ctx.text[i] if i >= lo else ""


def _char_after(ctx: _Context, pos: int) -> str:
    hi = ctx.paras[ctx.para_of(pos)][1]
    i = pos + 1
    while i < hi and ctx.text[i].isspace():
        i += 1
    return ctx.text[i] if i < hi else ""


_MINOR_WORDS = lexicon("a an the of and or nor in on at to for with from by as vs is are but")


def _is_title(text: str) -> bool:
    """Title case over a few words: a show, a book, a slogan's name."""
    words = re.findall(r"[^\W\d_][\w'’-]*", text)
    if len(words) < 2 or len(words) > 8 or not words[0][0].isupper():
        return False
    return all(w[0].isupper() for w in words if w.casefold() not in _MINOR_WORDS)


def _is_cue(token: Token) -> bool:
    if token.lemma_.lower() not in CUE_VERBS:
        return False
    return token.pos_ == "VERB" or (token.tag_ in {"VBD", "VBZ", "VBP", "VBG", "VBN"})


def _direct_quotes(
    ctx: _Context, turns: Sequence[tuple[int, int]] = ()
) -> tuple[list[_Attribution], list[QuoteSpan]]:
    """Direct quotes with their cues, and the quotations left for partial quotes."""
    found: list[_Attribution] = []
    partial: list[QuoteSpan] = []
    used: set[int] = set()
    quotes = ctx.quotes
    for index, q in enumerate(quotes):
        if index in used or any(a <= q.open < b for a, b in turns):
            continue
        content = _quote_text(ctx, q)
        if _is_title(content):
            continue  # “Fox News Sunday”, “The Apprentice”: a name, not a quote
        words = _word_count(content)
        before = _char_before(ctx, q.open)
        starts_upper = next((c.isupper() for c in content if c.isalpha()), False)
        lead_cue = _lead_cue(ctx, q)
        boundary = before == "" or before in _BOUNDARY_BEFORE or before in QUOTE_MARKS
        if not (boundary or (lead_cue is not None and starts_upper and words >= 3)):
            partial.append(q)
            continue
        attribution = _Attribution("direct", q.start, q.end, list(q.parts))
        cue, follower = _trail_cue(ctx, q, quotes[index + 1] if index + 1 < len(quotes) else None)
        if cue is not None:
            attribution.cue = cue
            if follower is not None:
                attribution.parts.extend(follower.parts)
                attribution.end = follower.end
                used.add(index + 1)
        elif lead_cue is not None:
            attribution.cue = lead_cue
        else:
            colon = _colon_cue(ctx, q) or _dash_speaker(ctx, q)
            if colon is not None:
                attribution.cue, attribution.speaker_token = colon
        sentence_level = before in {"", ".", "!", "?", ":"} or before in QUOTE_MARKS
        if attribution.cue is None and attribution.speaker_token is None:
            ends_sentence = _char_after(ctx, q.close) in {"", ".", "!", "?"} or not q.closed
            if not (sentence_level and ends_sentence and words >= 3):
                partial.append(q)
                continue
            attribution.inherited_speaker = True  # resolved later from the last speaker
        elif words < 2 and attribution.cue is not None and not sentence_level:
            partial.append(q)
            continue
        found.append(attribution)
    return found, partial


_TURN = re.compile(r"[\"“'‘]?([A-Z][A-Z.'’\-]+(?: [A-Z][A-Z.'’\-]+){0,3}) ?: +(?=\S)")
_NOT_SPEAKERS = lexicon(
    """
    update editor's editor’s note photo image video watch read more related advertisement
    correction clarification source breaking exclusive live caption credit q a by and
    the headline disclaimer warning
    """
)
_MAX_CONTINUATION = 4


def _transcript_turns(ctx: _Context) -> list[_Attribution]:
    """Interview transcripts: paragraphs opening with a speaker label ("PENCE: ...").

    Only where an article has two turns or more; unlabelled paragraphs right after a
    turn continue it (up to a few), as transcripts print a long answer.
    """
    labelled: list[tuple[int, re.Match[str]]] = []
    for index, (lo, hi) in enumerate(ctx.paras):
        match = _TURN.match(ctx.text, lo, hi)
        if match is None:
            continue
        words = match.group(1).casefold().split()
        if len(match.group(1).replace(".", "")) < 2 or any(w in _NOT_SPEAKERS for w in words):
            continue
        labelled.append((index, match))
    if len(labelled) < 2:
        return []
    people = {e.canonical for e in ctx.entities if e.label == "PERSON"}
    turns: list[_Attribution] = []
    starts = [index for index, _ in labelled] + [len(ctx.paras)]
    for (index, match), following in zip(labelled, starts[1:], strict=True):
        label = match.group(1)
        surname = label.replace(".", " ").split()[-1].casefold()
        name = next(
            (p for p in sorted(people) if p.split()[-1].casefold() == surname), label.title()
        )
        label_span = (match.start(1), match.end(1))
        last = min(following, index + 1 + _MAX_CONTINUATION)
        for k in range(index, last):
            lo, hi = ctx.paras[k]
            if k > index and (ctx.text[lo] in "([" or _word_count(ctx.text[lo:hi]) < 5):
                break  # (CROSSTALK), a footer: the turn is over
            start = match.end() if k == index else lo
            while start < hi and ctx.text[start] in QUOTE_MARKS:
                start += 1
            end = hi
            while end > start and ctx.text[end - 1] in QUOTE_MARKS:
                end -= 1
            if end - start < 2:
                continue
            turns.append(
                _Attribution(
                    "direct",
                    start,
                    end,
                    [(start, end)],
                    speaker_span=label_span,
                    speaker=name,
                )
            )
    return turns


def _trail_cue(
    ctx: _Context, q: QuoteSpan, following: QuoteSpan | None
) -> tuple[Token | None, QuoteSpan | None]:
    """A cue just after the closing mark, and the quote it splits off, if any."""
    if not q.closed:
        return None, None
    para_end = ctx.paras[ctx.para_of(q.close)][1]
    limit = para_end
    if following is not None and following.open < para_end:
        limit = following.open
    window: list[Token] = []
    for token in ctx.tokens_in(q.close + 1, limit):
        if ctx.in_quote[token.i]:
            break
        window.append(token)
        if token.text in _SENTENCE_END:
            break
    content = _quote_text(ctx, q).rstrip(" " + "".join(QUOTE_MARKS))
    ends_sentence = content[-1:] in {".", "!", "?"}
    if window and window[0].text in _DASHES:
        return None, None  # "..." — Name: a byline-style credit, see _dash_speaker
    for n, token in enumerate(window):
        if n > 12 or token.text in _SENTENCE_END:
            break
        if token.is_punct and token.text not in {",", "—", "–", "-"} and n > 0:
            break
        if not _is_cue(token):
            continue
        if ends_sentence and _has_own_content(ctx, token, q):
            break
        split_by = None
        after = window[n + 1 :]
        if (
            following is not None
            and following.open == limit
            and (not after or after[-1].text in {",", ":", "—", "–"})
            and not ends_sentence
        ):
            split_by = following
        return token, split_by
    return None, None


def _has_own_content(ctx: _Context, verb: Token, q: QuoteSpan) -> bool:
    """The verb has a clausal complement after the quote: it reports something else."""
    return any(
        c.dep_ in {"ccomp", "xcomp"} and c.i > verb.i and not ctx.in_quote[c.i]
        for c in verb.children
    )


def _lead_cue(ctx: _Context, q: QuoteSpan) -> Token | None:
    """A cue just before the opening mark: Peskov said: "..." / He told CNN, "..."."""
    para_start = ctx.paras[ctx.para_of(q.open)][0]
    tokens = ctx.tokens_in(para_start, q.open)
    window: list[Token] = []
    for token in reversed(tokens):
        if ctx.in_quote[token.i] or token.text in _SENTENCE_END:
            break
        window.append(token)
    window.reverse()
    for n in range(len(window) - 1, -1, -1):
        token = window[n]
        between = window[n + 1 :]
        if len(between) > 8:
            break
        if any(t.pos_ in {"VERB", "AUX"} for t in between):
            break
        if _is_cue(token) and token.lemma_.lower() not in PARTIAL_ONLY_CUES:
            return token
    return None


def _colon_cue(ctx: _Context, q: QuoteSpan) -> tuple[Token | None, Token | None] | None:
    """A quote opening a paragraph after one ending in a colon ("... said:")."""
    index = ctx.para_of(q.open)
    lo = ctx.paras[index][0]
    own_lead = ctx.text[lo : q.open].strip()
    if own_lead.endswith(":"):
        tokens = [t for t in ctx.tokens_in(lo, q.open) if not ctx.in_quote[t.i]]
    elif not own_lead and index > 0 and ctx.text[: ctx.paras[index - 1][1]].rstrip().endswith(":"):
        plo, phi = ctx.paras[index - 1]
        tokens = [t for t in ctx.tokens_in(plo, phi) if not ctx.in_quote[t.i]]
    else:
        return None
    # The last sentence before the colon.
    cut = max((i for i, t in enumerate(tokens[:-1]) if t.text in _SENTENCE_END), default=-1)
    tokens = tokens[cut + 1 :]
    for token in reversed(tokens):
        if _is_cue(token):
            return token, None
    for token in reversed(tokens):
        if token.ent_type_ in {"PERSON", "ORG"}:
            return None, token
    return None


def _dash_speaker(ctx: _Context, q: QuoteSpan) -> tuple[Token | None, Token | None] | None:
    """A quote credited after a dash: "..." — Sonya Herridge."""
    if not q.closed:
        return None
    para_end = ctx.paras[ctx.para_of(q.close)][1]
    window = ctx.tokens_in(q.close + 1, para_end)[:8]
    if not window or window[0].text not in _DASHES:
        return None
    name = [t for t in window[1:] if t.ent_type_ in {"PERSON", "ORG"} or t.pos_ == "PROPN"]
    if not name:
        return None
    head = name[0]
    while head.head.i != head.i and head.dep_ in {"compound", "flat"} and head.head in window:
        head = head.head
    return None, head


# --- pass 3: reported speech ----------------------------------------------------------


def _reported_speech(
    ctx: _Context, direct: list[_Attribution], partial_marks: list[QuoteSpan]
) -> list[_Attribution]:
    used_cues = {a.cue.i for a in direct if a.cue is not None}
    direct_chars = [(a.start, a.end) for a in direct]
    found: list[_Attribution] = []
    for token in ctx.doc:
        if ctx.in_quote[token.i] or token.i in used_cues:
            continue
        span: tuple[int, int] | None = None
        cue = token
        if token.lower_ == "according" and any(c.lower_ == "to" for c in token.children):
            span = _according_content(ctx, token)
        elif _is_cue(token):
            span = _clause_content(ctx, token)
        elif token.pos_ == "NOUN" and token.lemma_.lower() in CUE_NOUNS:
            span = _noun_content(token)
        if span is None:
            continue
        start, end = span
        if _covered(start, end, direct_chars) >= 0.5:
            continue
        inner = [q for q in partial_marks if start - 1 <= q.open < end]
        lemma = token.lemma_.lower()
        if lemma in PARTIAL_ONLY_CUES and not inner:
            continue
        if not inner and _word_count(ctx.text[start:end]) < 3:
            continue
        kind: QuoteKind = "partial" if inner else "indirect"
        parts = [p for q in inner for p in q.parts]
        found.append(_Attribution(kind, start, end, parts, cue=cue))
    # Quoted words in a sentence with a reporting verb but outside any reported clause.
    taken = [(a.start, a.end) for a in found]
    for q in partial_marks:
        if any(a - 1 <= q.open < b for a, b in taken):
            continue
        verb = _governing_cue(ctx, q)
        if verb is None:
            continue
        found.append(_Attribution("partial", q.start, q.end, list(q.parts), cue=verb))
    return found


def _covered(start: int, end: int, spans: Iterable[tuple[int, int]]) -> float:
    if end <= start:
        return 0.0
    inside = sum(max(0, min(end, b) - max(start, a)) for a, b in spans)
    return inside / (end - start)


def _span_of(tokens: Iterable[Token]) -> tuple[int, int] | None:
    kept = sorted((t for t in tokens if not t.is_space), key=lambda t: t.i)
    while kept and (kept[0].is_punct and kept[0].text not in QUOTE_MARKS):
        kept.pop(0)
    while kept and (kept[-1].is_punct and kept[-1].text not in QUOTE_MARKS):
        kept.pop()
    if not kept:
        return None
    return kept[0].idx, kept[-1].idx + len(kept[-1].text)


def _clause_content(ctx: _Context, verb: Token) -> tuple[int, int] | None:
    """The reported clause of a reporting verb."""
    sent = verb.sent
    comps = [c for c in verb.children if c.dep_ == "ccomp"]
    if comps:
        tokens = [t for c in comps for t in c.subtree]
        return _span_of(t for t in tokens if t.sent == sent)
    # "told CNN in an interview that ...": the that-clause hangs off a dependent.
    for child in verb.rights:
        if child.dep_ == "punct":
            continue
        for t in child.subtree:
            if t.dep_ in {"acl", "ccomp", "relcl", "advcl"} and any(
                m.dep_ == "mark" and m.lower_ == "that" and m.i < t.i for m in t.children
            ):
                return _span_of(x for x in t.subtree if x.sent == sent)
    head = verb.head
    if (
        verb.dep_ in {"parataxis", "ccomp", "advcl"}
        and head.i < verb.i
        and any(c.dep_ in _SUBJECT_DEPS for c in verb.children)
        and verb.lemma_.lower() not in PARTIAL_ONLY_CUES
        and verb.left_edge.i > 0
        and verb.doc[verb.left_edge.i - 1].text in {",", "—", "–"}
        and verb.right_edge.i - verb.i <= 8
    ):
        # "X happened, sources said." parsed with "said" under the reported verb.
        inner = {t.i for t in verb.subtree}
        tokens = [t for t in head.subtree if t.i not in inner and t.i < verb.left_edge.i]
        return _span_of(t for t in tokens if t.sent == sent)
    objects = [
        c
        for c in verb.rights
        if c.dep_ in {"dobj", "oprd", "attr", "prep", "advcl", "xcomp"} and not c.is_punct
    ]
    if objects:
        tokens = [t for c in objects for t in c.subtree]
        span = _span_of(tokens)
        if span and any(span[0] <= q.start < span[1] for q in ctx.quotes):
            return span
    return None


def _noun_content(noun: Token) -> tuple[int, int] | None:
    """Trump's claim that ...: a reporting noun with a that-clause and an owner."""
    owner = any(c.dep_ == "poss" for c in noun.children) or any(
        c.dep_ == "prep" and c.lower_ == "by" for c in noun.children
    )
    if not owner:
        return None
    for child in noun.rights:
        if child.dep_ in {"acl", "ccomp", "relcl"} and any(
            m.dep_ == "mark" and m.lower_ == "that" for m in child.children
        ):
            return _span_of(t for t in child.subtree if t.sent == noun.sent)
    return None


def _according_content(ctx: _Context, according: Token) -> tuple[int, int] | None:
    """What "according to X" attributes: its clause, minus the phrase itself."""
    sent = according.sent
    phrase = {t.i for t in according.subtree}
    head = according.head if according.head.i != according.i else according
    tokens = [t for t in (head.subtree if head is not according else sent) if t.i not in phrase]
    tokens = [t for t in tokens if t.sent == sent]
    if not tokens:
        return None
    # Keep the side of the phrase with the clause (the phrase sits at one end usually).
    before = [t for t in tokens if t.i < according.i]
    after = [t for t in tokens if t.i > according.i]
    words_before = sum(1 for t in before if not t.is_punct)
    words_after = sum(1 for t in after if not t.is_punct)
    chosen = before if words_before >= words_after else after
    return _span_of(chosen)


def _governing_cue(ctx: _Context, q: QuoteSpan) -> Token | None:
    """The reporting verb whose dependents hold the quotation, if any."""
    token = ctx.token_at(q.start)
    if token is None:
        return None
    node = token
    for _ in range(12):
        if node.head.i == node.i:
            break
        node = node.head
        if not ctx.in_quote[node.i] and _is_cue(node):
            return node
    return None


# --- pass 4: speakers and channels ----------------------------------------------------


def _subject(ctx: _Context, verb: Token, depth: int = 0) -> Token | None:
    if verb.lower_ == "according":
        for child in verb.children:
            if child.lower_ == "to":
                objs = [c for c in child.children if c.dep_ == "pobj"]
                if objs:
                    return objs[0]
        return None
    if verb.pos_ == "NOUN":
        for child in verb.children:
            if child.dep_ == "poss":
                return child
            if child.dep_ == "prep" and child.lower_ == "by":
                objs = [c for c in child.children if c.dep_ == "pobj"]
                return objs[0] if objs else None
        return None
    for child in verb.children:
        if child.dep_ in _SUBJECT_DEPS and not ctx.in_quote[child.i]:
            if child.tag_ in {"WP", "WDT"} and verb.dep_ == "relcl":
                return verb.head  # "Smith, who said ..."
            return child
    for child in verb.children:
        if child.dep_ == "agent":
            objs = [c for c in child.children if c.dep_ == "pobj"]
            if objs:
                return objs[0]
    if depth < 4 and verb.head.i != verb.i:
        if verb.dep_ == "relcl" or (verb.dep_ == "acl" and verb.head.pos_ in {"PROPN", "NOUN"}):
            return verb.head
        if verb.tag_ == "VBG" and verb.dep_ in {"advcl", "ccomp", "conj", "acl", "xcomp"}:
            # "..., adding that ...": the participle's actor is the nearest reporter above.
            node = verb.head
            for _ in range(4):
                if _is_cue(node) and not ctx.in_quote[node.i]:
                    found = _subject(ctx, node, depth + 1)
                    if found is not None:
                        return found
                if node.head.i == node.i:
                    break
                node = node.head
        if verb.dep_ in _CLIMB_DEPS or (verb.dep_ == "ccomp" and verb.tag_ == "VBG"):
            return _subject(ctx, verb.head, depth + 1)
    return None


def _nearby_speaker(ctx: _Context, cue: Token) -> Token | None:
    """When the parse gives a cue no subject: a name or pronoun next to it, outside quotes."""
    sent = cue.sent
    before = [t for t in sent if t.i < cue.i and not ctx.in_quote[t.i]][-4:]
    after = [t for t in sent if t.i > cue.i and not ctx.in_quote[t.i]][:4]
    for token in reversed(before):
        if token.pos_ in {"PROPN", "PRON"} or token.ent_type_ == "PERSON":
            return _name_head(token)
        if token.is_punct:
            break
    for token in after:
        if token.pos_ == "PROPN" or token.ent_type_ == "PERSON":
            return _name_head(token)
        if token.is_punct:
            break
    return None


def _name_head(token: Token) -> Token:
    while token.dep_ in {"compound", "flat"} and token.head.i != token.i:
        token = token.head
    return token


def _mention_span(token: Token) -> tuple[int, int]:
    """The noun phrase naming the speaker, without appositives or relative clauses."""
    if token.pos_ == "PRON":
        return token.idx, token.idx + len(token.text)
    kept = [token]
    for child in token.lefts:
        if child.dep_ not in {"punct", "cc", "preconj", "advmod", "appos"}:
            kept.extend(child.subtree)
    for child in token.rights:
        if child.dep_ in _MENTION_RIGHT_DEPS:
            if child.dep_ == "prep" and token.ent_type_ == "PERSON":
                continue
            kept.extend(child.subtree)
    kept.sort(key=lambda t: t.i)
    # Keep the contiguous stretch around the head.
    lo = hi = kept.index(token)
    while lo > 0 and kept[lo - 1].i == kept[lo].i - 1:
        lo -= 1
    while hi < len(kept) - 1 and kept[hi + 1].i == kept[hi].i + 1:
        hi += 1
    stretch = kept[lo : hi + 1]
    if len(stretch) > 14:
        stretch = [token]
    while stretch and stretch[0].is_punct:
        stretch.pop(0)
    while stretch and stretch[-1].is_punct:
        stretch.pop()
    if not stretch:
        stretch = [token]
    return stretch[0].idx, stretch[-1].idx + len(stretch[-1].text)


def _entity_at(ctx: _Context, start: int, end: int, head: Token | None) -> Entity | None:
    """The entity naming the mention: the one holding its head, else a person in it."""
    inside = [e for e in ctx.entities if e.start < end and start < e.end]
    if head is not None:
        for e in inside:
            if e.start <= head.idx < e.end:
                return e
    people = [e for e in inside if e.label == "PERSON"]
    if people and (head is None or head.pos_ == "PROPN"):
        return people[-1]
    return None


def _main_subject_people(ctx: _Context) -> list[tuple[int, str]]:
    """(offset, canonical) of people named as the subject of a main or reporting verb."""
    found = []
    for e in ctx.entities:
        if e.label != "PERSON":
            continue
        token = ctx.token_at(e.start)
        if token is None:
            continue
        root = token
        while root.dep_ in {"compound", "flat", "amod", "appos"} and root.head.i != root.i:
            root = root.head
        if root.dep_ in _SUBJECT_DEPS and (root.head.dep_ == "ROOT" or _is_cue(root.head)):
            found.append((e.start, e.canonical))
    return found


def _resolve_speakers(ctx: _Context, attributions: list[_Attribution]) -> None:
    subjects = _main_subject_people(ctx)
    people = [(e.start, e.canonical) for e in ctx.entities if e.label == "PERSON"]
    persons = {name for _, name in people}
    last: tuple[int, str] | None = None  # offset and name of the last named speaker
    for a in attributions:
        if a.cue is not None and a.speaker_token is None:
            a.speaker_token = _subject(ctx, a.cue)
            if a.speaker_token is None and a.kind == "direct":
                a.speaker_token = _nearby_speaker(ctx, a.cue)
        anchor = a.speaker_token.idx if a.speaker_token is not None else a.start
        if a.speaker_token is not None:
            token = a.speaker_token
            a.speaker_span = _mention_span(token)
            a.speaker = _speaker_name(ctx, token, a.speaker_span, last, subjects, people)
        elif a.inherited_speaker and last is not None and _near(ctx, last[0], a.start):
            a.speaker = last[1]
        if a.cue is not None:
            a.cue_span = _cue_span(a.cue)
            a.channel = _channel(ctx, a.cue)
        if a.speaker is not None and a.speaker in persons:
            last = (anchor, a.speaker)


def _near(ctx: _Context, earlier: int, later: int) -> bool:
    return ctx.para_of(later) - ctx.para_of(earlier) <= _MAX_PARAGRAPH_GAP


def _speaker_name(
    ctx: _Context,
    token: Token,
    span: tuple[int, int],
    last: tuple[int, str] | None,
    subjects: Sequence[tuple[int, str]],
    people: Sequence[tuple[int, str]],
) -> str | None:
    entity = _entity_at(ctx, span[0], span[1], token)
    if entity is None:
        for child in token.children:
            if child.dep_ == "appos":
                entity = _entity_at(ctx, child.left_edge.idx, child.right_edge.idx + 1, child)
                if entity is not None:
                    break
    if entity is not None and entity.label in {"PERSON", "ORG", "GPE", "NORP", "FAC"}:
        return entity.canonical
    lower = token.lower_
    if token.pos_ == "PROPN" and entity is None:
        # A name the NER missed: the proper-noun run around the head.
        run = [t for t in token.subtree if t.pos_ == "PROPN" and t.dep_ in {"compound", "flat"}]
        names = sorted([*run, token], key=lambda t: t.i)
        if names[-1].i - names[0].i == len(names) - 1:
            return ctx.text[names[0].idx : names[-1].idx + len(names[-1].text)]
        return token.text
    if token.pos_ == "PRON" or lower in PRONOUNS:
        if lower in _PERSON_PRONOUNS:
            return _antecedent(ctx, token.idx, last, subjects, people)
        return None
    if token.lemma_.lower() in PERSON_NOUNS and token.tag_ in {"NN", "NNP"}:
        person, _ = match_role(ctx.doc, token, ctx.roles, ctx.first_seen)
        if person is not None:
            return person
        dets = [c for c in token.lefts if c.dep_ == "det"]
        definite = (dets and dets[0].lower_ in {"the", "this", "that"}) or (
            not dets and any(c.dep_ in {"compound", "amod"} for c in token.lefts)
        )
        if definite and token.lower_ != "source":
            return _antecedent(ctx, token.idx, last, subjects, people)
    return None


def _antecedent(
    ctx: _Context,
    pos: int,
    last: tuple[int, str] | None,
    subjects: Sequence[tuple[int, str]],
    people: Sequence[tuple[int, str]],
) -> str | None:
    """The person a pronoun or title at `pos` most likely names.

    The last speaker when recent, unless a different person has since been the subject
    of a main clause; else the nearest person named before it.
    """
    recent_subjects = [s for s in subjects if s[0] < pos and _near(ctx, s[0], pos)]
    if last is not None and _near(ctx, last[0], pos):
        later = [s for s in recent_subjects if s[0] > last[0] and s[1] != last[1]]
        return later[-1][1] if later else last[1]
    if recent_subjects:
        return recent_subjects[-1][1]
    before = [p for p in people if p[0] < pos and _near(ctx, p[0], pos)]
    return before[-1][1] if before else None


def _cue_span(cue: Token) -> tuple[int, int]:
    tokens = [cue]
    if cue.lower_ == "according":
        tokens += [c for c in cue.children if c.lower_ == "to"]
    else:
        tokens += [c for c in cue.children if c.dep_ == "prt"]
    tokens.sort(key=lambda t: t.i)
    if tokens[-1].i - tokens[0].i > 2:
        tokens = [cue]
    return tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)


def _channel(ctx: _Context, cue: Token) -> tuple[int, int] | None:
    """The addressee or medium stated with the cue: told X, in an interview with X, on X."""
    if cue.lower_ == "according":
        return None
    candidates: list[Token] = []
    if cue.lemma_.lower() == "tell":
        candidates += [c for c in cue.children if c.dep_ in {"dobj", "dative", "iobj"}]
    heads = [cue]
    # "While speaking to X, Peskov said" / "Peskov, speaking to X, said"
    heads += [
        c
        for c in cue.children
        if c.dep_ in {"advcl", "prep"} and c.lemma_.lower() in {"speak", "talk", "write", "appear"}
    ]
    for head in heads:
        for prep in head.children:
            if prep.dep_ != "prep":
                continue
            objs = [c for c in prep.children if c.dep_ == "pobj"]
            if not objs:
                continue
            obj = objs[0]
            word = prep.lower_
            lemma = obj.lemma_.lower()
            if word in {"to", "with"} and head.lemma_.lower() != "tell":
                candidates.append(obj)
            elif word in {"in", "during", "at", "via", "through"} and lemma in CHANNEL_NOUNS:
                inner = [
                    p2
                    for p2 in obj.children
                    if p2.dep_ == "prep" and p2.lower_ in {"with", "on", "to", "for"}
                ]
                sub = [c for p2 in inner for c in p2.children if c.dep_ == "pobj"]
                candidates.append(sub[0] if sub else obj)
            elif word == "on" and _medium(obj) and head.lemma_.lower() not in _TOPIC_ON:
                candidates.append(obj)
    for obj in candidates:
        if ctx.in_quote[obj.i] or obj.ent_type_ in {"DATE", "TIME"}:
            continue
        return _channel_text(ctx, obj)
    return None


def _medium(obj: Token) -> bool:
    """A noun after "on" that names a medium (Twitter, CNN, television), not a topic or day."""
    if obj.lower_ in PLATFORMS:
        return True
    if obj.ent_type_ in {"DATE", "TIME", "GPE", "PERSON", "NORP", "LOC", "CARDINAL"}:
        return False
    if obj.lemma_.lower() in _TIME_WORDS:
        return False
    if obj.lemma_.lower() in CHANNEL_NOUNS:
        return True
    return obj.pos_ == "PROPN"


def _channel_text(ctx: _Context, obj: Token) -> tuple[int, int]:
    """Prefer the proper name in the channel phrase: "the Rossiya 1 broadcaster"."""
    for child in obj.children:
        if child.dep_ == "appos" and child.pos_ == "PROPN":
            obj = child
            break
    subtree = [t for t in obj.subtree if not (t.dep_ in {"relcl", "acl"} or t.is_punct)]
    if obj.pos_ == "PROPN":
        names = [t for t in subtree if t.i <= obj.i or t.dep_ in {"compound", "flat", "nummod"}]
    else:
        names = []
    run: list[Token] = []
    for t in obj.subtree:
        if t.pos_ == "PROPN" or (run and t.pos_ == "NUM" and t.i == run[-1].i + 1):
            if run and t.i != run[-1].i + 1:
                run = []
            run.append(t)
        elif run and t.i > run[-1].i:
            break
    chosen = run if run else names
    if not chosen:
        chosen = [t for t in subtree if t.dep_ != "det" and t.i <= obj.i] or [obj]
    chosen.sort(key=lambda t: t.i)
    while len(chosen) > 1 and chosen[0].dep_ in {"det", "poss", "case"} and chosen[0] is not obj:
        chosen.pop(0)
    start, end = chosen[0].idx, chosen[-1].idx + len(chosen[-1].text)
    return start, end


def _inherit_channels(ctx: _Context, attributions: list[_Attribution]) -> None:
    """A continuation ("he added", a quote standing alone) keeps the speaker's channel."""
    previous: dict[str, _Attribution] = {}
    for a in attributions:
        if a.speaker is None:
            continue
        before = previous.get(a.speaker)
        continuing = a.cue is None or a.cue.lemma_.lower() in CONTINUATION_CUES
        if (
            a.channel is None
            and continuing
            and before is not None
            and before.channel is not None
            and _near(ctx, before.start, a.start)
        ):
            a.channel = before.channel
        previous[a.speaker] = a


def _trim_part(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop the comma a quote carries before its cue ("...," he said): not quoted words."""
    while end > start and (text[end - 1] in ",;:" or text[end - 1].isspace()):
        end -= 1
    return start, end


def _to_quote(article_id: str, ctx: _Context, a: _Attribution) -> Quote:
    text = ctx.text
    parts = tuple(_trim_part(text, p0, p1) for p0, p1 in a.parts) if a.kind != "indirect" else ()
    parts = tuple(p for p in parts if p[1] > p[0])
    start, end = a.start, a.end
    if a.kind == "direct" and parts:
        start, end = parts[0][0], parts[-1][1]
    cue = a.cue_span
    speaker_span = a.speaker_span
    channel = a.channel
    return Quote(
        article_id=article_id,
        start=start,
        end=end,
        text=text[start:end],
        kind=a.kind,
        speaker=a.speaker,
        speaker_mention=text[speaker_span[0] : speaker_span[1]] if speaker_span else None,
        speaker_start=speaker_span[0] if speaker_span else None,
        speaker_end=speaker_span[1] if speaker_span else None,
        cue=text[cue[0] : cue[1]] if cue else None,
        cue_start=cue[0] if cue else None,
        cue_end=cue[1] if cue else None,
        channel=text[channel[0] : channel[1]] if channel else None,
        channel_start=channel[0] if channel else None,
        channel_end=channel[1] if channel else None,
        parts=parts,
    )


def rename_speakers(quotes: Iterable[Quote], names: Mapping[str, str]) -> list[Quote]:
    """Quotes with speakers renamed to story-level canonical names."""
    return [replace(q, speaker=names.get(q.speaker, q.speaker)) if q.speaker else q for q in quotes]
