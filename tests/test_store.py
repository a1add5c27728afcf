"""The SQLite store against real database files."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from storylens.model import Article, Outlet, TimeValue
from storylens.readers.base import RawDocument
from storylens.store import open_store
from storylens.store.migrations import latest_version

BODY = (
    "The city council voted on Tuesday to close the old harbour bridge for repairs after "
    "engineers found cracks in two of its supporting piers. The closure will last at least "
    "six weeks, the council said, and ferries will run every twenty minutes in the meantime. "
    "Residents on the north shore said the decision came too late."
)


def article(article_id: str, text: str = BODY, **kwargs: object) -> Article:
    return Article(
        id=article_id,
        text=text,
        source=f"{article_id}.txt",
        title=f"Title {article_id}",
        outlet=Outlet("Example", "example.com"),
        published=TimeValue("t", datetime(2021, 1, 1, 12, tzinfo=UTC)),
        content_hash=f"hash-{hash(text)}",
        **kwargs,  # type: ignore[arg-type]
    )


def raw(data: bytes) -> RawDocument:
    return RawDocument(source="x", data=data, media_type="text/plain")


def test_schema_is_versioned(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        assert store.schema_version == latest_version() >= 1
    conn = sqlite3.connect(tmp_path / "s.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()
    # Re-opening applies nothing twice.
    with open_store(tmp_path / "s.db") as store:
        assert store.schema_version == latest_version()


def test_add_is_idempotent_and_keeps_raw_input(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        data = b"raw page bytes " * 100
        first = store.add(article("a1"), raw(data))
        again = store.add(article("a1"), raw(data))
        assert (first.status, again.status) == ("stored", "present")
        assert store.count() == 1
        assert store.raw("a1") == data
        assert store.get("a1") == dataclasses.replace(article("a1"), raw_sha256=raw(data).sha256)


def test_near_copies_are_linked_to_the_first_not_dropped(tmp_path: Path) -> None:
    copy_text = BODY.replace("Tuesday", "Tuesday evening")
    other = "A completely different story about football transfers and a record fee paid."
    with open_store(tmp_path / "s.db") as store:
        store.add(article("orig"))
        copy = store.add(article("copy", copy_text))
        exact = store.add(article("exact", BODY))
        unrelated = store.add(article("other", other))
        assert copy.status == "stored" and copy.duplicate_of == "orig"
        assert copy.similarity is not None and copy.similarity >= 0.85
        assert exact.duplicate_of == "orig" and exact.similarity == 1.0
        assert unrelated.duplicate_of is None
        assert store.copies_of("orig") == ["copy", "exact"]
        assert store.count() == 4


def test_resolve_by_prefix_external_id_and_url(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        store.add(
            article("abcdef0123456789", external_id="ext-1", url="https://www.x.com/a?utm_source=z")
        )
        assert store.resolve("abcdef01") == ["abcdef0123456789"]
        assert store.resolve("ext-1") == ["abcdef0123456789"]
        assert store.resolve("https://x.com/a") == ["abcdef0123456789"]
        assert store.resolve("zzzz") == []


def test_iter_articles_in_arrival_order(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        for i in range(7):
            store.add(article(f"id{i}", f"{BODY} Variant number {i} with words {'x' * i}."))
        assert [a.id for a in store.iter_articles(batch=3)] == [f"id{i}" for i in range(7)]


CHILD = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from storylens.model import Article, TimeValue
    from storylens.readers.base import RawDocument
    from storylens.store import open_store

    store = open_store(sys.argv[1])
    for i in range(100000):
        text = f"Report number {i}. " + " ".join(f"w{i}_{j}" for j in range(200))
        art = Article(id=f"a{i:06d}", text=text, source=f"s{i}", content_hash=f"h{i}",
                      published=TimeValue("t", datetime(2021, 1, 1, tzinfo=UTC)))
        store.add(art, RawDocument(source=f"s{i}", data=text.encode() * 3, media_type="text/plain"))
        print(art.id, flush=True)
    """
)


def test_killing_an_ingest_loses_nothing_reported_and_leaves_no_half_article(
    tmp_path: Path,
) -> None:
    db = tmp_path / "kill.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    reported = []
    for line in proc.stdout:
        reported.append(line.strip())
        if len(reported) >= 300:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0] for row in conn.execute("SELECT id FROM articles")}
    assert set(reported) <= stored
    # Every stored article is whole: its raw input and all its index rows are there.
    incomplete = conn.execute(
        "SELECT count(*) FROM articles a WHERE a.raw_sha256 IS NULL "
        "OR NOT EXISTS (SELECT 1 FROM raw_inputs r WHERE r.sha256 = a.raw_sha256) "
        "OR (SELECT count(*) FROM minhash_bands b WHERE b.article_id = a.id) != 16"
    ).fetchone()[0]
    assert incomplete == 0
    orphans = conn.execute(
        "SELECT count(*) FROM minhash_bands b WHERE NOT EXISTS "
        "(SELECT 1 FROM articles a WHERE a.id = b.article_id)"
    ).fetchone()[0]
    assert orphans == 0
