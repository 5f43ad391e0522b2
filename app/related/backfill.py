"""Every related list computed from scratch, for a new or rebuilt site of any size.

Two passes over the published articles, each read in chunks (memory stays bounded by
the chunk and the time window, not by the size of the site):

1. count every term's document frequency;
2. in order of publication, analyse each article with those frequencies, find its
   candidates among the articles of the last WINDOW_DAYS through their key terms (an
   index in memory that drops articles as they leave the window), score the pairs into
   both articles' lists, and write each list once its article has left the window:
   nothing published later can still join it.

Each pass can be split into runs over consecutive articles, one per process. A run of
the second pass first reads the WINDOW_DAYS of articles before it, so that its articles
meet the same candidates as in one pass; the lists that straddle two runs are merged at
the end. The lists are the same as one process computes.

The analysis, candidates and scores are the worker's own (app/related/maintain.py), so
both give the same lists. Articles queued before the backfill started are taken off the
queue (the backfill covers them); changes made while it runs stay queued for the worker.
"""

import asyncio
import heapq
import multiprocessing
import os
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from queue import Empty
from typing import Any

from sqlalchemy import delete, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db import AnyOf, insert_for, make_engine
from app.related import analysis, ranking
from app.related.documents import (
    DOCUMENTS,
    articles,
    documents,
    encode_vector,
    lists,
    postings,
    queue,
    taggings,
    tags,
    terms,
)
from app.settings import Settings
from models import ArticleStatus
from models.base import utcnow

CHUNK = 2_000  # articles read, and rows written, at a time
Progress = Callable[[int], object]
Key = tuple[Any, ...]  # an article's place in a pass's order: (id,) or (published_at, id)
Heap = list[tuple[float, int]]  # a list being built: a min-heap of (score, related id)


@dataclass
class _Window:
    """The articles of the last WINDOW_DAYS, their key terms' postings and their lists."""

    profiles: dict[int, ranking.Profile] = field(default_factory=dict)
    order: deque[int] = field(default_factory=deque)
    # Each key term's articles, oldest first.
    by_term: defaultdict[str, deque[int]] = field(default_factory=lambda: defaultdict(deque))
    keys: dict[int, list[str]] = field(default_factory=dict)
    heaps: dict[int, Heap] = field(default_factory=dict)

    def leave_before(self, moment: datetime | None) -> list[tuple[int, Heap]]:
        """Drop the articles published before `moment` (all for None); returns their
        finished lists."""
        done = []
        while self.order and (moment is None or self.profiles[self.order[0]].published_at < moment):
            article_id = self.order.popleft()
            del self.profiles[article_id]
            for term in self.keys.pop(article_id):
                posted = self.by_term[term]
                posted.popleft()  # the oldest article in the window is first in each
                if not posted:
                    del self.by_term[term]
            done.append((article_id, self.heaps.pop(article_id)))
        return done

    def relate(self, profile: ranking.Profile, keys: list[str], rarity: dict[int, float]) -> None:
        """Score the article against its candidates in the window, into both lists, and
        add it."""
        shared: defaultdict[int, float] = defaultdict(float)
        for term in keys:  # the NEAREST earlier ones; later ones find this article
            for candidate_id in islice(reversed(self.by_term.get(term, ())), ranking.NEAREST):
                shared[candidate_id] += profile.vector[term]
        best = sorted(shared.items(), key=lambda item: (-item[1], -item[0]))[
            : ranking.MAX_CANDIDATES
        ]
        own: Heap = []
        for candidate_id, _ in best:
            value = ranking.score(profile, self.profiles[candidate_id], rarity)
            if value > 0:
                _keep(own, (value, candidate_id))
                _keep(self.heaps[candidate_id], (value, profile.article_id))
        self.add(profile, keys, own)

    def add(self, profile: ranking.Profile, keys: list[str], heap: Heap) -> None:
        self.profiles[profile.article_id] = profile
        self.order.append(profile.article_id)
        self.keys[profile.article_id] = keys
        for term in keys:
            self.by_term[term].append(profile.article_id)
        self.heaps[profile.article_id] = heap


def _keep(heap: Heap, entry: tuple[float, int]) -> None:
    """Keep the LIST_SIZE best entries of a min-heap."""
    if len(heap) < ranking.LIST_SIZE:
        heapq.heappush(heap, entry)
    elif entry > heap[0]:
        heapq.heapreplace(heap, entry)


async def backfill(
    engine: AsyncEngine, count: Progress, analyse: Progress, processes: int = 1
) -> int:
    """Compute every published article's related list; returns how many were analysed.
    `count` and `analyse` are told how many articles each pass has done. With several
    `processes`, each pass is split into as many runs, one per process."""
    started = utcnow()
    async with engine.begin() as connection:
        for table in (lists, postings, documents, terms):
            await connection.execute(delete(table))
        await connection.execute(delete(queue).where(queue.c.queued_at < started))
    async with _Runner(engine, processes) as runner:
        frequencies: Counter[str] = Counter()
        for counted in await runner.run(_count_run, count, by_date=False):
            frequencies.update(counted)
        corpus = frequencies[DOCUMENTS]
        async with engine.begin() as connection:
            await _insert(connection, terms, ("term", "documents"), list(frequencies.items()))
        usage = await _tag_usage(engine)
        rarity = {tag_id: ranking.idf(max(corpus, used), used) for tag_id, used in usage.items()}
        # A run leaves the lists of its last WINDOW_DAYS unfinished (the next run's
        # articles may join them), and returns what its own articles add to the lists of
        # the WINDOW_DAYS before it: merged, those are the lists of a single pass.
        unfinished: dict[int, Heap] = defaultdict(list)
        for ends in await runner.run(_relate_run, analyse, frequencies, rarity, by_date=True):
            for article_id, heap in ends:
                for entry in heap:
                    _keep(unfinished[article_id], entry)
    merged = list(unfinished.items())
    for at in range(0, len(merged), CHUNK):
        await _write(engine, [], [], merged[at : at + CHUNK])
    return corpus


def default_processes(engine: AsyncEngine) -> int:
    """A process per core on PostgreSQL; one on SQLite, which writes one transaction at
    a time (several processes would only wait for each other's chunks)."""
    return (os.cpu_count() or 1) if engine.dialect.name == "postgresql" else 1


class _Runner:
    """Runs a pass's job over consecutive runs of the published articles: in this
    process, or in a pool of processes (each with its own engine), relaying progress."""

    def __init__(self, engine: AsyncEngine, processes: int) -> None:
        self.engine = engine
        self.processes = processes
        self.pool: ProcessPoolExecutor | None = None
        self.progress: Any = None

    async def __aenter__(self) -> "_Runner":
        if self.processes > 1:
            # spawn, not fork: a forked child would inherit this process's event loop
            context = multiprocessing.get_context("spawn")
            self.progress = context.Queue()
            url = self.engine.url.render_as_string(hide_password=False)
            self.pool = ProcessPoolExecutor(
                self.processes, context, initializer=_start_child, initargs=(url, self.progress)
            )
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    async def run(
        self, job: Callable[..., Awaitable[Any]], report: Progress, *args: Any, by_date: bool
    ) -> list[Any]:
        """`job(engine, report, after, until, *args)` over each run, in order."""
        runs = await _runs(self.engine, self.processes, by_date)
        if self.pool is None:
            return [await job(self.engine, report, *run, *args) for run in runs]
        futures = [
            asyncio.wrap_future(self.pool.submit(_in_child, job, *run, *args)) for run in runs
        ]
        ended = 0  # each run's progress ends with None
        while ended < len(runs):
            try:
                message = await asyncio.to_thread(self.progress.get, timeout=0.2)
            except Empty:  # a process that died sends no None: its future raises why
                for future in futures:
                    if future.done() and future.exception() is not None:
                        await future
                continue
            if message is None:
                ended += 1
            else:
                report(message)
        return [await future for future in futures]


async def _runs(
    engine: AsyncEngine, processes: int, by_date: bool
) -> list[tuple[Key | None, Key | None]]:
    """The published articles cut into `processes` runs of about the same size, in order
    of id or of publication: (after, until) keys, None at either end."""
    order = _order(by_date)
    published = articles.c.status == ArticleStatus.PUBLISHED
    cuts: list[Key | None] = [None]
    async with engine.connect() as connection:
        total = (await connection.execute(select(func.count()).where(published))).scalar_one()
        for part in range(1, processes):
            if (offset := total * part // processes) == 0:
                continue
            last = select(*order).where(published).order_by(*order).offset(offset - 1).limit(1)
            cut = tuple((await connection.execute(last)).one())
            if cut != cuts[-1]:
                cuts.append(cut)
    return list(zip(cuts, [*cuts[1:], None], strict=True))


async def _count_run(
    engine: AsyncEngine, report: Progress, after: Key | None, until: Key | None
) -> Counter[str]:
    """The first pass over a run: each term's document frequency, and DOCUMENTS."""
    frequencies: Counter[str] = Counter()
    async for rows in _published(engine, by_date=False, after=after, until=until):
        for row in rows:
            counts = analysis.term_counts(row.title, row.summary, row.body, row.language)
            frequencies.update(counts.keys())  # documents holding each term
        frequencies[DOCUMENTS] += len(rows)
        report(len(rows))
    return frequencies


async def _relate_run(
    engine: AsyncEngine,
    report: Progress,
    after: Key | None,
    until: Key | None,
    frequencies: Counter[str],
    rarity: dict[int, float],
) -> list[tuple[int, Heap]]:
    """The second pass over a run: analyse its articles, store them with their postings
    and the lists they finish. Returns the lists left unfinished: those of its last
    WINDOW_DAYS, and what its articles add to those of the WINDOW_DAYS before it."""
    corpus = frequencies[DOCUMENTS]
    window = _Window()
    earlier: set[int] = set()  # articles of the run before, read for their candidacy
    unfinished: list[tuple[int, Heap]] = []
    start = None
    if after is not None:  # every article that the run's first one can be related to
        start = (after[0] - timedelta(days=ranking.WINDOW_DAYS), 0)
    async for rows in _published(engine, by_date=True, after=start, until=until):
        tag_ids = await _tags_of(engine, [row.id for row in rows])
        written: list[tuple[Any, ...]] = []
        posted: list[tuple[Any, ...]] = []
        finished: list[tuple[int, Heap]] = []
        for row in rows:
            counts = analysis.term_counts(row.title, row.summary, row.body, row.language)
            vector = ranking.text_vector(counts, frequencies, corpus)
            moment = row.published_at
            for gone in window.leave_before(moment - timedelta(days=ranking.WINDOW_DAYS)):
                (unfinished if gone[0] in earlier else finished).append(gone)
            language = analysis.base_language(row.language)
            profile = ranking.Profile(
                row.id, moment, language, row.category_id, tag_ids[row.id], vector
            )
            keys = ranking.key_terms(vector)
            if after is not None and (moment, row.id) <= after:
                earlier.add(row.id)
                window.add(profile, keys, [])  # its pairs with earlier ones: the run before's
                continue
            window.relate(profile, keys, rarity)
            written.append((
                row.id, moment, language, row.category_id, corpus, " ".join(counts),
                encode_vector(vector),
            ))  # fmt: skip
            posted += [(term, moment, row.id) for term in keys]
        await _write(engine, written, posted, finished)
        report(len(written))
    return unfinished + window.leave_before(None)


def _order(by_date: bool) -> list[Any]:
    return [articles.c.published_at, articles.c.id] if by_date else [articles.c.id]


async def _published(
    engine: AsyncEngine, by_date: bool, after: Key | None, until: Key | None
) -> AsyncIterator[list[Any]]:
    """The published articles past `after` up to `until` in chunks, by id or by
    publication: one keyset page at a time, so that no statement holds a snapshot (or
    the whole table) open."""
    order = _order(by_date)
    columns = [articles.c[name] for name in ("id", "title", "summary", "body", "language")]
    columns += [articles.c.published_at, articles.c.category_id]

    def at(key: Key) -> Any:
        return tuple_(*[literal(value, type_=c.type) for value, c in zip(key, order, strict=True)])

    while True:
        # Scheduled articles too: readers' lists hide them until their moment.
        page = select(*columns).where(articles.c.status == ArticleStatus.PUBLISHED)
        if after is not None:
            page = page.where(tuple_(*order) > at(after))
        if until is not None:
            page = page.where(tuple_(*order) <= at(until))
        async with engine.connect() as connection:
            rows = list(await connection.execute(page.order_by(*order).limit(CHUNK)))
        if not rows:
            return
        yield rows
        last = rows[-1]
        after = (last.published_at, last.id) if by_date else (last.id,)


# In a process of the pool: the database's URL, and the queue its progress goes back by.
_child: dict[str, Any] = {}


def _start_child(url: str, progress: Any) -> None:
    _child.update(url=url, progress=progress)


def _in_child(job: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    async def main() -> Any:
        engine = make_engine(Settings(database_url=_child["url"]))
        try:
            return await job(engine, _child["progress"].put, *args)
        finally:
            await engine.dispose()
            _child["progress"].put(None)

    return asyncio.run(main())


async def _tag_usage(engine: AsyncEngine) -> dict[int, int]:
    async with engine.connect() as connection:
        return dict((await connection.execute(select(tags.c.id, tags.c.usage_count))).all())


async def _tags_of(engine: AsyncEngine, article_ids: list[int]) -> dict[int, frozenset[int]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(taggings.c.article_id, taggings.c.tag_id).where(
                AnyOf(taggings.c.article_id, article_ids)
            )
        )
        found: defaultdict[int, set[int]] = defaultdict(set)
        for article_id, tag_id in rows:
            found[article_id].add(tag_id)
    return {article_id: frozenset(found[article_id]) for article_id in article_ids}


async def _write(
    engine: AsyncEngine,
    written: list[tuple[Any, ...]],
    posted: list[tuple[Any, ...]],
    finished: list[tuple[int, list[tuple[float, int]]]],
) -> None:
    """Store analysed articles, their postings and finished lists (replacing any the
    worker wrote meanwhile)."""
    rows = [(owner, related_id, value) for owner, heap in finished for value, related_id in heap]
    async with engine.begin() as connection:
        await _insert(connection, documents, DOCUMENT_COLUMNS, written)
        await _insert(connection, postings, ("term", "published_at", "article_id"), posted)
        if finished:
            owners = [owner for owner, _ in finished]
            await connection.execute(delete(lists).where(AnyOf(lists.c.article_id, owners)))
        await _insert(connection, lists, ("article_id", "related_id", "score"), rows)


DOCUMENT_COLUMNS = (
    "article_id", "published_at", "language", "category_id", "corpus", "terms", "vector"
)  # fmt: skip


async def _insert(
    connection: AsyncConnection, table: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Insert rows, leaving out any a worker wrote meanwhile. PostgreSQL takes them by
    COPY into a temporary table first: a million articles are tens of millions of rows."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        values = [dict(zip(columns, row, strict=True)) for row in rows]
        await connection.execute(insert_for(connection)(table).on_conflict_do_nothing(), values)
        return
    # Through SQLAlchemy first, which opens the transaction: asyncpg's own calls alone
    # would each commit, and the temporary table empties at every commit.
    incoming = f"incoming_{table.name}"
    await connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {incoming} (LIKE {table.name}) ON COMMIT DELETE ROWS"
    )
    raw: Any = (await connection.get_raw_connection()).driver_connection
    await raw.copy_records_to_table(incoming, records=rows, columns=columns)
    names = ", ".join(columns)
    await connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {incoming} ON CONFLICT DO NOTHING"
    )
