"""The comparison as JSON, under a documented, versioned schema.

The JSON report is what other programs read, so its shape is a contract: it is
described by `report.schema.json` (JSON Schema draft 2020-12, shipped beside this
module) and in `docs/report-json.md`. `SCHEMA` names the version. Adding a field keeps
the version (readers ignore what they do not know); removing or renaming a field, or
changing what one means, bumps it.

Every part of the report is the `to_dict()` of the data model, so the JSON holds the
same spans the other renderings show and nothing is computed twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from storylens import __version__
from storylens.compare.model import Comparison

__all__ = ["SCHEMA", "comparison_dict", "comparison_json", "json_schema"]

SCHEMA = "storylens.compare/1"
SCHEMA_FILE = "report.schema.json"


def comparison_dict(c: Comparison) -> dict[str, Any]:
    """The report as plain JSON types, keys in the documented order."""
    return {
        "schema": SCHEMA,
        "story_id": c.story_id,
        "generated_by": f"storylens {__version__}",
        "zone": c.timeline.zone,
        "articles": [a.to_dict() for a in c.articles],
        "units": [u.to_dict() for u in c.units],
        "facts": [f.to_dict() for f in c.facts],
        "matrix": c.matrix.to_dict(),
        "quotes": [_quote_group(g) for g in c.quote_groups],
        "discrepancies": [d.to_dict() for d in c.discrepancies],
        "timeline": c.timeline.to_dict(),
        "framing": [f.to_dict() for f in c.framing],
        "summary": [s.to_dict() for s in c.summary],
    }


def comparison_json(c: Comparison, *, indent: int | None = 2) -> str:
    """The report as a JSON document (UTF-8 text, no NaN: strict JSON parsers read it)."""
    return json.dumps(comparison_dict(c), ensure_ascii=False, indent=indent, allow_nan=False)


def json_schema() -> dict[str, Any]:
    """The JSON Schema the report follows (for validating reports, e.g. in tests)."""
    text = files("storylens.present").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _quote_group(group: Any) -> dict[str, Any]:
    """A `QuoteGroup`'s own dict (groups read back from JSON are mappings already)."""
    if isinstance(group, Mapping):
        return dict(group)
    data: dict[str, Any] = group.to_dict()
    return data
