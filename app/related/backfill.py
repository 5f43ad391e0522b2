"""Every related list computed from scratch, for a new or rebuilt site of any size.

Two passes over the published articles, each read in chunks (memory stays bounded by
the chunk and the time window, not by the size of the site):

1. count every term's document frequency;
2. in order of publication, analyse each article with those frequencies, find its
   candidates among the articles of the last WINDOW_DAYS through their key terms (an
   index in memory that drops articles as they leave the window), score the pairs into
   both articles' lists, and write each list once its article has left the window:
   nothing published later can still join it.

The analysis, candidates and scores are the worker's own (app/related/maintain.py), so
both give the same lists. Articles queued before the backfill started are taken off the
queue (the backfill covers them); changes made while it runs stay queued for the worker.
"""

import heapq
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import delete, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db import AnyOf, insert_for
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
from models import ArticleStatus
from models.base import utcnow

CHUNK = 2_000  # articles read, and rows written, at a time
Progress = Callable[[int], object]


@dataclass
class _Window:
    """The articles of the last WINDOW_DAYS, their key terms' postings and their lists."""

    profiles: dict[int, ranking.Profile] = field(default_factory=dict)
    order: deque[int] = field(default_factory=deque)
    # Each key term's articles, oldest first.
    by_term: defaultdict[str, deque[int]] = field(default_factory=lambda: defaultdict(deque))
    keys: dict[int, list[str]] = field(default_factory=dict)
    heaps: dict[int, list[tuple[float, int]]] = field(default_factory=dict)  # lists, as min-heaps

    def leave_before(self, moment: datetime | None) -> list[tuple[int, list[tuple[float, int]]]]:
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
        """Score the article against its candidates in the window, into both lists."""
        shared: defaultdict[int, float] = defaultdict(float)
        for term in keys:  # the NEAREST earlier ones; later ones find this article
            for candidate_id in islice(reversed(self.by_term.get(term, ())), ranking.NEAREST):
                shared[candidate_id] += profile.vector[term]
        best = sorted(shared.items(), key=lambda item: (-item[1], -item[0]))[
            : ranking.MAX_CANDIDATES
        ]
        own: list[tuple[float, int]] = []
        for candidate_id, _ in best:
            value = ranking.score(profile, self.profiles[candidate_id], rarity)
            if value > 0:
                _keep(own, (value, candidate_id))
                _keep(self.heaps[candidate_id], (value, profile.article_id))
        self.profiles[profile.article_id] = profile
        self.order.append(profile.article_id)
        self.keys[profile.article_id] = keys
        for term in keys:
            self.by_term[term].append(profile.article_id)
        self.heaps[profile.article_id] = own


def _keep(heap: list[tuple[float, int]], entry: tuple[float, int]) -> None:
    """Keep the LIST_SIZE best entries of a min-heap."""
    if len(heap) < ranking.LIST_SIZE:
        heapq.heappush(heap, entry)
    elif entry > heap[0]:
        heapq.heapreplace(heap, entry)


async def backfill(engine: AsyncEngine, count: Progress, analyse: Progress) -> int:
    """Compute every published article's related list; returns how many were analysed.
    `count` and `analyse` are told how many articles each pass has done."""
    started = utcnow()
    async with engine.begin() as connection:
        for table in (lists, postings, documents, terms):
            await connection.execute(delete(table))
        await connection.execute(delete(queue).where(queue.c.queued_at < started))
    frequencies: Counter[str] = Counter()
    corpus = 0
    async for rows in _published(engine, by_date=False):
        for row in rows:
            counts = analysis.term_counts(row.title, row.summary, row.body, row.language)
            frequencies.update(counts.keys())  # documents holding each term
        corpus += len(rows)
        count(len(rows))
    frequencies[DOCUMENTS] = corpus
    async with engine.begin() as connection:
        counted = list(frequencies.items())
        await _insert(connection, terms, ("term", "documents"), counted)
    usage = await _tag_usage(engine)
    rarity = {tag_id: ranking.idf(max(corpus, used), used) for tag_id, used in usage.items()}
    window = _Window()
    async for rows in _published(engine, by_date=True):
        tag_ids = await _tags_of(engine, [row.id for row in rows])
        written: list[tuple[Any, ...]] = []
        posted: list[tuple[Any, ...]] = []
        finished = []
        for row in rows:
            counts = analysis.term_counts(row.title, row.summary, row.body, row.language)
            vector = ranking.text_vector(counts, frequencies, corpus)
            moment = row.published_at
            finished += window.leave_before(moment - timedelta(days=ranking.WINDOW_DAYS))
            language = analysis.base_language(row.language)
            profile = ranking.Profile(
                row.id, moment, language, row.category_id, tag_ids[row.id], vector
            )
            keys = ranking.key_terms(vector)
            window.relate(profile, keys, rarity)
            written.append((
                row.id, moment, language, row.category_id, corpus, " ".join(counts),
                encode_vector(vector),
            ))  # fmt: skip
            posted += [(term, moment, row.id) for term in keys]
        await _write(engine, written, posted, finished)
        analyse(len(rows))
    await _write(engine, [], [], window.leave_before(None))
    return corpus


async def _published(engine: AsyncEngine, by_date: bool) -> AsyncIterator[list[Any]]:
    """The published articles in chunks, by id or by publication: one keyset page at a
    time, so that no statement holds a snapshot (or the whole table) open."""
    order = [articles.c.published_at, articles.c.id] if by_date else [articles.c.id]
    columns = [articles.c[name] for name in ("id", "title", "summary", "body", "language")]
    columns += [articles.c.published_at, articles.c.category_id]
    after: tuple[Any, ...] | None = None
    while True:
        # Scheduled articles too: readers' lists hide them until their moment.
        page = select(*columns).where(articles.c.status == ArticleStatus.PUBLISHED)
        if after is not None:
            bound = [literal(value, type_=c.type) for value, c in zip(after, order, strict=True)]
            page = page.where(tuple_(*order) > tuple_(*bound))
        async with engine.connect() as connection:
            rows = list(await connection.execute(page.order_by(*order).limit(CHUNK)))
        if not rows:
            return
        yield rows
        last = rows[-1]
        after = (last.published_at, last.id) if by_date else (last.id,)


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
