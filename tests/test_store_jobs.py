"""The job queue and feed schedule in a real store, claimed from several connections."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storylens.store import SQLiteStore
from storylens.store.jobs import MAX_ATTEMPTS

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "jobs.db")


def test_a_job_goes_from_queued_to_running_to_done(store: SQLiteStore) -> None:
    job_id = store.jobs.enqueue("ingest_upload", {"name": "a.html"}, b"<html>hi</html>", "ed")
    job = store.jobs.get(job_id)
    assert job is not None
    assert (job.status, job.kind, job.payload, job.attempts) == (
        "queued",
        "ingest_upload",
        {"name": "a.html"},
        0,
    )
    assert job.submitted_by == "ed" and job.started_at is None and job.result is None
    assert store.jobs.data(job_id) == b"<html>hi</html>"

    claimed = store.jobs.claim()
    assert claimed is not None and claimed.id == job_id
    assert claimed.status == "running" and claimed.attempts == 1 and claimed.started_at
    assert store.jobs.claim() is None  # nothing else queued

    store.jobs.progress(job_id, "read 1,\nstored 1")
    assert store.jobs.get(job_id).progress == "read 1, stored 1"  # type: ignore[union-attr]
    assert store.jobs.finish(job_id, {"stored": 1, "article_ids": ["x"]})
    done = store.jobs.get(job_id)
    assert done is not None and done.status == "done" and done.finished_at
    assert done.result == {"stored": 1, "article_ids": ["x"]}
    assert store.jobs.data(job_id) is None  # the upload's bytes are dropped
    assert not store.jobs.finish(job_id, {})  # only a running job can end


def test_a_failed_job_keeps_one_line_and_drops_its_bytes(store: SQLiteStore) -> None:
    job_id = store.jobs.enqueue("ingest_upload", {"name": "b.bin"}, b"\x00" * 100)
    store.jobs.claim()
    assert store.jobs.fail(job_id, "cannot read\n  b.bin:\tnot an article\n" + "x" * 2000)
    job = store.jobs.get(job_id)
    assert job is not None and job.status == "failed"
    assert job.error is not None and "\n" not in job.error and len(job.error) <= 500
    assert job.error.startswith("cannot read b.bin: not an article")
    assert store.jobs.data(job_id) is None


def test_claim_takes_the_oldest_and_can_be_limited_to_kinds(store: SQLiteStore) -> None:
    first = store.jobs.enqueue("analyse_story", {"story_id": "s1"})
    second = store.jobs.enqueue("fetch_url", {"url": "https://example.com/a"})
    third = store.jobs.enqueue("fetch_url", {"url": "https://example.com/b"})
    assert store.jobs.claim(kinds=["fetch_url", "poll_feed"]).id == second  # type: ignore[union-attr]
    assert store.jobs.claim(kinds=[]) is None
    assert store.jobs.claim().id == first  # type: ignore[union-attr]
    assert store.jobs.claim().id == third  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="unknown job kind"):
        store.jobs.enqueue("rm_rf", {})


def test_one_pending_analysis_per_story(store: SQLiteStore) -> None:
    a = store.jobs.enqueue("analyse_story", {"story_id": "s1"})
    assert store.jobs.enqueue("analyse_story", {"story_id": "s1"}) == a
    assert store.jobs.enqueue_unique("analyse_story", {"story_id": "s1"}) is None
    other = store.jobs.enqueue("analyse_story", {"story_id": "s2"})
    assert other != a
    store.jobs.claim()  # s1 is running now: a change meanwhile needs a fresh run after it
    again = store.jobs.enqueue("analyse_story", {"story_id": "s1"})
    assert again not in (a, other)
    uploads = {store.jobs.enqueue("ingest_upload", {"name": "x"}, b"same") for _ in range(2)}
    assert len(uploads) == 2  # two uploads are two jobs, even of the same bytes
    assert store.jobs.counts() == {"queued": 4, "running": 1, "done": 0, "failed": 0}


def test_recent_pages_newest_first_and_counts(store: SQLiteStore) -> None:
    ids = [store.jobs.enqueue("fetch_url", {"url": f"https://e.example/{i}"}) for i in range(7)]
    store.jobs.claim()
    page = store.jobs.recent(limit=3, offset=2)
    assert [j.id for j in page.items] == ids[::-1][2:5]
    assert (page.total, page.limit, page.offset) == (7, 3, 2)
    running = store.jobs.recent(status="running")
    assert [j.id for j in running.items] == [ids[0]] and running.total == 1
    assert store.jobs.recent(kind="poll_feed").total == 0
    assert store.jobs.counts() == {"queued": 6, "running": 1, "done": 0, "failed": 0}


def _claim_all(db: str) -> list[int]:
    """Claim until the queue is empty, on a connection of our own."""
    got = []
    with SQLiteStore(db) as store:
        while (job := store.jobs.claim()) is not None:
            got.append(job.id)
    return got


def test_threads_claiming_at_once_never_share_a_job(tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    with SQLiteStore(db) as store:
        ids = [store.jobs.enqueue("fetch_url", {"url": f"https://e/{i}"}) for i in range(300)]
    results: list[list[int]] = [[] for _ in range(4)]
    barrier = threading.Barrier(4)

    def work(slot: int) -> None:
        barrier.wait()
        results[slot] = _claim_all(str(db))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    claimed = [job_id for got in results for job_id in got]
    assert sorted(claimed) == ids  # every job once, none twice
    assert sum(1 for got in results if got) >= 2  # the claims really interleaved
    with SQLiteStore(db) as store:
        assert store.jobs.counts()["running"] == 300


def test_processes_claiming_at_once_never_share_a_job(tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    with SQLiteStore(db) as store:
        ids = [store.jobs.enqueue("fetch_url", {"url": f"https://e/{i}"}) for i in range(200)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        results = pool.map(_claim_all, [str(db)] * 3)
    claimed = [job_id for got in results for job_id in got]
    assert sorted(claimed) == ids


def _claim_and_die(db: str) -> None:
    """Claim a job, then die mid-run the hard way (no cleanup, no exception handlers)."""
    store = SQLiteStore(db)
    store.jobs.claim()
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_a_worker(db: Path) -> None:
    child = multiprocessing.get_context("spawn").Process(target=_claim_and_die, args=(str(db),))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL


def test_a_job_killed_mid_run_goes_back_to_the_queue(tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    with SQLiteStore(db) as store:
        job_id = store.jobs.enqueue("ingest_upload", {"name": "a.jsonl"}, b'{"text": "x"}')
        later = store.jobs.enqueue("fetch_url", {"url": "https://e.example/"})
    _kill_a_worker(db)
    with SQLiteStore(db) as store:
        job = store.jobs.get(job_id)
        assert job is not None and job.status == "running" and job.attempts == 1
        assert store.jobs.get(later).status == "queued"  # type: ignore[union-attr]
        assert store.jobs.requeue_running() == 1
        back = store.jobs.get(job_id)
        assert back is not None and back.status == "queued" and back.started_at is None
        assert store.jobs.data(job_id) == b'{"text": "x"}'  # the upload survived
        again = store.jobs.claim()
        assert again is not None and again.id == job_id and again.attempts == 2


def test_a_job_that_keeps_killing_the_worker_is_failed(tmp_path: Path) -> None:
    db = tmp_path / "poison.db"
    with SQLiteStore(db) as store:
        job_id = store.jobs.enqueue("ingest_upload", {"name": "poison"}, b"boom")
    for attempt in range(1, MAX_ATTEMPTS + 1):
        _kill_a_worker(db)
        with SQLiteStore(db) as store:
            requeued = store.jobs.requeue_running()
            assert requeued == (1 if attempt < MAX_ATTEMPTS else 0)
    with SQLiteStore(db) as store:
        job = store.jobs.get(job_id)
        assert job is not None and job.status == "failed" and job.attempts == MAX_ATTEMPTS
        assert (
            job.error == f"interrupted {MAX_ATTEMPTS} times (the server stopped while running it)"
        )
        assert store.jobs.data(job_id) is None


# -- feeds ---------------------------------------------------------------------------------


def test_a_due_feed_is_claimed_once_per_interval(store: SQLiteStore) -> None:
    store.jobs.add_feed("https://a.example/rss", 600, now=T0)
    store.jobs.add_feed("https://b.example/rss", 3600, now=T0 + timedelta(seconds=30))
    assert store.jobs.claim_due_feeds(T0 - timedelta(seconds=1)) == []
    assert store.jobs.claim_due_feeds(T0) == ["https://a.example/rss"]
    assert store.jobs.claim_due_feeds(T0) == []  # moved on: not claimed twice
    assert store.jobs.claim_due_feeds(T0 + timedelta(seconds=45)) == ["https://b.example/rss"]
    feed = store.jobs.feed("https://a.example/rss")
    assert feed is not None and feed.next_poll_at == "2026-03-02T09:10:00Z"
    assert store.jobs.claim_due_feeds(T0 + timedelta(seconds=599)) == []
    assert store.jobs.claim_due_feeds(T0 + timedelta(seconds=600)) == ["https://a.example/rss"]


def test_feed_polled_records_status_and_holds_the_next_poll_back(store: SQLiteStore) -> None:
    url = "https://a.example/rss"
    store.jobs.add_feed(url, 600, now=T0)
    assert store.jobs.claim_due_feeds(T0) == [url]
    # The poll waited 5 minutes in a busy queue: the next is 10 minutes after it ran.
    store.jobs.feed_polled(url, "ok: stored 2,\n present 0", now=T0 + timedelta(minutes=5))
    feed = store.jobs.feed(url)
    assert feed is not None
    assert feed.last_status == "ok: stored 2, present 0"
    assert feed.last_polled_at == "2026-03-02T09:05:00Z"
    assert feed.next_poll_at == "2026-03-02T09:15:00Z"


def test_feeds_are_listed_updated_paused_and_removed(store: SQLiteStore) -> None:
    store.jobs.add_feed("https://a.example/rss", 600, now=T0)
    store.jobs.add_feed("https://b.example/rss", 900, now=T0 + timedelta(seconds=1))
    store.jobs.add_feed("https://a.example/rss", 1200, now=T0 + timedelta(seconds=2))
    feeds = store.jobs.feeds()
    assert [(f.url, f.interval_s, f.active) for f in feeds] == [
        ("https://a.example/rss", 1200, True),
        ("https://b.example/rss", 900, True),
    ]
    assert feeds[0].added_at == "2026-03-02T09:00:00Z"  # re-adding keeps when it was added
    store.conn.execute("UPDATE feeds SET active = 0 WHERE url = 'https://b.example/rss'")
    assert store.jobs.claim_due_feeds(T0 + timedelta(hours=1)) == ["https://a.example/rss"]
    assert store.jobs.remove_feed("https://a.example/rss") is True
    assert store.jobs.remove_feed("https://a.example/rss") is False
    assert [f.url for f in store.jobs.feeds()] == ["https://b.example/rss"]
    with pytest.raises(ValueError):
        store.jobs.add_feed("https://c.example/rss", 0)
    with pytest.raises(ValueError, match="naive"):
        store.jobs.claim_due_feeds(datetime(2026, 3, 2, 9, 0))


def test_connections_claiming_due_feeds_at_once_get_each_feed_once(tmp_path: Path) -> None:
    db = tmp_path / "feeds.db"
    urls = [f"https://f{i:03d}.example/rss" for i in range(100)]
    with SQLiteStore(db) as store:
        for url in urls:
            store.jobs.add_feed(url, 600, now=T0)
    results: list[list[str]] = [[] for _ in range(4)]
    barrier = threading.Barrier(4)

    def work(slot: int) -> None:
        with SQLiteStore(db) as mine:
            barrier.wait()
            for _ in range(20):
                results[slot].extend(mine.jobs.claim_due_feeds(T0 + timedelta(seconds=1)))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(url for got in results for url in got) == urls
