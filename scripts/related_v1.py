"""Related articles as the foundation first ranked them, kept as the baseline that
scripts/eval_related.py compares the current ranking (app/data/related.py) against.

First version: most shared tags, then same category, then newest.

Two statements per batch whatever its size: the best tag-sharing candidates of every
source article, ranked in SQL, and the newest articles of each source's category and
overall, to fill lists that sharing leaves short.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, literal, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app.db import AnyOf, SessionMaker
from models import Article, ArticleStatus, ArticleTag

ANY_CATEGORY = 0  # marks the overall-newest rows in the fallback statement


@dataclass(frozen=True)
class RelatedKey:
    article_id: int
    category_id: int
    first: int


def _published() -> ColumnElement[bool]:
    return col(Article.status) == ArticleStatus.PUBLISHED


async def load_related(
    keys: Sequence[RelatedKey], sessionmaker: SessionMaker
) -> list[list[Article]]:
    """Up to `first` related published articles per key, best first, never the article itself."""
    by_first: defaultdict[int, list[RelatedKey]] = defaultdict(list)
    for key in keys:
        by_first[key.first].append(key)
    related: dict[RelatedKey, list[Article]] = {}
    async with sessionmaker() as session:
        for first, group in by_first.items():
            sharing = await session.exec(_sharing_tags([k.article_id for k in group], first))
            shared_by_source: defaultdict[int, list[Article]] = defaultdict(list)
            for article, source_id in sharing.all():
                shared_by_source[source_id].append(article)
            newest = await session.exec(_newest({k.category_id for k in group}, first + 1))
            newest_by_category: defaultdict[int, list[Article]] = defaultdict(list)
            for article, category_id in newest.all():
                newest_by_category[category_id].append(article)
            for key in group:
                candidates = (
                    shared_by_source[key.article_id]
                    + newest_by_category[key.category_id]
                    + newest_by_category[ANY_CATEGORY]
                )
                related[key] = _first_distinct(candidates, key.article_id, first)
    return [related[key] for key in keys]


def _first_distinct(candidates: list[Article], exclude_id: int, first: int) -> list[Article]:
    chosen: dict[int | None, Article] = {}
    for article in candidates:
        if article.id != exclude_id and article.id not in chosen:
            chosen[article.id] = article
            if len(chosen) == first:
                break
    return list(chosen.values())


def _sharing_tags(source_ids: list[int], first: int):  # type: ignore[no-untyped-def]
    source_tag, candidate_tag = aliased(ArticleTag), aliased(ArticleTag)
    source = aliased(Article)
    same_category = case((col(Article.category_id) == col(source.category_id), 1), else_=0)
    rank = func.row_number().over(
        partition_by=col(source_tag.article_id),
        order_by=[
            func.count().desc(),
            same_category.desc(),
            col(Article.published_at).desc(),
            col(Article.id).desc(),
        ],
    )
    ranked = (
        select(
            col(Article.id).label("candidate_id"),
            col(source_tag.article_id).label("source_id"),
            rank.label("rank"),
        )
        .join(candidate_tag, col(candidate_tag.tag_id) == source_tag.tag_id)
        .join(Article, col(Article.id) == candidate_tag.article_id)
        .join(source, col(source.id) == source_tag.article_id)
        .where(AnyOf(source_tag.article_id, source_ids))
        .where(col(candidate_tag.article_id) != source_tag.article_id)
        .where(_published())
        .group_by(col(source_tag.article_id), col(Article.id), col(source.category_id))
        .subquery()
    )
    return (
        select(Article, ranked.c.source_id)
        .join(ranked, ranked.c.candidate_id == Article.id)
        .where(ranked.c.rank <= first)
        .order_by(ranked.c.source_id, ranked.c.rank)
    )


def _newest(category_ids: set[int], limit: int):  # type: ignore[no-untyped-def]
    """The newest `limit` articles of each category, and overall (as ANY_CATEGORY)."""
    parts = []
    for category_id in [*sorted(category_ids), ANY_CATEGORY]:
        stmt = select(col(Article.id), literal(category_id).label("bucket")).where(_published())
        if category_id != ANY_CATEGORY:
            stmt = stmt.where(col(Article.category_id) == category_id)
        newest = stmt.order_by(col(Article.published_at).desc(), col(Article.id).desc())
        parts.append(sa_select(newest.limit(limit).subquery()))
    fallback = union_all(*parts).subquery()
    return (
        select(Article, fallback.c.bucket)
        .join(fallback, fallback.c.id == Article.id)
        .order_by(fallback.c.bucket, col(Article.published_at).desc(), col(Article.id).desc())
    )
