"""View buckets of five minutes: the column `hour` becomes `starts_at`.

Revision ID: cf6293ff940b
Revises: 59a6c1285ad9
Create Date: 2026-11-26 10:33:54.396701
"""

from collections.abc import Sequence

from alembic import op

revision: str = "cf6293ff940b"
down_revision: str | None = "59a6c1285ad9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing hourly buckets start on five-minute boundaries too: only the name changes.
    with op.batch_alter_table("article_view_bucket", schema=None) as batch_op:
        batch_op.drop_index("ix_article_view_bucket_hour")
        batch_op.alter_column("hour", new_column_name="starts_at")
    op.create_index(
        "ix_article_view_bucket_starts_at", "article_view_bucket", ["starts_at", "article_id"]
    )


def downgrade() -> None:
    # Rows keep their five-minute starts; the hourly code counts each in the right window
    # to within the hour.
    op.drop_index("ix_article_view_bucket_starts_at", "article_view_bucket")
    with op.batch_alter_table("article_view_bucket", schema=None) as batch_op:
        batch_op.alter_column("starts_at", new_column_name="hour")
    op.create_index("ix_article_view_bucket_hour", "article_view_bucket", ["hour", "article_id"])
