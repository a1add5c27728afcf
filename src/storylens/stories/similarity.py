"""How alike an article and a story are, why, and how sure we are that they belong together.

Raw similarities (TF-IDF cosine of bodies and titles, entity overlap, shared numbers
and quotations, time gap, sentence-embedding cosine) become one probability through a
small logistic model fitted on labelled streams: learned merge decisions beat one
hand-tuned threshold (Miranda et al. 2018). The same per-feature scores are what an
assignment stores as its evidence, so a reader sees exactly what the decision used.

Separate models cover the cases where some features cannot be computed: across
languages (word overlap says nothing), without times, without embeddings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from storylens.stories.features import HASH_BITS, ArticleFeatures, shared_quotes

SparseVector = dict[int, float]

# Every pairwise feature, in a fixed order. A model uses a subset.
FEATURES = (
    "body_centroid",  # TF-IDF cosine with the story's summed body vector
    "body_max",  # best TF-IDF cosine with one recent member
    "title_max",  # best headline-to-headline cosine
    "title_centroid",  # the article's headline against the story's bodies
    "title_cross",  # the article's body against the story's headlines
    "entity_centroid",  # IDF-weighted cosine of proper-noun words with the story's
    "entity_max",
    "entity_none",  # both name people or places, and no name is shared
    "rare_shared",  # rarity (normalised IDF) of the rarest word shared with the story
    "rare_shared_top",  # mean rarity of the five rarest shared words
    "numbers",  # shared numbers (set cosine), best member
    "quotes",  # shared quoted 4-grams, best member, capped
    "time_gap",  # log(1 + whole days) between the honest intervals (0 when they overlap)
    "time_distance",  # log(1 + whole days) between interval midpoints, nearest member
    "time_near",
    "near_entity",
    "near_body",
    "near_embedding",
    "embedding_centroid",  # sentence-embedding cosine with the story mean
    "embedding_max",
    # How long the texts are (0: a headline and lead, 1: a full article), alone and times
    # the main similarities: a cosine of 0.3 means more between two leads than between
    # two long articles, and one linear model must see that.
    "longness",
    "body_max_long",
    "body_centroid_long",
    "entity_max_long",
    "rare_shared_top_long",
    "embedding_max_long",
)
# Features that mean the same across languages.
CROSS_LINGUAL = (
    "entity_centroid",
    "entity_max",
    "numbers",
    "time_gap",
    "time_distance",
    "time_near",
    "near_entity",
    "near_embedding",
    "embedding_centroid",
    "embedding_max",
    "longness",
    "entity_max_long",
    "embedding_max_long",
)
INTERACTIONS = ("body_max", "body_centroid", "entity_max", "rare_shared_top", "embedding_max")
# Distinct content words of a short lead and of a long article: `longness` runs 0..1
# between them on a log scale.
SHORT_TERMS = 60
LONG_TERMS = 300
# The length interactions: how long the texts are, and each main similarity times it.
LENGTH_FEATURES = ("longness", *(f"{name}_long" for name in INTERACTIONS))
TIME_FEATURES = (
    "time_gap",
    "time_distance",
    "time_near",
    "near_entity",
    "near_body",
    "near_embedding",
)
RARE_TOP = 5
MIN_NAMES = 2  # entity words each side needs before "no shared name" means anything
CLOSE = 3  # members, most alike first, that the finer features are taken over
QUOTE_CAP = 5.0
SECONDS_PER_DAY = 86400.0


# --------------------------------------------------------------------------- vectors


def cosine(a: SparseVector, b: SparseVector) -> float:
    """Dot product of two L2-normalised sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    total = 0.0
    for key, value in a.items():
        other = b.get(key)
        if other is not None:
            total += value * other
    return total


def normalised(vector: SparseVector) -> SparseVector:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    if norm == 0.0:
        return {}
    return {k: v / norm for k, v in vector.items()}


def add_into(acc: SparseVector, vector: SparseVector) -> None:
    for key, value in vector.items():
        acc[key] = acc.get(key, 0.0) + value


def trim(vector: SparseVector, keep: int) -> SparseVector:
    """The `keep` heaviest entries (ties by key), so a long story's centroid stays small."""
    if len(vector) <= keep:
        return vector
    heaviest = sorted(vector.items(), key=lambda kv: (-kv[1], kv[0]))[:keep]
    return dict(sorted(heaviest))


class DocumentFrequencies:
    """Running document frequencies over hash buckets: fixed memory, any stream length."""

    def __init__(self, bits: int = HASH_BITS) -> None:
        self.counts = np.zeros(1 << bits, dtype=np.int32)
        self.documents = 0

    def observe(self, features: ArticleFeatures) -> None:
        self.documents += 1
        for vector in (features.terms, features.entity_terms):
            if vector:
                self.counts[np.fromiter(vector.keys(), dtype=np.int64, count=len(vector))] += 1

    def idf(self, keys: np.ndarray) -> np.ndarray:
        """Smooth IDF of hashed keys, as scikit-learn computes it."""
        idf: np.ndarray = np.log((1.0 + self.documents) / (1.0 + self.counts[keys])) + 1.0
        return idf

    def rarity(self, keys: Iterable[int]) -> list[float]:
        """IDF of each key divided by the largest IDF possible now, highest first (0..1)."""
        array = np.fromiter(keys, dtype=np.int64)
        if not len(array):
            return []
        top = math.log(1.0 + self.documents) + 1.0
        return sorted((self.idf(array) / top).tolist(), reverse=True)

    def weigh(self, tf: dict[int, float]) -> SparseVector:
        """TF-IDF (smooth idf), L2-normalised."""
        if not tf:
            return {}
        keys = np.fromiter(tf.keys(), dtype=np.int64, count=len(tf))
        values = np.fromiter(tf.values(), dtype=np.float64, count=len(tf))
        weights = values * self.idf(keys)
        norm = float(np.sqrt(weights @ weights))
        if norm == 0.0:
            return {}
        return dict(zip(keys.tolist(), (weights / norm).tolist(), strict=True))


@dataclass(slots=True, eq=False)
class Profile:
    """An article as grouping sees it: its features weighted by the frequencies at arrival."""

    features: ArticleFeatures
    body: SparseVector
    title: SparseVector
    entities: SparseVector
    order: int

    @property
    def article_id(self) -> str:
        return self.features.article_id


def profile(features: ArticleFeatures, frequencies: DocumentFrequencies, order: int) -> Profile:
    return Profile(
        features=features,
        body=frequencies.weigh(features.terms),
        title=frequencies.weigh(features.title_terms),
        entities=frequencies.weigh(features.entity_terms),
        order=order,
    )


# --------------------------------------------------------------------------- scores


def time_gap_seconds(a: ArticleFeatures, b: ArticleFeatures) -> float | None:
    """Distance between two honest time intervals (0 when they overlap)."""
    if a.earliest is None or a.latest is None or b.earliest is None or b.latest is None:
        return None
    return max(0.0, a.earliest - b.latest, b.earliest - a.latest)


def _midpoint_distance(a: ArticleFeatures, b: ArticleFeatures) -> float | None:
    ka, kb = a.sort_key, b.sort_key
    return None if ka is None or kb is None else abs(ka - kb)


def _set_cosine(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def _whole_days(seconds: float) -> float:
    """Days, rounded: the labelled sets date articles by day only, so the models only ever
    saw whole days; hours inside a day must not read as a distance they never learned."""
    return float(round(seconds / SECONDS_PER_DAY))


def _days(seconds: float) -> float:
    return math.log1p(_whole_days(seconds))


@dataclass(slots=True)
class StoryView:
    """What scoring reads of a story: recent members and running sums (all L2-normalised)."""

    members: Sequence[Profile]
    centroid: SparseVector
    title_centroid: SparseVector
    entity_centroid: SparseVector
    embedding: np.ndarray | None
    languages: frozenset[str] = frozenset()


def single(member: Profile) -> StoryView:
    """A one-article story: how batch grouping compares two articles."""
    lang = member.features.language
    return StoryView(
        members=[member],
        centroid=member.body,
        title_centroid=member.title,
        entity_centroid=member.entities,
        embedding=member.features.embedding,
        languages=frozenset({lang} if lang else ()),
    )


@dataclass(slots=True)
class Scores:
    """Every feature of one (article, story) pair, plus the members ranked by likeness."""

    values: dict[str, float]
    time_gap: float | None  # seconds; None when a time is missing
    has_embedding: bool
    cross_lingual: bool
    ranked_members: list[int] = field(default_factory=list)  # indexes into StoryView.members


def _is_cross_lingual(article: Profile, story: StoryView) -> bool:
    lang = article.features.language
    return bool(lang and story.languages and lang not in story.languages)


def score(article: Profile, story: StoryView, frequencies: DocumentFrequencies) -> Scores:
    """All pairwise features of an article against a story.

    Body and embedding cosines are taken with every recent member; the finer features
    (headline, names, numbers, quotations) only with the CLOSE members most alike in
    body, which keeps the cost per candidate small without losing the best match.
    """
    a = article.features
    members = story.members
    body = [cosine(article.body, m.body) for m in members]
    has_embedding = a.embedding is not None and story.embedding is not None
    embedded = [
        float(a.embedding @ m.features.embedding)
        if a.embedding is not None and m.features.embedding is not None
        else -1.0
        for m in members
    ]
    cross = _is_cross_lingual(article, story)
    key = embedded if cross and has_embedding else body
    ranked = sorted(range(len(members)), key=lambda i: (-key[i], i))
    close = [members[i] for i in ranked[:CLOSE]]
    gaps = [g for g in (time_gap_seconds(a, m.features) for m in members) if g is not None]
    mids = [d for d in (_midpoint_distance(a, m.features) for m in members) if d is not None]
    rarity = frequencies.rarity(article.body.keys() & story.centroid.keys())[:RARE_TOP]
    values = {
        "body_centroid": cosine(article.body, story.centroid),
        "body_max": max(body),
        "title_max": max(cosine(article.title, m.title) for m in close),
        "title_centroid": cosine(article.title, story.centroid),
        "title_cross": cosine(article.body, story.title_centroid),
        "entity_centroid": cosine(article.entities, story.entity_centroid),
        "entity_max": max(cosine(article.entities, m.entities) for m in close),
        "rare_shared": rarity[0] if rarity else 0.0,
        "rare_shared_top": sum(rarity) / RARE_TOP,
        "numbers": max(_set_cosine(a.numbers, m.features.numbers) for m in close),
        "quotes": max(
            min(len(a.quote_shingles & m.features.quote_shingles), QUOTE_CAP) / QUOTE_CAP
            for m in close
        ),
        "time_gap": _days(min(gaps)) if gaps else 0.0,
        "time_distance": _days(min(mids)) if mids else 0.0,
        "embedding_centroid": (
            float(a.embedding @ story.embedding)
            if a.embedding is not None and story.embedding is not None
            else 0.0
        ),
        "embedding_max": max(max(embedded), 0.0) if has_embedding else 0.0,
    }
    terms = min(len(article.body), len(close[0].body))
    longness = math.log(max(terms, 1) / SHORT_TERMS) / math.log(LONG_TERMS / SHORT_TERMS)
    values["longness"] = min(max(longness, 0.0), 1.0)
    named = len(article.entities) >= MIN_NAMES and min(len(m.entities) for m in close) >= MIN_NAMES
    values["entity_none"] = 1.0 if named and values["entity_max"] == 0.0 else 0.0
    # Not a model feature: a rule reads it (GroupingConfig.separate_headline_conflicts).
    values["headline_conflict"] = headline_conflict(a, members)
    near = math.exp(-_whole_days(min(mids))) if mids else 0.0
    values["time_near"] = near
    values["near_entity"] = near * values["entity_max"]
    values["near_body"] = near * values["body_max"]
    values["near_embedding"] = near * values["embedding_max"]
    for name in INTERACTIONS:
        values[f"{name}_long"] = values[name] * values["longness"]
    return Scores(
        values=values,
        time_gap=min(gaps) if gaps else None,
        has_embedding=has_embedding,
        cross_lingual=cross,
        ranked_members=ranked,
    )


def headline_conflict(a: ArticleFeatures, members: Sequence[Profile]) -> float:
    """1 when the headlines name different main actors: no member's text mentions a name
    from the article's headline, and the article mentions none from theirs.

    Taken over the whole story (every recent member in the article's language), not its
    best match: one member that names the article's actor is enough to call it no
    conflict. Same-day reports of two events on one topic ("ECB raises rates" and "Bank
    of England holds rates") look alike in every other feature.
    """
    if not a.headline_names:
        return 0.0
    terms = a.terms.keys()
    named = False
    for m in members:
        f = m.features
        if a.language and f.language and f.language != a.language:
            continue
        theirs = f.terms.keys()
        if any(name <= theirs for name in a.headline_names):
            return 0.0
        if f.headline_names:
            named = True
            if any(name <= terms for name in f.headline_names):
                return 0.0
    return 1.0 if named else 0.0


# --------------------------------------------------------------------------- the model


def model_name(cross_lingual: bool, use_time: bool, embedding: bool) -> str:
    """Which fitted model applies: 'mono', 'cross-notime', 'mono-noemb', ..."""
    name = "cross" if cross_lingual else "mono"
    if not use_time:
        name += "-notime"
    if not embedding:
        name += "-noemb"
    return name


def model_features(cross_lingual: bool, use_time: bool, embedding: bool) -> tuple[str, ...]:
    names = CROSS_LINGUAL if cross_lingual else FEATURES
    return tuple(
        n
        for n in names
        if (use_time or n not in TIME_FEATURES) and (embedding or "embedding" not in n)
    )


@dataclass(frozen=True, slots=True)
class PairModel:
    """Logistic regression over standardised pair features."""

    name: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float = 0.5

    def logit(self, values: dict[str, float]) -> float:
        total = self.intercept
        for name, mu, sigma, w in zip(self.features, self.mean, self.scale, self.coef, strict=True):
            total += w * (values[name] - mu) / sigma
        return total

    def probability(self, values: dict[str, float]) -> float:
        z = self.logit(values)
        if z < -30.0:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [round(v, 6) for v in self.mean],
            "scale": [round(v, 6) for v in self.scale],
            "coef": [round(v, 6) for v in self.coef],
            "intercept": round(self.intercept, 6),
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, name: str, data: dict[str, Any]) -> PairModel:
        return cls(
            name=name,
            features=tuple(data["features"]),
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) for v in data["scale"]),
            coef=tuple(float(v) for v in data["coef"]),
            intercept=float(data["intercept"]),
            threshold=float(data.get("threshold", 0.5)),
        )


def fit_logistic(
    rows: Sequence[dict[str, float]],
    labels: Sequence[int],
    features: Sequence[str],
    name: str,
    l2: float = 1.0,
    iterations: int = 50,
) -> PairModel:
    """L2-regularised logistic regression by Newton's method: exact, deterministic, tiny."""
    x = np.array([[row[f] for f in features] for row in rows], dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # the intercept is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -30, 30)))
        gradient = z.T @ (p - y) + penalty * w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return PairModel(
        name=name,
        features=tuple(features),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in w[:-1]),
        intercept=float(w[-1]),
    )


class ModelSet:
    """The fitted pair models, one per (language pairing, time, embedding) case.

    A model's probability both ranks candidate stories and decides whether the best
    one is joined (at `threshold`); batch grouping averages the same probabilities.
    """

    def __init__(self, models: dict[str, PairModel]) -> None:
        self.models = models

    def get(self, cross_lingual: bool, use_time: bool, embedding: bool) -> PairModel:
        return self.models[model_name(cross_lingual, use_time, embedding)]

    def to_dict(self) -> dict[str, Any]:
        return {name: model.to_dict() for name, model in sorted(self.models.items())}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSet:
        models = data.get("models", data)
        return cls({name: PairModel.from_dict(name, spec) for name, spec in models.items()})

    @classmethod
    def bundled(cls) -> ModelSet:
        """The weights shipped with storylens (`stories/weights.json`)."""
        text = resources.files("storylens.stories").joinpath("weights.json").read_text("utf-8")
        return cls.from_dict(json.loads(text))


# --------------------------------------------------------------------------- evidence


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why an article joined a story, or why it did not join the closest one."""

    probability: float  # the model's belief that the article belongs to this story
    similarity: float  # best member similarity (TF-IDF cosine; embedding cosine across languages)
    model: str
    scores: dict[str, float]  # the features the model used
    shared_entities: tuple[str, ...]
    shared_quotes: tuple[str, ...]
    shared_numbers: tuple[str, ...]
    shared_origin: tuple[str, ...]  # wire credits both carry
    time_gap_hours: float | None
    matched: tuple[str, ...]  # ids of the best-matching members, best first
    runner_up: float | None = None  # pair probability of the next-best story
    vetoed_by: str | None = None  # the rule that set the probability to 0, if one did

    def to_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "probability": rounded(self.probability),
            "similarity": rounded(self.similarity),
            "model": self.model,
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "shared_entities": list(self.shared_entities),
            "shared_quotes": list(self.shared_quotes),
            "shared_numbers": list(self.shared_numbers),
            "shared_origin": list(self.shared_origin),
            "time_gap_hours": rounded(self.time_gap_hours),
            "matched": list(self.matched),
            "runner_up": rounded(self.runner_up),
            "vetoed_by": self.vetoed_by,
        }


def _shared_entities(a: ArticleFeatures, b: ArticleFeatures) -> list[str]:
    """Names both carry: the same name, or one's name is a word of the other's ('Biden')."""
    theirs = b.entity_names
    their_words = {w for name in theirs for w in name.split()}
    return [
        surface
        for key, surface in a.entity_names.items()
        if key in theirs or (" " not in key and key in their_words)
    ]


def explain(
    article: Profile,
    story: StoryView,
    scores: Scores,
    model: PairModel,
    probability: float,
    runner_up: float | None = None,
    top: int = 3,
    vetoed_by: str | None = None,
) -> Evidence:
    """Evidence of a decision, read off the scores and the best-matching members."""
    a = article.features
    members = [story.members[i] for i in scores.ranked_members[:top]]
    entities: list[str] = []
    quoted: list[str] = []
    numbers: set[str] = set()
    origin: set[str] = set()
    for member in members:
        m = member.features
        entities.extend(_shared_entities(a, m))
        quoted.extend(shared_quotes(a.quotes, m.quote_shingles))
        numbers |= a.numbers & m.numbers
        origin |= set(a.wire) & set(m.wire)
    best = members[0].features
    if scores.cross_lingual and a.embedding is not None and best.embedding is not None:
        similarity = float(a.embedding @ best.embedding)
    else:
        similarity = cosine(article.body, members[0].body)
    return Evidence(
        probability=probability,
        similarity=similarity,
        model=model.name,
        scores={name: scores.values[name] for name in model.features},
        shared_entities=tuple(dict.fromkeys(entities)),
        shared_quotes=tuple(dict.fromkeys(quoted)),
        shared_numbers=tuple(sorted(numbers)),
        shared_origin=tuple(sorted(origin)),
        time_gap_hours=None if scores.time_gap is None else scores.time_gap / 3600.0,
        matched=tuple(m.article_id for m in members),
        runner_up=runner_up,
        vetoed_by=vetoed_by,
    )
