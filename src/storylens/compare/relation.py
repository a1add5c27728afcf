"""Relation of two claim units: the probability that they state the same fact.

A sentence-pair judge trained on MRPC answers "are these two sentences paraphrases?";
the sentences of a news story that state one fact are rarely paraphrases: one outlet
folds the fact into a longer sentence, another spreads it over two. On our hand-labelled
stories (`tests/data/alignment`) what separates them best is the words a story uses
rarely: two units that share the story's rare content words ("Vileyka", "radar") state
the same fact far more often than two that share its common ones ("Russia", "NATO").
So the relation is a logistic regression over cheap evidence computed for every pair of
units at once, as N x N matrices: embedding cosine, the cosine of content words
weighted by their rarity *in this story*, shared content words, names and numbers, and
where in their articles the two units stand (leads restate leads).

The weights (`alignment_relation.json`) are fitted on the labelled development stories
by `benchmarks/train_alignment_relation.py`; `benchmarks/alignment.py` measures them
leave-one-story-out. Pure: no I/O beyond reading the shipped weights.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from storylens.stories.features import content_words

__all__ = ["FEATURES", "RelationModel", "load_relation", "relation_features"]

RELATION_PATH = Path(__file__).resolve().parent / "alignment_relation.json"

FEATURES = (
    "cosine",
    "story_idf_cosine",
    "shared_content",
    "overlap_min",
    "jaccard",
    "shared_names",
    "shared_numbers",
    "position_sum",
    "position_gap",
    "length_min",
    "length_max",
)

_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w'’-]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True, slots=True)
class RelationModel:
    """Standardise the features, then a logistic regression."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> RelationModel:
        return cls(
            features=tuple(spec["features"]),
            mean=np.asarray(spec["mean"], dtype=np.float64),
            scale=np.asarray(spec["scale"], dtype=np.float64),
            coef=np.asarray(spec["coef"], dtype=np.float64),
            intercept=float(spec["intercept"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "coef": [round(float(v), 6) for v in self.coef],
            "intercept": round(self.intercept, 6),
        }

    def probabilities(self, features: dict[str, np.ndarray]) -> np.ndarray:
        """P(same fact) for every pair, from `relation_features` matrices."""
        logit: np.ndarray | None = None
        for name, mean, scale, weight in zip(
            self.features, self.mean, self.scale, self.coef, strict=True
        ):
            term = (features[name].astype(np.float64) - mean) * (weight / scale)
            logit = term if logit is None else logit + term
        if logit is None:
            raise ValueError("a relation model needs at least one feature")
        logit = logit + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logit, -40.0, 40.0))))


def _counts(bags: Sequence[Iterable[str]]) -> np.ndarray:
    """How often each item occurs in each bag: one row per bag, one column per item."""
    vocabulary: dict[str, int] = {}
    for bag in bags:
        for item in bag:
            vocabulary.setdefault(item, len(vocabulary))
    counts = np.zeros((len(bags), max(len(vocabulary), 1)), dtype=np.float32)
    for row, bag in enumerate(bags):
        for item in bag:
            counts[row, vocabulary[item]] += 1.0
    return counts


def _shared(sets: Sequence[frozenset[str]]) -> np.ndarray:
    """Count of items each two sets share, as an N x N matrix."""
    incidence = _counts(sets)
    return np.asarray(incidence @ incidence.T)


def _story_idf_cosine(words: Sequence[list[str]]) -> np.ndarray:
    """Cosine of content-word counts weighted by idf over the story's own units."""
    counts = _counts(words)
    documents = (counts > 0).sum(axis=0)
    idf = np.log((len(words) + 1) / (documents + 1)) + 1.0
    weighted = counts * idf.astype(np.float32)
    norms = np.linalg.norm(weighted, axis=1, keepdims=True)
    unit = weighted / np.maximum(norms, 1e-12)
    return np.asarray(unit @ unit.T)


def relation_features(
    texts: Sequence[str], positions: Sequence[float], cosine: np.ndarray
) -> dict[str, np.ndarray]:
    """Every feature of every pair of units, as N x N float32 matrices (a 50-article
    story's 1,500 units: 9 MB each).

    `positions` is each unit's place in its article (0 = first, 1 = last); `cosine` the
    embedding cosine of each two units.
    """
    words = [content_words(t) for t in texts]
    content = [frozenset(w) for w in words]
    names = [frozenset(m.casefold() for m in _NAME.findall(t)) for t in texts]
    numbers = [frozenset(_NUMBER.findall(t)) for t in texts]
    shared = _shared(content)
    sizes = np.array([len(c) for c in content], dtype=np.float32)
    smaller = np.minimum.outer(sizes, sizes)
    larger = np.maximum.outer(sizes, sizes)
    union = sizes[:, None] + sizes[None, :] - shared
    place = np.asarray(positions, dtype=np.float32)
    return {
        "cosine": np.asarray(cosine, dtype=np.float32),
        "story_idf_cosine": _story_idf_cosine(words),
        "shared_content": np.log1p(shared),
        "overlap_min": shared / np.maximum(smaller, 1.0),
        "jaccard": shared / np.maximum(union, 1.0),
        "shared_names": np.log1p(_shared(names)),
        "shared_numbers": np.log1p(_shared(numbers)),
        "position_sum": place[:, None] + place[None, :],
        "position_gap": np.abs(place[:, None] - place[None, :]),
        "length_min": np.log1p(smaller),
        "length_max": np.log1p(larger),
    }


def fit_relation(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> RelationModel:
    """Fit the model on rows of FEATURES (needs scikit-learn: training only)."""
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit((x - mean) / scale, y)
    return RelationModel(FEATURES, mean, scale, model.coef_[0].copy(), float(model.intercept_[0]))


@lru_cache(maxsize=1)
def load_relation(path: Path = RELATION_PATH) -> RelationModel:
    """The shipped weights (written by `benchmarks/train_alignment_relation.py`)."""
    with path.open(encoding="utf-8") as handle:
        return RelationModel.from_dict(json.load(handle))
