"""Story membership, events and overrides in the SQLite store.

Shares the article store's connection; callers group writes in
`SQLiteStore.transaction()` so a grouping run is all-or-nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class StoryRow:
    """A story as listed: its members in publication order and their span in time."""

    id: str
    seq: int
    founder: str
    article_ids: tuple[str, ...]
    merged_into: str | None = None
    origins: int | None = None


@dataclass(frozen=True, slots=True)
class Override:
    id: int
    kind: str
    payload: dict[str, Any]
    at: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "payload": self.payload, "at": self.at}


class StoryTable:
    """Reads and writes of stories on one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- stories ---------------------------------------------------------------------

    def create(self, story_id: str, founder: str) -> None:
        seq = self.conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM stories").fetchone()[0]
        self.conn.execute(
            "INSERT INTO stories(id, seq, founder, created_at) VALUES (?, ?, ?, ?)",
            (story_id, seq, founder, _now()),
        )

    def exists(self, story_id: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone()
        return row is not None

    def seq_of(self, story_id: str) -> int | None:
        row = self.conn.execute("SELECT seq FROM stories WHERE id = ?", (story_id,)).fetchone()
        return int(row[0]) if row else None

    def resolve(self, ref: str) -> list[str]:
        """Story ids matching an id or a unique prefix; follows merges to the survivor."""
        rows = self.conn.execute("SELECT id, merged_into FROM stories WHERE id = ?", (ref,))
        found = rows.fetchall()
        if not found and len(ref) >= 4:
            pattern = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            found = self.conn.execute(
                "SELECT id, merged_into FROM stories WHERE id LIKE ? ESCAPE '\\' ORDER BY seq",
                (pattern,),
            ).fetchall()
        return sorted({self.survivor(row[0]) for row in found})

    def survivor(self, story_id: str) -> str:
        """The story that holds `story_id`'s articles now (after merges)."""
        seen = set()
        current = story_id
        while current not in seen:
            seen.add(current)
            row = self.conn.execute(
                "SELECT merged_into FROM stories WHERE id = ?", (current,)
            ).fetchone()
            if row is None or row[0] is None:
                return current
            current = row[0]
        return current

    def mark_merged(self, story_id: str, into: str) -> None:
        self.conn.execute("UPDATE stories SET merged_into = ? WHERE id = ?", (into, story_id))

    def set_lineage(self, story_id: str, origins: int, lineage: list[dict[str, Any]]) -> None:
        self.conn.execute(
            "UPDATE stories SET origins = ?, lineage = ? WHERE id = ?",
            (origins, _json(lineage), story_id),
        )

    def lineage(self, story_id: str) -> list[dict[str, Any]] | None:
        row = self.conn.execute("SELECT lineage FROM stories WHERE id = ?", (story_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def revive(self, story_id: str) -> None:
        self.conn.execute("UPDATE stories SET merged_into = NULL WHERE id = ?", (story_id,))

    def live(self) -> Iterator[StoryRow]:
        """Stories that hold articles, oldest first."""
        rows = self.conn.execute(
            "SELECT s.id, s.seq, s.founder, s.merged_into, "
            "json_group_array(m.article_id) AS members, s.origins "
            "FROM stories s JOIN story_members m ON m.story_id = s.id "
            "JOIN articles a ON a.id = m.article_id "
            "GROUP BY s.id ORDER BY s.seq"
        )
        for row in rows:
            yield StoryRow(row[0], row[1], row[2], tuple(json.loads(row[4])), row[3], row[5])

    def count(self) -> int:
        return int(
            self.conn.execute("SELECT count(DISTINCT story_id) FROM story_members").fetchone()[0]
        )

    # -- membership ------------------------------------------------------------------

    def assign(
        self, article_id: str, story_id: str, method: str, evidence: dict[str, Any] | None
    ) -> None:
        self.conn.execute(
            "INSERT INTO story_members(article_id, story_id, method, evidence, assigned_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(article_id) DO UPDATE SET "
            "story_id = excluded.story_id, method = excluded.method, "
            "evidence = excluded.evidence, assigned_at = excluded.assigned_at",
            (article_id, story_id, method, _json(evidence), _now()),
        )

    def story_of(self, article_id: str) -> str | None:
        row = self.conn.execute(
            "SELECT story_id FROM story_members WHERE article_id = ?", (article_id,)
        ).fetchone()
        return row[0] if row else None

    def members(self, story_id: str) -> list[str]:
        """Member article ids in publication order (a zone-unknown time by its midpoint)."""
        rows = self.conn.execute(
            "SELECT m.article_id FROM story_members m JOIN articles a ON a.id = m.article_id "
            "WHERE m.story_id = ? ORDER BY a.published_earliest IS NULL, "
            "(julianday(a.published_earliest) + julianday(a.published_latest)) / 2, a.seq",
            (story_id,),
        )
        return [row[0] for row in rows]

    def membership(self, article_id: str) -> tuple[str, str, dict[str, Any] | None] | None:
        """(story id, method, evidence) for an article."""
        row = self.conn.execute(
            "SELECT story_id, method, evidence FROM story_members WHERE article_id = ?",
            (article_id,),
        ).fetchone()
        if row is None:
            return None
        return row[0], row[1], json.loads(row[2]) if row[2] else None

    def all_members(self) -> dict[str, str]:
        rows = self.conn.execute("SELECT article_id, story_id FROM story_members")
        return {row[0]: row[1] for row in rows}

    def unassigned(self) -> list[str]:
        """Articles in no story yet, in arrival order."""
        rows = self.conn.execute(
            "SELECT a.id FROM articles a LEFT JOIN story_members m ON m.article_id = a.id "
            "WHERE m.article_id IS NULL ORDER BY a.seq"
        )
        return [row[0] for row in rows]

    def recent(self, since: str, until: str) -> list[tuple[str, str]]:
        """(article id, story id) of grouped articles whose time overlaps [since, until]."""
        rows = self.conn.execute(
            "SELECT a.id, m.story_id FROM articles a JOIN story_members m ON m.article_id = a.id "
            "WHERE a.published_latest >= ? AND a.published_earliest <= ? ORDER BY a.seq",
            (since, until),
        )
        return [(row[0], row[1]) for row in rows]

    # -- events and overrides ----------------------------------------------------------

    def record_event(
        self,
        kind: str,
        story_id: str | None,
        other_id: str | None = None,
        article_ids: list[str] | None = None,
        actor: str = "auto",
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.conn.execute(
            "INSERT INTO story_events(kind, story_id, other_id, article_ids, actor, detail, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, story_id, other_id, _json(article_ids), actor, _json(detail), _now()),
        )

    def events(self, story_id: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT kind, story_id, other_id, article_ids, actor, detail, at FROM story_events"
        params: tuple[str, ...] = ()
        if story_id:
            query += " WHERE story_id = ? OR other_id = ?"
            params = (story_id, story_id)
        rows = self.conn.execute(query + " ORDER BY id", params)
        return [
            {
                "kind": r[0],
                "story_id": r[1],
                "other_id": r[2],
                "article_ids": json.loads(r[3]) if r[3] else None,
                "actor": r[4],
                "detail": json.loads(r[5]) if r[5] else None,
                "at": r[6],
            }
            for r in rows
        ]

    def add_override(self, kind: str, payload: dict[str, Any], at: str | None = None) -> None:
        self.conn.execute(
            "INSERT INTO story_overrides(kind, payload, at) VALUES (?, ?, ?)",
            (kind, json.dumps(payload, sort_keys=True), at or _now()),
        )

    def overrides(self) -> list[Override]:
        rows = self.conn.execute("SELECT id, kind, payload, at FROM story_overrides ORDER BY id")
        return [Override(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]

    # -- grouper state -----------------------------------------------------------------

    def get_state(self, key: str) -> bytes | None:
        row = self.conn.execute("SELECT value FROM grouping_state WHERE key = ?", (key,)).fetchone()
        return bytes(row[0]) if row else None

    def put_state(self, key: str, value: bytes) -> None:
        self.conn.execute(
            "INSERT INTO grouping_state(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
