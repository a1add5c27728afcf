"""The SQLite article store.

One file, WAL mode so the web app can read while an ingest writes. Every article is
written in its own short transaction together with its raw input and near-copy index
rows, so killing an ingest never leaves half an article and never loses one already
reported stored.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from storylens.extract.urls import canonical_url
from storylens.model import Article
from storylens.readers.base import RawDocument
from storylens.store.analyses import AnalysisTable
from storylens.store.catalog import Catalog
from storylens.store.jobs import JobQueue
from storylens.store.migrations import migrate
from storylens.store.stories import StoryTable
from storylens.store.tokens import TokenTable
from storylens.store.transaction import immediate
from storylens.stories import nearcopy

ENV_DB = "STORYLENS_DB"
DEFAULT_DB = "storylens.db"
# Raw inputs below this size are stored uncompressed (compression would not pay).
_COMPRESS_FROM = 512


def default_db_path() -> Path:
    return Path(os.environ.get(ENV_DB) or DEFAULT_DB)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class AddResult:
    """What happened to one article: stored new, or already present.

    `duplicate_of` names the first stored copy when the new article is a (near-)copy
    of it; the copy is still stored, linked, never dropped.
    """

    status: Literal["stored", "present"]
    article_id: str
    duplicate_of: str | None = None
    similarity: float | None = None


class SQLiteStore:
    """Articles and their raw inputs in one SQLite file."""

    def __init__(self, path: str | Path, *, check_same_thread: bool = True) -> None:
        """Open (and create or migrate) the store. `check_same_thread=False` is for a
        connection pool that hands each connection to one request at a time, whatever
        thread runs it; never share one store between concurrent users."""
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(
            str(path), isolation_level=None, timeout=30.0, check_same_thread=check_same_thread
        )
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.schema_version = migrate(self.conn)
        self.stories = StoryTable(self.conn)
        self.catalog = Catalog(self.conn)
        self.analyses = AnalysisTable(self.conn)
        self.tokens = TokenTable(self.conn)
        self.jobs = JobQueue(self.conn)

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction: everything inside commits together or not at all."""
        return immediate(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------

    def add(self, article: Article, raw: RawDocument | None = None) -> AddResult:
        """Store an article (idempotent): the same article twice adds nothing."""
        if self.has(article.id):
            return AddResult("present", article.id)
        sig = nearcopy.signature(article.text)
        keys = nearcopy.band_keys(sig)
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM articles WHERE id = ?", (article.id,)).fetchone():
                conn.execute("ROLLBACK")
                return AddResult("present", article.id)
            duplicate_of, similarity = self._find_copy(article, sig, keys)
            if raw is not None:
                self._put_raw(raw)
            raw_sha256 = raw.sha256 if raw is not None else self._known_raw(article.raw_sha256)
            self._insert(article, sig, duplicate_of, similarity, raw_sha256)
            conn.executemany(
                "INSERT OR IGNORE INTO minhash_bands(band, key, article_id) VALUES (?, ?, ?)",
                [(band, key, article.id) for band, key in enumerate(keys)],
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return AddResult("stored", article.id, duplicate_of, similarity)

    def _find_copy(
        self, article: Article, sig: object, keys: list[int]
    ) -> tuple[str | None, float | None]:
        """The first stored article this one copies (exactly or nearly), if any."""
        exact = self.conn.execute(
            "SELECT id, duplicate_of FROM articles WHERE content_hash = ? ORDER BY seq LIMIT 1",
            (article.content_hash,),
        ).fetchone()
        if exact:
            return exact["duplicate_of"] or exact["id"], 1.0
        clauses = " OR ".join("(band = ? AND key = ?)" for _ in keys)
        params = [v for band, key in enumerate(keys) for v in (band, key)]
        rows = self.conn.execute(
            f"SELECT a.id, a.duplicate_of, a.minhash FROM articles a WHERE a.id IN "
            f"(SELECT article_id FROM minhash_bands WHERE {clauses}) ORDER BY a.seq",
            params,
        ).fetchall()
        for row in rows:
            if row["minhash"] is None:
                continue
            score = nearcopy.similarity(sig, nearcopy.from_blob(row["minhash"]))  # type: ignore[arg-type]
            if score >= nearcopy.NEAR_COPY_THRESHOLD:
                return row["duplicate_of"] or row["id"], round(score, 4)
        return None, None

    def _known_raw(self, sha256: str | None) -> str | None:
        """An article's raw-input reference, kept only when that input is stored."""
        if sha256 is None:
            return None
        row = self.conn.execute("SELECT 1 FROM raw_inputs WHERE sha256 = ?", (sha256,)).fetchone()
        return sha256 if row else None

    def _put_raw(self, raw: RawDocument) -> None:
        data = raw.data
        compression = "none"
        if len(data) >= _COMPRESS_FROM:
            data, compression = zlib.compress(data, 6), "zlib"
        self.conn.execute(
            "INSERT OR IGNORE INTO raw_inputs(sha256, media_type, size, compression, data) "
            "VALUES (?, ?, ?, ?, ?)",
            (raw.sha256, raw.media_type, len(raw.data), compression, data),
        )

    def _insert(
        self,
        article: Article,
        sig: object,
        duplicate_of: str | None,
        similarity: float | None,
        raw_sha256: str | None,
    ) -> None:
        doc = article.to_dict()
        doc.pop("text")
        doc["raw_sha256"] = raw_sha256
        published = article.published
        self.conn.execute(
            """INSERT INTO articles(id, external_id, source, url, canonical_url, outlet_name,
                   outlet_domain, title, language, published_utc, published_earliest,
                   published_latest, content_hash, duplicate_of, duplicate_similarity,
                   raw_sha256, ingested_at, doc, text, minhash)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                article.id,
                article.external_id,
                article.source,
                article.url,
                canonical_url(article.url) if article.url else None,
                article.outlet.name if article.outlet else None,
                article.outlet.domain if article.outlet else None,
                article.title,
                article.language,
                _iso(published.utc) if published and published.utc else None,
                _iso(published.earliest) if published else None,
                _iso(published.latest) if published else None,
                article.content_hash,
                duplicate_of,
                similarity,
                raw_sha256,
                _now(),
                json.dumps(doc, ensure_ascii=False, sort_keys=True),
                article.text,
                nearcopy.to_blob(sig),  # type: ignore[arg-type]
            ),
        )

    # -- reading -------------------------------------------------------------------

    def has(self, article_id: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone()
            is not None
        )

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    def get(self, article_id: str) -> Article | None:
        row = self.conn.execute(
            "SELECT doc, text FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return _article(row) if row else None

    def resolve(self, ref: str) -> list[str]:
        """Article ids matching a reference: an id, a unique id prefix, an external id or URL."""
        rows = self.conn.execute(
            "SELECT id FROM articles WHERE id = ? OR external_id = ? OR url = ? "
            "OR canonical_url = ? ORDER BY seq",
            (ref, ref, ref, canonical_url(ref) if "://" in ref else None),
        ).fetchall()
        if not rows and len(ref) >= 4:
            rows = self.conn.execute(
                "SELECT id FROM articles WHERE id LIKE ? ESCAPE '\\' ORDER BY seq",
                (ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
            ).fetchall()
        return [r["id"] for r in rows]

    def iter_articles(self, batch: int = 500) -> Iterator[Article]:
        """Every article in arrival order, fetched in batches (memory flat)."""
        last = 0
        while True:
            rows = self.conn.execute(
                "SELECT seq, doc, text FROM articles WHERE seq > ? ORDER BY seq LIMIT ?",
                (last, batch),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _article(row)
            last = rows[-1]["seq"]

    def duplicate_info(self, article_id: str) -> tuple[str | None, float | None]:
        row = self.conn.execute(
            "SELECT duplicate_of, duplicate_similarity FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return (row["duplicate_of"], row["duplicate_similarity"]) if row else (None, None)

    def copies_of(self, article_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT id FROM articles WHERE duplicate_of = ? ORDER BY seq", (article_id,)
        ).fetchall()
        return [r["id"] for r in rows]

    def raw(self, article_id: str) -> bytes | None:
        row = self.conn.execute(
            "SELECT r.data, r.compression FROM raw_inputs r JOIN articles a "
            "ON a.raw_sha256 = r.sha256 WHERE a.id = ?",
            (article_id,),
        ).fetchone()
        if row is None:
            return None
        data = bytes(row["data"])
        return zlib.decompress(data) if row["compression"] == "zlib" else data

    # -- ingest bookkeeping ----------------------------------------------------------

    def start_run(self, targets: list[str]) -> int:
        cur = self.conn.execute(
            "INSERT INTO ingest_runs(started_at, targets) VALUES (?, ?)",
            (_now(), json.dumps(targets)),
        )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, stored: int, present: int, failed: int) -> None:
        self.conn.execute(
            "UPDATE ingest_runs SET finished_at = ?, stored = ?, present = ?, failed = ? "
            "WHERE id = ?",
            (_now(), stored, present, failed, run_id),
        )

    def record_failure(self, run_id: int | None, source: str, reason: str) -> None:
        self.conn.execute(
            "INSERT INTO ingest_failures(run_id, source, reason, at) VALUES (?, ?, ?, ?)",
            (run_id, source, reason, _now()),
        )

    # -- HTTP validators (conditional GET) ---------------------------------------------

    def get_validators(self, url: str) -> tuple[str | None, str | None] | None:
        row = self.conn.execute(
            "SELECT etag, last_modified FROM http_validators WHERE url = ?", (url,)
        ).fetchone()
        return (row["etag"], row["last_modified"]) if row else None

    def put_validators(
        self, url: str, etag: str | None, last_modified: str | None, status: int
    ) -> None:
        self.conn.execute(
            "INSERT INTO http_validators(url, etag, last_modified, checked_at, status) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET "
            "etag = coalesce(excluded.etag, etag), "
            "last_modified = coalesce(excluded.last_modified, last_modified), "
            "checked_at = excluded.checked_at, status = excluded.status",
            (url, etag, last_modified, _now(), status),
        )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _article(row: sqlite3.Row) -> Article:
    doc = json.loads(row["doc"])
    doc["text"] = row["text"]
    return Article.from_dict(doc)


def open_store(path: str | Path | None = None) -> SQLiteStore:
    """Open (creating and migrating as needed) the store at `path` or the default."""
    return SQLiteStore(path if path is not None else default_db_path())
