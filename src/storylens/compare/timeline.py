"""Who published first, how long the others took, and the dated events the story names.

Publication times are intervals (`TimeValue`): a time whose zone the page does not state
could be any instant across the world's UTC offsets, so two articles can only be put in
order when their intervals do not overlap. The ranking says exactly that and no more:

- `rank` is 1 + the number of articles *certainly* published before this one. An
  article certainly earlier than another therefore always ranks lower; equal ranks mean
  neither can be shown to come first; and rank 1 lists every article that may have been
  first. A lower rank alone does not prove an earlier publication when intervals
  overlap: the lag bounds say how far the order can be trusted.
- A stated minute or second with a known zone is taken as that instant (`earliest ==
  latest`): the clock's granularity is not the uncertainty that matters for ordering.
  A date with no clock keeps its whole day as the interval.
- Articles with no publication time come last, all on the same rank, and never count as
  "may have been first"; but they do prevent `first_certain`, since nothing shows the
  first dated article came before them.
- The report's zone changes how times read, never their order.

Events are found with regular expressions over the clean text rather than spaCy's DATE
entities: the explicit shapes news uses ("November 1", "3 March 2026", "Sunday, 24
October", "next Tuesday", "yesterday") are few and regular, a regex pass costs
microseconds, and the compare pipeline has already paid for one parse. A date without a
year takes the year that puts it nearest the article's publication date (as the page
wrote it, in its own zone); a weekday name takes the nearest such day before the
publication date, or after it when the clause speaks of what will happen ("will",
"until", "next"). Mentions of the same event across articles, the same date and similar
words, share one phrase, while each keeps its own span.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise

from storylens.compare.model import EventMention, Span, Timeline, TimelineEntry
from storylens.extract.times import non_date_words, zone_by_name
from storylens.model import EARLIEST_OFFSET, LATEST_OFFSET, Article, TimeValue
from storylens.nlp.entities import lexicon

__all__ = ["build_timeline", "find_events", "report_zone"]

# Mentions of one date are one event when their phrases share at least this fraction of
# the shorter phrase's content words (and at least two of them).
SAME_EVENT_OVERLAP = 0.5
# A phrase is widened past a comma or "that" until it holds this many words besides the
# date, and never beyond MAX_PHRASE_WORDS.
MIN_PHRASE_WORDS = 8
MAX_PHRASE_WORDS = 30

_MONTH_NUMBER = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAY_NUMBER = {
    name: number
    for number, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}

# Month names are matched capitalised only: "may", "march" and "sept" are words too.
_MONTH = (
    r"(?P<month>(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?)"
)
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?![\d:.,]\d)"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?"
_PREPOSITION = (
    r"(?:(?P<prep>from|on|by|until|till|through|since|before|after|starting|beginning|"
    r"as\s+of|effective)\s+(?:at\s+least\s+|as\s+early\s+as\s+)?)?"
)
_DATE = re.compile(
    r"(?<![\w-])"
    + _PREPOSITION
    + r"(?:(?P<weekday>"
    + _WEEKDAY
    + r"),?\s+(?:the\s+)?)?"
    + r"(?:"
    + _DAY.replace("day>", "day1>")
    + r"\s+(?:of\s+)?"
    + _MONTH.replace("month>", "month1>")
    + r"|"
    + _MONTH.replace("month>", "month2>")
    + r"\s+"
    + _DAY.replace("day>", "day2>")
    + r")"
    + _YEAR
    + r"(?![\w-])"
)
_ISO_DATE = re.compile(
    r"(?<![\w-])" + _PREPOSITION + r"(?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d)(?![\w:-])"
)
_RELATIVE = re.compile(
    r"(?<![\w-])"
    + _PREPOSITION
    + r"(?:(?P<which>next|last|this|coming|this\s+coming|past)\s+)?"
    + r"(?P<weekday>"
    + _WEEKDAY
    + r")(?!,?\s+(?:the\s+)?(?:\d|January|February|March|April|May|June|July|August|"
    r"September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b)"
    + r"|(?<![\w-])(?P<deictic>[Yy]esterday|[Tt]omorrow)(?![\w-])"
)
# Words that put a bare weekday in the future ("will reopen on Wednesday").
_FUTURE = re.compile(
    r"\b(?:will|would|shall|until|till|due|expected|scheduled|going\s+to|is\s+to|are\s+to|"
    r"set\s+to|upcoming|won't)\b|'ll\b",
    re.IGNORECASE,
)
# A dateline opening a paragraph: "KORVHAVEN, March 2 (MPA) —".
_DATELINE = re.compile(r"^[A-Z][A-Z .'’-]{1,40},\s*$")
# Words that make a line page furniture rather than a sentence ("Updated October 24th,
# 2021 at 21:14 IST").
_FURNITURE_WORDS = lexicon(
    "updated published posted last modified first created edited date time ist"
)
_SOFT_BREAK = re.compile(r",\s+|\s+(?:that|which|who|where|while)\s+", re.IGNORECASE)
_LEADING_CONNECTIVE = re.compile(r"^(?:that|which|who|where|while)\s+", re.IGNORECASE)
_HARD_BREAK = re.compile(
    r"[;()\[\]\"“”«»]|(?<!\d):(?!\d)|\s[—–-]\s|(?<=[.!?])\s+(?=[\"“‘]?[A-Z0-9])"
)
_ABBREVIATION_END = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|St|Gen|Sen|Rep|Gov|Lt|Col|Capt|Prof|Jr|Sr|No|vs|Inc|Co|Corp|Ltd|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|[A-Z])\.$"
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_STOPWORDS = lexicon(
    """a an the and or but of in on at to from for by with as is are was were be been will
    would could should can may might has have had it its this that these those which who
    said says say told after before about around over into than then there their they he
    she his her we our you your i not no"""
)


def report_zone(zone: str) -> tzinfo:
    """The tzinfo for a report zone name; a clear ValueError when it names none."""
    try:
        return zone_by_name(zone)
    except ValueError:
        raise ValueError(
            f"unknown time zone {zone!r}: give an IANA name such as 'Europe/Moscow', "
            "an offset such as '+03:00', or 'UTC'"
        ) from None


def build_timeline(
    articles: Sequence[Article], outlets: Mapping[str, str], *, zone: str = "UTC"
) -> Timeline:
    """Publication order, first publisher(s), lags as bounds, and the events mentioned."""
    tz = report_zone(zone)
    dated = [(a, _interval(a.published)) for a in articles if a.published is not None]
    undated = [a for a in articles if a.published is None]
    entries: list[TimelineEntry] = []
    for article, (low, high) in dated:
        others = [iv for other, iv in dated if other.id != article.id]
        before = sum(1 for _, other_high in others if other_high < low)
        lag_min, lag_max = _lag(low, high, others)
        entries.append(
            TimelineEntry(
                article_id=article.id,
                outlet=outlets.get(article.id, article.id),
                original=article.published.original if article.published else None,
                earliest=low.astimezone(tz),
                latest=high.astimezone(tz),
                zone_known=bool(article.published and article.published.zone_known),
                rank=1 + before,
                lag_min=lag_min,
                lag_max=lag_max,
                span=_stated_at(article),
            )
        )
    entries.sort(key=lambda e: (e.rank, _midpoint(e), e.article_id))
    last_rank = len(dated) + 1
    entries.extend(
        TimelineEntry(
            article_id=a.id,
            outlet=outlets.get(a.id, a.id),
            original=None,
            earliest=None,
            latest=None,
            zone_known=False,
            rank=last_rank,
        )
        for a in sorted(undated, key=lambda a: a.id)
    )
    first = tuple(e.article_id for e in entries if e.rank == 1 and e.earliest is not None)
    first_certain = len(first) == 1 and not undated and _strictly_first(first[0], dated)
    return Timeline(
        zone=zone,
        entries=tuple(entries),
        first=first,
        first_certain=first_certain,
        events=tuple(find_events(articles)),
    )


def _interval(published: TimeValue | None) -> tuple[datetime, datetime]:
    """The UTC instants the publication may have been at (see the module docstring)."""
    assert published is not None
    if published.precision in ("minute", "second"):
        if published.zone_known:
            moment = published.local.astimezone(UTC).replace(microsecond=0)
            return moment, moment
        local = published.local.replace(microsecond=0, tzinfo=UTC)
        return local - EARLIEST_OFFSET, local + LATEST_OFFSET
    return published.earliest, published.latest


def _midpoint(entry: TimelineEntry) -> datetime:
    assert entry.earliest is not None and entry.latest is not None
    return entry.earliest + (entry.latest - entry.earliest) / 2


def _lag(
    low: datetime, high: datetime, others: Sequence[tuple[datetime, datetime]]
) -> tuple[float, float]:
    """Bounds on (this time - the first publication's time), each time free in its interval.

    The first publication is min(this, the earliest other), so the lag is max(0, this -
    earliest other); its bounds take each side at its extremes.
    """
    if not others:
        return 0.0, 0.0
    soonest_low = min(o_low for o_low, _ in others)
    soonest_high = min(o_high for _, o_high in others)
    lag_min = max(0.0, (low - soonest_high).total_seconds())
    lag_max = max(0.0, (high - soonest_low).total_seconds())
    return float(math.floor(lag_min)), float(math.ceil(lag_max))


def _strictly_first(
    article_id: str, dated: Sequence[tuple[Article, tuple[datetime, datetime]]]
) -> bool:
    high = next(iv[1] for a, iv in dated if a.id == article_id)
    return all(high < iv[0] for a, iv in dated if a.id != article_id)


def _stated_at(article: Article) -> Span | None:
    """Where the text states the publication time, when it still carries the line."""
    if article.published is None:
        return None
    original = article.published.original.strip()
    if not original:
        return None
    at = article.text.find(original)
    if at < 0:
        return None
    return Span(article.id, at, at + len(original), original)


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class _Mention:
    article_index: int
    article_id: str
    start: int
    end: int
    date: date
    phrase: str
    resolved_from: str | None
    content: frozenset[str]  # the phrase's content words, the date's own words aside


def find_events(articles: Sequence[Article]) -> list[EventMention]:
    """Dated events the articles mention, one per article and event, grouped across them.

    Mentions of one date whose phrases read alike are one event: every mention then
    carries the phrase of the first article to state it (articles in the order given),
    and its own span, so a reader sees at once which outlets name the same event.
    """
    mentions = [m for index, a in enumerate(articles) for m in _article_mentions(index, a)]
    groups: list[list[_Mention]] = []
    for mention in sorted(mentions, key=lambda m: (m.date, m.article_index, m.start)):
        for group in groups:
            if group[0].date == mention.date and _same_event(group, mention):
                group.append(mention)
                break
        else:
            groups.append([mention])
    events: list[EventMention] = []
    for group in groups:
        phrase = group[0].phrase
        seen: set[str] = set()
        for m in group:
            if m.article_id in seen:  # one article stating one event twice: keep the first
                continue
            seen.add(m.article_id)
            text = articles[m.article_index].text[m.start : m.end]
            events.append(
                EventMention(
                    article_id=m.article_id,
                    span=Span(m.article_id, m.start, m.end, text),
                    date=m.date.isoformat(),
                    phrase=phrase,
                    resolved_from=m.resolved_from,
                )
            )
    return events


def _same_event(group: Sequence[_Mention], mention: _Mention) -> bool:
    """Phrases share most content words (of the shorter one), the date's words aside."""
    words = mention.content
    for member in group:
        shared = len(words & member.content)
        smaller = min(len(words), len(member.content))
        if smaller and shared >= 2 and shared / smaller >= SAME_EVENT_OVERLAP:
            return True
    return False


def _article_mentions(index: int, article: Article) -> list[_Mention]:
    text = article.text
    published = article.published.local.date() if article.published else None
    found: list[_Mention] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_DATE, _ISO_DATE, _RELATIVE):
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(a < end and start < b for a, b in taken):
                continue
            resolved = _resolve(match, text, published)
            if resolved is None:
                continue
            day, used_publication = resolved
            if _is_furniture(text, start, end):
                continue
            taken.append((start, end))
            phrase = _phrase(text, start, end)
            found.append(
                _Mention(
                    article_index=index,
                    article_id=article.id,
                    start=start,
                    end=end,
                    date=day,
                    phrase=phrase,
                    resolved_from=published.isoformat() if used_publication and published else None,
                    content=_content_words(phrase, text[start:end]),
                )
            )
    return sorted(found, key=lambda m: m.start)


def _resolve(match: re.Match[str], text: str, published: date | None) -> tuple[date, bool] | None:
    """The calendar date a match names, and whether the publication date was needed."""
    groups = match.groupdict()
    if groups.get("iso"):
        try:
            return date.fromisoformat(groups["iso"]), False
        except ValueError:
            return None
    if groups.get("deictic"):
        if published is None:
            return None
        step = -1 if groups["deictic"].lower() == "yesterday" else 1
        return published + timedelta(days=step), True
    month_name = groups.get("month1") or groups.get("month2")
    if month_name is None:
        return _resolve_weekday(match, text, published)
    month = _MONTH_NUMBER[month_name.rstrip(".").lower()]
    day = int(groups.get("day1") or groups.get("day2") or 0)
    weekday = _WEEKDAY_NUMBER[groups["weekday"].lower()] if groups.get("weekday") else None
    if groups.get("year"):
        try:
            return date(int(groups["year"]), month, day), False
        except ValueError:
            return None
    if published is None:
        return None
    candidates = []
    for year in (published.year - 1, published.year, published.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return None
    # Nearest to the publication date; a stated weekday that fits a year wins.
    best = min(
        candidates,
        key=lambda d: (weekday is not None and d.weekday() != weekday, abs(d - published)),
    )
    return best, True


def _resolve_weekday(
    match: re.Match[str], text: str, published: date | None
) -> tuple[date, bool] | None:
    if published is None:
        return None
    weekday = _WEEKDAY_NUMBER[match.group("weekday").lower()]
    which = (match.group("which") or "").lower().split()
    ahead = (weekday - published.weekday()) % 7
    behind = (published.weekday() - weekday) % 7
    if which and which[-1] in ("next", "coming"):
        return published + timedelta(days=ahead or 7), True
    if which and which[-1] in ("last", "past"):
        return published - timedelta(days=behind or 7), True
    if ahead == 0:
        return published, True
    if which == ["this"] or _speaks_of_future(text, match.start(), match.group("prep")):
        return published + timedelta(days=ahead), True
    return published - timedelta(days=behind), True


def _speaks_of_future(text: str, start: int, preposition: str | None) -> bool:
    """Whether the clause before a bare weekday speaks of what will happen."""
    if preposition and preposition.lower() in ("from", "until", "till", "by", "starting"):
        return True
    clause_start = max(text.rfind(mark, 0, start) for mark in (". ", "\n", ", ", "; ")) + 1
    return bool(_FUTURE.search(text, clause_start, start))


def _is_furniture(text: str, start: int, end: int) -> bool:
    """A time-stamp line or a dateline, not a sentence naming a date."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    if len(line) < 80 and set(non_date_words(line)) <= _FURNITURE_WORDS:
        return True
    return bool(_DATELINE.match(text[line_start:start]))


def _phrase(text: str, start: int, end: int) -> str:
    """The clause around a date that says what happens then, widened when too thin."""
    low, high = _sentence(text, start, end)
    left = _segments(text, low, start)
    right = _segments(text, end, high)
    # The date is one unit: its own commas ("on Sunday, 24 October, said") cut nothing.
    left_index = len(left) - 1
    # A comma or "that" right after the date closes its clause; otherwise the clause
    # runs on ("from March 3 for at least 14 days").
    right_index = -1 if _SOFT_BREAK.match(text, end) else 0
    begin = left[left_index][0] if left else start
    finish = right[right_index][1] if right and right_index >= 0 else end
    while _words(text, begin, finish) - _words(text, start, end) < MIN_PHRASE_WORDS:
        if right_index + 1 < len(right):
            right_index += 1
            finish = right[right_index][1]
        elif left_index > 0:
            left_index -= 1
            begin = left[left_index][0]
        else:
            break
        if _words(text, begin, finish) > MAX_PHRASE_WORDS:
            break
    phrase = " ".join(text[begin:finish].strip(" ,.;:").split())
    return _LEADING_CONNECTIVE.sub("", phrase)


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The stretch between hard breaks (sentence ends, colons, brackets, quote marks)."""
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end < 0 else para_end
    low, high = para_start, para_end
    for match in _HARD_BREAK.finditer(text, para_start, para_end):
        if match.end() <= start:
            if _ABBREVIATION_END.search(text[para_start : match.start()]):
                continue
            low = match.end()
        elif match.start() >= end:
            if match.group().strip() == "" and _ABBREVIATION_END.search(
                text[para_start : match.start()]
            ):
                continue
            high = match.start()
            break
    return low, high


def _segments(text: str, low: int, high: int) -> list[tuple[int, int]]:
    """[low, high) cut at soft breaks (commas, "that", "which"...), breaks kept inside."""
    cuts = [low]
    cuts.extend(m.start() for m in _SOFT_BREAK.finditer(text, low, high))
    cuts.append(high)
    return [(a, b) for a, b in pairwise(cuts) if text[a:b].strip(" ,")]


def _content_words(phrase: str, date_text: str) -> frozenset[str]:
    date_words = {w.lower() for w in _WORD.findall(date_text)}
    return frozenset(
        w
        for w in (m.lower() for m in _WORD.findall(phrase))
        if w not in _STOPWORDS and w not in date_words
    )


def _words(text: str, start: int, end: int) -> int:
    return len(_WORD.findall(text, start, end))
