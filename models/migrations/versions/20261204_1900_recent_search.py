"""The newest articles' text index apart (PostgreSQL): a search's first period, the newest
25,000 articles, reads a word's matches from an index of the newest 50,000 or so
articles, not from one of every article.

PostgreSQL's text index gives every article holding a word, wherever it lies in time:
at a million articles a common word is in tens of thousands, and building their bitmap
took most of a search (app/data/search.py combines it with the date index's newest
articles). article_search_recent holds exactly the published articles at or after a
cutoff (published_at, article_id), with the same columns and indexes as article_search,
kept by the same triggers. Each INSERT statement that adds to it moves the cutoff up to
its `keep_articles`-th newest article and deletes what fell behind, so it stays bounded
whatever the site's size; edits that move an article across the cutoff add or remove
it. The cutoff only moves forward (a TRUNCATE resets it): a search reads the recent
table only while the cutoff is no later than its first period's start.

Revision ID: f115c9f01e05
Revises: 3c5e7a9b1d24
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f115c9f01e05"
down_revision: str | None = "3c5e7a9b1d24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEEP_ARTICLES = 50_000  # twice the first period of app/data/search.py
EARLIEST = "'0001-01-01 00:00:00+00'"  # before any article: app/data/search.py's EARLIEST
COLUMNS = "article_id, published_at, category_id, search_vector"
CUTOFF = "(SELECT published_at, article_id FROM article_search_recent_cutoff)"
AT_OR_AFTER_CUTOFF = f"(published_at, article_id) >= {CUTOFF}"
# An article's row, in either table: its new values when it is there already.
UPSERT = """ON CONFLICT (article_id) DO UPDATE SET
                published_at = EXCLUDED.published_at, category_id = EXCLUDED.category_id,
                search_vector = EXCLUDED.search_vector"""

PG_UP = [
    f"""CREATE TABLE article_search_recent_cutoff (
        only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
        published_at TIMESTAMP WITH TIME ZONE NOT NULL,
        article_id INTEGER NOT NULL,
        keep_articles INTEGER NOT NULL DEFAULT {KEEP_ARTICLES} CHECK (keep_articles > 0))""",
    f"""INSERT INTO article_search_recent_cutoff (published_at, article_id)
        SELECT published_at, article_id FROM (
            (SELECT published_at, article_id FROM article_search
             ORDER BY published_at DESC, article_id DESC OFFSET {KEEP_ARTICLES - 1} LIMIT 1)
            UNION ALL SELECT {EARLIEST}, 0
        ) AS candidates ORDER BY published_at DESC LIMIT 1""",
    """CREATE TABLE article_search_recent (
        article_id INTEGER PRIMARY KEY REFERENCES article (id) ON DELETE CASCADE,
        published_at TIMESTAMP WITH TIME ZONE NOT NULL,
        category_id INTEGER NOT NULL,
        search_vector TSVECTOR NOT NULL)""",
    f"""INSERT INTO article_search_recent ({COLUMNS})
        SELECT {COLUMNS} FROM article_search WHERE {AT_OR_AFTER_CUTOFF}""",
    "CREATE INDEX ix_article_search_recent ON article_search_recent USING gin (search_vector)",
    """CREATE INDEX ix_article_search_recent_published
        ON article_search_recent (published_at, article_id)""",
    """CREATE INDEX ix_article_search_recent_category
        ON article_search_recent (category_id, published_at)""",
    # Walks `keep_articles` entries of the date index: once per INSERT statement that
    # adds to the table (a COPY of a chunk of articles is one), not per article.
    """CREATE FUNCTION article_search_recent_trim() RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
        cutoff article_search_recent_cutoff%ROWTYPE;
        oldest RECORD;
    BEGIN
        SELECT * INTO cutoff FROM article_search_recent_cutoff;
        SELECT published_at, article_id INTO oldest FROM article_search_recent
            WHERE (published_at, article_id) >= (cutoff.published_at, cutoff.article_id)
            ORDER BY published_at DESC, article_id DESC
            OFFSET cutoff.keep_articles - 1 LIMIT 1;
        IF FOUND AND (oldest.published_at, oldest.article_id)
                > (cutoff.published_at, cutoff.article_id) THEN
            UPDATE article_search_recent_cutoff
                SET published_at = oldest.published_at, article_id = oldest.article_id
                WHERE (published_at, article_id) < (oldest.published_at, oldest.article_id);
            DELETE FROM article_search_recent
                WHERE (published_at, article_id) < (oldest.published_at, oldest.article_id);
        END IF;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION article_search_add() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        recent INTEGER;
    BEGIN
        WITH added AS (
            INSERT INTO article_search ({COLUMNS})
            SELECT id, published_at, category_id,
                   article_search_vector(language, title, summary, body)
            FROM new_articles WHERE status = 'published'
            RETURNING {COLUMNS}
        )
        INSERT INTO article_search_recent ({COLUMNS})
        SELECT {COLUMNS} FROM added WHERE {AT_OR_AFTER_CUTOFF};
        GET DIAGNOSTICS recent = ROW_COUNT;
        IF recent > 0 THEN
            PERFORM article_search_recent_trim();
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION article_search_sync() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status = 'published' THEN
            INSERT INTO article_search ({COLUMNS})
            VALUES (NEW.id, NEW.published_at, NEW.category_id,
                    article_search_vector(NEW.language, NEW.title, NEW.summary, NEW.body))
            {UPSERT};
            IF (NEW.published_at, NEW.id) >= {CUTOFF} THEN
                INSERT INTO article_search_recent ({COLUMNS})
                SELECT {COLUMNS} FROM article_search WHERE article_id = NEW.id
                {UPSERT};
                RETURN NULL;
            END IF;
        ELSE
            DELETE FROM article_search WHERE article_id = NEW.id;
        END IF;
        DELETE FROM article_search_recent WHERE article_id = NEW.id;
        RETURN NULL;
    END $$""",
    # TRUNCATE article ... CASCADE (a reseed) empties the table: every article is recent again.
    f"""CREATE FUNCTION article_search_recent_reset() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE article_search_recent_cutoff SET published_at = {EARLIEST}, article_id = 0;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER article_search_recent_reset AFTER TRUNCATE ON article_search_recent
        FOR EACH STATEMENT EXECUTE FUNCTION article_search_recent_reset()""",
]

# The trigger functions as the full_text_search migration made them.
PG_DOWN = [
    """CREATE OR REPLACE FUNCTION article_search_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO article_search (article_id, published_at, category_id, search_vector)
        SELECT id, published_at, category_id,
               article_search_vector(language, title, summary, body)
        FROM new_articles WHERE status = 'published';
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION article_search_sync() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status = 'published' THEN
            INSERT INTO article_search (article_id, published_at, category_id, search_vector)
            VALUES (NEW.id, NEW.published_at, NEW.category_id,
                    article_search_vector(NEW.language, NEW.title, NEW.summary, NEW.body))
            ON CONFLICT (article_id) DO UPDATE SET
                published_at = EXCLUDED.published_at, category_id = EXCLUDED.category_id,
                search_vector = EXCLUDED.search_vector;
        ELSE
            DELETE FROM article_search WHERE article_id = NEW.id;
        END IF;
        RETURN NULL;
    END $$""",
    "DROP TABLE article_search_recent",
    "DROP FUNCTION article_search_recent_reset()",
    "DROP FUNCTION article_search_recent_trim()",
    "DROP TABLE article_search_recent_cutoff",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite's FTS5 search is unchanged
        for statement in PG_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DOWN:
            op.execute(statement)
