"""Faults, with real server processes: PostgreSQL going away and coming back, Redis going
away, and SIGTERM in the middle of traffic. No acknowledged view is ever lost.

The PostgreSQL outage uses a private server (the `private_postgres` fixture), never the
shared one; the Redis outage a redis-server of the test's own.
"""

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field

import httpx2 as httpx
import pytest
from sqlalchemy import text

from app.db import make_engine, make_sessionmaker
from app.gateway.persisted import sha256
from app.gateway.ratelimit import RedisBuckets
from app.settings import Settings
from resolvers.types.node import encode_id
from scripts.private_postgres import free_port
from scripts.serving import server
from tests.conftest import _upgrade
from tests.factories import make_article, pk

RECORD_VIEW = "mutation ($id: ID!) { recordView(articleId: $id) { counted } }"


@dataclass
class Traffic:
    """recordView from several clients at once, each answer noted."""

    url: str
    article_id: str
    acknowledged: int = 0  # answered 200 with counted: true
    unavailable: list[float] = field(default_factory=list)  # seconds each 503 took
    other: list[str] = field(default_factory=list)  # any other answer: there must be none
    unanswered: list[str] = field(default_factory=list)  # the connection failed, no answer
    stopped: bool = False

    async def client(self, http: httpx.AsyncClient) -> None:
        body = {"query": RECORD_VIEW, "variables": {"id": self.article_id}}
        while not self.stopped:
            started = time.monotonic()
            try:
                response = await http.post(f"{self.url}/graphql", json=body)
            except httpx.TransportError as error:
                self.unanswered.append(repr(error))
                return
            took = time.monotonic() - started
            payload = response.json()
            if response.status_code == 200 and payload["data"]["recordView"]["counted"]:
                self.acknowledged += 1
            elif (
                response.status_code == 503
                and response.headers.get("retry-after")
                and [e["extensions"]["code"] for e in payload["errors"]] == ["SERVICE_UNAVAILABLE"]
            ):
                self.unavailable.append(took)
                await asyncio.sleep(0.02)  # as a client would before retrying
            else:
                self.other.append(f"{response.status_code} {payload}")

    async def until(self, condition) -> None:
        """Go on until `condition()` holds (20 s at most)."""
        deadline = time.monotonic() + 20
        while not condition():
            assert time.monotonic() < deadline, f"timed out; traffic so far: {self}"
            await asyncio.sleep(0.01)


async def stored_views(url: str, article_pk: int) -> int:
    engine = make_engine(Settings(database_url=url))
    try:
        async with engine.connect() as connection:
            count = await connection.execute(
                text("SELECT view_count FROM article WHERE id = :id"), {"id": article_pk}
            )
            return int(count.scalar_one())
    finally:
        await engine.dispose()


# The private server's defaults trade durability for speed; a crash test needs commits that
# are on their way to disk when acknowledged, as a production server's are.
@pytest.mark.parametrize("private_postgres", [{"synchronous_commit": "on"}], indirect=True)
async def test_postgresql_going_away_is_503_fast_and_recovers_without_losing_a_view(
    private_postgres,
):
    url = private_postgres.url
    engine = make_engine(Settings(database_url=url))
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
    article = await make_article(make_sessionmaker(engine))
    await engine.dispose()
    port = free_port()
    traffic = Traffic(f"http://127.0.0.1:{port}", encode_id("Article", article.id))
    with server(url, port):
        async with httpx.AsyncClient(timeout=10) as http:
            clients = [asyncio.create_task(traffic.client(http)) for _ in range(4)]
            await traffic.until(lambda: traffic.acknowledged >= 40)
            await asyncio.to_thread(private_postgres.stop, "immediate")
            await traffic.until(lambda: len(traffic.unavailable) >= 20)
            ready = await http.get(f"{traffic.url}/readyz")
            assert ready.status_code == 503
            # Looking an API key up needs the database too: that is a 503, not a 401.
            keyed = await http.post(
                f"{traffic.url}/graphql",
                json={"query": "{ __typename }"},
                headers={"X-API-Key": "ng_partner-key"},
            )
            assert keyed.status_code == 503
            assert keyed.headers["retry-after"] == "2"
            assert keyed.json()["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
            acknowledged_before = traffic.acknowledged
            await asyncio.to_thread(private_postgres.start)
            # The same server process serves again, through new connections.
            await traffic.until(lambda: traffic.acknowledged >= acknowledged_before + 40)
            traffic.stopped = True
            await asyncio.gather(*clients)
            assert (await http.get(f"{traffic.url}/readyz")).status_code == 200
            query = "query ($id: ID!) { node(id: $id) { ... on Article { viewCount } } }"
            read = await http.post(
                f"{traffic.url}/graphql",
                json={"query": query, "variables": {"id": traffic.article_id}},
            )
    assert traffic.other == []
    assert traffic.unanswered == []
    assert max(traffic.unavailable) < 2
    stored = await stored_views(url, pk(article))
    assert read.json()["data"]["node"]["viewCount"] == stored
    # Every acknowledged view is stored. A view whose commit went through as the server
    # went down may be stored without its answer having arrived: a 503 the client retries.
    assert traffic.acknowledged <= stored <= traffic.acknowledged + len(traffic.unavailable)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_sigterm_finishes_requests_in_flight_and_writes_their_views(
    database_url, engine, session
):
    article = await make_article(session)
    port = free_port()
    traffic = Traffic(f"http://127.0.0.1:{port}", encode_id("Article", article.id))
    # Views wait up to 200 ms to share a transaction: at SIGTERM some are always waiting.
    with server(database_url, port, NEWSGATE_VIEW_FLUSH_MS="200") as process:
        async with httpx.AsyncClient(timeout=10) as http:
            clients = [asyncio.create_task(traffic.client(http)) for _ in range(8)]
            await traffic.until(lambda: traffic.acknowledged >= 24)
            process.send_signal(signal.SIGTERM)
            signalled_at = traffic.acknowledged
            await asyncio.gather(*clients)
        # After its graceful shutdown uvicorn raises the signal again, so that the process
        # ends as "terminated by SIGTERM" for whoever sent it.
        assert await asyncio.to_thread(process.wait, 30) in (0, -signal.SIGTERM)
    # The requests waiting for their transaction at SIGTERM were answered, and written.
    assert traffic.acknowledged > signalled_at
    assert traffic.unavailable == []
    assert traffic.other == []
    # Each client stopped when its next request found the server closing or gone.
    assert len(traffic.unanswered) == 8
    assert await stored_views(database_url, pk(article)) == traffic.acknowledged


@pytest.fixture
def own_redis():
    """A redis-server of this test's own, on its own port: `start()` and `stop()` it."""
    program = shutil.which("redis-server")
    if program is None:
        reason = "redis-server is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI requires it", pytrace=False)
        pytest.skip(reason)
    port = free_port()
    command = [program, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no"]

    class OwnRedis:
        url = f"redis://127.0.0.1:{port}/0"
        process: subprocess.Popen[bytes] | None = None

        def start(self) -> None:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while (
                subprocess.run(
                    ["redis-cli", "-p", str(port), "ping"], capture_output=True
                ).stdout.strip()
                != b"PONG"
            ):
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)

        def stop(self) -> None:
            assert self.process is not None
            self.process.terminate()
            self.process.wait(timeout=10)

    redis = OwnRedis()
    redis.start()
    yield redis
    if redis.process is not None and redis.process.poll() is None:
        redis.stop()


def test_redis_going_away_falls_back_to_buckets_per_process(
    make_client, own_redis, monkeypatch, caplog
):
    monkeypatch.setattr(RedisBuckets, "RETRY_SECONDS", 0.05)
    client = make_client(redis_url=own_redis.url, rate_limit_anonymous_per_minute=60)  # 10 burst
    query = {"query": "{ __typename }"}
    assert client.post("/graphql", json=query).headers["ratelimit-remaining"] == "9"
    with caplog.at_level(logging.WARNING, logger="newsgate"):
        own_redis.stop()
        # Nothing fails. Persisted queries are kept in Redis: without it, they still run.
        apq = {"version": 1, "sha256Hash": sha256(query["query"])}
        registered = client.post("/graphql", json={**query, "extensions": {"persistedQuery": apq}})
        assert registered.json() == {"data": {"__typename": "Query"}}
        # This process's own buckets take over, a full one for this client.
        statuses = [client.post("/graphql", json=query).status_code for _ in range(10)]
        assert statuses == [200] * 9 + [429]
        assert client.get("/readyz").json()["checks"]["redis"] != "ok"
        own_redis.start()
        deadline = time.monotonic() + 10
        while "Redis is back" not in caplog.text:
            assert time.monotonic() < deadline
            client.post("/graphql", json=query)
            time.sleep(0.02)
    said = [r.getMessage() for r in caplog.records if r.name == "newsgate.ratelimit"]
    assert said[0].endswith("rate limits are per process until it is back")
    assert said[1:] == ["Redis is back: rate limits are shared again"]
    # Shared again: the budget is the one in the new Redis.
    assert client.post("/graphql", json=query).headers["ratelimit-remaining"] == "8"
