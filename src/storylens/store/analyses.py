"""Stored story comparisons and the search indexes drawn from them.

Comparing a story takes seconds, so the server computes it once in the background and
keeps the JSON report and the HTML fragment; a page or API call only reads them. A
stored analysis records the members it was computed on (`members_key`): when grouping
changes a story, the key no longer matches and the story is due again.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

__all__ = [
    "AnalysisTable",
    "EntityRow",
    "OutletStats",
    "QuoteRow",
    "StoredAnalysis",
    "members_key",
]


def members_key(article_ids: Iterable[str]) -> str:
    """sha256 of the sorted, distinct member ids: equal exactly when the members are."""
    joined = "\n".join(sorted(set(article_ids)))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredAnalysis:
    story_id: str
    members_key: str
    computed_at: str
    version: str
    report_json: str
    report_html: str


@dataclass(frozen=True, slots=True)
class QuoteRow:
    """One quote of one article: what was said, by whom, where (offsets into the text)."""

    article_id: str
    speaker: str | None
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class EntityRow:
    """A name one article mentions, with its label and how many times it does."""

    article_id: str
    text: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class OutletStats:
    """One outlet in one story: facts its articles carry, add and omit."""

    outlet: str
    facts: int
    adds: int
    omits: int


@dataclass(frozen=True, slots=True)
class AnalysisHeader:
    """What a stored analysis is, without its (large) report texts."""

    story_id: str
    members_key: str
    computed_at: str
    version: str

    def fresh_for(self, article_ids: Iterable[str]) -> bool:
        """Computed on exactly these members."""
        return self.members_key == members_key(article_ids)


class AnalysisTable:
    """Stored analyses on one connection; writes are atomic and nest in a transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, story_id: str) -> StoredAnalysis | None:
        row = self.conn.execute(
            "SELECT story_id, members_key, computed_at, version, report_json, report_html "
            "FROM story_analyses WHERE story_id = ?",
            (story_id,),
        ).fetchone()
        return StoredAnalysis(*row) if row else None

    def header(self, story_id: str) -> AnalysisHeader | None:
        """The analysis' identity and age; the API's story read needs no more."""
        row = self.conn.execute(
            "SELECT story_id, members_key, computed_at, version "
            "FROM story_analyses WHERE story_id = ?",
            (story_id,),
        ).fetchone()
        return AnalysisHeader(*row) if row else None

    def fragment(self, story_id: str) -> tuple[AnalysisHeader, str] | None:
        """The header and the HTML fragment: what a story page shows, without the JSON
        report (several times larger) that it does not use."""
        row = self.conn.execute(
            "SELECT story_id, members_key, computed_at, version, report_html "
            "FROM story_analyses WHERE story_id = ?",
            (story_id,),
        ).fetchone()
        return (AnalysisHeader(*row[:4]), row[4]) if row else None

    def put(
        self,
        analysis: StoredAnalysis,
        quotes: Sequence[QuoteRow],
        entities: Sequence[EntityRow],
        stats: Sequence[OutletStats],
    ) -> None:
        """Store the analysis and replace the story's quote, entity and outlet rows.

        Also drops index rows that the story's current articles left under another story
        (before a merge or a move), so a quote is found once. A savepoint makes it all or
        nothing, inside the caller's transaction or on its own.
        """
        conn = self.conn
        story_id = analysis.story_id
        conn.execute("SAVEPOINT analysis_put")
        try:
            conn.execute(
                "INSERT INTO story_analyses(story_id, members_key, computed_at, version, "
                "report_json, report_html) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(story_id) DO UPDATE SET members_key = excluded.members_key, "
                "computed_at = excluded.computed_at, version = excluded.version, "
                "report_json = excluded.report_json, report_html = excluded.report_html",
                (
                    story_id,
                    analysis.members_key,
                    analysis.computed_at,
                    analysis.version,
                    analysis.report_json,
                    analysis.report_html,
                ),
            )
            members = "SELECT article_id FROM story_members WHERE story_id = ?"
            for table in ("quote_index", "entity_index"):
                conn.execute(
                    f"DELETE FROM {table} WHERE story_id = ? OR article_id IN ({members})",
                    (story_id, story_id),
                )
            conn.execute(
                "DELETE FROM outlet_story_stats WHERE story_id = ? "
                "OR story_id IN (SELECT id FROM stories WHERE merged_into = ?)",
                (story_id, story_id),
            )
            conn.executemany(
                "INSERT INTO quote_index(story_id, article_id, speaker, text, start, end) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(story_id, q.article_id, q.speaker, q.text, q.start, q.end) for q in quotes],
            )
            conn.executemany(
                "INSERT INTO entity_index(story_id, article_id, text, label, count) "
                "VALUES (?, ?, ?, ?, ?)",
                [(story_id, e.article_id, e.text, e.label, e.count) for e in entities],
            )
            conn.executemany(
                "INSERT INTO outlet_story_stats(story_id, outlet, facts, adds, omits) "
                "VALUES (?, ?, ?, ?, ?)",
                [(story_id, s.outlet, s.facts, s.adds, s.omits) for s in stats],
            )
        except BaseException:
            conn.execute("ROLLBACK TO analysis_put")
            conn.execute("RELEASE analysis_put")
            raise
        conn.execute("RELEASE analysis_put")

    def stale_or_missing(self, limit: int) -> list[str]:
        """Live stories of two or more articles with no analysis or an outdated one.

        The most recently published first: those are the ones people are reading.
        """
        if limit <= 0:
            return []
        stored = dict(self.conn.execute("SELECT story_id, members_key FROM story_analyses"))
        rows = self.conn.execute(
            "SELECT ss.story_id, m.article_id FROM story_summary ss "
            "JOIN stories s ON s.id = ss.story_id "
            "JOIN story_members m ON m.story_id = ss.story_id "
            "WHERE s.merged_into IS NULL AND ss.articles >= 2 "
            "ORDER BY ss.last_published DESC, ss.story_id DESC"
        )
        due: list[str] = []
        for story_id, members in groupby(rows, key=lambda row: row[0]):
            if stored.get(story_id) != members_key(row[1] for row in members):
                due.append(story_id)
                if len(due) >= limit:
                    break
        rows.close()
        return due
