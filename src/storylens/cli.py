"""The `storylens` command: one core, thin commands.

Exit status: 0 when every input was handled, 1 when some inputs failed (the rest were
processed), 2 on a usage error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from storylens import __version__
from storylens.cli_common import EXIT_SOME_FAILED, db_option, existing_store, stderr
from storylens.cli_compare import COMMANDS as COMPARE_COMMANDS
from storylens.cli_inputs import extract_stream, extraction_options, input_options
from storylens.cli_quotes import quotes_command
from storylens.cli_serve import SERVE_COMMANDS
from storylens.cli_stories import COMMANDS as STORY_COMMANDS
from storylens.cli_stories import report_grouping


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="storylens")
def main() -> None:
    """Compare how news outlets report the same story."""


@main.command("extract")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "jsonl", "text"]),
    default="json",
    show_default=True,
)
@extraction_options
def extract_command(inputs: tuple[str, ...], fmt: str, **kwargs: Any) -> None:
    """Read and extract articles without storing them.

    INPUTS are files, directories, globs, URLs or - for stdin. Every field of the
    article model is printed but the raw input.
    """
    read_options, extract_options = input_options(**kwargs)
    failed = 0
    articles: list[dict[str, Any]] = []
    for item in extract_stream(inputs, read_options, extract_options):
        if isinstance(item, str):
            failed += 1
            stderr().print(f"[red]error[/red]: {item}", markup=True, highlight=False)
            continue
        if fmt == "jsonl":
            click.echo(json.dumps(item.to_dict(), ensure_ascii=False))
        elif fmt == "text":
            from storylens.present.articles import article_text_block

            click.echo(article_text_block(item))
        else:
            articles.append(item.to_dict())
    if fmt == "json":
        click.echo(json.dumps(articles, ensure_ascii=False, indent=2))
    if failed:
        sys.exit(EXIT_SOME_FAILED)


@main.command("ingest")
@click.argument("inputs", nargs=-1, required=True)
@db_option
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Extraction processes.",
)
@click.option("--quiet", "-q", is_flag=True, help="Only the summary line and errors.")
@click.option(
    "--group/--no-group",
    "group",
    default=True,
    show_default=True,
    help="Put the new articles into stories after storing them.",
)
@extraction_options
def ingest_command(
    inputs: tuple[str, ...], db: Path, jobs: int, quiet: bool, group: bool, **kwargs: Any
) -> None:
    """Read, extract and store articles (idempotent: the same input twice adds nothing).

    INPUTS are files, directories (recursive), globs, URLs, feed URLs, or - for stdin.
    """
    from storylens.ingest import IngestEvent, ingest
    from storylens.store import open_store

    read_options, extract_options = input_options(**kwargs)
    err = stderr()
    with open_store(db) as store:
        progress = None
        task = None
        if not quiet and err.is_terminal:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TextColumn("{task.completed} inputs"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
            progress.start()
            task = progress.add_task("ingesting", total=None)

        def on_event(event: IngestEvent) -> None:
            if event.kind == "failed":
                err.print(f"error: {event.source}: {event.reason}", markup=False)
            if progress is not None and task is not None:
                progress.advance(task)

        try:
            report = ingest(
                list(inputs), store, read_options, extract_options, jobs=jobs, on_event=on_event
            )
        finally:
            if progress is not None:
                progress.stop()
        grouped = None
        if group and report.stored:
            from storylens.group import group_new

            grouped = group_new(store)
    linked = f" ({report.linked} linked as copies)" if report.linked else ""
    skipped = f", skipped {len(report.skipped)}" if report.skipped else ""
    click.echo(
        f"stored {report.stored}{linked}, already present {report.present}"
        f"{skipped}, failed {report.failed} — {db}"
    )
    if grouped is not None:
        click.echo(report_grouping(grouped))
    if not quiet:
        for line in report.skipped:
            err.print(f"skipped: {line}", markup=False)
    if report.failed:
        sys.exit(EXIT_SOME_FAILED)


@main.command("articles")
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "jsonl", "csv", "parquet"]),
    default="table",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to a file (required for parquet).",
)
@click.option("--limit", type=click.IntRange(1), help="At most this many articles.")
def articles_command(db: Path, fmt: str, output: Path | None, limit: int | None) -> None:
    """List stored articles with their metadata, in arrival order."""
    from storylens.present import articles as present

    if fmt == "parquet" and output is None:
        raise click.UsageError("--format parquet needs -o FILE")
    with existing_store(db) as store:

        def rows() -> Iterator[dict[str, Any]]:
            for index, article in enumerate(store.iter_articles()):
                if limit is not None and index >= limit:
                    return
                yield present.article_row(article, store.duplicate_info(article.id)[0])

        if fmt == "parquet":
            assert output is not None
            count = present.write_parquet(rows(), output)
            stderr().print(f"wrote {count} articles to {output}", markup=False)
            return
        handle = open(output, "w", encoding="utf-8", newline="") if output else None  # noqa: SIM115
        try:
            out = handle or sys.stdout
            if fmt == "jsonl":
                present.write_jsonl(rows(), out)
            elif fmt == "csv":
                present.write_csv(rows(), out)
            else:
                console = Console(file=out) if handle else Console()
                present.print_table(rows(), console)
        finally:
            if handle:
                handle.close()


@main.command("show")
@click.argument("article")
@db_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--text/--no-text", "with_text", default=False, help="Print the body too.")
def show_command(article: str, db: Path, fmt: str, with_text: bool) -> None:
    """Show one article's metadata and where each field came from.

    ARTICLE is an id, a unique id prefix, an external id or a URL.
    """
    from storylens.present.articles import print_article

    with existing_store(db) as store:
        ids = store.resolve(article)
        if not ids:
            raise click.UsageError(f"no article matches {article!r}")
        if len(ids) > 1:
            raise click.UsageError(
                f"{article!r} matches {len(ids)} articles: {', '.join(ids[:10])}"
            )
        found = store.get(ids[0])
        assert found is not None
        duplicate_of, _ = store.duplicate_info(found.id)
        copies = store.copies_of(found.id)
        if fmt == "json":
            data = found.to_dict()
            if not with_text:
                data.pop("text")
            data["duplicate_of"] = duplicate_of
            data["copies"] = copies
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            print_article(
                found, Console(), with_text=with_text, duplicate_of=duplicate_of, copies=copies
            )


for _command in [*STORY_COMMANDS, quotes_command, *COMPARE_COMMANDS, *SERVE_COMMANDS]:
    main.add_command(_command)


if __name__ == "__main__":
    main()
