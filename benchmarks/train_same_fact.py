"""Fit the shipped same-fact weights on MRPC train.tsv (only) and write them.

    .venv/bin/python benchmarks/train_same_fact.py
    # -> src/storylens/compare/same_fact_model.json (idf, scaling, final classifier,
    #    the hyperparameters inner CV chose) and same_fact_blocks.npz (TF-KLD, residual)

Deterministic: the same data, encoder and scikit-learn version give the same files.
`benchmarks/same_fact.py` cross-validates exactly this fitting procedure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import data_dir, package_versions
from same_fact import PACKAGES, SEEDS, fit_model, load_mrpc, token_vectors
from storylens.compare.same_fact import BLOCKS_PATH, MODEL_PATH


def main() -> int:
    folder = data_dir("mrpc")
    if folder is None or not (folder / "train.tsv").is_file():
        print("../shared/data/mrpc/train.tsv is absent: cannot train", file=sys.stderr)
        return 1
    rows = load_mrpc(folder / "train.tsv")
    vectors = token_vectors([t for _, a, b in rows for t in (a, b)])
    spec = fit_model(rows, vectors, SEEDS[0])
    blocks = spec.pop("blocks")
    spec = {
        "about": (
            "same-fact judge weights: standardise features and the two stacked blocks' "
            "logits, then the final classifier the inner CV chose (a logistic regression, "
            "or a bag of small ReLU nets whose probabilities are averaged), P >= threshold "
            "means the same fact; fitted on MRPC train.tsv only by "
            "benchmarks/train_same_fact.py"
        ),
        "trained_on": {"file": "mrpc/train.tsv", "pairs": len(rows)},
        "packages": package_versions(*PACKAGES),
        "blocks_file": BLOCKS_PATH.name,
        **spec,
    }
    np.savez_compressed(BLOCKS_PATH, **blocks)
    MODEL_PATH.write_text(json.dumps(spec, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH} ({len(rows)} pairs, {len(spec['features'])} features)")
    print(f"wrote {BLOCKS_PATH} ({BLOCKS_PATH.stat().st_size / 1e6:.1f} MB)")
    print(f"chosen by inner CV: {spec['hyperparameters']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
