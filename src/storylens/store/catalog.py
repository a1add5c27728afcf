"""Read queries behind the web app and the REST API: lists, filters, search, outlets.

Every list is one page of a query (`Page`: items, total, limit, offset), cheap on a
large store: stories are listed from `story_summary` (kept by triggers, one row per
story) and only the page's own stories are looked at further. Search goes through the
FTS5 tables; the query text a user types is never passed as FTS syntax: it is cut into
words and each word quoted, so no input can make a query fail (see `fts_query`).
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Generic, Literal, TypeVar

__all__ = [
    "ArticleListItem",
    "Catalog",
    "OutletItem",
    "OutletProfile",
    "Page",
    "SearchHit",
    "SearchKind",
    "StoryFilter",
    "StoryListItem",
    "fts_query",
]

T = TypeVar("T")
SearchKind = Literal["articles", "quotes", "entities"]

# Bounds on what one search may ask of FTS5: enough words for any real query.
MAX_TERMS = 16
MAX_TERM_CHARS = 64
SNIPPET_TOKENS = 24

# A word as FTS5's unicode61 tokenizer sees one (letters, digits), optionally followed
# by `*` for a prefix search.
_WORD = re.compile(r"[^\W_]+(\*)?")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a longer list: `total` counts every match, not just these items."""

    items: tuple[T, ...]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class StoryListItem:
    """A live story as a list shows it.

    `title` is the founding article's title (the earliest titled member when the founder
    has none or has left), so it does not change as articles join. Times are the
    members' `published_earliest` (ISO UTC). `analysed` is True when a stored analysis
    exists, current or not.
    """

    id: str
    title: str
    article_count: int
    outlets: tuple[str, ...]
    languages: tuple[str, ...]
    origins: int | None
    first_published: str | None
    last_published: str | None
    analysed: bool


@dataclass(frozen=True, slots=True)
class StoryFilter:
    """Which stories to list; every field narrows, None means any.

    `q` is searched in the member articles (any member matching). `since` and `until`
    are ISO dates, inclusive, compared with the members' publication: a story is in the
    range when its span of publication overlaps it.
    """

    q: str | None = None
    outlet: str | None = None
    language: str | None = None
    since: str | None = None
    until: str | None = None
    min_origins: int | None = None
    min_articles: int | None = None


@dataclass(frozen=True, slots=True)
class ArticleListItem:
    """An article as a list shows it.

    `published` is the UTC time when its zone is known, else None; `published_earliest`
    and `published_latest` bound it either way (equal when known).
    """

    id: str
    title: str | None
    outlet: str | None
    language: str | None
    url: str | None
    published: str | None
    story_id: str | None
    published_earliest: str | None = None
    published_latest: str | None = None


@dataclass(frozen=True, slots=True)
class OutletItem:
    name: str
    articles: int
    stories: int


@dataclass(frozen=True, slots=True)
class OutletProfile:
    """An outlet across the store: its stories and, over its analysed stories, the facts
    its articles carry, add (no other outlet carries them) and omit (most others do)."""

    name: str
    articles: int
    story_count: int
    analysed_stories: int
    facts: int
    adds: int
    omits: int
    languages: tuple[str, ...]
    first_published: str | None
    last_published: str | None
    stories: Page[StoryListItem] = field(default_factory=lambda: Page((), 0, 0, 0))


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result. `snippet` is plain text (no markup): the page highlights it.

    For quotes `speaker` names who said it; for entities `label` and `count` say what
    kind of name it is and how often the article mentions it.
    """

    kind: SearchKind
    article_id: str
    story_id: str | None
    title: str | None
    snippet: str
    speaker: str | None = None
    label: str | None = None
    count: int | None = None


def fts_query(text: str | None) -> str | None:
    """A safe FTS5 query for what a user typed: every word quoted, all required.

    Only runs of letters and digits survive (an optional trailing `*` makes a prefix
    search); operators, column filters, NEAR, parentheses and stray quotes become
    separators. None when nothing searchable is left.
    """
    if not text:
        return None
    terms: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group(0)
        prefix = word.endswith("*")
        word = word.rstrip("*")[:MAX_TERM_CHARS]
        quoted = '"' + word.replace('"', '""') + '"' + ("*" if prefix else "")
        if quoted not in terms:
            terms.append(quoted)
        if len(terms) == MAX_TERMS:
            break
    return " AND ".join(terms) if terms else None


def _day_after(value: str) -> str:
    return (date.fromisoformat(value[:10]) + timedelta(days=1)).isoformat()


def _day(value: str) -> str:
    return date.fromisoformat(value[:10]).isoformat()


# Live stories with their summary row; filters add to WHERE.
_STORY_FROM = (
    "FROM story_summary ss JOIN stories s ON s.id = ss.story_id "
    "WHERE s.merged_into IS NULL AND ss.articles > 0"
)
_STORY_COLUMNS = (
    "SELECT ss.story_id, ss.articles, ss.first_published, ss.last_published, s.origins, "
    "s.founder, EXISTS (SELECT 1 FROM story_analyses sa WHERE sa.story_id = ss.story_id) "
)
# The same stories read from story_summary alone, so that counting a list and skipping
# to its page never visit `stories`: the rows the join above leaves out are the ones in
# story_summary_unlisted (kept by triggers, see 0004), excluded only when there are any.
_LISTED_FROM = "FROM story_summary ss WHERE ss.articles > 0"
_LISTED_ORDER = " ORDER BY ss.last_published DESC, ss.story_id DESC"
_NOT_UNLISTED = " AND ss.story_id NOT IN (SELECT story_id FROM story_summary_unlisted)"
# One page of them (the listing query goes between the two), joined to `stories` for
# just its own rows.
_PAGE_HEAD = (
    "SELECT p.story_id, p.articles, p.first_published, p.last_published, s.origins, "
    "s.founder, EXISTS (SELECT 1 FROM story_analyses sa WHERE sa.story_id = p.story_id) "
    "FROM (SELECT ss.story_id, ss.articles, ss.first_published, ss.last_published "
)
_PAGE_TAIL = (
    " LIMIT ? OFFSET ?) p JOIN stories s ON s.id = p.story_id WHERE s.merged_into IS NULL "
    "ORDER BY p.last_published DESC, p.story_id DESC"
)
# Stories with a member article that matches. The covering indexes are named (0004):
# left to itself SQLite looks up articles by rowid and memberships by their unique
# article_id, reading each whole row (an article's text, a membership's evidence).
_MATCHING_ARTICLES = (
    "ss.story_id IN (SELECT m.story_id FROM articles_fts "
    "JOIN articles a INDEXED BY articles_seq_id ON a.seq = articles_fts.rowid "
    "JOIN story_members m INDEXED BY story_members_article_story ON m.article_id = a.id "
    "WHERE articles_fts MATCH ?)"
)
_MATCHING_MEMBERS = (
    "ss.story_id IN (SELECT m.story_id FROM articles a "
    "JOIN story_members m INDEXED BY story_members_article_story ON m.article_id = a.id "
    "WHERE a.{column} = ?)"
)
_MIN_ORIGINS = (
    "EXISTS (SELECT 1 FROM stories s INDEXED BY stories_id_origins "
    "WHERE s.id = ss.story_id AND s.origins >= ?)"
)


class Catalog:
    """Read-only queries over one connection (the store's)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- stories ---------------------------------------------------------------------

    def stories(self, f: StoryFilter, limit: int = 50, offset: int = 0) -> Page[StoryListItem]:
        """Live stories matching `f`, the most recently published first.

        Raises ValueError when `since` or `until` is not an ISO date.
        """
        limit, offset = max(0, limit), max(0, offset)
        where, params, by_members = self._story_where(f)
        if where is None:
            return Page((), 0, limit, offset)
        if self.conn.execute("SELECT EXISTS (SELECT 1 FROM story_summary_unlisted)").fetchone()[0]:
            where += _NOT_UNLISTED
        listed = f"{_LISTED_FROM}{where}{_LISTED_ORDER}"
        if by_members:
            # Finding the stories of the matching articles is most of the work: do it
            # once for both the count and the page.
            cursor = self.conn.execute(f"SELECT ss.story_id {listed}", params)
            cursor.row_factory = None
            ids = [row[0] for row in cursor]
            total = len(ids)
            rows = self._story_rows(ids[offset : offset + limit])
        else:
            count = self.conn.execute(f"SELECT count(*) {_LISTED_FROM}{where}", params)
            total = int(count.fetchone()[0])
            cursor = self.conn.execute(
                f"{_PAGE_HEAD}{listed}{_PAGE_TAIL}", [*params, limit, offset]
            )
            cursor.row_factory = None
            rows = cursor.fetchall()
        return Page(self._story_items(rows), total, limit, offset)

    def story(self, story_id: str) -> StoryListItem | None:
        """The story as listed, or None when it is not a live story (unknown or merged)."""
        rows = self.conn.execute(
            f"{_STORY_COLUMNS}{_STORY_FROM} AND ss.story_id = ?", (story_id,)
        ).fetchall()
        items = self._story_items(rows)
        return items[0] if items else None

    def _story_rows(self, ids: Sequence[str]) -> list[Any]:
        """The list rows of these live stories, in this order."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        cursor = self.conn.execute(
            f"{_STORY_COLUMNS}{_STORY_FROM} AND ss.story_id IN ({marks})", list(ids)
        )
        cursor.row_factory = None
        found = {row[0]: row for row in cursor}
        return [found[i] for i in ids if i in found]

    def _story_where(self, f: StoryFilter) -> tuple[str | None, list[Any], bool]:
        """The WHERE additions for a filter (on story_summary ss), their parameters, and
        whether they look at member articles; None when it can match nothing (empty
        search)."""
        clauses: list[str] = []
        params: list[Any] = []
        if f.q is not None:
            query = fts_query(f.q)
            if query is None:
                return None, [], False
            clauses.append(_MATCHING_ARTICLES)
            params.append(query)
        for column, value in (("outlet_name", f.outlet), ("language", f.language)):
            if value is not None:
                clauses.append(_MATCHING_MEMBERS.format(column=column))
                params.append(value)
        by_members = bool(clauses)
        if f.since:
            clauses.append("ss.last_published >= ?")
            params.append(_day(f.since))
        if f.until:
            clauses.append("ss.first_published < ?")
            params.append(_day_after(f.until))
        if f.min_origins is not None:
            clauses.append(_MIN_ORIGINS)
            params.append(f.min_origins)
        if f.min_articles is not None:
            clauses.append("ss.articles >= ?")
            params.append(f.min_articles)
        return "".join(f" AND {c}" for c in clauses), params, by_members

    def _story_items(self, rows: Sequence[Any]) -> tuple[StoryListItem, ...]:
        """List items for summary rows: titles, outlets and languages of just these stories."""
        if not rows:
            return ()
        ids = [row[0] for row in rows]
        marks = ",".join("?" * len(ids))
        members = self.conn.execute(
            "SELECT m.story_id, a.id, a.title, COALESCE(a.outlet_name, a.outlet_domain), "
            "a.language "
            "FROM story_members m JOIN articles a ON a.id = m.article_id "
            f"WHERE m.story_id IN ({marks}) "
            "ORDER BY m.story_id, a.published_earliest IS NULL, a.published_earliest, a.seq",
            ids,
        )
        members.row_factory = None  # plain tuples: cheaper than sqlite3.Row
        titles: dict[str, dict[str, str]] = defaultdict(dict)
        outlets: dict[str, set[str]] = defaultdict(set)
        languages: dict[str, set[str]] = defaultdict(set)
        for story_id, article_id, title, outlet, language in members:
            if title and title.strip():
                titles[story_id].setdefault(article_id, title)
            if outlet:
                outlets[story_id].add(outlet)
            if language:
                languages[story_id].add(language)
        items = []
        for story_id, count, first, last, origins, founder, analysed in rows:
            titled = titles.get(story_id, {})
            title = titled.get(founder) or next(iter(titled.values()), None)
            items.append(
                StoryListItem(
                    id=story_id,
                    title=" ".join(title.split()) if title else "Untitled story",
                    article_count=int(count),
                    outlets=tuple(sorted(outlets.get(story_id, ()))),
                    languages=tuple(sorted(languages.get(story_id, ()))),
                    origins=origins,
                    first_published=first,
                    last_published=last,
                    analysed=bool(analysed),
                )
            )
        return tuple(items)

    # -- articles --------------------------------------------------------------------

    def articles(
        self,
        *,
        story_id: str | None = None,
        outlet: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[ArticleListItem]:
        """Articles, newest first; a story's articles in publication order."""
        limit, offset = max(0, limit), max(0, offset)
        clauses: list[str] = []
        params: list[Any] = []
        if story_id is not None:
            clauses.append("a.id IN (SELECT article_id FROM story_members WHERE story_id = ?)")
            params.append(story_id)
        if outlet is not None:
            clauses.append("a.outlet_name = ?")
            params.append(outlet)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        if story_id is not None:
            order = "a.published_earliest IS NULL, a.published_earliest, a.seq"
        else:
            order = "a.published_earliest DESC, a.seq DESC"
        total = self.conn.execute(f"SELECT count(*) FROM articles a{where}", params).fetchone()[0]
        rows = self.conn.execute(
            "SELECT a.id, a.title, a.outlet_name, a.language, a.url, a.published_utc, "
            "m.story_id, a.published_earliest, a.published_latest FROM articles a "
            f"LEFT JOIN story_members m ON m.article_id = a.id{where} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return Page(tuple(ArticleListItem(*row) for row in rows), int(total), limit, offset)

    # -- outlets ---------------------------------------------------------------------

    def outlets(self, limit: int = 100, offset: int = 0) -> Page[OutletItem]:
        """Outlets by how many articles they have in the store, then by name."""
        limit, offset = max(0, limit), max(0, offset)
        total = self.conn.execute(
            "SELECT count(DISTINCT outlet_name) FROM articles WHERE outlet_name IS NOT NULL"
        ).fetchone()[0]
        rows = self.conn.execute(
            "SELECT a.outlet_name, count(*) AS n, count(DISTINCT m.story_id) "
            "FROM articles a LEFT JOIN story_members m ON m.article_id = a.id "
            "WHERE a.outlet_name IS NOT NULL GROUP BY a.outlet_name "
            "ORDER BY n DESC, a.outlet_name LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        return Page(tuple(OutletItem(*row) for row in rows), int(total), limit, offset)

    def outlet(self, name: str, limit: int = 50, offset: int = 0) -> OutletProfile | None:
        """An outlet's profile and one page of its stories; None when it has no articles."""
        row = self.conn.execute(
            "SELECT count(*), count(DISTINCT m.story_id), min(a.published_earliest), "
            "max(a.published_earliest), group_concat(DISTINCT a.language) "
            "FROM articles a LEFT JOIN story_members m ON m.article_id = a.id "
            "WHERE a.outlet_name = ?",
            (name,),
        ).fetchone()
        if not row or not row[0]:
            return None
        totals = self.conn.execute(
            "SELECT count(*), coalesce(sum(o.facts), 0), coalesce(sum(o.adds), 0), "
            "coalesce(sum(o.omits), 0) FROM outlet_story_stats o "
            "JOIN stories s ON s.id = o.story_id AND s.merged_into IS NULL "
            "WHERE o.outlet = ?",
            (name,),
        ).fetchone()
        languages = tuple(sorted(set((row[4] or "").split(",")) - {""}))
        return OutletProfile(
            name=name,
            articles=int(row[0]),
            story_count=int(row[1]),
            analysed_stories=int(totals[0]),
            facts=int(totals[1]),
            adds=int(totals[2]),
            omits=int(totals[3]),
            languages=languages,
            first_published=row[2],
            last_published=row[3],
            stories=self.stories(StoryFilter(outlet=name), limit, offset),
        )

    def outlet_names(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT outlet_name FROM articles WHERE outlet_name IS NOT NULL "
            "ORDER BY outlet_name"
        )
        return [row[0] for row in rows]

    def languages(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT language FROM articles WHERE language IS NOT NULL ORDER BY language"
        )
        return [row[0] for row in rows]

    # -- search ----------------------------------------------------------------------

    def search(self, q: str, kind: SearchKind, limit: int = 20, offset: int = 0) -> Page[SearchHit]:
        """Best matches first (BM25). Whatever `q` holds, this never raises a syntax error."""
        limit, offset = max(0, limit), max(0, offset)
        query = fts_query(q)
        if query is None:
            return Page((), 0, limit, offset)
        if kind == "articles":
            return self._search_articles(query, limit, offset)
        if kind == "quotes":
            return self._search_quotes(query, limit, offset)
        if kind == "entities":
            return self._search_entities(query, limit, offset)
        raise ValueError(f"unknown search kind {kind!r}")

    def _count(self, table: str, query: str) -> int:
        row = self.conn.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (query,))
        return int(row.fetchone()[0])

    def _search_articles(self, query: str, limit: int, offset: int) -> Page[SearchHit]:
        rows = self.conn.execute(
            "SELECT a.id, m.story_id, a.title, "
            f"snippet(articles_fts, 1, '', '', '…', {SNIPPET_TOKENS}) "
            "FROM articles_fts JOIN articles a ON a.seq = articles_fts.rowid "
            "LEFT JOIN story_members m ON m.article_id = a.id "
            "WHERE articles_fts MATCH ? ORDER BY articles_fts.rank, a.seq LIMIT ? OFFSET ?",
            (query, limit, offset),
        ).fetchall()
        hits = tuple(SearchHit("articles", r[0], r[1], r[2], _plain(r[3])) for r in rows)
        return Page(hits, self._count("articles_fts", query), limit, offset)

    def _search_quotes(self, query: str, limit: int, offset: int) -> Page[SearchHit]:
        # The article's current story, since an index row may predate a merge or split.
        rows = self.conn.execute(
            "SELECT q.article_id, coalesce(m.story_id, q.story_id), a.title, "
            f"snippet(quotes_fts, 0, '', '', '…', {SNIPPET_TOKENS * 2}), q.speaker "
            "FROM quotes_fts JOIN quote_index q ON q.id = quotes_fts.rowid "
            "LEFT JOIN articles a ON a.id = q.article_id "
            "LEFT JOIN story_members m ON m.article_id = q.article_id "
            "WHERE quotes_fts MATCH ? ORDER BY quotes_fts.rank, q.id LIMIT ? OFFSET ?",
            (query, limit, offset),
        ).fetchall()
        hits = tuple(
            SearchHit("quotes", r[0], r[1], r[2], _plain(r[3]), speaker=r[4]) for r in rows
        )
        return Page(hits, self._count("quotes_fts", query), limit, offset)

    def _search_entities(self, query: str, limit: int, offset: int) -> Page[SearchHit]:
        rows = self.conn.execute(
            "SELECT e.article_id, coalesce(m.story_id, e.story_id), a.title, e.text, e.label, "
            "e.count FROM entities_fts JOIN entity_index e ON e.id = entities_fts.rowid "
            "LEFT JOIN articles a ON a.id = e.article_id "
            "LEFT JOIN story_members m ON m.article_id = e.article_id "
            "WHERE entities_fts MATCH ? "
            "ORDER BY entities_fts.rank, e.count DESC, e.id LIMIT ? OFFSET ?",
            (query, limit, offset),
        ).fetchall()
        hits = tuple(
            SearchHit("entities", r[0], r[1], r[2], _plain(r[3]), label=r[4], count=r[5])
            for r in rows
        )
        return Page(hits, self._count("entities_fts", query), limit, offset)


def _plain(text: str | None) -> str:
    """A snippet on one line (the page wraps it; paragraph breaks would only get in the way)."""
    return " ".join((text or "").split())
