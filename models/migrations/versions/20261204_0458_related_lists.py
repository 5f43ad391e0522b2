"""Precomputed related news: analysed articles, term frequencies, key-term postings,
the stored lists and the queue that keeps them fresh (app/related/). Every published
article is queued, so the worker computes the lists of an existing site; for a large one
scripts/backfill_related.py is faster.

Revision ID: be1014bb1f7f
Revises: 7fdf1712ce15
Create Date: 2026-12-04 04:58:50
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "be1014bb1f7f"
down_revision: str | None = "7fdf1712ce15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "related_article",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("related_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "related_id", name=op.f("pk_related_article")),
    )
    with op.batch_alter_table("related_article", schema=None) as batch_op:
        batch_op.create_index("ix_related_article_related", ["related_id"], unique=False)

    op.create_table(
        "related_document",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("corpus", sa.Integer(), nullable=False),
        sa.Column("terms", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("vector", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_related_document")),
    )
    with op.batch_alter_table("related_document", schema=None) as batch_op:
        batch_op.create_index("ix_related_document_corpus", ["corpus"], unique=False)

    op.create_table(
        "related_posting",
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint(
            "term", "published_at", "article_id", name=op.f("pk_related_posting")
        ),
    )
    with op.batch_alter_table("related_posting", schema=None) as batch_op:
        batch_op.create_index("ix_related_posting_article", ["article_id"], unique=False)

    op.create_table(
        "related_queue",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("queued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_related_queue")),
    )
    with op.batch_alter_table("related_queue", schema=None) as batch_op:
        batch_op.create_index("ix_related_queue_queued", ["queued_at"], unique=False)

    op.create_table(
        "related_term",
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_related_term")),
    )
    op.execute(
        "INSERT INTO related_queue (article_id, queued_at) "
        "SELECT id, updated_at FROM article WHERE status = 'published'"
    )


def downgrade() -> None:
    op.drop_table("related_term")
    with op.batch_alter_table("related_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_related_queue_queued")

    op.drop_table("related_queue")
    with op.batch_alter_table("related_posting", schema=None) as batch_op:
        batch_op.drop_index("ix_related_posting_article")

    op.drop_table("related_posting")
    with op.batch_alter_table("related_document", schema=None) as batch_op:
        batch_op.drop_index("ix_related_document_corpus")

    op.drop_table("related_document")
    with op.batch_alter_table("related_article", schema=None) as batch_op:
        batch_op.drop_index("ix_related_article_related")

    op.drop_table("related_article")
