"""Relay connections of articles, with keyset cursors."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.callers import Caller, Scope
from app.context import Info
from app.data import listing
from app.errors import BadUserInput, check_text
from models import ArticleStatus
from resolvers import hints
from resolvers.types.arguments import After, First
from resolvers.types.enums import described_enum

if TYPE_CHECKING:
    from resolvers.types.article import Article

MAX_TAG_SLUGS = 10

described_enum(
    listing.ArticleOrder,
    "How to sort articles.",
    PUBLISHED_AT_DESC="Newest first.",
    PUBLISHED_AT_ASC="Oldest first.",
    VIEWS_DESC="Most viewed of all time first.",
)
described_enum(
    ArticleStatus,
    "Where an article is in its life. Only published articles are on the site; callers "
    "with `content:write` see the others too.",
    DRAFT="Being written: never published, or not yet.",
    PUBLISHED="On the site, from its `publishedAt`.",
    ARCHIVED="Withdrawn from the site, kept; publishing it again restores it.",
)


@strawberry.type(
    description="Where a page sits in its listing, and how to ask for the next.",
    directives=[hints.CONTENT],
)
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Whether more follow: ask for them with `after: endCursor`."
    )
    has_previous_page: bool = strawberry.field(
        description="Whether this page came after a cursor, so that others precede it."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of this page's first item; null for an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of this page's last item, for the next page's `after`; "
        "null for an empty page."
    )

    @classmethod
    def of(cls, cursors: list[str], *, has_next_page: bool, after: str | None) -> "PageInfo":
        """Page info for a forward page: its edges' cursors and whether more follow."""
        return cls(
            has_next_page=has_next_page,
            has_previous_page=after is not None,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )


@strawberry.type(
    description="An article in a listing, with its position.", directives=[hints.CONTENT]
)
class ArticleEdge:
    cursor: str = strawberry.field(
        description="This article's position: pass it as `after` for the articles after it."
    )
    node: Annotated["Article", strawberry.lazy("resolvers.types.article")] = strawberry.field(
        description="The article at this position."
    )


@strawberry.type(description="A page of a listing of articles.", directives=[hints.LISTS])
class ArticleConnection:
    edges: list[ArticleEdge] = strawberry.field(description="The page's articles, in order.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and from where.")
    count_key: strawberry.Private[listing.CountKey]

    @strawberry.field(description="How many articles the whole listing holds, across all pages.")
    async def total_count(self, info: Info) -> int:
        return await info.context.loaders.article_count.load(self.count_key)


@strawberry.input(description="Narrows a listing; every given field must hold.")
class ArticleFilter:
    author_slug: str | None = strawberry.field(
        default=None, description="Only articles by the author with this slug."
    )
    category_slug: str | None = strawberry.field(
        default=None, description="Only articles in the category with this slug."
    )
    tag_slugs: list[str] | None = strawberry.field(
        default=None, description="Only articles carrying all of these tags (up to 10 slugs)."
    )
    language: str | None = strawberry.field(
        default=None, description="Only articles in this language: a BCP-47 code, e.g. `en`."
    )
    published_after: datetime | None = strawberry.field(
        default=None,
        description="Only articles published at or after this moment (UTC when it has no offset).",
    )
    published_before: datetime | None = strawberry.field(
        default=None,
        description="Only articles published before this moment (UTC when it has no offset).",
    )

    def to_listing_filter(self) -> listing.ArticleFilter:
        tag_slugs = sorted(set(self.tag_slugs or ()))
        if len(tag_slugs) > MAX_TAG_SLUGS:
            raise BadUserInput("filter.tagSlugs", f"at most {MAX_TAG_SLUGS} tags")
        return listing.ArticleFilter(
            author_slug=check_text(self.author_slug, "filter.authorSlug"),
            category_slug=check_text(self.category_slug, "filter.categorySlug"),
            tag_slugs=tuple(check_text(slug, "filter.tagSlugs") for slug in tag_slugs),
            language=check_text(self.language, "filter.language"),
            published_after=as_utc(self.published_after, "filter.publishedAfter"),
            published_before=as_utc(self.published_before, "filter.publishedBefore"),
        )


def as_utc(moment: datetime | None, argument: str) -> datetime | None:
    """A client's datetime in UTC; one without an offset is taken to be UTC already."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise BadUserInput(argument, "outside the range of dates") from None


async def article_connection(
    info: Info,
    *,
    first: int,
    after: str | None,
    filter: ArticleFilter | None,
    order_by: listing.ArticleOrder,
    status: ArticleStatus | None = None,
    scope: listing.Scope | None = None,
    scope_id: int | None = None,
) -> ArticleConnection:
    """One page of a listing, its cursors, and a lazily counted total."""
    listing.check_first(first)
    cursor = listing.decode_cursor(after, order_by) if after is not None else None
    criteria = filter.to_listing_filter() if filter else listing.ArticleFilter()
    criteria = replace(criteria, status=_status_for(info.context.caller, status))
    key = listing.Listing(criteria, order_by, scope)
    rows = await info.context.loaders.article_page.load(
        listing.PageKey(key, scope_id, first, cursor)
    )
    edges = [
        ArticleEdge(cursor=listing.encode_cursor(order_by, row), node=row) for row in rows[:first]
    ]
    return ArticleConnection(
        edges=edges,
        page_info=PageInfo.of(
            [edge.cursor for edge in edges], has_next_page=len(rows) > first, after=after
        ),
        count_key=listing.CountKey(key, scope_id),
    )


def _status_for(caller: Caller, status: ArticleStatus | None) -> ArticleStatus | None:
    """The stored status a listing keeps to, for this caller; None: what readers see.
    Other statuses than PUBLISHED are for callers with `content:write` (FORBIDDEN
    otherwise); to anyone else PUBLISHED means what readers see."""
    if caller.can(Scope.CONTENT_WRITE):
        return status
    if status not in (None, ArticleStatus.PUBLISHED):
        caller.require(Scope.CONTENT_WRITE)
    return None


FilterArgument = Annotated[
    ArticleFilter | None,
    strawberry.argument(description="Only articles that pass every condition given."),
]
OrderArgument = Annotated[
    listing.ArticleOrder, strawberry.argument(description="How to sort: newest first unless set.")
]
StatusArgument = Annotated[
    ArticleStatus | None,
    strawberry.argument(
        description="Only articles with this stored status, whatever their publication "
        "date: drafts, archived ones, or PUBLISHED ones including those scheduled for later "
        "(undated ones sort after every date). For callers with `content:write`; anyone "
        "else gets FORBIDDEN for a status other than PUBLISHED. Without it: what readers see."
    ),
]


def articles_field(scope: listing.Scope | None, description: str) -> Any:
    """An `articles` connection field: at the root, or of an author, category or tag."""

    async def articles(
        root: Any,
        info: Info,
        first: First = 20,
        after: After = None,
        filter: FilterArgument = None,
        order_by: OrderArgument = listing.ArticleOrder.PUBLISHED_AT_DESC,
        status: StatusArgument = None,
    ) -> ArticleConnection:
        return await article_connection(
            info,
            first=first,
            after=after,
            filter=filter,
            order_by=order_by,
            status=status,
            scope=scope,
            scope_id=root.pk if scope else None,
        )

    return strawberry.field(resolver=articles, description=description)
