"""One suite, two databases: every test that asks for `engine` runs on SQLite and PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL (default: the local server's `test` database);
each run creates a database of its own there and drops it at the end. With CI=true an
unreachable PostgreSQL fails the run; elsewhere its tests skip, saying why.
"""

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from alembic import command
from graphql import ExecutionResult
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel
from starlette.testclient import TestClient

from app.callers import Caller
from app.context import ANONYMOUS, Context
from app.data.sql import Query, Reads, Row, open_reads
from app.db import make_engine, make_sessionmaker
from app.gateway.execution import run
from app.main import create_app
from app.migrations import alembic_config
from app.popularity.recorder import ViewRecorder
from app.popularity.rollup import refresh_popularity
from app.related.maintain import enqueue, queue_stale, refresh_related
from app.settings import Settings, get_settings
from models import ArticleTally
from models.base import utcnow
from scripts.private_postgres import PrivatePostgres

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _admin(sql: str) -> None:
    engine = create_async_engine(make_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if request.param == "sqlite":
        # A file, not :memory:, because every loader batch opens its own connection.
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'newsgate.db'}"
        return
    name = f"newsgate_test_{uuid.uuid4().hex[:12]}"
    try:
        await _admin(f'CREATE DATABASE "{name}"')
    except (OSError, ConnectionError) as error:
        reason = f"PostgreSQL at {make_url(TEST_DATABASE_URL)} is unreachable ({error})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI requires it", pytrace=False)
        pytest.skip(f"{reason}; set TEST_DATABASE_URL to run these tests")
    try:
        yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated engine for the backend under test."""
    engine = make_engine(Settings(database_url=database_url))
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
    yield engine
    await engine.dispose()


class StatementLog:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def clear(self) -> None:
        self.statements.clear()


class RecordingReads:
    """The app's reads, logging each statement while a test watches (`statements`). Only
    PostgreSQL's: on SQLite they run through SQLAlchemy, whose events log them already."""

    def __init__(self, inner: Reads) -> None:
        self.inner = inner
        self.dialect = inner.dialect
        self.log: StatementLog | None = None

    async def rows(self, query: Query, /, **values: Any) -> list[Row]:
        if self.log is not None and self.dialect == "postgresql":
            self.log.statements.append(query.postgresql()[0])
        return await self.inner.rows(query, **values)

    async def close(self) -> None:
        await self.inner.close()


@pytest.fixture(scope="session")
async def reads(engine: AsyncEngine, database_url: str) -> AsyncIterator[RecordingReads]:
    """Read statements on the test database, as the app runs them."""
    recording = RecordingReads(await open_reads(Settings(database_url=database_url), engine))
    yield recording
    await recording.close()


# article_search_recent as a new database has it (the recent_search migration).
RESET_RECENT_SEARCH = """UPDATE article_search_recent_cutoff
    SET published_at = '0001-01-01 00:00:00+00', article_id = 0, keep_articles = DEFAULT"""


async def keep_recent_articles(engine: AsyncEngine, articles: int) -> None:
    """Make article_search_recent keep the newest `articles` from its next trim on."""
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE article_search_recent_cutoff SET keep_articles = :n"), {"n": articles}
        )


@pytest.fixture(autouse=True)
async def _wipe(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Delete every row after each database test, so tests never see each other's data."""
    yield
    if "engine" not in request.fixturenames:
        return
    engine: AsyncEngine = request.getfixturevalue("engine")
    tallies = ArticleTally.__table__  # type: ignore[attr-defined]
    async with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table is not tallies:
                await connection.execute(table.delete())
        await connection.execute(tallies.delete())  # last: deleting articles updates them
        if engine.dialect.name == "postgresql":  # a cutoff that only moves forward
            await connection.execute(text(RESET_RECENT_SEARCH))


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own on the Redis at TEST_REDIS_URL, its keys deleted
    after. With CI=true an unreachable Redis fails the test; elsewhere it skips."""
    prefix = f"newsgate-test-{uuid.uuid4().hex[:12]}:"
    client = Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except RedisError as error:
        await client.aclose()
        reason = f"Redis at {TEST_REDIS_URL} is unreachable ({error})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI requires it", pytrace=False)
        pytest.skip(f"{reason}; set TEST_REDIS_URL to run these tests")
    yield prefix
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def private_postgres(request: pytest.FixtureRequest) -> Iterator[PrivatePostgres]:
    """A running PostgreSQL server of this test's own (initdb in a temporary folder, its own
    port, pg_stat_statements loaded), for tests that stop it or count what it runs; never
    the shared one. Without PostgreSQL's server programs it fails under CI, skips elsewhere.
    Parametrize it indirectly with a dict to change the server's settings."""
    server = None
    try:
        server = PrivatePostgres(settings=getattr(request, "param", None))
        server.start()
    except (RuntimeError, OSError) as error:
        if server is not None:
            server.close()
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot start a private PostgreSQL: {error}", pytrace=False)
        pytest.skip(f"cannot start a private PostgreSQL: {error}")
    yield server
    server.close()


@pytest.fixture
def backend(engine: AsyncEngine) -> str:
    return engine.dialect.name


Gql = Callable[..., Any]


@pytest.fixture
async def views(engine: AsyncEngine) -> AsyncIterator[ViewRecorder]:
    """The group-commit view recorder, as the app runs it."""
    recorder = ViewRecorder(engine, interval=0.002)
    yield recorder
    await recorder.aclose()


@pytest.fixture
def gql(engine: AsyncEngine, reads: RecordingReads, views: ViewRecorder) -> Gql:
    """Run a GraphQL document as one request would: a fresh context and fresh loaders, for
    an anonymous caller unless `caller` is given, at the moment `now` (the present unless
    given)."""

    async def run_as(
        query: str, *, caller: Caller = ANONYMOUS, now: datetime | None = None, **variables: Any
    ) -> ExecutionResult:
        context = Context(
            sessionmaker=make_sessionmaker(engine),
            reads=reads,
            views=views,
            caller=caller,
            now=now or utcnow(),
        )
        return await run(query, context, variables)

    return run_as


MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(engine: AsyncEngine, database_url: str) -> Iterator[MakeClient]:
    """Clients of apps with the given settings (the defaults otherwise), over the test's
    database; each app's lifespan runs, and ends after the test."""
    clients: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        client = TestClient(create_app(Settings(database_url=database_url, **settings)))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    """A client of the app with default settings."""
    client: TestClient = make_client()
    return client


@pytest.fixture
def refresh(engine: AsyncEngine) -> Callable[[], Awaitable[int]]:
    """Bring most-viewed and trending up to date now, as the server does every few seconds."""

    async def run() -> int:
        half_life = timedelta(hours=get_settings().trending_half_life_hours)
        return await refresh_popularity(engine, utcnow(), half_life)

    return run


@pytest.fixture
def relate(engine: AsyncEngine) -> Callable[..., Awaitable[None]]:
    """Bring the stored related lists up to date now, as the server's worker does every
    second: for what the content mutations queued, and, with `everything=True`, for every
    article (factories write rows directly and queue nothing)."""

    async def run(everything: bool = False) -> None:
        if everything:
            async with engine.begin() as connection:
                ids = (await connection.execute(text("SELECT id FROM article"))).scalars()
                await enqueue(connection, list(ids))
        while await refresh_related(engine) or await queue_stale(engine):
            pass

    return run


@pytest.fixture
def session(engine: AsyncEngine) -> Any:
    """A session factory for arranging rows (factories commit through it)."""
    return make_sessionmaker(engine)


@pytest.fixture
def statements(engine: AsyncEngine, reads: RecordingReads) -> Iterator[StatementLog]:
    """Every SQL statement the app sends while the test runs, as the app's side sees them
    (tests/test_statements.py counts what PostgreSQL itself receives)."""
    log = StatementLog()

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        log.statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    reads.log = log
    yield log
    reads.log = None
    event.remove(engine.sync_engine, "before_cursor_execute", record)
