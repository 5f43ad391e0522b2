"""The tables related news keeps (models/related.py), and articles as it stores them:
term vectors in text, and profiles read back."""

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import false, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import AnyOf
from app.related import ranking
from models import (
    Article,
    ArticleTag,
    RelatedArticle,
    RelatedDocument,
    RelatedPosting,
    RelatedQueue,
    RelatedTerm,
    Tag,
)

DOCUMENTS = ""  # the related_term row that counts the analysed articles

# Core tables: the worker and the backfill read and write plain rows.
articles = Article.__table__  # type: ignore[attr-defined]
documents = RelatedDocument.__table__  # type: ignore[attr-defined]
lists = RelatedArticle.__table__  # type: ignore[attr-defined]
postings = RelatedPosting.__table__  # type: ignore[attr-defined]
queue = RelatedQueue.__table__  # type: ignore[attr-defined]
taggings = ArticleTag.__table__  # type: ignore[attr-defined]
tags = Tag.__table__  # type: ignore[attr-defined]
terms = RelatedTerm.__table__  # type: ignore[attr-defined]


def encode_vector(vector: Mapping[str, float]) -> str:
    return " ".join(f"{term} {weight:.5f}" for term, weight in vector.items())


def decode_vector(text: str) -> dict[str, float]:
    parts = text.split()
    return {term: float(weight) for term, weight in zip(parts[::2], parts[1::2], strict=True)}


def profile_of(row: Any, tag_ids: Iterable[int]) -> ranking.Profile:
    """A profile from a related_document row (article_id, published_at, language,
    category_id, vector) and the article's tags."""
    return ranking.Profile(
        row.article_id,
        row.published_at,
        row.language,
        row.category_id,
        frozenset(tag_ids),
        decode_vector(row.vector),
    )


async def tags_and_rarity(
    connection: AsyncConnection, article_ids: list[int], corpus: int
) -> tuple[dict[int, set[int]], dict[int, float]]:
    """Each article's tags, and how rare each of those tags is (inverse document frequency)."""
    rows = await connection.execute(
        select(taggings.c.article_id, taggings.c.tag_id, tags.c.usage_count)
        .join(tags, tags.c.id == taggings.c.tag_id)
        .where(AnyOf(taggings.c.article_id, article_ids))
    )
    by_article: dict[int, set[int]] = {article_id: set() for article_id in article_ids}
    rarity: dict[int, float] = {}
    for article_id, tag_id, usage in rows:
        by_article[article_id].add(tag_id)
        rarity[tag_id] = ranking.idf(max(corpus, usage), usage)
    return by_article, rarity


def candidates(source: ranking.Profile) -> Any:
    """The MAX_CANDIDATES articles sharing the most key terms with the source (summed by
    their weight in its vector), among the NEAREST in time on either side of it for each
    key term, within WINDOW_DAYS. Each look-up walks the posting index from the source's
    date outwards and stops, so a common key term costs no more than a rare one."""
    window = timedelta(days=ranking.WINDOW_DAYS)
    moment, column = source.published_at, postings.c.published_at
    sides = [
        (column <= moment, column >= moment - window, column.desc()),
        (column > moment, column <= moment + window, column.asc()),
    ]
    nearest = [
        select(
            select(postings.c.article_id, literal(source.vector[term]).label("weight"))
            .where(postings.c.term == term, near, far, postings.c.article_id != source.article_id)
            .order_by(order)
            .limit(ranking.NEAREST)
            .subquery()
        )
        for term in ranking.key_terms(source.vector)
        for near, far, order in sides
    ]
    if not nearest:
        return select(postings.c.article_id).where(false())
    shared = union_all(*nearest).subquery()
    return (
        select(shared.c.article_id)
        .group_by(shared.c.article_id)
        .order_by(func.sum(shared.c.weight).desc(), shared.c.article_id.desc())
        .limit(ranking.MAX_CANDIDATES)
    )
