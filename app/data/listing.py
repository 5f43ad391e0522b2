"""Article listings: filters, orderings, keyset cursors, and the batched page and count queries.

One listing mechanism serves `articles`, `latestNews` and the `articles` connection on
authors, categories and tags. Nested connections batch: N authors' first pages are one
statement (ROW_NUMBER() over the author), not N.
"""

import base64
import binascii
from collections import defaultdict
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import orjson
from sqlalchemy import ColumnElement, bindparam, exists, func, literal, tuple_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from app.db import SessionMaker
from app.errors import BadUserInput
from app.visibility import now_parameter, public
from models import Article, ArticleTag, Author, Category, Tag

MAX_FIRST = 100


def check_first(first: int, argument: str = "first") -> int:
    """`first` as given, or BAD_USER_INPUT naming the argument when outside 1..MAX_FIRST."""
    if not 1 <= first <= MAX_FIRST:
        raise BadUserInput(argument, f"must be between 1 and {MAX_FIRST}, got {first}")
    return first


class ArticleOrder(Enum):
    PUBLISHED_AT_DESC = "PUBLISHED_AT_DESC"
    PUBLISHED_AT_ASC = "PUBLISHED_AT_ASC"
    VIEWS_DESC = "VIEWS_DESC"

    @property
    def descending(self) -> bool:
        return self is not ArticleOrder.PUBLISHED_AT_ASC

    @property
    def sort_column(self) -> Any:
        return Article.view_count if self is ArticleOrder.VIEWS_DESC else Article.published_at

    def sort_value(self, article: Article) -> datetime | int | None:
        return article.view_count if self is ArticleOrder.VIEWS_DESC else article.published_at


class Scope(Enum):
    """The parent of a nested `articles` connection."""

    AUTHOR = "author"
    CATEGORY = "category"
    TAG = "tag"


@dataclass(frozen=True)
class ArticleFilter:
    author_slug: str | None = None
    category_slug: str | None = None
    tag_slugs: tuple[str, ...] = ()
    language: str | None = None
    published_after: datetime | None = None
    published_before: datetime | None = None


@dataclass(frozen=True)
class Listing:
    filter: ArticleFilter = ArticleFilter()
    order: ArticleOrder = ArticleOrder.PUBLISHED_AT_DESC
    scope: Scope | None = None


@dataclass(frozen=True)
class Cursor:
    """A position in a listing: the sort key and id of the last article seen."""

    order: ArticleOrder
    value: datetime | int
    id: int


@dataclass(frozen=True)
class PageKey:
    listing: Listing
    scope_id: int | None
    first: int
    after: Cursor | None


@dataclass(frozen=True)
class CountKey:
    listing: Listing
    scope_id: int | None


def pack_cursor(*parts: str | int | float) -> str:
    """An opaque cursor holding `parts`."""
    return base64.urlsafe_b64encode(orjson.dumps(parts)).decode()


def unpack_cursor(cursor: str, argument: str = "after") -> list[Any]:
    """The parts inside a cursor from `pack_cursor`; BAD_USER_INPUT naming `argument` otherwise."""
    try:
        parts = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error):
        parts = None
    if not isinstance(parts, list):
        raise BadUserInput(argument, "not a cursor returned by this API")
    return parts


def encode_cursor(order: ArticleOrder, article: Article) -> str:
    assert article.id is not None
    value = order.sort_value(article)
    return pack_cursor(
        order.value, value.isoformat() if isinstance(value, datetime) else value or 0, article.id
    )


def decode_cursor(cursor: str, order: ArticleOrder) -> Cursor:
    """Parse an `after` cursor, refusing one that is malformed or from another ordering."""
    parts = unpack_cursor(cursor)
    if len(parts) != 3 or parts[0] not in ArticleOrder._value2member_map_:
        raise BadUserInput("after", "not a cursor returned by this API")
    order_name, value, article_id = parts
    if order_name != order.value:
        raise BadUserInput(
            "after", f"the cursor belongs to ordering {order_name}, not {order.value}"
        )
    sort_value: datetime | int | None = None
    if order is ArticleOrder.VIEWS_DESC:
        sort_value = value if is_bounded_int(value, 2**63) else None
    elif isinstance(value, str):
        with suppress(ValueError, OverflowError):
            moment = datetime.fromisoformat(value)
            # Cursors this API writes always carry an offset; astimezone would guess one.
            sort_value = moment.astimezone(UTC) if moment.tzinfo else None
    if sort_value is None or not is_bounded_int(article_id, 2**31):
        raise BadUserInput("after", "not a cursor returned by this API")
    return Cursor(order, sort_value, article_id)


def is_bounded_int(value: object, bound: int) -> bool:
    """Whether a decoded JSON value is an integer in 0..bound-1 (JSON `true` is not)."""
    return type(value) is int and 0 <= value < bound


def _scope_column(scope: Scope) -> Any:
    return {
        Scope.AUTHOR: Article.author_id,
        Scope.CATEGORY: Article.category_id,
        Scope.TAG: ArticleTag.tag_id,
    }[scope]


def slug_id(model: type[Author] | type[Category] | type[Tag], slug: str) -> Any:
    return select(model.id).where(model.slug == slug).scalar_subquery()


def published_matching(f: ArticleFilter) -> list[ColumnElement[bool]]:
    """Conditions for articles on the site that pass a filter; run with `params={"now": ...}`."""
    conditions: list[ColumnElement[bool]] = [public(now_parameter())]
    if f.author_slug is not None:
        conditions.append(col(Article.author_id) == slug_id(Author, f.author_slug))
    if f.category_slug is not None:
        conditions.append(col(Article.category_id) == slug_id(Category, f.category_slug))
    for slug in f.tag_slugs:
        conditions.append(
            exists().where(
                col(ArticleTag.article_id) == Article.id,
                col(ArticleTag.tag_id) == slug_id(Tag, slug),
            )
        )
    if f.language is not None:
        conditions.append(col(Article.language) == f.language)
    if f.published_after is not None:
        conditions.append(col(Article.published_at) >= f.published_after)
    if f.published_before is not None:
        conditions.append(col(Article.published_at) < f.published_before)
    return conditions


def _base(listing: Listing, *columns: Any) -> Any:
    stmt = select(*columns).select_from(Article).where(*published_matching(listing.filter))
    if listing.scope is Scope.TAG:
        stmt = stmt.join(ArticleTag, col(ArticleTag.article_id) == Article.id)
    return stmt


def _ordering(order: ArticleOrder) -> list[Any]:
    columns = [order.sort_column, col(Article.id)]
    return [c.desc() if order.descending else c.asc() for c in columns]


def _after(cursor: Cursor) -> ColumnElement[bool]:
    key = tuple_(cursor.order.sort_column, col(Article.id))
    bound = tuple_(bindparam(None, cursor.value, type_=cursor.order.sort_column.type), cursor.id)
    return key < bound if cursor.order.descending else key > bound


def _one_page(listing: Listing, first: int, after: Cursor | None, scope_id: int | None) -> Any:
    """One page as a plain LIMIT query, which walks the matching index."""
    stmt = _base(listing, Article)
    if listing.scope is not None:
        stmt = stmt.where(_scope_column(listing.scope) == scope_id)
    if after is not None:
        stmt = stmt.where(_after(after))
    return stmt.order_by(*_ordering(listing.order)).limit(first + 1)


def _many_pages(listing: Listing, first: int, after: Cursor | None, scope_ids: list[int]) -> Any:
    """The same page for several parents at once, as (article, parent id) rows.

    One LIMIT query per parent, glued with UNION ALL: each walks the index like a
    single page does, where ROW_NUMBER() over all parents would rank every article
    of every parent first.
    """
    pages = [
        sa_select(
            _one_page(listing, first, after, scope_id)
            .with_only_columns(col(Article.id), literal(scope_id).label("scope_id"))
            .subquery()
        )
        for scope_id in scope_ids
    ]
    paged = union_all(*pages).subquery()
    return (
        select(Article, paged.c.scope_id)
        .join(paged, paged.c.id == Article.id)
        .order_by(paged.c.scope_id, *_ordering(listing.order))
    )


async def load_article_pages(
    keys: Sequence[PageKey], sessionmaker: SessionMaker, now: datetime
) -> list[list[Article]]:
    """Up to `first + 1` articles per key (the extra one tells whether a next page exists)."""
    groups: defaultdict[tuple[Listing, int, Cursor | None], list[Any]] = defaultdict(list)
    for key in keys:
        groups[key.listing, key.first, key.after].append(key.scope_id)
    pages: dict[PageKey, list[Article]] = {}
    async with sessionmaker() as session:
        for (listing, first, after), scope_ids in groups.items():
            found: defaultdict[int | None, list[Article]] = defaultdict(list)
            if len(scope_ids) == 1:
                rows = await session.exec(
                    _one_page(listing, first, after, scope_ids[0]), params={"now": now}
                )
                found[scope_ids[0]] = list(rows.all())
            else:
                rows = await session.exec(
                    _many_pages(listing, first, after, scope_ids), params={"now": now}
                )
                for article, scope_id in rows.all():
                    found[scope_id].append(article)
            for scope_id in scope_ids:
                pages[PageKey(listing, scope_id, first, after)] = found[scope_id]
    return [pages[key] for key in keys]


async def load_article_counts(
    keys: Sequence[CountKey], sessionmaker: SessionMaker, now: datetime
) -> list[int]:
    """How many articles each listing holds, one statement per distinct listing."""
    groups: defaultdict[Listing, list[int | None]] = defaultdict(list)
    for key in keys:
        groups[key.listing].append(key.scope_id)
    counts: dict[CountKey, int] = {}
    async with sessionmaker() as session:
        for listing, scope_ids in groups.items():
            if listing.scope is None:
                total = (
                    await session.exec(_base(listing, func.count()), params={"now": now})
                ).one()
                counts[CountKey(listing, None)] = total
                continue
            scope = _scope_column(listing.scope)
            stmt = _base(listing, scope, func.count()).where(scope.in_(scope_ids)).group_by(scope)
            found = dict((await session.exec(stmt, params={"now": now})).all())
            for scope_id in scope_ids:
                counts[CountKey(listing, scope_id)] = found.get(scope_id, 0)
    return [counts[key] for key in keys]
