"""Per-request DataLoaders: every relation and per-article computed field is batched here."""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlmodel import col, select
from strawberry.dataloader import DataLoader

from app.db import SessionMaker
from app.listing import CountKey, PageKey, load_article_counts, load_article_pages
from app.popularity import ViewsKey, load_views
from app.related import RelatedKey, load_related
from models import Article, ArticleTag, Author, Category, Tag

Row = TypeVar("Row", Article, Author, Category, Tag)
V = TypeVar("V")


async def load_rows_by(
    model: type[Row], field: str, keys: Sequence[Any], sessionmaker: SessionMaker
) -> list[Row | None]:
    """Rows of `model` whose unique `field` (id or slug) is each key, None where missing."""
    column = getattr(model, field)
    async with sessionmaker() as session:
        rows = (await session.exec(select(model).where(col(column).in_(keys)))).all()
    found = {getattr(row, field): row for row in rows}
    return [found.get(key) for key in keys]


async def load_tags_by_article_id(
    keys: Sequence[int], sessionmaker: SessionMaker
) -> list[list[Tag]]:
    """Each article's tags, by name."""
    stmt = (
        select(ArticleTag.article_id, Tag)
        .join(Tag, col(Tag.id) == ArticleTag.tag_id)
        .where(col(ArticleTag.article_id).in_(keys))
        .order_by(col(Tag.name), col(Tag.id))
    )
    async with sessionmaker() as session:
        rows = (await session.exec(stmt)).all()
    tags: defaultdict[int, list[Tag]] = defaultdict(list)
    for article_id, tag in rows:
        tags[article_id].append(tag)
    return [tags[key] for key in keys]


@dataclass
class Loaders:
    article_by_id: DataLoader[int, Article | None]
    article_by_slug: DataLoader[str, Article | None]
    author_by_id: DataLoader[int, Author | None]
    author_by_slug: DataLoader[str, Author | None]
    category_by_id: DataLoader[int, Category | None]
    tag_by_id: DataLoader[int, Tag | None]
    tags_by_article_id: DataLoader[int, list[Tag]]
    article_page: DataLoader[PageKey, list[Article]]
    article_count: DataLoader[CountKey, int]
    views: DataLoader[ViewsKey, int]
    related: DataLoader[RelatedKey, list[Article]]


def build_loaders(sessionmaker: SessionMaker, now: datetime) -> Loaders:
    """Fresh loaders for one request; their caches live and die with it."""

    def batched(fn: Callable[..., Awaitable[list[V]]], *args: Any, **extra: Any) -> Any:
        return DataLoader(load_fn=partial(fn, *args, sessionmaker=sessionmaker, **extra))

    return Loaders(
        article_by_id=batched(load_rows_by, Article, "id"),
        article_by_slug=batched(load_rows_by, Article, "slug"),
        author_by_id=batched(load_rows_by, Author, "id"),
        author_by_slug=batched(load_rows_by, Author, "slug"),
        category_by_id=batched(load_rows_by, Category, "id"),
        tag_by_id=batched(load_rows_by, Tag, "id"),
        tags_by_article_id=batched(load_tags_by_article_id),
        article_page=batched(load_article_pages),
        article_count=batched(load_article_counts),
        views=batched(load_views, now=now),
        related=batched(load_related),
    )
