"""analyse_story on the examples corpus: real ingest, grouping, spaCy, store.

Two analyses in all (they are slow): the four-outlet Korvhaven fire story and the
one-article central bank story, computed once for the module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from storylens.analyse_story import analyse_story
from storylens.group import merge
from storylens.present.report_html import comparison_fragment, comparison_html
from storylens.present.report_json import SCHEMA
from storylens.store import SQLiteStore
from storylens.store.analyses import StoredAnalysis, members_key
from storylens.store.catalog import StoryFilter
from tests.test_report_html import hostile_comparison
from tests.test_store_catalog import OUTLETS, build_examples


@dataclass(frozen=True)
class Analysed:
    store: SQLiteStore
    fire: StoredAnalysis
    bank: StoredAnalysis

    @property
    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.fire.report_json)
        return data


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Analysed]:
    store = build_examples(tmp_path_factory.mktemp("analyse") / "examples.db")
    stories = store.catalog.stories(StoryFilter()).items
    fire_id = next(s.id for s in stories if s.article_count == 4)
    bank_id = next(s.id for s in stories if s.title.startswith("Aster Central Bank"))
    fire = analyse_story(store, fire_id)
    bank = analyse_story(store, bank_id)
    assert fire is not None and bank is not None
    yield Analysed(store, fire, bank)
    store.close()


def test_the_analysis_is_stored_and_fresh(analysed: Analysed) -> None:
    store, fire = analysed.store, analysed.fire
    assert store.analyses.get(fire.story_id) == fire
    members = store.stories.members(fire.story_id)
    assert fire.members_key == members_key(members)
    header = store.analyses.header(fire.story_id)
    assert header is not None and header.fresh_for(members)
    assert not header.fresh_for(members[1:])
    assert store.analyses.stale_or_missing(10) == []
    listed = store.catalog.stories(StoryFilter()).items
    assert {s.id for s in listed if s.analysed} == {fire.story_id, analysed.bank.story_id}

    report = analysed.report
    assert report["schema"] == SCHEMA and report["story_id"] == fire.story_id
    assert [a["id"] for a in report["articles"]] == members
    assert {a["outlet"] for a in report["articles"]} == set(OUTLETS)


def test_the_html_is_an_escaped_fragment(analysed: Analysed) -> None:
    html = analysed.fire.report_html
    assert html.startswith('<div class="sl-report">') and html.rstrip().endswith("</div>")
    assert not re.search(r"<(html|head|body|script|style|meta|link)\b", html)
    assert "TOXIC INFERNO" in html and analysed.fire.story_id in html
    # A one-article story is analysed too: its page still shows the article.
    bank = json.loads(analysed.bank.report_json)
    assert len(bank["articles"]) == 1 and "Aster Central Bank" in analysed.bank.report_html


def test_comparison_fragment_is_the_body_of_the_report() -> None:
    c = hostile_comparison()
    fragment = comparison_fragment(c)
    page = comparison_html(c)
    assert fragment.strip() in page
    assert "<script" not in fragment and "<style" not in fragment
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in fragment
    assert "<img src=x" not in fragment and "javascript:" not in fragment.lower()


def test_quotes_are_indexed_with_speakers_and_spans(analysed: Analysed) -> None:
    store, fire = analysed.store, analysed.fire
    quotes = store.conn.execute(
        "SELECT article_id, speaker, text, start, end FROM quote_index WHERE story_id = ?",
        (fire.story_id,),
    ).fetchall()
    members = set(store.stories.members(fire.story_id))
    assert {q["article_id"] for q in quotes} == members
    for q in quotes:
        article = store.get(q["article_id"])
        assert article is not None and article.text[q["start"] : q["end"]] == q["text"]
    # Every quote rendering in the report is indexed.
    rendered = {
        (r["article_id"], r["start"], r["end"])
        for group in analysed.report["quotes"]
        for r in group["renderings"]
    }
    assert rendered <= {(q["article_id"], q["start"], q["end"]) for q in quotes}
    found = store.catalog.search("sprinkler regret", "quotes")
    assert found.total >= 2
    assert {h.speaker for h in found.items} == {"Dana Kessler"}
    assert all(h.story_id == fire.story_id for h in found.items)


def test_entities_are_indexed_per_article(analysed: Analysed) -> None:
    store, fire = analysed.store, analysed.fire
    hits = store.catalog.search("Halcyon Polymers", "entities")
    assert {h.article_id for h in hits.items} == set(store.stories.members(fire.story_id))
    assert {(h.snippet, h.label) for h in hits.items} == {("Halcyon Polymers", "ORG")}
    assert all(h.count and h.count >= 1 for h in hits.items)


def test_outlet_stats_follow_the_fact_matrix(analysed: Analysed) -> None:
    """One article per outlet here, so each outlet's counts are its matrix delta's."""
    store, report = analysed.store, analysed.report
    outlet_of = {a["id"]: a["outlet"] for a in report["articles"]}
    carried = {
        aid: sum(aid in row["article_ids"] for row in report["matrix"]["rows"]) for aid in outlet_of
    }
    stats = {
        r["outlet"]: (r["facts"], r["adds"], r["omits"])
        for r in store.conn.execute(
            "SELECT outlet, facts, adds, omits FROM outlet_story_stats WHERE story_id = ?",
            (analysed.fire.story_id,),
        )
    }
    expected = {
        outlet_of[d["article_id"]]: (carried[d["article_id"]], len(d["adds"]), len(d["omits"]))
        for d in report["matrix"]["deltas"]
    }
    assert stats == expected and set(stats) == set(OUTLETS)
    gazette = store.catalog.outlet("Strait Gazette")
    assert gazette is not None and gazette.analysed_stories == 1
    assert (gazette.facts, gazette.adds, gazette.omits) == stats["Strait Gazette"]
    assert gazette.facts > 0 and gazette.omits > 0  # a shortened syndication copy
    # The bank story has one outlet: nothing added or left out relative to others.
    mpa = store.catalog.outlet("Meridian Press Agency")
    assert mpa is not None and mpa.analysed_stories == 2


def test_gone_stories_are_skipped(tmp_path: Path) -> None:
    with build_examples(tmp_path / "s.db") as store:
        assert analyse_story(store, "no-such-story") is None
        singles = [s.id for s in store.catalog.stories(StoryFilter()).items if s.article_count == 1]
        survivor = merge(store, *singles)
        absorbed = next(s for s in singles if s != survivor)
        assert analyse_story(store, absorbed) is None  # merged away: nothing computed
        assert store.analyses.get(absorbed) is None
