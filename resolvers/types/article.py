from collections.abc import Awaitable
from datetime import datetime

import strawberry

import models
from app.callers import Caller, Scope
from app.context import Info
from app.data import popularity
from app.data.listing import check_first
from app.data.related import RelatedKey, related_terms
from app.data.sql import Row
from resolvers.types.author import Author
from resolvers.types.category import Category
from resolvers.types.node import Node
from resolvers.types.tag import Tag

strawberry.enum(
    models.ArticleStatus,
    description="Only published articles are on the site; drafts and archived ones are "
    "visible to callers with `content:write`.",
)
strawberry.enum(
    popularity.Window,
    description="A rolling window of view counts, exact to five minutes: "
    "the last hour, 24 hours, 7 days, 30 days, or ever.",
)


@strawberry.type
class Article(Node):
    slug: str
    title: str
    summary: str
    body: str = strawberry.field(description="Markdown.")
    language: str = strawberry.field(description="BCP-47 language code, e.g. `en` or `id`.")
    published_at: datetime | None
    updated_at: datetime
    reading_time_minutes: int
    view_count: int = strawberry.field(description="Views of all time.")
    status: models.ArticleStatus
    version: int = strawberry.field(
        description="Increases with every edit; an edit names the version it was made to."
    )
    author_id: strawberry.Private[int]
    category_id: strawberry.Private[int]

    # Fields that load return the loader's future rather than awaiting it in a coroutine:
    # the executor awaits a whole list's futures at once, with no task per article.
    @strawberry.field(graphql_type=Author)
    def author(self, info: Info) -> Awaitable[Row]:
        return info.context.loaders.author_by_id.load(self.author_id)

    @strawberry.field(graphql_type=Category)
    def category(self, info: Info) -> Awaitable[Row]:
        return info.context.loaders.category_by_id.load(self.category_id)

    @strawberry.field(graphql_type=list[Tag])
    def tags(self, info: Info) -> Awaitable[list[Row]]:
        return info.context.loaders.tags_by_article_id.load(self.pk)

    @strawberry.field(description="Views in a rolling window.", graphql_type=int)
    def views(self, info: Info, window: popularity.Window) -> Awaitable[int] | int:
        if window is popularity.Window.ALL_TIME:
            return self.view_count
        return info.context.loaders.views.load(popularity.ViewsKey(self.pk, window))

    @strawberry.field(
        description="Other published articles readers of this one may want next: those "
        "sharing its rarer tags, published near it, with similar words in the title and "
        "summary, in the same category and language; then the newest of its category.",
        graphql_type=list["Article"],
    )
    def related(self, info: Info, first: int = 5) -> Awaitable[list[Row]]:
        check_first(first)
        terms = related_terms(self.title, self.summary)
        key = RelatedKey(self.pk, self.category_id, self.language, terms, first)
        return info.context.loaders.related.load(key)


def visible(row: Row | None, caller: Caller) -> Row | None:
    """The article if the caller may see it: published, or any with `content:write`."""
    if row is None:
        return None
    if row.status != models.ArticleStatus.PUBLISHED and not caller.can(Scope.CONTENT_WRITE):
        return None
    return row
