from datetime import datetime
from typing import Annotated, Self

import strawberry

import models
from app.callers import Caller, Scope
from app.context import Info
from app.data.listing import check_first
from app.data.related import RelatedKey, related_terms
from app.popularity import windows
from resolvers.types.arguments import First
from resolvers.types.author import Author
from resolvers.types.category import Category
from resolvers.types.enums import described_enum
from resolvers.types.node import Node, encode_id
from resolvers.types.tag import Tag

described_enum(
    windows.Window,
    "A rolling window of view counts, exact to five minutes.",
    HOUR="The last 60 minutes.",
    DAY="The last 24 hours.",
    WEEK="The last 7 days.",
    MONTH="The last 30 days.",
    ALL_TIME="Every view ever counted.",
)


@strawberry.type(description="A news article, with its author, category, tags and views.")
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
        description="Views of all time, this moment's (the same as `views(window: ALL_TIME)`)."
    )
    status: models.ArticleStatus = strawberry.field(
        description="Published, or, for callers with `content:write`, draft or archived."
    )
    version: int = strawberry.field(
        description="Increases with every edit; an edit names the version it was made to."
    )
    pk: strawberry.Private[int]
    author_id: strawberry.Private[int]
    category_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.Article) -> Self:
        assert row.id is not None
        return cls(
            id=encode_id("Article", row.id),
            slug=row.slug,
            title=row.title,
            summary=row.summary,
            body=row.body,
            language=row.language,
            published_at=row.published_at,
            updated_at=row.updated_at,
            reading_time_minutes=row.reading_time_minutes,
            view_count=row.view_count,
            status=models.ArticleStatus(row.status),
            version=row.version,
            pk=row.id,
            author_id=row.author_id,
            category_id=row.category_id,
        )

    @classmethod
    def if_visible(cls, row: models.Article | None, caller: Caller) -> Self | None:
        """The article if the caller may see it: published, or any with `content:write`."""
        if row is None:
            return None
        if row.status != models.ArticleStatus.PUBLISHED and not caller.can(Scope.CONTENT_WRITE):
            return None
        return cls.from_model(row)

    @strawberry.field(description="Who wrote it.")
    async def author(self, info: Info) -> Author:
        row = await info.context.loaders.author_by_id.load(self.author_id)
        assert row is not None, "article.author_id is a foreign key"
        return Author.from_model(row)

    @strawberry.field(description="The section it belongs to.")
    async def category(self, info: Info) -> Category:
        row = await info.context.loaders.category_by_id.load(self.category_id)
        assert row is not None, "article.category_id is a foreign key"
        return Category.from_model(row)

    @strawberry.field(description="What it is about, by name.")
    async def tags(self, info: Info) -> list[Tag]:
        rows = await info.context.loaders.tags_by_article_id.load(self.pk)
        return [Tag.from_model(row) for row in rows]

    @strawberry.field(
        description="Views in a rolling window, this moment's (most viewed lists lag a few "
        "seconds behind)."
    )
    async def views(
        self,
        info: Info,
        window: Annotated[
            windows.Window, strawberry.argument(description="The window to count views in.")
        ],
    ) -> int:
        if window is windows.Window.ALL_TIME:
            return self.view_count
        return await info.context.loaders.views.load(windows.ViewsKey(self.pk, window))

    @strawberry.field(
        description="Other published articles readers of this one may want next: those "
        "sharing its rarer tags, published near it, with similar words in the title and "
        "summary, in the same category and language; then the newest of its category."
    )
    async def related(self, info: Info, first: First = 5) -> list["Article"]:
        check_first(first)
        terms = related_terms(self.title, self.summary)
        key = RelatedKey(self.pk, self.category_id, self.language, terms, first)
        rows = await info.context.loaders.related.load(key)
        return [Article.from_model(row) for row in rows]
