"""Stories for the terminal and for export: one row per story, one page per story."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from storylens.model import Article, TimeValue
from storylens.present.articles import time_label


@dataclass(frozen=True, slots=True)
class StorySummary:
    """What a story listing shows: members in publication order, origins, span."""

    id: str
    articles: tuple[Article, ...]
    lineage: tuple[dict[str, Any], ...]

    @property
    def origins(self) -> int:
        return len(self.lineage)

    @property
    def title(self) -> str | None:
        """The title of the original of the largest origin (the earliest on ties)."""
        by_id = {a.id: a for a in self.articles}
        if self.lineage:
            largest = max(self.lineage, key=lambda o: len(o["links"]))
            headline = by_id.get(largest["original"])
            if headline and headline.title:
                return headline.title
        return next((a.title for a in self.articles if a.title), None)

    def to_row(self) -> dict[str, Any]:
        times = [a.published for a in self.articles if a.published is not None]
        return {
            "story_id": self.id,
            "title": self.title,
            "articles": len(self.articles),
            "article_ids": [a.external_id or a.id for a in self.articles],
            "outlets": sorted({a.outlet.name for a in self.articles if a.outlet}),
            "origins": self.origins,
            "first_published": _time_dict(min(times, key=lambda t: t.sort_key)) if times else None,
            "last_published": _time_dict(max(times, key=lambda t: t.sort_key)) if times else None,
        }


def _time_dict(value: TimeValue) -> dict[str, Any]:
    return {
        "utc": value.to_dict()["utc"],
        "earliest": value.to_dict()["earliest"],
        "latest": value.to_dict()["latest"],
        "label": time_label(value),
    }


def print_story_table(stories: Sequence[StorySummary], console: Console) -> None:
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("story", style="cyan", no_wrap=True)
    table.add_column("first (UTC)", no_wrap=True)
    table.add_column("arts", justify="right")
    table.add_column("orig", justify="right")
    table.add_column("title", ratio=1, overflow="fold")
    table.add_column("outlets", style="green", max_width=30, overflow="fold")
    for story in stories:
        row = story.to_row()
        first = row["first_published"]
        table.add_row(
            story.id,
            (first["utc"] or "~" + first["earliest"])[:16].replace("T", " ") if first else "",
            str(row["articles"]),
            str(row["origins"]),
            row["title"] or "",
            ", ".join(row["outlets"]),
        )
    console.print(table)


def print_story(
    story: StorySummary,
    memberships: dict[str, tuple[str, dict[str, Any] | None]],
    events: list[dict[str, Any]],
    console: Console,
) -> None:
    """One story: its articles in publication order, lineage, and how it was formed."""
    console.print(Text(story.title or "(untitled)", style="bold"))
    console.print(
        f"story {story.id} — {len(story.articles)} articles, "
        f"{story.origins} independent origin{'s' if story.origins != 1 else ''}"
    )
    roles = {
        link["article_id"]: (index, link)
        for index, origin in enumerate(story.lineage, 1)
        for link in origin["links"]
    }
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("article", "published", "outlet", "title", "origin", "role", "joined by"):
        table.add_column(name, overflow="fold")
    for article in story.articles:
        index, link = roles.get(article.id, (0, {}))
        role = link.get("role", "")
        if link.get("parent"):
            role += f" of {link['parent'][:8]}"
        method, evidence = memberships.get(article.id, ("", None))
        table.add_row(
            article.external_id or article.id,
            time_label(article.published),
            article.outlet.name if article.outlet else "",
            article.title or "",
            str(index) if index else "",
            role,
            _why(method, evidence),
        )
    console.print(table)
    for origin_index, origin in enumerate(story.lineage, 1):
        agency = f" (wire: {origin['agency']})" if origin.get("agency") else ""
        console.print(f"origin {origin_index}{agency}: {len(origin['links'])} article(s)")
    for event in events:
        console.print(
            f"[dim]{event['at']} {event['actor']} {event['kind']}: "
            f"{event['story_id']} ← {event['other_id']}[/dim]"
        )


def _why(method: str, evidence: dict[str, Any] | None) -> str:
    if not evidence:
        return method
    if evidence.get("new_story"):
        return "started the story"
    detail = evidence.get("evidence") or {}
    probability = detail.get("probability")
    return f"{method} p={probability:.2f}" if isinstance(probability, float) else method


def why_lines(
    article: Article, story_id: str | None, method: str, evidence: dict[str, Any] | None
) -> list[str]:
    """`storylens why`: the evidence behind an article's place, in plain lines."""
    lines = [f"article {article.id}: {article.title or '(untitled)'}"]
    if story_id is None:
        return [*lines, "in no story yet (run `storylens group`)"]
    lines.append(f"story {story_id} (by {method})")
    if not evidence:
        return lines
    for key in ("merged_from", "split_from", "moved_from"):
        if key in evidence:
            lines.append(f"placed by a person: {key.replace('_', ' ')} {evidence[key]}")
    detail = evidence.get("evidence")
    if evidence.get("new_story"):
        lines.append("started a new story" + (": the closest story was too far" if detail else ""))
    if not detail:
        return lines
    lines.append(f"probability {detail.get('probability')} (model {detail.get('model')})")
    if detail.get("vetoed_by"):
        lines.append(f"join refused by rule: {detail['vetoed_by']}")
    lines.append(f"best similarity {detail.get('similarity')}")
    for name, label in (
        ("shared_entities", "shared names"),
        ("shared_quotes", "shared quoted phrases"),
        ("shared_numbers", "shared numbers"),
        ("shared_origin", "shared wire origin"),
    ):
        if detail.get(name):
            lines.append(f"{label}: {', '.join(map(str, detail[name]))}")
    if detail.get("time_gap_hours") is not None:
        lines.append(f"time gap: {detail['time_gap_hours']} h")
    if detail.get("matched"):
        lines.append(f"closest articles: {', '.join(detail['matched'])}")
    scores = detail.get("scores") or {}
    if scores:
        lines.append("scores: " + ", ".join(f"{k}={v}" for k, v in sorted(scores.items())))
    return lines
