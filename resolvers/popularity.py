"""Root fields for popularity: the most viewed articles, and what is trending now."""

from datetime import timedelta
from typing import Annotated

import strawberry

from app.context import Info
from app.data import popularity
from app.data.listing import check_first
from app.data.sql import Row
from app.errors import check_text
from app.popularity.rollup import trending_score
from resolvers.types.arguments import CategorySlug, First, Language
from resolvers.types.popular_article import PopularArticle, TrendingArticle


async def popular_articles(
    info: Info,
    window: Annotated[
        popularity.Window, strawberry.argument(description="The window to count views in.")
    ] = popularity.Window.DAY,
    first: First = 10,
    category_slug: CategorySlug = None,
    language: Language = None,
) -> list[PopularArticle]:
    """The most viewed published articles in a rolling window, most viewed first; a few
    seconds behind the views."""
    ranked = await _ranked(info, window, first, category_slug, language)
    return [
        PopularArticle(article=row, views=int(row.score), rank=rank)
        for rank, row in enumerate(ranked, start=1)
    ]


async def trending_articles(
    info: Info, first: First = 10, category_slug: CategorySlug = None, language: Language = None
) -> list[TrendingArticle]:
    """Published articles by views that fade with time (half-life 12 hours by default), so a
    story read now beats one that was big last week; a few seconds behind the views."""
    ranked = await _ranked(info, None, first, category_slug, language)
    half_life = timedelta(hours=info.context.settings.trending_half_life_hours)
    return [
        TrendingArticle(
            article=row, score=trending_score(row.score, info.context.now, half_life), rank=rank
        )
        for rank, row in enumerate(ranked, start=1)
    ]


async def _ranked(
    info: Info,
    window: popularity.Window | None,
    first: int,
    category_slug: str | None,
    language: str | None,
) -> list[Row]:
    rows = await popularity.ranked_articles(
        info.context.reads,
        window,
        check_first(first),
        info.context.now,
        category_slug=check_text(category_slug, "categorySlug"),
        language=check_text(language, "language"),
        articles=info.context.loaders.article_columns,
    )
    info.context.loaders.prime_relations(rows)
    return rows
