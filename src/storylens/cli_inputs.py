"""Options and reading shared by every command that reads inputs (extract, ingest, compare)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from storylens.cli_common import stderr
from storylens.errors import InputError
from storylens.extract import ExtractOptions, extract
from storylens.extract.profiles import OutletProfiles, load_profiles
from storylens.extract.times import zone_by_name
from storylens.model import Article
from storylens.readers import FORMATS, ReadOptions, read_inputs
from storylens.readers.base import RawDocument, ReadFailure

F = TypeVar("F", bound=Callable[..., Any])


def extraction_options(func: F, *, tz_flag: str = "--tz") -> F:
    """Options shared by every command that reads inputs.

    `tz_flag` renames the input-zone option where `--tz` means something else (in
    `compare` it is the zone the report shows times in).
    """
    for option in reversed(
        [
            click.option(
                tz_flag,
                "tz",
                metavar="ZONE",
                help="Zone for times the input states without one "
                "(IANA name, offset or abbreviation).",
            ),
            click.option("--outlet", metavar="NAME", help="Outlet name for all inputs."),
            click.option(
                "--profiles",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="Outlet profiles (TOML): names, domains, zones.",
            ),
            click.option(
                "--input-format",
                type=click.Choice(sorted(FORMATS)),
                help="Read every input as this format instead of detecting it.",
            ),
            click.option(
                "--column",
                "columns",
                multiple=True,
                metavar="FIELD=COLUMN",
                help="JSONL/CSV column for a field, e.g. --column text=maintext.",
            ),
            click.option(
                "--no-fetch-linked",
                is_flag=True,
                help="Feeds: do not fetch pages for entries that carry only a summary.",
            ),
            click.option(
                "--time-limit",
                type=float,
                default=10.0,
                show_default=True,
                help="Seconds per HTML page before giving up on it.",
            ),
            click.option(
                "--request-interval",
                type=click.FloatRange(0),
                default=1.0,
                show_default=True,
                help="Seconds between requests to one host.",
            ),
            click.option("--user-agent", metavar="UA", help="User agent for fetching URLs."),
        ]
    ):
        func = option(func)
    return func


def input_options(
    tz: str | None,
    outlet: str | None,
    profiles: Path | None,
    input_format: str | None,
    columns: tuple[str, ...],
    no_fetch_linked: bool,
    time_limit: float,
    request_interval: float,
    user_agent: str | None,
) -> tuple[ReadOptions, ExtractOptions]:
    if tz:
        try:
            zone_by_name(tz)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--tz") from exc
    mapping = {}
    for item in columns:
        field, sep, column = item.partition("=")
        if not sep or not field or not column:
            raise click.BadParameter(f"expected FIELD=COLUMN, got {item!r}", param_hint="--column")
        mapping[field.strip()] = column.strip()
    try:
        loaded = load_profiles(profiles) if profiles else OutletProfiles()
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--profiles") from exc
    read_options = ReadOptions(
        format=input_format,
        columns=mapping,
        fetch_linked=not no_fetch_linked,
        request_interval=request_interval,
        user_agent=user_agent,
    )
    extract_options = ExtractOptions(
        default_tz=tz, profiles=loaded, outlet=outlet, time_limit=time_limit
    )
    return read_options, extract_options


def extract_stream(
    inputs: tuple[str, ...], read_options: ReadOptions, extract_options: ExtractOptions
) -> Iterator[Article | str]:
    for doc in read_inputs(list(inputs), read_options):
        if isinstance(doc, ReadFailure):
            yield str(doc)
        elif isinstance(doc, RawDocument):
            try:
                yield extract(doc, extract_options)
            except InputError as exc:
                yield str(exc)
        else:
            stderr().print(f"skipped: {doc}", markup=False)
