"""The fact-alignment gold set (`tests/data/alignment/`) is well formed and still matches
the texts in `../shared`; the benchmark's fact-pair metric counts what it says.

The structure checks and the metric checks run everywhere; the checks against the
publishers' texts skip with a message when `../shared` is absent.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from storylens.model import Article
from tests.conftest import DATA, REPO, SEEDS, SHARED, need

sys.path.insert(0, str(REPO / "benchmarks"))

from alignment import (  # the benchmarks folder is not a package: on sys.path above
    GoldArticle,
    Story,
    gold_pairs,
    load_article,
    load_story,
    score_story,
    span_sha,
)

GOLD = REPO / "tests" / "data" / "alignment"
FILES = sorted(GOLD.glob("*.json"))
SHA = re.compile(r"^[0-9a-f]{12}$")


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def test_the_set_has_the_seeds_and_enough_basil_events() -> None:
    datasets = [_load(path)["dataset"] for path in FILES]
    assert datasets.count("seeds") == 1
    assert datasets.count("basil") >= 12


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_gold_file_is_well_formed(path: Path) -> None:
    data = _load(path)
    assert data["story"] == path.stem
    assert data["dataset"] in ("seeds", "basil")
    assert data["about"]
    keys = [a["key"] for a in data["articles"]]
    assert len(keys) == len(set(keys)) >= 2
    sizes = {}
    for article in data["articles"]:
        source = article["source"]
        assert source.startswith("seeds/" if data["dataset"] == "seeds" else "data/basil/articles/")
        assert set(article) == {"key", "source", "chars", "text_sha", "sentences"}
        assert SHA.match(article["text_sha"])
        previous_end = 0
        for start, end, sha in article["sentences"]:
            assert previous_end <= start < end <= article["chars"]
            assert SHA.match(sha)
            previous_end = end
        sizes[article["key"]] = len(article["sentences"])
    assert data["clusters"], "a story with no fact cluster measures nothing"
    for cluster in data["clusters"]:
        assert cluster["note"].strip()
        members = [tuple(m) for m in cluster["members"]]
        assert len(members) == len(set(members)), cluster["note"]
        assert len({key for key, _ in members}) >= 2, cluster["note"]
        for key, index in members:
            assert 0 <= index < sizes[key], cluster["note"]
    computed = gold_pairs([[(k, i) for k, i in c["members"]] for c in data["clusters"]])
    assert data["gold_pairs"] == len(computed)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_gold_file_stores_no_article_text(path: Path) -> None:
    # Only offsets, hashes and our own short notes: no value long enough to be a passage.
    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [s for item in value for s in strings(item)]
        if isinstance(value, dict):
            return [s for item in value.values() for s in strings(item)]
        return []

    assert max(len(s) for s in strings(_load(path))) <= 120


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_gold_spans_still_match_the_shared_texts(path: Path) -> None:
    data = _load(path)
    need(SEEDS if data["dataset"] == "seeds" else DATA / "basil")
    texts = []
    for entry in data["articles"]:
        need(SHARED / entry["source"])
        article = load_article(entry["source"])
        assert article is not None
        text = article.text
        texts.append(text)
        for start, end, sha in entry["sentences"]:
            assert end <= len(text), f"{entry['source']}: span {start}-{end} beyond the text"
            assert span_sha(text[start:end]) == sha, (
                f"{entry['source']}: span {start}-{end} no longer matches its hash "
                "(the text or its extraction changed: relabel this article)"
            )
    # the notes are our own words: none repeats six words in a row of an article
    shingles = set()
    for text in texts:
        words = _words(text)
        shingles |= {tuple(words[i : i + 6]) for i in range(len(words) - 5)}
    for cluster in data["clusters"]:
        words = _words(cluster["note"])
        copied = [
            words[i : i + 6] for i in range(len(words) - 5) if tuple(words[i : i + 6]) in shingles
        ]
        assert not copied, f"note copies article text: {cluster['note']!r}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_the_gold_clusters_score_perfectly(path: Path) -> None:
    data = _load(path)
    need(SEEDS if data["dataset"] == "seeds" else DATA / "basil")
    for entry in data["articles"]:
        need(SHARED / entry["source"])
    story, why = load_story(path)
    assert story is not None, why
    by_key = {g.key: g for g in story.articles}
    groups = [
        [(by_key[k].article.id, *by_key[k].sentences[i]) for k, i in cluster]
        for cluster in story.clusters
    ]
    counts, wrong, missed = score_story(story, groups)
    assert (wrong, missed) == ([], set())
    assert counts.figures()["precision"] == counts.figures()["recall"] == 1.0


# --------------------------------------------------------------------------- the metric


def _story() -> Story:
    # a: "A0. A1. A2."  b: "B0. B1."  c: "C0."; gold clusters {a0, b0, c0} and {a2, b1}
    a = Article(id="a", text="One one. Two two. Three three.", source="a")
    b = Article(id="b", text="Uno uno. Dos dos.", source="b")
    c = Article(id="c", text="Eins eins.", source="c")
    articles = [
        GoldArticle("a", "a", a, [(0, 8), (9, 17), (18, 30)]),
        GoldArticle("b", "b", b, [(0, 8), (9, 17)]),
        GoldArticle("c", "c", c, [(0, 10)]),
    ]
    clusters = [[("a", 0), ("b", 0), ("c", 0)], [("a", 2), ("b", 1)]]
    return Story("toy", "basil", articles, clusters, gold_pairs(clusters))


def test_gold_pairs_are_cross_article_pairs_sharing_a_cluster() -> None:
    story = _story()
    assert len(story.pairs) == 4  # a0-b0, a0-c0, b0-c0, a2-b1


def test_metric_counts_pairs_by_overlap() -> None:
    story = _story()
    # one right pair (a0-b0), one wrong (a1-b1), and a clause inside a2 paired with b1
    groups = [
        [("a", 0, 8), ("b", 0, 8)],
        [("a", 9, 17), ("b", 9, 17)],
        [("a", 24, 30), ("b", 9, 17)],
    ]
    counts, wrong, missed = score_story(story, groups)
    assert (counts.predicted, counts.correct, counts.gold, counts.hit) == (3, 2, 4, 2)
    assert wrong == [(("a", 9, 17), ("b", 9, 17))]
    assert missed == {frozenset({("a", 0), ("c", 0)}), frozenset({("b", 0), ("c", 0)})}


def test_a_span_over_two_sentences_maps_to_both_and_same_article_pairs_do_not_count() -> None:
    story = _story()
    # a0+a1 in one span: overlaps each by all of the shorter one; paired with c0 -> a0-c0 hit
    groups = [[("a", 0, 17), ("c", 0, 10), ("a", 18, 30)]]
    counts, _, _ = score_story(story, groups)
    # predicted cross-article pairs: (a0-1, c0) right, (a2, c0) wrong; (a0-1, a2) same article
    assert (counts.predicted, counts.correct, counts.hit) == (2, 1, 1)


def test_a_span_touching_a_sentence_by_a_few_characters_does_not_map_to_it() -> None:
    story = _story()
    groups = [[("a", 6, 17), ("b", 0, 8)]]  # 2 characters of a0, all of a1
    counts, _, _ = score_story(story, groups)
    assert (counts.predicted, counts.correct) == (1, 0)


def test_whole_article_spans_are_exposed_by_sentence_pair_precision() -> None:
    story = _story()
    groups = [[("a", 0, 30), ("b", 0, 17), ("c", 0, 10)]]
    figures = score_story(story, groups)[0].figures()
    # the pair rule is fooled (every sentence maps), the per-sentence-pair view is not
    assert (figures["precision"], figures["recall"]) == (1.0, 1.0)
    assert figures["sentence_pairs_claimed"] == 3 * 2 + 3 * 1 + 2 * 1
    assert figures["sentence_pair_precision"] == round(4 / 11, 4)
