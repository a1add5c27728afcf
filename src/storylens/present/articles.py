"""Article lists and single articles for the terminal and for export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from storylens.model import Article, TimeValue

ROW_FIELDS = (
    "id",
    "external_id",
    "published",
    "published_zone_known",
    "outlet",
    "title",
    "byline",
    "language",
    "wire",
    "url",
    "source",
    "duplicate_of",
)


def time_label(value: TimeValue | None) -> str:
    """One honest string for a time: the UTC instant, or the interval when zone-unknown."""
    if value is None:
        return ""
    if value.utc is not None:
        return value.utc.strftime("%Y-%m-%d %H:%M UTC")
    local = value.local.strftime("%Y-%m-%d %H:%M" if value.precision != "day" else "%Y-%m-%d")
    return (
        f"{local} (zone unknown: {value.earliest:%Y-%m-%d %H:%M}…{value.latest:%Y-%m-%d %H:%M} UTC)"
    )


def article_row(article: Article, duplicate_of: str | None = None) -> dict[str, Any]:
    """A flat row: the shape of CSV/Parquet/JSONL listings."""
    published = article.published
    return {
        "id": article.id,
        "external_id": article.external_id,
        "published": (
            (published.utc.isoformat().replace("+00:00", "Z") if published.utc else None)
            if published
            else None
        )
        or (published.local.isoformat() if published else None),
        "published_zone_known": published.zone_known if published else None,
        "outlet": article.outlet.name if article.outlet else None,
        "title": article.title,
        "byline": "; ".join(article.byline),
        "language": article.language,
        "wire": "; ".join(article.wire),
        "url": article.url,
        "source": article.source,
        "duplicate_of": duplicate_of,
    }


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=list(ROW_FIELDS), extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def write_parquet(rows: Iterable[dict[str, Any]], path: Path, batch_size: int = 5000) -> int:
    """Stream rows into a Parquet file in batches (memory flat in the row count)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "Parquet output needs pyarrow: pip install 'storylens[parquet]'"
        ) from exc
    schema = pa.schema(
        [
            (name, pa.bool_() if name == "published_zone_known" else pa.string())
            for name in ROW_FIELDS
        ]
    )
    count = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        for batch in _batches(rows, batch_size):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
        if count == 0:
            writer.write_table(schema.empty_table())
    return count


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def print_table(rows: Iterable[dict[str, Any]], console: Console) -> int:
    """A compact listing: ids whole, times in UTC ("~" marks a zone-unknown time)."""
    table = Table(show_lines=False, header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("id", style="cyan", no_wrap=True)
    table.add_column("published (UTC)", no_wrap=True)
    table.add_column("outlet", style="green", max_width=14, overflow="fold")
    table.add_column("title", ratio=1, overflow="fold")
    table.add_column("lang", no_wrap=True)
    count = 0
    for row in rows:
        title = Text(row["title"] or "")
        if row.get("duplicate_of"):
            title.append(f"  (copy of {row['duplicate_of']})", style="dim")
        table.add_row(
            row["id"],
            _short_time(row["published"], row["published_zone_known"]),
            row["outlet"] or "",
            title,
            row["language"] or "",
        )
        count += 1
    console.print(table)
    return count


def _short_time(value: str | None, zone_known: bool | None) -> str:
    if not value:
        return ""
    text = value.replace("T", " ")[:16]
    return text if zone_known is not False else f"~{text} local"


def print_article(
    article: Article,
    console: Console,
    *,
    with_text: bool = False,
    duplicate_of: str | None = None,
    copies: list[str] | None = None,
) -> None:
    """Metadata with the provenance of each field; the body on request."""
    console.print(Text(article.title or "(untitled)", style="bold"))
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("field", style="cyan")
    table.add_column("value", overflow="fold")
    table.add_column("from", style="dim", overflow="fold")
    prov = article.provenance

    def add(name: str, value: str, key: str | None = None) -> None:
        p = prov.get(key or name)
        origin = (
            f"{p.source}{': ' + p.detail if p.detail else ''} ({p.confidence:.2f})" if p else ""
        )
        table.add_row(name, value, origin)

    add("id", article.id)
    if article.external_id:
        add("external id", article.external_id, "external_id")
    add(
        "outlet",
        f"{article.outlet.name} ({article.outlet.domain or 'no domain'})" if article.outlet else "",
        "outlet_name",
    )
    add("byline", "; ".join(article.byline), "byline")
    add("published", _time_detail(article.published), "published")
    if article.updated:
        add("updated", _time_detail(article.updated), "updated")
    add("language", article.language or "", "language")
    add("wire", "; ".join(article.wire), "wire")
    if article.publisher_ids:
        add("publisher ids", "; ".join(article.publisher_ids), "publisher_ids")
    add("url", article.url or "", "url")
    add("source", article.source, "source")
    if duplicate_of:
        table.add_row("copy of", duplicate_of, "")
    if copies:
        table.add_row("copies", ", ".join(copies), "")
    table.add_row("words", str(len(article.text.split())), "")
    console.print(table)
    if with_text:
        console.print()
        console.print(Text(article.text))


def _time_detail(value: TimeValue | None) -> str:
    if value is None:
        return ""
    return f"{time_label(value)} — as written: {value.original!r}"


def article_text_block(article: Article) -> str:
    """Plain-text rendering for `extract --format text`."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, no_color=True, highlight=False)
    print_article(article, console, with_text=True)
    return buffer.getvalue()
