"""Parse the many ways news states a time, keeping the zone honest.

A time with an explicit offset or a known zone name becomes an aware datetime; one
without stays naive, and `TimeValue` then reports the whole interval of instants it could
be. Zone abbreviations are resolved from a table; the ambiguous ones (IST, CST, BST, AST)
take a country hint (an outlet's top-level domain) and otherwise their most common
meaning in news, with the reading recorded.

Free-form strings go through dateutil after month and weekday names of the main news
languages are put into English, and only when day, month and year are all stated: a
fuzzy parser fills missing fields from today's date, which would turn "5 things in 2021"
into a made-up day.
"""

from __future__ import annotations

import email.utils
import re
import warnings
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateparser

from storylens.model import Precision, TimeValue

__all__ = [
    "describe_zone",
    "non_date_words",
    "parse_iso",
    "parse_rfc2822",
    "parse_time",
    "resolve_zone",
    "zone_by_name",
]


def _split(words: str) -> list[str]:
    return words.split()


def _fixed(hours: float) -> timezone:
    return timezone(timedelta(minutes=round(hours * 60)))


# Abbreviation -> candidate zones, most common in news first; each candidate is
# (tzinfo, country-code TLDs that select it).
_ZONE_TABLE: dict[str, list[tuple[tzinfo, tuple[str, ...]]]] = {
    "UTC": [(UTC, ())],
    "GMT": [(UTC, ())],
    "Z": [(UTC, ())],
    "WET": [(_fixed(0), ())],
    "WEST": [(_fixed(1), ())],
    "BST": [(_fixed(1), ("uk",)), (_fixed(6), ("bd",))],
    "IST": [(_fixed(5.5), ("in",)), (_fixed(2), ("il",)), (_fixed(1), ("ie",))],
    "IDT": [(_fixed(3), ())],
    "CET": [(_fixed(1), ())],
    "CEST": [(_fixed(2), ())],
    "MEZ": [(_fixed(1), ())],
    "MET": [(_fixed(1), ())],
    "MEST": [(_fixed(2), ())],
    "MESZ": [(_fixed(2), ())],
    "EET": [(_fixed(2), ())],
    "EEST": [(_fixed(3), ())],
    "MSK": [(_fixed(3), ())],
    "TRT": [(_fixed(3), ())],
    "IRST": [(_fixed(3.5), ())],
    "IRDT": [(_fixed(4.5), ())],
    "GST": [(_fixed(4), ())],
    "PKT": [(_fixed(5), ())],
    "NPT": [(_fixed(5.75), ())],
    "ICT": [(_fixed(7), ())],
    "WIB": [(_fixed(7), ())],
    "SGT": [(_fixed(8), ())],
    "HKT": [(_fixed(8), ())],
    "PHT": [(_fixed(8), ())],
    "AWST": [(_fixed(8), ())],
    "KST": [(_fixed(9), ())],
    "JST": [(_fixed(9), ())],
    "ACST": [(_fixed(9.5), ())],
    "AEST": [(_fixed(10), ())],
    "AEDT": [(_fixed(11), ())],
    "NZST": [(_fixed(12), ())],
    "NZDT": [(_fixed(13), ())],
    "EST": [(_fixed(-5), ())],
    "EDT": [(_fixed(-4), ())],
    "CST": [(_fixed(-6), ("us", "com")), (_fixed(8), ("cn",))],
    "CDT": [(_fixed(-5), ())],
    "MST": [(_fixed(-7), ())],
    "MDT": [(_fixed(-6), ())],
    "PST": [(_fixed(-8), ())],
    "PDT": [(_fixed(-7), ())],
    "AST": [(_fixed(-4), ()), (_fixed(3), ("sa", "ae", "qa", "kw", "bh", "iq"))],
    "ADT": [(_fixed(-3), ())],
    "NST": [(_fixed(-3.5), ())],
    "NDT": [(_fixed(-2.5), ())],
    "AKST": [(_fixed(-9), ())],
    "AKDT": [(_fixed(-8), ())],
    "HST": [(_fixed(-10), ())],
    "HDT": [(_fixed(-9), ())],
    "WITA": [(_fixed(8), ())],
    "WIT": [(_fixed(9), ())],
    "ET": [(ZoneInfo("America/New_York"), ())],
    "MT": [(ZoneInfo("America/Denver"), ())],
    "AET": [(ZoneInfo("Australia/Sydney"), ())],
    "CT": [(ZoneInfo("America/Chicago"), ())],
    "PT": [(ZoneInfo("America/Los_Angeles"), ())],
    "SAST": [(_fixed(2), ())],
    "WAT": [(_fixed(1), ())],
    "EAT": [(_fixed(3), ())],
    "CAT": [(_fixed(2), ())],
    "BRT": [(_fixed(-3), ())],
    "ART": [(_fixed(-3), ())],
}

# Month and weekday names of the main news languages, lower-case, mapped to English so
# dateutil can read them. Longer names first so "mars" does not eat "marsz".
_MONTHS: dict[str, list[str]] = {
    "January": _split(
        "januar janvier enero gennaio janeiro januari styczeń stycznia января январь ocak "
        "jänner jan. janv. ene."
    ),
    "February": _split(
        "februar février fevrier febrero febbraio fevereiro februari lutego luty февраля "
        "февраль şubat feb. févr."
    ),
    "March": _split("märz maerz mars marzo março maart marca marzec марта март mart mär."),
    "April": _split("avril abril aprile kwietnia kwiecień апреля апрель nisan avr."),
    "May": _split("mai mayo maggio maio mei maja maj мая май mayıs"),
    "June": _split("juni juin junio giugno junho czerwca czerwiec июня июнь haziran"),
    "July": _split("juli juillet julio luglio julho lipca lipiec июля июль temmuz juil."),
    "August": _split(
        "august août aout agosto augustus sierpnia sierpień augusti августа август ağustos"
    ),
    "September": _split(
        "septembre septiembre setiembre settembre setembro september września wrzesień "
        "сентября сентябрь eylül sept. sep."
    ),
    "October": _split(
        "oktober octobre octubre ottobre outubro października październik oktobra октября "
        "октябрь ekim okt. oct."
    ),
    "November": _split(
        "november novembre noviembre novembro listopada listopad ноября ноябрь kasım nov."
    ),
    "December": _split(
        "dezember décembre decembre diciembre dicembre dezembro december grudnia grudzień "
        "декабря декабрь aralık dez. déc. dic."
    ),
}
_WEEKDAYS = _split(
    "montag dienstag mittwoch donnerstag freitag samstag sonntag sonnabend "
    "lundi mardi mercredi jeudi vendredi samedi dimanche "
    "lunes martes miércoles miercoles jueves viernes sábado sabado domingo "
    "lunedì lunedi martedì martedi mercoledì mercoledi giovedì giovedi venerdì venerdi "
    "sabato domenica segunda-feira terça-feira quarta-feira quinta-feira sexta-feira "
    "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag "
    "måndag tisdag onsdag torsdag fredag lördag söndag mandag tirsdag lørdag søndag "
    "понедельник вторник среда четверг пятница суббота воскресенье"
)
_MONTH_NAME = {alias: english for english, aliases in _MONTHS.items() for alias in aliases}
_MONTH_TOKEN = re.compile(
    r"(?<!\w)("
    + "|".join(re.escape(a) for a in sorted(_MONTH_NAME, key=len, reverse=True))
    + r")(?!\w)",
    re.IGNORECASE,
)
_WEEKDAY_TOKEN = re.compile(
    r"(?<!\w)(?:" + "|".join(map(re.escape, _WEEKDAYS)) + r")(?!\w),?", re.IGNORECASE
)
_ENGLISH_MONTH = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?",
    re.IGNORECASE,
)

_ZONE_TOKEN = re.compile(
    r"(?<![A-Za-z])(" + "|".join(sorted(_ZONE_TABLE, key=len, reverse=True)) + r")(?![A-Za-z])"
)
_OFFSET_AFTER_ZONE = re.compile(r"\b(?:GMT|UTC)\s*([+-−])\s*(\d{1,2})(?::?(\d{2}))?\b")
_BARE_OFFSET = re.compile(r"(?<=\d)\s*([+-])(\d{2}):?(\d{2})\b(?!\s*[-./]\d)")
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th|er|e|º|ª)(?!\w)", re.IGNORECASE)
_CLOCK = re.compile(
    r"\b\d{1,2}[:h]\d{2}(?::\d{2})?\b|\b\d{1,2}\.\d{2}\s*(?:uhr|h)\b|\b\d{1,2}\s*[ap]\.?m\b\.?",
    re.IGNORECASE,
)
_SECONDS = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")
_MERIDIEM = re.compile(r"\b\d{1,2}(?::\d{2})?\s*[ap]\.?m\b", re.I)
_NOISE = re.compile(
    r"(?<!\w)(?:updated|published|posted|last|modified|on|at|um|le|el|il|the|date|time|"
    r"first|uhr|stand|aktualisiert|veröffentlicht|publié|mis à jour|à|de|del|às|alle|"
    r"ore|om|kl|klo|о|в|г\.|года)(?!\w)[:]?",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(1[89]\d\d|2[01]\d\d)\b")
_DOTTED_DATE = re.compile(r"\b\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}\b")
_NUMERIC_DATE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b")
_DOTTED_CLOCK = re.compile(r"\b(\d{1,2})\.(\d{2})(?=\s*(?:uhr|h)\b)", re.I)
_H_CLOCK = re.compile(r"\b(\d{1,2})h(\d{2})\b", re.I)

# Two defaults that differ in every field: a field equal in both parses was stated.
_DEFAULT_A = datetime(2000, 1, 1)
_DEFAULT_B = datetime(2001, 2, 2)


_DATE_WORDS = frozenset(
    [a.rstrip(".") for a in _MONTH_NAME]
    + _WEEKDAYS
    + _split(
        "january february march april may june july august september october november december "
        "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday "
        "friday saturday sunday mon tue tues wed thu thur thurs fri sat sun am pm a m p "
        "st nd rd th er h uhr at on um le el il the of de del à às alle ore om kl klo "
        "utc gmt"
    )
    + [name.lower() for name in _ZONE_TABLE]
)
_WORD = re.compile(r"[^\W\d_]+")


def non_date_words(text: str) -> list[str]:
    """The words of `text` that are not part of a date ("Updated Oct 5, 2021" -> ["updated"]).

    Lets a caller tell a line that *is* a time stamp from a sentence that mentions a date.
    """
    return [w for w in (m.lower() for m in _WORD.findall(text)) if w not in _DATE_WORDS]


def resolve_zone(abbreviation: str, country: str | None = None) -> tuple[tzinfo, bool] | None:
    """A zone abbreviation's tzinfo, and whether the reading was ambiguous."""
    candidates = _ZONE_TABLE.get(abbreviation.upper())
    if not candidates:
        return None
    if country:
        for zone, countries in candidates:
            if country.lower() in countries:
                return zone, False
    return candidates[0][0], len(candidates) > 1


def describe_zone(abbreviation: str, country: str | None = None) -> str | None:
    """How an abbreviation was read ("IST = +05:30 (ambiguous)"), for provenance notes."""
    resolved = resolve_zone(abbreviation, country)
    if resolved is None:
        return None
    zone, ambiguous = resolved
    sample = datetime(2021, 1, 15, tzinfo=zone)
    note = f"{abbreviation.upper()} = {_offset_label(sample)}"
    return f"{note} (ambiguous, most common reading)" if ambiguous else note


def zone_by_name(name: str) -> tzinfo:
    """An IANA name ("Europe/Moscow"), an offset ("+03:00") or an abbreviation ("MSK")."""
    match = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?", name.strip())
    if match:
        sign = -1 if match.group(1) == "-" else 1
        return timezone(
            sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
        )
    resolved = resolve_zone(name)
    if resolved:
        return resolved[0]
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def parse_iso(value: str) -> TimeValue | None:
    """Strict ISO 8601 (JSON-LD, meta tags, <time datetime>)."""
    text = value.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    if len(text) <= 10:
        return TimeValue(original=value, local=moment, zone=None, precision="day")
    precision: Precision = "second" if re.search(r"T?\d{2}:\d{2}:\d{2}", text) else "minute"
    zone = _offset_label(moment) if moment.tzinfo else None
    return TimeValue(original=value, local=moment, zone=zone, precision=precision)


def parse_rfc2822(value: str) -> TimeValue | None:
    """Feed dates ("Sun, 24 Oct 2021 21:14:00 +0530"), keeping the original offset."""
    try:
        moment = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None or "-0000" in value:
        # RFC 2822: -0000 means "no zone information".
        return TimeValue(original=value, local=moment.replace(tzinfo=None), precision="second")
    return TimeValue(original=value, local=moment, zone=_offset_label(moment), precision="second")


def parse_time(
    value: str, *, country: str | None = None, dayfirst: bool | None = None
) -> TimeValue | None:
    """Parse any time string news uses; None when it holds no full date.

    `country` (a country-code TLD such as "in") picks the reading of ambiguous zone
    abbreviations and, for slash dates, day-first order outside the US.
    """
    if not value or not value.strip() or len(value) > 200:
        return None
    if _RFC2822_SHAPE.match(value):
        # Feed dates first: RFC 2822 has rules a free-form parser gets wrong ("-0000"
        # means the zone is unknown, not UTC).
        parsed = parse_rfc2822(value)
        if parsed is not None:
            return parsed
    return parse_iso(value) or _parse_free(value, country, dayfirst) or parse_rfc2822(value)


_RFC2822_SHAPE = re.compile(
    r"^\s*(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"\s+(?:[+-]\d{4}|UT|GMT|Z|[ECMP][SD]T)\s*$"
)


def _take_zone(text: str, country: str | None) -> tuple[str, tzinfo | None, str | None]:
    """Cut a stated zone out of the text: "GMT+3", "+05:30" after a clock, or "IST"."""
    offset = _OFFSET_AFTER_ZONE.search(text) or (
        _BARE_OFFSET.search(text) if _CLOCK.search(text) else None
    )
    if offset:
        sign = -1 if offset.group(1) in "-−" else 1
        minutes = int(offset.group(3) or 0)
        zone = timezone(sign * timedelta(hours=int(offset.group(2)), minutes=minutes))
        return text[: offset.start()] + " " + text[offset.end() :], zone, offset.group(0).strip()
    token = _ZONE_TOKEN.search(text)
    if token and _CLOCK.search(text):
        resolved = resolve_zone(token.group(1), country)
        if resolved:
            rest = text[: token.start()] + " " + text[token.end() :]
            return rest, resolved[0], token.group(1)
    return text, None, None


def _to_english(text: str) -> str:
    """Foreign month names to English, weekday names dropped, clocks to h:mm."""
    text = _WEEKDAY_TOKEN.sub(" ", text)
    text = _MONTH_TOKEN.sub(lambda m: " " + _MONTH_NAME[m.group(1).lower()] + " ", text)
    text = _DOTTED_CLOCK.sub(r"\1:\2", text)
    return _H_CLOCK.sub(r"\1:\2", text)


def _parse_free(value: str, country: str | None, dayfirst: bool | None) -> TimeValue | None:
    text = _ORDINAL.sub(r"\1", value.replace("\u00a0", " "))
    text, zone, zone_label = _take_zone(text, country)
    if not _YEAR.search(text):
        return None
    text = _to_english(text)
    if not (_ENGLISH_MONTH.search(text) or _NUMERIC_DATE.search(text)):
        return None
    has_clock = bool(_CLOCK.search(text))
    cleaned = text if _MERIDIEM.search(text) else _NOISE.sub(" ", text)
    cleaned = re.sub(r"\s[-–—|,/•·]\s|[()\[\]]", " ", cleaned)
    cleaned = cleaned.replace(" de ", " ")
    if dayfirst is None:
        dayfirst = bool(_DOTTED_DATE.search(cleaned)) or (
            bool(country) and country not in ("us", "com")
        )
    moment = _dateutil(cleaned, dayfirst)
    if moment is None:
        return None
    if zone is not None:
        moment = moment.replace(tzinfo=zone)
    elif moment.tzinfo is not None:
        zone_label = _offset_label(moment)
    precision: Precision = ("second" if _SECONDS.search(text) else "minute") if has_clock else "day"
    if precision == "day":
        moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return TimeValue(original=value.strip(), local=moment, zone=zone_label, precision=precision)


def _dateutil(text: str, dayfirst: bool) -> datetime | None:
    """dateutil's fuzzy parse, refused when it had to invent the day, month or year."""
    try:
        with warnings.catch_warnings():
            # Zone names are resolved before this; dateutil's own guesses are ignored.
            warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
            first = dateparser.parse(text, fuzzy=True, dayfirst=dayfirst, default=_DEFAULT_A)
            second = dateparser.parse(text, fuzzy=True, dayfirst=dayfirst, default=_DEFAULT_B)
    except (ValueError, OverflowError, TypeError):
        return None
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None
    if not 1800 <= first.year <= 2199:
        return None
    return first


def _offset_label(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
