"""The extraction core on records: hints, ranking, profiles, zones, ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from storylens.errors import InputError
from storylens.extract import ExtractOptions, extract
from storylens.extract.draft import ArticleDraft
from storylens.extract.profiles import load_profiles
from storylens.model import Outlet
from storylens.readers.base import RawDocument

TEXT = (
    "Engineers at the northern grid operator restored power to 40,000 homes on Sunday "
    "after a storm brought down transmission lines across three districts, the company said."
)


def record(**hints: object) -> RawDocument:
    return RawDocument(
        source="r.jsonl#1",
        data=b"{}",
        media_type="record",
        hints={"text": TEXT, **hints},
        hint_source="record",
    )


def test_record_fields_become_article_fields() -> None:
    article = extract(
        record(
            title=" Power  restored ",
            authors="Ann Lee; Bo Park",
            published="2022-03-06T18:30:00+01:00",
            external_id="42",
            url="https://www.grid.example.com/news/1?utm_medium=rss",
            language="en-GB",
        )
    )
    assert article.title == "Power restored"
    assert article.byline == ("Ann Lee", "Bo Park")
    assert article.published is not None and article.published.utc is not None
    assert article.published.utc.isoformat() == "2022-03-06T17:30:00+00:00"
    assert article.external_id == "42"
    assert article.language == "en"
    assert article.outlet is not None and article.outlet.domain == "example.com"
    assert article.provenance["title"].source == "record"


def test_ids_are_stable_and_follow_the_canonical_url() -> None:
    a = extract(record(url="https://www.grid.example.com/news/1?utm_medium=rss"))
    b = extract(record(url="https://grid.example.com/news/1"))
    assert a.id == b.id
    c = extract(record())
    d = extract(record())
    assert c.id == d.id != a.id
    # Without a URL, the input's own id separates records with the same text.
    assert extract(record(external_id="1")).id != extract(record(external_id="2")).id


def test_more_trusted_proposal_wins_and_records_why() -> None:
    draft = ArticleDraft(source="x")
    assert draft.propose("title", "From text", "text", confidence=0.7)
    assert draft.propose("title", "From JSON-LD", "json-ld", confidence=0.95)
    assert not draft.propose("title", "From htmldate", "htmldate", confidence=0.5)
    assert draft.get("title") == "From JSON-LD"
    assert draft.provenance["title"].source == "json-ld"
    with pytest.raises(KeyError):
        draft.propose("nonsense", "x", "text")


def test_zone_less_time_takes_user_zone_or_profile_zone(tmp_path: Path) -> None:
    raw = record(published="2022-03-06 18:30")
    plain = extract(raw)
    assert plain.published is not None and plain.published.utc is None
    pinned = extract(raw, ExtractOptions(default_tz="Europe/Berlin"))
    assert pinned.published is not None and pinned.published.utc is not None
    assert pinned.published.utc.hour == 17

    profiles = tmp_path / "outlets.toml"
    profiles.write_text(
        '[[outlet]]\nname = "Grid Weekly"\ndomain = "gridweekly.example"\ntz = "Asia/Tokyo"\n'
        'text_markers = ["northern grid operator"]\n'
    )
    profiled = extract(raw, ExtractOptions(profiles=load_profiles(profiles)))
    assert profiled.outlet is not None and profiled.outlet.name == "Grid Weekly"
    assert profiled.published is not None and profiled.published.utc is not None
    assert profiled.published.utc.hour == 9
    assert "profile" in profiled.provenance["published"].detail


def test_outlet_option_overrides_everything() -> None:
    article = extract(record(outlet="Feed Name"), ExtractOptions(outlet="My Outlet"))
    assert article.outlet is not None and article.outlet.name == "My Outlet"
    assert article.provenance["outlet_name"].source == "user"


def test_bad_profile_file_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[outlet]]\nname = \n")
    with pytest.raises(InputError, match=r"bad\.toml"):
        load_profiles(bad)


def test_record_without_text_is_refused() -> None:
    raw = RawDocument(source="r.csv#3", data=b"", media_type="record", hints={"title": "x"})
    with pytest.raises(InputError) as info:
        extract(raw)
    assert str(info.value) == "r.csv#3: record has no text, html or summary"


def test_wire_credit_found_in_the_dateline() -> None:
    article = extract(record(text="LONDON (Reuters) - " + TEXT))
    assert article.wire == ("Reuters",)
    assert article.provenance["wire"].detail.startswith("dateline")


def test_feed_channel_title_is_a_weak_outlet_guess(tmp_path: Path) -> None:
    from storylens.extract import outlet_from_feed_title

    assert outlet_from_feed_title("Example News — World") == "Example News"
    assert outlet_from_feed_title("Reuters") == "Reuters"
    raw = record(feed_title="Grid Weekly - Top Stories", url="https://gridweekly.example/a")
    assert extract(raw).outlet == Outlet("Grid Weekly", "gridweekly.example")
    profiles = tmp_path / "p.toml"
    profiles.write_text('[[outlet]]\nname = "Grid Weekly Ltd"\ndomain = "gridweekly.example"\n')
    named = extract(raw, ExtractOptions(profiles=load_profiles(profiles)))
    assert named.outlet is not None and named.outlet.name == "Grid Weekly Ltd"
