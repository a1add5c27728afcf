"""Pairing quotation marks in news text, whatever the style and however broken.

Works on the raw characters, before any parse: straight and typographic double marks
(" “ ” „ « »), single marks used as quotes (' ‘ ’ ‚) told apart from apostrophes by
their neighbours, quotes that run over paragraphs by reopening each paragraph, and
unbalanced marks. It never raises: an opener left open at the end of a paragraph closes
there, and a closer with no opener is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOUBLE_MARKS = frozenset('"“”„«»‟〝〞')
SINGLE_MARKS = frozenset("'‘’‚‹›")
QUOTE_MARKS = DOUBLE_MARKS | SINGLE_MARKS
OPENING_PUNCT = frozenset("([{—–-/")
_PARAGRAPH_BREAK = re.compile(r"\s*\n\s*")


@dataclass(frozen=True, slots=True)
class QuoteSpan:
    """One quotation: its marks, and the quoted text in one part per paragraph."""

    open: int  # offset of the opening mark
    close: int  # offset of the closing mark, or the paragraph end when unclosed
    parts: tuple[tuple[int, int], ...]  # quoted text, marks excluded, trimmed
    closed: bool
    single: bool  # single marks (' ‘ ’), usually a quote inside a headline or a quote

    @property
    def start(self) -> int:
        return self.parts[0][0]

    @property
    def end(self) -> int:
        return self.parts[-1][1]


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph, trimmed.

    Paragraphs are separated by blank lines in `Article.text`; a single line break ends
    one too, since clean text has no hard wraps (and corpora such as PolNeAR use them).
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, len(text)))
    out = []
    for start, end in spans:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append((start, end))
    return out


def _prev(text: str, i: int, lo: int) -> str:
    return text[i - 1] if i > lo else ""


def _next(text: str, i: int, hi: int) -> str:
    return text[i + 1] if i + 1 < hi else ""


def _left_flanking(prev: str, nxt: str) -> bool:
    """Looks like an opener: after a space or opening punctuation, before a non-space."""
    return (prev == "" or prev.isspace() or prev in OPENING_PUNCT or prev in QUOTE_MARKS) and (
        nxt != "" and not nxt.isspace()
    )


def _right_flanking(prev: str, nxt: str) -> bool:
    """Looks like a closer: after a non-space, before a space, punctuation or the end."""
    return (prev != "" and not prev.isspace()) and (
        nxt == "" or nxt.isspace() or (not nxt.isalnum() and nxt not in OPENING_PUNCT - {"-"})
    )


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without the whitespace at its ends."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def find_quotes(text: str) -> list[QuoteSpan]:
    """All quotations in `text`, in order; double-mark quotes first claim the text.

    Single-mark quotes are returned only where they are not inside a double-mark one
    (a quote within a quote belongs to the outer quote).
    """
    paras = paragraphs(text)
    doubles = _pair_doubles(text, paras)
    singles = _pair_singles(text, paras)
    inside = [(q.open, q.close) for q in doubles]
    kept = [s for s in singles if not any(a <= s.open and s.close <= b for a, b in inside)]
    # A double quote wholly inside a single-mark one is a quote within a quote.
    outer = [(s.open, s.close) for s in kept]
    doubles = [d for d in doubles if not any(a < d.open and d.close < b for a, b in outer)]
    return sorted(doubles + kept, key=lambda q: q.open)


def _double_role(text: str, i: int, lo: int, hi: int, open_mark: str | None) -> str:
    """'open', 'close' or 'skip' for the double mark at `i`, given what is open."""
    ch = text[i]
    prev, nxt = _prev(text, i, lo), _next(text, i, hi)
    if ch in "„〝":
        return "open"
    if ch == "«":
        return "close" if open_mark == "»" else "open"
    if ch == "»":
        if open_mark is not None:
            return "close"
        return "open" if _left_flanking(prev, nxt) else "skip"
    if ch in "“‟":
        if open_mark == "„":
            return "close"
        if open_mark is not None and _right_flanking(prev, nxt) and not _left_flanking(prev, nxt):
            return "close"  # a misprinted closer
        return "open"
    if ch in "”〞":
        if open_mark is not None:
            return "close"
        return "open" if _left_flanking(prev, nxt) and not _right_flanking(prev, nxt) else "skip"
    # The straight mark: read its neighbours, then what is open.
    left, right = _left_flanking(prev, nxt), _right_flanking(prev, nxt)
    if open_mark is None:
        if right and not left:
            return "skip"
        return "open"
    if left and not right and open_mark != '"':
        return "open"
    return "close"


def _pair_doubles(text: str, paras: list[tuple[int, int]]) -> list[QuoteSpan]:
    found: list[QuoteSpan] = []
    # State carried across a paragraph break when a quote is continued there.
    carried: tuple[int, list[tuple[int, int]], str] | None = None
    for index, (lo, hi) in enumerate(paras):
        open_at: int | None = None
        open_mark: str | None = None
        parts: list[tuple[int, int]] = []
        part_start = 0
        marks = [i for i in range(lo, hi) if text[i] in DOUBLE_MARKS]
        if carried is not None:
            first_open, parts, open_mark = carried
            carried = None
            open_at = first_open
            # The reopening mark at the head of this paragraph starts the next part.
            part_start = marks[0] + 1 if marks and marks[0] == lo else lo
            if marks and marks[0] == lo:
                marks = marks[1:]
        for i in marks:
            role = _double_role(text, i, lo, hi, open_mark)
            if role == "skip":
                continue
            if role == "open":
                if open_at is not None:
                    # An opener while one is open: the earlier quote was never closed.
                    found.append(_span(text, open_at, i, [*parts, (part_start, i)], False))
                open_at, open_mark, parts, part_start = i, text[i], [], i + 1
            else:
                if open_at is None:
                    continue
                found.append(_span(text, open_at, i, [*parts, (part_start, i)], True))
                open_at, open_mark, parts = None, None, []
        if open_at is not None:
            following = paras[index + 1] if index + 1 < len(paras) else None
            parts = [*parts, (part_start, hi)]
            if following is not None and text[following[0]] in DOUBLE_MARKS - {"”", "»"}:
                carried = (open_at, parts, open_mark or '"')
            else:
                found.append(_span(text, open_at, hi, parts, False))
    return [q for q in found if q.parts]


def _span(
    text: str, open_at: int, close: int, parts: list[tuple[int, int]], closed: bool
) -> QuoteSpan:
    trimmed = tuple(p for p in (trim_span(text, a, b) for a, b in parts) if p[1] > p[0])
    return QuoteSpan(open_at, close, trimmed, closed, single=False)


def _pair_singles(text: str, paras: list[tuple[int, int]]) -> list[QuoteSpan]:
    """Single-mark quotes within a paragraph, only where both marks are unambiguous."""
    found: list[QuoteSpan] = []
    for lo, hi in paras:
        open_at: int | None = None
        for i in range(lo, hi):
            ch = text[i]
            if ch not in SINGLE_MARKS:
                continue
            prev, nxt = _prev(text, i, lo), _next(text, i, hi)
            if prev.isalnum() and nxt.isalnum():
                continue  # an apostrophe: don't, Clinton's
            opener = ch in "‘‚‹'" and _left_flanking(prev, nxt) and nxt.isalnum()
            if (
                opener
                and ch in "‘'"
                and re.match(r"\d\ds\b|\d\d\b|em\b|cause\b|til\b", text[i + 1 : i + 6])
            ):
                opener = False  # '90s, 'em, 'cause: elisions
            closer = ch in "’'›" and _right_flanking(prev, nxt) and not prev.isspace()
            if open_at is not None and closer:
                if prev in "sS" and nxt.isspace() and _later_closer(text, i, hi):
                    pass  # voters' rights: a plural possessive, keep looking
                else:
                    found.append(
                        QuoteSpan(open_at, i, (trim_span(text, open_at + 1, i),), True, single=True)
                    )
                    open_at = None
                    continue
            if opener:
                open_at = i
    return [q for q in found if q.parts[0][1] > q.parts[0][0]]


def _later_closer(text: str, i: int, hi: int) -> bool:
    """A later single closer in the same sentence: then this one is a possessive."""
    rest = text[i + 1 : hi]
    stop = re.search(r"[.!?]\s", rest)
    segment = rest[: stop.start() + 1] if stop else rest
    return re.search(r"\w[’'](?=[\s,.;:!?]|$)", segment) is not None
