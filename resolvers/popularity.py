"""Root fields for popularity: the most viewed articles, and what is trending now."""

from datetime import timedelta

from app.context import Info
from app.data.listing import check_first
from app.errors import check_text
from app.popularity import windows
from app.popularity.rollup import trending_score
from models import Article as ArticleRow
from resolvers.types.article import Article
from resolvers.types.popular_article import PopularArticle, TrendingArticle


async def popular_articles(
    info: Info,
    window: windows.Window = windows.Window.DAY,
    first: int = 10,
    category_slug: str | None = None,
    language: str | None = None,
) -> list[PopularArticle]:
    """The most viewed published articles in a rolling window, most viewed first.

    Up to a few seconds behind the views (NEWSGATE_POPULARITY_REFRESH_SECONDS)."""
    ranked = await _ranked(info, window, first, category_slug, language)
    return [
        PopularArticle(article=Article.from_model(row), views=int(views), rank=rank)
        for rank, (row, views) in enumerate(ranked, start=1)
    ]


async def trending_articles(
    info: Info, first: int = 10, category_slug: str | None = None, language: str | None = None
) -> list[TrendingArticle]:
    """Published articles by views that fade with time (half-life 12 hours by default), so a
    story read now beats one that was big last week."""
    ranked = await _ranked(info, None, first, category_slug, language)
    half_life = timedelta(hours=info.context.settings.trending_half_life_hours)
    return [
        TrendingArticle(
            article=Article.from_model(row),
            score=trending_score(stored, info.context.now, half_life),
            rank=rank,
        )
        for rank, (row, stored) in enumerate(ranked, start=1)
    ]


async def _ranked(
    info: Info,
    window: windows.Window | None,
    first: int,
    category_slug: str | None,
    language: str | None,
) -> list[tuple[ArticleRow, float]]:
    return await windows.ranked_articles(
        info.context.read_sessionmaker,
        window,
        check_first(first),
        info.context.now,
        category_slug=check_text(category_slug, "categorySlug"),
        language=check_text(language, "language"),
    )
