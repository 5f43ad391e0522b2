"""Full-text search: a weighted tsvector with a GIN index on PostgreSQL, FTS5 on SQLite.

Both are kept in step with `article` by the database itself, so every writer (the API,
the seed, a bulk import) keeps search true: triggers fill a table beside `article`
(article_search on PostgreSQL, the external-content FTS5 table article_fts on SQLite).
Beside, not in: every counted view updates its article row (and `view_count` is indexed,
so the update is never HOT), which would write the article's text index entries again.

Revision ID: 5a7c1e2f9b10
Revises: 9df8361dc9e1
Create Date: 2026-11-26 12:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5a7c1e2f9b10"
down_revision: str | None = "9df8361dc9e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_UP = [
    # The text configuration by language; app/data/search.py lists the same configurations.
    """CREATE FUNCTION article_text_config(language TEXT) RETURNS regconfig
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE split_part(lower(language), '-', 1)
            WHEN 'en' THEN 'english'::regconfig
            WHEN 'id' THEN 'indonesian'::regconfig
            ELSE 'simple'::regconfig END
    $$""",
    # Title weighs most, then the summary; the body is searched but weighs least.
    """CREATE FUNCTION article_search_vector(language TEXT, title TEXT, summary TEXT, body TEXT)
    RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector(article_text_config(language), title), 'A')
            || setweight(to_tsvector(article_text_config(language), summary), 'B')
            || setweight(to_tsvector(article_text_config(language), body), 'D')
    $$""",
    # The published articles only, with their dates and categories: a search reads a
    # period's matches from this table alone, its text index and date index combined.
    """CREATE TABLE article_search (
        article_id INTEGER PRIMARY KEY REFERENCES article (id) ON DELETE CASCADE,
        published_at TIMESTAMP WITH TIME ZONE NOT NULL,
        category_id INTEGER NOT NULL,
        search_vector TSVECTOR NOT NULL)""",
    """INSERT INTO article_search
        SELECT id, published_at, category_id,
               article_search_vector(language, title, summary, body)
        FROM article WHERE status = 'published'""",
    "CREATE INDEX ix_article_search ON article_search USING gin (search_vector)",
    """CREATE INDEX ix_article_search_published
        ON article_search (published_at, article_id)""",
    """CREATE INDEX ix_article_search_category
        ON article_search (category_id, published_at)""",
    # New articles a statement at a time (a COPY of a chunk of articles is one INSERT
    # of their vectors); edits a row at a time, only when a column the index reads
    # changes (PostgreSQL allows no column list with a statement's transition table).
    """CREATE FUNCTION article_search_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO article_search (article_id, published_at, category_id, search_vector)
        SELECT id, published_at, category_id,
               article_search_vector(language, title, summary, body)
        FROM new_articles WHERE status = 'published';
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER article_search_add AFTER INSERT ON article
        REFERENCING NEW TABLE AS new_articles FOR EACH STATEMENT
        EXECUTE FUNCTION article_search_add()""",
    """CREATE FUNCTION article_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
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
    """CREATE TRIGGER article_search_sync AFTER UPDATE OF
            title, summary, body, language, status, published_at, category_id
        ON article FOR EACH ROW EXECUTE FUNCTION article_search_sync()""",
]

# SQLite: a batch migration that copies `article` drops these triggers; recreate them then.
SQLITE_UP = [
    """CREATE VIRTUAL TABLE article_fts USING fts5(
        title, summary, body, content='article', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN
        INSERT INTO article_fts(rowid, title, summary, body)
        VALUES (new.id, new.title, new.summary, new.body);
    END""",
    """CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, summary, body)
        VALUES ('delete', old.id, old.title, old.summary, old.body);
    END""",
    """CREATE TRIGGER article_fts_update AFTER UPDATE OF title, summary, body ON article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, summary, body)
        VALUES ('delete', old.id, old.title, old.summary, old.body);
        INSERT INTO article_fts(rowid, title, summary, body)
        VALUES (new.id, new.title, new.summary, new.body);
    END""",
    "INSERT INTO article_fts(article_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in PG_UP if postgresql else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger in ("article_search_add", "article_search_sync"):
            op.execute(f"DROP TRIGGER {trigger} ON article")
            op.execute(f"DROP FUNCTION {trigger}()")
        op.execute("DROP TABLE article_search")
        op.execute("DROP FUNCTION article_search_vector(TEXT, TEXT, TEXT, TEXT)")
        op.execute("DROP FUNCTION article_text_config(TEXT)")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER article_fts_{trigger}")
        op.execute("DROP TABLE article_fts")
