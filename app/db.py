"""Engine and session factories for SQLite (embedded default) and PostgreSQL (production)."""

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Float,
    Integer,
    String,
    Text,
    TypeDecorator,
    bindparam,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel.ext.asyncio.session import AsyncSession

from app.ops.record import count_statements
from app.settings import Settings

SessionMaker = async_sessionmaker[AsyncSession]

# An execution option marking an engine whose connections only read: on SQLite they run
# without a transaction (see _sqlite_begin).
READS_ONLY = "newsgate_reads_only"


def _sqlite_connect(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver opens no transaction of its own accord: _sqlite_begin decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers run beside the writer; busy_timeout makes a writer wait for the
        # write lock instead of failing with SQLITE_BUSY.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return connect


def _sqlite_begin(connection: Connection) -> None:
    """A transaction takes SQLite's one write lock when it begins (BEGIN IMMEDIATE), so
    writers queue there. Begun deferred, a transaction that read first would fail with
    SQLITE_BUSY at its first write, without waiting, whenever another had written since
    its read. Reads need no transaction: each statement sees a consistent snapshot, as
    with autocommit on PostgreSQL."""
    options = connection.get_execution_options()
    if not options.get(READS_ONLY) and options.get("isolation_level") != "AUTOCOMMIT":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


SERVER_SETTINGS = {
    "application_name": "newsgate",
    # JIT compiling pays off for long analytical queries; ours take milliseconds, and
    # compiling one can cost tens of them.
    "jit": "off",
    # Plan each statement for its values: how many articles a word or a tag matches
    # varies by orders of magnitude, and a plan cached for one value can be ruinous
    # for another. Planning costs well under a millisecond. (Reads whose plan no value
    # changes keep theirs: app/data/sql.py.)
    "plan_cache_mode": "force_custom_plan",
}


def make_engine(settings: Settings) -> AsyncEngine:
    """An async engine for `settings.database_url`, tuned for its backend."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url)
        # A writer waits for the lock as long as a request may run: past that, the request
        # is stopped with TIMEOUT, never failed as busy.
        busy_timeout_ms = int(settings.request_timeout_seconds * 1000)
        event.listen(engine.sync_engine, "connect", _sqlite_connect(busy_timeout_ms))
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    else:
        engine = create_async_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_pre_ping=True,  # after an outage, pooled connections are tested and replaced
            connect_args={
                "server_settings": SERVER_SETTINGS,
                "timeout": settings.db_connect_timeout_seconds,
            },
        )
    count_statements(engine)  # for each request's log line and metrics
    return engine


# SQLSTATE classes of a server that cannot serve now: connection exceptions (08), shutdown,
# crash or start-up (57P), too many connections (53300).
_UNAVAILABLE_SQLSTATES = ("08", "57P", "53300")


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached or is going away, rather than
    that a statement is wrong: the request may succeed if retried later."""
    seen: BaseException | None = error
    for _ in range(8):  # the exception, what caused it, and so on
        if seen is None:
            return False
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, OSError):  # refused, reset, timed out (TimeoutError is one)
            return True
        sqlstate = getattr(seen, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def make_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    """Sessions that keep loaded rows usable after commit."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def insert_for(connection: AsyncConnection) -> Any:
    """INSERT with ON CONFLICT for the connection's database."""
    return insert_in(connection.dialect.name)


def insert_in(dialect: str) -> Any:
    """INSERT with ON CONFLICT for the database of that dialect's name."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def make_read_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    """Sessions for reads: autocommit, so a read is one round trip, not BEGIN, SELECT, ROLLBACK."""
    if engine.dialect.name == "sqlite":
        # Not the AUTOCOMMIT isolation level: SQLAlchemy would set and reset it around every
        # checkout, and a task cancelled in between leaves the connection stranded.
        return make_sessionmaker(engine.execution_options(**{READS_ONLY: True}))
    return make_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


class _Keys(TypeDecorator[list[Any]]):
    """A list of keys bound as one parameter: an array on PostgreSQL, JSON text on SQLite."""

    impl = Text
    cache_ok = True

    def __init__(self, item: str) -> None:
        super().__init__()
        self.item = item  # "int" or "str"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Integer() if self.item == "int" else Text()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: list[Any] | None, dialect: Dialect) -> Any:
        return value if dialect.name == "postgresql" else orjson.dumps(value).decode()

    def bind_processor(self, dialect: Dialect) -> Any:
        # asyncpg takes a list as an array as it is: no conversion item by item.
        return None if dialect.name == "postgresql" else super().bind_processor(dialect)


class AnyOf(ColumnElement[bool]):
    """`column IN (keys)` with the keys in one parameter, so the SQL text is the same for
    any number of keys: PostgreSQL then reuses one prepared statement instead of preparing
    a new one for every batch size."""

    inherit_cache = True
    type = Boolean()
    # What SQLAlchemy's statement cache keys on: the column, and the parameter (not its value).
    _traverse_internals = [  # noqa: RUF012  (SQLAlchemy's own declaration style)
        ("column", InternalTraversal.dp_clauseelement),
        ("keys", InternalTraversal.dp_clauseelement),
    ]

    def __init__(
        self, column: Any, keys: Iterable[int] | Iterable[str], name: str | None = None
    ) -> None:
        """`name` names the parameter, for a statement built once and run with new keys."""
        self.column = column
        values = list(keys)
        column_type = getattr(column, "type", None)
        text = isinstance(getattr(column_type, "impl_instance", column_type), String)
        item = "str" if text or (values and isinstance(values[0], str)) else "int"
        self.keys = bindparam(name, values, type_=_Keys(item))


@compiles(AnyOf, "postgresql")
def _any_of_postgresql(element: AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, keys = compiler.process(element.column, **kw), compiler.process(element.keys, **kw)
    return f"{column} = ANY({keys})"


@compiles(AnyOf)
def _any_of_sqlite(element: AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, keys = compiler.process(element.column, **kw), compiler.process(element.keys, **kw)
    return f"{column} IN (SELECT value FROM json_each({keys}))"


class days_between(FunctionElement[float]):
    """`later - earlier` in days, as a float."""

    type = Float()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_between_postgresql(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS FLOAT) / 86400)"


@compiles(days_between)
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(julianday({later}) - julianday({earlier}))"


class plus_days(FunctionElement[Any]):
    """A moment moved by a (fractional, possibly negative) number of days."""

    inherit_cache = True


@compiles(plus_days, "postgresql")
def _plus_days_postgresql(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    moment, days = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"({moment} + make_interval(secs => ({days}) * 86400))"


@compiles(plus_days)
def _plus_days_sqlite(element: plus_days, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores moments as 'YYYY-MM-DD HH:MM:SS.ffffff' text, which this compares with.
    moment, days = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"strftime('%Y-%m-%d %H:%M:%f', {moment}, printf('%.6f days', {days}))"
