from datetime import datetime
from typing import Self

import strawberry

import models
from app.callers import Caller
from app.context import Info
from app.data.listing import check_first
from app.data.related import RelatedKey
from app.popularity import windows
from app.visibility import can_see
from resolvers.types.author import Author
from resolvers.types.category import Category
from resolvers.types.node import Node, encode_id
from resolvers.types.tag import Tag

strawberry.enum(
    models.ArticleStatus,
    description="Only published articles are on the site; drafts and archived ones are "
    "visible to callers with `content:write`.",
)
strawberry.enum(
    windows.Window,
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
    def if_visible(cls, row: models.Article | None, caller: Caller, now: datetime) -> Self | None:
        """The article if the caller may see it at `now` (app/visibility.py)."""
        return cls.from_model(row) if row is not None and can_see(caller, row, now) else None

    @strawberry.field
    async def author(self, info: Info) -> Author:
        row = await info.context.loaders.author_by_id.load(self.author_id)
        assert row is not None, "article.author_id is a foreign key"
        return Author.from_model(row)

    @strawberry.field
    async def category(self, info: Info) -> Category:
        row = await info.context.loaders.category_by_id.load(self.category_id)
        assert row is not None, "article.category_id is a foreign key"
        return Category.from_model(row)

    @strawberry.field
    async def tags(self, info: Info) -> list[Tag]:
        rows = await info.context.loaders.tags_by_article_id.load(self.pk)
        return [Tag.from_model(row) for row in rows]

    @strawberry.field(description="Views in a rolling window.")
    async def views(self, info: Info, window: windows.Window) -> int:
        if window is windows.Window.ALL_TIME:
            return self.view_count
        return await info.context.loaders.views.load(windows.ViewsKey(self.pk, window))

    @strawberry.field(
        description="Other published articles readers of this one may want next: other "
        "reports of the same story, found by the words of their title, summary and body, "
        "then shared rarer tags, category, language and nearness in time. Up to 20, "
        "updated within seconds of a change; fewer, or none, when fewer are related."
    )
    async def related(self, info: Info, first: int = 5) -> list["Article"]:
        check_first(first)
        key = RelatedKey(self.pk, first)
        rows = await info.context.loaders.related.load(key)
        return [Article.from_model(row) for row in rows]
