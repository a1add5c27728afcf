"""Numbers, amounts, dates and times as news prose writes them, read into comparable values.

Two outlets agree when they write "about 6,000" and "some 6000", "six" and "6", "$2.5
million" and "2.5m dollars", "Nov. 1" and "1 November", "10:40 p.m." and "22:40"; only
values that cannot both be true are a discrepancy. So each value is read into the set
of quantities it allows (one or more closed intervals) in a canonical unit, and two
readings conflict only when those sets do not meet.

How words widen a value (decided here, once, so every comparison is symmetric):

- "about", "around", "some", "approximately", "roughly", "an estimated": ±5% (at least
  ±1 for a count), ±15 minutes for a time, ±2 days for a date. 5% keeps "about 6,000"
  apart from "6,500" (8% off) while "about 40" still meets 41.
- "more than", "over", "at least", "or more": the value or above; "less than", "under",
  "up to", "at most": the value or below. Bounds are inclusive, since outlets round:
  "more than 40" does not contradict "40".
- "nearly", "almost", "close to": the value or up to 10% below it.
- A decimal allows what rounds to it ("2.5 million" is 2.45-2.55 million); whole numbers
  are exact ("6,000" vs "6,500" is a discrepancy).
- "40 to 50", "40-50", "between 40 and 50": the range.
- A date without a year takes the year that puts it nearest the article's publication
  date; with no publication date it is compared by month and day only.
- "6:15" with no a.m./p.m. and no leading zero may be 06:15 or 18:15; a stated zone
  ("15:00 GMT", "3 p.m. Moscow time") makes the time comparable only with times in the
  same zone.

Deliberately not read: vague plurals ("thousands", "dozens"), ordinals, weekdays and
relative days ("on Monday", "yesterday"), numbers glued into names ("COVID-19", "A320").
Pure string functions: no spaCy and no I/O, so they are cheap to fuzz.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from dateutil.parser import parserinfo
from text_to_num import text2num  # type: ignore[import-untyped]

from storylens.extract.times import resolve_zone
from storylens.nlp.entities import lexicon

__all__ = ["Reading", "ReadingKind", "comparable", "compatible", "conflict", "read_values"]

ReadingKind = Literal["number", "amount", "date", "time"]
Interval = tuple[float, float]

INF = math.inf
_APPROX = 0.05  # "about": ±5%
_NEARLY = 0.10  # "nearly": up to 10% below
_APPROX_MINUTES = 15.0
_APPROX_DAYS = 2.0
_SHORTLY_MINUTES = 30.0
_DAY_SECONDS = 86400.0


@dataclass(frozen=True, slots=True)
class Reading:
    """One value found in a text: where it is, what it allows, how to show it.

    `dim` is what the value is measured in; only readings of the same dimension are
    compared ("count", "%", "km", "USD", "seconds", "date", "month-day", "time",
    "time CET"). `ranges` are the alternatives it allows in that unit (dates as day
    ordinals, times as minutes after midnight). `prep` is the preposition class before
    a date or time ("start" for "from"/"since", "end" for "until"/"by", ...): "from
    March 3" and "until March 17" are not values of the same thing.
    """

    kind: ReadingKind
    dim: str
    start: int
    end: int
    text: str
    label: str  # normalised: "41", "about 6000", "at least 14 days", "2021-11-01", "22:40"
    ranges: tuple[Interval, ...]
    prep: str | None = None


def comparable(a: Reading, b: Reading) -> bool:
    """Both readings measure the same kind of thing in the same unit."""
    if a.kind != b.kind:
        return False
    return a.dim == b.dim or {a.dim, b.dim} == {"date", "month-day"}


def compatible(a: Reading, b: Reading) -> bool:
    """Comparable and some value satisfies both (symmetric)."""
    if not comparable(a, b):
        return False
    ra, rb = _ranges_in(a, b.dim), _ranges_in(b, a.dim)
    shifts = (-1440.0, 0.0, 1440.0) if a.kind == "time" else (0.0,)
    return any(
        lo1 <= hi2 + s and lo2 + s <= hi1 for lo1, hi1 in ra for lo2, hi2 in rb for s in shifts
    )


def conflict(a: Reading, b: Reading) -> bool:
    """Comparable and no value satisfies both: a candidate discrepancy."""
    return comparable(a, b) and not compatible(a, b)


def _ranges_in(reading: Reading, other_dim: str) -> tuple[Interval, ...]:
    # A full date compared with a yearless one is compared by month and day.
    if reading.dim == "date" and other_dim == "month-day":
        return tuple(_to_month_day(lo, hi) for lo, hi in reading.ranges)
    return reading.ranges


def _to_month_day(lo: float, hi: float) -> Interval:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi - lo >= 365:
        return (-INF, INF)
    first, last = date.fromordinal(int(lo)), date.fromordinal(int(hi))
    start = _leap_ordinal(first.month, first.day)
    end = _leap_ordinal(last.month, last.day)
    return (start, end) if start <= end else (-INF, INF)  # spans a new year: no claim


def _leap_ordinal(month: int, day: int) -> float:
    return float(date(2000, month, day).toordinal())


# --- lexicons ---------------------------------------------------------------------------

_MONTH_NAMES = sorted((n for names in parserinfo.MONTHS for n in names), key=len, reverse=True)
_MONTH = "(?:" + "|".join(_MONTH_NAMES) + ")"
_INFO = parserinfo()

_NUMBER_WORDS = lexicon(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand million billion trillion"
)
_NW = "(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"

_SCALES = {
    "hundred": 1e2,
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}
_SCALE_WORD = re.compile(r"\s+(hundred|thousand|million|billion|trillion)\b", re.I)

_CURRENCY_SYMBOLS = {
    "us$": "USD",
    "$": "USD",
    "a$": "AUD",
    "c$": "CAD",
    "nz$": "NZD",
    "hk$": "HKD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₽": "RUB",
}
_CURRENCY_BEFORE = re.compile(r"(US\$|A\$|C\$|NZ\$|HK\$|\$|€|£|¥|₹|₽)\s?$")
_CURRENCY_WORDS: tuple[tuple[str, str], ...] = (
    (r"us dollars?|dollars?|usd", "USD"),
    (r"euros?|eur", "EUR"),
    (r"pounds? sterling|pounds?|gbp", "GBP"),
    (r"roubles?|rubles?|rub", "RUB"),
    (r"yen|jpy", "JPY"),
    (r"yuan|renminbi|cny", "CNY"),
    (r"rupees?|inr", "INR"),
    (r"swiss francs?|chf", "CHF"),
)

# (pattern, dimension, factor low, factor high, label unit). Conversions stay within one
# system: a mile is not turned into kilometres, since the rounding would invent conflicts.
_UNITS: tuple[tuple[str, str, float, float, str], ...] = (
    (r"per\s?cent|percent|%", "%", 1, 1, "%"),
    (r"percentage points?|points?", "pt", 1, 1, "pt"),
    (r"square kilomet(?:re|er)s?|sq\.? ?km|km2|km²", "m2", 1e6, 1e6, "km2"),
    (r"hectares?|ha", "m2", 1e4, 1e4, "ha"),
    (r"acres?", "acre", 1, 1, "acres"),
    (r"kilomet(?:re|er)s?|km", "m", 1e3, 1e3, "km"),
    (r"centimet(?:re|er)s?|cm", "m", 1e-2, 1e-2, "cm"),
    (r"met(?:re|er)s?", "m", 1, 1, "m"),
    (r"miles?", "mile", 1, 1, "miles"),
    (r"feet|foot|ft", "ft", 1, 1, "ft"),
    (r"kilo(?:gram|gramme)s?|kg", "kg", 1, 1, "kg"),
    (r"tonnes?|metric tons?", "kg", 1e3, 1e3, "tonnes"),
    (r"tons?", "ton", 1, 1, "tons"),
    (r"lit(?:re|er)s?", "l", 1, 1, "litres"),
    (r"degrees? (?:celsius|centigrade)|°c", "°C", 1, 1, "°C"),
    (r"degrees? fahrenheit|°f", "°F", 1, 1, "°F"),
    (r"seconds?|secs?", "seconds", 1, 1, "seconds"),
    (r"minutes?|mins?", "seconds", 60, 60, "minutes"),
    (r"hours?|hrs?", "seconds", 3600, 3600, "hours"),
    (r"days?", "seconds", _DAY_SECONDS, _DAY_SECONDS, "days"),
    (r"weeks?", "seconds", 7 * _DAY_SECONDS, 7 * _DAY_SECONDS, "days"),
    (r"fortnights?", "seconds", 14 * _DAY_SECONDS, 14 * _DAY_SECONDS, "days"),
    (r"months?", "seconds", 28 * _DAY_SECONDS, 31 * _DAY_SECONDS, "months"),
    (r"years?", "seconds", 365 * _DAY_SECONDS, 366 * _DAY_SECONDS, "years"),
    (r"decades?", "seconds", 3652 * _DAY_SECONDS, 3653 * _DAY_SECONDS, "decades"),
)
_LABEL_FACTOR = {"days": 1 / 7, "decades": 1.0}  # weeks are shown as days
_UNIT_RE = re.compile(
    r"(?:\s*-\s*|\s*)(?:(" + "|".join(p for p, *_ in _UNITS) + r")(?![\w²])|(%))", re.I
)
_CURRENCY_AFTER = re.compile(r"\s*(" + "|".join(p for p, _ in _CURRENCY_WORDS) + r")\b", re.I)

# Qualifiers before a value, longest first; each maps to how it widens the value.
_QUALIFIERS: tuple[tuple[str, str], ...] = (
    ("no fewer than", "at least"),
    ("no less than", "at least"),
    ("no more than", "at most"),
    ("a minimum of", "at least"),
    ("a maximum of", "at most"),
    ("in excess of", "more than"),
    ("upwards of", "more than"),
    ("an estimated", "about"),
    ("approximately", "about"),
    ("shortly after", "shortly after"),
    ("shortly before", "shortly before"),
    ("just after", "shortly after"),
    ("just before", "shortly before"),
    ("just over", "more than"),
    ("just under", "less than"),
    ("fewer than", "less than"),
    ("more than", "more than"),
    ("less than", "less than"),
    ("at least", "at least"),
    ("at most", "at most"),
    ("close to", "nearly"),
    ("estimated", "about"),
    ("roughly", "about"),
    ("around", "about"),
    ("nearly", "nearly"),
    ("almost", "nearly"),
    ("about", "about"),
    ("circa", "about"),
    ("approx.", "about"),
    ("above", "more than"),
    ("below", "less than"),
    ("before", "before"),
    ("after", "after"),
    ("under", "less than"),
    ("up to", "at most"),
    ("some", "about"),
    ("over", "more than"),
    ("c.", "about"),
    ("~", "about"),
)
_QUALIFIER_RE = re.compile(
    r"(?:^|(?<=[^\w.]))(" + "|".join(re.escape(q) for q, _ in _QUALIFIERS) + r")\s*$",
    re.I,
)
_QUALIFIER = {q: kind for q, kind in _QUALIFIERS}
_AFTER_QUALIFIER = re.compile(r"\s*(?:or more|or above|-?plus|\+)(?!\w)|\s+or so\b", re.I)

# The preposition before a date or time says which end of an event it dates.
_PREP_CLASS = {
    "from": "start",
    "since": "start",
    "starting": "start",
    "beginning": "start",
    "effective": "start",
    "as of": "start",
    "until": "end",
    "till": "end",
    "through": "end",
    "to": "end",
    "by": "end",
    "on": "point",
    "at": "point",
    "in": "point",
    "before": "before",
    "after": "after",
}
_PREP_RE = re.compile(
    r"(?:^|(?<=\W))(as of|from|since|starting|beginning|effective|until|till|through|to|by|"
    r"on|at|in|before|after)\s+(?:(?:the|about|around|approximately|roughly|shortly|just|"
    r"early|late|mid)\s+)*$",
    re.I,
)

# --- patterns ---------------------------------------------------------------------------

_DAY = r"(?:[12]\d|3[01]|0?[1-9])"
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_DATE_RE = re.compile(
    rf"(?<![\w.])(?P<iso>{_YEAR}-[01]\d-[0-3]\d)(?![\w-])"
    rf"|(?<![\w.,])(?P<d1>{_DAY}){_ORD}(?:\s+of)?\s+(?P<m1>{_MONTH})\b\.?"
    rf"(?:,?\s+(?P<y1>{_YEAR})(?!\d))?"
    rf"|\b(?P<m2>{_MONTH})\b\.?\s+(?P<d2>{_DAY}){_ORD}(?![\d:.,]\d)"
    rf"(?:\s*(?:-|–|to)\s*(?P<d2b>{_DAY}){_ORD}(?!\d))?"
    rf"(?:,?\s+(?P<y2>{_YEAR})(?!\d))?(?![\w])"
    rf"|\b(?P<m3>{_MONTH})\b\.?,?\s+(?P<y3>{_YEAR})(?![\d\w])"
)
_YEAR_RE = re.compile(
    rf"(?:(?<=\bin )|(?<=\bsince )|(?<=\buntil )|(?<=\bfrom )|(?<=\bbefore )|(?<=\bafter )"
    rf"|(?<=\bduring )|(?<=\bof )|(?<=\bby )|(?<=\bearly )|(?<=\blate )|(?<=\bmid-)|(?<=\bmid )"
    rf"|(?<=\bA )|(?<=\ba )|(?<=\bthe )|(?<=\bThe )|(?<=\bIn ))(?P<y>{_YEAR})"
    rf"(?![\w%,.]\d|\w|\s*(?:%|per\s?cent|percent))"
)
_AMPM = r"(?P<ap>[ap])\.?\s?m\b\.?"
_TIME_RE = re.compile(
    rf"(?<![\w.:,])(?P<h>1[0-2]|0?\d)(?:[:.](?P<mi>[0-5]\d))?\s*{_AMPM}"
    rf"|(?<![\w.:,])(?P<h24>[01]?\d|2[0-3]):(?P<mi24>[0-5]\d)(?![\d:]|\.\d)"
    rf"|(?<![\w.:,])(?P<hoc>1[0-2]|0?\d)\s+o['’]clock\b"
    rf"|\b(?P<word>noon|midday|midnight)\b",
    re.I,
)
_ZONE_RE = re.compile(
    r"\s*\(?(?P<abbr>[A-Z]{2,5})\)?(?![\w])|\s+(?P<name>(?:local|[A-Z]\w+) time)\b"
)
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_ATOM_RE = re.compile(
    rf"(?<![\w.,/:\-–])(?P<digits>{_DIGITS})(?P<suffix>[a-zA-Z]+)?(?![\w/]|[.,:]\d)"
    rf"|(?<![\w\-])(?P<words>{_NW}(?:(?:\s+and\s+|\s+|-){_NW})*)"
    r"(?!\w|-[a-z]*(?:first|second|third|th)\b)",
    re.I,
)
# The second number of a range ("40-50") follows a dash, which the atom pattern refuses.
_ATOM_AFTER_RE = re.compile(_ATOM_RE.pattern.replace(r"(?<![\w.,/:\-–])", "", 1), re.I)
_RANGE_RE = re.compile(r"\s*(?:-|–|—|to)\s*")
_BETWEEN_RE = re.compile(r"(?:^|(?<=\W))between\s+$", re.I)
_AND_RE = re.compile(r"\s+and\s+")
_LONE_ONE_BEFORE = re.compile(
    r"(?:^|\W)(?:no|any|every|some|each|the|this|that|which|such|another)\s+$", re.I
)
_LONE_ONE_AFTER = re.compile(r"\s+(?:of|another|day|by|more|or|hand|way|thing|side)\b", re.I)


@dataclass(slots=True)
class _Found:
    start: int
    end: int
    value: float | None = None


def read_values(text: str, published: date | None = None) -> list[Reading]:
    """Every number, amount, date and time in `text`, in order of position.

    `published` is the article's publication date, used to give a yearless date its
    year. Never raises on odd input: what it cannot read it leaves out.
    """
    taken: list[tuple[int, int]] = []
    found: list[Reading] = []
    for reader in (_dates, _years, _times, _numbers):
        for reading in reader(text, published, taken):
            if not any(reading.start < e and s < reading.end for s, e in taken):
                found.append(reading)
                taken.append((reading.start, reading.end))
    return sorted(found, key=lambda r: (r.start, r.end))


# --- dates ------------------------------------------------------------------------------


def _dates(text: str, published: date | None, taken: list[tuple[int, int]]) -> Iterator[Reading]:
    for m in _DATE_RE.finditer(text):
        start, end = m.span()
        try:
            if m["iso"]:
                year, month, day = (int(p) for p in m["iso"].split("-"))
                first = last = date(year, month, day)
                precision = "day"
            else:
                named = _INFO.month(m["m1"] or m["m2"] or m["m3"])
                if named is None:
                    continue
                month = named
                day_text = m["d1"] or m["d2"]
                year_text = m["y1"] or m["y2"] or m["y3"]
                if day_text is None:
                    year = int(year_text)
                    first = date(year, month, 1)
                    last = _month_end(year, month)
                    precision = "month"
                else:
                    day = int(day_text)
                    last_day = int(m["d2b"]) if m["d2b"] else day
                    if last_day < day:
                        continue
                    if year_text is None:
                        reading = _yearless(text, start, end, month, day, last_day, published)
                        if reading is None:
                            taken.append((start, end))
                        else:
                            yield reading
                        continue
                    first = date(int(year_text), month, day)
                    last = date(int(year_text), month, last_day)
                    precision = "day"
        except (ValueError, OverflowError):
            taken.append((start, end))  # "31 February 2021": no date, and no counts either
            continue
        yield _date_reading(text, start, end, first, last, precision, "date")


def _yearless(
    text: str, start: int, end: int, month: int, day: int, last_day: int, published: date | None
) -> Reading | None:
    try:
        if published is None:
            first, last = date(2000, month, day), date(2000, month, last_day)
            return _date_reading(text, start, end, first, last, "day", "month-day")
        year = min(
            (published.year + d for d in (-1, 0, 1) if _valid(published.year + d, month, day)),
            key=lambda y: abs((date(y, month, day) - published).days),
        )
        first, last = date(year, month, day), date(year, month, last_day)
    except ValueError:
        return None
    return _date_reading(text, start, end, first, last, "day", "date")


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _month_end(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


def _years(text: str, published: date | None, taken: list[tuple[int, int]]) -> Iterator[Reading]:
    del published, taken
    for m in _YEAR_RE.finditer(text):
        year = int(m["y"])
        yield _date_reading(
            text, m.start(), m.end(), date(year, 1, 1), date(year, 12, 31), "year", "date"
        )


def _date_reading(
    text: str, start: int, end: int, first: date, last: date, precision: str, dim: str
) -> Reading:
    qualifier, start = _qualifier(text, start)
    lo, hi = float(first.toordinal()), float(last.toordinal())
    lo, hi = _widen_point(qualifier, lo, hi, _APPROX_DAYS, 3.0)
    if dim == "month-day":
        shown = f"--{first:%m-%d}" + (f"/{last:%d}" if last != first else "")
    elif precision == "year":
        shown = f"{first.year:04d}"
    elif precision == "month":
        shown = f"{first.year:04d}-{first.month:02d}"
    else:
        shown = first.isoformat() + (f"/{last:%d}" if last != first else "")
    return Reading(
        kind="date",
        dim=dim,
        start=start,
        end=end,
        text=text[start:end],
        label=_qualified(qualifier, shown),
        ranges=((lo, hi),),
        prep=qualifier if qualifier in {"before", "after"} else _prep(text, start),
    )


# --- times ------------------------------------------------------------------------------


def _times(text: str, published: date | None, taken: list[tuple[int, int]]) -> Iterator[Reading]:
    del published
    for m in _TIME_RE.finditer(text):
        start, end = m.span()
        if any(start < e and s < end for s, e in taken):
            continue
        choices: list[float]
        if m["h"] is not None:
            hour, minute = int(m["h"]) % 12, int(m["mi"] or 0)
            if m["ap"].lower() == "p":
                hour += 12
            choices = [hour * 60.0 + minute]
        elif m["h24"] is not None:
            hour, minute = int(m["h24"]), int(m["mi24"])
            base = hour * 60.0 + minute
            ambiguous = 1 <= hour <= 12 and not m["h24"].startswith("0")
            choices = [base, base + 720.0] if ambiguous and hour != 12 else [base]
            if ambiguous and hour == 12:
                choices = [base, base - 720.0]
        elif m["hoc"] is not None:
            base = int(m["hoc"]) % 12 * 60.0
            choices = [base, base + 720.0]
        else:
            choices = [0.0 if m["word"].lower() == "midnight" else 720.0]
        zone, end = _zone(text, end)
        qualifier, start = _qualifier(text, start)
        ranges = tuple(
            _widen_point(qualifier, c, c, _APPROX_MINUTES, _SHORTLY_MINUTES) for c in choices
        )
        shown = " or ".join(f"{int(c) % 1440 // 60:02d}:{int(c) % 60:02d}" for c in choices)
        yield Reading(
            kind="time",
            dim=f"time {zone}" if zone else "time",
            start=start,
            end=end,
            text=text[start:end],
            label=_qualified(qualifier, shown + (f" {zone}" if zone else "")),
            ranges=ranges,
            prep=_prep(text, start),
        )


def _zone(text: str, end: int) -> tuple[str | None, int]:
    m = _ZONE_RE.match(text, end)
    if m is None:
        return None, end
    if m["abbr"]:
        if resolve_zone(m["abbr"]) is None:
            return None, end
        return m["abbr"], m.end()
    return m["name"].lower(), m.end()


# --- numbers ----------------------------------------------------------------------------


def _numbers(text: str, published: date | None, taken: list[tuple[int, int]]) -> Iterator[Reading]:
    del published
    busy = list(taken)
    for m in _ATOM_RE.finditer(text):
        if any(m.start() < e and s < m.end() for s, e in busy):
            continue
        reading = _number_at(text, m)
        if reading is not None:
            busy.append((reading.start, reading.end))
            yield reading


def _atom_value(m: re.Match[str]) -> tuple[float, bool, float] | None:
    """(value, written as a decimal, scale factor applied) of one atom."""
    if m["digits"] is not None:
        digits = m["digits"].replace(",", "")
        value = float(digits)
        decimal = "." in digits
        scale = 1.0
        suffix = (m["suffix"] or "").lower()
        if suffix and not _is_unit(suffix):
            if suffix not in _SCALES:
                return None
            scale = _SCALES[suffix]
        return value * scale, decimal, scale
    words = re.sub(r"\s+and\s+", " ", m["words"].lower())
    words = re.sub(r"\s+", " ", words)
    try:
        value = float(text2num(words, "en"))
    except (ValueError, TypeError, OverflowError):
        return None
    return value, False, 1.0


def _number_at(text: str, m: re.Match[str]) -> Reading | None:
    lone_one = m["words"] is not None and m["words"].lower() == "one"
    if lone_one and (
        _LONE_ONE_BEFORE.search(text, max(0, m.start() - 20), m.start())
        or _LONE_ONE_AFTER.match(text, m.end())
    ):
        return None
    atom = _atom_value(m)
    if atom is None:
        return None
    value, decimal, scale = atom
    if not math.isfinite(value):
        return None
    start, end = m.start(), m.end()
    if m["suffix"] and _is_unit(m["suffix"]):
        end = m.end("digits")  # "5km": the unit is read below
    elif m["digits"] is not None and not m["suffix"]:
        s = _SCALE_WORD.match(text, end)
        if s is not None:
            scale = _SCALES[s[1].lower()]
            value *= scale
            end = s.end()
    high = value
    spread = _rounding(m["digits"], scale) if decimal else 0.0
    qualifier: str | None = None
    # Ranges: "40 to 50", "40-50", "between 40 and 50".
    between = _BETWEEN_RE.search(text, max(0, start - 20), start)
    joiner = (_AND_RE if between else _RANGE_RE).match(text, end)
    if joiner is not None:
        second = _ATOM_AFTER_RE.match(text, joiner.end())
        other = _atom_value(second) if second is not None else None
        if second is not None and other is not None:
            top, _, top_scale = other
            top_end = second.end()
            if second["digits"] is not None and not second["suffix"]:
                s = _SCALE_WORD.match(text, top_end)
                if s is not None:
                    top_scale = _SCALES[s[1].lower()]
                    top *= top_scale
                    top_end = s.end()
            # "2 to 3 million": the first number shares the second's scale.
            bottom = value * top_scale if scale == 1.0 and top_scale != 1.0 else value
            if bottom <= top and math.isfinite(top):
                value, high, end = bottom, top, top_end
                qualifier = "range"
                if between is not None:
                    start = between.start()
    dim, unit_label, factor = "count", "", (1.0, 1.0)
    kind: ReadingKind = "number"
    currency = _CURRENCY_BEFORE.search(text, 0, start)
    if currency is not None:
        dim, kind = _CURRENCY_SYMBOLS[currency[1].lower()], "amount"
        start = currency.start()
    else:
        after = _CURRENCY_AFTER.match(text, end)
        unit = _UNIT_RE.match(text, end)
        if after is not None:
            dim, kind, end = _currency_code(after[1]), "amount", after.end()
        elif unit is not None:
            dim, factor, unit_label = _unit(unit[1] or unit[2])
            end = unit.end()
    if qualifier is None:
        trailing = _AFTER_QUALIFIER.match(text, end)
        if trailing is not None:
            qualifier = "about" if "so" in trailing[0].lower() else "at least"
            end = trailing.end()
        else:
            word, word_start = _qualifier(text, start)
            if word not in {None, "before", "after", "shortly after", "shortly before"}:
                qualifier, start = word, word_start
    lo, hi = value - spread, high + spread
    if qualifier not in {None, "range"}:
        lo, hi = _widen_count(qualifier, value, dim == "count")
    lo, hi = lo * factor[0], hi * factor[1]
    shown = _format(value) if qualifier != "range" else f"{_format(value)}-{_format(high)}"
    if unit_label:
        shown = f"{shown}{unit_label}" if unit_label == "%" else f"{shown} {unit_label}"
        if unit_label in _LABEL_FACTOR or factor[0] != factor[1]:
            shown = _duration_label(value, high, qualifier, unit_label, factor)
    elif kind == "amount":
        shown = f"{shown} {dim}"
    return Reading(
        kind=kind,
        dim=dim,
        start=start,
        end=end,
        text=text[start:end],
        label=_qualified(None if qualifier == "range" else qualifier, shown),
        ranges=((lo, hi),),
    )


def _is_unit(word: str) -> bool:
    return _UNIT_RE.fullmatch(word) is not None


def _rounding(digits: str | None, scale: float) -> float:
    """Half a unit of the last decimal written: "2.5" million allows 2.45-2.55 million.

    A hair less than half, since what rounds to 2.5 stops short of 2.55: neighbouring
    roundings ("2.5" and "2.6" million) must not meet, or they could never conflict.
    """
    if digits is None or "." not in digits:
        return 0.0
    places = len(digits.split(".", 1)[1])
    return 0.5 * 10.0 ** (-places) * scale * (1.0 - 1e-9)


def _currency_code(word: str) -> str:
    lowered = word.lower()
    for pattern, code in _CURRENCY_WORDS:
        if re.fullmatch(pattern, lowered):
            return code
    return lowered.upper()


def _unit(word: str) -> tuple[str, tuple[float, float], str]:
    lowered = word.lower()
    for pattern, dim, low, high, label in _UNITS:
        if re.fullmatch(pattern, lowered, re.I):
            return dim, (low, high), label
    return lowered, (1.0, 1.0), lowered


def _duration_label(
    value: float, high: float, qualifier: str | None, unit_label: str, factor: tuple[float, float]
) -> str:
    # Weeks and fortnights are shown in days so "two weeks" and "14 days" read the same.
    if unit_label == "days":
        scale = factor[0] / _DAY_SECONDS
        low_text, high_text = _format(value * scale), _format(high * scale)
    else:
        low_text, high_text = _format(value), _format(high)
        if unit_label == "decades":
            low_text, high_text = _format(value * 10), _format(high * 10)
            unit_label = "years"
    number = low_text if qualifier != "range" else f"{low_text}-{high_text}"
    return f"{number} {unit_label}"


def _widen_count(qualifier: str, value: float, whole: bool) -> Interval:
    if qualifier == "about":
        spread = max(abs(value) * _APPROX, 1.0 if whole else 0.0)
        return value - spread, value + spread
    if qualifier in {"more than", "at least"}:
        return value, INF
    if qualifier in {"less than", "at most"}:
        return -INF, value
    if qualifier == "nearly":
        return value - abs(value) * _NEARLY, value
    return value, value


def _widen_point(
    qualifier: str | None, lo: float, hi: float, approx: float, shortly: float
) -> Interval:
    if qualifier == "about":
        return lo - approx, hi + approx
    if qualifier == "shortly after":
        return lo, hi + shortly
    if qualifier == "shortly before":
        return lo - shortly, hi
    if qualifier == "before":
        return -INF, hi
    if qualifier == "after":
        return lo, INF
    return lo, hi


def _qualifier(text: str, start: int) -> tuple[str | None, int]:
    """The rounding or bounding word right before a value, and where it starts."""
    m = _QUALIFIER_RE.search(text, max(0, start - 20), start)
    if m is None:
        return None, start
    return _QUALIFIER[m[1].lower()], m.start(1)


def _qualified(qualifier: str | None, shown: str) -> str:
    return f"{qualifier} {shown}" if qualifier else shown


def _prep(text: str, start: int) -> str | None:
    m = _PREP_RE.search(text, max(0, start - 40), start)
    return _PREP_CLASS[m[1].lower()] if m else None


def _format(value: float) -> str:
    if value == int(value) and abs(value) < 1e18:
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")
