"""Small builders shared by the report tests: comparison parts from hand-written text."""

from __future__ import annotations

from typing import Any

from storylens.compare.model import ClaimUnit


def make_unit(article_id: str, text: str, sentence: str, index: int, **extra: Any) -> ClaimUnit:
    """The unit stating `sentence`, found in `text` (the article body or its title)."""
    start = text.index(sentence)
    end = start + len(sentence)
    section = extra.pop("section", "body")
    prefix = "h" if section == "headline" else ""
    return ClaimUnit(
        id=f"{article_id}:{prefix}{start}-{end}",
        article_id=article_id,
        start=start,
        end=end,
        text=sentence,
        index=index,
        section=section,
        paragraph=text[:start].count("\n\n"),
        **extra,
    )
