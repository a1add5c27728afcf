from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from storylens.model import Article, Outlet, Provenance, TimeValue, short_hash


def test_zone_known_time_is_one_instant() -> None:
    value = TimeValue(
        "24 Oct 21:14 IST",
        datetime(2021, 10, 24, 21, 14, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        "IST",
    )
    assert value.zone_known
    assert value.utc == datetime(2021, 10, 24, 15, 44, tzinfo=UTC)
    assert value.earliest == value.utc
    assert value.latest - value.earliest < timedelta(minutes=1)


def test_zone_unknown_time_is_an_interval_never_utc() -> None:
    value = TimeValue("25 October 2021 - 02:51", datetime(2021, 10, 25, 2, 51))
    assert not value.zone_known
    assert value.utc is None
    assert value.earliest == datetime(2021, 10, 24, 12, 51, tzinfo=UTC)  # UTC+14
    assert value.latest >= datetime(2021, 10, 25, 14, 51, tzinfo=UTC)  # UTC-12
    assert value.earliest < value.sort_key < value.latest
    data = value.to_dict()
    assert data["utc"] is None and data["zone_known"] is False
    assert data["local"] == "2021-10-25T02:51:00"


def test_pinning_a_zone_makes_it_an_instant() -> None:
    value = TimeValue("02:51", datetime(2021, 10, 25, 2, 51))
    pinned = value.with_zone(timezone(timedelta(hours=3)), "Europe/Moscow")
    assert pinned.utc == datetime(2021, 10, 24, 23, 51, tzinfo=UTC)
    assert pinned.zone == "Europe/Moscow"


def test_day_precision_interval_covers_the_day() -> None:
    value = TimeValue("2021-10-25", datetime(2021, 10, 25, tzinfo=UTC), precision="day")
    assert value.latest - value.earliest > timedelta(hours=23)


def test_article_round_trips_through_dict() -> None:
    article = Article(
        id="abc",
        text="Body.\n\nSecond.",
        source="x.txt",
        title="T",
        outlet=Outlet("Example", "example.com"),
        byline=("A B",),
        published=TimeValue("t", datetime(2021, 1, 1, 12, 0, tzinfo=UTC)),
        wire=("AP",),
        publisher_ids=("1",),
        provenance={"title": Provenance("text", "first line", 0.7)},
    )
    assert Article.from_dict(article.to_dict()) == article


def test_short_hash_is_stable() -> None:
    assert short_hash("url", "https://example.com/a") == short_hash("url", "https://example.com/a")
    assert short_hash("a", "b") != short_hash("ab")
    assert len(short_hash("x")) == 16
