"""The ASGI application: routes, lifespan and the GraphQL endpoint."""

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import TypedDict

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from app.db import SessionMaker, make_engine, make_read_sessionmaker, make_sessionmaker
from app.gateway.endpoint import PREFLIGHT_HEADERS, GraphQLEndpoint
from app.gateway.persisted import (
    DocumentStore,
    MemoryDocuments,
    PersistedQueries,
    RedisDocuments,
    load_manifest,
)
from app.gateway.ratelimit import Buckets, MemoryBuckets, RedisBuckets
from app.migrations import check_schema_current
from app.popularity.recorder import ViewRecorder
from app.popularity.rollup import refresh_forever
from app.related.maintain import maintain_forever
from app.settings import Settings, get_settings


class State(TypedDict):
    engine: AsyncEngine
    sessionmaker: SessionMaker
    read_sessionmaker: SessionMaker
    views: ViewRecorder
    buckets: Buckets
    persisted: PersistedQueries


async def health(request: Request) -> Response:
    # The worker's process ID tells a load test when every worker is up (scripts/serving.py).
    return JSONResponse({"status": "ok", "worker": os.getpid()})


async def home(request: Request) -> Response:
    return RedirectResponse("/graphql")


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
        views = ViewRecorder(engine, settings.view_flush_ms / 1000)
        # Shared state goes to Redis when there is one, so that every instance agrees.
        redis = None
        if settings.redis_url:
            redis = Redis.from_url(settings.redis_url, socket_timeout=0.5)
        buckets: Buckets = RedisBuckets(redis, settings.redis_prefix) if redis else MemoryBuckets()
        documents: DocumentStore = (
            RedisDocuments(redis, settings.redis_prefix) if redis else MemoryDocuments()
        )
        refresher = maintainer = None
        try:
            await check_schema_current(engine)
            refresher = asyncio.create_task(
                refresh_forever(
                    engine,
                    settings.popularity_refresh_seconds,
                    timedelta(hours=settings.trending_half_life_hours),
                )
            )
            maintainer = asyncio.create_task(
                maintain_forever(engine, settings.related_refresh_seconds)
            )
            yield {
                "engine": engine,
                "sessionmaker": make_sessionmaker(engine),
                "read_sessionmaker": make_read_sessionmaker(engine),
                "views": views,
                "buckets": buckets,
                "persisted": PersistedQueries(documents, trusted),
            }
        finally:
            for task in (refresher, maintainer):
                if task is not None:
                    task.cancel()
                    with suppress(asyncio.CancelledError):
                        await task
            await views.aclose()
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

    logging.getLogger("alembic").setLevel(logging.WARNING)  # the start-up schema check is routine
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    routes = [
        Route("/graphql", GraphQLEndpoint(settings)),  # first: routes are tried in order
        Route("/", home),
        Route("/healthz", health),
    ]
    # Without allowed origins, browsers refuse cross-origin calls by themselves: no
    # middleware to run on every request.
    middleware = []
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
            ],
            max_age=600,
        )
        middleware.append(cors)
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def create_served_app() -> Starlette:
    """The app of one `python -m app serve` worker process."""
    app = create_app()
    # The schema, models and modules live as long as the process: move them out of the
    # cycle collector's way, and collect young objects less often. A request leaves tens
    # of reference cycles; with the defaults, collecting them took 12% of a worker's CPU
    # under load, 4% with this. Garbage awaiting collection stays bounded by the threshold.
    gc.freeze()
    gc.set_threshold(50_000, 10, 10)
    return app
