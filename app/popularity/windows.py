"""View windows: rolling sums of the hourly buckets, and the most viewed articles in a window."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import case, func
from sqlmodel import col, select

from app.db import AnyOf, SessionMaker
from app.visibility import public
from models import (
    Article,
    ArticlePopularity,
    ArticleViewBucket,
    Category,
    bucket_start,
)
from models.views import BUCKET


class Window(Enum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    ALL_TIME = "ALL_TIME"


SPANS = {
    Window.HOUR: timedelta(hours=1),
    Window.DAY: timedelta(days=1),
    Window.WEEK: timedelta(days=7),
    Window.MONTH: timedelta(days=30),
}


# Where article_popularity keeps each bounded window's count.
WINDOW_COLUMNS = {window: f"views_{window.value.lower()}" for window in SPANS}


def window_start(window: Window, now: datetime) -> datetime:
    """The first bucket of a bounded rolling window ending now.

    The current, partial bucket counts as one of the window's buckets, so HOUR is
    this five-minute bucket and the eleven before it.
    """
    return bucket_start(now) - SPANS[window] + BUCKET


@dataclass(frozen=True)
class ViewsKey:
    """Views of an article in a bounded window (all-time views are on the article row)."""

    article_id: int
    window: Window


async def load_views(
    keys: Sequence[ViewsKey], sessionmaker: SessionMaker, now: datetime
) -> list[int]:
    """Views of each article in each window: one statement for all windows of the batch."""
    windows = sorted({key.window for key in keys}, key=lambda window: SPANS[window])
    starts = [window_start(window, now) for window in windows]
    sums = [
        func.sum(
            case((col(ArticleViewBucket.starts_at) >= start, col(ArticleViewBucket.views)), else_=0)
        )
        for start in starts
    ]
    stmt = (
        select(col(ArticleViewBucket.article_id), *sums)
        .where(AnyOf(ArticleViewBucket.article_id, {key.article_id for key in keys}))
        .where(col(ArticleViewBucket.starts_at) >= min(starts))
        .group_by(col(ArticleViewBucket.article_id))
    )
    async with sessionmaker() as session:
        rows: Sequence[Any] = (await session.exec(stmt)).all()
    found = {
        ViewsKey(article_id, window): int(views or 0)
        for article_id, *counts in rows
        for window, views in zip(windows, counts, strict=True)
    }
    return [found.get(key, 0) for key in keys]


def ranking_column(window: Window | None) -> Any:
    """What to rank by: views in a window, all-time views, or (None) trending."""
    if window is Window.ALL_TIME:
        return col(Article.view_count)
    return getattr(ArticlePopularity, "trending" if window is None else WINDOW_COLUMNS[window])


async def ranked_articles(
    sessionmaker: SessionMaker,
    window: Window | None,
    first: int,
    now: datetime,
    category_slug: str | None = None,
    language: str | None = None,
) -> list[tuple[Article, float]]:
    """The `first` published articles most viewed in `window`, or trending (None), with
    their score, best first.

    Windows and trending come from article_popularity, which app/popularity/rollup.py keeps up to
    date, so this walks an index instead of summing buckets.
    """
    score = ranking_column(window)
    conditions = [public(now)]
    if window is not None:
        conditions.append(score > 0)
    if category_slug is not None:
        category_id = select(Category.id).where(Category.slug == category_slug).scalar_subquery()
        conditions.append(col(Article.category_id) == category_id)
    if language is not None:
        conditions.append(col(Article.language) == language)
    stmt = select(Article, score).where(*conditions)
    tiebreak = col(Article.id)
    if score.class_ is ArticlePopularity:
        stmt = stmt.join(ArticlePopularity, col(ArticlePopularity.article_id) == Article.id)
        tiebreak = col(ArticlePopularity.article_id)  # the popularity index's second column
    stmt = stmt.order_by(score.desc(), tiebreak.desc()).limit(first)
    async with sessionmaker() as session:
        return list((await session.exec(stmt)).all())
