"""An article under construction: each source proposes values, the most trusted wins.

Extractors (HTML, text dump, record) do not decide between JSON-LD and a meta tag or a
text line; they propose every value they find with its provenance, and the draft keeps
the highest-confidence proposal (the first one on ties). That makes the ranking explicit
and records why each final value was chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from storylens.model import Provenance

FIELDS = (
    "title",
    "url",
    "external_id",
    "outlet_name",
    "outlet_domain",
    "byline",
    "published",
    "updated",
    "language",
    "wire",
    "publisher_ids",
)


@dataclass(slots=True)
class ArticleDraft:
    """Mutable staging area for one article; `finish()` turns it into an `Article`."""

    source: str
    text: str = ""
    raw_sha256: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Provenance] = field(default_factory=dict)

    def propose(
        self, name: str, value: Any, source: str, detail: str = "", confidence: float = 1.0
    ) -> bool:
        """Offer a value for a field; returns True when it was taken."""
        if name not in FIELDS:
            raise KeyError(f"unknown article field {name!r}")
        if value is None or value == "" or value == () or value == []:
            return False
        current = self.provenance.get(name)
        if current is not None and current.confidence >= confidence:
            return False
        self.values[name] = tuple(value) if isinstance(value, list) else value
        self.provenance[name] = Provenance(source=source, detail=detail, confidence=confidence)
        return True

    def get(self, name: str) -> Any:
        return self.values.get(name)
