"""Per-request DataLoaders: every relation and per-article computed field is batched here."""

import weakref
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from functools import cache, cached_property, partial
from typing import Any, TypeVar

from sqlalchemy import Table, select
from strawberry.dataloader import DataLoader

from app.data.entities import (
    ARTICLES,
    AUTHORS,
    CATEGORIES,
    TAGS,
    WHOLE_ARTICLES,
    ArticleColumns,
    article_select,
    entity_columns,
    relation_rows,
    tag_rows,
)
from app.data.listing import CountKey, PageKey, load_article_counts, load_article_pages
from app.data.popularity import ViewsKey, load_views
from app.data.related import RelatedKey, load_related
from app.data.sql import Query, Reads, Row, among, bound_keys
from app.db import AnyOf
from app.ops.record import observe_batches
from models import ArticleTag

V = TypeVar("V")
_taggings: Table = ArticleTag.__table__  # type: ignore[attr-defined]


@cache
def _rows_by(table: Table, column: str, articles: ArticleColumns, one: bool) -> Query:
    """Rows by the keys of a batch; by one key (an article page's batch), a unique key's
    lookup, whose plan serves any key (app/data/sql.py: Query)."""
    stmt = article_select(articles) if table is ARTICLES else select(*entity_columns(table))
    return Query(stmt.where(among(table.c[column], "keys", one)), plan_once=one)


async def load_rows_by(
    table: Table,
    column: str,
    keys: Sequence[Any],
    reads: Reads,
    articles: ArticleColumns = WHOLE_ARTICLES,
) -> list[Row | None]:
    """Rows of `table` whose unique `column` (id or slug) is each key, None where missing."""
    query = _rows_by(table, column, articles, len(keys) == 1)
    rows = await reads.rows(query, keys=bound_keys(keys))
    found = {row.pk if column == "id" else getattr(row, column): row for row in rows}
    return [found.get(key) for key in keys]


_TAGS_BY_ARTICLE = Query(
    select(_taggings.c.article_id, *entity_columns(TAGS))
    .join(_taggings, _taggings.c.tag_id == TAGS.c.id)
    .where(AnyOf(_taggings.c.article_id, [], name="keys"))
    .order_by(TAGS.c.name, TAGS.c.id)
)


async def load_tags_by_article_id(keys: Sequence[int], reads: Reads) -> list[list[Row]]:
    """Each article's tags, by name."""
    tags: defaultdict[int, list[Row]] = defaultdict(list)
    for row in await reads.rows(_TAGS_BY_ARTICLE, keys=list(keys)):
        tags[row.article_id].append(row)
    return [tags[key] for key in keys]


class TaggedLoader(DataLoader[Any, Any]):
    """A DataLoader that notes a cache tag for every key asked of it, loaded or not: a
    cached answer must go when what it asked for changes, also what it did not find."""

    def __init__(
        self,
        load_fn: Callable[..., Awaitable[list[Any]]],
        tag: Callable[[Any], str],
        tags: set[str],
    ) -> None:
        super().__init__(load_fn=load_fn)
        self._tag, self._tags = tag, tags

    def load(self, key: Any) -> Awaitable[Any]:
        self._tags.add(self._tag(key))
        return super().load(key)


def listing_tag(key: PageKey | CountKey) -> str:
    """The cache tag of a listing: its parent's articles for a nested connection, else
    every article's (filters by slug and the like are not told apart)."""
    if key.listing.scope is None or key.scope_id is None:
        return "articles"
    return f"{key.listing.scope.value}-articles:{key.scope_id}"


def _related_tag(key: RelatedKey) -> str:
    return f"related:{key.article_id}"


class Loaders:
    """The DataLoaders of one request, each made on first use: their caches live and die
    with the request, and a request builds only the loaders it needs."""

    def __init__(self, reads: Reads, now: datetime, tags: set[str] | None = None) -> None:
        self._reads = reads
        self._now = now
        # What article rows carry, and those of related lists: a planned document says
        # (app/gateway/execution.py).
        self.article_columns = self.related_article_columns = WHOLE_ARTICLES
        # The cache tags of what the request read, when its answer may be cached.
        self.tags = tags

    def _loader(
        self, load_fn: Callable[..., Awaitable[list[Any]]], tag: Callable[[Any], str] | None
    ) -> DataLoader[Any, Any]:
        if tag is None or self.tags is None:
            return DataLoader(load_fn=load_fn)
        return TaggedLoader(load_fn, tag, self.tags)

    def _batched(
        self,
        fn: Callable[..., Awaitable[list[V]]],
        *args: Any,
        tag: Callable[[Any], str] | None = None,
        **extra: Any,
    ) -> DataLoader[Any, Any]:
        return self._loader(observe_batches(partial(fn, *args, reads=self._reads, **extra)), tag)

    def _articles(
        self,
        fn: Callable[..., Awaitable[list[Any]]],
        *args: Any,
        tag: Callable[[Any], str] | None = None,
        columns: ArticleColumns | None = None,
        **extra: Any,
    ) -> DataLoader[Any, Any]:
        """A loader of articles (a row or a list of them per key) that primes the loaders
        of the relations its rows brought along; its rows carry `columns`, by default
        the request's article_columns."""
        columns = self.article_columns if columns is None else columns
        batch = observe_batches(partial(fn, *args, reads=self._reads, articles=columns, **extra))
        # Weakly: these loaders hold the loader, and a cycle would leave the request's rows
        # to the cycle collector, which then took a third of a request's CPU.
        loaders = weakref.ref(self)

        async def load(keys: Sequence[Any]) -> list[Any]:
            found = await batch(keys)
            owner = loaders()
            assert owner is not None  # alive while its request loads
            lists = (item if isinstance(item, list) else [item] for item in found)
            owner.prime_relations((row for rows in lists for row in rows if row), columns)
            return found

        return self._loader(load, tag)

    def prime_relations(
        self, articles: Iterable[Row], columns: ArticleColumns | None = None
    ) -> None:
        """Prime the author, category and tags loaders with the rows that came with
        `articles`, which carry `columns` (by default the request's article_columns): their
        loads then need no statement of their own. Every article read passes here: its
        cache tag is noted."""
        columns = self.article_columns if columns is None else columns
        if columns.relations or columns.tags or self.tags is not None:
            rows = list(articles)
            if self.tags is not None:
                self.tags.update(f"article:{row.pk}" for row in rows)
            for name in columns.relations:
                loader: DataLoader[int, Row | None] = getattr(self, f"{name}_by_id")
                loader.prime_many(relation_rows(rows, name))
            if columns.tags:
                self.tags_by_article_id.prime_many(tag_rows(rows))

    @cached_property
    def article_by_id(self) -> DataLoader[int, Row | None]:
        return self._articles(load_rows_by, ARTICLES, "id", tag="article:{}".format)

    @cached_property
    def article_by_slug(self) -> DataLoader[str, Row | None]:
        return self._articles(load_rows_by, ARTICLES, "slug", tag="article-slug:{}".format)

    @cached_property
    def author_by_id(self) -> DataLoader[int, Row | None]:
        return self._batched(load_rows_by, AUTHORS, "id", tag="author:{}".format)

    @cached_property
    def author_by_slug(self) -> DataLoader[str, Row | None]:
        return self._batched(load_rows_by, AUTHORS, "slug", tag="author-slug:{}".format)

    @cached_property
    def category_by_id(self) -> DataLoader[int, Row | None]:
        return self._batched(load_rows_by, CATEGORIES, "id", tag="category:{}".format)

    @cached_property
    def tag_by_id(self) -> DataLoader[int, Row | None]:
        return self._batched(load_rows_by, TAGS, "id", tag="tag:{}".format)

    @cached_property
    def tags_by_article_id(self) -> DataLoader[int, list[Row]]:
        return self._batched(load_tags_by_article_id)

    @cached_property
    def article_page(self) -> DataLoader[PageKey, list[Row]]:
        return self._articles(load_article_pages, now=self._now, tag=listing_tag)

    @cached_property
    def article_count(self) -> DataLoader[CountKey, int]:
        return self._batched(load_article_counts, now=self._now, tag=listing_tag)

    @cached_property
    def views(self) -> DataLoader[ViewsKey, int]:
        return self._batched(load_views, now=self._now)

    def forget_views(self) -> None:
        """After this request counted views: what it loaded of their windows is stale."""
        if "views" in self.__dict__:  # made, so maybe used
            self.views.clear_all()

    def viewed(self, article_id: int, article: Row | None) -> None:
        """After this request counted a view of an article: later fields see it, from
        `article` as read back with the view, or read again."""
        if article is not None:
            self.article_by_id.prime(article_id, article, force=True)
        elif "article_by_id" in self.__dict__:  # made, so maybe holding the article
            self.article_by_id.clear(article_id)
        self.forget_views()

    @cached_property
    def related(self) -> DataLoader[RelatedKey, list[Row]]:
        return self._articles(
            load_related, now=self._now, tag=_related_tag, columns=self.related_article_columns
        )
