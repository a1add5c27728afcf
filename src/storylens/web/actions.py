"""What an editor can do, once for the REST API and the web pages alike.

Each action checks its input, changes the store (or queues work for the background
worker) and names the stories whose analysis must be redone. Refusals raise
`ActionRefused` with a one-line reason that both the API and the pages show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storylens.group import OverrideError, merge, move, split
from storylens.store.sqlite import SQLiteStore
from storylens.web.settings import ServeSettings
from storylens.web.urlguard import check_public_url

MAX_URLS_PER_REQUEST = 100
MIN_FEED_INTERVAL_S = 60


class ActionRefused(ValueError):
    """An edit or submission that cannot be done, with the reason in one line.

    `status` is the HTTP status the API and pages answer with: 400 for input refused
    by policy, 404 when a named story or article does not exist, 409 when the request
    conflicts with the stories as they are (a split that would empty a story).
    """

    status = 400


class NotFound(ActionRefused):
    status = 404


class Conflict(ActionRefused):
    status = 409


@dataclass(frozen=True, slots=True)
class Submitted:
    """One submitted input: the job that will handle it, or why it was refused."""

    input: str
    job_id: int | None = None
    refused: str | None = None


def submit_upload(
    store: SQLiteStore, settings: ServeSettings, name: str, data: bytes, by: str
) -> Submitted:
    """Queue an uploaded file for ingest; the bytes wait in the store, so a restart keeps them."""
    if not data:
        return Submitted(name, refused=f"{name}: empty file")
    if len(data) > settings.max_upload_bytes:
        return Submitted(name, refused=f"{name}: larger than {settings.max_upload_bytes} bytes")
    job = store.jobs.enqueue("ingest_upload", {"name": name}, data=data, submitted_by=by)
    return Submitted(name, job_id=job)


def submit_urls(
    store: SQLiteStore, settings: ServeSettings, urls: Sequence[str], by: str
) -> list[Submitted]:
    """Queue article URLs for fetching; loopback and private addresses are refused here."""
    if len(urls) > MAX_URLS_PER_REQUEST:
        raise ActionRefused(f"at most {MAX_URLS_PER_REQUEST} URLs per request")
    results = []
    for raw in urls:
        url = raw.strip()
        reason = check_public_url(url, allow_private=settings.allow_private_urls)
        if reason:
            results.append(Submitted(url, refused=f"{url}: {reason}"))
            continue
        results.append(Submitted(url, store.jobs.enqueue("fetch_url", {"url": url}, None, by)))
    return results


def add_feed(
    store: SQLiteStore, settings: ServeSettings, url: str, interval_s: int | None, by: str
) -> Submitted:
    """Poll a feed on a schedule (and once now)."""
    url = url.strip()
    reason = check_public_url(url, allow_private=settings.allow_private_urls)
    if reason:
        raise ActionRefused(f"{url}: {reason}")
    interval = settings.feed_default_interval_s if interval_s is None else interval_s
    if interval < MIN_FEED_INTERVAL_S:
        raise ActionRefused(f"a feed is polled at most once a minute (interval {interval} s)")
    store.jobs.add_feed(url, interval)
    return Submitted(url, store.jobs.enqueue("poll_feed", {"url": url}, None, by))


def _reanalyse(store: SQLiteStore, story_ids: Sequence[str], by: str) -> None:
    for story_id in dict.fromkeys(story_ids):
        if store.stories.members(story_id):
            store.jobs.enqueue("analyse_story", {"story_id": story_id}, None, by)


def _story(store: SQLiteStore, ref: str) -> str:
    found = store.stories.resolve(ref)
    if len(found) != 1:
        if not found:
            raise NotFound(f"no story {ref!r}")
        raise Conflict(f"{ref!r} names several stories")
    return store.stories.survivor(found[0])


def merge_stories(store: SQLiteStore, first: str, second: str, by: str) -> str:
    """Merge two stories (the older id survives); returns the survivor."""
    a, b = _story(store, first), _story(store, second)
    if a == b:
        raise Conflict("a story cannot be merged with itself")
    try:
        survivor = merge(store, a, b)
    except OverrideError as exc:
        raise Conflict(str(exc)) from exc
    _reanalyse(store, [survivor], by)
    return survivor


def split_story(store: SQLiteStore, story: str, article_ids: Sequence[str], by: str) -> str:
    """Move some of a story's articles into a new story; returns the new story's id."""
    story_id = _story(store, story)
    if not article_ids:
        raise ActionRefused("choose the articles to split off")
    try:
        new_id = split(store, story_id, list(dict.fromkeys(article_ids)))
    except OverrideError as exc:
        raise Conflict(str(exc)) from exc
    _reanalyse(store, [story_id, new_id], by)
    return new_id


def move_article(store: SQLiteStore, article_id: str, story: str, by: str) -> str:
    """Move one article into another story; returns the story it is now in."""
    if not store.has(article_id):
        raise NotFound(f"no article {article_id!r}")
    before = store.stories.story_of(article_id)
    target = _story(store, story)
    try:
        after = move(store, article_id, target)
    except OverrideError as exc:
        raise Conflict(str(exc)) from exc
    _reanalyse(store, [s for s in (before, after) if s], by)
    return after
