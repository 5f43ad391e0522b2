"""Alembic from code: the head revision, and the start-up check that the database is at it."""

from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parent.parent


# Full-text search lives outside the models, in tables of each engine's own kind (see
# the full_text_search and recent_search migrations): PostgreSQL's article_search and
# article_search_recent (the prefix names both) with their GIN indexes, SQLite's FTS5
# table article_fts and its shadow tables.
OUTSIDE_MODELS = ("article_search", "ix_article_search", "article_fts")


class SchemaOutOfDate(RuntimeError):
    pass


def in_models(_object: object, name: str | None, *_: object) -> bool:
    """Alembic's include_object: whether autogenerate compares an object with the models."""
    return not (name or "").startswith(OUTSIDE_MODELS)


def alembic_config() -> Config:
    """The project's Alembic configuration, from pyproject.toml."""
    return Config(toml_file=str(ROOT / "pyproject.toml"))


@cache
def head_revisions() -> frozenset[str]:
    """The revisions the code's migrations end at (read from the files once)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> set[str]:
    """The revisions the database is at (for `run_sync`)."""
    return set(MigrationContext.configure(connection).get_current_heads())


async def check_schema_current(engine: AsyncEngine) -> None:
    """Refuse to serve a database whose schema differs from the code's migrations."""
    heads = head_revisions()
    async with engine.connect() as connection:
        current = await connection.run_sync(current_revisions)
    if current != heads:
        found = ", ".join(sorted(current)) or "no schema"
        raise SchemaOutOfDate(
            f"The database is at {found}; this code needs {', '.join(sorted(heads))}. "
            "Run `make migrate` (alembic upgrade head) first."
        )
