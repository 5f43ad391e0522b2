"""Visitors whose views counted recently, so a repeat view within 30 minutes counts once.

Revision ID: 59a6c1285ad9
Revises: 51e4605625f2
Create Date: 2026-11-26 10:14:31.909035
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "59a6c1285ad9"
down_revision: str | None = "51e4605625f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_view_visitor",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("counted_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_view_visitor_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "visitor_id", name=op.f("pk_article_view_visitor")),
    )
    with op.batch_alter_table("article_view_visitor", schema=None) as batch_op:
        batch_op.create_index("ix_article_view_visitor_counted", ["counted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("article_view_visitor", schema=None) as batch_op:
        batch_op.drop_index("ix_article_view_visitor_counted")

    op.drop_table("article_view_visitor")
