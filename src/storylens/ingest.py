"""Read inputs, extract articles and store them, reporting each outcome.

This is the edge that joins readers, the extraction core and the store. Extraction is
CPU-bound (HTML parsing), so with `jobs > 1` it runs in worker processes while this
process reads and writes; the order of results stays the input order, so ids and
arrival order are deterministic.
"""

from __future__ import annotations

import functools
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from storylens.errors import InputError
from storylens.extract import ExtractOptions, extract
from storylens.model import Article
from storylens.readers import ReadOptions, read_inputs
from storylens.readers.base import (
    RawDocument,
    ReadCheckpoint,
    ReadFailure,
    ReadResult,
    ReadSkip,
    ValidatorUpdate,
)
from storylens.store.sqlite import AddResult, SQLiteStore


@dataclass(frozen=True, slots=True)
class IngestEvent:
    """One input's outcome, for progress display and the summary."""

    kind: Literal["stored", "present", "failed", "skipped"]
    source: str
    article_id: str | None = None
    reason: str | None = None
    duplicate_of: str | None = None


@dataclass(slots=True)
class IngestReport:
    stored: int = 0
    present: int = 0
    linked: int = 0  # of the stored, how many are copies linked to an earlier article
    skipped: list[str] = field(default_factory=list)  # unchanged feeds, robots.txt refusals
    failures: list[str] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)


Extracted = tuple[RawDocument, Article | None, str | None]
Passed = ReadFailure | ReadSkip | ReadCheckpoint


def _extract_one(item: tuple[RawDocument | Passed, ExtractOptions]) -> Extracted | Passed:
    raw, options = item
    if not isinstance(raw, RawDocument):
        return raw
    try:
        return raw, extract(raw, options), None
    except InputError as exc:
        return raw, None, exc.reason
    except Exception as exc:  # a bug must not end the batch: report it against the input
        return raw, None, f"internal error while extracting ({exc.__class__.__name__}: {exc})"


def extract_all(
    docs: Iterable[RawDocument | Passed], options: ExtractOptions, jobs: int = 1
) -> Iterator[Extracted | Passed]:
    """Extract every raw document, in input order, in `jobs` processes.

    Results come out in exactly the order the inputs went in, failures, skips and
    checkpoints included (a checkpoint must follow what it covers).
    """
    work = ((doc, options) for doc in docs)
    if jobs <= 1:
        yield from map(_extract_one, work)
        return
    # Reading stays in this thread (readers may use the store, e.g. HTTP validators);
    # only extraction goes to the workers, a bounded number of documents ahead.
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs) as pool:
        pending: deque[Callable[[], Extracted | Passed]] = deque()
        for item in work:
            if isinstance(item[0], RawDocument):
                pending.append(pool.apply_async(_extract_one, (item,)).get)
            else:
                pending.append(functools.partial(_identity, item[0]))
            while len(pending) > jobs * 4:
                yield pending.popleft()()
        while pending:
            yield pending.popleft()()


def _identity(item: Passed) -> Passed:
    return item


def ingest(
    targets: list[str],
    store: SQLiteStore,
    read_options: ReadOptions | None = None,
    extract_options: ExtractOptions | None = None,
    *,
    jobs: int = 1,
    on_event: Callable[[IngestEvent], None] | None = None,
) -> IngestReport:
    """Ingest every target into the store; one bad input never stops the batch."""
    read_options = read_options or ReadOptions()
    if read_options.validators is None:
        read_options.validators = store
    docs = read_inputs(targets, read_options)  # a generator: nothing is read yet
    return ingest_documents(
        docs, store, extract_options, targets=targets, jobs=jobs, on_event=on_event
    )


def ingest_documents(
    docs: Iterable[ReadResult],
    store: SQLiteStore,
    extract_options: ExtractOptions | None = None,
    *,
    targets: Sequence[str] = (),
    jobs: int = 1,
    on_event: Callable[[IngestEvent], None] | None = None,
) -> IngestReport:
    """Extract and store documents a caller is already reading (e.g. an uploaded file's
    `readers.read_stream`); `targets` names them in the store's run log."""
    extract_options = extract_options or ExtractOptions()
    report = IngestReport()
    run_id = store.start_run(list(targets))
    try:
        for item in extract_all(docs, extract_options, jobs):
            event = _store_one(store, item, run_id)
            if event is None:
                continue
            _count(report, event)
            if on_event:
                on_event(event)
    finally:
        store.finish_run(run_id, report.stored, report.present, report.failed)
    return report


def _remember(store: SQLiteStore, update: ValidatorUpdate) -> None:
    store.put_validators(update.url, update.etag, update.last_modified, update.status)


def _store_one(store: SQLiteStore, item: Extracted | Passed, run_id: int) -> IngestEvent | None:
    if isinstance(item, ReadCheckpoint):
        _remember(store, item.update)
        return None
    if isinstance(item, ReadSkip):
        return IngestEvent("skipped", item.source, reason=item.reason)
    if isinstance(item, ReadFailure):
        store.record_failure(run_id, item.source, item.reason)
        return IngestEvent("failed", item.source, reason=item.reason)
    raw, article, reason = item
    if article is None:
        store.record_failure(run_id, raw.source, reason or "unknown error")
        return IngestEvent("failed", raw.source, reason=reason)
    result: AddResult = store.add(article, raw)
    if raw.validators is not None:
        _remember(store, raw.validators)
    return IngestEvent(
        result.status, raw.source, result.article_id, duplicate_of=result.duplicate_of
    )


def _count(report: IngestReport, event: IngestEvent) -> None:
    if event.kind == "failed":
        report.failures.append(f"{event.source}: {event.reason}")
        return
    if event.kind == "skipped":
        report.skipped.append(f"{event.source}: {event.reason}")
        return
    if event.article_id:
        report.article_ids.append(event.article_id)
    if event.kind == "stored":
        report.stored += 1
        if event.duplicate_of:
            report.linked += 1
    else:
        report.present += 1
