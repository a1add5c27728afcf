"""The two stacked blocks of the same-fact judge, as numpy inference.

Each block is a logistic regression over a pair vector; its logit enters the final
classifier as one feature (fitted out-of-fold by `benchmarks/same_fact.py`):

* TF-KLD (Ji & Eisenstein 2013): stemmed word 1- and 2-grams weighted by how much
  more often paraphrases than non-paraphrases share them (the KL divergence of the two
  rates), projected to a few latent dimensions (SVD). Words like "said" that both kinds
  of pair share weigh little; a shared rare name or verb weighs much.
* residual: the meaning a side's unaligned tokens carry, the sum of its token vectors
  weighted by how far each falls short of a 0.7 cosine match on the other side. The
  features of `same_fact` count such tokens; this says what they are about (a time, a
  source, a second event), which decides whether MRPC's annotators let them pass.

The arrays ship in `same_fact_blocks.npz`, written with the classifier's weights.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

RESIDUAL_LEVEL = np.float32(0.7)


@dataclass(frozen=True, slots=True)
class Blocks:
    """The fitted blocks: TF-KLD's vocabulary and projection, both blocks' regressions."""

    vocab: dict[str, int]  # stemmed 1-/2-gram -> row of `projection`
    projection: np.ndarray  # (grams, dims) float32 (stored as float16): KL weight x SVD component
    tfkld_coef: np.ndarray  # (2 * dims + 1,) float64
    tfkld_bias: float
    residual_coef: np.ndarray  # (2 * hidden,) float64
    residual_bias: float

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Blocks:
        grams = [str(g) for g in arrays["tfkld_vocab"]]
        return cls(
            vocab={g: i for i, g in enumerate(grams)},
            projection=np.asarray(arrays["tfkld_projection"], dtype=np.float32),
            tfkld_coef=np.asarray(arrays["tfkld_coef"], dtype=np.float64),
            tfkld_bias=float(arrays["tfkld_bias"]),
            residual_coef=np.asarray(arrays["residual_coef"], dtype=np.float64),
            residual_bias=float(arrays["residual_bias"]),
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        grams = sorted(self.vocab, key=self.vocab.__getitem__)
        return {
            "tfkld_vocab": np.array(grams, dtype=str),
            # float16 holds the rounded projection exactly (fitting rounds it so)
            "tfkld_projection": self.projection.astype(np.float16),
            "tfkld_coef": self.tfkld_coef,
            "tfkld_bias": np.array(self.tfkld_bias),
            "residual_coef": self.residual_coef,
            "residual_bias": np.array(self.residual_bias),
        }

    def tfkld_vector(self, grams: Iterable[str]) -> np.ndarray:
        """A sentence's latent TF-KLD vector (rows summed in a fixed order)."""
        rows = sorted(self.vocab[g] for g in grams if g in self.vocab)
        if not rows:
            return np.zeros(self.projection.shape[1], dtype=np.float32)
        return np.asarray(self.projection[rows].sum(axis=0), dtype=np.float32)

    def tfkld_logit(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(tfkld_pair(a, b) @ self.tfkld_coef) + self.tfkld_bias

    def residual_logit(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(residual_pair(a, b) @ self.residual_coef) + self.residual_bias


def tfkld_pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[a + b, |a - b|, cosine]: symmetric in the two sentences."""
    norms = float(np.linalg.norm(a)) * float(np.linalg.norm(b))
    cosine = float(a @ b) / norms if norms > 0 else 0.0
    return np.concatenate([a + b, np.abs(a - b), [cosine]]).astype(np.float64)


def residual_side(best: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Σ max(0, 0.7 - best_i) · x_i over a side's unit token vectors x_i, where best_i is
    token i's best cosine on the other side."""
    if not len(vectors):
        return np.zeros(vectors.shape[1], dtype=np.float32)
    shortfall = np.maximum(RESIDUAL_LEVEL - best, np.float32(0.0))
    return np.asarray(shortfall @ vectors, dtype=np.float32)


def residual_pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[a + b, |a - b|]: symmetric in the two sentences."""
    return np.concatenate([a + b, np.abs(a - b)]).astype(np.float64)
