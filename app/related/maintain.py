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
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, false, func, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db import AnyOf, insert_for
from app.related import analysis, ranking
from app.related.documents import (
    DOCUMENTS,
    documents,
    encode_vector,
    profile_of,
    tags_and_rarity,
)
from models import (
    Article,
    ArticleStatus,
    RelatedArticle,
    RelatedPosting,
    RelatedQueue,
    RelatedTerm,
)
from models.base import utcnow

BATCH = 20  # articles per transaction: on SQLite, writers wait for it
MAX_CANDIDATES = 100  # articles scored per article, those sharing the most key terms
NEAREST = 100  # articles looked at per key term and side: those nearest in time
STALE_GROWTH = 1.5

logger = logging.getLogger("newsgate.related")
_articles = Article.__table__  # type: ignore[attr-defined]
_lists = RelatedArticle.__table__  # type: ignore[attr-defined]
_postings = RelatedPosting.__table__  # type: ignore[attr-defined]
_queue = RelatedQueue.__table__  # type: ignore[attr-defined]
_terms = RelatedTerm.__table__  # type: ignore[attr-defined]


async def enqueue(connection: AsyncConnection, article_ids: Iterable[int]) -> None:
    """Queue articles for their related lists to be computed again (in the caller's
    transaction: the change and its queueing commit together)."""
    rows = [{"article_id": article_id, "queued_at": utcnow()} for article_id in set(article_ids)]
    if rows:
        await connection.execute(insert_for(connection)(_queue).on_conflict_do_nothing(), rows)


async def refresh_related(engine: AsyncEngine, limit: int = BATCH) -> int:
    """Take up to `limit` queued articles and bring what they touch up to date, in one
    transaction. Returns how many were taken."""
    async with engine.begin() as connection:
        oldest = (
            select(_queue.c.article_id)
            .order_by(_queue.c.queued_at, _queue.c.article_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        taken = await connection.execute(
            delete(_queue).where(_queue.c.article_id.in_(oldest)).returning(_queue.c.article_id)
        )
        article_ids = sorted(taken.scalars())
        for article_id in article_ids:
            await maintain(connection, article_id)
    return len(article_ids)


async def queue_stale(engine: AsyncEngine) -> int:
    """Queue the articles analysed when the collection was much smaller than now."""
    async with engine.begin() as connection:
        corpus = await _corpus(connection)
        stale = select(documents.c.article_id).where(documents.c.corpus * STALE_GROWTH < corpus)
        article_ids = list((await connection.execute(stale.limit(10 * BATCH))).scalars())
        await enqueue(connection, article_ids)
    return len(article_ids)


async def maintain(connection: AsyncConnection, article_id: int) -> None:
    """Recompute one article's list and its place in others' (see the module's doc)."""
    left = await _forget(connection, article_id)
    row = (
        await connection.execute(
            select(_articles).where(
                _articles.c.id == article_id, _articles.c.status == ArticleStatus.PUBLISHED
            )
        )
    ).first()
    joined: set[int] = set()
    if row is not None:
        profile = await _analyse(connection, row)
        joined = await _relate(connection, profile)
    await enqueue(connection, left - joined)


async def _forget(connection: AsyncConnection, article_id: int) -> set[int]:
    """Take the article out of everything stored; returns whose lists it was in."""
    terms = (
        await connection.execute(
            delete(documents)
            .where(documents.c.article_id == article_id)
            .returning(documents.c.terms)
        )
    ).scalar()
    if terms is not None:
        await _count_documents(connection, [DOCUMENTS, *terms.split()], -1)
    await connection.execute(delete(_postings).where(_postings.c.article_id == article_id))
    await connection.execute(delete(_lists).where(_lists.c.article_id == article_id))
    left = await connection.execute(
        delete(_lists).where(_lists.c.related_id == article_id).returning(_lists.c.article_id)
    )
    return set(left.scalars())


async def _count_documents(connection: AsyncConnection, terms: list[str], change: int) -> None:
    """Add `change` to the document frequency of each term."""
    insert = insert_for(connection)(_terms)
    upsert = insert.on_conflict_do_update(
        index_elements=["term"], set_={"documents": _terms.c.documents + insert.excluded.documents}
    )
    await connection.execute(upsert, [{"term": term, "documents": change} for term in terms])


async def _corpus(connection: AsyncConnection) -> int:
    found = await connection.execute(select(_terms.c.documents).where(_terms.c.term == DOCUMENTS))
    return int(found.scalar() or 0)


async def _analyse(connection: AsyncConnection, row: Any) -> ranking.Profile:
    """Analyse a published article: count its terms in, store its vector and postings."""
    counts = analysis.term_counts(row.title, row.summary, row.body, row.language)
    await _count_documents(connection, [DOCUMENTS, *counts], 1)
    found = await connection.execute(
        select(_terms.c.term, _terms.c.documents).where(AnyOf(_terms.c.term, [DOCUMENTS, *counts]))
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
            _postings.insert(),
            [{"term": t, "published_at": row.published_at, "article_id": row.id} for t in keys],
        )
    return ranking.Profile(
        row.id,
        row.published_at,
        analysis.base_language(row.language),
        row.category_id,
        frozenset(),
        vector,
    )


async def _relate(connection: AsyncConnection, source: ranking.Profile) -> set[int]:
    """Store the source's list and put it into the candidates' lists it beats; returns
    the articles whose lists it joined."""
    found = await connection.execute(_candidates(source))
    candidate_ids = list(found.scalars())
    corpus = await _corpus(connection)
    tag_ids, rarity = await tags_and_rarity(connection, [source.article_id, *candidate_ids], corpus)
    rows = await connection.execute(
        select(documents).where(AnyOf(documents.c.article_id, candidate_ids))
    )
    candidates = [profile_of(row, tag_ids[row.article_id]) for row in rows]
    source = ranking.Profile(
        source.article_id,
        source.published_at,
        source.language,
        source.category_id,
        frozenset(tag_ids[source.article_id]),
        source.vector,
    )
    scored = [
        (candidate.article_id, ranking.score(source, candidate, rarity)) for candidate in candidates
    ]
    scored = [(article_id, value) for article_id, value in scored if value > 0]
    own = sorted(scored, key=lambda pair: (-pair[1], -pair[0]))[: ranking.LIST_SIZE]
    if own:
        await connection.execute(
            _lists.insert(),
            [{"article_id": source.article_id, "related_id": r, "score": s} for r, s in own],
        )
    return await _join_lists(connection, source.article_id, scored)


def _candidates(source: ranking.Profile) -> Any:
    """The MAX_CANDIDATES articles sharing the most key terms with the source, among the
    NEAREST in time on either side of it for each key term, within WINDOW_DAYS. Each
    look-up walks the posting index from the source's date outwards and stops, so a
    common key term costs no more than a rare one."""
    window = timedelta(days=ranking.WINDOW_DAYS)
    moment, column = source.published_at, _postings.c.published_at
    sides = [
        (column <= moment, column >= moment - window, column.desc()),
        (column > moment, column <= moment + window, column.asc()),
    ]
    nearest = [
        select(
            select(_postings.c.article_id)
            .where(_postings.c.term == term, near, far, _postings.c.article_id != source.article_id)
            .order_by(order)
            .limit(NEAREST)
            .subquery()
        )
        for term in ranking.key_terms(source.vector)
        for near, far, order in sides
    ]
    if not nearest:
        return select(_postings.c.article_id).where(false())
    shared = union_all(*nearest).subquery()
    return (
        select(shared.c.article_id)
        .group_by(shared.c.article_id)
        .order_by(func.count().desc(), shared.c.article_id.desc())
        .limit(MAX_CANDIDATES)
    )


async def _join_lists(
    connection: AsyncConnection, article_id: int, scored: list[tuple[int, float]]
) -> set[int]:
    """Put the article into each scored candidate's list where it ranks in the top LIST_SIZE."""
    if not scored:
        return set()
    found = await connection.execute(
        select(_lists.c.article_id, func.count(), func.min(_lists.c.score))
        .where(AnyOf(_lists.c.article_id, [owner for owner, _ in scored]))
        .group_by(_lists.c.article_id)
    )
    lists = {owner: (size, lowest) for owner, size, lowest in found}
    joined = {
        owner
        for owner, value in scored
        if (size_lowest := lists.get(owner)) is None
        or size_lowest[0] < ranking.LIST_SIZE
        or value > size_lowest[1]
    }
    if not joined:
        return set()
    await connection.execute(
        _lists.insert(),
        [
            {"article_id": owner, "related_id": article_id, "score": value}
            for owner, value in scored
            if owner in joined
        ],
    )
    full = [owner for owner in joined if lists.get(owner, (0, 0.0))[0] >= ranking.LIST_SIZE]
    if full:
        rank = (
            func.row_number()
            .over(
                partition_by=_lists.c.article_id,
                order_by=(_lists.c.score.desc(), _lists.c.related_id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(_lists.c.article_id, _lists.c.related_id, rank)
            .where(AnyOf(_lists.c.article_id, full))
            .subquery()
        )
        beyond = select(ranked.c.article_id, ranked.c.related_id).where(
            ranked.c.rank > ranking.LIST_SIZE
        )
        await connection.execute(
            delete(_lists).where(tuple_(_lists.c.article_id, _lists.c.related_id).in_(beyond))
        )
    return joined


async def maintain_forever(engine: AsyncEngine, every: float) -> None:
    """Work through the queue, then look again every `every` seconds, until cancelled."""
    while True:
        try:
            while await refresh_related(engine) == BATCH:
                pass  # more is queued: keep going
            if await queue_stale(engine):
                continue
        except Exception:
            logger.exception("related news maintenance failed; retrying")
        await asyncio.sleep(every)
