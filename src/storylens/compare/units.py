"""Claim units: the pieces of an article that alignment compares across outlets.

A unit is a sentence, or a clause when a sentence clearly joins independent claims, so
that one outlet's "Russia cannot prevent Ukraine from joining NATO, but it is possible
to minimise the consequences" can meet another's two quoted sentences one by one. The
headline is a unit too (headlines usually restate the lead).

spaCy's sentence spans are the starting point; they are repaired with a few rules that
need no parse: a sentence never crosses a paragraph, a split before a lower-case word
or after an abbreviation is undone, and a missed split after a full stop is made.
Sentences of a multi-sentence quotation stay separate units, each carrying the quote's
speaker and key, so "We cannot prevent it. It is impossible." can each meet reported
speech elsewhere. Page furniture that survived cleaning (datelines, bylines,
"Advertisement", credits, headings) is no claim and is dropped.

Pure: no I/O, no model. Spans are exact (whitespace trimmed) offsets into
`Article.text` (into `Article.title` for the headline).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from storylens.compare.model import ClaimUnit, Section
from storylens.model import Article, Quote
from storylens.nlp.quote_match import quote_key
from storylens.nlp.quotemarks import paragraphs, trim_span

__all__ = ["claim_units", "split_clauses"]

# Each side of a clause split needs this many words ("Nobody died, but ..."), and a
# finite verb of its own.
MIN_CLAUSE_WORDS = 2
# Headline halves are terser ("but can minimise consequences").
MIN_HEADLINE_CLAUSE_WORDS = 3
# A line without final punctuation and at most this many words is a heading unless it
# has a verb ("A troubled record" goes; "Ukraine's NATO entry would be a 'dangerous
# step'" stays).
HEADING_WORDS = 8

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_TERMINAL = ".!?…:;"
_CLOSERS = "\"'”’»)]"
_ABBREVIATIONS_TEXT = (
    "mr mrs ms dr st gen sen rep gov lt col capt sgt prof jr sr no vs inc co corp ltd "
    "jan feb mar apr jun jul aug sep sept oct nov dec fig approx est dept univ ft mt"
)
_ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())
# Words that mark a finite verb phrase without a parse: auxiliaries, modals and the
# verbs news sentences turn on.
_FINITE_TEXT = """
is are was were be been am has have had will would can could may might must should shall
do does did cannot can't won't wouldn't couldn't didn't doesn't don't isn't aren't wasn't
weren't hasn't haven't hadn't shouldn't 's 're 've 'll 'd
says said say tells told adds added warns warned claims claimed denies denied
announces announced reports reported confirms confirmed urges urged asks asked
calls called plans planned orders ordered says
"""
_FINITE = frozenset(_FINITE_TEXT.split())
_SUBJECT_PRONOUNS_TEXT = "i we you he she it they there this that these those"
_SUBJECT_PRONOUNS = frozenset(_SUBJECT_PRONOUNS_TEXT.split())
_DETERMINERS_TEXT = "a an the its their his her our my your this that these those"
_DETERMINERS = frozenset(_DETERMINERS_TEXT.split())
_NOT_SUBJECT_TEXT = (
    "to of in on at by for from with as than then so also not if when because please"
)
_NOT_SUBJECT = frozenset(_NOT_SUBJECT_TEXT.split())

# Page furniture that survives cleaning: one line each.
_FURNITURE = re.compile(
    r"""^(?:
        (?:updated|published|posted|last\ updated|first\ published|modified)\b.{0,60}\d.{0,24}
      | (?:reported|written|edited|compiled)\ by\b.{0,80}
      | by\ [A-Z][\w.'’-]+(?:\ [A-Z][\w.'’-]+){0,3}(?:\s*(?:,|and|\|).{0,60})?
      | (?:image|images|photo|photos|picture|pictures|video|credit|source|file\ photo)
        \s*(?::|\|).{0,120}
      | advertisement|sponsored(?:\ content)?|read\ more\b.{0,120}|related(?:\ stories)?
      | share(?:\ this)?(?:\ (?:article|story))?\b.{0,60}|subscribe\b.{0,120}
      | follow\ us\b.{0,120}|sign\ up\b.{0,120}
      | story\ code\s*:.{0,40}|(?:with\ )?inputs\ from\b.{0,60}
      | (?:\(|\[)?(?:reporting|writing|editing|additional\ reporting)\ by\b.{0,160}
      | (?:©|\(c\)|copyright)\b.{0,120}|all\ rights\ reserved\.?
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}"
    r"|\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
)
# "MOSCOW (Reuters) -", "KORVHAVEN, March 2 (MPA) —", "WASHINGTON —", "(AP) —"
_DATELINE = re.compile(
    r"(?:"
    r"[A-Z][A-Z.'’\-]{2,}(?:[ \-][A-Z][A-Z.'’\-]+)*"  # PLACE
    r"(?:,\s*[A-Z][A-Za-z.'’\- ]{1,30}?)?"  # , Region
    rf"(?:,\s*(?:{_MONTH}))?"  # , March 2
    r"\s*(?:\([A-Za-z][\w .&/-]{0,30}\))?"  # (Agency)
    r"|\([A-Za-z][\w .&/-]{0,30}\)"
    r")\s*[-—–]{1,2}(?:\s+|$)"
)
# Sentence joiners that introduce a second independent claim.
_COORDINATION = re.compile(
    r"(?:,|\s+[-—–])\s+(?P<word>but|while|whereas|and|yet)\s+|;\s+", re.IGNORECASE
)
_ADDING = re.compile(r",\s+(?:adding|saying|noting)(?:\s+that)?\s+", re.IGNORECASE)
# An adjunct that carries a claim of its own (a cause, a reason, a reply): "Moscow would
# suspend its mission from November 1, in response to the cut in its staff".
_ADJUNCT = re.compile(
    r",\s+(?:(?:in|as\s+a)\s+(?:response|reply|retaliation|reaction)\s+(?:to|for)"
    r"|because(?:\s+of)?|as\s+a\s+result\s+of|due\s+to|citing)\s+",
    re.IGNORECASE,
)
# ... when both sides have at least this many words.
MIN_ADJUNCT_WORDS = 5
_HEADLINE_JOIN = re.compile(r"(?:,?\s+but\s+|;\s+)", re.IGNORECASE)
# A full stop spaCy missed: "...impossible. But we..." (abbreviations are checked apart).
_MISSED_STOP = re.compile(r"(?<=[a-z0-9%][.!?])[\"”’]?\s+(?=[\"“]?[A-Z])")


def claim_units(
    article: Article, sentences: Sequence[tuple[int, int]], quotes: Sequence[Quote]
) -> list[ClaimUnit]:
    """The article's claim units in reading order, the headline first."""
    units: list[ClaimUnit] = []
    title = article.title or ""
    for start, end in _headline_spans(title):
        units.append(
            ClaimUnit(
                id=f"{article.id}:h{start}-{end}",
                article_id=article.id,
                start=start,
                end=end,
                text=title[start:end],
                index=len(units),
                section="headline",
            )
        )
    text = article.text
    paras = paragraphs(text)
    lead: int | None = None
    for start, end in _body_spans(text, sentences, paras):
        paragraph = _paragraph_of(start, paras)
        if lead is None:
            lead = paragraph
        section: Section = "lead" if paragraph == lead else "body"
        keys, speaker = _quotes_over(start, end, quotes)
        units.append(
            ClaimUnit(
                id=f"{article.id}:{start}-{end}",
                article_id=article.id,
                start=start,
                end=end,
                text=text[start:end],
                index=len(units),
                section=section,
                paragraph=paragraph,
                quote_ids=keys,
                speaker=speaker,
            )
        )
    return units


# --------------------------------------------------------------------------- headline


def _headline_spans(title: str) -> list[tuple[int, int]]:
    start, end = trim_span(title, 0, len(title))
    if end <= start or _words(title[start:end]) < 2:
        return []
    pieces = []
    cut = start
    for match in _HEADLINE_JOIN.finditer(title, start, end):
        left, right = title[cut : match.start()], title[match.end() : end]
        if (
            _words(left) >= MIN_HEADLINE_CLAUSE_WORDS
            and _words(right) >= MIN_HEADLINE_CLAUSE_WORDS
            and _has_finite(right)
        ):
            pieces.append(trim_span(title, cut, match.start()))
            cut = match.start() + len(match.group()) - len(match.group().lstrip(",; "))
            cut = trim_span(title, cut, end)[0]
    pieces.append(trim_span(title, cut, end))
    return [p for p in pieces if p[1] > p[0]]


# --------------------------------------------------------------------------- body


def _body_spans(
    text: str, sentences: Sequence[tuple[int, int]], paras: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    spans = _within_paragraphs(text, sentences, paras)
    spans = _merge_bad_splits(text, spans, paras)
    spans = [piece for span in spans for piece in _split_missed(text, *span)]
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if not out:  # a dateline opens the first claim, or stands alone before it
            start, end = _strip_dateline(text, start, end)
        if end <= start or not _is_claim(text[start:end]):
            continue
        out.extend(split_clauses(text, start, end))
    return out


def _within_paragraphs(
    text: str, sentences: Sequence[tuple[int, int]], paras: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Sentences cut at paragraph breaks and trimmed; the whole paragraph without any."""
    source = sorted(sentences) or list(paras)
    out: list[tuple[int, int]] = []
    for s_start, s_end in source:
        for p_start, p_end in paras:
            lo, hi = max(s_start, p_start), min(s_end, p_end)
            if lo < hi:
                lo, hi = trim_span(text, lo, hi)
                if lo < hi:
                    out.append((lo, hi))
    return out


def _merge_bad_splits(
    text: str, spans: Sequence[tuple[int, int]], paras: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Undo splits before a lower-case word, after an abbreviation or before a lone mark."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and _paragraph_of(out[-1][0], paras) == _paragraph_of(start, paras):
            prev_start, prev_end = out[-1]
            previous, current = text[prev_start:prev_end], text[start:end]
            if _continues(previous, current):
                out[-1] = (prev_start, end)
                continue
        out.append((start, end))
    return out


def _continues(previous: str, current: str) -> bool:
    if not any(ch.isalnum() for ch in current):
        return True  # a stray closing mark or ellipsis
    if current.lstrip(_CLOSERS + '"“‘«—–- ')[:1].islower():
        return True  # "if... against the background": no sentence starts lower-case
    stripped = previous.rstrip(_CLOSERS)
    words = _WORD.findall(stripped)
    return stripped.endswith(".") and bool(words) and _is_abbreviation(stripped, words[-1])


def _is_abbreviation(text: str, last: str) -> bool:
    """An abbreviation ("Mr.", "U.S.") at the end of `text` (whose last word is `last`)."""
    if last.casefold() in _ABBREVIATIONS:
        return True
    return len(last) == 1 and last.isupper()  # an initial: "John F." or the end of "U.S."


def _split_missed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence boundaries spaCy missed, inside quotations above all."""
    pieces: list[tuple[int, int]] = []
    cut = start
    for match in _MISSED_STOP.finditer(text, start, end):
        left = text[cut : match.start()]
        words = _WORD.findall(left)
        if not words or _is_abbreviation(left, words[-1]) or len(words) < 3:
            continue
        if _words(text[match.end() : end]) < 3:
            continue
        boundary = match.start() + len(match.group()) - len(match.group().lstrip('"”’'))
        pieces.append(trim_span(text, cut, boundary))
        cut = match.end()
    pieces.append(trim_span(text, cut, end))
    return [p for p in pieces if p[1] > p[0]]


def _strip_dateline(text: str, start: int, end: int) -> tuple[int, int]:
    match = _DATELINE.match(text, start, end)
    if match is None:
        return start, end
    return trim_span(text, match.end(), end)


def _is_claim(sentence: str) -> bool:
    words = _WORD.findall(sentence)
    if len(words) < 2:
        return False
    if _FURNITURE.match(sentence.strip()):
        return False
    if _DATELINE.fullmatch(sentence.strip() + " "):
        return False
    if sentence.rstrip(_CLOSERS)[-1:] in tuple(_TERMINAL):
        return True
    return len(words) > HEADING_WORDS or _has_finite(sentence, strict=True)


# --------------------------------------------------------------------------- clauses


def split_clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence's independent claims: at "; ", or at ", but"/", while"/", and"/", yet"
    when a full clause with its own subject follows, at ", adding that", or before an
    adjunct that states a claim of its own (", in response to ...", ", because ..."),
    each side of 5+ words. Spans are
    exact and trimmed; the joining word opens the second clause."""
    cuts: list[tuple[int, int]] = []  # (end of left clause, start of right clause)
    for match in _COORDINATION.finditer(text, start, end):
        right = text[match.end() : end]
        left = text[start : match.start()]
        if match.group("word") is None:
            # a semicolon: the clauses on either side need only be clauses
            if _words(left) >= 3 and _words(right) >= 3 and _has_finite(right):
                cuts.append((match.start(), match.end()))
            continue
        if _words(left) < MIN_CLAUSE_WORDS or _words(right) < MIN_CLAUSE_WORDS:
            continue
        if _has_finite(left) and _opens_clause(right):
            cuts.append((match.start(), match.start("word")))
    for match in _ADJUNCT.finditer(text, start, end):
        left, right = text[start : match.start()], text[match.end() : end]
        if _words(left) >= MIN_ADJUNCT_WORDS and _words(right) >= MIN_ADJUNCT_WORDS:
            cuts.append((match.start(), match.start() + 2))
    for match in _ADDING.finditer(text, start, end):
        right = text[match.end() : end]
        if _words(text[start : match.start()]) >= MIN_CLAUSE_WORDS and _words(right) >= 3:
            cuts.append((match.start(), match.start() + 2))
    if not cuts:
        return [(start, end)]
    pieces = []
    cut = start
    for left_end, right_start in sorted(cuts):
        if left_end <= cut:
            continue
        pieces.append(trim_span(text, cut, left_end))
        cut = right_start
    pieces.append(trim_span(text, cut, end))
    return [p for p in pieces if p[1] > p[0]]


def _opens_clause(right: str) -> bool:
    """Does `right` open with a subject and a finite verb ("it is possible ...")?"""
    words = [w.casefold() for w in _WORD.findall(right)[:8]]
    if not words:
        return False
    first = words[0]
    if first in _FINITE or first in _NOT_SUBJECT or first.endswith("ing"):
        return False
    # A pronoun subject is followed by its verb at once; a noun phrase may run longer.
    reach = 3 if first in _SUBJECT_PRONOUNS else 7
    return any(_finite_word(w) for w in words[1:reach])


def _finite_word(word: str) -> bool:
    return word in _FINITE or (len(word) >= 4 and word.endswith("ed"))


def _has_finite(text: str, *, strict: bool = False) -> bool:
    """A finite verb somewhere in `text`; `strict` does not take "-ed" after a determiner
    for one ("A troubled record" is a heading)."""
    words = [w.casefold() for w in _WORD.findall(text)]
    for index, word in enumerate(words):
        if word in _FINITE:
            return True
        if _finite_word(word) and not (strict and index and words[index - 1] in _DETERMINERS):
            return True
    return False


# --------------------------------------------------------------------------- helpers


def _quotes_over(
    start: int, end: int, quotes: Sequence[Quote]
) -> tuple[tuple[str, ...], str | None]:
    """Keys of the quotes a unit overlaps, and the speaker of the one it overlaps most."""
    found: list[tuple[int, Quote]] = []
    for quote in quotes:
        overlap = min(end, quote.end) - max(start, quote.start)
        if overlap > 0:
            found.append((overlap, quote))
    keys = tuple(dict.fromkeys(quote_key(q) for _, q in sorted(found, key=lambda f: f[1].start)))
    speakers = [(overlap, q.speaker) for overlap, q in found if q.speaker]
    speaker = max(speakers, key=lambda s: s[0])[1] if speakers else None
    return keys, speaker


def _paragraph_of(offset: int, paras: Sequence[tuple[int, int]]) -> int:
    for index, (start, end) in enumerate(paras):
        if offset < end:
            return index if offset >= start else max(index - 1, 0)
    return max(len(paras) - 1, 0)


def _words(text: str) -> int:
    return len(_WORD.findall(text))
