"""Small async helpers that insert rows for a test, with sensible defaults."""

import itertools
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlmodel import col, select

import models
from app.db import SessionMaker
from app.gateway.auth import create_key, parse_scopes
from models.base import utcnow

_counter = itertools.count(1)


def _unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}"


async def make_author(sessionmaker: SessionMaker, **overrides: Any) -> models.Author:
    slug = overrides.pop("slug", None) or _unique("author")
    fields = {"slug": slug, "name": slug.replace("-", " ").title(), **overrides}
    return await _add(sessionmaker, models.Author(**fields))


async def make_category(sessionmaker: SessionMaker, **overrides: Any) -> models.Category:
    slug = overrides.pop("slug", None) or _unique("category")
    fields = {"slug": slug, "name": slug.title(), **overrides}
    return await _add(sessionmaker, models.Category(**fields))


async def make_tag(sessionmaker: SessionMaker, **overrides: Any) -> models.Tag:
    slug = overrides.pop("slug", None) or _unique("tag")
    fields = {"slug": slug, "name": slug.title(), **overrides}
    return await _add(sessionmaker, models.Tag(**fields))


async def make_article(
    sessionmaker: SessionMaker,
    *,
    author: models.Author | None = None,
    category: models.Category | None = None,
    tags: list[models.Tag] = (),  # type: ignore[assignment]
    published_at: datetime | None = None,
    **overrides: Any,
) -> models.Article:
    """A published article (unless `status` says otherwise), creating its author and category."""
    author = author or await make_author(sessionmaker)
    category = category or await make_category(sessionmaker)
    slug = overrides.pop("slug", None) or _unique("article")
    status = overrides.pop("status", models.ArticleStatus.PUBLISHED)
    if published_at is None and status != models.ArticleStatus.DRAFT:
        published_at = utcnow() - timedelta(minutes=next(_counter))
    body = overrides.pop("body", "Some words about the story.")
    article = models.Article(
        slug=slug,
        title=overrides.pop("title", slug.replace("-", " ").title()),
        summary=overrides.pop("summary", "A summary."),
        body=body,
        language=overrides.pop("language", "en"),
        status=status,
        published_at=published_at,
        reading_time_minutes=models.reading_time_minutes(body),
        author_id=pk(author),
        category_id=pk(category),
        **overrides,
    )
    article = await _add(sessionmaker, article)
    async with sessionmaker.begin() as session:
        session.add_all(models.ArticleTag(article_id=pk(article), tag_id=pk(tag)) for tag in tags)
    return article


async def add_views(
    sessionmaker: SessionMaker, article: models.Article, views: int, hours_ago: int = 0
) -> None:
    """Record `views` views of `article` in the bucket `hours_ago` hours back."""
    starts_at = models.bucket_start(utcnow() - timedelta(hours=hours_ago))
    async with sessionmaker.begin() as session:
        row = (
            await session.exec(select(models.Article).where(col(models.Article.id) == article.id))
        ).one()
        row.view_count += views
        # As the view writer does: queue the article for the popularity refresh.
        if await session.get(models.PopularityDirty, article.id) is None:
            session.add(models.PopularityDirty(article_id=pk(article)))
        bucket = await session.get(models.ArticleViewBucket, (article.id, starts_at))
        if bucket is None:
            session.add(
                models.ArticleViewBucket(article_id=pk(article), starts_at=starts_at, views=views)
            )
        else:
            bucket.views += views


Row = TypeVar("Row", models.Author, models.Category, models.Tag, models.Article)


async def _add(sessionmaker: SessionMaker, row: Row) -> Row:
    async with sessionmaker.begin() as session:
        session.add(row)
    return row


def pk(row: Any) -> int:
    """The primary key of a stored row."""
    assert row.id is not None
    return int(row.id)


async def make_api_key(
    sessionmaker: SessionMaker,
    scopes: str = "content:read",
    expires_at: datetime | None = None,
    name: str = "partner",
) -> str:
    """A new API key, as its holder would send it."""
    _, key = await create_key(sessionmaker, name, parse_scopes(scopes), expires_at)
    return key
