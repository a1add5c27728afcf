"""API tokens, kept as SHA-256 digests so a copy of the database grants nothing.

A token is shown once, when created (`slk_` + 32 random bytes, URL-safe); the store
keeps only its digest. Tokens carry 256 bits of randomness, so a plain (unsalted,
fast) hash is enough: there is nothing to brute-force. Looking the digest up through
the unique index reveals through timing at most which digests exist, which does not
help anyone forge a token; the final comparison is constant-time all the same.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, cast

__all__ = ["ROLES", "TOKEN_PREFIX", "Role", "TokenInfo", "TokenTable", "token_digest"]

TOKEN_PREFIX = "slk_"
Role = Literal["reader", "editor"]
ROLES: tuple[Role, ...] = ("reader", "editor")
MAX_NAME = 100
# Longer than any token we make: anything longer is refused before hashing.
_MAX_TOKEN = 128
# Recording every use would turn each authenticated read into a write.
_TOUCH_EVERY = timedelta(minutes=1)

_COLUMNS = "id, name, role, created_at, last_used_at, revoked_at"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def token_digest(plaintext: str) -> str:
    """The hex SHA-256 of a token, as stored."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as listed: never its plaintext, which is not stored."""

    id: int
    name: str
    role: Role
    created_at: str
    last_used_at: str | None
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _info(row: sqlite3.Row) -> TokenInfo:
    return TokenInfo(
        int(row["id"]),
        row["name"],
        cast(Role, row["role"]),
        row["created_at"],
        row["last_used_at"],
        row["revoked_at"],
    )


class TokenTable:
    """API tokens on one connection (see `SQLiteStore.tokens`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def create(self, name: str, role: str) -> tuple[int, str]:
        """A new token: (id, plaintext). The plaintext cannot be recovered later."""
        name = " ".join(name.split())
        if not name:
            raise ValueError("a token needs a name")
        if len(name) > MAX_NAME:
            raise ValueError(f"a token name has at most {MAX_NAME} characters")
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (choose {' or '.join(ROLES)})")
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
        cur = self.conn.execute(
            "INSERT INTO api_tokens(name, role, token_sha256, created_at) VALUES (?, ?, ?, ?)",
            (name, role, token_digest(plaintext), _iso(_now())),
        )
        return int(cur.lastrowid or 0), plaintext

    def verify(self, plaintext: str) -> TokenInfo | None:
        """The token's details when it is valid and not revoked; None otherwise."""
        if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > _MAX_TOKEN:
            return None
        digest = token_digest(plaintext)
        row = self.conn.execute(
            f"SELECT {_COLUMNS}, token_sha256 FROM api_tokens WHERE token_sha256 = ?", (digest,)
        ).fetchone()
        if row is None or not hmac.compare_digest(row["token_sha256"], digest):
            return None
        info = _info(row)
        if info.revoked_at is not None:
            return None
        return self._touch(info)

    def _touch(self, info: TokenInfo) -> TokenInfo:
        """Record the use, at most once a minute; best effort (a busy store skips it)."""
        now = _now()
        last = info.last_used_at
        if last is not None and now - datetime.fromisoformat(last) < _TOUCH_EVERY:
            return info
        stamp = _iso(now)
        try:
            self.conn.execute(
                "UPDATE api_tokens SET last_used_at = ? WHERE id = ? "
                "AND (last_used_at IS NULL OR last_used_at < ?)",
                (stamp, info.id, stamp),
            )
        except sqlite3.OperationalError:  # database locked past the timeout: not worth failing
            return info
        return TokenInfo(info.id, info.name, info.role, info.created_at, stamp, info.revoked_at)

    def get(self, token_id: int) -> TokenInfo | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM api_tokens WHERE id = ?", (token_id,)
        ).fetchone()
        return _info(row) if row else None

    def active(self, token_id: int) -> TokenInfo | None:
        """The token with this id if it is not revoked (a session signed in with it)."""
        info = self.get(token_id)
        return info if info is not None and info.active else None

    def list(self) -> builtins.list[TokenInfo]:
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM api_tokens ORDER BY id")
        return [_info(row) for row in rows]

    def revoke(self, token_id: int) -> bool:
        """Revoke a token for good; False when there is no such active token."""
        cur = self.conn.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (_iso(_now()), token_id),
        )
        return cur.rowcount == 1
