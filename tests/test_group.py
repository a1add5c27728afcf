"""Stories in a real store: stable ids, lineage, people's overrides, evidence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from storylens.extract import ExtractOptions
from storylens.extract.profiles import load_profiles
from storylens.group import OverrideError, group_new, merge, move, regroup_all, split
from storylens.ingest import ingest
from storylens.store import SQLiteStore
from tests.conftest import EXAMPLES, SEEDS, need
from tests.test_lineage import syndication_corpus


def stories(store: SQLiteStore) -> dict[str, list[str]]:
    return {row.id: list(row.article_ids) for row in store.stories.live()}


def by_outlet(store: SQLiteStore) -> list[list[str]]:
    """Each story as the sorted outlet names of its articles; stories sorted."""
    groups = []
    for members in stories(store).values():
        names = []
        for article_id in members:
            article = store.get(article_id)
            assert article is not None
            names.append(article.outlet.name if article.outlet else article.source)
        groups.append(sorted(names))
    return sorted(groups)


@pytest.fixture
def examples_store(tmp_path: Path) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "examples.db")
    profiles = load_profiles(EXAMPLES / "outlets.toml")
    ingest([str(EXAMPLES)], store, extract_options=ExtractOptions(profiles=profiles))
    group_new(store)
    return store


def test_the_seeds_are_one_story_with_two_origins(tmp_path: Path) -> None:
    need(SEEDS)
    with SQLiteStore(tmp_path / "seeds.db") as store:
        ingest([str(SEEDS)], store)
        group_new(store)
        (row,) = store.stories.live()
        assert len(row.article_ids) == 2
        assert row.origins == 2


def test_examples_fire_story_has_four_outlets_and_three_origins(
    examples_store: SQLiteStore,
) -> None:
    groups = by_outlet(examples_store)
    assert (
        sorted(
            ["Korvhaven Courier", "Meridian Press Agency", "Strait Gazette", "The National Ledger"]
        )
        in groups
    )
    assert groups.count(["Meridian Press Agency"]) == 2  # the unrelated wire items
    fire = next(r for r in examples_store.stories.live() if len(r.article_ids) == 4)
    assert fire.origins == 3  # MPA and its Strait Gazette copy are one origin
    lineage = examples_store.stories.lineage(fire.id) or []
    wire = next(origin for origin in lineage if origin["agency"] == "MPA")
    assert len(wire["links"]) == 2


def test_syndicated_wire_story_is_one_story_seven_articles_three_origins(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "wire.db") as store:
        for article in syndication_corpus():
            store.add(article)
        group_new(store)
        (row,) = store.stories.live()
        assert len(row.article_ids) == 7
        assert row.origins == 3
        lineage = store.stories.lineage(row.id) or []
        wire = next(origin for origin in lineage if origin["agency"] == "AP")
        roles = sorted(link["role"] for link in wire["links"])
        assert roles.count("original") == 1 and len(roles) == 5


def test_same_input_same_story_ids_and_adding_never_renames(tmp_path: Path) -> None:
    corpus = syndication_corpus()
    runs = []
    for name in ("a", "b"):
        with SQLiteStore(tmp_path / f"{name}.db") as store:
            for article in corpus[:-1]:
                store.add(article)
            group_new(store)
            runs.append(stories(store))
    assert runs[0] == runs[1]
    with SQLiteStore(tmp_path / "a.db") as store:
        store.add(corpus[-1])
        group_new(store)
        after = stories(store)
    (story_id,) = runs[0]
    assert set(after) == {story_id}
    assert after[story_id] == sorted(after[story_id], key=after[story_id].index)
    assert len(after[story_id]) == 7


def test_overrides_survive_a_regrouping(examples_store: SQLiteStore) -> None:
    store = examples_store
    fire = next(r for r in store.stories.live() if len(r.article_ids) == 4)
    others = [r.id for r in store.stories.live() if r.id != fire.id]
    courier = next(
        a
        for a in fire.article_ids
        if (x := store.get(a)) and x.outlet and x.outlet.name == "Korvhaven Courier"
    )
    new_id = split(store, fire.id, [courier])
    survivor = merge(store, others[0], others[1])
    assert survivor == min(others, key=lambda s: store.stories.seq_of(s) or 0)
    before = stories(store)

    report = regroup_all(store)
    assert report.assigned == 6
    assert stories(store) == before  # the split and the merge are replayed
    assert store.stories.story_of(courier) == new_id
    assert [e["kind"] for e in store.stories.events(new_id)][:1] == ["split"]

    move(store, courier, fire.id)
    regroup_all(store)
    assert store.stories.story_of(courier) == fire.id


def test_edits_that_cannot_be_done_say_why(examples_store: SQLiteStore) -> None:
    store = examples_store
    fire = next(r for r in store.stories.live() if len(r.article_ids) == 4)
    other = next(r for r in store.stories.live() if r.id != fire.id)
    with pytest.raises(OverrideError, match="not in story"):
        split(store, fire.id, list(other.article_ids))
    with pytest.raises(OverrideError, match="at least one article"):
        split(store, fire.id, list(fire.article_ids))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storylens", *args], capture_output=True, text=True, timeout=120
    )


def test_story_commands_end_to_end(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    ingested = run(
        "ingest", str(EXAMPLES), "--profiles", str(EXAMPLES / "outlets.toml"), "--db", db
    )
    assert ingested.returncode == 0, ingested.stderr
    assert "grouped 6 articles: 3 new stories" in ingested.stdout

    rows = [
        json.loads(line)
        for line in run("stories", "--db", db, "--format", "jsonl").stdout.splitlines()
    ]
    fire = next(r for r in rows if r["articles"] == 4)
    assert fire["origins"] == 3 and len(fire["outlets"]) == 4
    assert fire["first_published"]["utc"] == "2026-03-02T07:30:00Z"
    assert "mpa-2026-03-02-0093" in fire["article_ids"]  # the feed's own id is kept

    detail = json.loads(run("story", fire["story_id"][:8], "--db", db, "--format", "json").stdout)
    joined = [m for m in detail["members"] if not m["evidence"]["new_story"]]
    assert joined and all(m["evidence"]["evidence"]["probability"] >= 0.5 for m in joined)

    why = run("why", joined[0]["article_id"], "--db", db)
    assert "probability" in why.stdout and "shared names" in why.stdout

    others = [r["story_id"] for r in rows if r["articles"] == 1]
    merged = run("merge", others[0], others[1], "--db", db)
    assert merged.returncode == 0 and "merged" in merged.stdout
    exported = tmp_path / "overrides.jsonl"
    assert run("overrides", "export", str(exported), "--db", db).returncode == 0
    assert json.loads(exported.read_text().splitlines()[0])["kind"] == "merge"

    fresh = str(tmp_path / "fresh.db")
    run("ingest", str(EXAMPLES), "--profiles", str(EXAMPLES / "outlets.toml"), "--db", fresh)
    imported = run("overrides", "import", str(exported), "--db", fresh)
    assert imported.returncode == 0, imported.stderr
    assert len(run("stories", "--db", fresh, "--format", "jsonl").stdout.splitlines()) == 2
    assert run("merge", "nope", others[0], "--db", db).returncode == 2


def test_cross_language_reports_join_their_english_story_through_the_store(
    tmp_path: Path,
) -> None:
    """Our cross-language set, ingested as JSONL; "auto" turns embeddings on."""
    data = Path(__file__).parent / "data" / "crosslang"
    with SQLiteStore(tmp_path / "x.db") as store:
        report = ingest([str(data / "events.jsonl"), str(data / "distractors.jsonl")], store)
        assert report.failed == 0
        group_new(store)
        home = {}
        for row in store.stories.live():
            for article_id in row.article_ids:
                article = store.get(article_id)
                assert article is not None and article.external_id
                home[article.external_id] = row.id
    reports = [json.loads(line) for line in (data / "events.jsonl").read_text().splitlines()]
    english = {r["event"]: home[r["id"]] for r in reports if r["language"] == "en"}
    others = [r for r in reports if r["language"] != "en"]
    joined = sum(home[r["id"]] == english[r["event"]] for r in others)
    assert joined / len(others) >= 0.8
