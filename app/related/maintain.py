"""Keeps the stored related lists true, off the request path.

Content mutations queue an article (related_queue) in their own transaction whenever it
is published, archived, deleted, or its text, tags, category, language or date change.
This worker takes queued articles in batches, each batch in one transaction, so a crash
loses nothing: what was taken returns to the queue. For each article it

1. forgets what it stored of it: its terms leave the document frequencies, its key terms
   the postings, its list is dropped, and it leaves every list it was in;
2. if the article is published (scheduled ones too: readers' lists hide them until their
   moment), analyses it again, finds candidates through the postings of its key terms
   within WINDOW_DAYS, scores them, stores its best LIST_SIZE, and joins the lists of the
   candidates it now beats;
3. queues the articles whose lists it left and did not rejoin, so they fill up again.

Term weights drift as articles are published; an article analysed when the collection
was less than 1/STALE_GROWTH of its size now is queued again, so every list is computed
with weights close to today's (and at most a few times over an article's life).
Several workers, in one process or many, can run at once: PostgreSQL hands each its own
rows (FOR UPDATE SKIP LOCKED); SQLite runs one writing transaction at a time.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db import AnyOf, insert_for
from app.related import analysis, ranking
from app.related.documents import (
    DOCUMENTS,
    articles,
    candidates,
    documents,
    encode_vector,
    lists,
    postings,
    profile_of,
    queue,
    tags_and_rarity,
    terms,
)
from models import ArticleStatus
from models.base import utcnow

BATCH = 20  # articles per transaction: on SQLite, writers wait for it
STALE_GROWTH = 1.5
RETRY_LATER = timedelta(minutes=1)  # before an article that failed is tried again

# Told, after each transaction, the articles whose related lists it changed.
ListsChanged = Callable[[set[int]], Awaitable[None]]

logger = logging.getLogger("newsgate.related")


async def enqueue(connection: AsyncConnection, article_ids: Iterable[int]) -> None:
    """Queue articles for their related lists to be computed again (in the caller's
    transaction: the change and its queueing commit together)."""
    rows = [{"article_id": article_id, "queued_at": utcnow()} for article_id in set(article_ids)]
    if rows:
        await connection.execute(insert_for(connection)(queue).on_conflict_do_nothing(), rows)


async def refresh_related(
    engine: AsyncEngine, limit: int = BATCH, lists_changed: ListsChanged | None = None
) -> int:
    """Take up to `limit` queued articles and bring what they touch up to date, in one
    transaction; then tell `lists_changed` whose lists changed. Returns how many were
    taken."""
    changed: set[int] = set()
    async with engine.begin() as connection:
        oldest = (
            select(queue.c.article_id)
            .where(queue.c.queued_at <= utcnow())
            .order_by(queue.c.queued_at, queue.c.article_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        taken = await connection.execute(
            delete(queue).where(queue.c.article_id.in_(oldest)).returning(queue.c.article_id)
        )
        article_ids = sorted(taken.scalars())
        for article_id in article_ids:
            changed |= await maintain(connection, article_id)
    if lists_changed is not None and changed:
        await lists_changed(changed)
    return len(article_ids)


async def queue_stale(engine: AsyncEngine) -> int:
    """Queue the articles analysed when the collection was much smaller than now."""
    async with engine.begin() as connection:
        corpus = await _corpus(connection)
        # Compared as stored, so that the index on `corpus` finds them.
        stale = select(documents.c.article_id).where(documents.c.corpus < corpus / STALE_GROWTH)
        article_ids = list((await connection.execute(stale.limit(10 * BATCH))).scalars())
        await enqueue(connection, article_ids)
    return len(article_ids)


async def maintain(connection: AsyncConnection, article_id: int) -> set[int]:
    """Recompute one article's list and its place in others' (see the module's doc).
    Returns the articles whose lists changed."""
    left = await _forget(connection, article_id)
    row = (
        await connection.execute(
            select(articles).where(
                articles.c.id == article_id, articles.c.status == ArticleStatus.PUBLISHED
            )
        )
    ).first()
    joined: set[int] = set()
    if row is not None:
        profile, corpus = await _analyse(connection, row)
        joined = await _relate(connection, profile, corpus)
    await enqueue(connection, left - joined)
    return {article_id} | left | joined


async def _forget(connection: AsyncConnection, article_id: int) -> set[int]:
    """Take the article out of everything stored; returns whose lists it was in."""
    old_terms = (
        await connection.execute(
            delete(documents)
            .where(documents.c.article_id == article_id)
            .returning(documents.c.terms)
        )
    ).scalar()
    if old_terms is not None:
        await _count_documents(connection, [DOCUMENTS, *old_terms.split()], -1)
    await connection.execute(delete(postings).where(postings.c.article_id == article_id))
    await connection.execute(delete(lists).where(lists.c.article_id == article_id))
    left = await connection.execute(
        delete(lists).where(lists.c.related_id == article_id).returning(lists.c.article_id)
    )
    return set(left.scalars())


async def _count_documents(connection: AsyncConnection, counted: list[str], change: int) -> None:
    """Add `change` to the document frequency of each term."""
    insert = insert_for(connection)(terms)
    upsert = insert.on_conflict_do_update(
        index_elements=["term"], set_={"documents": terms.c.documents + insert.excluded.documents}
    )
    await connection.execute(upsert, [{"term": term, "documents": change} for term in counted])


async def _corpus(connection: AsyncConnection) -> int:
    found = await connection.execute(select(terms.c.documents).where(terms.c.term == DOCUMENTS))
    return int(found.scalar() or 0)


async def _analyse(connection: AsyncConnection, row: Any) -> tuple[ranking.Profile, int]:
    """Analyse a published article: count its terms in, store its vector and postings.
    Returns its profile (without tags) and how many articles are analysed now."""
    counts = analysis.term_counts(row.title, row.summary, row.body, row.language)
    await _count_documents(connection, [DOCUMENTS, *counts], 1)
    found = await connection.execute(
        select(terms.c.term, terms.c.documents).where(AnyOf(terms.c.term, [DOCUMENTS, *counts]))
    )
    frequencies: dict[str, int] = dict(found.all())
    corpus = frequencies.pop(DOCUMENTS)
    vector = ranking.text_vector(counts, frequencies, corpus)
    await connection.execute(
        documents.insert().values(
            article_id=row.id,
            published_at=row.published_at,
            language=analysis.base_language(row.language),
            category_id=row.category_id,
            corpus=corpus,
            terms=" ".join(counts),
            vector=encode_vector(vector),
        )
    )
    keys = ranking.key_terms(vector)
    if keys:
        await connection.execute(
            postings.insert(),
            [{"term": t, "published_at": row.published_at, "article_id": row.id} for t in keys],
        )
    language = analysis.base_language(row.language)
    profile = ranking.Profile(
        row.id, row.published_at, language, row.category_id, frozenset(), vector
    )
    return profile, corpus


async def _relate(connection: AsyncConnection, source: ranking.Profile, corpus: int) -> set[int]:
    """Store the source's list and put it into the candidates' lists it beats; returns
    the articles whose lists it joined."""
    found = await connection.execute(candidates(source))
    candidate_ids = list(found.scalars())
    tag_ids, rarity = await tags_and_rarity(connection, [source.article_id, *candidate_ids], corpus)
    rows = await connection.execute(
        select(documents).where(AnyOf(documents.c.article_id, candidate_ids))
    )
    source = replace(source, tag_ids=frozenset(tag_ids[source.article_id]))
    scored = [
        (row.article_id, ranking.score(source, profile_of(row, tag_ids[row.article_id]), rarity))
        for row in rows
    ]
    scored = [(article_id, value) for article_id, value in scored if value > 0]
    own = sorted(scored, key=lambda pair: (-pair[1], -pair[0]))[: ranking.LIST_SIZE]
    if own:
        await connection.execute(
            lists.insert(),
            [{"article_id": source.article_id, "related_id": r, "score": s} for r, s in own],
        )
    return await _join_lists(connection, source.article_id, scored)


async def _join_lists(
    connection: AsyncConnection, article_id: int, scored: list[tuple[int, float]]
) -> set[int]:
    """Put the article into each scored candidate's list where it ranks in the top LIST_SIZE."""
    if not scored:
        return set()
    found = await connection.execute(
        select(lists.c.article_id, func.count(), func.min(lists.c.score))
        .where(AnyOf(lists.c.article_id, [owner for owner, _ in scored]))
        .group_by(lists.c.article_id)
    )
    sizes = {owner: (size, lowest) for owner, size, lowest in found}
    joined = {
        owner
        for owner, value in scored
        if (size_lowest := sizes.get(owner)) is None
        or size_lowest[0] < ranking.LIST_SIZE
        or value > size_lowest[1]
    }
    if not joined:
        return set()
    await connection.execute(
        lists.insert(),
        [
            {"article_id": owner, "related_id": article_id, "score": value}
            for owner, value in scored
            if owner in joined
        ],
    )
    full = [owner for owner in joined if sizes.get(owner, (0, 0.0))[0] >= ranking.LIST_SIZE]
    if full:
        rank = (
            func.row_number()
            .over(
                partition_by=lists.c.article_id,
                order_by=(lists.c.score.desc(), lists.c.related_id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(lists.c.article_id, lists.c.related_id, rank)
            .where(AnyOf(lists.c.article_id, full))
            .subquery()
        )
        beyond = select(ranked.c.article_id, ranked.c.related_id).where(
            ranked.c.rank > ranking.LIST_SIZE
        )
        await connection.execute(
            delete(lists).where(tuple_(lists.c.article_id, lists.c.related_id).in_(beyond))
        )
    return joined


async def maintain_forever(
    engine: AsyncEngine,
    every: float,
    stop: asyncio.Event,
    lists_changed: ListsChanged | None = None,
) -> None:
    """Work through the queue, then look again every `every` seconds, until `stop` is set.
    Stopping lets the batch under way commit: a cancelled write could leave its connection
    holding SQLite's write lock."""
    while not stop.is_set():
        try:
            while await refresh_related(engine, lists_changed=lists_changed) == BATCH:
                if stop.is_set():
                    return
            if await queue_stale(engine):
                continue
        except Exception:
            logger.exception("related news maintenance failed; going on one article at a time")
            await _one_at_a_time(engine, lists_changed)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def _one_at_a_time(engine: AsyncEngine, lists_changed: ListsChanged | None) -> None:
    """After a failed batch: the next BATCH articles one per transaction, so that one
    article that cannot be processed (a bug) waits RETRY_LATER, logged, rather than hold
    up the others."""
    for _ in range(BATCH):
        try:
            if not await refresh_related(engine, limit=1, lists_changed=lists_changed):
                return
        except Exception:
            logger.exception("related news of the oldest queued article failed; retried later")
            async with engine.begin() as connection:
                oldest = select(queue.c.article_id).order_by(queue.c.queued_at).limit(1)
                later = utcnow() + RETRY_LATER
                await connection.execute(
                    update(queue).where(queue.c.article_id.in_(oldest)).values(queued_at=later)
                )
