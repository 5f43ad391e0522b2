"""Articles as related news stores them: term vectors in text, and profiles read back."""

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import AnyOf
from app.related import ranking
from models import ArticleTag, RelatedDocument, Tag

DOCUMENTS = ""  # the related_term row that counts the analysed articles

documents = RelatedDocument.__table__  # type: ignore[attr-defined]
taggings = ArticleTag.__table__  # type: ignore[attr-defined]
tags = Tag.__table__  # type: ignore[attr-defined]


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
