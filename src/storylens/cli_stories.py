"""Story commands: group, stories, story, why, merge, split, move, overrides."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from storylens.cli_common import db_option, existing_store, stderr
from storylens.store.sqlite import SQLiteStore


def _summaries(store: SQLiteStore, story_ids: list[str]) -> list[Any]:
    from storylens.present.stories import StorySummary

    summaries = []
    for story_id in story_ids:
        articles = tuple(a for a in (store.get(i) for i in store.stories.members(story_id)) if a)
        lineage = tuple(store.stories.lineage(story_id) or ())
        summaries.append(StorySummary(story_id, articles, lineage))
    return summaries


def _one_story(store: SQLiteStore, ref: str) -> str:
    found = store.stories.resolve(ref)
    if not found:
        raise click.UsageError(f"no story matches {ref!r}")
    if len(found) > 1:
        raise click.UsageError(f"{ref!r} matches {len(found)} stories: {', '.join(found[:10])}")
    return found[0]


def _one_article(store: SQLiteStore, ref: str) -> str:
    found = store.resolve(ref)
    if not found:
        raise click.UsageError(f"no article matches {ref!r}")
    if len(found) > 1:
        raise click.UsageError(f"{ref!r} matches {len(found)} articles: {', '.join(found[:10])}")
    return found[0]


def report_grouping(report: Any) -> str:
    merged = f", {len(report.merged)} merged" if report.merged else ""
    return (
        f"grouped {report.assigned} articles: {report.new_stories} new stories{merged}; "
        f"{report.stories} stories in all"
    )


@click.command("group")
@db_option
@click.option("--regroup", is_flag=True, help="Regroup the whole archive in one batch.")
@click.option("--no-time", is_flag=True, help="Ignore publication times (archives of old news).")
@click.option(
    "--embeddings",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Multilingual sentence embeddings (auto: only when languages are mixed).",
)
def group_command(db: Path, regroup: bool, no_time: bool, embeddings: str) -> None:
    """Put articles into stories (new ones online; all of them with --regroup).

    Story ids are stable: adding articles never renames a story, a merge keeps the
    older id, and your merges, splits and moves are replayed after a regrouping.
    """
    from storylens.group import group_new, regroup_all
    from storylens.stories.grouping import GroupingConfig

    config = GroupingConfig(use_time=not no_time)
    with existing_store(db) as store:
        mode: Any = embeddings
        report = regroup_all(store, config, mode) if regroup else group_new(store, config, mode)
    click.echo(report_grouping(report))


@click.command("stories")
@db_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True
)
def stories_command(db: Path, fmt: str) -> None:
    """List stories: articles, outlets, independent origins, first and last published."""
    from storylens.present.stories import print_story_table

    with existing_store(db) as store:
        stories = _summaries(store, [row.id for row in store.stories.live()])
    if fmt == "jsonl":
        for story in stories:
            click.echo(json.dumps(story.to_row(), ensure_ascii=False))
    else:
        print_story_table(stories, Console())


@click.command("story")
@click.argument("story")
@db_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def story_command(story: str, db: Path, fmt: str) -> None:
    """One story: its articles in publication order, lineage and history."""
    from storylens.present.stories import print_story

    with existing_store(db) as store:
        story_id = _one_story(store, story)
        (summary,) = _summaries(store, [story_id])
        memberships = {}
        for article in summary.articles:
            found = store.stories.membership(article.id)
            if found:
                memberships[article.id] = (found[1], found[2])
        events = store.stories.events(story_id)
    if fmt == "json":
        data = summary.to_row()
        data["lineage"] = list(summary.lineage)
        data["members"] = [
            {
                "article_id": a.id,
                "external_id": a.external_id,
                "method": memberships[a.id][0],
                "evidence": memberships[a.id][1],
            }
            for a in summary.articles
        ]
        data["events"] = events
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print_story(summary, memberships, events, Console())


@click.command("why")
@click.argument("article")
@db_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def why_command(article: str, db: Path, fmt: str) -> None:
    """Why an article is in its story: similarity, shared names, quotes, time gap, origin."""
    from storylens.present.stories import why_lines

    with existing_store(db) as store:
        article_id = _one_article(store, article)
        found = store.get(article_id)
        membership = store.stories.membership(article_id)
    assert found is not None
    story_id, method, evidence = membership if membership else (None, "", None)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "article_id": article_id,
                    "story_id": story_id,
                    "method": method,
                    "evidence": evidence,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for line in why_lines(found, story_id, method, evidence):
        click.echo(line)


def _edit(db: Path, action: Any) -> None:
    from storylens.group import OverrideError

    with existing_store(db) as store:
        try:
            message = action(store)
        except OverrideError as exc:
            raise click.UsageError(str(exc)) from exc
    click.echo(message)


@click.command("merge")
@click.argument("story")
@click.argument("other")
@db_option
def merge_command(story: str, other: str, db: Path) -> None:
    """Merge two stories (the older id is kept; remembered across regroupings)."""
    from storylens.group import merge

    def action(store: SQLiteStore) -> str:
        a, b = _one_story(store, story), _one_story(store, other)
        survivor = merge(store, a, b)
        return f"merged {b if survivor == a else a} into {survivor}"

    _edit(db, action)


@click.command("split")
@click.argument("story")
@click.argument("articles", nargs=-1, required=True)
@db_option
def split_command(story: str, articles: tuple[str, ...], db: Path) -> None:
    """Move ARTICLES out of STORY into a new story of their own."""
    from storylens.group import split

    def action(store: SQLiteStore) -> str:
        story_id = _one_story(store, story)
        ids = [_one_article(store, a) for a in articles]
        return f"split {len(ids)} article(s) from {story_id} into {split(store, story_id, ids)}"

    _edit(db, action)


@click.command("move")
@click.argument("article")
@click.argument("story")
@db_option
def move_command(article: str, story: str, db: Path) -> None:
    """Move ARTICLE into STORY."""
    from storylens.group import move

    def action(store: SQLiteStore) -> str:
        article_id = _one_article(store, article)
        return f"moved {article_id} into {move(store, article_id, _one_story(store, story))}"

    _edit(db, action)


@click.group("overrides")
def overrides_group() -> None:
    """Export or import people's merges, splits and moves."""


@overrides_group.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
@db_option
def overrides_export(file: Any, db: Path) -> None:
    """Write overrides as JSON Lines (to FILE or stdout)."""
    with existing_store(db) as store:
        for override in store.stories.overrides():
            file.write(json.dumps(override.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")


@overrides_group.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@db_option
def overrides_import(file: Any, db: Path) -> None:
    """Add overrides from a JSON Lines file and apply them."""
    from storylens.group import replay_overrides

    rows = []
    for number, line in enumerate(file, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if row["kind"] not in ("merge", "split", "move") or not isinstance(
                row["payload"], dict
            ):
                raise ValueError("kind must be merge, split or move, payload an object")
        except (ValueError, KeyError, TypeError) as exc:
            stderr().print(f"error: {file.name}#{number}: not an override ({exc})", markup=False)
            sys.exit(2)
        rows.append(row)
    with existing_store(db) as store, store.transaction():
        for row in rows:
            store.stories.add_override(row["kind"], row["payload"], row.get("at"))
        replay_overrides(store)
    click.echo(f"imported {len(rows)} overrides")


COMMANDS = [
    group_command,
    stories_command,
    story_command,
    why_command,
    merge_command,
    split_command,
    move_command,
    overrides_group,
]
