"""Surface features of a sentence pair for the same-fact judge: shared words and letters.

The encoder's token alignment forgives reworded clauses; MRPC's annotators mostly did
not, and an added clause or a changed date, figure or quotation shows in the words and
characters themselves. These are the MT-evaluation measures that do well on MRPC:
word n-gram precision both ways (raw and stemmed), content-word and character n-gram
precision, edit and subsequence similarities, the longest shared word run, and marks
(dates, quotes, percent and dollar signs, questions) one side has and the other lacks.

What belongs to one sentence (its n-gram sets) is made once per text by `lexical`;
`lexical_features` then costs set intersections and a few rapidfuzz calls per pair.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq, Levenshtein

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SPACE = re.compile(r"\s+")
_STOPWORDS_TEXT = """a about above after again against all also am an and any are as at be
    because been before being below between both but by can could did do does doing down
    during each few for from further had has have having he her here hers herself him himself
    his how i if in into is it its itself just me more most my myself now of off on once only
    or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your
    yours yourself yourselves said says say told tell according"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_SUFFIXES = ("ing", "ed", "es", "s", "ly")
# Month and weekday names, matched as written with a capital ("May" the month, not "may").
_DATE_TEXT = """January February March April May June July August September October November
    December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Monday Tuesday Wednesday
    Thursday Friday Saturday Sunday"""
_DATE_WORDS = frozenset(_DATE_TEXT.split())
# Marks whose counts differ when one side quotes, gives a rate or a sum, or asks.
_MARKS = (('"', "“", "”"), ("%",), ("$",), ("?",))
WORD_ORDERS = (1, 2, 3, 4)
CHAR_ORDERS = (2, 3, 4, 5)


def stem(word: str) -> str:
    """Crude suffix stripping: enough for 'reports'/'reported' to meet, no model needed."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _grams(words: tuple[str, ...], n: int) -> frozenset[str]:
    """The word n-grams, each its words joined by single spaces."""
    if n == 1:
        return frozenset(words)
    # n copies of the words, each shifted one further; zip stops with the last gram
    return frozenset(map(" ".join, zip(*(words[k:] for k in range(n)), strict=False)))


_MULTIPLIER = np.uint64(0x100000001B3)  # FNV-1 64-bit prime


def _char_grams(text: str) -> tuple[frozenset[int], ...]:
    """The character n-grams of `text` (n in CHAR_ORDERS) as 64-bit polynomial hashes.

    Slicing a string into ~500 grams costs 0.2 ms a sentence; the hashes are one array
    operation per n, each order's from the order below. Two different grams share a
    hash with odds of about 2^-64 per pair of grams, which no overlap count will show.
    """
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    out = []
    hashes = codes  # the 1-grams; each order extends the last by one character (Horner)
    for n in range(1, max(CHAR_ORDERS) + 1):
        if n > 1:
            hashes = hashes[: max(len(codes) - n + 1, 0)] * _MULTIPLIER + codes[n - 1 :]
        if n in CHAR_ORDERS:
            out.append(frozenset(hashes.tolist()))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Lexical:
    """One sentence's words, n-grams and marks, made once per distinct text."""

    text: str  # lower-cased, spaces collapsed
    words: tuple[str, ...]  # lower-cased words, punctuation dropped
    word_grams: tuple[frozenset[str], ...]  # raw word n-grams, n in WORD_ORDERS
    stem_grams: tuple[frozenset[str], ...]  # stemmed word n-grams, n in WORD_ORDERS
    content_grams: tuple[frozenset[str], frozenset[str]]  # stemmed content 1- and 2-grams
    char_grams: tuple[frozenset[int], ...]  # character n-grams (hashed), n in CHAR_ORDERS
    dates: frozenset[str]
    marks: tuple[int, ...]  # count of each of _MARKS


def lexical(text: str) -> Lexical:
    """The surface parts of one (whitespace-cleaned) sentence."""
    lowered = _SPACE.sub(" ", text).strip().lower()
    raw = _WORD.findall(text)
    words = tuple(w.lower() for w in raw)
    stems = tuple(stem(w) for w in words)
    content = tuple(s for w, s in zip(words, stems, strict=True) if w not in STOPWORDS)
    return Lexical(
        text=lowered,
        words=words,
        word_grams=tuple(_grams(words, n) for n in WORD_ORDERS),
        stem_grams=tuple(_grams(stems, n) for n in WORD_ORDERS),
        content_grams=(_grams(content, 1), _grams(content, 2)),
        char_grams=_char_grams(lowered),
        dates=frozenset(w for w in raw if w in _DATE_WORDS),
        marks=tuple(sum(text.count(ch) for ch in chars) for chars in _MARKS),
    )


def _precisions(a: frozenset[Any], b: frozenset[Any]) -> tuple[float, float, float]:
    """min and max of the two sides' shares found on the other side, and their harmonic
    mean (BLEU-like precision both ways; 1 when neither side has any such gram)."""
    if not a and not b:
        return 1.0, 1.0, 1.0
    common = len(a & b)
    pa = common / len(a) if a else 0.0
    pb = common / len(b) if b else 0.0
    f = 2 * pa * pb / (pa + pb) if pa + pb > 0 else 0.0
    return min(pa, pb), max(pa, pb), f


def longest_run(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """Length of the longest run of words the two share in the same order, unbroken."""
    best = 0
    previous = [0] * (len(b) + 1)
    for word in a:
        current = [0] * (len(b) + 1)
        for j, other in enumerate(b, start=1):
            if word == other:
                current[j] = previous[j - 1] + 1
                if current[j] > best:
                    best = current[j]
        previous = current
    return best


def _names() -> tuple[str, ...]:
    names: list[str] = []
    for kind in ("word", "stem"):
        for n in WORD_ORDERS:
            names += [f"{kind}{n}_min", f"{kind}{n}_max", f"{kind}{n}_f"]
    for n in (1, 2):
        names += [f"content{n}_min", f"content{n}_max", f"content{n}_f"]
    for n in CHAR_ORDERS:
        names += [f"char{n}_min", f"char{n}_max", f"char{n}_f"]
    names += ["char_lcs_long", "char_lcs_short", "char_levenshtein"]
    names += ["fuzz_token_sort", "fuzz_token_set", "fuzz_partial"]
    names += ["word_run", "word_run_share", "dates_unmatched", "dates_mismatch"]
    names += ["char_length_diff", "char_length_log_ratio"]
    names += ["quote_mismatch", "percent_mismatch", "dollar_mismatch", "question_mismatch"]
    return tuple(names)


LEXICAL_NAMES = _names()


def lexical_features(a: Lexical, b: Lexical) -> list[float]:
    """The values of LEXICAL_NAMES for one pair, in that order; symmetric in a and b."""
    out: list[float] = []
    for side_a, side_b in (
        (a.word_grams, b.word_grams),
        (a.stem_grams, b.stem_grams),
        (a.content_grams, b.content_grams),
        (a.char_grams, b.char_grams),
    ):
        for grams_a, grams_b in zip(side_a, side_b, strict=True):
            out += _precisions(grams_a, grams_b)
    la, lb = len(a.text), len(b.text)
    common = LCSseq.similarity(a.text, b.text)
    out += [
        common / max(la, lb, 1),
        common / max(min(la, lb), 1),
        Levenshtein.normalized_similarity(a.text, b.text),
        fuzz.token_sort_ratio(a.text, b.text) / 100.0,
        fuzz.token_set_ratio(a.text, b.text) / 100.0,
        # partial_ratio aligns the shorter string first: the order of a, b must not matter
        fuzz.partial_ratio(*sorted((a.text, b.text))) / 100.0,
    ]
    run = longest_run(a.words, b.words)
    unmatched_dates = len(a.dates ^ b.dates)
    out += [
        float(run),
        run / max(min(len(a.words), len(b.words)), 1),
        float(min(unmatched_dates, 3)),
        float(unmatched_dates > 0),
        float(abs(la - lb)),
        math.log(max(la, lb, 1) / max(min(la, lb), 1)),
    ]
    out += [float(abs(x - y)) for x, y in zip(a.marks, b.marks, strict=True)]
    return out
