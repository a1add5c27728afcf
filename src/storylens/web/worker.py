"""The background worker: runs queued jobs and polls feeds, beside the web server.

Requests only queue work (`store.jobs`); this thread does it, one job at a time, on its
own connection to the store: reading an upload or a URL, extracting and storing the
articles, grouping them into stories, and (re)computing the analyses of the stories
that changed. When there is nothing queued it looks for feeds that are due and for
stories whose stored analysis is missing or stale. A job that fails records a one-line
reason and the worker goes on with the next.

Every URL goes through the SSRF-safe fetcher (`storylens.web.urlguard`) unless the
settings allow private addresses, linked pages of an uploaded feed included.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from storylens.extract import ExtractOptions
from storylens.group import group_new
from storylens.ingest import IngestEvent, IngestReport, ingest_documents
from storylens.readers import ReadOptions, is_url, read_inputs, read_stream
from storylens.readers.base import ReadResult
from storylens.readers.url import DEFAULT_USER_AGENT, NOT_MODIFIED, UrlFetcher
from storylens.store.jobs import JOB_KINDS, Job, JobQueue, one_line
from storylens.store.sqlite import SQLiteStore
from storylens.web.settings import ServeSettings
from storylens.web.urlguard import guarded_fetcher

__all__ = ["JobError", "Worker"]

log = logging.getLogger("storylens.worker")

ANALYSE_BATCH = 50  # stale analyses queued per look
SWEEP_EVERY_S = 30.0  # how often an idle worker looks for stale analyses when none were
RETRY_FAILED_ANALYSIS = timedelta(hours=1)  # a story whose analysis failed waits this long
PROGRESS_EVERY_S = 0.5  # progress lines are written at most this often
MAX_LISTED = 1000  # article ids kept in a job's result
MAX_NAME = 200
HEARTBEAT_S = 5.0  # how often the worker notes in the store that it is alive (see /health)


class JobError(Exception):
    """A job that cannot be done; `str()` is the one-line reason it records."""


class Worker:
    """Runs the job queue of `settings.db` in one daemon thread.

    `kinds` limits the job kinds this worker runs (the others stay queued for another
    worker); tests use it to leave slow analyses queued. `request_interval` spaces
    requests to one host (politeness); tests set it to 0.
    """

    def __init__(
        self,
        settings: ServeSettings,
        *,
        kinds: Collection[str] = JOB_KINDS,
        request_interval: float = 1.0,
        extract_options: ExtractOptions | None = None,
    ) -> None:
        self.settings = settings
        self.kinds = frozenset(kinds)
        self.request_interval = request_interval
        self.extract_options = extract_options or ExtractOptions()
        self.current_job: int | None = None
        self._stopping = threading.Event()
        self._last_heartbeat = float("-inf")
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._fetcher: UrlFetcher | None = None
        self._next_sweep = 0.0
        self._handlers: dict[str, Callable[[SQLiteStore, Job], dict[str, Any]]] = {
            "ingest_upload": self._ingest_upload,
            "fetch_url": self._fetch_url,
            "poll_feed": self._poll_feed,
            "analyse_story": self._analyse_story,
        }

    # -- control -----------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread. It first requeues jobs a previous run left running."""
        if self.alive:
            raise RuntimeError("the worker is already running")
        self._stopping.clear()
        self._wake.clear()
        self._thread = threading.Thread(target=self._run, name="storylens-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop taking jobs, and wait up to `timeout` seconds for the job in hand.

        A job is never cut off midway: it either finishes within `timeout`, or it is
        left in the store as 'running' while this daemon thread ends with the process.
        The next `start()` (of any worker on this store) calls `requeue_running()`,
        which puts it back in the queue; that is safe because storing is idempotent,
        so a rerun adds only what the first attempt did not. Queued jobs are never
        touched. Returns whether the thread has ended.
        """
        self._stopping.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def wake(self) -> None:
        """Look for work now instead of at the end of the idle sleep (a job was queued)."""
        self._wake.set()

    # -- the loop ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            store = SQLiteStore(self.settings.db)
        except Exception as exc:
            _log(logging.ERROR, "worker.failed", db=str(self.settings.db), error=_reason(exc))
            return
        try:
            requeued = store.jobs.requeue_running()
            _log(logging.INFO, "worker.start", db=str(self.settings.db), requeued=requeued)
            while not self._stopping.is_set():
                try:
                    busy = self._step(store)
                except Exception as exc:  # e.g. the store locked for too long: try again later
                    _rollback(store)
                    _log(logging.ERROR, "worker.error", error=_reason(exc))
                    busy = False
                if not busy:
                    self._wake.wait(self.settings.poll_interval_s)
                    self._wake.clear()
        finally:
            if self._fetcher is not None:
                self._fetcher.close()
                self._fetcher = None
            store.close()
            _log(logging.INFO, "worker.stop", db=str(self.settings.db))

    def _step(self, store: SQLiteStore) -> bool:
        """Do one thing; False when there was nothing to do."""
        if time.monotonic() - self._last_heartbeat >= HEARTBEAT_S:
            store.jobs.heartbeat()
            self._last_heartbeat = time.monotonic()
        if "poll_feed" in self.kinds:
            for url in store.jobs.claim_due_feeds():
                store.jobs.enqueue_unique("poll_feed", {"url": url}, submitted_by="schedule")
        job = store.jobs.claim(self.kinds)
        if job is not None:
            self._execute(store, job)
            return True
        return self._queue_stale_analyses(store)

    def _execute(self, store: SQLiteStore, job: Job) -> None:
        started = time.monotonic()
        subject = _subject(job)
        self.current_job = job.id
        _log(logging.INFO, "job.start", job=job.id, kind=job.kind, attempt=job.attempts, **subject)
        try:
            handler = self._handlers.get(job.kind)
            if handler is None:
                raise JobError(f"unknown job kind {job.kind!r}")
            result = handler(store, job)
        except Exception as exc:
            _rollback(store)
            error = str(exc) if isinstance(exc, JobError) else _reason(exc)
            if not isinstance(exc, JobError):
                log.debug("job %d traceback", job.id, exc_info=True)
            store.jobs.fail(job.id, error)
            seconds = round(time.monotonic() - started, 3)
            fields = {"job": job.id, "kind": job.kind, "seconds": seconds}
            _log(logging.WARNING, "job.failed", **fields, error=one_line(error), **subject)
        else:
            store.jobs.finish(job.id, result)
            seconds = round(time.monotonic() - started, 3)
            counts = {k: v for k, v in result.items() if isinstance(v, int | bool)}
            fields = {"job": job.id, "kind": job.kind, "seconds": seconds}
            _log(logging.INFO, "job.done", **fields, **subject, **counts)
        finally:
            self.current_job = None

    def _queue_stale_analyses(self, store: SQLiteStore) -> bool:
        """Queue analyses for stories whose stored one is missing or out of date.

        Stories whose analysis failed lately are left alone for a while, so a story
        that cannot be analysed does not keep the worker busy failing it.
        """
        if "analyse_story" not in self.kinds or time.monotonic() < self._next_sweep:
            return False
        since = _iso(datetime.now(UTC) - RETRY_FAILED_ANALYSIS)
        failed = {
            j.payload.get("story_id") for j in store.jobs.failed_since("analyse_story", since)
        }
        queued = 0
        for story_id in store.analyses.stale_or_missing(ANALYSE_BATCH + len(failed)):
            if story_id in failed:
                continue
            if store.jobs.enqueue_unique("analyse_story", {"story_id": story_id}, "stale"):
                queued += 1
        if not queued:
            self._next_sweep = time.monotonic() + SWEEP_EVERY_S
        return queued > 0

    # -- the job kinds -----------------------------------------------------------------

    def _ingest_upload(self, store: SQLiteStore, job: Job) -> dict[str, Any]:
        name = _upload_name(job.payload.get("name"))
        data = store.jobs.data(job.id)
        if not data:
            raise JobError(f"{name}: the uploaded file is empty or gone")
        docs = read_stream(io.BytesIO(data), name, self._read_options(store))
        return self._ingest(store, job, docs, name, upload=True)

    def _fetch_url(self, store: SQLiteStore, job: Job) -> dict[str, Any]:
        url = _payload_url(job)
        return self._ingest(store, job, read_inputs([url], self._read_options(store)), url)

    def _poll_feed(self, store: SQLiteStore, job: Job) -> dict[str, Any]:
        url = _payload_url(job)
        try:
            result = self._ingest(store, job, read_inputs([url], self._read_options(store)), url)
        except Exception as exc:
            _rollback(store)
            reason = str(exc) if isinstance(exc, JobError) else _reason(exc)
            store.jobs.feed_polled(url, f"failed: {reason}")
            raise
        store.jobs.feed_polled(url, _poll_status(result))
        return result

    def _analyse_story(self, store: SQLiteStore, job: Job) -> dict[str, Any]:
        from storylens.analyse_story import analyse_story

        story_id = job.payload.get("story_id")
        if not isinstance(story_id, str) or not story_id:
            raise JobError("the job names no story")
        story_id = store.stories.survivor(story_id)
        members = store.stories.members(story_id)
        if not members:
            return {"story_id": story_id, "analysed": False, "reason": "the story has no articles"}
        header = store.analyses.header(story_id)
        fresh = header is not None and header.fresh_for(members)
        if fresh and not job.payload.get("force"):
            return {"story_id": story_id, "analysed": False, "reason": "already up to date"}
        store.jobs.progress(job.id, f"analysing {len(members)} articles")
        stored = analyse_story(store, story_id, nlp=self._nlp(), zone=self.settings.zone)
        if stored is None:
            return {"story_id": story_id, "analysed": False, "reason": "the story has no articles"}
        return {
            "story_id": story_id,
            "analysed": True,
            "articles": len(members),
            "members_key": stored.members_key,
            "computed_at": stored.computed_at,
        }

    # -- shared steps ------------------------------------------------------------------

    def _ingest(
        self,
        store: SQLiteStore,
        job: Job,
        docs: Iterable[ReadResult],
        label: str,
        upload: bool = False,
    ) -> dict[str, Any]:
        """Store what `docs` yields, group it, queue analyses of the stories it changed."""
        progress = _Progress(store.jobs, job.id)
        report = ingest_documents(
            docs, store, self.extract_options, targets=[label], on_event=progress.add
        )
        progress.flush()
        _refuse_empty(report, label, upload)
        pending = store.stories.unassigned()
        touched: list[str] = []
        if pending:
            store.jobs.progress(job.id, f"{progress.line}; grouping {len(pending)}")
            group_new(store)
            touched = sorted({s for s in map(store.stories.story_of, pending) if s})
            for story_id in touched:
                store.jobs.enqueue("analyse_story", {"story_id": story_id}, None, job.submitted_by)
        return {
            "read": progress.read,
            "stored": report.stored,
            "present": report.present,
            "linked": report.linked,
            "failed": report.failed,
            "skipped": len(report.skipped),
            "article_ids": report.article_ids[:MAX_LISTED],
            "failures": report.failures[:20],
            "skips": report.skipped[:20],
            "stories": touched,
        }

    def _read_options(self, store: SQLiteStore) -> ReadOptions:
        return ReadOptions(
            fetcher=self._get_fetcher(store),
            validators=store,
            request_interval=self.request_interval,
        )

    def _get_fetcher(self, store: SQLiteStore) -> UrlFetcher:
        """One fetcher for the worker's life: robots.txt cache and per-host pacing last."""
        if self._fetcher is None:
            make: Callable[..., UrlFetcher] = (
                UrlFetcher if self.settings.allow_private_urls else guarded_fetcher
            )
            self._fetcher = make(
                validators=store,
                defer_validators=True,  # remembered once what was fetched is stored
                min_interval=self.request_interval,
                user_agent=DEFAULT_USER_AGENT,
            )
        return self._fetcher

    def _nlp(self) -> Any:
        from storylens.nlp.pipeline import ModelMissingError, load

        try:
            return load(self.settings.model)
        except ModelMissingError as exc:
            raise JobError(str(exc)) from exc


class _Progress:
    """Counts an ingest's outcomes and writes them as the job's progress line."""

    def __init__(self, jobs: JobQueue, job_id: int) -> None:
        self.jobs = jobs
        self.job_id = job_id
        self.counts = {"stored": 0, "present": 0, "failed": 0, "skipped": 0}
        self._written = 0.0

    @property
    def read(self) -> int:
        return sum(self.counts.values())

    @property
    def line(self) -> str:
        parts = [f"read {self.read}"]
        parts += [f"{kind} {n}" for kind, n in self.counts.items() if n or kind != "skipped"]
        return ", ".join(parts)

    def add(self, event: IngestEvent) -> None:
        self.counts[event.kind] += 1
        if time.monotonic() - self._written >= PROGRESS_EVERY_S:
            self.flush()

    def flush(self) -> None:
        self.jobs.progress(self.job_id, self.line)
        self._written = time.monotonic()


def _refuse_empty(report: IngestReport, label: str, upload: bool) -> None:
    """Nothing stored and something went wrong: the job failed, with the first reason."""
    if report.stored or report.present:
        return
    if report.failures:
        more = len(report.failures) - 1
        raise JobError(report.failures[0] + (f" (and {more} more failures)" if more else ""))
    real_skips = [s for s in report.skipped if not s.endswith(NOT_MODIFIED)]
    if real_skips:
        raise JobError(real_skips[0])
    if upload and not report.skipped:
        raise JobError(f"{label}: no articles found")


def _poll_status(result: dict[str, Any]) -> str:
    if result["skipped"] and not (result["stored"] or result["present"] or result["failed"]):
        return "not modified" if result["skips"][0].endswith(NOT_MODIFIED) else result["skips"][0]
    return f"ok: stored {result['stored']}, present {result['present']}, failed {result['failed']}"


def _payload_url(job: Job) -> str:
    url = job.payload.get("url")
    if not isinstance(url, str) or not url.strip():
        raise JobError("the job names no URL")
    url = url.strip()
    if not is_url(url):  # never a path or stdin: read_inputs would open those
        raise JobError(f"{url}: only http and https URLs can be fetched")
    return url


def _upload_name(name: object) -> str:
    """The upload's file name as a label (it picks the reader); never used as a path."""
    text = name if isinstance(name, str) else ""
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    return one_line(text, MAX_NAME) or "upload"


def _subject(job: Job) -> dict[str, Any]:
    """What the job is about, for its log lines."""
    payload = job.payload
    if "url" in payload:
        return {"url": payload["url"]}
    if "story_id" in payload:
        return {"story_id": payload["story_id"]}
    if "name" in payload:
        return {"upload": payload["name"]}
    return {}


def _rollback(store: SQLiteStore) -> None:
    """Leave no transaction open after a failure (the next job needs the connection)."""
    try:
        if store.conn.in_transaction:
            store.conn.execute("ROLLBACK")
    except Exception:
        pass  # the connection is past helping; the next step will say so


def _reason(exc: BaseException) -> str:
    return one_line(f"internal error ({exc.__class__.__name__}: {exc})")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _log(level: int, event: str, **fields: Any) -> None:
    """One line: the event, then key=value pairs (quoted when they hold spaces).

    The fields also go as `extra`, so a JSON formatter (`web.logs`) gets them as keys.
    """
    parts = [event]
    for key, value in fields.items():
        text = "" if value is None else str(value)
        if not text or any(c in text for c in ' ="\n'):
            text = json.dumps(text, ensure_ascii=False)
        parts.append(f"{key}={text}")
    log.log(level, " ".join(parts), extra={"event": event, **fields})
