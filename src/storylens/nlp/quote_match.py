"""Quote matching across outlets: which renderings are one utterance, and how they differ.

Within a story, every outlet renders what a speaker said in its own way: the same words
(verbatim), a contiguous part of them (truncated), a few quoted words inside the
outlet's own sentence or words that only overlap (partial), reported speech of the same
statement (paraphrase), or the statement in another language (translation).

`relation` judges one pair of renderings; `match_quotes` groups a story's quotes into
`QuoteGroup`s, each rendering marked by its relation to the group's fullest rendering,
with a word-level diff and the outlet that carried it first.

The judgement is a short ladder of principled tests, strongest evidence first:

1. Known, incompatible speakers mean different utterances, whatever the words.
2. Word sequences (case, accents, apostrophes, contractions, editorial [brackets] and
   (parentheses), split words such as "e-mails"/"emails" and spelling variants such as
   "organisation"/"organization" do not count as differences): equal is verbatim; the
   shorter found inside the longer, contiguously or with gaps only where it shows an
   ellipsis, is truncated (partial when the shorter is a fragment quoted inside reported
   speech, and a fragment of one or two words counts only when its clause agrees); long
   shared runs covering most of the shorter, or one run of six words carrying content,
   are partial. Reported speech never is truncated or partial: it is a paraphrase.
3. Meaning: a multilingual sentence encoder's similarity between the best-matching
   sentence windows, together with the content words both share, makes a paraphrase; a
   different language with high similarity makes a translation.

Pure functions: no I/O. The sentence encoder is passed in (`default_encoder()` gives the
shared USE-multilingual one); without it, paraphrase rests on shared words alone and
translations are not recognised.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, cast

import numpy as np
from rapidfuzz import fuzz

from storylens.extract.language import detect_language
from storylens.model import Article, Quote, QuoteKind, short_hash
from storylens.stories.features import Encoder, UseEncoder, content_words

Relation = Literal["verbatim", "truncated", "partial", "paraphrase", "translation", "different"]
RELATIONS: tuple[Relation, ...] = (
    "verbatim",
    "truncated",
    "partial",
    "paraphrase",
    "translation",
    "different",
)
DiffOp = Literal["equal", "insert", "delete"]

# Partial overlap: shared runs of at least this many words, covering at least this share
# of the shorter rendering's words.
MIN_RUN = 3
PARTIAL_COVER = 0.5
# ... or one shared run this long: six words in a row do not recur by chance in a story.
LONG_RUN = 6
# A quoted fragment of fewer words than this proves little by being found ("impossible",
# "the hell"): it also needs its surrounding clause to agree with the other rendering.
SHORT_FRAGMENT = 3
# Paraphrase: sentence-encoder similarity of the best-matching windows. Above STRONG the
# meaning alone decides; above WEAK it needs shared content words as well. (Set by
# reading the labelled pairs: statements of one speaker on one topic reach 0.78.)
PARAPHRASE_STRONG = 0.8
PARAPHRASE_WEAK = 0.5
PARAPHRASE_SHARE = 0.5
# Without an encoder: shared content words only.
LEXICAL_SHARE = 0.6
LEXICAL_MIN = 3
# Translation: the encoder's similarity across two languages (translations of one
# statement score 0.5-0.9, unrelated statements across languages below 0.3).
TRANSLATION_SIM = 0.4
# Sentence windows compared by the encoder: runs of up to this many sentences, and
# clauses of at least MIN_CLAUSE_WORDS words.
WINDOW_SENTENCES = 3
MIN_CLAUSE_WORDS = 4
# How far a similarity taken from one matrix product over all windows may be from the
# same similarity computed for one pair alone (float32 rounding; in fact below 1e-6):
# only pairs the bound clears by this much are passed over without the exact figure.
SIMILARITY_SLACK = 1e-3
# Windows per block when bounding every pair's similarity at once (memory: a block's
# rows times all windows, in float32).
SIMILARITY_BLOCK = 1024

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_ELLIPSIS = re.compile(r"\.\s?\.\s?\.|…")
_EDITORIAL = re.compile(r"\[[^\]\n]{0,80}\]|\([^)\n]{0,80}\)")
# Quoted fragments inside a reported clause: double marks and guillemets (single marks
# are too often apostrophes to pair safely).
_FRAGMENT = re.compile(r"“([^”“]+)”?|\"([^\"]+)\"|«\s?([^»«]+?)\s?»|„([^“”„]+)[“”]")
_QUOTE_EDGE = "\"“”„«»‘’'‹› \n\t"
_SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+|$)")
# "(said) that ...": the word that introduces reported speech is the reporter's, not the speaker's.
_COMPLEMENTIZER = re.compile(r"\s*(?:that|whether)\s+", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"\s*[,;:—–]\s*|\s+-{1,2}\s+")
_PRONOUNS_TEXT = "it that there here what who he she where how everyone everything nobody"
_PRONOUN_IS = frozenset(_PRONOUNS_TEXT.split())
_CONTRACTIONS = (
    ("n't", ("not",)),
    ("'ve", ("have",)),
    ("'re", ("are",)),
    ("'ll", ("will",)),
    ("'m", ("am",)),
    ("'d", ("would",)),
)
_IRREGULAR = {
    "can't": ("can", "not"),
    "won't": ("will", "not"),
    "shan't": ("shall", "not"),
    "let's": ("let", "us"),
}
_TITLES_TEXT = (
    "mr mrs ms dr sen rep gov president senator minister spokesman spokeswoman "
    "chief secretary the a an of"
)
_TITLE_WORDS = frozenset(_TITLES_TEXT.split())


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class DiffSegment:
    """A run of words that both renderings share (equal) or only one has.

    `delete`: words of the group's fullest rendering that this rendering lacks, with
    offsets into the fullest rendering's article; `equal` and `insert`: words of this
    rendering, with offsets into its own article.
    """

    op: DiffOp
    text: str
    article_id: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "text": self.text,
            "article_id": self.article_id,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True, slots=True)
class Rendering:
    """One outlet's rendering of the group's utterance and how it relates to the fullest."""

    key: str  # "<article_id>:<start>-<end>", unique within a story
    quote: Quote
    outlet: str | None
    relation: Relation  # to the rendering named by `relative_to`
    score: float
    relative_to: str
    diff: tuple[DiffSegment, ...]
    fullest: bool = False

    @property
    def article_id(self) -> str:
        return self.quote.article_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "article_id": self.article_id,
            "outlet": self.outlet,
            "kind": self.quote.kind,
            "start": self.quote.start,
            "end": self.quote.end,
            "text": self.quote.text,
            "parts": [list(p) for p in self.quote.parts],
            "speaker": self.quote.speaker,
            "relation": self.relation,
            "score": round(self.score, 4),
            "relative_to": self.relative_to,
            "fullest": self.fullest,
            "diff": [segment.to_dict() for segment in self.diff],
        }


@dataclass(frozen=True, slots=True)
class FirstReport:
    """Who carried the quote first, as far as the publication times allow.

    `certain` only when one article's whole publication interval lies before every other
    article's and every article has a time; otherwise `article_ids` lists every article
    that may have been first (their intervals overlap) and `reason` says why.
    """

    article_ids: tuple[str, ...]
    outlets: tuple[str | None, ...]
    certain: bool
    reason: str
    undated: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_ids": list(self.article_ids),
            "outlets": list(self.outlets),
            "certain": self.certain,
            "reason": self.reason,
            "undated": list(self.undated),
        }


@dataclass(frozen=True, slots=True)
class Link:
    """Evidence: the relation found between two renderings when the group was formed."""

    a: str
    b: str
    relation: Relation
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "relation": self.relation, "score": round(self.score, 4)}


@dataclass(frozen=True, slots=True)
class QuoteGroup:
    """Renderings of one utterance within a story, the fullest first."""

    id: str  # stable: a hash of the earliest rendering
    speaker: str | None
    renderings: tuple[Rendering, ...]
    fullest: str  # key of the fullest rendering
    first: FirstReport | None
    evidence: tuple[Link, ...]

    @property
    def article_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.article_id for r in self.renderings))

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.outlet for r in self.renderings if r.outlet))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "speaker": self.speaker,
            "fullest": self.fullest,
            "first": self.first.to_dict() if self.first else None,
            "renderings": [r.to_dict() for r in self.renderings],
            "evidence": [link.to_dict() for link in self.evidence],
        }


# --------------------------------------------------------------------------- forms


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int  # offsets into the article (or into the plain text given to `relation`)
    end: int
    editorial: bool
    ellipsis_before: bool


@dataclass(frozen=True, slots=True, eq=False)
class _Form:
    """A rendering reduced to what comparison needs."""

    kind: QuoteKind
    tokens: tuple[_Token, ...]  # the quoted words (direct, partial) or the clause (indirect)
    keys: tuple[str, ...]  # comparison keys: editorial dropped, contractions expanded
    key_ellipsis: tuple[bool, ...]  # an ellipsis stands before this key
    pieces: tuple[tuple[int, int], ...]  # key ranges of a partial quote's separate fragments
    words: str  # the quoted words as text
    clause: str  # the whole rendering as text (the reported clause for partial quotes)
    content: frozenset[str]  # content words of the clause
    speaker: str | None
    language: str | None


def _fold(text: str) -> str:
    lowered = text.casefold().replace("’", "'").replace("‘", "'")
    if lowered.isascii():
        return lowered
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(ch)
    )


def _expand(word: str) -> tuple[str, ...]:
    """Comparison keys of one word: "We've" -> ("we", "have"), "it's" -> ("it", "is")."""
    if "'" not in word:
        return (word,)
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for suffix, expansion in _CONTRACTIONS:
        if word.endswith(suffix) and len(word) > len(suffix):
            return (word[: -len(suffix)], *expansion)
    if word.endswith("'s") and word[:-2] in _PRONOUN_IS:
        return (word[:-2], "is")
    return (word,)


def _tokens(text: str, offset: int, segments: Sequence[tuple[int, int]]) -> list[_Token]:
    """Words of the given segments of `text` (offsets relative to `text`, reported + offset)."""
    tokens: list[_Token] = []
    for seg_start, seg_end in segments:
        piece = text[seg_start:seg_end]
        editorial = [(m.start(), m.end()) for m in _EDITORIAL.finditer(piece)]
        ellipses = [m.start() for m in _ELLIPSIS.finditer(piece)]
        last = 0
        for match in _WORD.finditer(piece):
            ellipsis = any(last <= e < match.start() for e in ellipses)
            inside = any(a <= match.start() < b for a, b in editorial)
            tokens.append(
                _Token(
                    match.group(),
                    offset + seg_start + match.start(),
                    offset + seg_start + match.end(),
                    inside,
                    ellipsis,
                )
            )
            last = match.end()
    return tokens


def _keys(tokens: Sequence[_Token]) -> tuple[tuple[str, ...], tuple[bool, ...]]:
    keys: list[str] = []
    marks: list[bool] = []
    for token in tokens:
        if token.editorial:
            continue
        for i, key in enumerate(_expand(_fold(token.text))):
            keys.append(key)
            marks.append(token.ellipsis_before and i == 0)
    return tuple(keys), tuple(marks)


def _fragments(text: str) -> list[tuple[int, int]]:
    """Spans of the quoted fragments inside a reported clause (the whole text if none)."""
    spans = []
    for match in _FRAGMENT.finditer(text):
        group = next(i for i in range(1, 5) if match.group(i) is not None)
        spans.append((match.start(group), match.end(group)))
    return spans or [(0, len(text))]


def _strip_marks(text: str) -> tuple[int, int]:
    start, end = 0, len(text)
    while start < end and text[start] in _QUOTE_EDGE:
        start += 1
    while end > start and text[end - 1] in _QUOTE_EDGE:
        end -= 1
    return start, end


def _form(
    text: str,
    kind: QuoteKind,
    offset: int = 0,
    parts: Sequence[tuple[int, int]] = (),
    speaker: str | None = None,
    language: str | None = None,
) -> _Form:
    """`parts` are offsets relative to `text`; without them partial quotes are read from
    their quotation marks and direct quotes lose any marks at their edges."""
    if parts:
        segments = list(parts)
    elif kind == "partial":
        segments = _fragments(text)
    elif kind == "direct":
        segments = [_strip_marks(text)]
    else:
        lead = _COMPLEMENTIZER.match(text)
        segments = [(lead.end() if lead else 0, len(text))]
    tokens: list[_Token] = []
    keys: tuple[str, ...] = ()
    marks: tuple[bool, ...] = ()
    pieces = []
    for segment in segments:
        seg_tokens = _tokens(text, offset, [segment])
        seg_keys, seg_marks = _keys(seg_tokens)
        if seg_keys:
            pieces.append((len(keys), len(keys) + len(seg_keys)))
        tokens += seg_tokens
        keys += seg_keys
        marks += seg_marks
    if kind != "partial":
        pieces = [(0, len(keys))] if keys else []
    words = " ".join(text[a:b].strip(_QUOTE_EDGE) for a, b in segments)
    clause = words if kind != "partial" else text
    return _Form(
        kind=kind,
        tokens=tuple(tokens),
        keys=keys,
        key_ellipsis=marks,
        pieces=tuple(pieces),
        words=words,
        clause=clause,
        content=_content(clause),
        speaker=speaker,
        language=language,
    )


def _content(text: str) -> frozenset[str]:
    """Content words of a text, contractions expanded ("we've" is no content word)."""
    words = (k for w in _WORD.findall(_EDITORIAL.sub(" ", text)) for k in _expand(_fold(w)))
    return frozenset(content_words(" ".join(words)))


def _quote_form(quote: Quote, language: str | None) -> _Form:
    parts = tuple((a - quote.start, b - quote.start) for a, b in quote.parts)
    parts = tuple((max(0, a), min(len(quote.text), b)) for a, b in parts if b > a)
    return _form(quote.text, quote.kind, quote.start, parts, quote.speaker, language)


# --------------------------------------------------------------------------- words


Marked = list[tuple[str, bool]]  # a comparison key and whether an ellipsis precedes it


def _merge_split_words(mine: Marked, theirs: Iterable[str] | _Vocabulary) -> Marked:
    """Join runs of my words whose concatenation is one of their words ("in to" -> "into")."""
    vocabulary = _vocabulary(theirs)
    words, heads, longest = vocabulary.words, vocabulary.heads, vocabulary.longest
    count = len(mine)
    out: Marked = []
    i = 0  # mine[:i] is done
    # A run is joined only from a word they lack and with which one of their words begins
    # (same first three letters, or all of a shorter word); other words are kept as they are.
    starts = [k for k, (w, _) in enumerate(mine) if w not in words and w[:3] in heads]
    for start in starts:
        if start < i or start + 1 >= count:
            continue  # inside a run joined already, or the last word
        out.extend(mine[i:start])
        # The widest run (up to four words) whose concatenation is one of their words.
        best, width = "", 0
        joined = mine[start][0] + mine[start + 1][0]
        if joined[:3] in heads:  # else no word of theirs begins as every run here does
            for k in range(1, min(4, count - start)):
                if k > 1:
                    joined += mine[start + k][0]
                if len(joined) > longest:
                    break
                if joined in words:
                    best, width = joined, k + 1
        if width:
            out.append((best, mine[start][1]))
            i = start + width
        else:
            out.append(mine[start])
            i = start + 1
    out.extend(mine[i:])
    return out


@dataclass(frozen=True, slots=True, eq=False)
class _Vocabulary:
    """Another rendering's words, indexed for aligning mine to them (built once per
    vocabulary: a story's renderings are aligned to the same few thousands of times)."""

    words: frozenset[str]
    heads: frozenset[str]  # the first one, two and three letters of each word
    longest: int  # length of the longest word
    by_singular: dict[str, str]
    by_initial: dict[str, tuple[str, ...]]
    # my word -> its spelling in this vocabulary (see `_canonical`), filled as met
    spelled: dict[str, str]


def _vocabulary(theirs: Iterable[str] | _Vocabulary) -> _Vocabulary:
    if isinstance(theirs, _Vocabulary):
        return theirs
    return _vocabulary_of(theirs if isinstance(theirs, tuple) else tuple(theirs))


# 512 recent vocabularies hold what one story reuses (a 50-article story: 94% hits) and
# keep the cache's memory near a few MiB.
@lru_cache(maxsize=512)
def _vocabulary_of(theirs: tuple[str, ...]) -> _Vocabulary:
    known = frozenset(theirs)
    by_singular: dict[str, str] = {}
    by_initial: dict[str, list[str]] = {}
    for word in sorted(known):
        by_singular.setdefault(_singular(word), word)
        if len(word) >= 5 and not word.isdigit():
            by_initial.setdefault(word[0], []).append(word)
    heads = frozenset(word[:n] for word in known for n in (1, 2, 3))
    longest = max(map(len, known), default=0)
    return _Vocabulary(
        known, heads, longest, by_singular, {k: tuple(v) for k, v in by_initial.items()}, {}
    )


@lru_cache(maxsize=65536)
def _singular(word: str) -> str:
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _variant(a: str, b: str) -> bool:
    """Spelling and number variants of one word: organisation/organization, law/laws."""
    if a == b or _singular(a) == _singular(b):
        return True
    if a.isdigit() or b.isdigit() or min(len(a), len(b)) < 5 or a[0] != b[0]:
        return False
    return abs(len(a) - len(b)) <= 2 and fuzz.ratio(a, b) >= 80


def _canonical(mine: Marked, theirs: Iterable[str] | _Vocabulary) -> Marked:
    """My words rewritten to their spelling where a variant of the word is theirs."""
    vocabulary = _vocabulary(theirs)
    known, spelled = vocabulary.words, vocabulary.spelled
    return [
        (word, mark)
        if word in known
        else (spelled.get(word) or spelled.setdefault(word, _spelling(word, vocabulary)), mark)
        for word, mark in mine
    ]


def _spelling(word: str, vocabulary: _Vocabulary) -> str:
    """The vocabulary's spelling of a word it does not hold (the word itself if none)."""
    found = vocabulary.by_singular.get(_singular(word))
    if found is None and len(word) >= 5:
        # `_variant` against each of their words of the same initial, in order: equality and
        # number variants are ruled out by now (no singular matched), so what is left of it
        # is the length and the edit-similarity test.
        size = len(word)
        candidates = vocabulary.by_initial.get(word[0], ()) if not word.isdigit() else ()
        found = next(
            (w for w in candidates if abs(len(w) - size) <= 2 and fuzz.ratio(word, w) >= 80),
            None,
        )
    return found or word


def _find(chunk: Sequence[str], seq: Sequence[str], start: int) -> int:
    n = len(chunk)
    for i in range(start, len(seq) - n + 1):
        if list(seq[i : i + n]) == list(chunk):
            return i
    return -1


def _chunks(marked: Marked) -> list[list[str]]:
    """The shorter rendering cut at its ellipses: each piece must appear in the longer."""
    chunks: list[list[str]] = [[]]
    for key, mark in marked:
        if mark and chunks[-1]:
            chunks.append([])
        chunks[-1].append(key)
    return [c for c in chunks if c]


def _contained(short: Marked, long: Sequence[str]) -> bool:
    """Is the shorter inside the longer: contiguously, or with gaps only at its ellipses?"""
    position = 0
    for chunk in _chunks(short):
        found = _find(chunk, long, position)
        if found < 0:
            return False
        position = found + len(chunk)
    return True


def _runs(short: Sequence[str], long: Sequence[str]) -> tuple[float, int]:
    """Share of the shorter's words inside runs of MIN_RUN+ words the longer also has, and
    the longest such run that carries at least two content words ("we are the ones who
    are" is shared phrasing, not a shared quotation)."""
    if not short:
        return 0.0, 0
    matcher = difflib.SequenceMatcher(None, list(short), list(long), autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size >= MIN_RUN]
    longest = max(
        (b.size for b in blocks if len(content_words(" ".join(short[b.a : b.a + b.size]))) >= 2),
        default=0,
    )
    return sum(b.size for b in blocks) / len(short), longest


@dataclass(frozen=True, slots=True)
class _Words:
    """The word-sequence verdict on two renderings."""

    equal: bool
    inside: _Form | None  # the rendering found inside the other (None: neither)
    piece: tuple[str, ...]  # the words of it that were found (a fragment, or all)
    overlap: float  # share of the shorter in shared long runs
    longest: int  # longest shared run


def _marked(form: _Form, piece: tuple[int, int] | None = None) -> Marked:
    lo, hi = piece or (0, len(form.keys))
    return list(zip(form.keys[lo:hi], form.key_ellipsis[lo:hi], strict=True))


def _align_to(mine: Marked, theirs: Sequence[str]) -> Marked:
    vocabulary = _vocabulary(theirs)
    return _canonical(_merge_split_words(mine, vocabulary), vocabulary)


# One pair's alignments of a rendering (or of one fragment) to a vocabulary: comparing
# two renderings aligns the same words to the same vocabulary more than once.
_Aligned = dict[tuple[int, tuple[int, int] | None, tuple[str, ...]], Marked]


def _aligned(
    form: _Form, theirs: Sequence[str], memo: _Aligned, piece: tuple[int, int] | None = None
) -> Marked:
    vocabulary = theirs if isinstance(theirs, tuple) else tuple(theirs)
    key = (id(form), piece, vocabulary)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _align_to(_marked(form, piece), vocabulary)
    return found


def _inside(form: _Form, other: _Form, memo: _Aligned | None = None) -> tuple[str, ...] | None:
    """The words of `form` (whole, or one fragment of a partial quote) inside `other`."""
    memo = {} if memo is None else memo
    whole = _aligned(form, other.keys, memo)
    target = [w for w, _ in _aligned(other, [w for w, _ in whole], memo)]
    if _contained(whole, target):
        return tuple(w for w, _ in whole)
    if form.kind != "partial" or len(form.pieces) < 2:
        return None
    found = []
    for piece in form.pieces:
        fragment = _aligned(form, other.keys, memo, piece)
        target = [w for w, _ in _aligned(other, [w for w, _ in fragment], memo)]
        if _contained(fragment, target):
            found.append(tuple(w for w, _ in fragment))
    return max(found, key=len) if found else None


def _compare_words(a: _Form, b: _Form) -> _Words | None:
    if not a.keys or not b.keys:
        return None
    memo: _Aligned = {}
    ma = _aligned(a, b.keys, memo)
    mb = _aligned(b, [w for w, _ in ma], memo)
    ma = _align_to(ma, [w for w, _ in mb])
    ka, kb = [w for w, _ in ma], [w for w, _ in mb]
    if ka == kb:
        return _Words(True, None, tuple(ka), 1.0, len(ka))
    first, second = (a, b) if len(ka) <= len(kb) else (b, a)
    for form, other in ((first, second), (second, first)):
        piece = _inside(form, other, memo)
        if piece is not None:
            return _Words(False, form, piece, 1.0, len(piece))
    short, long = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
    overlap, longest = _runs(short, long)
    return _Words(False, None, (), overlap, longest)


# --------------------------------------------------------------------------- meaning


def _sentences(text: str) -> list[str]:
    found = [m.group().strip() for m in _SENTENCE.finditer(text)]
    return [s for s in found if any(ch.isalnum() for ch in s)] or [text]


def _clauses(sentence: str) -> list[str]:
    """A sentence cut at commas, semicolons, colons and dashes, into pieces of 4+ words."""
    pieces: list[str] = []
    for piece in _CLAUSE_BREAK.split(sentence):
        if pieces and len(pieces[-1].split()) < MIN_CLAUSE_WORDS:
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return [p.strip() for p in pieces if len(p.split()) >= MIN_CLAUSE_WORDS]


def _windows(text: str) -> list[str]:
    """The text, every run of up to WINDOW_SENTENCES consecutive sentences in it, and the
    clauses of each sentence: reported speech often renders one clause of a quote."""
    text = _EDITORIAL.sub(" ", text).strip(_QUOTE_EDGE)
    sentences = _sentences(text)
    windows = {text}
    for size in range(1, min(WINDOW_SENTENCES, len(sentences)) + 1):
        for i in range(len(sentences) - size + 1):
            windows.add(" ".join(sentences[i : i + size]))
    for sentence in sentences:
        clauses = _clauses(sentence)
        if len(clauses) > 1:
            windows.update(clauses)
    return sorted(windows)


def _meaning_text(form: _Form) -> str:
    # Reported clauses are compared with their quoted words unmarked.
    return form.words if form.kind == "direct" else re.sub(r"[“”\"«»„]", "", form.clause)


class _Similarity:
    """Best window-to-window similarity between renderings, embedding each window once."""

    def __init__(self, encoder: Encoder | None, forms: Sequence[_Form]) -> None:
        self.encoder = encoder
        self.windows: list[list[int]] = []
        self.vectors: np.ndarray | None = None
        if encoder is None:
            return
        texts: list[str] = []
        index: dict[str, int] = {}
        for form in forms:
            rows = []
            for window in _windows(_meaning_text(form)):
                if window not in index:
                    index[window] = len(texts)
                    texts.append(window)
                rows.append(index[window])
            self.windows.append(rows)
        self.vectors = encoder.encode(texts) if texts else None
        # each form's window vectors gathered once: pairs are scored many more times
        self.rows = (
            [np.ascontiguousarray(self.vectors[w]) for w in self.windows]
            if self.vectors is not None
            else []
        )

    def __call__(self, i: int, j: int) -> float | None:
        if self.vectors is None:
            return None
        return float(np.max(self.rows[i] @ self.rows[j].T))

    def matrix(self) -> np.ndarray | None:
        """Every pair's similarity from block matrix products: equal to `self(i, j)` up to
        float rounding (see SIMILARITY_SLACK), for screening pairs, not for scores."""
        if self.vectors is None or not self.rows:
            return None
        every = np.concatenate(self.rows)
        sizes = np.array([len(rows) for rows in self.rows])
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        out = np.empty((len(self.rows), len(self.rows)), dtype=np.float32)
        first = 0
        while first < len(self.rows):
            last = first + 1  # forms [first, last) whose windows fill the block
            while last < len(self.rows) and starts[last] + sizes[last] - starts[first] <= (
                SIMILARITY_BLOCK
            ):
                last += 1
            lo, hi = starts[first], starts[last - 1] + sizes[last - 1]
            block = every[lo:hi] @ every.T  # the block's windows x all windows
            best = np.maximum.reduceat(block, starts, axis=1)
            out[first:last] = np.maximum.reduceat(best, starts[first:last] - lo, axis=0)
            first = last
        return out


def _screen(forms: Sequence[_Form], similarity: _Similarity) -> list[tuple[int, int]]:
    """The pairs (i < j, in order) that `_relate` might find related: every pair left out
    fails its first tests (speakers that cannot be one person; no content word in common
    and a similarity below TRANSLATION_SIM), so all-pairs work stays in matrix products."""
    count = len(forms)
    if count < 2:
        return []
    names = sorted({f.speaker for f in forms if f.speaker})
    name_index = {name: k + 1 for k, name in enumerate(names)}  # 0: no speaker
    compatible = np.ones((len(names) + 1, len(names) + 1), dtype=bool)
    for k, a in enumerate(names, 1):
        for m, b in enumerate(names, 1):
            compatible[k, m] = speakers_compatible(a, b)
    who = np.array([name_index.get(f.speaker or "", 0) for f in forms])
    keep = compatible[who[:, None], who[None, :]]
    words = sorted({w for f in forms for w in f.content})
    if words:
        column = {w: k for k, w in enumerate(words)}
        has = np.zeros((count, len(words)), dtype=np.float32)
        for k, form in enumerate(forms):
            has[k, [column[w] for w in form.content]] = 1.0
        disjoint = (has @ has.T) < 0.5  # exact: small counts in float32
        filled = np.asarray(has.sum(axis=1) > 0)
        disjoint &= filled[:, None] & filled[None, :]
        bound = similarity.matrix()
        if bound is not None:
            disjoint &= bound < TRANSLATION_SIM - SIMILARITY_SLACK
        keep &= ~disjoint
    rows, cols = np.nonzero(np.triu(keep, 1))
    return list(zip(rows.tolist(), cols.tolist(), strict=True))


def _share(a: _Form, b: _Form) -> tuple[int, float]:
    """Content words both share, and their share of the smaller set."""
    if not a.content or not b.content:
        return 0, 0.0
    shared = len(a.content & b.content)
    return shared, shared / min(len(a.content), len(b.content))


_SCRIPTS = (
    ("cyrillic", re.compile(r"[\u0400-\u04ff]")),
    ("greek", re.compile(r"[\u0370-\u03ff]")),
    ("arabic", re.compile(r"[\u0600-\u06ff]")),
    ("hebrew", re.compile(r"[\u0590-\u05ff]")),
    ("cjk", re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")),
)


@lru_cache(maxsize=4096)
def _script(text: str) -> str:
    letters = sum(ch.isalpha() for ch in text)
    for name, pattern in _SCRIPTS:
        if len(pattern.findall(text)) * 3 >= letters:
            return name
    return "latin"


def _languages_differ(a: _Form, b: _Form) -> bool:
    ta, tb = _meaning_text(a), _meaning_text(b)
    if _script(ta) != _script(tb):
        return True
    la = a.language or _detected(ta)
    lb = b.language or _detected(tb)
    return la is not None and lb is not None and la != lb


@lru_cache(maxsize=4096)
def _detected(text: str) -> str | None:
    found = detect_language(text)
    return found[0] if found and found[1] >= 0.9 else None


# --------------------------------------------------------------------------- relation


@lru_cache(maxsize=16384)
def _name_words(name: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(_fold(name)) if w not in _TITLE_WORDS)


@lru_cache(maxsize=65536)
def speakers_compatible(a: str | None, b: str | None) -> bool:
    """Could two speaker names be one person? ("Peskov" and "Dmitry Peskov": yes;
    "Mary Cheney" and "Dick Cheney": no). Unknown speakers are compatible with anyone."""
    if not a or not b:
        return True
    wa, wb = _name_words(a), _name_words(b)
    if not wa or not wb:
        return True
    return wa <= wb or wb <= wa


def _relate(a: _Form, b: _Form, similarity: float | None) -> tuple[Relation, float]:
    if not speakers_compatible(a.speaker, b.speaker):
        return "different", similarity or 0.0
    if (
        a.content
        and b.content
        and not a.content & b.content
        and (similarity is None or similarity < TRANSLATION_SIM)
    ):
        # No content word in common and no meaning in common: nothing below can match.
        return "different", similarity or 0.0
    words = _compare_words(a, b)
    if words is not None and words.equal:
        return "verbatim", 1.0
    quoted = a.kind != "indirect" and b.kind != "indirect"
    if quoted and words is not None:
        inside = words.inside
        if inside is not None:
            other = b if inside is a else a
            if _fragment_supported(words.piece, inside, other, similarity):
                kind: Relation = "partial" if inside.kind == "partial" else "truncated"
                return kind, len(words.piece) / max(len(other.keys), 1)
        elif words.overlap >= PARTIAL_COVER or words.longest >= LONG_RUN:
            return "partial", words.overlap
    # Shared wording settles the language; only now can two languages be told apart.
    if _languages_differ(a, b):
        if similarity is not None and similarity >= TRANSLATION_SIM:
            return "translation", similarity
        return "different", similarity or 0.0
    return _meaning(a, b, similarity)


def _fragment_supported(
    piece: Sequence[str], inside: _Form, other: _Form, similarity: float | None
) -> bool:
    """A fragment of one or two words needs its clause to agree with the other rendering."""
    if len(piece) >= SHORT_FRAGMENT or len(piece) * 2 >= len(other.keys):
        return True
    fragment = set(content_words(" ".join(piece)))
    if len((inside.content - fragment) & other.content) >= 1:
        return True
    return similarity is not None and similarity >= PARAPHRASE_WEAK


def _meaning(a: _Form, b: _Form, similarity: float | None) -> tuple[Relation, float]:
    shared, share = _share(a, b)
    if similarity is None:
        if shared >= LEXICAL_MIN and share >= LEXICAL_SHARE:
            return "paraphrase", share
        return "different", share
    if similarity >= PARAPHRASE_STRONG and shared >= 1:
        return "paraphrase", similarity
    if similarity >= PARAPHRASE_WEAK and shared >= 2 and share >= PARAPHRASE_SHARE:
        return "paraphrase", similarity
    return "different", similarity


def relation(
    a_text: str,
    b_text: str,
    a_kind: QuoteKind = "direct",
    b_kind: QuoteKind = "direct",
    *,
    a_speaker: str | None = None,
    b_speaker: str | None = None,
    a_language: str | None = None,
    b_language: str | None = None,
    encoder: Encoder | None = None,
) -> tuple[Relation, float]:
    """How rendering `b` relates to rendering `a`, and the strength of that evidence.

    A partial quote's text is its reported clause with the quoted words in quotation
    marks (`it is “impossible” to prevent ...`); a direct quote's text is the quoted
    words; an indirect quote's text is the reported clause. The score is 1.0 for
    verbatim, the share of the longer rendering carried for truncated, the share of the
    shorter inside shared runs for partial, and the encoder similarity (or shared-word
    share without an encoder) for the rest.
    """
    fa = _form(a_text, a_kind, speaker=a_speaker, language=a_language)
    fb = _form(b_text, b_kind, speaker=b_speaker, language=b_language)
    return _relate(fa, fb, _Similarity(encoder, [fa, fb])(0, 1) if encoder else None)


# --------------------------------------------------------------------------- diff


def _word_diff(
    reference: _Form, other: _Form, ref_article: str, other_article: str
) -> tuple[DiffSegment, ...]:
    """Word-level segments turning the reference rendering into the other one."""
    ref_tokens = list(reference.tokens)
    other_tokens = list(other.tokens)
    ref_keys = [_fold(t.text) for t in ref_tokens]
    other_keys = [_fold(t.text) for t in other_tokens]
    matcher = difflib.SequenceMatcher(None, ref_keys, other_keys, autojunk=False)
    segments: list[DiffSegment] = []

    def emit(op: DiffOp, tokens: Sequence[_Token], article_id: str) -> None:
        if tokens:
            text = " ".join(t.text for t in tokens)
            segments.append(DiffSegment(op, text, article_id, tokens[0].start, tokens[-1].end))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            emit("equal", other_tokens[j1:j2], other_article)
        elif "".join(ref_keys[i1:i2]) == "".join(other_keys[j1:j2]):
            emit("equal", other_tokens[j1:j2], other_article)  # "e-mails" / "emails"
        else:
            emit("delete", ref_tokens[i1:i2], ref_article)
            emit("insert", other_tokens[j1:j2], other_article)
    return tuple(segments)


# --------------------------------------------------------------------------- grouping


@dataclass(slots=True, eq=False)
class _Item:
    key: str
    quote: Quote
    form: _Form
    article: Article | None
    index: int

    @property
    def outlet(self) -> str | None:
        if self.article is not None and self.article.outlet is not None:
            return self.article.outlet.name
        return None

    @property
    def time_key(self) -> tuple[int, datetime | None, str, int]:
        published = self.article.published if self.article else None
        if published is None:
            return (1, None, self.quote.article_id, self.quote.start)
        return (0, published.sort_key, self.quote.article_id, self.quote.start)


_KIND_RANK = {"direct": 0, "partial": 1, "indirect": 2}


def _sort_fullness(items: Iterable[_Item]) -> list[_Item]:
    def key(item: _Item) -> tuple[Any, ...]:
        flag, moment, article_id, start = item.time_key
        stamp = moment.timestamp() if moment else 0.0
        return (_KIND_RANK[item.form.kind], -len(item.form.keys), flag, stamp, article_id, start)

    return sorted(items, key=key)


def _articles_by_id(articles: Mapping[str, Article] | Iterable[Article]) -> dict[str, Article]:
    if isinstance(articles, Mapping):
        return dict(cast(Mapping[str, Article], articles))
    return {article.id: article for article in articles}


def quote_key(quote: Quote) -> str:
    return f"{quote.article_id}:{quote.start}-{quote.end}"


def default_encoder() -> Encoder:
    """The shared multilingual sentence encoder (loaded lazily on first use)."""
    return _shared_encoder()


@lru_cache(maxsize=1)
def _shared_encoder() -> UseEncoder:
    return UseEncoder()


def match_quotes(
    quotes_by_article: Mapping[str, Sequence[Quote]],
    articles: Mapping[str, Article] | Iterable[Article],
    *,
    encoder: Encoder | None = None,
) -> list[QuoteGroup]:
    """Group a story's quotes into renderings of one utterance.

    Groups grow around their fullest rendering: two groups merge when their fullest
    renderings relate (anything but "different") and every member of the group whose
    fullest rendering is dropped relates to the new one, so a chain of loose paraphrases
    cannot pull unrelated statements together. Renderings within one article join only
    on shared words, never on meaning alone (a lead paraphrasing its own quote is fine;
    two statements of one speaker on one topic are not one utterance). Every quote ends
    up in exactly one group; a quote no other rendering matches is a group of one.
    """
    by_id = _articles_by_id(articles)
    items: list[_Item] = []
    for article_id in sorted(quotes_by_article):
        article = by_id.get(article_id)
        language = article.language if article else None
        for quote in sorted(quotes_by_article[article_id], key=lambda q: (q.start, q.end)):
            form = _quote_form(quote, language)
            if not form.keys:
                continue
            items.append(_Item(quote_key(quote), quote, form, article, len(items)))
    similarity = _Similarity(encoder, [item.form for item in items])
    cache: dict[tuple[int, int], tuple[Relation, float]] = {}

    def related(x: _Item, y: _Item) -> tuple[Relation, float]:
        pair = (min(x.index, y.index), max(x.index, y.index))
        if pair not in cache:
            first, second = (x, y) if x.index <= y.index else (y, x)
            sim = similarity(first.index, second.index) if encoder else None
            found = _relate(first.form, second.form, sim)
            if first.quote.article_id == second.quote.article_id and found[0] in (
                "paraphrase",
                "translation",
            ):
                found = ("different", found[1])
            cache[pair] = found
        return cache[pair]

    clusters: dict[int, list[_Item]] = {item.index: [item] for item in items}
    owner = {item.index: item.index for item in items}
    links: dict[int, list[Link]] = {item.index: [] for item in items}
    candidates = []
    for i, j in _screen([item.form for item in items], similarity):
        label, score = related(items[i], items[j])
        if label != "different":
            candidates.append((-_strength(label, score), i, j, label, score))
    for _, xi, yi, label, score in sorted(candidates):
        cx, cy = owner[xi], owner[yi]
        if cx == cy:
            continue
        merged = clusters[cx] + clusters[cy]
        if not _can_merge(merged, related):
            continue
        keep, drop = (cx, cy) if cx < cy else (cy, cx)
        clusters[keep] = merged
        del clusters[drop]
        links[keep] = (
            links[keep] + links.pop(drop) + [Link(items[xi].key, items[yi].key, label, score)]
        )
        for item in merged:
            owner[item.index] = keep
    groups = [_group(members, links[root], related) for root, members in clusters.items()]
    return sorted(groups, key=lambda g: (g.renderings[0].quote.article_id, g.id))


def _strength(label: Relation, score: float) -> float:
    # Word evidence outranks meaning: merge the surest links first.
    rank = {"verbatim": 3.0, "truncated": 2.0, "partial": 2.0, "translation": 1.0}
    return rank.get(label, 0.0) + score


def _can_merge(members: Sequence[_Item], related: Any) -> bool:
    speakers = {m.quote.speaker for m in members if m.quote.speaker}
    for a in speakers:
        for b in speakers:
            if not speakers_compatible(a, b):
                return False
    reference = _sort_fullness(members)[0]
    return all(m is reference or related(m, reference)[0] != "different" for m in members)


def _group(members: Sequence[_Item], links: Sequence[Link], related: Any) -> QuoteGroup:
    ordered = _sort_fullness(members)
    reference = ordered[0]
    earliest = min(members, key=_time_order)
    group_id = short_hash(
        "quote-group", earliest.quote.article_id, str(earliest.quote.start), str(earliest.quote.end)
    )
    renderings = []
    for item in sorted(members, key=lambda m: (m is not reference, _time_order(m))):
        if item is reference:
            label: Relation = "verbatim"
            score = 1.0
        else:
            label, score = related(item, reference)
        renderings.append(
            Rendering(
                key=item.key,
                quote=replace(item.quote, group=group_id),
                outlet=item.outlet,
                relation=label,
                score=score,
                relative_to=reference.key,
                diff=_word_diff(
                    reference.form, item.form, reference.quote.article_id, item.quote.article_id
                ),
                fullest=item is reference,
            )
        )
    return QuoteGroup(
        id=group_id,
        speaker=_speaker(members),
        renderings=tuple(renderings),
        fullest=reference.key,
        first=_first(members),
        evidence=tuple(sorted(links, key=lambda link: (link.a, link.b))),
    )


def _time_order(item: _Item) -> tuple[int, float, str, int]:
    flag, moment, article_id, start = item.time_key
    return (flag, moment.timestamp() if moment else 0.0, article_id, start)


def _speaker(members: Sequence[_Item]) -> str | None:
    names = Counter(m.quote.speaker for m in members if m.quote.speaker)
    if not names:
        return None
    return max(names, key=lambda n: (names[n], len(n), n))


def _first(members: Sequence[_Item]) -> FirstReport | None:
    """The article that carried the quote first, or the tie the times leave."""
    by_article: dict[str, _Item] = {}
    for item in members:
        by_article.setdefault(item.quote.article_id, item)
    dated = {
        aid: item.article.published
        for aid, item in by_article.items()
        if item.article is not None and item.article.published is not None
    }
    undated = tuple(sorted(set(by_article) - set(dated)))
    if not dated:
        return None
    bound = min(p.latest for p in dated.values())
    possible = sorted(
        (aid for aid, p in dated.items() if p.earliest <= bound),
        key=lambda aid: (dated[aid].sort_key, aid),
    )
    outlets = tuple(by_article[aid].outlet for aid in possible)
    if len(possible) == 1 and not undated:
        return FirstReport(tuple(possible), outlets, True, "publication intervals do not overlap")
    if len(possible) == 1:
        reason = f"first among dated articles; {len(undated)} article(s) have no publication time"
        return FirstReport(tuple(possible), outlets, False, reason, undated)
    reason = "publication intervals overlap"
    if undated:
        reason += f"; {len(undated)} article(s) have no publication time"
    return FirstReport(tuple(possible), outlets, False, reason, undated)


def with_groups(quotes: Iterable[Quote], groups: Iterable[QuoteGroup]) -> list[Quote]:
    """The quotes with `group` set to the id of the group that holds them."""
    ids = {r.key: g.id for g in groups for r in g.renderings}
    return [replace(q, group=ids.get(quote_key(q), q.group)) for q in quotes]
