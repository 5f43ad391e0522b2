"""Root fields for popularity: the most viewed articles."""

from app import popularity
from app.context import Info
from app.errors import check_text
from app.listing import check_first
from resolvers.types.article import Article as ArticleType
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
