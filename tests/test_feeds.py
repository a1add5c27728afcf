"""RSS/Atom reading and feed polling, end to end against a real HTTP server and SQLite."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storylens.extract import extract
from storylens.ingest import IngestReport, ingest
from storylens.model import Article
from storylens.readers import ReadOptions, read_bytes, read_inputs
from storylens.readers import feeds as feeds_module
from storylens.readers.base import (
    MAX_DOCUMENT_BYTES,
    RawDocument,
    ReadFailure,
    ReadResult,
    ReadSkip,
)
from storylens.readers.url import UrlFetcher
from storylens.store.sqlite import SQLiteStore
from tests.httpserver import HTTPTestServer, Response, http_date

DATA = Path(__file__).parent / "data" / "feeds"
HTML = {"Content-Type": "text/html; charset=utf-8"}
LAST_MODIFIED = http_date(1_715_670_000)
OFFLINE = ReadOptions(fetch_linked=False)


def docs(results: list[ReadResult]) -> list[RawDocument]:
    assert all(isinstance(r, RawDocument) for r in results), results
    return [r for r in results if isinstance(r, RawDocument)]


def feed_with_items(*items: str, version: str = "2.0") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="{version}" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Test Feed</title>'
        f"<link>https://test-feed.test/</link>{''.join(items)}</channel></rss>"
    ).encode()


def item(date: str, *, tag: str = "pubDate", n: int = 1) -> str:
    return (
        f"<item><title>Item {n}</title><link>https://test-feed.test/{n}</link>"
        f"<{tag}>{date}</{tag}><description>Body of item {n}.</description></item>"
    )


# -- entries to raw documents ----------------------------------------------------------


def test_rss_entry_hints() -> None:
    first, second = docs(list(read_inputs([str(DATA / "rss.xml")], OFFLINE)))
    assert first.media_type == "record"
    assert first.hint_source == "feed"
    assert first.source == f"{DATA / 'rss.xml'}#1"
    assert dict(first.hints) == {
        "title": "Ferry service to the islands suspended after storm damage",
        "url": "https://harbour-gazette.test/@BASE@/articles/ferry.html",
        "external_id": "hg-1001",
        "summary": "<p>The island ferry will not sail until the pier is repaired.</p>",
        "authors": ["Morag Lennox"],
        "published": "Tue, 14 May 2024 07:45:00 +0100",
        "feed_title": "Harbour Gazette",
        "outlet_domain": "harbour-gazette.test",
        "language": "en-GB",
    }
    assert first.url == first.hints["url"]
    assert second.hints["external_id"] == "hg-1002"


def test_atom_entry_hints() -> None:
    first, second = docs(list(read_inputs([str(DATA / "atom.xml")], OFFLINE)))
    assert first.hints["authors"] == ["Anjali Rao", "Vikram Shetty"]
    assert first.hints["published"] == "2024-05-14T08:15:00+05:30"
    assert first.hints["updated"] == "2024-05-14T09:00:00+05:30"
    assert first.hints["feed_title"] == "Valley Courier"
    assert first.hints["language"] == "en"
    assert "updated" not in second.hints


def test_source_element_names_the_original_outlet() -> None:
    (doc,) = docs(list(read_inputs([str(DATA / "aggregator.xml")], OFFLINE)))
    assert doc.hints["outlet_name"] == "Journal Exemple"
    assert doc.hints["outlet_domain"] == "journal-exemple.fr"
    assert doc.hints["title"] == "Le pont rouvre à la circulation"  # markup stripped
    assert doc.hints["authors"] == ["Claire Martin"]  # not the e-mail address
    assert doc.hints["url"] == "https://roundup.test/go/pont"  # relative link resolved
    assert doc.hints["published"] == "2024-05-18T14:05:00+02:00"  # dc:date


def test_full_content_becomes_an_html_record() -> None:
    full, short = docs(list(read_inputs([str(DATA / "full-content.xml")], OFFLINE)))
    assert full.media_type == "record"
    assert "logbooks that keepers filled in" in full.hints["html"]
    article = extract(full)
    assert "satellite beacon" in article.text and "logbooks" in article.text
    assert article.title == "Lighthouse to be switched off after 120 years"
    # Short content still beats a one-line summary when the page is not fetched.
    assert "Catriona Bain" in extract(short).text


def test_summary_record_extracts() -> None:
    first, _ = docs(list(read_inputs([str(DATA / "rss.xml")], OFFLINE)))
    article = extract(first)
    assert article.text == "The island ferry will not sail until the pier is repaired."
    assert article.outlet is not None and article.outlet.name == "Harbour Gazette"
    assert article.byline == ("Morag Lennox",)
    assert article.external_id == "hg-1001"


def test_bozo_feed_with_entries_is_read() -> None:
    (doc,) = docs(list(read_inputs([str(DATA / "bozo-with-entries.xml")], OFFLINE)))
    assert doc.hints["title"].startswith("Market day moves to Saturday")


def test_malformed_feed_is_one_failure_naming_it() -> None:
    source = str(DATA / "broken.xml")
    (failure,) = list(read_inputs([source], OFFLINE))
    assert isinstance(failure, ReadFailure)
    assert failure.source == source
    assert failure.reason.startswith("not a readable feed (")
    assert "\n" not in str(failure)


def test_html_is_not_a_feed() -> None:
    page = b"<html><body><p>hello</p></body></html>"
    (failure,) = list(feeds_module.read(io.BytesIO(page), "page.xml", OFFLINE))
    assert isinstance(failure, ReadFailure)
    assert failure.reason == "not an RSS or Atom feed"


def test_feed_without_entries_is_a_skip() -> None:
    (skip,) = read_bytes(feed_with_items(), "empty.rss", OFFLINE)
    assert isinstance(skip, ReadSkip)
    assert skip.reason == "the feed has no entries"


def test_oversized_feed_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds_module, "MAX_FEED_BYTES", 1024)
    data = feed_with_items(*(item("2024-05-14T08:15:00Z", n=n) for n in range(50)))
    (failure,) = list(feeds_module.read(io.BytesIO(data), "big.rss", OFFLINE))
    assert isinstance(failure, ReadFailure)
    assert failure.reason == "larger than the 1 KiB limit for one feed"


# -- dates keep their offset (research/extraction.md goal 7) -----------------------------


@pytest.mark.parametrize(
    ("raw", "local"),
    [
        ("Sun, 24 Oct 2021 21:14:00 +0530", "2021-10-24T21:14:00+05:30"),
        ("Tue, 14 May 2024 07:45:00 -0400", "2024-05-14T07:45:00-04:00"),
        ("Mon, 01 Jan 2024 09:00:00 +1345", "2024-01-01T09:00:00+13:45"),
        ("Sun, 24 Oct 2021 21:14:00 GMT", "2021-10-24T21:14:00+00:00"),
        ("Tue, 10 Jun 2003 04:00:00 EDT", "2003-06-10T04:00:00-04:00"),
        ("Wed, 29 Jun 2016 10:00:00 CEST", "2016-06-29T10:00:00+02:00"),
        ("2024-05-13T22:40:00-04:00", "2024-05-13T22:40:00-04:00"),
        ("2021-10-24T21:14:00.250+05:30", "2021-10-24T21:14:00.250000+05:30"),
        ("2024-05-18T14:05:00Z", "2024-05-18T14:05:00+00:00"),
    ],
)
def test_dates_round_trip_with_their_offset(raw: str, local: str) -> None:
    (doc,) = docs(read_bytes(feed_with_items(item(raw)), "dates.rss", OFFLINE))
    assert doc.hints["published"] == raw
    published = extract(doc).published
    assert published is not None
    assert published.original == raw
    assert published.local.isoformat() == local


def test_slash_date_is_not_june_first() -> None:
    """feedparser #75 reads "2016/6/29" as 1 June 2016."""
    (doc,) = docs(read_bytes(feed_with_items(item("2016/6/29")), "dates.rss", OFFLINE))
    published = extract(doc).published
    assert published is not None
    assert (published.local.year, published.local.month, published.local.day) == (2016, 6, 29)
    assert published.precision == "day"
    assert published.utc is None  # no zone stated: an interval, not midnight UTC


def test_mest_is_never_read_as_utc() -> None:
    """feedparser #20/#160: "MEST" (Middle European Summer Time, +02:00) was misread."""
    raw = "Wed, 29 Jun 2016 10:00:00 MEST"
    (doc,) = docs(read_bytes(feed_with_items(item(raw)), "dates.rss", OFFLINE))
    published = extract(doc).published
    assert published is not None
    assert published.original == raw
    assert published.local.replace(tzinfo=None).isoformat() == "2016-06-29T10:00:00"
    # Either read as +02:00 or kept zone-unknown: an interval holding 08:00 UTC.
    if published.zone_known:
        assert published.local.utcoffset() == timedelta(hours=2)
    else:
        assert published.utc is None
        assert published.earliest <= datetime(2016, 6, 29, 8, tzinfo=UTC) <= published.latest


def test_rss_pubdate_alone_gives_no_updated_hint() -> None:
    """feedparser answers `entry.updated` with the published date when there is none."""
    (doc,) = docs(read_bytes(feed_with_items(item("2024-05-14T08:15:00Z")), "x.rss", OFFLINE))
    assert "updated" not in doc.hints


def test_rss1_dc_date_is_the_publication_date() -> None:
    data = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.test/"><title>RDF News</title><link>https://rdf.test/</link>
    <description>x</description></channel>
  <item rdf:about="https://rdf.test/1"><title>One</title><link>https://rdf.test/1</link>
    <dc:date>2024-05-14T08:15:00+09:00</dc:date><description>Body one.</description></item>
</rdf:RDF>"""
    (doc,) = docs(read_bytes(data, "rdf.xml", OFFLINE))
    assert doc.hints["published"] == "2024-05-14T08:15:00+09:00"
    published = extract(doc).published
    assert published is not None and published.local.utcoffset() == timedelta(hours=9)


def test_atom_updated_alone_is_not_a_publication_date() -> None:
    data = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>A</title><link href="https://atom.test/"/><id>urn:a</id><updated>2024-05-14T08:15:00Z</updated>
<entry><title>E</title><id>urn:e</id><link href="https://atom.test/e"/>
<updated>2024-05-14T08:15:00+02:00</updated><summary>Body.</summary></entry></feed>"""
    (doc,) = docs(read_bytes(data, "a.atom", OFFLINE))
    assert "published" not in doc.hints
    assert doc.hints["updated"] == "2024-05-14T08:15:00+02:00"


# -- polling a real server -------------------------------------------------------------


def feed_bytes(name: str, server: HTTPTestServer) -> bytes:
    return (DATA / name).read_bytes().replace(b"@BASE@", server.base_url.encode())


def serve_feed(server: HTTPTestServer, path: str, name: str, etag: str) -> None:
    headers = {
        "Content-Type": "application/rss+xml; charset=utf-8",
        "ETag": etag,
        "Last-Modified": LAST_MODIFIED,
    }
    server.set(path, (200, headers, feed_bytes(name, server)))


@pytest.fixture
def site() -> Iterator[HTTPTestServer]:
    """A news site: an RSS and an Atom feed of summaries, and the pages they link to."""
    with HTTPTestServer() as server:
        serve_feed(server, "/rss.xml", "rss.xml", '"rss-v1"')
        serve_feed(server, "/atom.xml", "atom.xml", '"atom-v1"')
        for page in sorted((DATA / "articles").glob("*.html")):
            headers = {**HTML, "ETag": f'"{page.stem}-v1"'}
            server.set(f"/articles/{page.name}", (200, headers, page.read_bytes()))
        yield server


def poll(
    targets: list[str], db: Path, *, timeout: float = 5, max_bytes: int = MAX_DOCUMENT_BYTES
) -> IngestReport:
    """One polling run, as a fresh process would do it: new store handle, new fetcher."""
    with (
        SQLiteStore(db) as store,
        UrlFetcher(
            validators=store, min_interval=0, timeout=timeout, max_bytes=max_bytes
        ) as fetcher,
    ):
        return ingest(targets, store, ReadOptions(fetcher=fetcher))


def stored(db: Path) -> dict[str, Article]:
    with SQLiteStore(db) as store:
        return {a.title or "": a for a in store.iter_articles()}


def test_first_poll_stores_each_article_once(site: HTTPTestServer, tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    report = poll([site.url("/rss.xml"), site.url("/atom.xml")], db)
    assert report.failures == []
    assert report.stored == 4 and report.present == 0
    articles = stored(db)
    assert len(articles) == 4
    assert len({a.url for a in articles.values()}) == 4

    ferry = articles["Ferry service to the islands suspended after storm damage"]
    assert ferry.url == site.url("/articles/ferry.html")
    assert "Storm winds of more than ninety kilometres" in ferry.text  # the page was read
    assert ferry.outlet is not None and ferry.outlet.name == "Harbour Gazette"
    assert ferry.outlet.domain == "harbour-gazette.test"
    assert ferry.byline == ("Morag Lennox",)
    assert ferry.published is not None
    assert ferry.published.original == "Tue, 14 May 2024 07:45:00 +0100"
    assert ferry.published.local.utcoffset() == timedelta(hours=1)
    assert ferry.provenance["published"].source == "feed"
    assert ferry.provenance["title"].source == "feed"

    monsoon = articles["Monsoon arrives early in the valley, farmers rush to sow"]
    assert monsoon.outlet is not None and monsoon.outlet.name == "Valley Courier"
    assert monsoon.byline == ("Anjali Rao", "Vikram Shetty")
    assert monsoon.published is not None
    assert monsoon.published.local.isoformat() == "2024-05-14T08:15:00+05:30"
    hill = articles["Hill road reopens after landslide clearance"]
    assert hill.published is not None
    assert hill.published.local.utcoffset() == timedelta(hours=-4)

    with SQLiteStore(db) as store:
        raw = store.raw(ferry.id)
    assert raw is not None and raw.startswith(b"<!DOCTYPE html>")  # the page is kept
    for path in ("/rss.xml", "/atom.xml", "/articles/ferry.html", "/articles/monsoon.html"):
        assert [r.status for r in site.requests_for(path)] == [200]


def test_second_poll_is_a_304_and_stores_nothing(site: HTTPTestServer, tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    targets = [site.url("/rss.xml"), site.url("/atom.xml")]
    poll(targets, db)
    site.clear_requests()

    report = poll(targets, db)
    assert report.stored == 0 and report.present == 0 and report.failures == []
    assert report.skipped == [f"{url}: not modified since last fetch" for url in targets]
    (rss,) = site.requests_for("/rss.xml")
    assert rss.header("If-None-Match") == '"rss-v1"'
    assert rss.header("If-Modified-Since") == LAST_MODIFIED
    assert rss.status == 304
    (atom,) = site.requests_for("/atom.xml")
    assert atom.header("If-None-Match") == '"atom-v1"' and atom.status == 304
    assert not [r for r in site.requests if r.path.startswith("/articles/")]
    assert len(stored(db)) == 4


def test_changed_feed_stores_only_the_new_entry(site: HTTPTestServer, tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    poll([site.url("/rss.xml")], db)
    serve_feed(site, "/rss.xml", "rss-updated.xml", '"rss-v2"')
    site.clear_requests()

    report = poll([site.url("/rss.xml")], db)
    assert report.failures == []
    assert report.stored == 1
    articles = stored(db)
    assert len(articles) == 3
    mackerel = articles["Fishing fleet returns early as mackerel quota runs out"]
    assert "quayside auction" in mackerel.text
    (feed,) = site.requests_for("/rss.xml")
    assert feed.status == 200 and feed.header("If-None-Match") == '"rss-v1"'
    # Pages read on the first poll are asked for conditionally and not re-read.
    (ferry,) = site.requests_for("/articles/ferry.html")
    assert ferry.header("If-None-Match") == '"ferry-v1"' and ferry.status == 304


def test_fetch_linked_off_stores_summaries(site: HTTPTestServer, tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    with SQLiteStore(db) as store, UrlFetcher(min_interval=0, validators=store) as fetcher:
        options = ReadOptions(fetcher=fetcher, fetch_linked=False)
        report = ingest([site.url("/atom.xml")], store, options)
    assert report.stored == 2
    hill = stored(db)["Hill road reopens after landslide clearance"]
    assert hill.text == "Crews cleared the last of the debris overnight."
    assert hill.url == site.url("/articles/hillroad.html")
    assert not [r for r in site.requests if r.path.startswith("/articles/")]


def test_full_content_entries_need_no_page(site: HTTPTestServer, tmp_path: Path) -> None:
    serve_feed(site, "/full.xml", "full-content.xml", '"full-v1"')
    db = tmp_path / "store.db"
    report = poll([site.url("/full.xml")], db)
    assert report.stored == 2 and report.failures == []
    assert site.requests_for("/articles/lighthouse.html") == []
    articles = stored(db)
    assert "logbooks" in articles["Lighthouse to be switched off after 120 years"].text
    # The short entry's page does not exist: its content block is stored instead.
    assert "Catriona Bain" in articles["Harbour trust elects new chair"].text
    assert [r.status for r in site.requests_for("/articles/chair.html")] == [404]


def test_missing_page_falls_back_to_the_summary(site: HTTPTestServer, tmp_path: Path) -> None:
    site.remove("/articles/ferry.html")
    db = tmp_path / "store.db"
    report = poll([site.url("/rss.xml")], db)
    assert report.failures == []
    assert report.stored == 2
    page = site.url("/articles/ferry.html")
    assert report.skipped == [
        f"{page}: page not read (HTTP 404 Not Found); stored the feed's summary instead"
    ]
    ferry = stored(db)["Ferry service to the islands suspended after storm damage"]
    assert ferry.text == "The island ferry will not sail until the pier is repaired."
    assert ferry.url == page
    assert ferry.published is not None and ferry.published.original.endswith("+0100")


def test_robots_txt_disallowing_pages_keeps_summaries(site: HTTPTestServer, tmp_path: Path) -> None:
    site.set(
        "/robots.txt",
        (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /articles/\n"),
    )
    db = tmp_path / "store.db"
    report = poll([site.url("/rss.xml")], db)
    assert report.stored == 2 and report.failures == []
    assert all("disallowed by robots.txt" in line for line in report.skipped)
    assert not [r for r in site.requests if r.path.startswith("/articles/")]


def test_robots_txt_disallowing_the_feed_is_a_skip(site: HTTPTestServer, tmp_path: Path) -> None:
    site.set("/robots.txt", (200, {}, b"User-agent: *\nDisallow: /\n"))
    db = tmp_path / "store.db"
    report = poll([site.url("/rss.xml")], db)
    assert report.stored == 0 and report.failures == []
    assert report.skipped == [f"{site.url('/rss.xml')}: disallowed by robots.txt"]
    assert [r.path for r in site.requests] == ["/robots.txt"]


def test_server_error_on_the_feed_is_one_failure(site: HTTPTestServer, tmp_path: Path) -> None:
    site.set("/rss.xml", (500, HTML, b"<h1>Internal error</h1>"))
    report = poll([site.url("/rss.xml"), site.url("/atom.xml")], tmp_path / "store.db")
    assert report.failures == [f"{site.url('/rss.xml')}: HTTP 500 Internal Server Error"]
    assert report.stored == 2  # the batch went on


def test_malformed_feed_over_http(site: HTTPTestServer, tmp_path: Path) -> None:
    serve_feed(site, "/broken.xml", "broken.xml", '"b1"')
    report = poll([site.url("/broken.xml")], tmp_path / "store.db")
    (failure,) = report.failures
    assert failure.startswith(f"{site.url('/broken.xml')}: not a readable feed (")


def test_feed_over_the_size_limit_is_refused(site: HTTPTestServer, tmp_path: Path) -> None:
    report = poll([site.url("/rss.xml")], tmp_path / "store.db", max_bytes=1024)
    assert report.failures == [
        f"{site.url('/rss.xml')}: larger than the 1 KiB limit for one document"
    ]


def test_feed_behind_a_redirect_chain(site: HTTPTestServer, tmp_path: Path) -> None:
    site.set("/latest", (301, {"Location": "/feeds/current"}, b""))
    site.set("/feeds/current", (302, {"Location": site.url("/rss.xml")}, b""))
    db = tmp_path / "store.db"
    report = poll([site.url("/latest")], db)
    assert report.stored == 2 and report.failures == []
    again = poll([site.url("/latest")], db)
    assert again.skipped == [f"{site.url('/latest')}: not modified since last fetch"]
    assert site.requests_for("/rss.xml")[-1].status == 304


def test_slow_feed_times_out(site: HTTPTestServer, tmp_path: Path) -> None:
    site.set("/slow.xml", Response(200, {}, feed_bytes("rss.xml", site), delay=5))
    report = poll([site.url("/slow.xml")], tmp_path / "store.db", timeout=0.5)
    assert report.failures == [f"{site.url('/slow.xml')}: timed out after 0.5 s"]


# -- the command line ------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STORYLENS_DB": ""}
    return subprocess.run(
        [sys.executable, "-m", "storylens", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_cli_ingest_polls_a_feed(site: HTTPTestServer, tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    first = run_cli("ingest", site.url("/rss.xml"), "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("stored 2,")
    second = run_cli("ingest", site.url("/rss.xml"), "--db", str(db))
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("stored 0,") and "skipped 1" in second.stdout
    assert site.requests_for("/rss.xml")[-1].status == 304
    agents = {r.header("User-Agent") for r in site.requests}
    assert len(agents) == 1
    assert (agents.pop() or "").startswith("storylens/")
