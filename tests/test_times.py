"""Time parsing: many formats, honest zones, intervals when the zone is unknown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storylens.extract.times import (
    describe_zone,
    non_date_words,
    parse_iso,
    parse_rfc2822,
    parse_time,
    resolve_zone,
    zone_by_name,
)


def _offset(hours: float) -> timezone:
    return timezone(timedelta(minutes=round(hours * 60)))


@pytest.mark.parametrize(
    ("text", "local", "zone"),
    [
        ("Updated October 24th, 2021 at 21:14 IST", datetime(2021, 10, 24, 21, 14), "IST"),
        ("Published October 24th, 2021 at 21:14 IST", datetime(2021, 10, 24, 21, 14), "IST"),
        ("Last Updated: 25th October, 2021 09:40 IST", datetime(2021, 10, 25, 9, 40), "IST"),
        ("Oct 24, 2021 9:14 PM ET", datetime(2021, 10, 24, 21, 14), "ET"),
        ("Oct. 5, 2021 at 3 p.m. ET", datetime(2021, 10, 5, 15, 0), "ET"),
        ("Sunday 24 October 2021 21:14 BST", datetime(2021, 10, 24, 21, 14), "BST"),
        ("Sunday, 24 October 2021 12:00 GMT+3", datetime(2021, 10, 24, 12, 0), "GMT+3"),
        ("24 Oct 2021, 21:14 UTC+05:30", datetime(2021, 10, 24, 21, 14), "UTC+05:30"),
        ("Stand: 24.10.2021 14:30 MEZ", datetime(2021, 10, 24, 14, 30), "MEZ"),
        ("24 de octubre de 2021 14:30 CEST", datetime(2021, 10, 24, 14, 30), "CEST"),
        ("24 октября 2021, 14:30 MSK", datetime(2021, 10, 24, 14, 30), "MSK"),
        ("Monday, October 25, 2021 10:15 +03:00", datetime(2021, 10, 25, 10, 15), "+03:00"),
    ],
)
def test_zone_stated(text: str, local: datetime, zone: str) -> None:
    value = parse_time(text)
    assert value is not None
    assert value.zone_known
    assert value.local.replace(tzinfo=None) == local
    assert value.zone == zone
    assert value.earliest == value.utc


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("Monday 25 October 2021 - 02:51", datetime(2021, 10, 25, 2, 51)),
        ("24.10.2021, 14:30", datetime(2021, 10, 24, 14, 30)),
        ("05.10.2021 14:30", datetime(2021, 10, 5, 14, 30)),  # dotted dates are day-first
        ("Last updated: 24.10.2021, 14:30", datetime(2021, 10, 24, 14, 30)),
        ("24. Oktober 2021, 14:30 Uhr", datetime(2021, 10, 24, 14, 30)),
        ("Sonntag, 24. Oktober 2021, 14.30 Uhr", datetime(2021, 10, 24, 14, 30)),
        ("Publié le 24 octobre 2021 à 14h30", datetime(2021, 10, 24, 14, 30)),
        ("Mis à jour le 25/10/2021 à 08h15", datetime(2021, 10, 25, 8, 15)),
        ("10/24/2021 3:15 pm", datetime(2021, 10, 24, 15, 15)),
        ("PUBLISHED: 10:48, Tue, Nov 19, 2019", datetime(2019, 11, 19, 10, 48)),
    ],
)
def test_zone_unknown_stays_naive(text: str, local: datetime) -> None:
    value = parse_time(text)
    assert value is not None
    assert value.local == local
    assert not value.zone_known
    assert value.utc is None
    assert value.zone is None


def test_zone_unknown_is_an_interval_not_utc() -> None:
    value = parse_time("Monday 25 October 2021 - 02:51")
    assert value is not None
    assert value.earliest == datetime(2021, 10, 24, 12, 51, tzinfo=UTC)  # local - 14h
    assert value.latest == datetime(2021, 10, 25, 14, 51, 59, 999999, tzinfo=UTC)  # local + 12h
    assert value.earliest < value.sort_key < value.latest
    assert value.to_dict()["utc"] is None


def test_day_precision() -> None:
    value = parse_time("Published on 24 Oct 2021")
    assert value is not None
    assert value.precision == "day"
    assert value.local == datetime(2021, 10, 24)
    # the whole day, in any zone: 24 Oct 00:00 at UTC+14 .. 24 Oct 23:59:59 at UTC-12
    assert value.earliest == datetime(2021, 10, 23, 10, 0, tzinfo=UTC)
    assert value.latest == datetime(2021, 10, 25, 11, 59, 59, 999999, tzinfo=UTC)
    iso = parse_iso("2021-10-24")
    assert iso is not None and iso.precision == "day"


def test_seconds_precision() -> None:
    value = parse_time("24 October 2021 21:14:05 GMT")
    assert value is not None and value.precision == "second"
    assert value.utc == datetime(2021, 10, 24, 21, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("country", "offset"),
    [(None, 5.5), ("in", 5.5), ("il", 2), ("ie", 1)],
)
def test_ambiguous_ist_takes_the_country_hint(country: str | None, offset: float) -> None:
    value = parse_time("October 24, 2021 21:14 IST", country=country)
    assert value is not None
    assert value.local.utcoffset() == timedelta(hours=offset)


def test_resolve_zone_reports_ambiguity() -> None:
    zone, ambiguous = resolve_zone("IST") or (None, None)
    assert zone == _offset(5.5) and ambiguous is True
    zone, ambiguous = resolve_zone("IST", "il") or (None, None)
    assert zone == _offset(2) and ambiguous is False
    assert resolve_zone("CST", "cn") == (_offset(8), False)
    assert resolve_zone("XYZ") is None
    assert describe_zone("IST") == "IST = +05:30 (ambiguous, most common reading)"
    assert describe_zone("MSK") == "MSK = +03:00"


def test_named_zones_follow_daylight_saving() -> None:
    summer = parse_time("Oct 24, 2021 9:14 PM ET")
    winter = parse_time("Dec 24, 2021 9:14 PM ET")
    assert summer is not None and winter is not None
    assert summer.local.utcoffset() == timedelta(hours=-4)
    assert winter.local.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize(
    "text",
    [
        "Posted: 2 hours ago",
        "12:30 PM",
        "Nov 2021",
        "20211024",
        "Cannot prevent 2021 at all, 5 things",
        "3 ways to fix 2021-style problems",
        "Marco Rubio said 2021 was a hard year",
        "",
        "x" * 300,
    ],
)
def test_no_full_date_gives_none(text: str) -> None:
    assert parse_time(text) is None


def test_iso_and_rfc2822_keep_the_original_offset() -> None:
    iso = parse_time("2021-10-24T21:14:00+05:30")
    assert iso is not None and iso.zone == "+05:30" and iso.precision == "second"
    assert iso.utc == datetime(2021, 10, 24, 15, 44, tzinfo=UTC)
    rfc = parse_rfc2822("Sun, 24 Oct 2021 21:14:00 +0530")
    assert rfc is not None and rfc.zone == "+05:30"
    assert rfc.utc == datetime(2021, 10, 24, 15, 44, tzinfo=UTC)
    unknown = parse_rfc2822("Sun, 24 Oct 2021 21:14:00 -0000")
    assert unknown is not None and not unknown.zone_known
    assert parse_iso("24 October 2021") is None


def test_zone_by_name() -> None:
    assert zone_by_name("+03:00") == _offset(3)
    assert zone_by_name("UTC-5") == _offset(-5)
    assert zone_by_name("MSK") == _offset(3)
    moscow = zone_by_name("Europe/Moscow")
    assert datetime(2021, 10, 24, tzinfo=moscow).utcoffset() == timedelta(hours=3)
    with pytest.raises(ValueError, match="unknown time zone"):
        zone_by_name("Mars/Olympus")


def test_non_date_words() -> None:
    assert non_date_words("Updated October 24th, 2021 at 21:14 IST") == ["updated"]
    assert non_date_words("Sonntag, 24. Oktober 2021, 14.30 Uhr") == []
    assert non_date_words("Peskov spoke on 24 October") == ["peskov", "spoke"]


def test_rfc2822_minus_zero_means_zone_unknown() -> None:
    value = parse_time("Sun, 24 Oct 2021 21:14:00 -0000")
    assert value is not None and not value.zone_known and value.utc is None


def test_mest_is_central_european_summer_time() -> None:
    value = parse_time("Sun, 24 Oct 2021 21:14:00 MEST")
    assert value is not None and value.utc is not None and value.utc.hour == 19
