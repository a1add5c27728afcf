"""The catalog's read queries against real SQLite stores: the examples corpus, grouped.

examples/ holds one four-outlet story (the Korvhaven fire, founded by the Korvhaven
Courier, published 07:30-09:40 UTC on 2 March 2026) and two single-article MPA stories
(the dockworkers' deal, 1 March 15:05 UTC; the central bank, 2 March 11:30 UTC).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storylens.extract import ExtractOptions
from storylens.extract.profiles import load_profiles
from storylens.group import group_new, merge, move, split
from storylens.ingest import ingest
from storylens.store import SQLiteStore
from storylens.store.catalog import StoryFilter, fts_query
from storylens.store.migrations import available, latest_version
from tests.conftest import EXAMPLES

OUTLETS = ("Korvhaven Courier", "Meridian Press Agency", "Strait Gazette", "The National Ledger")
FIRE_TITLE = "TOXIC INFERNO: Terrified families flee as chemical blaze rips through Korvhaven port"

HOSTILE = [
    "",
    " ",
    '"',
    '""',
    '"unbalanced',
    "fire\"'",
    "NEAR(fire plant)",
    "NEAR(fire plant, 2)",
    "fire NEAR plant",
    "*",
    "fire*",
    "**fire",
    "^fire",
    "(fire OR",
    "fire AND (",
    ")",
    "title:fire",
    "{title text}: fire",
    "- fire",
    "fire NOT",
    "AND OR NOT",
    "\x00",
    "fire\x00plant",
    "'; DROP TABLE articles; --",
    "\u202efire",
    "fire_plant",
    "é" * 500,
    "fire " * 100,
]


def build_examples(path: Path) -> SQLiteStore:
    store = SQLiteStore(path)
    profiles = load_profiles(EXAMPLES / "outlets.toml")
    ingest([str(EXAMPLES)], store, extract_options=ExtractOptions(profiles=profiles))
    group_new(store)
    return store


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    """Read-only: tests that change stories build their own store."""
    store = build_examples(tmp_path_factory.mktemp("catalog") / "examples.db")
    yield store
    store.close()


def fire_id(store: SQLiteStore) -> str:
    return next(s.id for s in store.catalog.stories(StoryFilter()).items if s.article_count == 4)


def summaries_match_memberships(store: SQLiteStore) -> None:
    """story_summary (kept by triggers) equals the aggregate over story_members."""
    expected = store.conn.execute(
        "SELECT m.story_id, count(*), min(a.published_earliest), max(a.published_earliest) "
        "FROM story_members m JOIN articles a ON a.id = m.article_id "
        "GROUP BY m.story_id ORDER BY 1"
    ).fetchall()
    kept = store.conn.execute("SELECT * FROM story_summary ORDER BY 1").fetchall()
    assert [tuple(r) for r in kept] == [tuple(r) for r in expected]


# ----------------------------------------------------------------------------- stories


def test_stories_newest_first_with_outlets_languages_and_founder_title(
    examples: SQLiteStore,
) -> None:
    page = examples.catalog.stories(StoryFilter())
    assert (page.total, page.limit, page.offset) == (3, 50, 0)
    last = [s.last_published for s in page.items]
    assert last == ["2026-03-02T11:30:00Z", "2026-03-02T09:40:00Z", "2026-03-01T15:05:00Z"]
    bank, fire, dock = page.items
    assert bank.title.startswith("Aster Central Bank holds key rate")
    assert dock.title.startswith("Korvhaven dockworkers back pay deal")
    assert fire.title == FIRE_TITLE  # the founder's (first published) headline
    assert fire.article_count == 4 and fire.outlets == OUTLETS
    assert fire.languages == ("en",) and fire.origins == 3
    assert (fire.first_published, fire.last_published) == (
        "2026-03-02T07:30:00Z",
        "2026-03-02T09:40:00Z",
    )
    assert not any(s.analysed for s in page.items)
    assert examples.catalog.story(fire.id) == fire
    assert examples.catalog.story("no-such-story") is None


def test_story_pages_and_filters(examples: SQLiteStore) -> None:
    catalog = examples.catalog
    every = [s.id for s in catalog.stories(StoryFilter()).items]
    second = catalog.stories(StoryFilter(), limit=1, offset=1)
    assert [s.id for s in second.items] == every[1:2] and second.total == 3
    assert catalog.stories(StoryFilter(), limit=10, offset=10).items == ()

    def ids(**kwargs: object) -> list[str]:
        return [s.id for s in catalog.stories(StoryFilter(**kwargs)).items]  # type: ignore[arg-type]

    fire = fire_id(examples)
    assert ids(outlet="Strait Gazette") == [fire]
    assert ids(outlet="Meridian Press Agency") == every
    assert ids(outlet="Nobody") == []
    assert ids(language="en") == every and ids(language="de") == []
    assert ids(min_articles=2) == [fire] and ids(min_origins=3) == [fire]
    assert ids(min_articles=1) == every
    # Inclusive days, on the span of publication.
    assert ids(since="2026-03-02") == every[:2]
    assert ids(until="2026-03-01") == [every[2]]
    assert ids(since="2026-03-01", until="2026-03-01") == [every[2]]
    assert ids(since="2026-03-03") == []
    # Search over the member articles.
    assert ids(q="sprinkler Halcyon") == [fire]
    assert ids(q="inflation") == [every[0]]
    assert ids(q="dockworkers", outlet="Strait Gazette") == []
    for nothing in ("", "!!!", "  ", '"'):
        assert catalog.stories(StoryFilter(q=nothing)).total == 0
    with pytest.raises(ValueError):
        catalog.stories(StoryFilter(since="yesterday"))


def test_merged_stories_leave_the_list_and_summaries_follow_every_change(tmp_path: Path) -> None:
    with build_examples(tmp_path / "s.db") as store:
        summaries_match_memberships(store)
        bank, fire, dock = (s.id for s in store.catalog.stories(StoryFilter()).items)
        survivor = merge(store, bank, dock)
        absorbed = dock if survivor == bank else bank
        summaries_match_memberships(store)
        assert store.catalog.story(absorbed) is None
        merged = store.catalog.story(survivor)
        assert merged is not None and merged.article_count == 2
        assert store.catalog.stories(StoryFilter()).total == 2

        members = store.stories.members(fire)
        new = split(store, fire, members[2:])
        summaries_match_memberships(store)
        left, went = store.catalog.story(fire), store.catalog.story(new)
        assert left is not None and went is not None
        assert (left.article_count, went.article_count) == (2, 2)
        assert left.title == FIRE_TITLE

        move(store, members[0], new)
        summaries_match_memberships(store)
        left, went = store.catalog.story(fire), store.catalog.story(new)
        assert left is not None and went is not None
        assert (left.article_count, went.article_count) == (1, 3)
        # The founder left: the title comes from the earliest titled member still there.
        remaining = store.get(store.stories.members(fire)[0])
        assert remaining is not None and left.title == remaining.title


def listed_by_join(store: SQLiteStore) -> list[str]:
    """The live stories as the join with `stories` finds them, newest first."""
    rows = store.conn.execute(
        "SELECT ss.story_id FROM story_summary ss JOIN stories s ON s.id = ss.story_id "
        "WHERE s.merged_into IS NULL AND ss.articles > 0 "
        "ORDER BY ss.last_published DESC, ss.story_id DESC"
    )
    return [row[0] for row in rows]


def unlisted_match_stories(store: SQLiteStore) -> None:
    """story_summary_unlisted (kept by triggers) holds exactly the summaries of stories
    that are not live."""
    expected = store.conn.execute(
        "SELECT ss.story_id FROM story_summary ss WHERE NOT EXISTS "
        "(SELECT 1 FROM stories s WHERE s.id = ss.story_id AND s.merged_into IS NULL) "
        "ORDER BY 1"
    ).fetchall()
    kept = store.conn.execute("SELECT story_id FROM story_summary_unlisted ORDER BY 1")
    assert [tuple(r) for r in kept] == [tuple(r) for r in expected]


def test_the_list_leaves_out_exactly_what_is_not_a_live_story(tmp_path: Path) -> None:
    """Also in states edits pass through: a story marked merged that still holds its
    articles, one revived, one whose `stories` row is missing."""
    with build_examples(tmp_path / "s.db") as store:
        catalog = store.catalog

        def listed(**kwargs: object) -> list[str]:
            page = catalog.stories(StoryFilter(**kwargs))  # type: ignore[arg-type]
            assert page.total == len(page.items)
            return [s.id for s in page.items]

        bank, fire, dock = listed()
        unlisted_match_stories(store)
        store.stories.mark_merged(fire, bank)  # it still holds its four articles
        unlisted_match_stories(store)
        assert listed() == listed_by_join(store) == [bank, dock]
        assert listed(outlet="Strait Gazette") == [] and listed(q="Halcyon") == []
        assert listed(outlet="Meridian Press Agency", min_origins=1) == [bank, dock]
        assert [s.id for s in catalog.stories(StoryFilter(), limit=1, offset=1).items] == [dock]
        assert catalog.story(fire) is None

        store.stories.revive(fire)
        unlisted_match_stories(store)
        assert listed() == listed_by_join(store) == [bank, fire, dock]

        row = store.conn.execute("SELECT * FROM stories WHERE id = ?", (dock,)).fetchone()
        store.conn.execute("PRAGMA foreign_keys=OFF")
        store.conn.execute("DELETE FROM stories WHERE id = ?", (dock,))
        unlisted_match_stories(store)
        assert listed() == listed_by_join(store) == [bank, fire]
        assert listed(language="en") == [bank, fire]
        store.conn.execute(f"INSERT INTO stories VALUES ({','.join('?' * len(row))})", tuple(row))
        store.conn.execute("PRAGMA foreign_keys=ON")
        unlisted_match_stories(store)
        assert listed() == listed_by_join(store) == [bank, fire, dock]

        survivor = merge(store, bank, dock)  # as people merge: the articles move first
        unlisted_match_stories(store)
        assert listed() == listed_by_join(store) and len(listed()) == 2
        assert survivor in listed()


# ----------------------------------------------------------------------------- articles


def test_articles_newest_first_and_a_story_in_publication_order(examples: SQLiteStore) -> None:
    catalog = examples.catalog
    page = catalog.articles()
    assert page.total == examples.count() == 6
    published = [a.published_earliest for a in page.items]
    assert published == sorted(published, reverse=True)
    assert all(a.story_id for a in page.items)
    fire = fire_id(examples)
    members = catalog.articles(story_id=fire)
    assert [a.id for a in members.items] == examples.stories.members(fire)
    assert [a.outlet for a in members.items] == [
        "Korvhaven Courier",
        "Meridian Press Agency",
        "The National Ledger",
        "Strait Gazette",
    ]
    assert {a.story_id for a in members.items} == {fire}
    gazette = members.items[-1]
    assert gazette.published == "2026-03-02T09:40:00Z"
    assert gazette.url and gazette.url.startswith("https://")
    mpa = catalog.articles(outlet="Meridian Press Agency", limit=2)
    assert mpa.total == 3 and len(mpa.items) == 2
    assert catalog.articles(story_id="nope").total == 0


# ----------------------------------------------------------------------------- outlets


def test_outlets_and_an_outlet_profile(examples: SQLiteStore) -> None:
    catalog = examples.catalog
    outlets = catalog.outlets()
    assert outlets.total == 4
    assert outlets.items[0].name == "Meridian Press Agency"
    assert (outlets.items[0].articles, outlets.items[0].stories) == (3, 3)
    assert sorted(o.name for o in outlets.items) == list(OUTLETS)
    assert catalog.outlet_names() == list(OUTLETS)
    assert catalog.languages() == ["en"]
    assert catalog.outlets(limit=1, offset=3).items[0].articles == 1

    profile = catalog.outlet("Strait Gazette")
    assert profile is not None
    assert (profile.articles, profile.story_count, profile.languages) == (1, 1, ("en",))
    assert [s.id for s in profile.stories.items] == [fire_id(examples)]
    # No stored analysis yet: nothing to say about what it adds or omits.
    assert (profile.analysed_stories, profile.facts, profile.adds, profile.omits) == (0, 0, 0, 0)
    assert catalog.outlet("Nobody") is None


# ----------------------------------------------------------------------------- search


def test_article_search_gives_plain_snippets_and_stories(examples: SQLiteStore) -> None:
    page = examples.catalog.search("Halcyon storage", "articles")
    assert page.total == 4 and len(page.items) == 4
    fire = fire_id(examples)
    for hit in page.items:
        assert hit.kind == "articles" and hit.story_id == fire and hit.title
        assert "<" not in hit.snippet and "\n" not in hit.snippet
        assert "halcyon" in hit.snippet.lower()
    # Diacritics and case fold; a trailing * searches a prefix.
    plain = examples.catalog.search("korvhaven", "articles")
    assert plain.total == 5 and examples.catalog.search("KÖRVHAVEN", "articles") == plain
    assert examples.catalog.search("dockwork*", "articles").total == 1
    assert examples.catalog.search("dockwork", "articles").total == 0
    second = examples.catalog.search("Halcyon storage", "articles", limit=1, offset=1)
    assert second.total == 4 and second.items[0] == page.items[1]
    # Nothing indexed yet for quotes and entities (they come with stored analyses).
    assert examples.catalog.search("sprinkler", "quotes").total == 0


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('fire "plant" NEAR(x) title:y*') == (
        '"fire" AND "plant" AND "NEAR" AND "x" AND "title" AND "y"*'
    )
    assert fts_query("fire fire") == '"fire"'
    assert fts_query("'; --") is None and fts_query(None) is None
    assert fts_query("fire_plant") == '"fire" AND "plant"'


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.sampled_from(HOSTILE),
        st.text(alphabet=st.sampled_from("\"*()^:{}-+.,;'\\ \x00\t\nNEARANDORNOTfi_é\u202e")),
        st.text(),
    )
)
def test_hostile_search_text_never_raises(examples: SQLiteStore, text: str) -> None:
    catalog = examples.catalog
    for kind in ("articles", "quotes", "entities"):
        page = catalog.search(text, kind)  # type: ignore[arg-type]
        assert page.total >= len(page.items)
    assert catalog.stories(StoryFilter(q=text)).total <= 3


# ----------------------------------------------------------------------------- migration


def test_a_version_2_store_upgrades_and_its_articles_are_searchable(tmp_path: Path) -> None:
    """Rows written under schema v2 are indexed and summarised by the upgrade."""
    with build_examples(tmp_path / "new.db") as new:
        listed = new.catalog.stories(StoryFilter())
        found = new.catalog.search("sprinkler", "articles")
    old = tmp_path / "old.db"
    conn = sqlite3.connect(old, isolation_level=None)
    for version, sql in available():
        if version <= 2:
            conn.executescript(f"BEGIN;\n{sql}\n;PRAGMA user_version = {version};\nCOMMIT;")
    conn.execute("ATTACH DATABASE ? AS new", (str(tmp_path / "new.db"),))
    conn.execute("BEGIN")
    for table in ("raw_inputs", "articles", "stories", "story_members", "story_events"):
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM new.{table}")
    conn.execute("COMMIT")
    conn.execute("DETACH DATABASE new")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()

    with SQLiteStore(old) as store:
        assert store.schema_version == latest_version() == 4
        summaries_match_memberships(store)
        unlisted_match_stories(store)
        assert store.catalog.stories(StoryFilter()) == listed
        assert store.catalog.search("sprinkler", "articles") == found
        check = "INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)"
        store.conn.execute(check)  # raises when the index and the articles disagree
