"""How many published articles the site, each author, category and tag has, kept by
triggers for every writer: `totalCount` reads a row instead of counting (models/tally.py).

Scheduled articles are counted (they are published); readers' counts subtract the few
whose moment has not come. PostgreSQL adds up inserts and deletes per statement, so a
COPY of a million articles updates each tally once; SQLite's triggers are per row. On
SQLite, a batch migration that copies `article` or `article_tag` drops their triggers;
recreate them then.

Revision ID: 3c5e7a9b1d24
Revises: be1014bb1f7f
Create Date: 2026-12-04 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "3c5e7a9b1d24"
down_revision: str | None = "be1014bb1f7f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLISHED = "'published'"


def _articles(ref: str, source: str, sign: int) -> str:
    """What the articles `ref` (in `source`) add to their site, author and category tallies."""
    published = f"{ref}.status = {PUBLISHED}"
    return (
        f"SELECT 'site' AS scope, 0 AS scope_id, {sign} AS delta {source} WHERE {published}"
        f" UNION ALL SELECT 'author', {ref}.author_id, {sign} {source} WHERE {published}"
        f" UNION ALL SELECT 'category', {ref}.category_id, {sign} {source} WHERE {published}"
    )


def _taggings(ref: str, source: str, sign: int) -> str:
    """What the taggings `ref` (in `source`, beside `article AS a`) add to their tags' tallies."""
    return (
        f"SELECT 'tag' AS scope, {ref}.tag_id AS scope_id, {sign} AS delta {source}"
        f" WHERE a.id = {ref}.article_id AND a.status = {PUBLISHED}"
    )


def _tags_of(row: str, sign: int) -> str:
    """What the tags of the article `row` (OLD or NEW, in a row trigger) add to their tallies."""
    return (
        f"SELECT 'tag' AS scope, t.tag_id AS scope_id, {sign} AS delta FROM article_tag AS t"
        f" WHERE t.article_id = {row}.id AND {row}.status = {PUBLISHED}"
    )


def _add(deltas: str) -> str:
    """Add `deltas` (rows of scope, scope_id, delta) to the tallies, in key order: two
    writers then lock the tally rows they share in the same order."""
    return (
        "INSERT INTO article_tally (scope, scope_id, published)"
        f" SELECT scope, scope_id, sum(delta) FROM ({deltas}) AS deltas"
        " GROUP BY scope, scope_id HAVING sum(delta) <> 0 ORDER BY scope, scope_id"
        " ON CONFLICT (scope, scope_id)"
        " DO UPDATE SET published = article_tally.published + excluded.published"
    )


ARTICLE_CHANGED = " UNION ALL ".join(
    [_articles("OLD", "", -1), _tags_of("OLD", -1), _articles("NEW", "", 1), _tags_of("NEW", 1)]
)
CHANGED_WHEN = (
    "OLD.status IS DISTINCT FROM NEW.status OR OLD.author_id <> NEW.author_id"
    " OR OLD.category_id <> NEW.category_id"
)

# name: (timing and event, what to add, PostgreSQL's statement-level transition table)
TRIGGERS = {
    "article_tally_articles_added": (
        "AFTER INSERT ON article",
        {"pg": _articles("n", "FROM new_rows AS n", 1), "sqlite": _articles("NEW", "", 1)},
        "NEW TABLE AS new_rows",
    ),
    "article_tally_articles_removed": (
        "AFTER DELETE ON article",
        {"pg": _articles("o", "FROM old_rows AS o", -1), "sqlite": _articles("OLD", "", -1)},
        "OLD TABLE AS old_rows",
    ),
    # Before the article goes, while its taggings are there; the cascade that deletes
    # them then finds no article to take them off (article_tally_taggings_removed).
    "article_tally_tags_of_removed": (
        "BEFORE DELETE ON article",
        {"pg": _tags_of("OLD", -1), "sqlite": _tags_of("OLD", -1)},
        None,
    ),
    "article_tally_article_changed": (
        "AFTER UPDATE OF status, author_id, category_id ON article",
        {"pg": ARTICLE_CHANGED, "sqlite": ARTICLE_CHANGED},
        None,
    ),
    "article_tally_taggings_added": (
        "AFTER INSERT ON article_tag",
        {
            "pg": _taggings("t", "FROM new_rows AS t, article AS a", 1),
            "sqlite": _taggings("NEW", "FROM article AS a", 1),
        },
        "NEW TABLE AS new_rows",
    ),
    "article_tally_taggings_removed": (
        "AFTER DELETE ON article_tag",
        {
            "pg": _taggings("t", "FROM old_rows AS t, article AS a", -1),
            "sqlite": _taggings("OLD", "FROM article AS a", -1),
        },
        "OLD TABLE AS old_rows",
    ),
}


def _postgresql(name: str, event: str, deltas: str, transition: str | None) -> list[str]:
    returns = "OLD" if event.startswith("BEFORE") else "NULL"
    function = (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN {_add(deltas)}; RETURN {returns}; END $$"
    )
    if transition:
        each = f"REFERENCING {transition} FOR EACH STATEMENT"
    elif "UPDATE" in event:
        each = f"FOR EACH ROW WHEN ({CHANGED_WHEN})"
    else:
        each = f"FOR EACH ROW WHEN (OLD.status = {PUBLISHED})"
    return [function, f"CREATE TRIGGER {name} {event} {each} EXECUTE FUNCTION {name}()"]


def _sqlite(name: str, event: str, deltas: str) -> str:
    return f"CREATE TRIGGER {name} {event} BEGIN {_add(deltas)}; END"


BACKFILL = _add(
    _articles("n", "FROM article AS n", 1)
    + " UNION ALL "
    + _taggings("t", "FROM article_tag AS t, article AS a", 1)
)


def upgrade() -> None:
    op.create_table(
        "article_tally",
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("scope_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("published", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "scope_id", name=op.f("pk_article_tally")),
    )
    op.execute(BACKFILL)
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, (event, deltas, transition) in TRIGGERS.items():
        if postgresql:
            for statement in _postgresql(name, event, deltas["pg"], transition):
                op.execute(statement)
        else:
            op.execute(_sqlite(name, event, deltas["sqlite"]))


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, (event, _, _) in TRIGGERS.items():
        table = event.rsplit(" ON ", 1)[1]
        if postgresql:
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        else:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("article_tally")
