"""Root fields for popularity: the most viewed articles, and counting a view."""

import strawberry
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from app import popularity
from app.context import Info
from app.errors import NotFound, check_text
from app.listing import check_first
from models import Article, ArticleStatus, ArticleViewBucket, bucket_start
from resolvers.types.article import Article as ArticleType
from resolvers.types.node import decode_id_of
from resolvers.types.popular_article import PopularArticle


async def popular_articles(
    info: Info,
    window: popularity.Window = popularity.Window.DAY,
    first: int = 10,
    category_slug: str | None = None,
    language: str | None = None,
) -> list[PopularArticle]:
    """The most viewed published articles in a rolling window, most viewed first."""
    ranked = await popularity.most_viewed(
        info.context.read_sessionmaker,
        window,
        info.context.now,
        check_first(first),
        category_slug=check_text(category_slug, "categorySlug"),
        language=check_text(language, "language"),
    )
    return [
        PopularArticle(article=ArticleType.from_model(row), views=views, rank=rank)
        for rank, (row, views) in enumerate(ranked, start=1)
    ]


@strawberry.type
class RecordViewPayload:
    article: ArticleType = strawberry.field(description="The viewed article, this view counted.")


async def record_view(info: Info, article_id: strawberry.ID) -> RecordViewPayload:
    """Count one view of a published article, in its all-time total and its hourly bucket."""
    pk = decode_id_of("Article", article_id, "articleId")
    async with info.context.sessionmaker.begin() as session:
        counted = await session.exec(
            update(Article)
            .where(col(Article.id) == pk, col(Article.status) == ArticleStatus.PUBLISHED)
            .values(view_count=col(Article.view_count) + 1)
        )
        if counted.rowcount != 1:
            raise NotFound(f"No published article has the ID {article_id!r}.", argument="articleId")
        connection = await session.connection()
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        bucket = dialect.insert(ArticleViewBucket).values(
            article_id=pk, hour=bucket_start(info.context.now), views=1
        )
        await session.exec(
            bucket.on_conflict_do_update(
                index_elements=["article_id", "hour"],
                set_={"views": ArticleViewBucket.views + 1},
            )
        )
        row = (await session.exec(select(Article).where(col(Article.id) == pk))).one()
    # Later fields of this request must see the view: refresh what the loaders hold.
    loaders = info.context.loaders
    loaders.article_by_id.prime(pk, row, force=True)
    loaders.article_by_slug.prime(row.slug, row, force=True)
    loaders.views.clear_all()
    return RecordViewPayload(article=ArticleType.from_model(row))
