"""Per-request DataLoaders: every relation and per-article computed field is batched here."""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import cached_property, partial
from typing import Any, TypeVar

from sqlmodel import col, select
from strawberry.dataloader import DataLoader

from app.data.listing import CountKey, PageKey, load_article_counts, load_article_pages
from app.data.related import RelatedKey, load_related
from app.db import AnyOf, SessionMaker
from app.popularity.windows import ViewsKey, load_views
from models import Article, ArticleTag, Author, Category, Tag

Row = TypeVar("Row", Article, Author, Category, Tag)
V = TypeVar("V")


async def load_rows_by(
    model: type[Row], field: str, keys: Sequence[Any], sessionmaker: SessionMaker
) -> list[Row | None]:
    """Rows of `model` whose unique `field` (id or slug) is each key, None where missing."""
    column = getattr(model, field)
    async with sessionmaker() as session:
        rows = (await session.exec(select(model).where(AnyOf(column, keys)))).all()
    found = {getattr(row, field): row for row in rows}
    return [found.get(key) for key in keys]


async def load_tags_by_article_id(
    keys: Sequence[int], sessionmaker: SessionMaker
) -> list[list[Tag]]:
    """Each article's tags, by name."""
    stmt = (
        select(ArticleTag.article_id, Tag)
        .join(Tag, col(Tag.id) == ArticleTag.tag_id)
        .where(AnyOf(ArticleTag.article_id, keys))
        .order_by(col(Tag.name), col(Tag.id))
    )
    async with sessionmaker() as session:
        rows = (await session.exec(stmt)).all()
    tags: defaultdict[int, list[Tag]] = defaultdict(list)
    for article_id, tag in rows:
        tags[article_id].append(tag)
    return [tags[key] for key in keys]


class Loaders:
    """The DataLoaders of one request, each made on first use: their caches live and die
    with the request, and a request builds only the loaders it needs."""

    def __init__(self, sessionmaker: SessionMaker, now: datetime) -> None:
        self._sessionmaker = sessionmaker
        self._now = now

    def _batched(
        self,
        fn: Callable[..., Awaitable[list[V]]],
        *args: Any,
        max_batch_size: int | None = None,
        **extra: Any,
    ) -> DataLoader[Any, Any]:
        load_fn = partial(fn, *args, sessionmaker=self._sessionmaker, **extra)
        return DataLoader(load_fn=load_fn, max_batch_size=max_batch_size)

    @cached_property
    def article_by_id(self) -> DataLoader[int, Article | None]:
        return self._batched(load_rows_by, Article, "id")

    @cached_property
    def article_by_slug(self) -> DataLoader[str, Article | None]:
        return self._batched(load_rows_by, Article, "slug")

    @cached_property
    def author_by_id(self) -> DataLoader[int, Author | None]:
        return self._batched(load_rows_by, Author, "id")

    @cached_property
    def author_by_slug(self) -> DataLoader[str, Author | None]:
        return self._batched(load_rows_by, Author, "slug")

    @cached_property
    def category_by_id(self) -> DataLoader[int, Category | None]:
        return self._batched(load_rows_by, Category, "id")

    @cached_property
    def tag_by_id(self) -> DataLoader[int, Tag | None]:
        return self._batched(load_rows_by, Tag, "id")

    @cached_property
    def tags_by_article_id(self) -> DataLoader[int, list[Tag]]:
        return self._batched(load_tags_by_article_id)

    @cached_property
    def article_page(self) -> DataLoader[PageKey, list[Article]]:
        return self._batched(load_article_pages, now=self._now)

    @cached_property
    def article_count(self) -> DataLoader[CountKey, int]:
        return self._batched(load_article_counts, now=self._now)

    @cached_property
    def views(self) -> DataLoader[ViewsKey, int]:
        return self._batched(load_views, now=self._now)

    def forget_views(self) -> None:
        """After this request counted views: what it loaded of their windows is stale."""
        if "views" in self.__dict__:  # made, so maybe used
            self.views.clear_all()

    @cached_property
    def related(self) -> DataLoader[RelatedKey, list[Article]]:
        return self._batched(load_related, now=self._now)
