-- Listing stories without visiting `stories` once per listed row: the count and the
-- page of `Catalog.stories` read `story_summary` alone (through one covering index) and
-- only the page's own stories are joined to `stories`.

-- The story_summary rows that are not a live story: their story was merged, or has no
-- `stories` row. A list leaves them out. Kept by the triggers below in step with
-- story_summary and stories; empty in practice (a merge moves the story's members,
-- which drops its summary row), so leaving them out costs nothing.
CREATE TABLE story_summary_unlisted (
    story_id TEXT PRIMARY KEY
) WITHOUT ROWID;

INSERT INTO story_summary_unlisted(story_id)
SELECT ss.story_id FROM story_summary ss
WHERE NOT EXISTS (SELECT 1 FROM stories s WHERE s.id = ss.story_id AND s.merged_into IS NULL);

-- 0003's triggers replace a summary row by deleting and inserting it; an upsert that
-- updates one keeps its story, so it needs no trigger here.
CREATE TRIGGER story_summary_unlisted_insert AFTER INSERT ON story_summary
WHEN NOT EXISTS (SELECT 1 FROM stories s WHERE s.id = new.story_id AND s.merged_into IS NULL)
BEGIN
    INSERT OR IGNORE INTO story_summary_unlisted(story_id) VALUES (new.story_id);
END;

CREATE TRIGGER story_summary_unlisted_delete AFTER DELETE ON story_summary BEGIN
    DELETE FROM story_summary_unlisted WHERE story_id = old.story_id;
END;

CREATE TRIGGER story_summary_unlisted_rekey AFTER UPDATE OF story_id ON story_summary BEGIN
    DELETE FROM story_summary_unlisted WHERE story_id = old.story_id;
    INSERT OR IGNORE INTO story_summary_unlisted(story_id)
    SELECT new.story_id
    WHERE NOT EXISTS (
        SELECT 1 FROM stories s WHERE s.id = new.story_id AND s.merged_into IS NULL
    );
END;

-- A story merged, revived, created or removed: look again at its summary row.
CREATE TRIGGER stories_unlisted_insert AFTER INSERT ON stories BEGIN
    DELETE FROM story_summary_unlisted WHERE story_id = new.id;
    INSERT OR IGNORE INTO story_summary_unlisted(story_id)
    SELECT ss.story_id FROM story_summary ss
    WHERE ss.story_id = new.id AND new.merged_into IS NOT NULL;
END;

CREATE TRIGGER stories_unlisted_update AFTER UPDATE OF id, merged_into ON stories BEGIN
    DELETE FROM story_summary_unlisted WHERE story_id IN (old.id, new.id);
    INSERT OR IGNORE INTO story_summary_unlisted(story_id)
    SELECT ss.story_id FROM story_summary ss
    WHERE ss.story_id IN (old.id, new.id)
      AND NOT EXISTS (
          SELECT 1 FROM stories s WHERE s.id = ss.story_id AND s.merged_into IS NULL
      );
END;

CREATE TRIGGER stories_unlisted_delete AFTER DELETE ON stories BEGIN
    INSERT OR IGNORE INTO story_summary_unlisted(story_id)
    SELECT ss.story_id FROM story_summary ss WHERE ss.story_id = old.id;
END;

-- The list's order with every column a list filters on: counting and skipping to a page
-- read this index alone. It replaces 0003's story_summary_latest (a prefix of it).
CREATE INDEX story_summary_listed
    ON story_summary(last_published, story_id, articles, first_published);
DROP INDEX story_summary_latest;

-- From a story to its articles, from an article to its story, and from a search hit
-- (articles.seq) to its article, without reading the rows (a membership holds its
-- evidence, an article its text). The first replaces 0002's story_members_story (a
-- prefix of it). The catalog names the other two (INDEXED BY): SQLite would otherwise
-- take the unique index on story_members.article_id and articles' rowid and read rows.
CREATE INDEX story_members_story_article ON story_members(story_id, article_id);
DROP INDEX story_members_story;
CREATE INDEX story_members_article_story ON story_members(article_id, story_id);
CREATE INDEX articles_seq_id ON articles(seq, id);

-- A listed story's independent origins (min_origins), without reading its row.
CREATE INDEX stories_id_origins ON stories(id, origins);
