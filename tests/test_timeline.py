"""The timeline: publication order in UTC, first publisher, lags, and dated events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storylens.compare.model import Timeline, TimelineEntry
from storylens.compare.timeline import build_timeline, find_events, report_zone
from storylens.model import Article, Precision, TimeValue
from tests.conftest import SEEDS, need


def article(
    aid: str,
    when: str | None,
    text: str = "Nothing dated here.",
    *,
    precision: Precision = "minute",
) -> Article:
    published = TimeValue(when, datetime.fromisoformat(when), precision=precision) if when else None
    return Article(id=aid, text=text, source=f"{aid}.txt", published=published)


def timeline(*articles: Article, zone: str = "UTC") -> Timeline:
    return build_timeline(articles, {a.id: a.id.upper() for a in articles}, zone=zone)


def entries(t: Timeline) -> dict[str, TimelineEntry]:
    return {e.article_id: e for e in t.entries}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- order ---------------------------------------------------------------------------


def test_known_zones_are_ordered_in_utc_with_lags() -> None:
    t = timeline(
        article("late", "2021-10-24T18:00:00+00:00"),
        article("first", "2021-10-24T21:14:00+05:30"),  # 15:44 UTC
        article("middle", "2021-10-24T19:30:00+03:00"),  # 16:30 UTC
    )
    assert [e.article_id for e in t.entries] == ["first", "middle", "late"]
    assert [e.rank for e in t.entries] == [1, 2, 3]
    assert t.first == ("first",)
    assert t.first_certain is True
    got = entries(t)
    assert got["first"].earliest == got["first"].latest == utc("2021-10-24T15:44:00+00:00")
    assert got["first"].zone_known is True
    assert (got["first"].lag_min, got["first"].lag_max) == (0.0, 0.0)
    assert (got["middle"].lag_min, got["middle"].lag_max) == (46 * 60.0, 46 * 60.0)
    assert (got["late"].lag_min, got["late"].lag_max) == (136 * 60.0, 136 * 60.0)
    assert got["late"].outlet == "LATE"
    assert got["first"].original == "2021-10-24T21:14:00+05:30"


def test_unknown_zone_is_an_interval_and_ordered_honestly() -> None:
    t = timeline(
        article("known", "2021-10-24T21:14:00+05:30"),  # 15:44 UTC
        article("local", "2021-10-25T02:51:00"),  # no zone: any offset from -12 to +14
    )
    got = entries(t)
    local = got["local"]
    assert local.zone_known is False
    assert local.earliest == utc("2021-10-24T12:51:00+00:00")  # read as UTC+14
    assert local.latest == utc("2021-10-25T14:51:00+00:00")  # read as UTC-12
    # The interval contains 15:44 UTC: neither can be shown to come first.
    assert local.rank == got["known"].rank == 1
    assert set(t.first) == {"known", "local"}
    assert t.first_certain is False
    # The lag bounds say how far the order can be trusted.
    assert got["known"].lag_min == 0.0
    assert got["known"].lag_max == (utc("2021-10-24T15:44:00Z") - local.earliest).total_seconds()
    assert local.lag_min == 0.0
    assert local.lag_max == (local.latest - utc("2021-10-24T15:44:00Z")).total_seconds()


def test_unknown_zone_far_enough_apart_is_still_ordered() -> None:
    t = timeline(
        article("later", "2021-10-26T09:00:00"),  # earliest 2021-10-25 19:00 UTC
        article("earlier", "2021-10-24T15:44:00+00:00"),
    )
    assert [(e.article_id, e.rank) for e in t.entries] == [("earlier", 1), ("later", 2)]
    assert t.first == ("earlier",)
    assert t.first_certain is True
    later = entries(t)["later"]
    assert (
        later.lag_min == (utc("2021-10-25T19:00:00Z") - utc("2021-10-24T15:44:00Z")).total_seconds()
    )
    assert (
        later.lag_max == (utc("2021-10-26T21:00:00Z") - utc("2021-10-24T15:44:00Z")).total_seconds()
    )


def test_a_certainly_earlier_article_always_ranks_lower() -> None:
    # b overlaps both a and c, but a is certainly before c.
    t = timeline(
        article("a", "2021-10-24T10:00:00+00:00"),
        article("b", "2021-10-24T12:00:00"),
        article("c", "2021-10-24T20:00:00+00:00"),
    )
    got = entries(t)
    assert got["a"].rank < got["c"].rank
    assert got["b"].rank == 1
    assert set(t.first) == {"a", "b"}
    assert not t.first_certain


def test_a_date_without_a_clock_keeps_its_whole_day() -> None:
    t = timeline(
        article("day", "2021-10-24T00:00:00+00:00", precision="day"),
        article("noon", "2021-10-24T12:00:00+00:00"),
    )
    got = entries(t)
    assert got["day"].earliest == utc("2021-10-24T00:00:00Z")
    assert got["day"].latest is not None and got["day"].latest > utc("2021-10-24T23:59:00Z")
    assert got["day"].rank == got["noon"].rank == 1
    assert not t.first_certain


def test_undated_articles_come_last_and_prevent_certainty() -> None:
    t = timeline(
        article("none", None),
        article("dated", "2021-10-24T15:44:00+00:00"),
    )
    assert [e.article_id for e in t.entries] == ["dated", "none"]
    undated = entries(t)["none"]
    assert undated.earliest is None and undated.latest is None
    assert undated.rank == 2
    assert t.first == ("dated",)
    assert t.first_certain is False


def test_same_instant_is_no_certain_first() -> None:
    t = timeline(
        article("a", "2021-10-24T15:44:00+00:00"),
        article("b", "2021-10-24T18:44:00+03:00"),
    )
    assert set(t.first) == {"a", "b"}
    assert t.first_certain is False


def test_no_articles_and_one_article() -> None:
    empty = timeline()
    assert empty.entries == () and empty.first == () and not empty.first_certain
    alone = timeline(article("a", "2021-10-24T15:44:00"))
    assert alone.first == ("a",)
    assert alone.first_certain is True
    assert (alone.entries[0].lag_min, alone.entries[0].lag_max) == (0.0, 0.0)


def test_report_zone_changes_how_times_read_not_the_order() -> None:
    arts = (
        article("a", "2021-10-24T21:14:00+05:30"),
        article("b", "2021-10-25T02:51:00"),
        article("c", "2021-10-24T18:00:00+00:00"),
    )
    in_utc = timeline(*arts)
    in_moscow = timeline(*arts, zone="Europe/Moscow")
    assert in_moscow.zone == "Europe/Moscow"
    assert [(e.article_id, e.rank) for e in in_moscow.entries] == [
        (e.article_id, e.rank) for e in in_utc.entries
    ]
    a = entries(in_moscow)["a"]
    assert a.earliest is not None
    assert a.earliest.isoformat() == "2021-10-24T18:44:00+03:00"
    assert a.earliest.utcoffset() == timedelta(hours=3)
    for moscow, plain in zip(in_moscow.entries, in_utc.entries, strict=True):
        assert moscow.earliest == plain.earliest and moscow.latest == plain.latest
        assert (moscow.lag_min, moscow.lag_max) == (plain.lag_min, plain.lag_max)
    assert entries(timeline(*arts, zone="+05:30"))["a"].earliest.isoformat() == (  # type: ignore[union-attr]
        "2021-10-24T21:14:00+05:30"
    )


def test_unknown_report_zone_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        timeline(article("a", "2021-10-24T15:44:00+00:00"), zone="Mars/Olympus")
    assert report_zone("Europe/Moscow").utcoffset(datetime(2021, 10, 24)) == ZoneInfo(
        "Europe/Moscow"
    ).utcoffset(datetime(2021, 10, 24))


def test_publication_line_in_the_text_is_the_span() -> None:
    when = "2021-10-24T15:44:00+00:00"
    text = f"Published {when}\n\nThe talks ended."
    a = Article(
        id="a", text=text, source="a.txt", published=TimeValue(when, datetime.fromisoformat(when))
    )
    span = entries(timeline(a))["a"].span
    assert span is not None
    assert text[span.start : span.end] == span.text == when


# --- events --------------------------------------------------------------------------


def test_events_are_found_with_spans_and_resolved_years() -> None:
    a = article(
        "a",
        "2021-10-24T18:00:00+00:00",
        "Russia will suspend its permanent mission to NATO from November 1, the ministry said.",
    )
    b = article(
        "b",
        "2021-10-25T02:51:00",
        "Moscow will suspend the work of its permanent mission to NATO from 1 November.",
    )
    events = find_events([a, b])
    november = [e for e in events if e.date == "2021-11-01"]
    assert [e.article_id for e in november] == ["a", "b"]
    texts = {"a": a.text, "b": b.text}
    for e in november:
        assert texts[e.article_id][e.span.start : e.span.end] == e.span.text
        assert e.span.text.startswith("from ")
        assert "suspend" in e.phrase
    assert [e.resolved_from for e in november] == ["2021-10-24", "2021-10-25"]
    # Mentions of one event share the first article's phrase.
    assert november[0].phrase == november[1].phrase
    assert november[0].phrase == (
        "Russia will suspend its permanent mission to NATO from November 1"
    )


def test_explicit_year_and_iso_dates_need_no_publication_date() -> None:
    a = article("a", None, "The treaty was signed on 3 March 2020. Talks resume on 2022-01-15.")
    events = find_events([a])
    assert [(e.date, e.span.text, e.resolved_from) for e in events] == [
        ("2020-03-03", "on 3 March 2020", None),
        ("2022-01-15", "on 2022-01-15", None),
    ]


def test_yearless_date_without_publication_date_is_left_out() -> None:
    assert find_events([article("a", None, "The mission closes from November 1.")]) == []


def test_weekdays_and_relative_days_resolve_against_publication() -> None:
    # 24 October 2021 was a Sunday.
    a = article(
        "a",
        "2021-10-24T18:00:00+00:00",
        "Officials met on Friday. The talks will resume on Wednesday. "
        "The envoy arrives next Tuesday. The report came out yesterday.",
    )
    got = [(e.span.text, e.date) for e in find_events([a])]
    assert ("on Friday", "2021-10-22") in got
    assert ("on Wednesday", "2021-10-27") in got
    assert ("next Tuesday", "2021-10-26") in got
    assert ("yesterday", "2021-10-23") in got


def test_timestamp_lines_and_datelines_are_not_events() -> None:
    a = article(
        "a",
        "2021-10-24T18:00:00+00:00",
        "Updated October 24, 2021\n\nKORVHAVEN, October 23 - The bridge reopens on November 3.",
    )
    assert [e.span.text for e in find_events([a])] == ["on November 3"]


def test_timeline_carries_the_events() -> None:
    a = article("a", "2021-10-24T18:00:00+00:00", "The mission closes from November 1.")
    assert [e.date for e in timeline(a).events] == ["2021-11-01"]


# --- seeds ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_timeline() -> tuple[Timeline, list[Article]]:
    from tests.seed_compare import read_articles

    articles = read_articles(sorted(need(SEEDS).glob("*.txt")))
    return build_timeline(articles, {a.id: a.id for a in articles}), articles


def test_seed_000_published_1544_utc_and_001_as_its_interval(
    seed_timeline: tuple[Timeline, list[Article]],
) -> None:
    t, articles = seed_timeline
    first, second = articles  # 000, 001
    # 000 states "21:14 IST" (UTC+05:30); 001 states "Monday 25 October 2021 - 02:51", no zone.
    assert first.published is not None and first.published.original.endswith("21:14 IST")
    assert second.published is not None and second.published.original == (
        "Monday 25 October 2021 - 02:51"
    )
    got = entries(t)
    e0, e1 = got[first.id], got[second.id]
    assert e0.zone_known is True
    assert e0.earliest == e0.latest == utc("2021-10-24T15:44:00Z")
    assert e1.zone_known is False
    assert e1.original == "Monday 25 October 2021 - 02:51"
    assert e1.earliest == utc("2021-10-24T12:51:00Z")
    assert e1.latest == utc("2021-10-25T14:51:00Z")
    # 001 may have been published before 000: the order cannot be told.
    assert e0.rank == e1.rank == 1
    assert set(t.first) == {first.id, second.id}
    assert t.first_certain is False


def test_seed_events_include_november_1_in_both(
    seed_timeline: tuple[Timeline, list[Article]],
) -> None:
    t, articles = seed_timeline
    texts = {a.id: a.text for a in articles}
    november = [e for e in t.events if e.date == "2021-11-01"]
    assert sorted(e.article_id for e in november) == sorted(texts)
    for e in november:
        assert e.span.text == "from November 1"
        assert texts[e.article_id][e.span.start : e.span.end] == e.span.text
        assert "suspend" in e.phrase
    # 000 also dates Peskov's statement: "on Sunday, 24 October".
    october = [e for e in t.events if e.date == "2021-10-24"]
    assert [e.span.text for e in october] == ["on Sunday, 24 October"]


_EVENT_PIECES = st.sampled_from(
    [
        "from ",
        "on ",
        "until ",
        "next ",
        "last ",
        "this coming ",
        "November",
        "Nov.",
        "Feb",
        "May",
        " 1",
        " 29",
        " 30",
        " 31",
        " 0",
        " 39",
        "st",
        " 2021",
        "2021-02-30",
        "2021-11-01",
        "Monday",
        "Sunday, ",
        "the ",
        "yesterday",
        "Tomorrow",
        " will",
        ", ",
        ". ",
        ":",
        " - ",
        "\n",
        "KORVHAVEN, ",
        "Updated ",
        '"',
        "(",
        " ",
        "Mr. ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(max_size=60), st.lists(_EVENT_PIECES, max_size=14).map("".join)),
    st.sampled_from(
        [None, "2021-10-24T18:00:00+00:00", "2020-02-29T23:00:00", "2021-01-01T00:00:00"]
    ),
)
def test_events_never_raise_and_spans_stay_true(text: str, when: str | None) -> None:
    a = article("a", when, text)
    for e in find_events([a, article("b", when, text)]):
        assert text[e.span.start : e.span.end] == e.span.text
        assert e.span.text.strip()
        datetime.fromisoformat(e.date)
        if when is None:
            assert e.resolved_from is None


def test_seed_comparison_in_moscow_time() -> None:
    from storylens.compare import compare
    from tests.seed_compare import read_articles
    from tests.test_discrepancies import WordJudge

    articles = read_articles(sorted(need(SEEDS).glob("*.txt")))
    result = compare(articles, zone="Europe/Moscow", judge=WordJudge())
    t = result.timeline
    assert t.zone == "Europe/Moscow"
    first, second = (entries(t)[a.id] for a in articles)
    assert first.earliest is not None and second.earliest is not None
    assert first.earliest.isoformat() == "2021-10-24T18:44:00+03:00"
    assert second.earliest.isoformat() == "2021-10-24T15:51:00+03:00"
    assert second.latest is not None
    assert second.latest.isoformat() == "2021-10-25T17:51:00+03:00"
    assert not t.first_certain
    # The report shows 000's time in UTC and 001's as the page gave it.
    info = {a.id: a.published for a in result.articles}
    assert info[articles[0].id] == "2021-10-24T15:44:00+00:00"
    assert info[articles[1].id] == "Monday 25 October 2021 - 02:51"
    for d in result.discrepancies:
        assert "November" not in " ".join(v.span.text for v in d.values), d
