"""The migrations build exactly the tables the models describe, and unwind cleanly."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from app.migrations import alembic_config, in_models


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": in_models}
    )
    return list(compare_metadata(context, SQLModel.metadata))


async def test_migrated_schema_matches_the_models(engine):
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


def _down_and_up(connection: Connection) -> list[str]:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")
    left = [name for name in inspect(connection).get_table_names() if name != "alembic_version"]
    command.upgrade(config, "head")
    return left


async def test_migrations_downgrade_to_nothing_and_upgrade_again(engine):
    async with engine.begin() as connection:
        assert await connection.run_sync(_down_and_up) == []
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []
