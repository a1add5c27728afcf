"""Keep the store's stories current: group new articles, regroup, apply people's edits.

The edge around the grouping core (`storylens.stories`): it reads articles from the
store, runs the online grouper over the ones in no story yet (warm-started with the
stories of the look-back window), and writes memberships, evidence and lineage back in
one transaction. Story ids are stable: a story's id comes from the article that
founded it, adding articles never renames it, a merge keeps the older id and is
recorded, and people's overrides are replayed after every regrouping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from threadpoolctl import threadpool_limits

from storylens.model import Article, short_hash
from storylens.store.sqlite import SQLiteStore
from storylens.store.stories import Override
from storylens.stories.features import Encoder, UseEncoder, extract_many
from storylens.stories.grouping import Assignment, GroupingConfig, StoryGrouper, regroup
from storylens.stories.lineage import trace_origins

__all__ = [
    "GroupReport",
    "OverrideError",
    "group_new",
    "merge",
    "move",
    "regroup_all",
    "split",
    "story_id_for",
]

BATCH = 2000  # articles read and grouped per round (memory stays bounded)

Embeddings = Literal["auto", "always", "never"]


class OverrideError(ValueError):
    """A merge, split or move that cannot be done (unknown story, article elsewhere)."""


@dataclass(slots=True)
class GroupReport:
    assigned: int = 0
    new_stories: int = 0
    merged: list[tuple[str, str]] = field(default_factory=list)  # (absorbed, survivor)
    stories: int = 0


def story_id_for(store: SQLiteStore, founder: str, salt: str = "") -> str:
    """A stable story id from the founding article; never reuses an existing id."""
    generation = 0
    while True:
        candidate = short_hash("story", founder, salt, str(generation))
        if not store.stories.exists(candidate):
            return candidate
        generation += 1


def _time_key(article: Article) -> tuple[int, float]:
    if article.published is None:
        return (1, 0.0)
    return (0, article.published.sort_key.timestamp())


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- online ----------------------------------------------------------------------------


def group_new(
    store: SQLiteStore,
    config: GroupingConfig | None = None,
    embeddings: Embeddings = "auto",
) -> GroupReport:
    """Place every article that is in no story yet, in publication order."""
    config = config or GroupingConfig()
    report = GroupReport()
    pending = store.stories.unassigned()
    with threadpool_limits(1):  # BLAS threads oversubscribe small machines badly
        for start in range(0, len(pending), BATCH):
            articles = [a for a in (store.get(i) for i in pending[start : start + BATCH]) if a]
            articles.sort(key=_time_key)
            window = _window(store, articles, config)
            encoder = story_encoder(embeddings, [*articles, *(a for a, _ in window)])
            _group_batch(store, articles, window, config, encoder, report)
    report.stories = store.stories.count()
    return report


def story_encoder(mode: Embeddings, articles: Sequence[Article]) -> Encoder | None:
    """The multilingual encoder when it can matter: on "auto", only for mixed languages.

    Embeddings cost far more than everything else grouping does, and within one
    language the term features are as good (see benchmarks/stories.py).
    """
    if mode == "never":
        return None
    if mode == "auto" and len({a.language for a in articles if a.language}) < 2:
        return None
    return _use_encoder()


@lru_cache(maxsize=1)
def _use_encoder() -> Encoder:
    return UseEncoder()


def _group_batch(
    store: SQLiteStore,
    articles: list[Article],
    window: list[tuple[Article, str]],
    config: GroupingConfig,
    encoder: Encoder | None,
    report: GroupReport,
) -> None:
    grouper = StoryGrouper(config)
    known = extract_many([article for article, _ in window], encoder)
    for features, (_, story_id) in zip(known, window, strict=True):
        grouper.add_labelled(features, story_id)
    keys: dict[str, str] = {}
    touched: set[str] = set()
    with store.transaction():
        for features in extract_many(articles, encoder):
            assignment = grouper.add_features(features)
            story_id = _stable_id(store, assignment, keys)
            store.stories.assign(features.article_id, story_id, "online", _evidence(assignment))
            report.assigned += 1
            report.new_stories += assignment.new_story
            touched.add(story_id)
        refresh_lineage(store, touched)


def _window(
    store: SQLiteStore, articles: Sequence[Article], config: GroupingConfig
) -> list[tuple[Article, str]]:
    """Grouped articles of the look-back window before (and during) this batch."""
    times = [a.published for a in articles if a.published is not None]
    if not times:
        return []
    since = min(t.earliest for t in times) - timedelta(hours=config.window_hours)
    until = max(t.latest for t in times)
    recent = store.stories.recent(_iso(since), _iso(until))
    window = [(a, story) for a, story in ((store.get(i), s) for i, s in recent) if a]
    window.sort(key=lambda pair: _time_key(pair[0]))
    return window


def _stable_id(store: SQLiteStore, assignment: Assignment, keys: dict[str, str]) -> str:
    """Map the grouper's provisional key to a stable story id (creating the story)."""
    key = assignment.story
    if store.stories.exists(key):
        return key  # a warm-started story: its key is its id
    if key not in keys:
        story_id = story_id_for(store, assignment.article_id)
        store.stories.create(story_id, assignment.article_id)
        keys[key] = story_id
    return keys[key]


def _evidence(assignment: Assignment) -> dict[str, Any]:
    data = assignment.to_dict()
    data.pop("article_id", None)
    data.pop("story", None)
    return data


def refresh_lineage(store: SQLiteStore, story_ids: Iterable[str]) -> None:
    """Recompute the cached origins and lineage of the given stories."""
    for story_id in sorted(set(story_ids)):
        members = [a for a in (store.get(i) for i in store.stories.members(story_id)) if a]
        origins = trace_origins(members)
        store.stories.set_lineage(story_id, len(origins), [o.to_dict() for o in origins])


# -- batch -----------------------------------------------------------------------------


def regroup_all(
    store: SQLiteStore,
    config: GroupingConfig | None = None,
    embeddings: Embeddings = "auto",
) -> GroupReport:
    """Regroup the whole archive at once; existing ids are kept wherever they fit.

    Each new cluster takes the id of the existing story it shares most articles with
    (the older story on ties); a cluster that absorbs several existing stories is a
    merge and keeps the oldest id. People's overrides are replayed afterwards.
    """
    config = config or GroupingConfig()
    report = GroupReport()
    articles = sorted(store.iter_articles(), key=_time_key)
    with threadpool_limits(1):
        features = extract_many(articles, story_encoder(embeddings, articles))
        assignments = regroup(features, config)
    clusters: dict[str, list[str]] = {}
    for assignment in assignments:
        clusters.setdefault(assignment.story, []).append(assignment.article_id)
    evidence = {a.article_id: _evidence(a) for a in assignments}
    before = store.stories.all_members()
    held_before: dict[str, set[str]] = {}
    for article_id, story_id in before.items():
        held_before.setdefault(story_id, set()).add(article_id)
    with store.transaction():
        claimed: set[str] = set()
        after: dict[str, str] = {}
        for members in sorted(clusters.values(), key=lambda m: (-len(m), m[0])):
            story_id = _claim(store, members, before, claimed)
            for article_id in members:
                after[article_id] = story_id
                if before.get(article_id) != story_id:
                    store.stories.assign(article_id, story_id, "batch", evidence.get(article_id))
            report.assigned += len(members)
        # A story whose id no cluster kept was merged: into where most of it went.
        for old, held in sorted(held_before.items()):
            if old in claimed:
                continue
            homes = Counter(after[a] for a in held if a in after)
            target = min(homes, key=lambda s: (-homes[s], store.stories.seq_of(s) or 0))
            store.stories.mark_merged(old, target)
            store.stories.record_event("merge", target, old, sorted(held), actor="auto")
            report.merged.append((old, target))
        store.stories.record_event(
            "regroup", None, detail={"articles": len(articles), "stories": len(clusters)}
        )
        replay_overrides(store)
        refresh_lineage(store, {s for s in store.stories.all_members().values()})
    report.stories = store.stories.count()
    return report


def _claim(
    store: SQLiteStore, members: list[str], before: dict[str, str], claimed: set[str]
) -> str:
    counts = Counter(before[a] for a in members if a in before and before[a] not in claimed)
    if counts:
        best = min(counts, key=lambda s: (-counts[s], store.stories.seq_of(s) or 0))
        claimed.add(best)
        store.stories.revive(best)
        return best
    founder = members[0]
    story_id = story_id_for(store, founder)
    store.stories.create(story_id, founder)
    claimed.add(story_id)
    return story_id


# -- people's edits --------------------------------------------------------------------


def merge(store: SQLiteStore, first: str, second: str, *, record: bool = True) -> str:
    """Merge two stories; the older id survives. Returns the survivor."""
    a, b = store.stories.survivor(first), store.stories.survivor(second)
    for story in (a, b):
        if not store.stories.members(story):
            raise OverrideError(f"story {story} has no articles")
    if a == b:
        return a
    survivor, absorbed = sorted((a, b), key=lambda s: store.stories.seq_of(s) or 0)
    moved = store.stories.members(absorbed)
    with _maybe_transaction(store, record):
        for article_id in moved:
            store.stories.assign(article_id, survivor, "override", {"merged_from": absorbed})
        store.stories.mark_merged(absorbed, survivor)
        store.stories.record_event("merge", survivor, absorbed, moved, actor="user")
        if record:
            everyone = store.stories.members(survivor)
            store.stories.add_override(
                "merge", {"stories": [survivor, absorbed], "articles": everyone}
            )
        refresh_lineage(store, [survivor])
    return survivor


def split(
    store: SQLiteStore,
    story: str,
    article_ids: Sequence[str],
    *,
    record: bool = True,
    reuse: str | None = None,
) -> str:
    """Move the given articles of a story into a new story of their own.

    `reuse` names the id a replayed split had before, so it comes back unchanged.
    """
    story = store.stories.survivor(story)
    members = store.stories.members(story)
    outside = [a for a in article_ids if a not in members]
    if outside:
        raise OverrideError(f"not in story {story}: {', '.join(outside)}")
    if len(set(article_ids)) == len(members):
        raise OverrideError("a split must leave at least one article in the story")
    leaving = [a for a in members if a in set(article_ids)]  # publication order
    with _maybe_transaction(store, record):
        if reuse and store.stories.exists(reuse) and not store.stories.members(reuse):
            new_id = reuse
            store.stories.revive(new_id)
        else:
            new_id = story_id_for(store, leaving[0], salt="split")
            store.stories.create(new_id, leaving[0])
        for article_id in leaving:
            store.stories.assign(article_id, new_id, "override", {"split_from": story})
        store.stories.record_event("split", story, new_id, leaving, actor="user")
        if record:
            store.stories.add_override(
                "split", {"story": story, "articles": leaving, "new": new_id}
            )
        refresh_lineage(store, [story, new_id])
    return new_id


def move(store: SQLiteStore, article_id: str, story: str, *, record: bool = True) -> str:
    """Move one article into another story."""
    target = store.stories.survivor(story)
    current = store.stories.story_of(article_id)
    if current is None:
        raise OverrideError(f"article {article_id} is in no story")
    if not store.stories.members(target):
        raise OverrideError(f"story {target} has no articles")
    if current == target:
        return target
    with _maybe_transaction(store, record):
        store.stories.assign(article_id, target, "override", {"moved_from": current})
        store.stories.record_event("move", target, current, [article_id], actor="user")
        if record:
            company = [a for a in store.stories.members(target) if a != article_id]
            store.stories.add_override(
                "move", {"article": article_id, "story": target, "with": company}
            )
        refresh_lineage(store, [current, target])
    return target


def replay_overrides(store: SQLiteStore) -> None:
    """Re-apply people's decisions in order, by the articles they named (ids may change)."""
    for override in store.stories.overrides():
        _replay(store, override)


def _replay(store: SQLiteStore, override: Override) -> None:
    payload = override.payload
    members = store.stories.all_members()
    if override.kind == "merge":
        stories = sorted(
            {members[a] for a in payload["articles"] if a in members},
            key=lambda s: store.stories.seq_of(s) or 0,
        )
        for other in stories[1:]:
            if store.stories.survivor(other) != store.stories.survivor(stories[0]):
                merge(store, stories[0], other, record=False)
    elif override.kind == "split":
        leaving = [a for a in payload["articles"] if a in members]
        homes = Counter(members[a] for a in leaving)
        for home in homes:
            group = [a for a in leaving if members[a] == home]
            rest = [a for a in store.stories.members(home) if a not in group]
            if rest:
                split(store, home, group, record=False, reuse=payload.get("new"))
    elif override.kind == "move":
        article = payload["article"]
        company = Counter(members[a] for a in payload.get("with", []) if a in members)
        target = (
            min(company, key=lambda s: (-company[s], store.stories.seq_of(s) or 0))
            if company
            else payload["story"]
        )
        if article in members and store.stories.exists(target):
            move(store, article, target, record=False)


class _NoTransaction:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _maybe_transaction(store: SQLiteStore, own: bool) -> Any:
    """A new transaction for a user's edit; none when replaying inside one already."""
    return store.transaction() if own and not store.conn.in_transaction else _NoTransaction()
