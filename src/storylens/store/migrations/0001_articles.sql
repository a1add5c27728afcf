-- Articles, their raw inputs, near-copy index, ingest bookkeeping.
CREATE TABLE raw_inputs (
    sha256      TEXT PRIMARY KEY,
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    compression TEXT NOT NULL,           -- 'zlib' or 'none'
    data        BLOB NOT NULL
);

CREATE TABLE articles (
    seq                  INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order
    id                   TEXT NOT NULL UNIQUE,
    external_id          TEXT,
    source               TEXT NOT NULL,
    url                  TEXT,
    canonical_url        TEXT,
    outlet_name          TEXT,
    outlet_domain        TEXT,
    title                TEXT,
    language             TEXT,
    published_utc        TEXT,            -- NULL when the zone is unknown
    published_earliest   TEXT,
    published_latest     TEXT,
    content_hash         TEXT NOT NULL,
    duplicate_of         TEXT REFERENCES articles(id),
    duplicate_similarity REAL,
    raw_sha256           TEXT REFERENCES raw_inputs(sha256),
    ingested_at          TEXT NOT NULL,
    doc                  TEXT NOT NULL,   -- the article as JSON, without text
    text                 TEXT NOT NULL,
    minhash              BLOB
);
CREATE INDEX articles_external_id ON articles(external_id);
CREATE INDEX articles_canonical_url ON articles(canonical_url);
CREATE INDEX articles_content_hash ON articles(content_hash);
CREATE INDEX articles_published ON articles(published_earliest);
CREATE INDEX articles_outlet ON articles(outlet_name);
CREATE INDEX articles_duplicate_of ON articles(duplicate_of);

CREATE TABLE minhash_bands (
    band       INTEGER NOT NULL,
    key        INTEGER NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles(id),
    PRIMARY KEY (band, key, article_id)
) WITHOUT ROWID;

CREATE TABLE ingest_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    targets     TEXT NOT NULL,
    stored      INTEGER NOT NULL DEFAULT 0,
    present     INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE ingest_failures (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id  INTEGER REFERENCES ingest_runs(id),
    source  TEXT NOT NULL,
    reason  TEXT NOT NULL,
    at      TEXT NOT NULL
);

-- HTTP validators for conditional GET (feed polling): ETag / Last-Modified per URL.
CREATE TABLE http_validators (
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    checked_at    TEXT NOT NULL,
    status        INTEGER
);
