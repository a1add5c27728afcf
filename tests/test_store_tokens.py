"""API tokens in a real store: shown once, kept only as a digest, refused once revoked."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from storylens.store import SQLiteStore
from storylens.store.tokens import TOKEN_PREFIX


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "tokens.db")


def test_a_token_is_shown_once_and_only_its_digest_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "secret.db"
    with SQLiteStore(db) as store:
        token_id, token = store.tokens.create("ci bot", "editor")
        row = store.conn.execute("SELECT * FROM api_tokens WHERE id = ?", (token_id,)).fetchone()
        assert row["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert token.startswith(TOKEN_PREFIX) and len(token) == len(TOKEN_PREFIX) + 43
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert token.encode() not in on_disk
    assert token.removeprefix(TOKEN_PREFIX).encode() not in on_disk
    assert hashlib.sha256(token.encode()).hexdigest().encode() in on_disk


def test_verify_accepts_the_token_and_nothing_like_it(store: SQLiteStore) -> None:
    token_id, token = store.tokens.create("reader one", "reader")
    info = store.tokens.verify(token)
    assert info is not None
    assert (info.id, info.name, info.role) == (token_id, "reader one", "reader")
    assert info.revoked_at is None
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in (flipped, token + "x", token[:-1], token.removeprefix(TOKEN_PREFIX), "", "slk_"):
        assert store.tokens.verify(wrong) is None
    assert store.tokens.verify(TOKEN_PREFIX + "a" * 10_000) is None


def test_tokens_are_distinct_and_work_from_another_connection(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with SQLiteStore(db) as writer:
        made = [writer.tokens.create(f"t{i}", "reader") for i in range(50)]
    assert len({token for _, token in made}) == 50
    with SQLiteStore(db) as reader:
        for token_id, token in made:
            info = reader.tokens.verify(token)
            assert info is not None and info.id == token_id


def test_a_revoked_token_is_refused_and_stays_listed(store: SQLiteStore) -> None:
    keep_id, keep = store.tokens.create("keep", "editor")
    gone_id, gone = store.tokens.create("gone", "editor")
    assert store.tokens.revoke(gone_id) is True
    assert store.tokens.revoke(gone_id) is False  # already revoked
    assert store.tokens.revoke(9999) is False
    assert store.tokens.verify(gone) is None
    assert store.tokens.active(gone_id) is None
    assert store.tokens.verify(keep) is not None
    active = store.tokens.active(keep_id)
    assert active is not None and active.name == "keep"
    listed = store.tokens.list()
    assert [t.name for t in listed] == ["keep", "gone"]
    assert listed[0].active and not listed[1].active and listed[1].revoked_at is not None
    assert not any(hasattr(t, "token") or hasattr(t, "token_sha256") for t in listed)


def test_last_used_is_written_at_most_once_a_minute(store: SQLiteStore) -> None:
    token_id, token = store.tokens.create("busy", "reader")
    assert store.tokens.list()[0].last_used_at is None
    first = store.tokens.verify(token)
    assert first is not None and first.last_used_at is not None
    stamp = first.last_used_at
    changes = store.conn.total_changes
    for _ in range(20):
        again = store.tokens.verify(token)
        assert again is not None and again.last_used_at == stamp
    assert store.conn.total_changes == changes  # the reads wrote nothing
    store.conn.execute(
        "UPDATE api_tokens SET last_used_at = '2020-01-01T00:00:00Z' WHERE id = ?", (token_id,)
    )
    later = store.tokens.verify(token)
    assert later is not None and later.last_used_at is not None
    assert later.last_used_at > "2020-01-01T00:00:00Z"
    got = store.tokens.get(token_id)
    assert got is not None and got.last_used_at == later.last_used_at


@pytest.mark.parametrize(
    ("name", "role", "message"),
    [
        ("x", "admin", "unknown role"),
        ("   ", "reader", "needs a name"),
        ("n" * 101, "reader", "at most 100"),
    ],
)
def test_create_refuses_bad_input(store: SQLiteStore, name: str, role: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        store.tokens.create(name, role)
    assert store.tokens.list() == []
