"""Read statements: written with SQLAlchemy Core over the SQLModel tables, each run as one
round trip without transaction control, returning plain rows.

On PostgreSQL a statement is compiled once and run on an asyncpg pool of its own:
running it through SQLAlchemy's engine cost about 210 µs of CPU a statement (and a
pool checkout about 90 µs more), asyncpg alone about 50 µs, and a read needs neither a
transaction nor a reset of the connection after it. On SQLite, the embedded default,
statements go through SQLAlchemy, which converts SQLite's stored text to Python values.
Either way a row's columns read as attributes: `row.title`.
"""

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import asyncpg
from sqlalchemy import ColumnElement, Select, bindparam, literal_column
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import READS_ONLY, SERVER_SETTINGS, AnyOf
from app.ops import record
from app.settings import Settings

# A row of a read: its columns are attributes. Typed as Any because which columns it
# has depends on the statement; the GraphQL types that read rows name their columns.
Row = Any

_POSTGRESQL = asyncpg_dialect()  # type: ignore[no-untyped-call]


class Query:
    """A Core statement whose values come as named parameters when it runs, so that it is
    built and compiled once however often it runs.

    PostgreSQL plans a statement each time it runs, for its values: how many rows a value
    matches (a search's words, a tag: one in ten articles or one in a million) decides
    the best plan, and so does how many keys a batch holds. With `plan_once`, the plan
    made for one run serves every later one on the connection, which saves its planning
    each time (more than running it takes, for a page or a key lookup): for statements
    whose plan no value can change, a unique key's lookup or an index walked in its
    order up to a LIMIT. Only there: a plan made once sees a batch's keys as ten and a
    date as a third of the rows, and joins a whole table where a few lookups would do."""

    __slots__ = ("_postgresql", "plan_once", "statement")

    def __init__(self, statement: Any, plan_once: bool = False) -> None:
        self.statement = statement  # a Core select
        self.plan_once = plan_once
        self._postgresql: tuple[str, list[tuple[str, Any, Callable[[Any], Any] | None]]] | None
        self._postgresql = None

    def postgresql(self) -> tuple[str, list[tuple[str, Any, Callable[[Any], Any] | None]]]:
        """Its SQL for asyncpg, and each positional parameter's name, default value (a
        literal of the statement) and conversion."""
        if self._postgresql is None:
            compiled = self.statement.compile(dialect=_POSTGRESQL)
            processors = compiled._bind_processors
            names = compiled.positiontup or []
            parameters = [(name, compiled.params.get(name), processors.get(name)) for name in names]
            self._postgresql = (compiled.string, parameters)
        return self._postgresql


def among(column: Any, name: str, one: bool) -> ColumnElement[bool]:
    """`column` is one of a batch's keys, bound as `name` (see bound_keys). For a batch of
    one key, `= :name`: a unique key's lookup, whose plan serves any key (plan_once);
    for more, AnyOf, planned for how many they are."""
    return column == bindparam(name) if one else AnyOf(column, [], name=name)


def bound_keys(keys: Sequence[Any]) -> Any:
    """A batch's keys as `among` takes them: the key itself, for a batch of one."""
    return keys[0] if len(keys) == 1 else list(keys)


def looked_up(subquery: Select[Any]) -> Select[Any]:
    """`subquery` run as written for each outer row, a lookup by key: OFFSET 0 keeps
    PostgreSQL from turning it into a join, which it may plan as a read of a whole table
    for a few rows."""
    return subquery.offset(literal_column("0"))


class Reads(Protocol):
    """Runs read statements; each call is one statement, on a connection of its own."""

    dialect: str  # "postgresql" or "sqlite"

    async def rows(self, query: Query, /, **values: Any) -> list[Row]: ...

    async def close(self) -> None: ...


class _ColumnsAsAttributes:
    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]  # type: ignore[index]
        except KeyError:
            raise AttributeError(name) from None


class Record(_ColumnsAsAttributes, asyncpg.Record):  # type: ignore[misc]
    """A PostgreSQL row whose columns also read as attributes."""

    __slots__ = ()


class PlainRow(_ColumnsAsAttributes, dict[str, Any]):
    """A SQLite row whose columns also read as attributes."""

    __slots__ = ()


async def _keep(connection: asyncpg.Connection) -> None:
    """A read leaves nothing on its connection to reset (no settings, locks or cursors):
    asyncpg's default reset would cost a round trip after every statement."""


async def _learn_key_arrays(connection: asyncpg.Connection) -> None:
    """Have asyncpg learn the array types a batch's keys are bound as, as the connection
    opens: it asks PostgreSQL once per connection (a recursive query of 10 ms or more),
    which a request would otherwise wait for."""
    await connection.prepare("SELECT $1::integer[], $2::text[]")


# How each pool's statements are planned. "auto" would keep planning: a plan for any
# values looks costlier than one for the values at hand, and often is (see Query).
_EACH_RUN = {"plan_cache_mode": "force_custom_plan"}
_ONCE = {
    "plan_cache_mode": "force_generic_plan",
    # A plan for any values takes a LIMIT to keep a tenth of the rows, and would start
    # parallel workers for it: milliseconds, for the ten most viewed of a million.
    "max_parallel_workers_per_gather": "0",
}


class PostgresReads:
    dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool, plan_once_pool: asyncpg.Pool) -> None:
        self._pool = pool  # each statement planned for its values
        self._plan_once_pool = plan_once_pool  # a statement's plan kept for all values

    @classmethod
    async def connect(cls, settings: Settings) -> "PostgresReads":
        url = make_url(settings.database_url).set(drivername="postgresql")
        pools = [
            await asyncpg.create_pool(
                url.render_as_string(hide_password=False),
                min_size=1,
                max_size=settings.db_pool_size + settings.db_max_overflow,
                timeout=settings.db_connect_timeout_seconds,  # a server gone fails fast
                server_settings={**SERVER_SETTINGS, **planning},
                record_class=Record,
                init=_learn_key_arrays,
                reset=_keep,
            )
            for planning in (_EACH_RUN, _ONCE)
        ]
        return cls(*pools)

    @staticmethod
    def sql(query: Query, values: dict[str, Any]) -> tuple[str, list[Any]]:
        """The statement's SQL and its positional arguments for `values`."""
        sql, parameters = query.postgresql()
        arguments = []
        for name, default, convert in parameters:
            value = values.get(name, default)
            arguments.append(convert(value) if convert is not None else value)
        return sql, arguments

    async def rows(self, query: Query, /, **values: Any) -> list[Row]:
        sql, arguments = self.sql(query, values)
        pool = self._plan_once_pool if query.plan_once else self._pool
        async with pool.acquire() as connection:
            started = time.perf_counter()
            rows: list[Row] = await connection.fetch(sql, *arguments)
        record.statement_ran(time.perf_counter() - started)  # for the request's log and metrics
        return rows

    async def close(self) -> None:
        await self._pool.close()
        await self._plan_once_pool.close()


class SQLiteReads:
    dialect = "sqlite"

    def __init__(self, engine: AsyncEngine) -> None:
        # No transaction around a read (app/db.py); not the AUTOCOMMIT isolation level,
        # which SQLAlchemy sets and resets around every checkout, and a task cancelled
        # in between (a sibling field failed) left its connection stranded.
        self._engine = engine.execution_options(**{READS_ONLY: True})

    async def rows(self, query: Query, /, **values: Any) -> list[Row]:
        async with self._engine.connect() as connection:
            result = await connection.execute(query.statement, values)
            return [PlainRow(row._mapping) for row in result]

    async def close(self) -> None:
        pass  # the engine is the app's, closed with it


async def open_reads(settings: Settings, engine: AsyncEngine) -> Reads:
    """The reads of the app's database: an asyncpg pool on PostgreSQL, `engine` on SQLite."""
    if engine.dialect.name == "postgresql":
        return await PostgresReads.connect(settings)
    return SQLiteReads(engine)


def values_of(rows: Sequence[Row], column: str) -> list[Any]:
    return [getattr(row, column) for row in rows]
