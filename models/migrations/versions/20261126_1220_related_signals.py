"""What related news ranks by, kept by the database: each tag's article count (its rarity)
and each tagging's publication time (to find a tag's articles near an article's date).

Triggers keep both true for every writer. On SQLite, a batch migration that copies
`article`, `article_tag` or `tag` drops their triggers; recreate them then.

Revision ID: 7d2b4c6e8f01
Revises: 5a7c1e2f9b10
Create Date: 2026-11-26 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "7d2b4c6e8f01"
down_revision: str | None = "5a7c1e2f9b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_UP = [
    """CREATE FUNCTION article_tag_take_published_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.published_at := (SELECT published_at FROM article WHERE id = NEW.article_id);
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER article_tag_published_at BEFORE INSERT ON article_tag
        FOR EACH ROW EXECUTE FUNCTION article_tag_take_published_at()""",
    """CREATE FUNCTION article_give_published_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE article_tag SET published_at = NEW.published_at WHERE article_id = NEW.id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER article_published_at AFTER UPDATE OF published_at ON article
        FOR EACH ROW WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at)
        EXECUTE FUNCTION article_give_published_at()""",
    # Statement-level with transition tables: a COPY of a million taggings updates
    # each tag once, not once per row.
    """CREATE FUNCTION tag_count_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE tag SET usage_count = usage_count
            + changed.n * CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END
        FROM (SELECT tag_id, count(*) AS n FROM changed_rows GROUP BY tag_id) AS changed
        WHERE tag.id = changed.tag_id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER article_tag_added AFTER INSERT ON article_tag
        REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT
        EXECUTE FUNCTION tag_count_changed()""",
    """CREATE TRIGGER article_tag_removed AFTER DELETE ON article_tag
        REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT
        EXECUTE FUNCTION tag_count_changed()""",
]

SQLITE_UP = [
    """CREATE TRIGGER article_tag_added AFTER INSERT ON article_tag BEGIN
        UPDATE article_tag SET published_at = (
            SELECT published_at FROM article WHERE id = new.article_id
        ) WHERE article_id = new.article_id AND tag_id = new.tag_id;
        UPDATE tag SET usage_count = usage_count + 1 WHERE id = new.tag_id;
    END""",
    """CREATE TRIGGER article_tag_removed AFTER DELETE ON article_tag BEGIN
        UPDATE tag SET usage_count = usage_count - 1 WHERE id = old.tag_id;
    END""",
    """CREATE TRIGGER article_published_at AFTER UPDATE OF published_at ON article BEGIN
        UPDATE article_tag SET published_at = new.published_at WHERE article_id = new.id;
    END""",
]

BACKFILL = [
    """UPDATE article_tag SET published_at = (
        SELECT published_at FROM article WHERE article.id = article_tag.article_id)""",
    """UPDATE tag SET usage_count = (
        SELECT count(*) FROM article_tag WHERE article_tag.tag_id = tag.id)""",
]


def upgrade() -> None:
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("usage_count", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("article_tag", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        # Replaces (tag_id, article_id): two indexes led by tag_id tempt the planner to
        # AND their bitmaps, reading every tagging of a common tag.
        batch_op.drop_index("ix_article_tag_tag")
        batch_op.create_index(
            "ix_article_tag_tag_published", ["tag_id", "published_at", "article_id"], unique=False
        )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in BACKFILL + (PG_UP if postgresql else SQLITE_UP):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER article_tag_published_at ON article_tag")
        op.execute("DROP TRIGGER article_published_at ON article")
        op.execute("DROP TRIGGER article_tag_added ON article_tag")
        op.execute("DROP TRIGGER article_tag_removed ON article_tag")
        for function in (
            "article_tag_take_published_at",
            "article_give_published_at",
            "tag_count_changed",
        ):
            op.execute(f"DROP FUNCTION {function}()")
    else:
        for trigger in ("article_tag_added", "article_tag_removed", "article_published_at"):
            op.execute(f"DROP TRIGGER {trigger}")
    with op.batch_alter_table("article_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_article_tag_tag_published")
        batch_op.drop_column("published_at")
        batch_op.create_index("ix_article_tag_tag", ["tag_id", "article_id"], unique=False)
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.drop_column("usage_count")
