"""The ASGI application: routes, lifespan and the GraphQL endpoint."""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.data.listing import next_publication
from app.data.sql import Reads, open_reads
from app.db import SessionMaker, make_engine, make_sessionmaker
from app.gateway import graphiql, health
from app.gateway.cache import ResponseCache
from app.gateway.cache.purge import PurgeWebhook
from app.gateway.cache.store import MemoryStore, RedisStore, Store
from app.gateway.endpoint import PREFLIGHT_HEADERS, GraphQLEndpoint
from app.gateway.failsafe import Failsafe
from app.gateway.persisted import (
    DocumentStore,
    MemoryDocuments,
    PersistedQueries,
    RedisDocuments,
    load_manifest,
)
from app.gateway.ratelimit import Buckets, MemoryBuckets, RedisBuckets
from app.migrations import check_schema_current
from app.ops import logs, metrics, tracing
from app.ops.middleware import GRAPHQL_PATH, ObserveRequests
from app.popularity.recorder import ViewRecorder
from app.popularity.rollup import refresh_forever
from app.related.maintain import maintain_forever
from app.settings import Settings, get_settings
from models.base import utcnow


class State(TypedDict):
    engine: AsyncEngine
    sessionmaker: SessionMaker
    reads: Reads
    views: ViewRecorder
    buckets: Buckets
    persisted: PersistedQueries
    cache: ResponseCache | None
    redis: Redis | None  # for /readyz


async def home(request: Request) -> Response:
    return RedirectResponse("/graphql")


class Newsgate(Starlette):
    """Starlette, except that /graphql, most of the traffic, goes to its endpoint through
    the app's own middleware only (Failsafe, the request's record, CORS), not also
    through Starlette's error and exception middleware and its router: the endpoint
    answers its errors itself, and Failsafe catches anything else. That was a tenth of
    the CPU of a request that needs no database."""

    def __init__(self, graphql: ASGIApp, middleware: list[Middleware], **kwargs: Any) -> None:
        super().__init__(middleware=middleware, **kwargs)
        for cls, args, options in reversed(middleware):
            graphql = cls(graphql, *args, **options)
        self._graphql = graphql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == GRAPHQL_PATH:
            scope["app"] = self
            await self._graphql(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> Starlette:
    """The Newsgate ASGI app for `settings` (from the environment when omitted)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        # Read first: a bad manifest stops the start before anything is opened.
        trusted = None
        if settings.trusted_documents:
            trusted = load_manifest(Path(settings.trusted_documents))
        engine = make_engine(settings)
        views = ViewRecorder(
            engine, settings.view_flush_ms / 1000, settings.request_timeout_seconds
        )
        # Shared state goes to Redis when there is one, so that every instance agrees.
        redis = None
        if settings.redis_url:
            # One retry, for a pooled connection Redis closed; then the callers fall back.
            redis = Redis.from_url(
                settings.redis_url, socket_timeout=0.5, retry=Retry(NoBackoff(), retries=1)
            )
        buckets: Buckets = RedisBuckets(redis, settings.redis_prefix) if redis else MemoryBuckets()
        documents: DocumentStore = (
            RedisDocuments(redis, settings.redis_prefix) if redis else MemoryDocuments()
        )
        cache = reads = None
        stop = asyncio.Event()  # the background loops' signal to finish their batch and end
        background: list[asyncio.Task[None]] = []
        try:
            await check_schema_current(engine)
            reads = await open_reads(settings, engine)
            cache = _response_cache(settings, redis, reads)
            if cache is not None:
                await cache.start()
            half_life = timedelta(hours=settings.trending_half_life_hours)
            background += [
                asyncio.create_task(
                    refresh_forever(engine, settings.popularity_refresh_seconds, half_life, stop)
                ),
                asyncio.create_task(
                    maintain_forever(
                        engine,
                        settings.related_refresh_seconds,
                        stop,
                        cache.related_lists_changed if cache else None,
                    )
                ),
            ]
            yield {
                "engine": engine,
                "sessionmaker": make_sessionmaker(engine),
                "reads": reads,
                "views": views,
                "buckets": buckets,
                "persisted": PersistedQueries(documents, trusted),
                "cache": cache,
                "redis": redis,
            }
        finally:
            stop.set()
            if background:
                _, late = await asyncio.wait(background, timeout=settings.request_timeout_seconds)
                for task in late:  # a batch stuck past the timeout: cancelled after all
                    task.cancel()
                    with suppress(asyncio.CancelledError):
                        await task
            await views.aclose()
            if cache is not None and cache.purge is not None:
                await cache.purge.close()
            if reads is not None:
                await reads.close()
            if redis is not None:
                await redis.aclose()
            await engine.dispose()
            metrics.worker_exited()

    logs.configure(settings.log_level, json=settings.json_logs)
    if settings.tracing != "off":
        tracing.start(settings.tracing)
    graphql = GraphQLEndpoint(settings)
    routes: list[BaseRoute] = [
        Route(GRAPHQL_PATH, graphql),  # as the fast path in Newsgate does
        Route("/", home),
        Route("/healthz", health.healthz),
        Route("/readyz", health.Readiness().readyz),
    ]
    if settings.metrics_token or settings.env == "development":
        routes.append(Route("/metrics", metrics.endpoint(settings.metrics_token)))
    if settings.env == "development":  # GraphiQL is off in production
        routes.append(Mount(graphiql.ASSETS_URL, graphiql.assets()))
    # Failsafe first, so that it wraps every other middleware. Without allowed origins,
    # browsers refuse cross-origin calls by themselves: no CORS middleware to run.
    middleware = [
        Middleware(Failsafe),
        Middleware(ObserveRequests, slow_seconds=settings.slow_request_ms / 1000),
    ]
    if settings.cors_origins:
        cors = Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "idempotency-key", *PREFLIGHT_HEADERS],
            expose_headers=[
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "Retry-After",
                "X-Cache",
            ],
            max_age=600,
        )
        middleware.append(cors)
    return Newsgate(graphql, routes=routes, middleware=middleware, lifespan=lifespan)


def _response_cache(settings: Settings, redis: Redis | None, reads: Reads) -> ResponseCache | None:
    """The response cache settings.cache_mode asks for, None when it is off."""
    mode = settings.cache_mode
    if mode == "off":
        return None
    store: Store = (
        RedisStore(redis, settings.redis_prefix)
        if mode == "redis" and redis is not None
        else MemoryStore(settings.response_cache_bytes)
    )
    purge = PurgeWebhook(settings.purge_webhook_url) if settings.purge_webhook_url else None

    async def publication() -> datetime | None:
        return await next_publication(reads, utcnow())

    return ResponseCache(
        store,
        publication,
        settings.cache_stale_while_revalidate_seconds,
        settings.cache_stale_if_error_seconds,
        purge,
    )


def create_served_app() -> Starlette:
    """The app of one `python -m app serve` worker process."""
    app = create_app()
    # The schema, models and modules live as long as the process: move them out of the
    # cycle collector's way, and collect young objects less often. Reads leave no
    # reference cycles (tests/test_cycles.py), so a collection finds little; errors'
    # tracebacks still make some, bounded by the threshold.
    gc.freeze()
    gc.set_threshold(50_000, 10, 10)
    return app
