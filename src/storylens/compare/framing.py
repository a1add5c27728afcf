"""Framing of one article: how it attributes speech, which loaded words it uses, whose
voices it quotes and how much, and how its headline differs from its body.

The words come from `framing_lexicon.toml` (sources cited there). Matching needs no
parse: each lexicon entry's inflected forms are generated once and matched whole-word,
case-insensitively, so the same text always yields the same figures. Quotes come from
`storylens.nlp.quotes`; this module only reads them.

Every figure carries its spans: offsets into `Article.text`, or into `Article.title`
with `section="headline"` (the convention of `compare.units`).
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from storylens.compare.model import Framing, Section, Span, TermUse, Voice
from storylens.model import Article, Quote
from storylens.nlp.quotemarks import find_quotes

__all__ = ["frame_article", "lexicon"]

LEXICON = Path(__file__).with_name("framing_lexicon.toml")
UNATTRIBUTED = "unattributed"
# How far before a narration verb its speaker's name may stand ("Rudenko pointed out").
SPEAKER_REACH = 60

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_VOWELS = "aeiou"
# A past participle after these is passive or adjectival ("was denied", "the confirmed
# cases"), not the outlet attributing speech.
_NOT_BEFORE_NARRATION_TEXT = (
    "is are was were be been being am a an the its their his her our this these those"
)
_NOT_BEFORE_NARRATION = frozenset(_NOT_BEFORE_NARRATION_TEXT.split())
# Speech verbs a headline uses on top of the narration list ("Moscow Says ...").
_HEADLINE_SPEECH = ("say", "tell")
# "...: Kremlin" / "Peskov: ..." — a headline naming its source around a colon.
_NAME = r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}"
_TRAILING_SOURCE = re.compile(rf"[:|]\s*({_NAME})\s*$")
_LEADING_SOURCE = re.compile(rf"^\s*({_NAME})\s*:\s")
_SUBJECT_BEFORE = re.compile(rf"({_NAME})\s+$")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The framing lexicon, compiled: a regex per word class and a form -> lemma map."""

    attribution: dict[str, str]  # lemma -> category
    narration: frozenset[str]  # lemmas attributing speech even without a detected quote
    terms: dict[str, str]  # entry -> category
    verb_forms: dict[str, str]  # lower-cased inflected form -> attribution lemma
    term_forms: dict[str, str]  # lower-cased inflected form -> term entry
    past: frozenset[str]  # verb forms that are past tense or participle
    attribution_re: re.Pattern[str]
    terms_re: re.Pattern[str]

    def verb(self, word: str) -> str:
        """The attribution lemma of `word` ("Warned" -> "warn"), else `word` folded."""
        key = _fold(word)
        return self.verb_forms.get(key, key)

    def term(self, word: str) -> str:
        key = _fold(word)
        return self.term_forms.get(key, key)


@cache
def lexicon() -> Lexicon:
    """Load and compile the lexicon once per process."""
    data = tomllib.loads(LEXICON.read_text(encoding="utf-8"))
    attribution = {
        lemma: category for category, lemmas in data["attribution"].items() for lemma in lemmas
    }
    terms = {entry: category for category, entries in data["terms"].items() for entry in entries}
    irregular: dict[str, str] = data.get("irregular", {})
    verb_forms: dict[str, str] = {}
    past: set[str] = set()
    for lemma in attribution:
        for form, is_past in _inflections(lemma, irregular):
            verb_forms.setdefault(form, lemma)
            if is_past:
                past.add(form)
    term_forms: dict[str, str] = {}
    for entry in terms:
        for form, _ in _inflections(entry, irregular):
            term_forms.setdefault(form, entry)
    return Lexicon(
        attribution=attribution,
        narration=frozenset(data["narration"]["verbs"]),
        terms=terms,
        verb_forms=verb_forms,
        term_forms=term_forms,
        past=frozenset(past),
        attribution_re=_alternation(verb_forms),
        terms_re=_alternation(term_forms),
    )


def _fold(word: str) -> str:
    return " ".join(word.casefold().split())


def _inflections(entry: str, irregular: dict[str, str]) -> Iterable[tuple[str, bool]]:
    """The entry and its inflected forms (inflecting the first word of a phrase), each
    with whether it is a past form. Over-generation ("sayed") is harmless: it never
    occurs, and when it would, it is the same word."""
    head, _, rest = entry.partition(" ")
    tail = f" {rest}" if rest else ""
    yield entry, False
    regular: list[tuple[str, bool]] = [(head + "s", False), (head + "es", False)]
    stem = head[:-1] if head.endswith("e") else head
    regular += [(stem + "ed", True), (stem + "ing", False)]
    if len(head) >= 2 and head[-1] == "y" and head[-2] not in _VOWELS:  # deny -> denied
        regular += [(head[:-1] + "ies", False), (head[:-1] + "ied", True)]
    if _ends_cvc(head):  # slam -> slammed, admit -> admitting
        regular += [(head + head[-1] + "ed", True), (head + head[-1] + "ing", False)]
    if " " not in entry:
        yield from regular
    else:
        yield from ((form + tail, is_past) for form, is_past in regular)
    for form, lemma in irregular.items():
        if lemma == head:
            yield form + tail, True


def _ends_cvc(word: str) -> bool:
    """Consonant, vowel, consonant at the end ("qu" counting as a consonant: quip)."""
    if len(word) < 3 or word[-1] in _VOWELS + "wxy" or word[-2] not in _VOWELS:
        return False
    return word[-3] not in _VOWELS or (word[-3:-1] == "ui" and word[-4:-3] == "q")


def _alternation(forms: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted(set(forms), key=lambda f: (-len(f), f))
    body = "|".join(r"\s+".join(map(re.escape, f.split())) for f in ordered)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


# --------------------------------------------------------------------------- entry point


def frame_article(article: Article, quotes: Sequence[Quote], outlet: str) -> Framing:
    """How `article` frames its story, every figure pointing at its spans.

    Voices: one per resolved speaker (unresolved quotes go to "unattributed"). A quote
    counts once per distinct reported span, so two cues over the same clause ("reaffirmed
    ... while emphasising that ...") are one quote. Quoted words are the words inside
    quotation marks: a direct quote's text and a partial quote's quoted fragments;
    indirect speech counts as a quote with zero quoted words, because its wording is the
    outlet's. Overlapping parts count once. `share` is a voice's part of all quoted
    words; `quoted_share` is quoted words over all body words.
    """
    lex = lexicon()
    text = article.text
    marks = _quoted_ranges(text, quotes)
    verbs = _cue_verbs(article, quotes, marks, lex)
    verbs += _narration_verbs(article, quotes, marks, verbs, lex)
    verbs.sort(key=lambda t: (t.span.start, t.span.end))
    taken = [(v.span.start, v.span.end) for v in verbs]
    loaded = [
        _term_use(article.id, text, match, lex, marks, quotes, "body")
        for match in lex.terms_re.finditer(text)
        if not _overlaps(match.start(), match.end(), taken)
    ]
    voices, quoted_words = _voices(article, quotes)
    body_words = len(_WORD.findall(text))
    head_verbs, head_terms = _headline_terms(article, lex)
    return Framing(
        article_id=article.id,
        outlet=outlet,
        attribution_verbs=tuple(verbs),
        loaded_terms=tuple(loaded),
        voices=tuple(voices),
        quoted_share=quoted_words / body_words if body_words else 0.0,
        headline_terms=tuple(sorted([*head_verbs, *head_terms], key=lambda t: t.span.start)),
        notes=tuple(_notes(article.title or "", verbs, loaded, voices, head_verbs, head_terms)),
    )


# --------------------------------------------------------------------------- verbs


def _cue_verbs(
    article: Article, quotes: Sequence[Quote], marks: list[tuple[int, int]], lex: Lexicon
) -> list[TermUse]:
    """The quotes' cues; a cue the lexicon does not list is kept as category "other"."""
    found: dict[tuple[int, int], TermUse] = {}
    for quote in quotes:
        if quote.cue_start is None or quote.cue_end is None or quote.cue_end <= quote.cue_start:
            continue
        key = (quote.cue_start, quote.cue_end)
        if key in found:
            continue
        word = article.text[key[0] : key[1]]
        found[key] = TermUse(
            term=lex.verb(word),
            category=lex.attribution.get(lex.verb(word), "other"),
            span=Span(article.id, key[0], key[1], word),
            speaker=quote.speaker,
            in_quote=_overlaps(*key, marks),
        )
    return list(found.values())


def _narration_verbs(
    article: Article,
    quotes: Sequence[Quote],
    marks: list[tuple[int, int]],
    cues: Sequence[TermUse],
    lex: Lexicon,
) -> list[TermUse]:
    """Past-tense narration verbs with no detected quote behind them ("Rudenko pointed
    out that ..."): only the lexicon's [narration] list, outside quotation marks, and not
    passive or adjectival ("was denied", "the confirmed cases")."""
    text = article.text
    taken = [(c.span.start, c.span.end) for c in cues]
    found: list[TermUse] = []
    for match in lex.attribution_re.finditer(text):
        start, end = match.span()
        form = _fold(match.group())
        lemma = lex.verb(form)
        if lemma not in lex.narration or form not in lex.past:
            continue
        if _overlaps(start, end, taken) or _overlaps(start, end, marks):
            continue
        before = _WORD.findall(text[max(0, start - 30) : start])
        if before and before[-1].casefold() in _NOT_BEFORE_NARRATION:
            continue
        found.append(
            TermUse(
                term=lemma,
                category=lex.attribution[lemma],
                span=Span(article.id, start, end, match.group()),
                speaker=_speaker_before(text, start, quotes),
            )
        )
    return found


def _speaker_before(text: str, offset: int, quotes: Sequence[Quote]) -> str | None:
    """A speaker known from the article's quotes whose name ends just before `offset`
    in the same sentence; the nearest one wins, and between names that share a surname
    ("Todd Akin", "Akin") the fullest, so the answer never depends on set order."""
    window_start = max(0, offset - SPEAKER_REACH)
    window = text[window_start:offset]
    cut = max(window.rfind(". "), window.rfind("\n"))
    window = window[cut + 1 :]
    best: tuple[int, int, str] | None = None
    for speaker in sorted({q.speaker for q in quotes if q.speaker}):
        surname = speaker.split()[-1]
        for match in re.finditer(rf"\b{re.escape(surname)}\b", window):
            candidate = (match.end(), len(speaker), speaker)
            if best is None or candidate > best:
                best = candidate
    return best[2] if best else None


# --------------------------------------------------------------------------- terms


def _term_use(
    article_id: str,
    text: str,
    match: re.Match[str],
    lex: Lexicon,
    marks: list[tuple[int, int]],
    quotes: Sequence[Quote],
    section: Section,
) -> TermUse:
    start, end = match.span()
    lemma = lex.term(match.group())
    return TermUse(
        term=lemma,
        category=lex.terms[lemma],
        span=_span(article_id, text, start, end, section),
        speaker=_reporting_speaker(start, end, quotes),
        in_quote=_overlaps(start, end, marks),
    )


def _reporting_speaker(start: int, end: int, quotes: Sequence[Quote]) -> str | None:
    """The speaker of the narrowest quote whose reported words cover [start, end)."""
    covering = [q for q in quotes if _covers(q, start, end)]
    if not covering:
        return None
    return min(covering, key=lambda q: q.end - q.start).speaker


def _covers(quote: Quote, start: int, end: int) -> bool:
    if quote.kind == "direct" and quote.parts:
        return any(a <= start and end <= b for a, b in quote.parts)
    return quote.start <= start and end <= quote.end


def _quoted_ranges(text: str, quotes: Sequence[Quote]) -> list[tuple[int, int]]:
    """Text inside quotation marks: the quotes' parts and any other marked passage
    (scare quotes, a subheading's 'dangerous step')."""
    ranges = [part for quote in quotes for part in quote.parts]
    ranges += [part for span in find_quotes(text) for part in span.parts]
    return _merge(ranges)


# --------------------------------------------------------------------------- voices


def _voices(article: Article, quotes: Sequence[Quote]) -> tuple[list[Voice], int]:
    """Voices (most quoted first) and the article's total quoted words."""
    text = article.text
    by_speaker: dict[str, dict[tuple[int, int], Quote]] = {}
    for quote in quotes:
        by_speaker.setdefault(quote.speaker or UNATTRIBUTED, {})[(quote.start, quote.end)] = quote
    words = {
        speaker: _words_in(text, _merge(p for q in found.values() for p in _quoted_parts(q)))
        for speaker, found in by_speaker.items()
    }
    total = _words_in(text, _merge(p for q in quotes for p in _quoted_parts(q)))
    voices = [
        Voice(
            speaker=speaker,
            quotes=len(found),
            words=words[speaker],
            share=words[speaker] / total if total else 0.0,
            spans=tuple(_span(article.id, text, s, e, "body") for s, e in sorted(found)),
        )
        for speaker, found in by_speaker.items()
    ]
    voices.sort(key=lambda v: (-v.words, -v.quotes, v.speaker == UNATTRIBUTED, v.speaker))
    return voices, total


def _quoted_parts(quote: Quote) -> tuple[tuple[int, int], ...]:
    return () if quote.kind == "indirect" else quote.parts


def _words_in(text: str, ranges: Iterable[tuple[int, int]]) -> int:
    return sum(len(_WORD.findall(text[a:b])) for a, b in ranges)


# --------------------------------------------------------------------------- headline


def _headline_terms(article: Article, lex: Lexicon) -> tuple[list[TermUse], list[TermUse]]:
    """Speech verbs, and loaded terms, in the title.

    Headline verbs are present tense ("Moscow Says"), so any inflection counts but the
    "-ing" form (usually a noun in a headline: "Warning over ..."); only the narration
    list plus "say"/"tell", since "attack" or "show" in a headline is mostly an event.
    """
    title = article.title or ""
    if not title.strip():
        return [], []
    marks = _merge(part for span in find_quotes(title) for part in span.parts)
    speech = lex.narration | set(_HEADLINE_SPEECH)
    found: list[TermUse] = []
    for match in lex.attribution_re.finditer(title):
        lemma = lex.verb(match.group())
        if lemma not in speech or match.group().casefold().split()[0].endswith("ing"):
            continue
        subject = _SUBJECT_BEFORE.search(title[: match.start()])
        found.append(
            TermUse(
                term=lemma,
                category=lex.attribution[lemma],
                span=_span(article.id, title, *match.span(), "headline"),
                speaker=subject.group(1) if subject else _headline_source(title),
                in_quote=_overlaps(*match.span(), marks),
            )
        )
    taken = [(t.span.start, t.span.end) for t in found]
    terms = [
        _term_use(article.id, title, match, lex, marks, (), "headline")
        for match in lex.terms_re.finditer(title)
        if not _overlaps(match.start(), match.end(), taken)
    ]
    return found, terms


def _headline_source(title: str) -> str | None:
    """The source a headline names around a colon: "...: Kremlin", "Peskov: ..."."""
    match = _TRAILING_SOURCE.search(title) or _LEADING_SOURCE.match(title)
    if match is None or _is_kicker(match.group(1)):
        return None
    return match.group(1)


def _is_kicker(name: str) -> bool:
    """A tabloid label in capitals ("TOXIC INFERNO:", "BREAKING:"), not a source;
    short acronyms ("NATO", "UN") still name one."""
    words = name.split()
    return name.isupper() and (len(words) > 1 or len(name) > 5)


# --------------------------------------------------------------------------- notes


def _notes(
    title: str,
    verbs: Sequence[TermUse],
    loaded: Sequence[TermUse],
    voices: Sequence[Voice],
    head_verbs: Sequence[TermUse],
    head_terms: Sequence[TermUse],
) -> list[str]:
    """Short factual contrasts, each stated only where the spans show it: a headline
    verb of a kind the body never uses, a headline source the body never quotes, a
    headline term the body lacks, a loaded term outside quotation marks."""
    notes: list[str] = []
    body_categories = {v.category for v in verbs}
    body_forms = Counter(v.span.text.casefold() for v in verbs)
    for verb in head_verbs:
        if verb.category not in body_categories:
            common = ", ".join(f"'{form}'" for form, _ in body_forms.most_common(2))
            body = f"body uses {common}" if common else "body has no attribution verb"
            notes.append(f"headline uses '{verb.span.text}' ({verb.category}); {body}")
    named = [v.speaker for v in voices if v.speaker != UNATTRIBUTED]
    sources: list[str | None] = [v.speaker for v in head_verbs if v.speaker]
    sources = sources or [_headline_source(title)]
    for source in dict.fromkeys(s for s in sources if s):
        if named and not any(_same_name(source, speaker) for speaker in named):
            notes.append(f"headline names {source}; body quotes {named[0]} most")
    body_terms = {t.term for t in loaded}
    for term in head_terms:
        if term.term not in body_terms:
            notes.append(f"headline uses '{term.span.text}'; body does not")
    for term in loaded:
        if term.category != "loaded" or term.in_quote:
            continue
        if term.speaker:
            notes.append(f"'{term.span.text}' paraphrases {term.speaker}, outside quotation marks")
        else:
            notes.append(f"'{term.span.text}' is the outlet's own wording")
    return list(dict.fromkeys(notes))


def _same_name(a: str, b: str) -> bool:
    return bool(set(a.casefold().split()) & set(b.casefold().split()))


# --------------------------------------------------------------------------- helpers


def _span(article_id: str, text: str, start: int, end: int, section: Section) -> Span:
    return Span(article_id, start, end, text[start:end], section)


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _overlaps(start: int, end: int, ranges: Iterable[tuple[int, int]]) -> bool:
    return any(a < end and start < b for a, b in ranges)
