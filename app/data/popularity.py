"""View windows: rolling sums of the hourly buckets, and the most viewed articles in a window."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, case, func, select

from app.data.entities import ARTICLES, CATEGORIES, WHOLE_ARTICLES, ArticleColumns, article_select
from app.data.sql import Query, Reads, Row
from app.db import AnyOf
from app.visibility import now_parameter, public
from models import ArticlePopularity, ArticleViewBucket, bucket_start
from models.views import BUCKET

_buckets: Table = ArticleViewBucket.__table__  # type: ignore[attr-defined]
_popularity: Table = ArticlePopularity.__table__  # type: ignore[attr-defined]


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


@lru_cache(maxsize=64)
def _views_query(windows: tuple[Window, ...]) -> Query:
    """Views of articles (`keys`) in each of `windows`, from `start_0`, `start_1`, ..."""
    starts = [bindparam(f"start_{n}", type_=_buckets.c.starts_at.type) for n in range(len(windows))]
    sums = [
        func.sum(case((_buckets.c.starts_at >= start, _buckets.c.views), else_=0)).label(
            f"views_{n}"
        )
        for n, start in enumerate(starts)
    ]
    return Query(
        select(_buckets.c.article_id, *sums)
        .where(AnyOf(_buckets.c.article_id, [], name="keys"))
        .where(_buckets.c.starts_at >= bindparam("earliest", type_=_buckets.c.starts_at.type))
        .group_by(_buckets.c.article_id),
        plan_once=True,  # one table, read by its primary key
    )


async def load_views(keys: Sequence[ViewsKey], reads: Reads, now: datetime) -> list[int]:
    """Views of each article in each window: one statement for all windows of the batch."""
    windows = tuple(sorted({key.window for key in keys}, key=lambda window: SPANS[window]))
    starts = {f"start_{n}": window_start(window, now) for n, window in enumerate(windows)}
    rows = await reads.rows(
        _views_query(windows),
        keys=sorted({key.article_id for key in keys}),
        earliest=min(starts.values()),
        **starts,
    )
    found = {
        ViewsKey(row.article_id, window): int(getattr(row, f"views_{n}") or 0)
        for row in rows
        for n, window in enumerate(windows)
    }
    return [found.get(key, 0) for key in keys]


def ranking_column(window: Window | None) -> Any:
    """What to rank by: views in a window, all-time views, or (None) trending."""
    if window is Window.ALL_TIME:
        return ARTICLES.c.view_count
    return _popularity.c["trending" if window is None else WINDOW_COLUMNS[window]]


@lru_cache(maxsize=64)
def _ranked_query(
    window: Window | None, category: bool, language: bool, articles: ArticleColumns
) -> Query:
    score = ranking_column(window)
    conditions = [public(now_parameter())]
    if window is not None:
        conditions.append(score > 0)
    if category:
        category_id = select(CATEGORIES.c.id).where(CATEGORIES.c.slug == bindparam("category"))
        conditions.append(ARTICLES.c.category_id == category_id.scalar_subquery())
    if language:
        conditions.append(ARTICLES.c.language == bindparam("language"))
    stmt = article_select(articles, score.label("score")).where(*conditions)
    tiebreak = ARTICLES.c.id
    if score.table is _popularity:
        stmt = stmt.join(_popularity, _popularity.c.article_id == ARTICLES.c.id)
        tiebreak = _popularity.c.article_id  # the popularity index's second column
    # Unnarrowed, the ranking's index is walked in its order for any values.
    plain = not (category or language)
    return Query(stmt.order_by(score.desc(), tiebreak.desc()).limit(bindparam("first")), plain)


async def ranked_articles(
    reads: Reads,
    window: Window | None,
    first: int,
    now: datetime,
    category_slug: str | None = None,
    language: str | None = None,
    articles: ArticleColumns = WHOLE_ARTICLES,
) -> list[Row]:
    """The `first` published articles most viewed in `window`, or trending (None), each
    with its `score`, best first.

    Windows and trending come from article_popularity, which app/popularity/rollup.py
    keeps up to date, so this walks an index instead of summing buckets.
    """
    query = _ranked_query(window, category_slug is not None, language is not None, articles)
    return await reads.rows(query, first=first, now=now, category=category_slug, language=language)
