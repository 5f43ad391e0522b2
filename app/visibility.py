"""Who sees an article: the one rule every read path applies.

Readers see an article once it is published and its moment (`published_at`) has come; a
publication dated in the future is scheduled (an embargo) and stays invisible until then,
in every listing, search, related list and ranking. Callers with `content:write` also see
drafts, archived and scheduled articles where a single article is asked for.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam

from app.callers import Caller, Scope
from models import Article, ArticleStatus

_article_table: Any = Article.__table__  # type: ignore[attr-defined]


def now_parameter() -> BindParameter[datetime]:
    """The moment as a parameter named `now`, for statements built once and run often:
    run them with `params={"now": ...}`."""
    return bindparam("now", type_=_article_table.c.published_at.type)


def public(now: datetime | BindParameter[datetime], articles: Any = None) -> ColumnElement[bool]:
    """SQL: the article is on the site at `now`. `articles` is the article table or an
    alias of it (the table by default)."""
    columns = (articles if articles is not None else _article_table).c
    return and_(columns.status == ArticleStatus.PUBLISHED, columns.published_at <= now)


def is_public(article: Article, now: datetime) -> bool:
    return (
        article.status == ArticleStatus.PUBLISHED
        and article.published_at is not None
        and article.published_at <= now
    )


def sees_unpublished(caller: Caller) -> bool:
    """Whether `caller` sees drafts, archived and scheduled articles too: its answers
    are not everyone's."""
    return caller.can(Scope.CONTENT_WRITE)


def can_see(caller: Caller, article: Article, now: datetime) -> bool:
    """Whether `caller` may see `article` asked for by its ID or slug."""
    return is_public(article, now) or sees_unpublished(caller)
