-- What the web app and REST API need: full-text search, stored story analyses and the
-- indexes drawn from them, API tokens, the job queue, polled feeds, server settings.

-- Full-text search over articles. External content (the text lives once, in
-- `articles`); the triggers below keep the index in step with every write.
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, text, outlet_name,
    content='articles', content_rowid='seq',
    tokenize='unicode61 remove_diacritics 2'
);

CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, text, outlet_name)
    VALUES (new.seq, new.title, new.text, new.outlet_name);
END;

CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text, outlet_name)
    VALUES ('delete', old.seq, old.title, old.text, old.outlet_name);
END;

CREATE TRIGGER articles_fts_update AFTER UPDATE OF seq, title, text, outlet_name ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text, outlet_name)
    VALUES ('delete', old.seq, old.title, old.text, old.outlet_name);
    INSERT INTO articles_fts(rowid, title, text, outlet_name)
    VALUES (new.seq, new.title, new.text, new.outlet_name);
END;

-- Articles stored before this version.
INSERT INTO articles_fts(articles_fts) VALUES ('rebuild');

-- Per live story: member count and span of publication, kept by triggers on
-- story_members so listing the newest stories reads one small row per story instead
-- of aggregating every membership on every request.
CREATE TABLE story_summary (
    story_id        TEXT PRIMARY KEY,
    articles        INTEGER NOT NULL,
    first_published TEXT,                  -- min(published_earliest) of the members
    last_published  TEXT                   -- max(published_earliest) of the members
);
CREATE INDEX story_summary_latest ON story_summary(last_published, story_id);

CREATE TRIGGER story_summary_join AFTER INSERT ON story_members BEGIN
    INSERT INTO story_summary(story_id, articles, first_published, last_published)
    SELECT new.story_id, 1, a.published_earliest, a.published_earliest
    FROM articles a WHERE a.id = new.article_id
    ON CONFLICT(story_id) DO UPDATE SET
        articles = articles + 1,
        first_published = coalesce(
            min(first_published, excluded.first_published), first_published,
            excluded.first_published),
        last_published = coalesce(
            max(last_published, excluded.last_published), last_published,
            excluded.last_published);
END;

CREATE TRIGGER story_summary_leave AFTER DELETE ON story_members BEGIN
    DELETE FROM story_summary WHERE story_id = old.story_id;
    INSERT INTO story_summary(story_id, articles, first_published, last_published)
    SELECT m.story_id, count(*), min(a.published_earliest), max(a.published_earliest)
    FROM story_members m JOIN articles a ON a.id = m.article_id
    WHERE m.story_id = old.story_id GROUP BY m.story_id;
END;

CREATE TRIGGER story_summary_move AFTER UPDATE OF story_id ON story_members
WHEN old.story_id IS NOT new.story_id BEGIN
    DELETE FROM story_summary WHERE story_id IN (old.story_id, new.story_id);
    INSERT INTO story_summary(story_id, articles, first_published, last_published)
    SELECT m.story_id, count(*), min(a.published_earliest), max(a.published_earliest)
    FROM story_members m JOIN articles a ON a.id = m.article_id
    WHERE m.story_id IN (old.story_id, new.story_id) GROUP BY m.story_id;
END;

CREATE TRIGGER story_summary_retime AFTER UPDATE OF published_earliest ON articles BEGIN
    DELETE FROM story_summary
    WHERE story_id = (SELECT story_id FROM story_members WHERE article_id = new.id);
    INSERT INTO story_summary(story_id, articles, first_published, last_published)
    SELECT m.story_id, count(*), min(a.published_earliest), max(a.published_earliest)
    FROM story_members m JOIN articles a ON a.id = m.article_id
    WHERE m.story_id = (SELECT story_id FROM story_members WHERE article_id = new.id)
    GROUP BY m.story_id;
END;

INSERT INTO story_summary(story_id, articles, first_published, last_published)
SELECT m.story_id, count(*), min(a.published_earliest), max(a.published_earliest)
FROM story_members m JOIN articles a ON a.id = m.article_id GROUP BY m.story_id;

-- Filters by outlet and language reach their articles' stories without reading
-- article rows (which hold the whole text).
CREATE INDEX articles_outlet_id ON articles(outlet_name, id);
CREATE INDEX articles_language_id ON articles(language, id);

-- One stored comparison per story, and whether it still matches the story's members.
CREATE TABLE story_analyses (
    story_id    TEXT PRIMARY KEY REFERENCES stories(id),
    members_key TEXT NOT NULL,           -- sha256 of the sorted member ids it was computed on
    computed_at TEXT NOT NULL,
    version     TEXT NOT NULL,           -- storylens version that computed it
    report_json TEXT NOT NULL,           -- comparison_json(c) (schema storylens.compare/1)
    report_html TEXT NOT NULL            -- comparison_fragment(c): the escaped body fragment
);

-- Every quote of an analysed story, with its speaker and span (searchable).
CREATE TABLE quote_index (
    id         INTEGER PRIMARY KEY,
    story_id   TEXT NOT NULL,
    article_id TEXT NOT NULL,
    speaker    TEXT,
    text       TEXT NOT NULL,
    start      INTEGER NOT NULL,
    end        INTEGER NOT NULL
);
CREATE INDEX quote_index_story ON quote_index(story_id);
CREATE INDEX quote_index_article ON quote_index(article_id);

CREATE VIRTUAL TABLE quotes_fts USING fts5(
    text, speaker,
    content='quote_index', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);

CREATE TRIGGER quotes_fts_insert AFTER INSERT ON quote_index BEGIN
    INSERT INTO quotes_fts(rowid, text, speaker) VALUES (new.id, new.text, new.speaker);
END;

CREATE TRIGGER quotes_fts_delete AFTER DELETE ON quote_index BEGIN
    INSERT INTO quotes_fts(quotes_fts, rowid, text, speaker)
    VALUES ('delete', old.id, old.text, old.speaker);
END;

CREATE TRIGGER quotes_fts_update AFTER UPDATE ON quote_index BEGIN
    INSERT INTO quotes_fts(quotes_fts, rowid, text, speaker)
    VALUES ('delete', old.id, old.text, old.speaker);
    INSERT INTO quotes_fts(rowid, text, speaker) VALUES (new.id, new.text, new.speaker);
END;

-- The named entities of each analysed article, one row per (entity, label), counted.
CREATE TABLE entity_index (
    id         INTEGER PRIMARY KEY,
    story_id   TEXT NOT NULL,
    article_id TEXT NOT NULL,
    text       TEXT NOT NULL,
    label      TEXT NOT NULL,
    count      INTEGER NOT NULL
);
CREATE INDEX entity_index_story ON entity_index(story_id);
CREATE INDEX entity_index_article ON entity_index(article_id);

CREATE VIRTUAL TABLE entities_fts USING fts5(
    text, label,
    content='entity_index', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);

CREATE TRIGGER entities_fts_insert AFTER INSERT ON entity_index BEGIN
    INSERT INTO entities_fts(rowid, text, label) VALUES (new.id, new.text, new.label);
END;

CREATE TRIGGER entities_fts_delete AFTER DELETE ON entity_index BEGIN
    INSERT INTO entities_fts(entities_fts, rowid, text, label)
    VALUES ('delete', old.id, old.text, old.label);
END;

CREATE TRIGGER entities_fts_update AFTER UPDATE ON entity_index BEGIN
    INSERT INTO entities_fts(entities_fts, rowid, text, label)
    VALUES ('delete', old.id, old.text, old.label);
    INSERT INTO entities_fts(rowid, text, label) VALUES (new.id, new.text, new.label);
END;

-- Per story and outlet: facts its article(s) carry, add (no other carries) and omit
-- (most others carry), so an outlet's page can say what it tends to add or leave out.
CREATE TABLE outlet_story_stats (
    story_id TEXT NOT NULL,
    outlet   TEXT NOT NULL,
    facts    INTEGER NOT NULL,
    adds     INTEGER NOT NULL,
    omits    INTEGER NOT NULL,
    PRIMARY KEY (story_id, outlet)
);
CREATE INDEX outlet_story_stats_outlet ON outlet_story_stats(outlet);

-- API tokens: only the SHA-256 of a token is kept.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,            -- 'reader' | 'editor'
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

-- Work the server does in the background; survives restarts.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,            -- 'ingest_upload'|'fetch_url'|'poll_feed'|'analyse_story'
    status       TEXT NOT NULL,            -- 'queued'|'running'|'done'|'failed'
    payload      TEXT NOT NULL,            -- JSON (url, feed, story_id, upload name)
    data         BLOB,                     -- uploaded bytes (ingest_upload)
    progress     TEXT,                     -- one line: "stored 3, present 1, failed 0"
    result       TEXT,                     -- JSON on done
    error        TEXT,                     -- one line on failed
    submitted_by TEXT,
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_status ON jobs(status, id);

-- Feeds the server polls on a schedule.
CREATE TABLE feeds (
    url            TEXT PRIMARY KEY,
    interval_s     INTEGER NOT NULL,
    next_poll_at   TEXT NOT NULL,
    added_at       TEXT NOT NULL,
    last_polled_at TEXT,
    last_status    TEXT,
    active         INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE server_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL                    -- e.g. the session secret
);
