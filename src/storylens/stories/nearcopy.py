"""Near-identical copies by MinHash over word shingles.

The signature and its LSH band keys are pure functions of the text, so any store can
index them (SQLite keeps band keys in a table) and the same text gives the same keys on
every machine.
"""

from __future__ import annotations

import hashlib
import re
import struct
from functools import lru_cache

import numpy as np
from datasketch import MinHash

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE = 5
# Estimated Jaccard above which two texts count as the same article (a copy, a reprint
# with a changed headline or a fixed typo), not merely the same story.
NEAR_COPY_THRESHOLD = 0.85

_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE) -> list[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return [" ".join(words).encode("utf-8")] if words else []
    return [" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)]


@lru_cache(maxsize=1)
def _permutations() -> np.ndarray:
    """The fixed hash permutations, drawn once (drawing them costs as much as hashing)."""
    return np.asarray(MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32").permutations)


def signature(text: str) -> np.ndarray:
    """MinHash signature (uint64[NUM_PERM]) of the text's word shingles."""
    minhash = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32", permutations=_permutations())
    parts = shingles(text)
    if parts:
        minhash.update_batch(parts)
    return np.asarray(minhash.hashvalues, dtype=np.uint64)


def band_keys(sig: np.ndarray) -> list[int]:
    """One signed 63-bit key per LSH band (fits an SQLite INTEGER)."""
    keys = []
    for band in range(BANDS):
        chunk = sig[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(struct.pack("<I", band) + chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True) >> 1)
    return keys


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / float(len(a))


def to_blob(sig: np.ndarray) -> bytes:
    return sig.astype("<u8").tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u8").astype(np.uint64)
