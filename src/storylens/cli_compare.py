"""The `compare` and `report` commands: what each source says, side by side.

`compare` runs the whole pipeline on files, directories, globs or URLs without a store;
`report` does the same for a story already in the store. Both end in one of four
renderings of the same `Comparison`: terminal, Markdown, static HTML or versioned JSON.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console

from storylens.cli_common import EXIT_SOME_FAILED, db_option, stderr
from storylens.cli_inputs import extract_stream, extraction_options, input_options
from storylens.cli_same_fact import same_fact_command
from storylens.model import Article

if TYPE_CHECKING:
    from storylens.compare.model import Comparison

FORMATS = ("text", "markdown", "html", "json")


def _display_zone(zone: str) -> str:
    """The report's zone: an IANA name (or UTC); abbreviations are ambiguous here."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if zone.upper() == "UTC":
        return "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise click.BadParameter(
            f"{zone!r} is not an IANA time zone (e.g. Europe/Moscow, America/New_York, UTC)",
            param_hint="--tz",
        ) from exc
    return zone


def _report_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option(
                "--tz",
                "zone",
                default="UTC",
                show_default=True,
                metavar="ZONE",
                help="Zone the report shows times in (IANA name).",
            ),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(FORMATS),
                default="text",
                show_default=True,
            ),
            click.option(
                "-o",
                "--output",
                "outputs",
                multiple=True,
                type=click.Path(dir_okay=False, path_type=Path),
                help="Write the report to this file instead of standard output; repeat it "
                "for several formats from one comparison (.html, .json, .md, .txt name "
                "their format; other names take --format).",
            ),
            click.option(
                "--model",
                metavar="NAME",
                envvar="STORYLENS_SPACY_MODEL",
                help="spaCy pipeline: an installed package or a path.",
            ),
        ]
    ):
        func = option(func)
    return func


def _with_input_zone_flag(func: Callable[..., Any]) -> Callable[..., Any]:
    return extraction_options(func, tz_flag="--assume-tz")


@click.command("compare")
@click.argument("inputs", nargs=-1, required=True)
@_report_options
@click.option(
    "--no-group",
    is_flag=True,
    help="Compare every input as one story instead of the largest story found in them.",
)
@_with_input_zone_flag
def compare_command(
    inputs: tuple[str, ...],
    zone: str,
    fmt: str,
    outputs: tuple[Path, ...],
    model: str | None,
    no_group: bool,
    **kwargs: Any,
) -> None:
    """Compare how the given reports tell one story.

    INPUTS are files, directories, globs, URLs or - for stdin, read on the fly (nothing
    is stored). The inputs are grouped into stories first and the largest story is
    compared; the others are named on standard error (--no-group compares them all).
    Times the inputs state without a zone stay intervals unless --assume-tz pins them.
    """
    zone = _display_zone(zone)
    read_options, extract_options = input_options(**kwargs)
    articles: list[Article] = []
    failed = 0
    for item in extract_stream(inputs, read_options, extract_options):
        if isinstance(item, str):
            failed += 1
            stderr().print(f"error: {item}", markup=False, highlight=False)
        else:
            articles.append(item)
    if not articles:
        raise click.ClickException("no article could be read from the inputs")
    chosen = articles if no_group else _largest_story(articles)
    _run(chosen, zone, fmt, outputs, model, story_id=None)
    if failed:
        sys.exit(EXIT_SOME_FAILED)


@click.command("report")
@click.argument("story")
@db_option
@_report_options
def report_command(
    story: str,
    db: Path,
    zone: str,
    fmt: str,
    outputs: tuple[Path, ...],
    model: str | None,
) -> None:
    """Compare the articles of a stored story (STORY: its id or a unique prefix)."""
    from storylens.cli_quotes import story_articles

    zone = _display_zone(zone)
    articles = story_articles(db, story)
    story_id = _story_id(db, story)
    _run(articles, zone, fmt, outputs, model, story_id=story_id)


def _story_id(db: Path, ref: str) -> str | None:
    from storylens.cli_common import existing_store

    with existing_store(db) as store:
        found = store.stories.resolve(ref)
    return found[0] if len(found) == 1 else None


def _largest_story(articles: Sequence[Article]) -> list[Article]:
    """The members of the largest story among the articles; the rest named on stderr."""
    from storylens.compare import publication_order
    from storylens.group import story_encoder
    from storylens.stories.features import extract_many
    from storylens.stories.grouping import StoryGrouper

    if len(articles) < 3:
        return list(articles)
    ordered = sorted(articles, key=publication_order)
    grouper = StoryGrouper()
    features = extract_many(ordered, story_encoder("auto", ordered))
    keys = [grouper.add_features(f).story for f in features]
    members: dict[str, list[Article]] = {}
    for key, article in zip(keys, ordered, strict=True):
        members.setdefault(key, []).append(article)
    stories = sorted(members.values(), key=lambda m: -len(m))  # stable: earliest story wins ties
    if len(stories[0]) < 2:
        stderr().print(
            "note: the inputs look like different stories; comparing them all", markup=False
        )
        return list(articles)
    for other in stories[1:]:
        names = ", ".join(a.source for a in other)
        stderr().print(f"note: left out (another story): {names}", markup=False)
    chosen = {a.id for a in stories[0]}
    return [a for a in articles if a.id in chosen]


def _run(
    articles: Sequence[Article],
    zone: str,
    fmt: str,
    outputs: Sequence[Path],
    model: str | None,
    *,
    story_id: str | None,
) -> None:
    from storylens.compare import compare
    from storylens.nlp.pipeline import ModelMissingError, load

    try:
        nlp = load(model)
    except ModelMissingError as exc:
        raise click.ClickException(str(exc)) from exc
    if len(articles) < 2:
        stderr().print("note: only one article: nothing to compare it with", markup=False)
    comparison = compare(articles, zone=zone, nlp=nlp, story_id=story_id)
    if not outputs:
        _write(comparison, fmt, None)
    for output in outputs:
        _write(comparison, SUFFIX_FORMATS.get(output.suffix.lower(), fmt), output)


SUFFIX_FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
}


def _write(comparison: Comparison, fmt: str, output: Path | None) -> None:
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "text":
        from storylens.present.report_text import render_comparison

        if output is None:
            render_comparison(comparison, Console(highlight=False))
            return
        with output.open("w", encoding="utf-8") as handle:
            render_comparison(
                comparison, Console(file=handle, width=120, highlight=False, color_system=None)
            )
        stderr().print(f"report: {output}", markup=False)
        return
    if fmt == "markdown":
        from storylens.present.report_markdown import comparison_markdown

        text = comparison_markdown(comparison)
    elif fmt == "html":
        from storylens.present.report_html import comparison_html

        text = comparison_html(comparison)
    else:
        from storylens.present.report_json import comparison_json

        text = comparison_json(comparison)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        stderr().print(f"report: {output}", markup=False)


COMMANDS = [compare_command, report_command, same_fact_command]
