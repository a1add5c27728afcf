"""The server's background work, kept in the store so a restart loses none of it.

A job is a row: queued, then running (claimed by one worker), then done or failed.
Claiming is one UPDATE that picks the oldest queued row and flips it in the same
statement, so two worker threads or processes never get the same job. Feeds are rows
with a next-poll time; claiming the due ones moves that time forward in the same
statement, so one feed is never polled twice for one turn.

Uploaded bytes wait in the job row until the job ends, then are dropped: the articles
and their raw inputs are in the store by then, and a failed upload is not kept.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from storylens.store.catalog import Page
from storylens.store.transaction import immediate

__all__ = [
    "JOB_KINDS",
    "JOB_STATUSES",
    "MAX_ATTEMPTS",
    "Feed",
    "Job",
    "JobKind",
    "JobQueue",
    "JobStatus",
    "one_line",
]

JobKind = Literal["ingest_upload", "fetch_url", "poll_feed", "analyse_story"]
JobStatus = Literal["queued", "running", "done", "failed"]
JOB_KINDS: tuple[JobKind, ...] = ("ingest_upload", "fetch_url", "poll_feed", "analyse_story")
JOB_STATUSES: tuple[JobStatus, ...] = ("queued", "running", "done", "failed")
# A job interrupted this many times (the process died while running it) is failed
# instead of requeued: it may be what kills the process.
MAX_ATTEMPTS = 3
# Kinds where a second identical queued job would only repeat the first.
_ONCE_KINDS = frozenset({"analyse_story", "poll_feed"})
_MAX_LINE = 500

_JOB_COLUMNS = (
    "id, kind, status, payload, progress, result, error, submitted_by, "
    "created_at, started_at, finished_at, attempts"
)
_FEED_COLUMNS = "url, interval_s, next_poll_at, added_at, last_polled_at, last_status, active"


def _iso(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no zone: pass an aware one")
    stamp = moment.astimezone(UTC).replace(microsecond=0).isoformat()
    return stamp.replace("+00:00", "Z")


# SQLite's strftime accepts the "Z" form above and gives the same form back.
_PLUS_INTERVAL = "strftime('%Y-%m-%dT%H:%M:%SZ', ?, '+' || interval_s || ' seconds')"


def one_line(text: str, limit: int = _MAX_LINE) -> str:
    """Collapse whitespace and cut to `limit` characters: status lines stay one line."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _payload_json(payload: Mapping[str, Any]) -> str:
    return json.dumps(dict(payload), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, slots=True)
class Job:
    """A job as listed (without its uploaded bytes: `JobQueue.data` reads those)."""

    id: int
    kind: JobKind
    status: JobStatus
    payload: dict[str, Any]
    progress: str | None
    result: dict[str, Any] | None
    error: str | None
    submitted_by: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class Feed:
    """A polled feed and how its last poll went."""

    url: str
    interval_s: int
    next_poll_at: str
    added_at: str
    last_polled_at: str | None
    last_status: str | None
    active: bool


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=int(row["id"]),
        kind=cast(JobKind, row["kind"]),
        status=cast(JobStatus, row["status"]),
        payload=json.loads(row["payload"]),
        progress=row["progress"],
        result=json.loads(row["result"]) if row["result"] else None,
        error=row["error"],
        submitted_by=row["submitted_by"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        attempts=int(row["attempts"]),
    )


def _feed(row: sqlite3.Row) -> Feed:
    return Feed(
        url=row["url"],
        interval_s=int(row["interval_s"]),
        next_poll_at=row["next_poll_at"],
        added_at=row["added_at"],
        last_polled_at=row["last_polled_at"],
        last_status=row["last_status"],
        active=bool(row["active"]),
    )


class JobQueue:
    """Jobs and polled feeds on one connection (see `SQLiteStore.jobs`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def _write(self) -> AbstractContextManager[None]:
        """Read-then-write steps in one IMMEDIATE transaction (or the caller's, if open)."""
        return immediate(self.conn, join=True)

    # -- submitting --------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        payload: Mapping[str, Any],
        data: bytes | None = None,
        submitted_by: str | None = None,
    ) -> int:
        """Queue a job; returns its id.

        An analysis or feed poll identical to one still queued is not queued twice:
        the queued job's id is returned instead (it will do the same work).
        """
        job_id, _ = self._enqueue(kind, payload, data, submitted_by)
        return job_id

    def enqueue_unique(
        self, kind: str, payload: Mapping[str, Any], submitted_by: str | None = None
    ) -> int | None:
        """Queue a job unless an identical one is queued already (then None)."""
        job_id, new = self._enqueue(kind, payload, None, submitted_by, unique=True)
        return job_id if new else None

    def _enqueue(
        self,
        kind: str,
        payload: Mapping[str, Any],
        data: bytes | None,
        submitted_by: str | None,
        unique: bool = False,
    ) -> tuple[int, bool]:
        if kind not in JOB_KINDS:
            raise ValueError(f"unknown job kind {kind!r}")
        text = _payload_json(payload)
        with self._write():
            if unique or (kind in _ONCE_KINDS and data is None):
                row = self.conn.execute(
                    "SELECT id FROM jobs WHERE status = 'queued' AND kind = ? AND payload = ? "
                    "ORDER BY id LIMIT 1",
                    (kind, text),
                ).fetchone()
                if row is not None:
                    return int(row[0]), False
            cur = self.conn.execute(
                "INSERT INTO jobs(kind, status, payload, data, submitted_by, created_at) "
                "VALUES (?, 'queued', ?, ?, ?, ?)",
                (kind, text, data, submitted_by, _iso()),
            )
        return int(cur.lastrowid or 0), True

    # -- running -----------------------------------------------------------------------

    def claim(self, kinds: Collection[str] | None = None) -> Job | None:
        """Take the oldest queued job (of `kinds`, if given): it becomes running, ours."""
        where, params = "status = 'queued'", []
        if kinds is not None:
            if not kinds:
                return None
            where += f" AND kind IN ({', '.join('?' for _ in kinds)})"
            params = sorted(kinds)
        rows = self.conn.execute(
            "UPDATE jobs SET status = 'running', started_at = ?, attempts = attempts + 1, "
            "progress = NULL "
            f"WHERE id = (SELECT id FROM jobs WHERE {where} ORDER BY id LIMIT 1) "
            f"AND status = 'queued' RETURNING {_JOB_COLUMNS}",
            (_iso(), *params),
        ).fetchall()  # all: the statement must finish for its write to commit
        return _job(rows[0]) if rows else None

    def data(self, job_id: int) -> bytes | None:
        """The uploaded bytes of a job (None once it has ended, or when it had none)."""
        row = self.conn.execute("SELECT data FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    def progress(self, job_id: int, line: str) -> None:
        self.conn.execute(
            "UPDATE jobs SET progress = ? WHERE id = ? AND status = 'running'",
            (one_line(line), job_id),
        )

    def finish(self, job_id: int, result: Mapping[str, Any]) -> bool:
        """Mark a running job done with its result; drops its uploaded bytes."""
        cur = self.conn.execute(
            "UPDATE jobs SET status = 'done', result = ?, error = NULL, finished_at = ?, "
            "data = NULL WHERE id = ? AND status = 'running'",
            (_payload_json(result), _iso(), job_id),
        )
        return cur.rowcount == 1

    def fail(self, job_id: int, error: str) -> bool:
        """Mark a running job failed with a one-line reason; drops its uploaded bytes."""
        cur = self.conn.execute(
            "UPDATE jobs SET status = 'failed', error = ?, finished_at = ?, data = NULL "
            "WHERE id = ? AND status = 'running'",
            (one_line(error) or "failed", _iso(), job_id),
        )
        return cur.rowcount == 1

    def requeue_running(self) -> int:
        """Put jobs left running by a stopped or killed worker back in the queue.

        Call it when a worker starts, before it claims anything: every running row is
        then an orphan. (Two server processes on one store would requeue each other's
        jobs; run the worker in one of them.) A job interrupted `MAX_ATTEMPTS` times is
        failed instead, so a job that kills the process cannot loop forever. Returns
        how many went back to the queue.
        """
        with self._write():
            self.conn.execute(
                "UPDATE jobs SET status = 'failed', finished_at = ?, data = NULL, "
                "error = 'interrupted ' || attempts || ' times (the server stopped while "
                "running it)' WHERE status = 'running' AND attempts >= ?",
                (_iso(), MAX_ATTEMPTS),
            )
            cur = self.conn.execute(
                "UPDATE jobs SET status = 'queued', started_at = NULL, progress = NULL "
                "WHERE status = 'running'"
            )
        return cur.rowcount

    # -- reading -----------------------------------------------------------------------

    def get(self, job_id: int) -> Job | None:
        row = self.conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)
        ).fetchone()
        return _job(row) if row else None

    def recent(
        self,
        limit: int = 50,
        offset: int = 0,
        *,
        status: str | None = None,
        kind: str | None = None,
    ) -> Page[Job]:
        """Jobs newest first, optionally of one status and/or kind."""
        clauses, params = [], []
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        total = self.conn.execute(f"SELECT count(*) FROM jobs {where}", params).fetchone()[0]
        rows = self.conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return Page(tuple(_job(row) for row in rows), int(total), limit, offset)

    def heartbeat(self) -> None:
        """The worker notes that it is alive (the web processes may be other processes)."""
        self.conn.execute(
            "INSERT OR REPLACE INTO server_settings (key, value) VALUES ('worker_seen', ?)",
            (_iso(),),
        )

    def worker_seen(self) -> str | None:
        """When a worker last noted it was alive (UTC ISO 8601), if ever."""
        row = self.conn.execute(
            "SELECT value FROM server_settings WHERE key = 'worker_seen'"
        ).fetchone()
        return str(row[0]) if row else None

    def counts(self) -> dict[str, int]:
        """Jobs per status; every status is present."""
        counts: dict[str, int] = dict.fromkeys(JOB_STATUSES, 0)
        for status, n in self.conn.execute("SELECT status, count(*) FROM jobs GROUP BY status"):
            counts[status] = int(n)
        return counts

    def failed_since(self, kind: str, since: str) -> list[Job]:
        """Jobs of `kind` that failed at or after `since` (an ISO time), oldest first."""
        rows = self.conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE kind = ? AND status = 'failed' "
            "AND finished_at >= ? ORDER BY id",
            (kind, since),
        )
        return [_job(row) for row in rows]

    # -- feeds -------------------------------------------------------------------------

    def add_feed(self, url: str, interval_s: int, now: datetime | None = None) -> None:
        """Poll `url` every `interval_s` seconds, starting now (re-adding updates it)."""
        if interval_s <= 0:
            raise ValueError("a feed's polling interval must be positive")
        stamp = _iso(now)
        self.conn.execute(
            "INSERT INTO feeds(url, interval_s, next_poll_at, added_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(url) DO UPDATE SET interval_s = excluded.interval_s, active = 1, "
            "next_poll_at = excluded.next_poll_at",
            (url, interval_s, stamp, stamp),
        )

    def feeds(self) -> list[Feed]:
        rows = self.conn.execute(f"SELECT {_FEED_COLUMNS} FROM feeds ORDER BY added_at, url")
        return [_feed(row) for row in rows]

    def feed(self, url: str) -> Feed | None:
        row = self.conn.execute(
            f"SELECT {_FEED_COLUMNS} FROM feeds WHERE url = ?", (url,)
        ).fetchone()
        return _feed(row) if row else None

    def remove_feed(self, url: str) -> bool:
        return self.conn.execute("DELETE FROM feeds WHERE url = ?", (url,)).rowcount == 1

    def claim_due_feeds(self, now: datetime | None = None) -> list[str]:
        """The active feeds due by `now`; their next poll moves one interval past `now`.

        One statement reads and moves, so of two processes asking at once only one
        gets each feed.
        """
        stamp = _iso(now)
        rows = self.conn.execute(
            f"UPDATE feeds SET next_poll_at = {_PLUS_INTERVAL} "
            "WHERE active = 1 AND next_poll_at <= ? RETURNING url",
            (stamp, stamp),
        ).fetchall()
        return sorted(row[0] for row in rows)

    def feed_polled(self, url: str, status: str, now: datetime | None = None) -> None:
        """Record how a poll went; the next one is at least an interval after this one
        (a poll that waited in a busy queue does not make the next come early)."""
        stamp = _iso(now)
        self.conn.execute(
            "UPDATE feeds SET last_polled_at = ?, last_status = ?, "
            f"next_poll_at = max(next_poll_at, {_PLUS_INTERVAL}) WHERE url = ?",
            (stamp, one_line(status, 300), stamp, url),
        )
