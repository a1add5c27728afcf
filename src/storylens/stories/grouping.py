"""Same-story grouping: online, one article at a time, and in batch over an archive.

Online, each article is compared with the stories still inside a look-back window (in
time, and capped in count), joins the most probable one if the fitted model says it
belongs, and otherwise starts a story. Cost per article is bounded by the window, not
the archive: candidate stories are found by one matrix product over a fixed-size table
of projected story vectors, and only the best few are scored in full.

Batch regrouping scores candidate article pairs with the same model and merges by
average link, so it does not depend on arrival order; comparing the two shows what
streaming costs.
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from storylens.model import Article
from storylens.stories.features import HASH_BITS, ArticleFeatures, extract_features
from storylens.stories.similarity import (
    DocumentFrequencies,
    Evidence,
    ModelSet,
    PairModel,
    Profile,
    Scores,
    SparseVector,
    StoryView,
    add_into,
    explain,
    normalised,
    profile,
    score,
    single,
    trim,
)

PROJECTION_DIMS = 256
EMBEDDING_DIMS = 512
CENTROID_TERMS = 600  # a story's summed vectors keep this many heaviest entries


@dataclass(frozen=True, slots=True)
class GroupingConfig:
    """Knobs of grouping; the defaults are the ones the benchmark measures."""

    window_hours: float = 72.0  # look-back: stories quiet for longer leave the window
    max_stories: int = 4096  # hard cap on stories in the window (least recently updated go)
    candidates: int = 4  # stories scored in full per article, from projection and from embedding
    members: int = 8  # most recent members of a story compared one by one
    use_time: bool = True  # False: no time feature and no time window (count cap only)
    use_embeddings: bool = True  # False: ignore embeddings even when articles carry them
    threshold: float | None = None  # override the models' join threshold
    # Never join two same-language texts whose headlines name different main actors
    # (neither text mentions a name from the other's headline): same-day, same-topic,
    # different events ("ECB raises rates", "Bank of England holds rates") look alike in
    # every other feature.
    separate_headline_conflicts: bool = True
    # Never join two same-language texts that both name people or places but share no
    # name word. Off: with the headline rule on it separated no further event on our
    # sets and cost AllSides recall (see benchmarks/stories.py, the ablation).
    require_shared_name: bool = False


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where one article went and why."""

    article_id: str
    story: str  # provisional local key; the store maps it to a stable id
    new_story: bool
    evidence: Evidence | None  # the joined story, or the closest rejected one; None if none
    candidates: int = 0  # stories scored in full

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "story": self.story,
            "new_story": self.new_story,
            "candidates": self.candidates,
            "evidence": self.evidence.to_dict() if self.evidence else None,
        }


@lru_cache(maxsize=1)
def _projection_bits() -> np.ndarray:
    """Random ±1 projection rows, one per hash bucket, packed as bits (32 MB, fixed seed)."""
    rng = np.random.default_rng(20211024)
    return rng.integers(0, 256, size=(1 << HASH_BITS, PROJECTION_DIMS // 8), dtype=np.uint8)


def project(vector: SparseVector) -> np.ndarray:
    """Dense random projection of a sparse vector: cosines survive, roughly."""
    if not vector:
        return np.zeros(PROJECTION_DIMS, dtype=np.float32)
    keys = np.fromiter(vector.keys(), dtype=np.int64, count=len(vector))
    values = np.fromiter(vector.values(), dtype=np.float32, count=len(vector))
    bits = np.unpackbits(_projection_bits()[keys], axis=1).astype(np.float32)
    return 2.0 * (values @ bits) - float(values.sum())


@dataclass(slots=True, eq=False)
class _Story:
    key: str
    slot: int
    members: deque[Profile]
    size: int = 0
    body_sum: SparseVector = field(default_factory=dict)
    title_sum: SparseVector = field(default_factory=dict)
    entity_sum: SparseVector = field(default_factory=dict)
    embedding_sum: np.ndarray | None = None
    earliest: float | None = None
    latest: float | None = None
    languages: set[str] = field(default_factory=set)
    _view: StoryView | None = None

    def add(self, member: Profile) -> None:
        self.members.append(member)
        self.size += 1
        add_into(self.body_sum, member.body)
        add_into(self.title_sum, member.title)
        add_into(self.entity_sum, member.entities)
        if len(self.body_sum) > 2 * CENTROID_TERMS:
            self.body_sum = trim(self.body_sum, CENTROID_TERMS)
        if len(self.title_sum) > 2 * CENTROID_TERMS:
            self.title_sum = trim(self.title_sum, CENTROID_TERMS)
        if len(self.entity_sum) > 2 * CENTROID_TERMS:
            self.entity_sum = trim(self.entity_sum, CENTROID_TERMS)
        f = member.features
        if f.embedding is not None:
            self.embedding_sum = (
                f.embedding.copy()
                if self.embedding_sum is None
                else self.embedding_sum + f.embedding
            )
        if f.earliest is not None and f.latest is not None:
            self.earliest = f.earliest if self.earliest is None else min(self.earliest, f.earliest)
            self.latest = f.latest if self.latest is None else max(self.latest, f.latest)
        if f.language:
            self.languages.add(f.language)
        self._view = None

    def view(self) -> StoryView:
        if self._view is None:
            embedding = None
            if self.embedding_sum is not None:
                norm = float(np.linalg.norm(self.embedding_sum))
                embedding = self.embedding_sum / norm if norm else None
            self._view = StoryView(
                members=list(self.members),
                centroid=normalised(self.body_sum),
                title_centroid=normalised(self.title_sum),
                entity_centroid=normalised(self.entity_sum),
                embedding=embedding,
                languages=frozenset(self.languages),
            )
        return self._view


def _top(scores: np.ndarray, k: int) -> list[int]:
    """Indexes of the k highest finite scores, best first (ties by index: deterministic)."""
    k = min(k, int(np.count_nonzero(scores > -np.inf)))
    if k <= 0:
        return []
    picked = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return sorted(picked.tolist(), key=lambda i: (-float(scores[i]), i))[:k]


def _gap_to_story(features: ArticleFeatures, story: _Story) -> float | None:
    if features.earliest is None or features.latest is None:
        return None
    if story.earliest is None or story.latest is None:
        return None
    return max(0.0, features.earliest - story.latest, story.earliest - features.latest)


class StoryGrouper:
    """Online same-story grouping over a bounded look-back window.

    Deterministic: the same articles in the same order give the same assignments.
    Not thread-safe; one grouper per stream.
    """

    def __init__(
        self,
        config: GroupingConfig | None = None,
        models: ModelSet | None = None,
        frequencies: DocumentFrequencies | None = None,
    ) -> None:
        """`frequencies` resumes from document frequencies seen before (it is updated)."""
        self.config = config or GroupingConfig()
        self.models = models or ModelSet.bundled()
        self.frequencies = frequencies or DocumentFrequencies()
        cap = self.config.max_stories
        self._projected = np.zeros((cap, PROJECTION_DIMS), dtype=np.float32)
        self._projected_norm = np.ones(cap, dtype=np.float32)
        self._embedded = np.zeros((cap, EMBEDDING_DIMS), dtype=np.float32)
        self._has_embedding = np.zeros(cap, dtype=bool)
        self._active = np.zeros(cap, dtype=bool)
        self._high = 0  # slots at and above this were never used: products skip them
        self._language_slots: dict[str, np.ndarray] = {}  # language -> slots holding it
        self._slot_story: list[_Story | None] = [None] * cap
        self._free = list(range(cap - 1, -1, -1))
        self._stories: OrderedDict[str, _Story] = OrderedDict()
        self._clock: float | None = None
        self._order = 0
        self._next_key = 0
        self.evicted = 0

    # ------------------------------------------------------------------ public

    def add(self, article: Article, embedding: np.ndarray | None = None) -> Assignment:
        """Group one article (features computed here; embedding from the caller)."""
        return self.add_features(extract_features(article, embedding))

    def add_features(self, features: ArticleFeatures) -> Assignment:
        """Group one article whose features are already computed."""
        member, dense, candidates = self._prepare(features)
        ranked = []
        for story in candidates:
            scores = score(member, story.view(), self.frequencies)
            model = _pick(self.models, self.config, scores)
            ranked.append((_probability(model, scores, self.config), story, scores, model))
        if not ranked:
            story = self._start(member, dense)
            return Assignment(features.article_id, story.key, True, None, 0)
        ranked.sort(key=lambda item: -item[0])  # stable: ties keep candidate order
        p, story, scores, model = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else None
        veto = _veto(scores, self.config)
        evidence = explain(member, story.view(), scores, model, p, runner_up, vetoed_by=veto)
        if p >= self._threshold(model):
            self._join(story, member, dense)
            return Assignment(features.article_id, story.key, False, evidence, len(ranked))
        story = self._start(member, dense)
        return Assignment(features.article_id, story.key, True, evidence, len(ranked))

    def add_labelled(self, features: ArticleFeatures, story_key: str) -> list[tuple[Scores, bool]]:
        """Score the candidates as `add` would, then place the article in its gold story.

        Replaying a labelled stream this way gives the (scores, same story?) rows the
        models are fitted on, drawn from the same candidate mechanism used at run time.
        """
        member, dense, candidates = self._prepare(features)
        rows = [(score(member, s.view(), self.frequencies), s.key == story_key) for s in candidates]
        story = self._stories.get(story_key)
        if story is None:
            self._start(member, dense, story_key)
        else:
            self._join(story, member, dense)
        return rows

    def add_all(self, items: Iterable[ArticleFeatures]) -> list[Assignment]:
        return [self.add_features(f) for f in items]

    @property
    def stories_in_window(self) -> int:
        return len(self._stories)

    @property
    def articles_in_window(self) -> int:
        return sum(len(s.members) for s in self._stories.values())

    # ------------------------------------------------------------------ internals

    def _threshold(self, model: PairModel) -> float:
        return self.config.threshold if self.config.threshold is not None else model.threshold

    def _prepare(self, features: ArticleFeatures) -> tuple[Profile, np.ndarray, list[_Story]]:
        self._advance_clock(features)
        self.frequencies.observe(features)
        member = profile(features, self.frequencies, self._order)
        self._order += 1
        dense = project(member.body)
        embedding = features.embedding if self.config.use_embeddings else None
        return member, dense, self._candidates(features, dense, embedding)

    def _advance_clock(self, features: ArticleFeatures) -> None:
        moment = features.sort_key
        if moment is not None and (self._clock is None or moment > self._clock):
            self._clock = moment
        self._evict()

    def _evict(self) -> None:
        if self.config.use_time and self._clock is not None:
            cutoff = self._clock - self.config.window_hours * 3600.0
            while self._stories:
                oldest = next(iter(self._stories.values()))
                if oldest.latest is None or oldest.latest >= cutoff:
                    break
                self._drop(oldest)
        while len(self._stories) >= self.config.max_stories:
            self._drop(next(iter(self._stories.values())))

    def _drop(self, story: _Story) -> None:
        del self._stories[story.key]
        self._active[story.slot] = False
        self._has_embedding[story.slot] = False
        for language in story.languages:
            self._language_slots[language][story.slot] = False
        self._slot_story[story.slot] = None
        self._free.append(story.slot)
        self.evicted += 1

    def _candidates(
        self, features: ArticleFeatures, dense: np.ndarray, embedding: np.ndarray | None
    ) -> list[_Story]:
        if not self._stories:
            return []
        k = self.config.candidates
        norm = float(np.linalg.norm(dense)) or 1.0
        high = self._high
        lexical = (self._projected[:high] @ dense) / (self._projected_norm[:high] * norm)
        lexical[~self._active[:high]] = -np.inf
        slots = _top(lexical, k)
        if embedding is not None:
            # Stories already holding the article's language are found by their words;
            # the embedding search is for those that can only be matched across languages.
            semantic = self._embedded[:high] @ embedding
            semantic[~self._has_embedding[:high]] = -np.inf
            if features.language in self._language_slots:
                semantic[self._language_slots[features.language][:high]] = -np.inf
            slots += [s for s in _top(semantic, k) if s not in slots]
        stories = []
        for slot in slots:
            story = self._slot_story[slot]
            if story is None:
                continue
            if self.config.use_time:
                gap = _gap_to_story(features, story)
                if gap is not None and gap > self.config.window_hours * 3600.0:
                    continue
            stories.append(story)
        return stories

    def _start(self, member: Profile, dense: np.ndarray, key: str | None = None) -> _Story:
        self._next_key += 1
        slot = self._free.pop()
        key = key or f"s{self._next_key}"
        story = _Story(key=key, slot=slot, members=deque(maxlen=self.config.members))
        self._stories[story.key] = story
        self._slot_story[slot] = story
        self._active[slot] = True
        self._high = max(self._high, slot + 1)
        self._projected[slot] = 0.0
        self._embedded[slot] = 0.0
        self._join(story, member, dense)
        return story

    def _join(self, story: _Story, member: Profile, dense: np.ndarray) -> None:
        story.add(member)
        self._stories.move_to_end(story.key)
        slot = story.slot
        language = member.features.language
        if language:
            if language not in self._language_slots:
                self._language_slots[language] = np.zeros(self.config.max_stories, dtype=bool)
            self._language_slots[language][slot] = True
        self._projected[slot] += dense
        self._projected_norm[slot] = float(np.linalg.norm(self._projected[slot])) or 1.0
        if story.embedding_sum is not None and self.config.use_embeddings:
            norm = float(np.linalg.norm(story.embedding_sum)) or 1.0
            self._embedded[slot] = story.embedding_sum / norm
            self._has_embedding[slot] = True


# --------------------------------------------------------------------------- batch


def _pairs_in_window(
    order: Sequence[int],
    features: Sequence[ArticleFeatures],
    config: GroupingConfig,
) -> Iterable[tuple[int, list[int]]]:
    """For each article (time order), the earlier articles it may be compared with."""
    window = config.window_hours * 3600.0
    start = 0
    for position, i in enumerate(order):
        f = features[i]
        if config.use_time and f.has_time:
            while start < position:
                other = features[order[start]]
                gap = None if not other.has_time else time_gap_of(f, other)
                if gap is None or gap <= window:
                    break
                start += 1
        lo = start if config.use_time else max(0, position - config.max_stories)
        yield i, [order[p] for p in range(lo, position)]


def time_gap_of(a: ArticleFeatures, b: ArticleFeatures) -> float:
    assert a.earliest is not None and a.latest is not None
    assert b.earliest is not None and b.latest is not None
    return max(0.0, a.earliest - b.latest, b.earliest - a.latest)


def _neighbours(
    i: int,
    earlier: list[int],
    dense: np.ndarray,
    embedded: np.ndarray | None,
    k: int,
) -> list[int]:
    """The k earlier articles most alike in projected words, plus k in embedding."""
    if not earlier:
        return []
    index = np.asarray(earlier, dtype=np.int64)
    chosen: list[int] = []
    for matrix in (dense, embedded):
        if matrix is None:
            continue
        sims = matrix[index] @ matrix[i]
        take = min(k, len(index))
        top = (
            np.argpartition(-sims, take - 1)[:take] if take < len(index) else np.arange(len(index))
        )
        for t in sorted(top.tolist(), key=lambda t: (-float(sims[t]), t)):
            if int(index[t]) not in chosen:
                chosen.append(int(index[t]))
    return chosen


def _average_link(n: int, edges: dict[tuple[int, int], float], threshold: float) -> list[int]:
    """Root article per article: merge while the mean probability of scored pairs ≥ threshold."""
    links: dict[int, dict[int, list[float]]] = {i: {} for i in range(n)}
    for (a, b), p in edges.items():
        shared = [p, 1.0]  # one list per pair, seen from both ends
        links[a][b] = shared
        links[b][a] = shared
    heap = [(-p, a, b) for (a, b), p in edges.items()]
    heapq.heapify(heap)
    parent = list(range(n))
    alive = [True] * n
    while heap:
        negative, a, b = heapq.heappop(heap)
        if not (alive[a] and alive[b]) or b not in links[a]:
            continue
        total, count = links[a][b]
        if abs(total / count + negative) > 1e-12:
            continue  # stale entry: the link changed since it was pushed
        if -negative < threshold:
            break
        keep, gone = min(a, b), max(a, b)
        alive[gone] = False
        parent[gone] = keep
        del links[keep][gone]
        del links[gone][keep]
        for other, (t, c) in links.pop(gone).items():
            del links[other][gone]
            merged = links[keep].setdefault(other, [0.0, 0.0])
            merged[0] += t
            merged[1] += c
            links[other][keep] = merged
            heapq.heappush(heap, (-merged[0] / merged[1], min(keep, other), max(keep, other)))
    roots = []
    for i in range(n):
        root = i
        while parent[root] != root:
            root = parent[root]
        roots.append(root)
    return roots


def regroup(
    items: Sequence[ArticleFeatures] | Sequence[Article],
    config: GroupingConfig | None = None,
    models: ModelSet | None = None,
    neighbours: int = 8,
) -> list[Assignment]:
    """Group a whole archive at once, independent of arrival order.

    Same features and models as the online grouper, but every article is weighed with
    the archive's final document frequencies, compared with its nearest earlier
    articles inside the time window, and stories form by average link over the pair
    probabilities (missing pairs left out). Assignments come back in input order; story
    keys ("b1", "b2", ...) follow each story's earliest article.
    """
    config = config or GroupingConfig()
    models = models or ModelSet.bundled()
    features = [f if isinstance(f, ArticleFeatures) else extract_features(f) for f in items]
    n = len(features)
    order = sorted(range(n), key=lambda i: (_time_key(features[i]), features[i].article_id, i))
    position = {i: p for p, i in enumerate(order)}
    frequencies = DocumentFrequencies()
    for f in features:
        frequencies.observe(f)
    profiles = [profile(f, frequencies, position[i]) for i, f in enumerate(features)]
    dense = np.stack([project(p.body) for p in profiles]) if n else np.zeros((0, PROJECTION_DIMS))
    dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-9)
    embedded = _embedding_matrix(features) if config.use_embeddings else None
    edges: dict[tuple[int, int], float] = {}
    for i, earlier in _pairs_in_window(order, features, config):
        for j in _neighbours(i, earlier, dense, embedded, neighbours):
            scores = score(profiles[i], single(profiles[j]), frequencies)
            probability = _probability(_pick(models, config, scores), scores, config)
            edges[(min(i, j), max(i, j))] = probability
    threshold = config.threshold if config.threshold is not None else 0.5
    roots = _average_link(n, edges, threshold)
    return _batch_assignments(features, profiles, roots, order, edges, frequencies, models, config)


def _time_key(features: ArticleFeatures) -> float:
    key = features.sort_key
    return math.inf if key is None else key


def _embedding_matrix(features: Sequence[ArticleFeatures]) -> np.ndarray | None:
    """Embeddings as rows (zeros where missing), or None when no article has one."""
    if all(f.embedding is None for f in features):
        return None
    matrix = np.zeros((len(features), EMBEDDING_DIMS), dtype=np.float32)
    for i, f in enumerate(features):
        if f.embedding is not None:
            matrix[i] = f.embedding
    return matrix


def _pick(models: ModelSet, config: GroupingConfig, scores: Scores) -> PairModel:
    """The model for a pair: across languages or not, with time and embedding if both have them."""
    use_time = config.use_time and scores.time_gap is not None
    embedding = config.use_embeddings and scores.has_embedding
    return models.get(scores.cross_lingual, use_time, embedding)


def _veto(scores: Scores, config: GroupingConfig) -> str | None:
    """The rule, if any, that keeps an article out of a story whatever the model says.

    Rules hold within one language only: across languages names are translated or
    transliterated, so their absence means nothing.
    """
    if scores.cross_lingual:
        return None
    if config.separate_headline_conflicts and scores.values["headline_conflict"]:
        return "headline_conflict"
    if config.require_shared_name and scores.values["entity_none"]:
        return "entity_none"
    return None


def _probability(model: PairModel, scores: Scores, config: GroupingConfig) -> float:
    if _veto(scores, config) is not None:
        return 0.0
    return model.probability(scores.values)


def _batch_assignments(
    features: Sequence[ArticleFeatures],
    profiles: Sequence[Profile],
    roots: Sequence[int],
    order: Sequence[int],
    edges: dict[tuple[int, int], float],
    frequencies: DocumentFrequencies,
    models: ModelSet,
    config: GroupingConfig,
) -> list[Assignment]:
    keys: dict[int, str] = {}
    first: set[int] = set()
    for i in order:
        if roots[i] not in keys:
            keys[roots[i]] = f"b{len(keys) + 1}"
            first.add(i)
    best: dict[int, tuple[float, int]] = {}
    for (a, b), p in edges.items():
        if roots[a] == roots[b]:
            for me, other in ((a, b), (b, a)):
                if me not in best or p > best[me][0]:
                    best[me] = (p, other)
    out = []
    for i, f in enumerate(features):
        evidence = None
        if i in best:
            p, j = best[i]
            view = single(profiles[j])
            scores = score(profiles[i], view, frequencies)
            model = _pick(models, config, scores)
            evidence = explain(profiles[i], view, scores, model, p, vetoed_by=_veto(scores, config))
        out.append(Assignment(f.article_id, keys[roots[i]], i in first, evidence, 0))
    return out
