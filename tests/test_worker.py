"""The background worker against a real store and real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from storylens.group import group_new
from storylens.ingest import ingest
from storylens.store import SQLiteStore
from storylens.store.jobs import Job
from storylens.web.settings import ServeSettings
from storylens.web.worker import Worker
from tests.conftest import EXAMPLES
from tests.httpserver import HTTPTestServer, Response

T = TypeVar("T")
HTML = {"Content-Type": "text/html; charset=utf-8"}
# Analyses need spaCy (seconds each): most tests leave them queued and only check that.
NO_ANALYSES = ("ingest_upload", "fetch_url", "poll_feed")

HARBOUR = [
    "The harbour authority of Lindqvist closed the northern pier on Tuesday after storm "
    "damage was found beneath the loading platform.",
    "Engineers said two of the concrete supports had cracked during the gale on Sunday night "
    "and that repairs would take at least three weeks.",
    '"We will not reopen the pier until every support has been replaced," harbour master '
    "Ingrid Solheim told reporters at the quay.",
    "Ferries to the outer islands will sail from the southern terminal in the meantime, "
    "adding about twenty minutes to each crossing.",
    "Local traders said the closure came at the worst time of the year, just before the "
    "spring fishing season opens.",
]
LIBRARY = [
    "The city council of Aldmere voted on Wednesday to keep the central library open on "
    "Sundays after a petition gathered more than eight thousand signatures.",
    "The library had planned to close on Sundays from April to save money on heating and "
    "staff, a plan that drew protests from students and families.",
    '"People told us clearly that the library is the living room of the city," councillor '
    "Tomasz Berg said after the vote.",
    "The extra cost of about forty thousand euros a year will come from the culture budget, "
    "which the council will review in the autumn.",
    "Library staff welcomed the decision and said they would extend the children's reading "
    "hour on Sunday mornings.",
]


def page(title: str, paragraphs: list[str], published: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='article:published_time' content='{published}'>"
        f"<meta property='og:site_name' content='Test Herald'></head>"
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def feed(base: str) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
        f"<pubDate>{date}</pubDate><description>{summary}</description></item>"
        for title, path, date, summary in (
            ("Storm damage shuts northern pier", "/harbour.html", "Tue, 03 Mar 2026 09:00:00 +0000",
             "The pier is closed."),
            ("Library stays open on Sundays", "/library.html", "Wed, 04 Mar 2026 10:00:00 +0000",
             "The council voted."),
        )
    )  # fmt: skip
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Test Herald</title><link>{base}/</link>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def site() -> Iterator[HTTPTestServer]:
    with HTTPTestServer() as server:
        server.set(
            "/harbour.html",
            (200, HTML, page("Storm damage shuts northern pier", HARBOUR, "2026-03-03T09:00:00Z")),
        )
        server.set(
            "/library.html",
            (200, HTML, page("Library stays open on Sundays", LIBRARY, "2026-03-04T10:00:00Z")),
        )
        server.set(
            "/feed.xml",
            (200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, feed(server.base_url)),
        )
        yield server


def settings_for(tmp_path: Path, **changes: Any) -> ServeSettings:
    values: dict[str, Any] = {
        "db": tmp_path / "serve.db",
        "allow_private_urls": True,
        "poll_interval_s": 0.05,
    }
    values.update(changes)
    return ServeSettings(**values)


@pytest.fixture
def start_worker() -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []

    def start(settings: ServeSettings, **options: Any) -> Worker:
        options.setdefault("kinds", NO_ANALYSES)
        options.setdefault("request_interval", 0.0)
        worker = Worker(settings, **options)
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop(timeout=60)


def wait_for(check: Callable[[], T | None], timeout: float = 60.0, what: str = "it") -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def ended(store: SQLiteStore, job_id: int, timeout: float = 60.0) -> Job:
    def check() -> Job | None:
        job = store.jobs.get(job_id)
        return job if job is not None and job.status in ("done", "failed") else None

    return wait_for(check, timeout, f"job {job_id} to end")


def queued_analyses(store: SQLiteStore) -> set[str]:
    jobs = store.jobs.recent(limit=1000, kind="analyse_story", status="queued").items
    return {job.payload["story_id"] for job in jobs}


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def worker_log() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("storylens.worker")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)


# -- uploads ---------------------------------------------------------------------------


def test_an_uploaded_page_is_stored_grouped_and_queued_for_analysis(
    tmp_path: Path, start_worker: Callable[..., Worker], worker_log: Lines
) -> None:
    settings = settings_for(tmp_path)
    data = (EXAMPLES / "strait-gazette.html").read_bytes()
    with SQLiteStore(settings.db) as store:
        job_id = store.jobs.enqueue("ingest_upload", {"name": "strait-gazette.html"}, data, "ed")
        worker = start_worker(settings)
        job = ended(store, job_id)
        assert job.status == "done", job.error
        assert job.progress is not None
        assert job.progress.startswith("read 1, stored 1, present 0, failed 0")
        assert job.result is not None
        assert (job.result["stored"], job.result["failed"]) == (1, 0)
        (article_id,) = job.result["article_ids"]
        article = store.get(article_id)
        assert article is not None and "Korvhaven" in article.text
        story = store.stories.story_of(article_id)
        assert story is not None and job.result["stories"] == [story]
        assert queued_analyses(store) == {story}
        assert store.jobs.data(job_id) is None  # the upload's bytes are gone once stored
        raw = store.raw(article_id)
        assert raw == data  # ... but the article keeps its raw input
        assert worker.alive
    done = [line for line in worker_log.lines if line.startswith("job.done")]
    assert re.match(
        rf"^job\.done job={job_id} kind=ingest_upload seconds=[\d.]+ upload=strait-gazette\.html"
        r" read=1 stored=1 present=0 linked=0 failed=0 skipped=0$",
        done[0],
    ), done
    started = f"job.start job={job_id} kind=ingest_upload attempt=1 upload=strait-gazette.html"
    assert started in worker_log.lines


def test_an_uploaded_jsonl_file_stores_its_records_and_reports_the_bad_one(
    tmp_path: Path, start_worker: Callable[..., Worker]
) -> None:
    settings = settings_for(tmp_path)
    records = [
        {"id": "r1", "title": "Storm damage shuts northern pier", "text": "\n\n".join(HARBOUR),
         "url": "https://herald.example/harbour", "published": "2026-03-03T09:00:00Z",
         "outlet": "Test Herald"},
        {"id": "r2", "title": "Library stays open on Sundays", "text": "\n\n".join(LIBRARY),
         "url": "https://herald.example/library", "published": "2026-03-04T10:00:00Z",
         "outlet": "Test Herald"},
    ]  # fmt: skip
    data = ("\n".join(json.dumps(r) for r in records) + "\n{not json\n").encode()
    with SQLiteStore(settings.db) as store:
        first = store.jobs.enqueue("ingest_upload", {"name": "export.jsonl"}, data)
        start_worker(settings)
        job = ended(store, first)
        assert job.status == "done", job.error
        assert job.progress is not None
        assert job.progress.startswith("read 3, stored 2, present 0, failed 1")
        assert job.result is not None and len(job.result["failures"]) == 1
        assert job.result["failures"][0].startswith("export.jsonl#3: ")
        assert store.count() == 2
        stories = {store.stories.story_of(a) for a in job.result["article_ids"]}
        assert len(stories) == 2 and None not in stories
        assert queued_analyses(store) == stories

        again = ended(store, store.jobs.enqueue("ingest_upload", {"name": "export.jsonl"}, data))
        assert again.status == "done" and again.result is not None
        assert (again.result["stored"], again.result["present"]) == (0, 2)
        assert again.result["stories"] == []  # nothing changed: nothing to reanalyse
        assert store.jobs.counts()["queued"] == 2


# -- URLs and feeds ----------------------------------------------------------------------


def test_a_fetched_url_is_stored_and_grouped(
    tmp_path: Path, site: HTTPTestServer, start_worker: Callable[..., Worker]
) -> None:
    settings = settings_for(tmp_path)
    url = site.url("/harbour.html")
    with SQLiteStore(settings.db) as store:
        job_id = store.jobs.enqueue("fetch_url", {"url": url})
        start_worker(settings)
        job = ended(store, job_id)
        assert job.status == "done", job.error
        assert job.result is not None and job.result["stored"] == 1
        article = store.get(job.result["article_ids"][0])
        assert article is not None and article.url == url
        assert article.title == "Storm damage shuts northern pier"
        assert queued_analyses(store) == set(job.result["stories"])


def test_a_due_feed_is_polled_and_its_entries_stored(
    tmp_path: Path, site: HTTPTestServer, start_worker: Callable[..., Worker]
) -> None:
    settings = settings_for(tmp_path)
    url = site.url("/feed.xml")
    with SQLiteStore(settings.db) as store:
        store.jobs.add_feed(url, 3600)
        worker = start_worker(settings)

        def polls() -> list[Job]:
            items = store.jobs.recent(kind="poll_feed").items
            return [j for j in items if j.status in ("done", "failed")]

        (first,) = wait_for(polls, what="the feed to be polled")
        assert first.status == "done", first.error
        assert first.submitted_by == "schedule"
        assert first.result is not None and first.result["stored"] == 2
        urls = sorted(a.url or "" for a in store.iter_articles())
        assert urls == [site.url("/harbour.html"), site.url("/library.html")]
        polled = store.jobs.feed(url)
        assert polled is not None and polled.last_status == "ok: stored 2, present 0, failed 0"
        assert polled.next_poll_at > polled.last_polled_at  # type: ignore[operator]
        assert len(queued_analyses(store)) == 2  # two unrelated stories

        store.jobs.add_feed(url, 3600)  # due again now
        worker.wake()
        second, _ = wait_for(lambda: polls() if len(polls()) == 2 else None, what="a second poll")
        assert second.status == "done", second.error
        assert second.result is not None and second.result["stored"] == 0
        again = store.jobs.feed(url)
        assert again is not None and again.last_status == "not modified"
        feed_requests = site.requests_for("/feed.xml")
        assert [r.status for r in feed_requests] == [200, 304]
        assert feed_requests[1].header("If-None-Match") == '"v1"'
        assert store.count() == 2


def test_private_addresses_are_refused_unless_allowed(
    tmp_path: Path, site: HTTPTestServer, start_worker: Callable[..., Worker]
) -> None:
    settings = settings_for(tmp_path, allow_private_urls=False)
    with SQLiteStore(settings.db) as store:
        job_id = store.jobs.enqueue("fetch_url", {"url": site.url("/harbour.html")})
        feed_job = store.jobs.enqueue("poll_feed", {"url": site.url("/feed.xml")})
        start_worker(settings)
        job = ended(store, job_id)
        assert job.status == "failed"
        assert job.error is not None and "\n" not in job.error
        assert "127.0.0.1 is a loopback address" in job.error, job.error
        assert ended(store, feed_job).status == "failed"
        assert store.count() == 0
    assert site.requests == []  # not one byte reached the private address


# -- failures and stopping ---------------------------------------------------------------


def test_a_failing_job_records_one_line_and_the_next_still_runs(
    tmp_path: Path, site: HTTPTestServer, start_worker: Callable[..., Worker], worker_log: Lines
) -> None:
    settings = settings_for(tmp_path)
    with SQLiteStore(settings.db) as store:
        missing = store.jobs.enqueue("fetch_url", {"url": site.url("/missing.html")})
        local = store.jobs.enqueue("fetch_url", {"url": "/etc/passwd"})
        junk = store.jobs.enqueue("ingest_upload", {"name": "../../junk.jsonl"}, b"{nope\n[1]\n")
        empty = store.jobs.enqueue("ingest_upload", {"name": "blank.jsonl"}, b"\n\n")
        no_items = (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
        )
        bare = store.jobs.enqueue("ingest_upload", {"name": "bare.xml"}, no_items)
        good = store.jobs.enqueue("fetch_url", {"url": site.url("/library.html")})
        worker = start_worker(settings)
        order = (missing, local, junk, empty, bare, good)
        results = {job_id: ended(store, job_id) for job_id in order}
        assert [results[j].status for j in order] == ["failed"] * 5 + ["done"]
        assert results[missing].error == f"{site.url('/missing.html')}: HTTP 404 Not Found"
        assert results[local].error == "/etc/passwd: only http and https URLs can be fetched"
        error = results[junk].error
        assert error is not None and error.startswith("junk.jsonl#1: ")
        assert error.endswith("(and 1 more failures)")
        assert results[empty].error == "blank.jsonl: empty input (no records)"
        assert results[bare].error == "bare.xml: the feed has no entries"
        assert worker.alive
    failed = [line for line in worker_log.lines if line.startswith("job.failed")]
    assert len(failed) == 5
    assert failed[0].startswith(f"job.failed job={missing} kind=fetch_url seconds=")
    assert 'error="' in failed[0]


def test_a_graceful_stop_finishes_the_job_and_leaves_the_queue(
    tmp_path: Path, site: HTTPTestServer, start_worker: Callable[..., Worker]
) -> None:
    settings = settings_for(tmp_path)
    slow = page("Storm damage shuts northern pier", HARBOUR, "2026-03-03T09:00:00Z")
    site.set("/slow.html", Response(200, HTML, slow, delay=1.0))
    with SQLiteStore(settings.db) as store:
        first = store.jobs.enqueue("fetch_url", {"url": site.url("/slow.html")})
        rest = [
            store.jobs.enqueue("fetch_url", {"url": site.url("/library.html")}),
            store.jobs.enqueue("ingest_upload", {"name": "a.html"}, b"<p>queued</p>"),
        ]
        worker = start_worker(settings)
        wait_for(lambda: site.requests_for("/slow.html"), what="the slow fetch to start")
        assert worker.stop(timeout=30) is True
        assert not worker.alive
        job = store.jobs.get(first)
        assert job is not None and job.status == "done"  # finished, not cut off
        for job_id in rest:
            waiting = store.jobs.get(job_id)
            assert waiting is not None and (waiting.status, waiting.attempts) == ("queued", 0)
        assert store.jobs.data(rest[1]) == b"<p>queued</p>"


def test_a_stop_that_times_out_leaves_the_job_running_for_the_next_start(
    tmp_path: Path, site: HTTPTestServer, start_worker: Callable[..., Worker]
) -> None:
    settings = settings_for(tmp_path)
    slow = page("Storm damage shuts northern pier", HARBOUR, "2026-03-03T09:00:00Z")
    site.set("/slow.html", Response(200, HTML, slow, delay=2.0))
    with SQLiteStore(settings.db) as store:
        first = store.jobs.enqueue("fetch_url", {"url": site.url("/slow.html")})
        second = store.jobs.enqueue("fetch_url", {"url": site.url("/library.html")})
        worker = start_worker(settings)
        wait_for(lambda: site.requests_for("/slow.html"), what="the slow fetch to start")
        assert worker.stop(timeout=0.1) is False
        running = store.jobs.get(first)
        assert running is not None and running.status == "running"
        assert store.jobs.get(second).status == "queued"  # type: ignore[union-attr]
        wait_for(lambda: not worker.alive, what="the old thread to end")
        assert store.jobs.get(second).status == "queued"  # type: ignore[union-attr]

        # A process killed mid-job leaves it running; the next worker puts it back first.
        orphan = store.jobs.claim()
        assert orphan is not None and orphan.id == second
        start_worker(settings)
        rerun = ended(store, second)
        assert rerun.status == "done" and rerun.attempts == 2


# -- analyses (spaCy: slow) ----------------------------------------------------------------


def test_an_idle_worker_analyses_a_two_article_story(
    tmp_path: Path, start_worker: Callable[..., Worker]
) -> None:
    settings = settings_for(tmp_path)
    with SQLiteStore(settings.db) as store:
        inputs = [str(EXAMPLES / "meridian-press-feed.xml"), str(EXAMPLES / "strait-gazette.html")]
        ingest(inputs, store)
        group_new(store)
        (story,) = [s for s in store.stories.live() if len(s.article_ids) == 2]
        assert store.analyses.get(story.id) is None

        start_worker(settings, kinds=("analyse_story",))
        stored = wait_for(lambda: store.analyses.get(story.id), 600, "the story's analysis")
        (job,) = store.jobs.recent(kind="analyse_story").items
        job = ended(store, job.id)
        assert job.status == "done", job.error
        assert job.submitted_by == "stale"
        assert job.result is not None and job.result["analysed"] is True
        assert job.result["articles"] == 2
        from storylens.store.analyses import members_key

        assert stored.members_key == members_key(story.article_ids)
        assert json.loads(stored.report_json)["schema"].startswith("storylens.compare")
        # Fresh now: asking again does no work.
        again = ended(store, store.jobs.enqueue("analyse_story", {"story_id": story.id}))
        assert again.result == {
            "story_id": story.id,
            "analysed": False,
            "reason": "already up to date",
        }


def test_a_story_whose_analysis_fails_is_not_retried_at_once(
    tmp_path: Path, start_worker: Callable[..., Worker]
) -> None:
    settings = settings_for(tmp_path, model="storylens_no_such_model")
    with SQLiteStore(settings.db) as store:
        ingest(
            [str(EXAMPLES / "meridian-press-feed.xml"), str(EXAMPLES / "strait-gazette.html")],
            store,
        )
        group_new(store)
        worker = start_worker(settings, kinds=("analyse_story",))
        (job,) = wait_for(lambda: store.jobs.recent(status="failed").items, what="the failure")
        assert job.kind == "analyse_story"
        assert job.error is not None and "storylens_no_such_model" in job.error
        assert "not installed" in job.error
        for _ in range(10):  # idle turns: the story is due, but failed a moment ago
            worker.wake()
            time.sleep(0.05)
        assert store.jobs.recent(kind="analyse_story").total == 1
        assert worker.alive
