"""Language identification, offline (py3langid ships its model in the wheel)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# Detection on short strings misfires; below this many letters we say nothing.
MIN_LETTERS = 40


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float] | None:
    """ISO 639-1 code and probability, or None when the text is too short to tell."""
    sample = text[:1500]  # enough for article text; detection time grows with length
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    code, probability = _identifier().classify(sample)
    return str(code), float(probability)


def normalize_language(value: str | None) -> str | None:
    """'en-US', 'en_GB', 'EN' -> 'en'; junk -> None."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if len(code) == 2 and code.isalpha() else None
