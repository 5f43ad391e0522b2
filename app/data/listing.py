"""Article listings: filters, orderings, keyset cursors, and the batched page and count queries.

One listing mechanism serves `articles`, `latestNews` and the `articles` connection on
authors, categories and tags. Nested connections batch: N authors' first pages are one
statement, not N. Statements are built once per shape of listing (which filters it has,
not their values) and run with the values as parameters.
"""

import base64
import binascii
from collections import defaultdict
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    exists,
    func,
    literal,
    select,
    tuple_,
    union_all,
)

from app.data.entities import (
    ARTICLES,
    AUTHORS,
    CATEGORIES,
    TAGS,
    WHOLE_ARTICLES,
    ArticleColumns,
    article_select,
)
from app.data.sql import Query, Reads, Row
from app.db import AnyOf
from app.errors import BadUserInput
from app.visibility import now_parameter, public
from models import ArticleStatus, ArticleTag, ArticleTally

_taggings: Table = ArticleTag.__table__  # type: ignore[attr-defined]
_tallies: Table = ArticleTally.__table__  # type: ignore[attr-defined]

MAX_FIRST = 100
# Where articles never published (drafts, some archived) sort among dated ones: after all.
UNDATED = datetime(9999, 12, 31, tzinfo=UTC)


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
        return ARTICLES.c.view_count if self is ArticleOrder.VIEWS_DESC else ARTICLES.c.published_at

    def sort_value(self, article: Row) -> datetime | int:
        if self is ArticleOrder.VIEWS_DESC:
            count: int = article.view_count
            return count
        moment: datetime = article.published_at or UNDATED
        return moment


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
    status: ArticleStatus | None = None  # the stored status; None: what readers see

    def shape(self) -> "ArticleFilter":
        """The filter with each given value replaced by the same placeholder: what the
        statements for it are built from (and cached by), its values being parameters."""
        given = "?"
        moment = datetime.min.replace(tzinfo=UTC)
        return ArticleFilter(
            author_slug=given if self.author_slug is not None else None,
            category_slug=given if self.category_slug is not None else None,
            tag_slugs=(given,) * len(self.tag_slugs),
            language=given if self.language is not None else None,
            published_after=moment if self.published_after is not None else None,
            published_before=moment if self.published_before is not None else None,
            status=self.status,  # one of three: statements are built for each
        )


@dataclass(frozen=True)
class Listing:
    filter: ArticleFilter = ArticleFilter()
    order: ArticleOrder = ArticleOrder.PUBLISHED_AT_DESC
    scope: Scope | None = None

    def shape(self) -> "Listing":
        return replace(self, filter=self.filter.shape())

    @property
    def sort_column(self) -> Any:
        """What the listing sorts by: for readers, the indexed column itself; listings by
        status may hold undated articles, which sort as UNDATED."""
        column = self.order.sort_column
        if self.filter.status is None or self.order is ArticleOrder.VIEWS_DESC:
            return column
        return func.coalesce(column, literal(UNDATED, column.type))


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


def encode_cursor(order: ArticleOrder, article: Row) -> str:
    value = order.sort_value(article)
    return pack_cursor(
        order.value, value.isoformat() if isinstance(value, datetime) else value, article.pk
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


_PARENT_TABLES = {Scope.AUTHOR: AUTHORS, Scope.CATEGORY: CATEGORIES, Scope.TAG: TAGS}


def _scope_column(scope: Scope) -> Any:
    return {
        Scope.AUTHOR: ARTICLES.c.author_id,
        Scope.CATEGORY: ARTICLES.c.category_id,
        Scope.TAG: _taggings.c.tag_id,
    }[scope]


def slug_id(table: Table, slug: Any) -> Any:
    """The id of the row of `table` (authors, categories, tags) with this slug."""
    return select(table.c.id).where(table.c.slug == slug).scalar_subquery()


def published_matching(f: ArticleFilter) -> list[ColumnElement[bool]]:
    """Conditions for articles that pass a filter: those on the site (app/visibility.py)
    unless it names a stored status; its values left as parameters (filter_values gives
    them, and `now`): one statement serves every filter of the same shape."""
    conditions: list[ColumnElement[bool]] = [
        public(now_parameter()) if f.status is None else ARTICLES.c.status == f.status
    ]
    if f.author_slug is not None:
        conditions.append(ARTICLES.c.author_id == slug_id(AUTHORS, bindparam("author_slug")))
    if f.category_slug is not None:
        conditions.append(ARTICLES.c.category_id == slug_id(CATEGORIES, bindparam("category_slug")))
    for index in range(len(f.tag_slugs)):
        tag_id = slug_id(TAGS, bindparam(f"tag_slug_{index}"))
        conditions.append(
            exists().where(_taggings.c.article_id == ARTICLES.c.id, _taggings.c.tag_id == tag_id)
        )
    if f.language is not None:
        conditions.append(ARTICLES.c.language == bindparam("language"))
    moment = ARTICLES.c.published_at
    if f.published_after is not None:
        conditions.append(moment >= bindparam("published_after", type_=moment.type))
    if f.published_before is not None:
        conditions.append(moment < bindparam("published_before", type_=moment.type))
    return conditions


def filter_values(f: ArticleFilter) -> dict[str, Any]:
    """The parameters of published_matching(f)."""
    values: dict[str, Any] = {
        "author_slug": f.author_slug,
        "category_slug": f.category_slug,
        "language": f.language,
        "published_after": f.published_after,
        "published_before": f.published_before,
    }
    values.update({f"tag_slug_{index}": slug for index, slug in enumerate(f.tag_slugs)})
    return {name: value for name, value in values.items() if value is not None}


def _filtered(listing: Listing, stmt: Any) -> Any:
    """`stmt` (a SELECT from article) narrowed to the listing's articles."""
    stmt = stmt.where(*published_matching(listing.filter))
    if listing.scope is Scope.TAG:
        stmt = stmt.join(_taggings, _taggings.c.article_id == ARTICLES.c.id)
    return stmt


def _ordering(listing: Listing) -> list[Any]:
    columns = [listing.sort_column, ARTICLES.c.id]
    return [c.desc() if listing.order.descending else c.asc() for c in columns]


def _after(listing: Listing) -> ColumnElement[bool]:
    order = listing.order
    key = tuple_(listing.sort_column, ARTICLES.c.id)
    bound = tuple_(bindparam("after_value", type_=order.sort_column.type), bindparam("after_id"))
    return key < bound if order.descending else key > bound


def _one_page(listing: Listing, after: bool, scope_id: Any, stmt: Any) -> Any:
    """One page as a plain LIMIT query, which walks the matching index."""
    stmt = _filtered(listing, stmt)
    if listing.scope is not None:
        stmt = stmt.where(_scope_column(listing.scope) == scope_id)
    if after:
        stmt = stmt.where(_after(listing))
    return stmt.order_by(*_ordering(listing)).limit(bindparam("limit"))


@lru_cache(maxsize=512)
def _page_query(listing: Listing, after: bool, parents: int, articles: ArticleColumns) -> Query:
    """Rows of the page of `listing` (built per shape: see Listing.shape), for one parent
    (`scope_id`) or, with `parents` > 1, for each of `scope_0` ... as (parent, row).

    Several parents' pages are one LIMIT query per parent glued with UNION ALL: each
    walks the index like a single page does, where ROW_NUMBER() over all parents would
    rank every article of every parent first."""
    plan_once = _walks_one_index(listing)
    if parents <= 1:
        page = _one_page(listing, after, bindparam("scope_id"), article_select(articles))
        return Query(page, plan_once)
    pages = [
        select(
            _one_page(
                listing,
                after,
                bindparam(f"scope_{n}"),
                select(ARTICLES.c.id, literal(n).label("parent")),
            ).subquery()
        )
        for n in range(parents)
    ]
    paged = union_all(*pages).subquery()
    return Query(
        article_select(articles, paged.c.parent)
        .join(paged, paged.c.id == ARTICLES.c.id)
        .order_by(paged.c.parent, *_ordering(listing)),
        plan_once,
    )


def _walks_one_index(listing: Listing) -> bool:
    """Whether a page of `listing` walks the same index for any values: published articles
    unfiltered, the site's or a parent's whose index leads with it (not a tag's, joined
    through its taggings), in an indexed order (app/data/sql.py: Query)."""
    if listing.filter != ArticleFilter():
        return False
    return listing.scope is None or (
        listing.scope is not Scope.TAG and listing.order is not ArticleOrder.VIEWS_DESC
    )


async def load_article_pages(
    keys: Sequence[PageKey],
    reads: Reads,
    now: datetime,
    articles: ArticleColumns = WHOLE_ARTICLES,
) -> list[list[Row]]:
    """Up to `first + 1` articles per key (the extra one tells whether a next page exists)."""
    groups: defaultdict[tuple[Listing, int, Cursor | None], list[Any]] = defaultdict(list)
    for key in keys:
        groups[key.listing, key.first, key.after].append(key.scope_id)
    pages: dict[PageKey, list[Row]] = {}
    for (listing, first, after), scope_ids in groups.items():
        values = {**filter_values(listing.filter), "limit": first + 1, "now": now}
        if after is not None:
            values.update(after_value=after.value, after_id=after.id)
        query = _page_query(listing.shape(), after is not None, len(scope_ids), articles)
        found: defaultdict[int | None, list[Row]] = defaultdict(list)
        if len(scope_ids) == 1:
            found[scope_ids[0]] = await reads.rows(query, scope_id=scope_ids[0], **values)
        else:
            parents = {f"scope_{n}": scope_id for n, scope_id in enumerate(scope_ids)}
            for row in await reads.rows(query, **parents, **values):
                found[scope_ids[row.parent]].append(row)
        for scope_id in scope_ids:
            pages[PageKey(listing, scope_id, first, after)] = found[scope_id]
    return [pages[key] for key in keys]


def scheduled_count(scope: Scope | None, parent_id: Any) -> Any:
    """SQL: how many published articles of the site, or of the parent `parent_id` (an
    author, category or tag), wait for their moment: the part of a tally readers do not
    see yet. Few, and found through the indexes on publication time."""
    scheduled = (
        select(func.count())
        .select_from(ARTICLES)
        .where(
            ARTICLES.c.status == ArticleStatus.PUBLISHED, ARTICLES.c.published_at > now_parameter()
        )
    )
    if scope is Scope.TAG:
        scheduled = scheduled.join(_taggings, _taggings.c.article_id == ARTICLES.c.id)
    if scope is not None:
        scheduled = scheduled.where(_scope_column(scope) == parent_id)
    return scheduled.scalar_subquery()


def _tally_query(listing: Listing) -> Query | None:
    """How many articles a reader's listing of the site, or of one author, category or tag,
    holds: from its tally (models/tally.py), without counting them. None for listings
    narrowed further (a language, dates, a stored status, two parents): those count."""
    f = listing.filter
    if any(v is not None for v in (f.status, f.language, f.published_after, f.published_before)):
        return None
    named = [
        (Scope.AUTHOR, "author_slug", f.author_slug),
        (Scope.CATEGORY, "category_slug", f.category_slug),
    ]
    named += [(Scope.TAG, f"tag_slug_{index}", slug) for index, slug in enumerate(f.tag_slugs)]
    parents = [(scope, name) for scope, name, value in named if value is not None]
    if len(parents) + (listing.scope is not None) > 1:
        return None
    tally = _tallies.c
    scope = listing.scope or (parents[0][0] if parents else None)
    count = tally.published - scheduled_count(scope, tally.scope_id)
    tallied = select(tally.scope_id.label("parent"), count.label("count")).where(
        tally.scope == (scope.value if scope else "site")
    )
    if listing.scope is not None:
        return Query(tallied.where(AnyOf(tally.scope_id, [], name="scope_ids")))
    parent_id = slug_id(_PARENT_TABLES[scope], bindparam(parents[0][1])) if scope else 0
    one = tallied.where(tally.scope_id == parent_id).with_only_columns(count).scalar_subquery()
    return Query(select(func.coalesce(one, 0).label("count")))  # no row: none published


@lru_cache(maxsize=512)
def _count_query(listing: Listing) -> Query:
    """How many articles a listing holds, per parent in `scope_ids` when it has a scope."""
    if tallied := _tally_query(listing):
        return tallied
    if listing.scope is None:
        count = select(func.count().label("count")).select_from(ARTICLES)
        return Query(_filtered(listing, count))
    scope = _scope_column(listing.scope)
    counts = select(scope.label("parent"), func.count().label("count")).select_from(ARTICLES)
    return Query(
        _filtered(listing, counts).where(AnyOf(scope, [], name="scope_ids")).group_by(scope)
    )


async def load_article_counts(keys: Sequence[CountKey], reads: Reads, now: datetime) -> list[int]:
    """How many articles each listing holds, one statement per distinct listing."""
    groups: defaultdict[Listing, list[int | None]] = defaultdict(list)
    for key in keys:
        groups[key.listing].append(key.scope_id)
    counts: dict[CountKey, int] = {}
    for listing, scope_ids in groups.items():
        query, values = _count_query(listing.shape()), {**filter_values(listing.filter), "now": now}
        if listing.scope is None:
            (row,) = await reads.rows(query, **values)
            counts[CountKey(listing, None)] = row.count
            continue
        rows = await reads.rows(query, scope_ids=scope_ids, **values)
        found = {row.parent: row.count for row in rows}
        for scope_id in scope_ids:
            counts[CountKey(listing, scope_id)] = found.get(scope_id, 0)
    return [counts[key] for key in keys]


_NEXT_PUBLICATION = Query(
    select(ARTICLES.c.published_at)
    .where(ARTICLES.c.status == ArticleStatus.PUBLISHED, ARTICLES.c.published_at > now_parameter())
    .order_by(ARTICLES.c.published_at)
    .limit(1),
    plan_once=True,
)


async def next_publication(reads: Reads, now: datetime) -> datetime | None:
    """When the next scheduled article appears: what readers see changes then, with no
    edit to announce it."""
    rows = await reads.rows(_NEXT_PUBLICATION, now=now)
    moment: datetime | None = rows[0].published_at if rows else None
    return moment
