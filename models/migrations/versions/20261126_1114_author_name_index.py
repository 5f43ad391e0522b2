"""Index authors by name, the order `authors` pages in.

Revision ID: 9df8361dc9e1
Revises: 13b48bd91ff3
Create Date: 2026-11-26 11:14:30.718541
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9df8361dc9e1"
down_revision: str | None = "13b48bd91ff3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.create_index("ix_author_name", ["name", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.drop_index("ix_author_name")
