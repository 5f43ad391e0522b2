from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated

import strawberry

import models
from app.callers import Caller
from app.context import Info
from app.data import popularity
from app.data.listing import check_first
from app.data.related import RelatedKey
from app.data.sql import Row
from app.visibility import can_see
from resolvers import hints
from resolvers.types.arguments import First
from resolvers.types.author import Author
from resolvers.types.category import Category
from resolvers.types.enums import described_enum
from resolvers.types.node import Node
from resolvers.types.tag import Tag

described_enum(
    popularity.Window,
    "A rolling window of view counts, exact to five minutes.",
    HOUR="The last 60 minutes.",
    DAY="The last 24 hours.",
    WEEK="The last 7 days.",
    MONTH="The last 30 days.",
    ALL_TIME="Every view ever counted.",
)


@strawberry.type(
    description="A news article, with its author, category, tags and views.",
    directives=[hints.CONTENT],
)
class Article(Node):
    slug: str = strawberry.field(
        description="The article's unique name in URLs, as `city-budget-passes`: "
        "`article(slug:)` finds it."
    )
    title: str = strawberry.field(description="The headline.")
    summary: str = strawberry.field(
        description="A sentence or two for cards and previews; may be empty."
    )
    body: str = strawberry.field(description="The full text, in Markdown.")
    language: str = strawberry.field(description="BCP-47 language code, e.g. `en` or `id`.")
    published_at: datetime | None = strawberry.field(
        description="When it first went on the site (publishing again keeps it); null for "
        "an article never published."
    )
    updated_at: datetime = strawberry.field(
        description="When it was last edited, published or archived; views do not count."
    )
    reading_time_minutes: int = strawberry.field(
        description="Minutes an average reader needs for the body, at 200 words a minute: "
        "at least 1."
    )
    view_count: int = strawberry.field(
        description="Views of all time, this moment's (the same as `views(window: ALL_TIME)`).",
        directives=[hints.VIEWS],
    )
    status: models.ArticleStatus = strawberry.field(
        description="Published, or, for callers with `content:write`, draft or archived."
    )
    version: int = strawberry.field(
        description="Increases with every edit; an edit names the version it was made to."
    )
    author_id: strawberry.Private[int]
    category_id: strawberry.Private[int]

    # Fields that load return the loader's future rather than awaiting it in a coroutine:
    # the executor awaits a whole list's futures at once, with no task per article.
    @strawberry.field(description="Who wrote it.", graphql_type=Author)
    def author(self, info: Info) -> Awaitable[Row]:
        return info.context.loaders.author_by_id.load(self.author_id)

    @strawberry.field(description="The section it belongs to.", graphql_type=Category)
    def category(self, info: Info) -> Awaitable[Row]:
        return info.context.loaders.category_by_id.load(self.category_id)

    @strawberry.field(description="What it is about, by name.", graphql_type=list[Tag])
    def tags(self, info: Info) -> Awaitable[list[Row]]:
        return info.context.loaders.tags_by_article_id.load(self.pk)

    @strawberry.field(
        description="Views in a rolling window, this moment's (most viewed lists lag a few "
        "seconds behind).",
        graphql_type=int,
        directives=[hints.VIEWS],
    )
    def views(
        self,
        info: Info,
        window: Annotated[
            popularity.Window, strawberry.argument(description="The window to count views in.")
        ],
    ) -> Awaitable[int] | int:
        if window is popularity.Window.ALL_TIME:
            return self.view_count
        return info.context.loaders.views.load(popularity.ViewsKey(self.pk, window))

    @strawberry.field(
        description="Other published articles readers of this one may want next: other "
        "reports of the same story, found by the words of their title, summary and body, "
        "then shared rarer tags, category, language and nearness in time. Up to 20, "
        "updated within seconds of a change; fewer, or none, when fewer are related.",
        graphql_type=list["Article"],
    )
    def related(self, info: Info, first: First = 5) -> Awaitable[list[Row]]:
        check_first(first)
        return info.context.loaders.related.load(RelatedKey(self.pk, first))


def visible(row: Row | None, caller: Caller, now: datetime) -> Row | None:
    """The article if the caller may see it at `now` (app/visibility.py)."""
    return row if row is not None and can_see(caller, row, now) else None
