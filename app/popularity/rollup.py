"""Keeps article_popularity in step with the view buckets, a few seconds behind.

Ranking by "views in the last week" must not sum a week of buckets per request. Instead
each article's window counts and trending score are stored and indexed, and recomputed
here only for articles that need it: those with new views (the view writer marks them
dirty) and those with buckets that have just aged out of a window. Any worker may run a
refresh; the clock row makes sure each stretch of time is aged out once.
"""

import asyncio
import logging
import math
from collections import defaultdict
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.data.popularity import SPANS, WINDOW_COLUMNS, Window, window_start
from app.db import insert_for, is_unavailable
from models import ArticlePopularity, ArticleViewBucket, PopularityClock, PopularityDirty
from models.base import utcnow

TRENDING_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # trending scores are stored as of this
HORIZON = SPANS[Window.MONTH]  # the longest window; older views barely move trending
REFRESH_BATCH = 5_000  # articles recomputed per transaction

logger = logging.getLogger("newsgate.rollup")
_popularity = ArticlePopularity.__table__  # type: ignore[attr-defined]
_dirty = PopularityDirty.__table__  # type: ignore[attr-defined]
_clock = PopularityClock.__table__  # type: ignore[attr-defined]
_buckets = ArticleViewBucket.__table__  # type: ignore[attr-defined]


async def mark_dirty(connection: AsyncConnection, article_ids: set[int]) -> None:
    """Queue articles for recomputation (within the caller's transaction)."""
    if article_ids:
        # executemany: one compiled statement, sent in batches by the driver
        insert = insert_for(connection)(_dirty).on_conflict_do_nothing()
        await connection.execute(insert, [{"article_id": pk} for pk in sorted(article_ids)])


async def refresh_popularity(engine: AsyncEngine, now: datetime, half_life: timedelta) -> int:
    """Age out what left a window since the last refresh, then recompute up to
    REFRESH_BATCH dirty articles as of `now`. Returns how many were recomputed."""
    async with engine.begin() as connection:
        await _age_out(connection, now)
        taken = await connection.execute(
            delete(_dirty)
            .where(
                _dirty.c.article_id.in_(
                    select(_dirty.c.article_id).order_by(_dirty.c.article_id).limit(REFRESH_BATCH)
                )
            )
            .returning(_dirty.c.article_id)
        )
        article_ids = sorted(taken.scalars())
        if article_ids:
            await _recompute(connection, article_ids, now, half_life)
    return len(article_ids)


async def _age_out(connection: AsyncConnection, now: datetime) -> None:
    """Mark dirty the articles with buckets that left a window since the clock's time."""
    last = (await connection.execute(select(_clock.c.refreshed_at))).scalar()
    if last is None:  # the first refresh: of several at once (workers starting), one sets it
        first = insert_for(connection)(_clock).values(id=1, refreshed_at=now)
        await connection.execute(first.on_conflict_do_nothing())
        return
    if now <= last:
        return
    # Compare-and-set: of several workers refreshing at once, one ages out [last, now).
    claimed = await connection.execute(
        update(_clock).where(_clock.c.refreshed_at == last).values(refreshed_at=now)
    )
    if claimed.rowcount != 1:
        return
    aged: set[int] = set()
    for window in WINDOW_COLUMNS:
        old_start, new_start = window_start(window, last), window_start(window, now)
        if new_start > old_start:
            rows = await connection.execute(
                select(_buckets.c.article_id)
                .where(_buckets.c.starts_at >= old_start, _buckets.c.starts_at < new_start)
                .distinct()
            )
            aged.update(rows.scalars())
    await mark_dirty(connection, aged)


async def _recompute(
    connection: AsyncConnection, article_ids: list[int], now: datetime, half_life: timedelta
) -> None:
    rows = await connection.execute(
        select(_buckets.c.article_id, _buckets.c.starts_at, _buckets.c.views).where(
            _buckets.c.article_id.in_(article_ids),
            _buckets.c.starts_at >= now - HORIZON,
            _buckets.c.views > 0,
        )
    )
    buckets: defaultdict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for article_id, starts_at, views in rows:
        buckets[article_id].append((starts_at, views))
    starts = {window: window_start(window, now) for window in WINDOW_COLUMNS}
    computed = []
    for article_id, seen in buckets.items():
        row: dict[str, Any] = {"article_id": article_id, "trending": _trending(seen, half_life)}
        for window, column in WINDOW_COLUMNS.items():
            row[column] = sum(views for starts_at, views in seen if starts_at >= starts[window])
        computed.append(row)
    # Articles without views in the horizon leave the table: nothing to rank them by.
    await connection.execute(
        delete(_popularity).where(_popularity.c.article_id.in_(set(article_ids) - set(buckets)))
    )
    if computed:
        insert = insert_for(connection)(_popularity)
        columns = [*WINDOW_COLUMNS.values(), "trending"]
        upsert = insert.on_conflict_do_update(
            index_elements=["article_id"],
            set_={column: insert.excluded[column] for column in columns},
        )
        await connection.execute(upsert, computed)


def _trending(seen: list[tuple[datetime, int]], half_life: timedelta) -> float:
    """log2 of sum(views * 2 ** ((when - TRENDING_EPOCH) / half_life)), computed stably."""
    exponents = [
        math.log2(views) + (starts_at - TRENDING_EPOCH) / half_life for starts_at, views in seen
    ]
    top = max(exponents)
    return top + math.log2(sum(2 ** (exponent - top) for exponent in exponents))


async def refresh_forever(
    engine: AsyncEngine, every: float, half_life: timedelta, stop: asyncio.Event
) -> None:
    """Refresh popularity every `every` seconds until `stop` is set (one per worker is
    fine). Stopping lets the batch under way commit: a cancelled write could leave its
    connection holding SQLite's write lock."""
    while not stop.is_set():
        try:
            while await refresh_popularity(engine, utcnow(), half_life) == REFRESH_BATCH:
                if stop.is_set():
                    return
        except Exception as error:
            if is_unavailable(error):  # an outage: one line, not a traceback every few seconds
                logger.warning("popularity refresh skipped: the database is unavailable")
            else:
                logger.exception("popularity refresh failed; retrying")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


def trending_score(stored: float, now: datetime, half_life: timedelta) -> float:
    """The decayed view count now, from a stored trending value."""
    return float(2 ** (stored - (now - TRENDING_EPOCH) / half_life))
