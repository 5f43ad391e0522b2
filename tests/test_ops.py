"""What operators see: /metrics, one log line per request, request ids, /readyz, tracing."""

import asyncio
import io
import json
import logging
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from app.main import create_app
from app.ops import tracing
from app.ops.logs import BatchedStreamHandler, JsonFormatter, TextFormatter
from app.settings import Settings
from scripts.private_postgres import free_port
from scripts.serving import ROOT, balanced_connections, post, server
from tests.conftest import TEST_REDIS_URL
from tests.factories import make_article, make_author

FRONT_PAGE = """query FrontPage {
  articles(first: 5) { edges { node { title author { name } tags { name } views(window: WEEK) } } }
}"""


def samples(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample /metrics shows, by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def change(before, after, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return float(after.get(key, 0.0) - before.get(key, 0.0))


async def test_metrics_count_requests_by_operation_and_outcome(make_client, session):
    author = await make_author(session)
    for n in range(3):
        await make_article(session, author=author, title=f"Story {n}")
    client = make_client()
    before = samples(client)
    for _ in range(2):
        assert "errors" not in client.post("/graphql", json={"query": FRONT_PAGE}).json()
    client.post("/graphql", json={"query": "{ nope }"})
    client.post("/graphql", json={"query": "{ __typename }"})
    after = samples(client)

    requests = "newsgate_graphql_request_seconds_count"
    assert change(before, after, requests, operation="FrontPage", outcome="ok") == 2
    assert change(before, after, requests, operation="anonymous", outcome="ok") == 1
    assert change(before, after, requests, operation="anonymous", outcome="client_error") == 1
    errors = "newsgate_graphql_errors_total"
    assert change(before, after, errors, code="GRAPHQL_VALIDATION_FAILED") == 1
    # Each front page: its authors and tags come with its articles; its views are one batch
    # of three.
    batches = "newsgate_dataloader_batch_size"
    assert change(before, after, f"{batches}_count", loader="load_views") == 2
    assert change(before, after, f"{batches}_sum", loader="load_views") == 6
    assert change(before, after, "newsgate_request_sql_statements_count") == 4
    assert change(before, after, "newsgate_request_sql_statements_sum") >= 4
    assert change(before, after, "newsgate_request_db_seconds_sum") > 0
    # Labels never carry the query's text.
    assert "articles(first" not in client.get("/metrics").text


def test_operation_names_are_bounded_labels(monkeypatch):
    from app.ops import metrics

    monkeypatch.setattr(metrics, "_operation_names", set())
    monkeypatch.setattr(metrics, "MAX_OPERATION_NAMES", 2)
    labels = [metrics.operation_label(name) for name in ("A", "B", "C", "A", None)]
    assert labels == ["A", "B", "other", "A", "anonymous"]


def test_metrics_are_served_in_production_only_with_their_token(make_client):
    assert make_client(env="production").get("/metrics").status_code == 404
    guarded = make_client(env="production", metrics_token="s3cret")
    assert guarded.get("/metrics").status_code == 401
    wrong = guarded.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 401
    allowed = guarded.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert allowed.status_code == 200
    assert "newsgate_graphql_request_seconds" in allowed.text


def _access_lines(caplog) -> list[dict[str, Any]]:
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.name == "newsgate.access"
    ]


async def test_each_request_is_one_json_line_with_its_request_id(make_client, session, caplog):
    await make_article(session)
    client = make_client(env="production")
    with caplog.at_level(logging.INFO, logger="newsgate.access"):
        ok = client.post(
            "/graphql", json={"query": FRONT_PAGE}, headers={"X-Request-ID": "req-42.a:b"}
        )
        refused = client.post(
            "/graphql", json={"query": "{ nope }"}, headers={"X-Request-ID": "x y"}
        )
    assert ok.headers["x-request-id"] == "req-42.a:b"
    generated = refused.headers["x-request-id"]
    assert generated != "x y"
    assert generated != ok.headers["x-request-id"]
    first, second = _access_lines(caplog)
    assert first["level"] == "info"
    assert {key: first[key] for key in ("request_id", "operation", "client", "status")} == {
        "request_id": "req-42.a:b",
        "operation": "FrontPage",
        "client": "ip:testclient",
        "status": 200,
    }
    assert first["error_codes"] == []
    assert first["sql_statements"] == 2
    assert first["duration_ms"] > 0
    assert second["request_id"] == generated
    assert second["error_codes"] == ["GRAPHQL_VALIDATION_FAILED"]


async def test_slow_requests_are_logged_as_warnings_with_their_sql(make_client, session, caplog):
    await make_article(session)
    client = make_client(slow_request_ms=0.001)
    with caplog.at_level(logging.INFO, logger="newsgate.access"):
        client.post("/graphql", json={"query": FRONT_PAGE})
    (line,) = _access_lines(caplog)
    assert line["level"] == "warning"
    assert line["slow"] is True
    assert line["sql_statements"] == 2
    # In development the same line reads as text.
    text_line = TextFormatter().format(caplog.records[-1])
    assert "WARNING newsgate.access: POST /graphql 200 " in text_line
    assert " operation=FrontPage client=ip:testclient sql_statements=2 " in text_line
    assert text_line.endswith(" slow=True")


def settled_readiness(client):
    """/readyz once every check has answered: the first probe of a new process may find a
    connection still being opened, on a busy machine past the 60 ms a probe waits."""
    for _ in range(20):
        response = client.get("/readyz")
        if "no answer" not in str(response.json()["checks"]):
            break
    return response


def _batched(stream: io.StringIO, flush_seconds: float) -> logging.Logger:
    handler = BatchedStreamHandler()
    handler.setStream(stream)
    handler.flush_seconds = flush_seconds
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"newsgate.test.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger


async def test_log_lines_are_written_in_batches_and_never_held_long():
    stream = io.StringIO()
    logger = _batched(stream, flush_seconds=0.05)
    logger.info("one")
    logger.info("two")
    assert stream.getvalue() == ""  # waiting to go out together
    await asyncio.sleep(0.2)
    assert stream.getvalue() == "INFO one\nINFO two\n"
    logger.info("three")
    logger.warning("four")  # a warning goes out at once, after what waited before it
    assert stream.getvalue().endswith("INFO three\nWARNING four\n")
    logger.info("x" * BatchedStreamHandler.max_bytes)  # so does a full buffer
    assert stream.getvalue().endswith("x\n")


def test_log_lines_without_an_event_loop_are_written_at_once_and_none_lost_at_exit():
    stream = io.StringIO()
    _batched(stream, flush_seconds=60).info("from a script")
    assert stream.getvalue() == "INFO from a script\n"
    # A line that waits for its batch when the process ends is written by logging's shutdown.
    program = (
        "import asyncio, logging\n"
        "from app.ops import logs\n"
        "logs.configure('info', json=False)\n"
        "async def main():\n"
        "    logging.getLogger('newsgate.access').info('the last request')\n"
        "asyncio.run(main())\n"
    )
    ended = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=30, cwd=ROOT
    )
    assert "the last request" in ended.stderr


def test_readyz_checks_the_database_and_redis(make_client, redis_prefix):
    plain = settled_readiness(make_client())
    assert plain.status_code == 200
    assert plain.json()["checks"] == {"database": "ok"}
    redis_client = make_client(redis_url=TEST_REDIS_URL, redis_prefix=redis_prefix)
    with_redis = settled_readiness(redis_client)
    assert with_redis.json()["checks"] == {"database": "ok", "redis": "ok"}
    assert with_redis.json()["status"] == "ready"


async def test_readyz_fails_on_a_schema_behind_the_code(make_client, engine):
    client = make_client()
    async with engine.begin() as connection:
        (head,) = (await connection.execute(text("SELECT version_num FROM alembic_version"))).one()
        await connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        response = settled_readiness(client)
    finally:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head}
            )
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "schema at older, not the code's"


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers: a hung dependency."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # connections wait in the backlog, never accepted
        yield listener.getsockname()[1]


def test_readyz_answers_within_100_ms_when_redis_hangs(make_client, silent_server):
    client = make_client(redis_url=f"redis://127.0.0.1:{silent_server}/0")
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 0.1
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "no answer within 60 ms"


class FreezableProxy:
    """A TCP proxy to `port`, on a thread of its own; while frozen it passes nothing on,
    as a database that hangs would."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.running = threading.Event()
        self.running.set()
        self.loop = asyncio.new_event_loop()
        self.writers: list[asyncio.StreamWriter] = []
        ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait()

    def _serve(self, ready: threading.Event) -> None:
        async def start() -> None:
            self.server = await asyncio.start_server(self._pipe_both, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    async def _pipe_both(self, reader, writer) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target)
        self.writers += [writer, upstream_writer]
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    async def _pipe(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                if not self.running.is_set():  # frozen: hold the bytes
                    await asyncio.to_thread(self.running.wait)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _stop(self) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()
        await asyncio.sleep(0.05)  # let the pipes see their connections close

    def close(self) -> None:
        self.running.set()
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite: no network
async def test_readyz_answers_within_100_ms_when_the_database_hangs(database_url):
    url = make_url(database_url)
    proxy = FreezableProxy(url.port or 5432)
    proxied = url.set(port=proxy.port).render_as_string(hide_password=False)
    try:
        with TestClient(create_app(Settings(database_url=proxied))) as client:
            assert settled_readiness(client).status_code == 200
            proxy.running.clear()
            started = time.monotonic()
            response = client.get("/readyz")
            assert time.monotonic() - started < 0.1
            assert response.status_code == 503
            assert response.json()["checks"] == {"database": "no answer within 60 ms"}
            proxy.running.set()
            assert settled_readiness(client).status_code == 200
    finally:
        proxy.close()


@pytest.fixture
def spans():
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    tracing.start("test", exporter)
    yield exporter
    tracing.stop()


async def test_tracing_makes_a_span_per_request_with_a_child_per_loader_batch(
    make_client, session, spans
):
    await make_article(session)
    client = make_client()
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    client.post("/graphql", json={"query": FRONT_PAGE}, headers={"traceparent": parent})
    finished = spans.get_finished_spans()
    (request,) = [span for span in finished if span.name == "POST /graphql FrontPage"]
    batches = [span for span in finished if span.name.startswith("dataloader ")]
    assert {span.name for span in batches} == {
        "dataloader load_article_pages",  # with the authors and tags
        "dataloader load_views",
    }
    assert {span.parent.span_id for span in batches} == {request.context.span_id}
    # It continues the caller's trace.
    assert format(request.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert request.attributes["newsgate.sql_statements"] == 2


def test_tracing_is_off_unless_configured(make_client):
    make_client()
    assert tracing.tracer is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_metrics_add_up_the_requests_of_every_worker(database_url, engine):
    port = free_port()
    with server(database_url, port, NEWSGATE_WORKERS="2"):
        connections = await balanced_connections(port, 4, workers=2)  # two on each worker
        for reader, writer in connections:
            for _ in range(5):
                assert await post(reader, writer, {"query": "query Ping { __typename }"})
            writer.close()
        # Whichever worker answers the scrape, it counts all 20.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(4):
                scrape = await http.get("/metrics", headers={"Connection": "close"})
                families = text_string_to_metric_families(scrape.text)
                counts = [
                    sample.value
                    for family in families
                    for sample in family.samples
                    if sample.name == "newsgate_graphql_request_seconds_count"
                    and sample.labels["operation"] == "Ping"
                ]
                assert counts == [20]


def test_metrics_count_document_cache_hits_and_misses(make_client):
    client = make_client()
    # A document no other test sends: the cache is the process's.
    query = {"query": f"query CacheProbe {{ probe{uuid.uuid4().hex}: categories {{ name }} }}"}
    before = samples(client)
    for _ in range(3):
        assert client.post("/graphql", json=query).status_code == 200
    after = samples(client)
    lookups = "newsgate_document_cache_lookups_total"
    assert change(before, after, lookups, result="miss") == 1
    assert change(before, after, lookups, result="hit") == 2
