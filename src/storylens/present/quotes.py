"""Quotes for the terminal (a rich table) and for export (one JSON object per line)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from rich import box
from rich.table import Table
from rich.text import Text

from storylens.model import Quote

# The leading keys of a JSONL row; the remaining span fields follow.
ROW_KEYS = (
    "article_id",
    "text",
    "start",
    "end",
    "kind",
    "speaker",
    "speaker_mention",
    "cue",
    "channel",
    "group",
)


def quote_row(quote: Quote) -> dict[str, object]:
    data = quote.to_dict()
    row = {key: data[key] for key in ROW_KEYS}
    row.update((key, value) for key, value in data.items() if key not in row)
    return row


def quote_jsonl(quotes: Iterable[Quote]) -> Iterable[str]:
    for quote in quotes:
        yield json.dumps(quote_row(quote), ensure_ascii=False)


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def quote_table(quotes: Iterable[Quote], title: str | None = None) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=title, show_lines=False, expand=False)
    table.add_column("article", no_wrap=True, style="dim")
    table.add_column("kind", no_wrap=True)
    table.add_column("speaker")
    table.add_column("cue", no_wrap=True)
    table.add_column("channel")
    table.add_column("quote", ratio=1)
    for q in quotes:
        speaker = q.speaker or ""
        if q.speaker_mention and q.speaker_mention != q.speaker:
            speaker = f"{speaker} ({q.speaker_mention})" if speaker else f"({q.speaker_mention})"
        table.add_row(
            q.article_id[:12],
            q.kind,
            Text(speaker or "?"),
            Text(q.cue or ""),
            Text(q.channel or ""),
            Text(_short(q.text, 160)),
        )
    return table
