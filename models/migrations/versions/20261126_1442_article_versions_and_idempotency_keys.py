"""Article versions, for optimistic concurrency; idempotency keys, for retried mutations.

Revision ID: 7fdf1712ce15
Revises: ac69cf632bfb
Create Date: 2026-11-26 14:42:18
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "7fdf1712ce15"
down_revision: str | None = "ac69cf632bfb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("caller", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("result", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("caller", "key", name=op.f("pk_idempotency_key")),
    )
    op.create_index("ix_idempotency_key_created", "idempotency_key", ["created_at"])
    # Not a batch operation: on SQLite that would copy `article` and drop its triggers.
    op.add_column("article", sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    op.execute("ALTER TABLE article DROP COLUMN version")  # SQLite 3.35+ and PostgreSQL
    op.drop_index("ix_idempotency_key_created", table_name="idempotency_key")
    op.drop_table("idempotency_key")
