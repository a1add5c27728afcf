"""Stored analyses and their indexes in a real SQLite file.

Stories here are written directly (no grouping models): what is tested is the table,
its atomicity, freshness by membership, and how search and outlet totals follow it.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storylens.model import Article, Outlet, TimeValue
from storylens.store import SQLiteStore
from storylens.store.analyses import (
    EntityRow,
    OutletStats,
    QuoteRow,
    StoredAnalysis,
    members_key,
)
from storylens.store.catalog import StoryFilter


def article(article_id: str, outlet: str, hour: int, text: str) -> Article:
    return Article(
        id=article_id,
        text=text,
        source=f"{article_id}.txt",
        title=f"Headline {article_id}",
        outlet=Outlet(outlet, None),
        language="en",
        published=TimeValue("t", datetime(2026, 3, 2, hour, tzinfo=UTC)),
        content_hash=f"hash-{article_id}",
    )


TEXTS = {
    "a1": "The bridge closed on Tuesday. Mayor Lena Ortiz said: we will reopen it in May.",
    "a2": "Engineers found cracks in the bridge piers. Ferries run every twenty minutes.",
    "a3": "Residents said the closure came too late for the harbour shops.",
    "b1": "The central bank held its key rate at three percent on Wednesday.",
}


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    """Stories s1 = {a1, a2, a3} (three outlets), s2 = {b1}."""
    store = SQLiteStore(tmp_path / "s.db")
    outlets = {"a1": "Alpha", "a2": "Beta", "a3": "Gamma", "b1": "Alpha"}
    for hour, (article_id, text) in enumerate(TEXTS.items(), start=8):
        store.add(article(article_id, outlets[article_id], hour, text))
    with store.transaction():
        store.stories.create("s1", "a1")
        store.stories.create("s2", "b1")
        for article_id in ("a1", "a2", "a3"):
            store.stories.assign(article_id, "s1", "online", None)
        store.stories.assign("b1", "s2", "online", None)
    return store


def stored(story_id: str, members: list[str], html: str = "<div>report</div>") -> StoredAnalysis:
    return StoredAnalysis(
        story_id=story_id,
        members_key=members_key(members),
        computed_at="2026-03-02T12:00:00Z",
        version="test",
        report_json='{"schema": "storylens.compare/1"}',
        report_html=html,
    )


QUOTES = [
    QuoteRow("a1", "Lena Ortiz", "we will reopen it in May", 55, 79),
    QuoteRow("a2", None, "Ferries run every twenty minutes", 44, 76),
]
ENTITIES = [EntityRow("a1", "Lena Ortiz", "PERSON", 1), EntityRow("a2", "Tuesday", "DATE", 2)]
STATS = [OutletStats("Alpha", 4, 1, 0), OutletStats("Beta", 3, 0, 1), OutletStats("Gamma", 2, 0, 2)]


def rows(store: SQLiteStore, table: str) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_members_key_ignores_order_and_repeats() -> None:
    assert members_key(["b", "a"]) == members_key(["a", "b", "a"])
    assert members_key(["a"]) != members_key(["a", "b"])
    assert len(members_key([])) == 64


def test_put_get_and_the_indexes_it_feeds(store: SQLiteStore) -> None:
    analysis = stored("s1", ["a3", "a1", "a2"])
    store.analyses.put(analysis, QUOTES, ENTITIES, STATS)
    assert store.analyses.get("s1") == analysis
    assert store.analyses.get("s2") is None

    quotes = store.catalog.search("reopen may", "quotes")
    assert quotes.total == 1
    (hit,) = quotes.items
    assert (hit.article_id, hit.story_id, hit.speaker) == ("a1", "s1", "Lena Ortiz")
    assert hit.title == "Headline a1" and hit.snippet == "we will reopen it in May"
    assert store.catalog.search("ortiz", "quotes").total == 1  # the speaker is indexed too
    people = store.catalog.search("Lena", "entities")
    assert [(h.snippet, h.label, h.count) for h in people.items] == [("Lena Ortiz", "PERSON", 1)]

    story = store.catalog.story("s1")
    assert story is not None and story.analysed
    alpha = store.catalog.outlet("Alpha")
    assert alpha is not None
    assert (alpha.analysed_stories, alpha.facts, alpha.adds, alpha.omits) == (1, 4, 1, 0)
    assert alpha.story_count == 2


def test_put_replaces_the_story_rows(store: SQLiteStore) -> None:
    store.analyses.put(stored("s1", ["a1", "a2", "a3"]), QUOTES, ENTITIES, STATS)
    again = stored("s1", ["a1", "a2", "a3"], html="<div>second</div>")
    store.analyses.put(again, QUOTES[1:], [], [OutletStats("Alpha", 1, 0, 0)])
    assert store.analyses.get("s1") == again
    assert rows(store, "quote_index") == 1 and rows(store, "entity_index") == 0
    assert store.catalog.search("reopen", "quotes").total == 0
    assert store.catalog.search("ferries", "quotes").total == 1
    assert store.catalog.search("Lena", "entities").total == 0
    assert rows(store, "outlet_story_stats") == 1
    for table in ("quotes_fts", "entities_fts"):
        store.conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


def test_put_is_all_or_nothing(store: SQLiteStore) -> None:
    first = stored("s1", ["a1", "a2", "a3"])
    store.analyses.put(first, QUOTES, ENTITIES, STATS)
    broken = [QuoteRow("a1", None, None, 0, 1)]  # type: ignore[arg-type]  # NOT NULL text
    with pytest.raises(sqlite3.IntegrityError):
        store.analyses.put(stored("s1", ["a1"], html="<p>new</p>"), broken, [], [])
    assert not store.conn.in_transaction
    assert store.analyses.get("s1") == first
    assert rows(store, "quote_index") == 2 and rows(store, "outlet_story_stats") == 3
    assert store.catalog.search("reopen", "quotes").total == 1


def test_put_nests_in_the_callers_transaction(store: SQLiteStore) -> None:
    with store.transaction():
        store.analyses.put(stored("s2", ["b1"]), [], [], [])
        with pytest.raises(sqlite3.IntegrityError):
            store.analyses.put(stored("s1", ["a1"]), [QuoteRow("a1", None, None, 0, 1)], [], [])  # type: ignore[arg-type]
        assert store.conn.in_transaction  # the failed put undid only itself
    assert store.analyses.get("s2") is not None and store.analyses.get("s1") is None

    with pytest.raises(RuntimeError), store.transaction():
        store.analyses.put(stored("s1", ["a1", "a2", "a3"]), QUOTES, ENTITIES, STATS)
        raise RuntimeError("the caller fails after the put")
    assert store.analyses.get("s1") is None and rows(store, "quote_index") == 0


def test_header_and_fragment_read_the_same_analysis_without_its_json(
    store: SQLiteStore,
) -> None:
    assert store.analyses.header("s1") is None and store.analyses.fragment("s1") is None
    analysis = stored("s1", ["a1", "a2", "a3"])
    store.analyses.put(analysis, QUOTES, ENTITIES, STATS)
    header = store.analyses.header("s1")
    assert header is not None
    assert (header.members_key, header.computed_at, header.version) == (
        analysis.members_key,
        analysis.computed_at,
        analysis.version,
    )
    assert header.fresh_for(["a3", "a1", "a2"]) and not header.fresh_for(["a1", "a2"])
    assert store.analyses.fragment("s1") == (header, analysis.report_html)


def test_freshness_follows_the_members(store: SQLiteStore) -> None:
    assert store.analyses.stale_or_missing(10) == ["s1"]  # s2 has one article
    store.analyses.put(stored("s1", ["a1", "a2", "a3"]), QUOTES, ENTITIES, STATS)
    header = store.analyses.header("s1")
    assert header is not None and header.fresh_for(["a1", "a2", "a3"])
    assert not header.fresh_for(["a1", "a2"])
    assert store.analyses.header("s2") is None
    assert store.analyses.stale_or_missing(10) == []
    # a3 moves to s2: both stories now hold two articles and neither analysis matches.
    with store.transaction():
        store.stories.assign("a3", "s2", "override", None)
    assert store.analyses.stale_or_missing(10) == ["s2", "s1"]  # newest publication first
    assert store.analyses.stale_or_missing(1) == ["s2"]
    assert store.analyses.stale_or_missing(0) == []


def test_rows_of_articles_that_changed_story_are_replaced(store: SQLiteStore) -> None:
    """After a merge the survivor's analysis owns its articles' rows: each quote once."""
    store.analyses.put(stored("s1", ["a1", "a2", "a3"]), QUOTES, ENTITIES, STATS)
    store.analyses.put(
        stored("s2", ["b1"]), [QuoteRow("b1", "Governor", "held", 0, 4)], [], [STATS[0]]
    )
    with store.transaction():
        store.stories.assign("b1", "s1", "override", None)
        store.stories.mark_merged("s2", "s1")
    assert store.catalog.story("s2") is None
    held = store.catalog.search("held", "quotes").items
    assert [h.story_id for h in held] == ["s1"]  # the article's story now, not the old row's
    alpha = store.catalog.outlet("Alpha")
    assert alpha is not None and alpha.analysed_stories == 1  # merged stories do not count
    merged_quotes = [*QUOTES, QuoteRow("b1", "Governor", "held", 0, 4)]
    store.analyses.put(stored("s1", ["a1", "a2", "a3", "b1"]), merged_quotes, [], STATS)
    assert rows(store, "quote_index") == 3
    assert store.catalog.search("held", "quotes").total == 1
    left = store.conn.execute("SELECT DISTINCT story_id FROM outlet_story_stats").fetchall()
    assert [r[0] for r in left] == ["s1"]  # the absorbed story's counts are gone
    assert [s.id for s in store.catalog.stories(StoryFilter()).items] == ["s1"]
