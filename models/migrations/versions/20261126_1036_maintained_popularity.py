"""Popularity kept up to date: windows and trending per article, refreshed from the buckets.

Revision ID: 13b48bd91ff3
Revises: cf6293ff940b
Create Date: 2026-11-26 10:36:07.281620
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "13b48bd91ff3"
down_revision: str | None = "cf6293ff940b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "popularity_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_popularity_clock")),
    )
    op.create_table(
        "article_popularity",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("views_hour", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("views_day", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("views_week", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("views_month", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("trending", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_popularity_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_popularity")),
    )
    with op.batch_alter_table("article_popularity", schema=None) as batch_op:
        batch_op.create_index(
            "ix_article_popularity_day", ["views_day", "article_id"], unique=False
        )
        batch_op.create_index(
            "ix_article_popularity_hour", ["views_hour", "article_id"], unique=False
        )
        batch_op.create_index(
            "ix_article_popularity_month", ["views_month", "article_id"], unique=False
        )
        batch_op.create_index(
            "ix_article_popularity_trending", ["trending", "article_id"], unique=False
        )
        batch_op.create_index(
            "ix_article_popularity_week", ["views_week", "article_id"], unique=False
        )

    op.create_table(
        "popularity_dirty",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_popularity_dirty_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_popularity_dirty")),
    )
    # Start the clock now and queue every article with views for its first computation.
    clock = sa.table(
        "popularity_clock",
        sa.column("id", sa.Integer()),
        sa.column("refreshed_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    op.bulk_insert(clock, [{"id": 1, "refreshed_at": datetime.now(UTC)}])
    op.execute(
        "INSERT INTO popularity_dirty (article_id) "
        "SELECT DISTINCT article_id FROM article_view_bucket"
    )


def downgrade() -> None:
    op.drop_table("popularity_dirty")
    with op.batch_alter_table("article_popularity", schema=None) as batch_op:
        batch_op.drop_index("ix_article_popularity_week")
        batch_op.drop_index("ix_article_popularity_trending")
        batch_op.drop_index("ix_article_popularity_month")
        batch_op.drop_index("ix_article_popularity_hour")
        batch_op.drop_index("ix_article_popularity_day")

    op.drop_table("article_popularity")
    op.drop_table("popularity_clock")
