"""The `same-fact` command: the alignment's same-fact judge on sentence pairs from stdin."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

import click

from storylens.cli_common import EXIT_SOME_FAILED, stderr

BATCH = 256  # pairs scored together: texts shared within a batch are encoded once


def _pairs(stream: Iterable[bytes]) -> Iterator[tuple[int, tuple[str, str] | str | None]]:
    """(line number, pair) for good lines, (line number, reason) for bad ones, None for blanks."""
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8").removeprefix("\ufeff").rstrip("\r\n")
        except UnicodeDecodeError:
            yield number, "not UTF-8"
            continue
        if not line.strip():
            yield number, None
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            yield number, f"expected two tab-separated sentences, found {len(fields)} field(s)"
        elif not fields[0].strip() or not fields[1].strip():
            yield number, "a sentence is empty"
        else:
            yield number, (fields[0], fields[1])


@click.command("same-fact")
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Label 1 at or above this score (default: the shipped model's, 0.5).",
)
def same_fact_command(threshold: float | None) -> None:
    """Do two sentences state the same fact? The judgement the alignment uses.

    Reads `sentence<TAB>sentence` lines on standard input and writes `label<TAB>score`
    for each: label 1 when the two state the same fact, score the probability of it.
    One output line per input line, so the answers paste back beside the pairs: a blank
    input line gets an empty output line, and so does a malformed one, which also gets a
    one-line error on standard error; the other lines are still answered, and the exit
    code is then 1.
    """
    from storylens.compare.same_fact import SameFactJudge, default_judge

    judge = default_judge() if threshold is None else SameFactJudge(threshold=threshold)
    bad = 0
    batch: list[tuple[str, str]] = []

    def flush() -> None:
        for label, score in judge.judge(batch):
            click.echo(f"{label}\t{score:.4f}")
        batch.clear()

    stdin = sys.stdin.buffer
    for number, item in _pairs(stdin):
        if not isinstance(item, tuple):
            flush()  # keep output in input order around the gap
            click.echo("")
            if item is not None:
                bad += 1
                stderr().print(f"error: <stdin> line {number}: {item}", markup=False)
            continue
        batch.append(item)
        if len(batch) >= BATCH:
            flush()
    flush()
    if bad:
        sys.exit(EXIT_SOME_FAILED)
