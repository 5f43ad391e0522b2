"""Full-text search: a weighted tsvector with a GIN index on PostgreSQL, FTS5 on SQLite.

Both are kept in step with `article` by the database itself, so every writer (the API,
the seed, a bulk import) keeps search true: PostgreSQL with a stored generated column,
SQLite with an external-content FTS5 table and triggers.

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

# The text configuration by language; app/search.py holds the same mapping for queries.
PG_CONFIG = """CASE split_part(lower(language), '-', 1)
    WHEN 'en' THEN 'english'::regconfig
    WHEN 'id' THEN 'indonesian'::regconfig
    ELSE 'simple'::regconfig END"""

# Title weighs most, then the summary; the body is searched but weighs least.
PG_VECTOR = f"""setweight(to_tsvector({PG_CONFIG}, title), 'A')
    || setweight(to_tsvector({PG_CONFIG}, summary), 'B')
    || setweight(to_tsvector({PG_CONFIG}, body), 'D')"""

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
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE article ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({PG_VECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_article_search ON article USING gin (search_vector)")
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_article_search")
        op.execute("ALTER TABLE article DROP COLUMN search_vector")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER article_fts_{trigger}")
        op.execute("DROP TABLE article_fts")
