-- Stories: which articles report the same story, why, and what people changed.
CREATE TABLE stories (
    id          TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL UNIQUE,      -- creation order: a merge keeps the lower
    founder     TEXT NOT NULL REFERENCES articles(id),
    created_at  TEXT NOT NULL,
    merged_into TEXT REFERENCES stories(id),  -- set when merged into another story
    origins     INTEGER,                      -- independent origins (cached lineage)
    lineage     TEXT                          -- JSON: origins with their lineage links
);

CREATE TABLE story_members (
    article_id  TEXT PRIMARY KEY REFERENCES articles(id),
    story_id    TEXT NOT NULL REFERENCES stories(id),
    method      TEXT NOT NULL,                -- 'online' | 'batch' | 'override'
    evidence    TEXT,                         -- JSON: why it joined (or started) the story
    assigned_at TEXT NOT NULL
);
CREATE INDEX story_members_story ON story_members(story_id);

-- Every change to a story's membership other than an article joining: merges,
-- splits, moves, regroupings; by the grouper ('auto') or a person ('user').
CREATE TABLE story_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    story_id    TEXT,
    other_id    TEXT,
    article_ids TEXT,                         -- JSON list
    actor       TEXT NOT NULL,
    detail      TEXT,                         -- JSON
    at          TEXT NOT NULL
);

-- People's decisions, replayed after every regrouping.
CREATE TABLE story_overrides (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT NOT NULL,                   -- 'merge' | 'split' | 'move'
    payload  TEXT NOT NULL,                   -- JSON
    at       TEXT NOT NULL
);

-- Grouper state carried between runs (document frequencies).
CREATE TABLE grouping_state (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
