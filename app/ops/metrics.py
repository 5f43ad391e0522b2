"""Prometheus metrics, and the /metrics endpoint that exposes them.

Labels stay few and bounded: operation names (capped, see `operation_label`), outcomes,
error codes, loader names. Never query text, IDs or client addresses.

Under several uvicorn workers, `python -m app serve` points PROMETHEUS_MULTIPROC_DIR at a
fresh folder before the workers start: each worker writes its values there and /metrics,
whichever worker answers, adds up all of them.
"""

import os
import re
import secrets
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
COUNT_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100, 250, 1000)

REQUESTS = Histogram(
    "newsgate_graphql_request_seconds",
    "GraphQL requests (its _count) and their latency, by operation name and outcome "
    "(ok, client_error, server_error).",
    ["operation", "outcome"],
    buckets=LATENCY_BUCKETS,
)
ERRORS = Counter(
    "newsgate_graphql_errors_total", "GraphQL errors sent, by extensions.code.", ["code"]
)
SQL_STATEMENTS = Histogram(
    "newsgate_request_sql_statements",
    "SQL statements a GraphQL request ran.",
    buckets=COUNT_BUCKETS,
)
DB_SECONDS = Histogram(
    "newsgate_request_db_seconds",
    "Time a GraphQL request's SQL statements took, added up.",
    buckets=LATENCY_BUCKETS,
)
BATCH_SIZE = Histogram(
    "newsgate_dataloader_batch_size",
    "Keys per DataLoader batch.",
    ["loader"],
    buckets=COUNT_BUCKETS,
)
VIEW_QUEUE = Gauge(
    "newsgate_view_queue_depth",
    "Views waiting for their group-commit transaction.",
    multiprocess_mode="livesum",
)
VIEW_FLUSH = Histogram(
    "newsgate_view_flush_seconds",
    "Time to write one group-commit transaction of views.",
    buckets=LATENCY_BUCKETS,
)
RATE_LIMITED = Counter(
    "newsgate_rate_limit_refusals_total",
    "Requests refused for their caller's rate limit, by kind of caller (anonymous, client).",
    ["caller"],
)
DOCUMENTS = Counter(
    "newsgate_document_cache_lookups_total",
    "Documents looked up by their text in the cache of parsed, validated and planned "
    "ones: hit, or miss (parsed and validated now).",
    ["result"],
)
PERSISTED_QUERIES = Counter(
    "newsgate_persisted_query_lookups_total",
    "Persisted query lookups by hash alone: hit (the document was known) or miss.",
    ["result"],
)

RESPONSE_CACHE = Counter(
    "newsgate_response_cache_lookups_total",
    "Answers looked up in the response cache, by operation name and result: hit, stale "
    "(served while revalidated, or while the database is unreachable) or miss.",
    ["operation", "result"],
)
RESPONSE_CACHE_STORED_BYTES = Counter(
    "newsgate_response_cache_stored_bytes_total",
    "Bytes of answers stored in the response cache, by operation name.",
    ["operation"],
)
RESPONSE_CACHE_EVICTIONS = Counter(
    "newsgate_response_cache_evictions_total",
    "Cached answers evicted: invalidated (an edit changed what they hold) or budget (the "
    "least recently used, over NEWSGATE_RESPONSE_CACHE_BYTES).",
    ["reason"],
)
RESPONSE_CACHE_PURGES = Counter(
    "newsgate_response_cache_purges_total",
    "Purge webhook deliveries by outcome: sent, retried (an attempt failed and another "
    "follows), failed (given up, or cut short by shutdown).",
    ["outcome"],
)
RESPONSE_CACHE_BYTES = Gauge(
    "newsgate_response_cache_bytes",
    "Bytes the response cache holds in process memory.",
    multiprocess_mode="livesum",
)

MAX_OPERATION_NAMES = 200  # distinct operation names a worker labels; later ones are "other"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_operation_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """A bounded label for an operation name: clients choose names, and every distinct
    label is a new time series."""
    if name is None:
        return "anonymous"
    if name in _operation_names:
        return name
    if len(_operation_names) >= MAX_OPERATION_NAMES or not _NAME.fullmatch(name):
        return "other"
    _operation_names.add(name)
    return name


@contextmanager
def shared_by_workers(workers: int) -> Iterator[None]:
    """With several workers, a fresh folder for their values (unless one is set), removed
    afterwards. Set before the workers start: prometheus-client reads it at import."""
    if workers == 1 or multiprocess_dir():
        yield
        return
    with tempfile.TemporaryDirectory(prefix="newsgate-metrics-") as folder:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def worker_exited() -> None:
    """Forget this worker's live gauges (the view queue), at its shutdown."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def endpoint(token: str | None) -> Callable[[Request], Awaitable[Response]]:
    """GET /metrics, in Prometheus' text format; with a token, only for `Authorization:
    Bearer <token>`."""
    expected = f"Bearer {token}".encode() if token else None

    async def metrics(request: Request) -> Response:
        sent = request.headers.get("authorization", "").encode()
        if expected is not None and not secrets.compare_digest(sent, expected):
            return Response("Send the metrics token.\n", 401, {"WWW-Authenticate": "Bearer"})
        registry = REGISTRY
        if path := multiprocess_dir():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
