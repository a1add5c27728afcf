"""Polling a feed is marked done only once its entries are stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from storylens.ingest import IngestEvent, ingest
from storylens.readers import ReadOptions
from storylens.readers.url import UrlFetcher
from storylens.store import SQLiteStore
from tests.httpserver import HTTPTestServer
from tests.test_feeds import site  # noqa: F401  (fixture: a feed server on 127.0.0.1)


class Interrupted(Exception):
    pass


def run(db: Path, url: str, stop_after: int | None = None, jobs: int = 1) -> int:
    stored = 0

    def on_event(event: IngestEvent) -> None:
        nonlocal stored
        if event.kind == "stored":
            stored += 1
            if stop_after is not None and stored >= stop_after:
                raise Interrupted

    with SQLiteStore(db) as store:
        fetcher = UrlFetcher(validators=store, defer_validators=True, min_interval=0)
        with fetcher:
            ingest([url], store, ReadOptions(fetcher=fetcher), jobs=jobs, on_event=on_event)
    return stored


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_interrupted_poll_fetches_the_feed_again(
    site: HTTPTestServer,  # noqa: F811
    tmp_path: Path,
    jobs: int,
) -> None:
    db = tmp_path / "poll.db"
    feed = site.url("/rss.xml")
    with pytest.raises(Interrupted):
        run(db, feed, stop_after=1, jobs=jobs)
    with SQLiteStore(db) as store:
        assert store.count() == 1
        assert store.get_validators(feed) is None  # the feed is not marked as read

    site.clear_requests()
    assert run(db, feed) == 1  # the entry the interrupted run missed
    (again,) = site.requests_for("/rss.xml")
    assert again.status == 200 and again.header("If-None-Match") is None

    site.clear_requests()
    assert run(db, feed) == 0
    (third,) = site.requests_for("/rss.xml")
    assert third.status == 304
