"""Counting views with group commit.

Views from concurrent requests go to the database together in one transaction, once the
first has waited a few milliseconds; each caller is answered once that transaction has
committed. Under load a transaction carries the views that came while the previous one
was written, so the database does one commit where it would otherwise do hundreds.
"""

import asyncio
import contextvars
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, case, delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import idempotency
from app.data.entities import ARTICLES, entity_columns
from app.data.sql import PlainRow, Row
from app.db import AnyOf, insert_in
from app.idempotency import Once
from app.ops.metrics import VIEW_FLUSH, VIEW_QUEUE
from app.popularity.rollup import mark_dirty
from app.visibility import public
from models import ArticleViewBucket, ArticleViewVisitor, bucket_start
from models.base import utcnow

REPEAT_WINDOW = timedelta(minutes=30)  # a visitor's views of an article this close count once
MAX_VIEW_AGE = timedelta(hours=48)  # how far back a recorded view may be dated

_articles = ARTICLES
_buckets = ArticleViewBucket.__table__  # type: ignore[attr-defined]
_visitors = ArticleViewVisitor.__table__  # type: ignore[attr-defined]


class Outcome(Enum):
    COUNTED = "COUNTED"
    REPEAT = "REPEAT"  # the same visitor viewed the same article within REPEAT_WINDOW
    NOT_FOUND = "NOT_FOUND"  # no published article has that id


@dataclass(frozen=True)
class View:
    article_id: int
    viewed_at: datetime
    visitor_id: str | None = None
    # Read the article back in the same transaction, for a caller that shows it: one
    # query per batch, rather than every caller of a batch reading at the same moment.
    return_article: bool = False


@dataclass(frozen=True)
class Recorded:
    outcome: Outcome
    article: Row | None = None  # as committed, when the view asked for it


class ViewRecorder:
    """Writes views in shared transactions, one at a time: a batch goes once its first view
    has waited `interval` seconds, at once if the previous write took longer than that.
    A write that takes over `write_timeout` seconds is rolled back, and its callers hear so.

    With `interval` 0 every call writes its own transaction (the naive way, kept
    for comparison in scripts/bench_views.py).
    """

    def __init__(self, engine: AsyncEngine, interval: float, write_timeout: float = 10) -> None:
        self._engine = engine
        self._interval = interval
        self._write_timeout = write_timeout
        self._pending: list[tuple[list[View], asyncio.Future[list[Recorded]]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._forgotten_at = 0.0
        self._oldest = 0.0  # when the first view still pending came (event loop time)

    async def record(self, views: Sequence[View], once: Once | None = None) -> list[Recorded]:
        """What became of each view, once all of them are committed.

        With `once`, the views are written in a transaction of their own that also keeps the
        idempotency key; a call that repeats a key gets the first call's outcomes, and
        counts nothing.

        A caller cancelled (its request out of time) is told what became of its views, or
        they are not written: views still waiting for a write are withdrawn; views whose
        write has begun, which commits or rolls back for its whole batch, are waited for,
        so that the caller acknowledges the views that counted."""
        if once is not None:
            return await self._write_once(list(views), once)
        if self._interval == 0:
            return await self._write(list(views))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Recorded]] = loop.create_future()
        entry = (list(views), future)
        if not self._pending:
            self._oldest = loop.time()
        self._pending.append(entry)
        VIEW_QUEUE.inc(len(views))
        if self._flusher is None or self._flusher.done():
            # In a context of its own: its statements are no one request's.
            self._flusher = asyncio.create_task(
                self._flush_while_pending(), context=contextvars.Context()
            )
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            if any(pending is entry for pending in self._pending):
                self._pending = [pending for pending in self._pending if pending is not entry]
                VIEW_QUEUE.dec(len(views))
                raise
        try:
            return await future
        except TimeoutError:  # the write ran out of its own time, and was rolled back
            raise asyncio.CancelledError from None

    async def aclose(self) -> None:
        """Write what is still pending (at shutdown)."""
        if self._flusher is not None:
            await self._flusher

    async def _flush_while_pending(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            # Let concurrent callers join, until the first has waited `interval`. Under load
            # the views that came during the last write have waited that long: they go now.
            await asyncio.sleep(self._oldest + self._interval - loop.time())
            batch, self._pending = self._pending, []
            if not batch:  # its callers ran out of time and withdrew their views
                continue
            flushed = [view for views, _ in batch for view in views]
            VIEW_QUEUE.dec(len(flushed))
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self._write_timeout):
                    recorded = await self._write(flushed)
            except Exception as error:  # rolled back: every caller of the batch hears of it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            VIEW_FLUSH.observe(time.perf_counter() - started)
            start = 0
            for views, future in batch:
                if not future.done():  # a caller that went away is cancelled
                    future.set_result(recorded[start : start + len(views)])
                start += len(views)

    async def replay(self, once: Once) -> list[Recorded] | None:
        """The outcomes of an earlier call with `once`'s key, None if there was none."""
        async with self._engine.connect() as connection:
            first = await idempotency.first_result(
                connection, once.caller, once.key, once.fingerprint
            )
        return _replayed(first) if first is not None else None

    async def _write_once(self, views: list[View], once: Once) -> list[Recorded]:
        async with self._engine.begin() as connection:
            first = await idempotency.claim(connection, once.caller, once.key, once.fingerprint)
            if first is not None:
                return _replayed(first)
            outcomes = await _count_views(connection, views)
            result = {"outcomes": [outcome.value for outcome in outcomes]}
            await idempotency.fulfil(connection, once.caller, once.key, result)
        return [Recorded(outcome) for outcome in outcomes]

    async def _write(self, views: list[View]) -> list[Recorded]:
        async with self._engine.begin() as connection:
            outcomes = await _count_views(connection, views)
            articles = await _read_back(connection, views, outcomes)
            # Visitors are remembered as long as a late view could still repeat them.
            if time.monotonic() - self._forgotten_at > 60:
                self._forgotten_at = time.monotonic()
                await _forget_visitors(
                    connection, _seconds(utcnow() - MAX_VIEW_AGE - REPEAT_WINDOW)
                )
        return [
            Recorded(outcome, articles.get(view.article_id) if view.return_article else None)
            for view, outcome in zip(views, outcomes, strict=True)
        ]


@dataclass(frozen=True)
class _Statements:
    """A batch's statements, built once per database and run with each batch's values:
    building them (the upserts' EXCLUDED alias above all) took a fifth of a worker's CPU
    under a stream of views, for the flush of a few milliseconds' views each time."""

    lock_published: Any  # :ids, :now
    add_views: Any  # :ids, :n
    upsert_buckets: Any
    upsert_visitors: Any
    read_back: Any  # :ids

    @staticmethod
    @cache
    def of(dialect: str) -> "_Statements":
        insert = insert_in(dialect)
        now = bindparam("now", type_=_articles.c.published_at.type)
        buckets = insert(_buckets)
        visitors = insert(_visitors)
        later = visitors.excluded.counted_at > _visitors.c.counted_at
        apart = func.abs(visitors.excluded.counted_at - _visitors.c.counted_at)
        return _Statements(
            # The rows are locked here, in key order, for the counts that follow:
            # concurrent batches (other workers) then wait for each other in one order
            # and never deadlock. A scheduled article has no views yet.
            lock_published=select(_articles.c.id)
            .where(AnyOf(_articles.c.id, [], "ids"), public(now, _articles))
            .order_by(_articles.c.id)
            .with_for_update(key_share=True),  # FOR NO KEY UPDATE: what UPDATE takes
            add_views=update(_articles)
            .where(AnyOf(_articles.c.id, [], "ids"))
            .values(view_count=_articles.c.view_count + bindparam("n", type_=Integer())),
            upsert_buckets=buckets.on_conflict_do_update(
                index_elements=["article_id", "starts_at"],
                set_={"views": _buckets.c.views + buckets.excluded.views},
            ),
            upsert_visitors=visitors.on_conflict_do_update(
                index_elements=["article_id", "visitor_id"],
                set_={
                    "counted_at": case(
                        (later, visitors.excluded.counted_at), else_=_visitors.c.counted_at
                    )
                },
                where=apart >= int(REPEAT_WINDOW.total_seconds()),
            ).returning(_visitors.c.article_id, _visitors.c.visitor_id),
            read_back=select(*entity_columns(ARTICLES)).where(AnyOf(ARTICLES.c.id, [], "ids")),
        )


def _replayed(first: dict[str, Any]) -> list[Recorded]:
    """The outcomes an idempotency key kept, as the first call reported them."""
    return [Recorded(Outcome(outcome)) for outcome in first["outcomes"]]


async def _forget_visitors(connection: AsyncConnection, before: int) -> None:
    # Rows another transaction holds are skipped, not waited for (it may be waiting for
    # this one's rows): a later sweep takes them.
    expired = (
        select(_visitors.c.article_id, _visitors.c.visitor_id)
        .where(_visitors.c.counted_at < before)
        .with_for_update(skip_locked=True)
    )
    key = tuple_(_visitors.c.article_id, _visitors.c.visitor_id)
    await connection.execute(delete(_visitors).where(key.in_(expired)))


async def _read_back(
    connection: AsyncConnection, views: list[View], outcomes: list[Outcome]
) -> dict[int, Row]:
    wanted = {
        view.article_id
        for view, outcome in zip(views, outcomes, strict=True)
        if view.return_article and outcome is not Outcome.NOT_FOUND
    }
    if not wanted:
        return {}
    statement = _Statements.of(connection.dialect.name).read_back
    rows = await connection.execute(statement, {"ids": list(wanted)})
    return {row.pk: PlainRow(row._mapping) for row in rows}


async def _count_views(connection: AsyncConnection, views: list[View]) -> list[Outcome]:
    statements = _Statements.of(connection.dialect.name)
    article_ids = sorted({view.article_id for view in views})
    locked = await connection.execute(
        statements.lock_published, {"ids": article_ids, "now": utcnow()}
    )
    published = set(locked.scalars())
    outcomes = [
        Outcome.COUNTED if view.article_id in published else Outcome.NOT_FOUND for view in views
    ]
    await _mark_repeats(connection, views, outcomes)
    counted = [
        view for view, outcome in zip(views, outcomes, strict=True) if outcome is Outcome.COUNTED
    ]
    totals = Counter(view.article_id for view in counted)
    buckets = Counter((view.article_id, bucket_start(view.viewed_at)) for view in counted)
    # One UPDATE for all the articles viewed n times in the batch (mostly n = 1): far
    # fewer statements than one per article.
    by_views: defaultdict[int, list[int]] = defaultdict(list)
    for pk, n in totals.items():
        by_views[n].append(pk)
    for n, pks in by_views.items():
        await connection.execute(statements.add_views, {"ids": pks, "n": n})
    if totals:
        await mark_dirty(connection, set(totals))  # for rollup.py to recompute
    bucket_rows = [
        {"article_id": pk, "starts_at": starts_at, "views": n}
        for (pk, starts_at), n in sorted(buckets.items())
    ]
    if bucket_rows:
        await connection.execute(statements.upsert_buckets, bucket_rows)
    return outcomes


async def _mark_repeats(
    connection: AsyncConnection, views: list[View], outcomes: list[Outcome]
) -> None:
    """Turn COUNTED into REPEAT for a visitor's views within REPEAT_WINDOW of a counted one.

    The database remembers when each visitor's view of each article last counted, so
    the rule holds across every worker and instance, in the same transaction as the
    counts. Inside one batch a visitor's views of an article are first thinned in
    time order (one per REPEAT_WINDOW), then checked against the database in rounds,
    since one statement may touch each key once.
    """
    runs: defaultdict[tuple[int, str], list[int]] = defaultdict(list)
    for index in sorted(range(len(views)), key=lambda i: views[i].viewed_at):
        view = views[index]
        if view.visitor_id is None or outcomes[index] is not Outcome.COUNTED:
            continue
        run = runs[view.article_id, view.visitor_id]
        if run and views[index].viewed_at - views[run[-1]].viewed_at < REPEAT_WINDOW:
            outcomes[index] = Outcome.REPEAT
        else:
            run.append(index)
    upsert = _Statements.of(connection.dialect.name).upsert_visitors
    for round_ in range(max((len(run) for run in runs.values()), default=0)):
        # In key order, so that concurrent transactions lock rows in the same order.
        indexes = sorted(
            (run[round_] for run in runs.values() if len(run) > round_),
            key=lambda i: (views[i].article_id, views[i].visitor_id),
        )
        # A list of parameters: SQLAlchemy writes them into multi-row statements within
        # the driver's parameter limit, without building a clause per value.
        rows = [
            {
                "article_id": views[i].article_id,
                "visitor_id": views[i].visitor_id,
                "counted_at": _seconds(views[i].viewed_at),
            }
            for i in indexes
        ]
        fresh = await connection.execute(upsert, rows)
        counted = {(row.article_id, row.visitor_id) for row in fresh}
        for i in indexes:
            if (views[i].article_id, views[i].visitor_id) not in counted:
                outcomes[i] = Outcome.REPEAT


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())
