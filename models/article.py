import math
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from models.base import utcnow

WORDS_PER_MINUTE = 200


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


def reading_time_minutes(body: str) -> int:
    """Minutes an average reader needs for a body of Markdown, at least one."""
    return max(1, math.ceil(len(body.split()) / WORDS_PER_MINUTE))


class Article(SQLModel, table=True):
    # Every listing filters on status first and pages by (sort key, id): these
    # indexes serve each filter of `articles` in both directions.
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status"),
        CheckConstraint(
            "status <> 'published' OR published_at IS NOT NULL", name="published_has_date"
        ),
        Index("ix_article_status_published", "status", "published_at", "id"),
        Index("ix_article_status_views", "status", "view_count", "id"),
        Index("ix_article_author_published", "author_id", "status", "published_at", "id"),
        Index("ix_article_category_published", "category_id", "status", "published_at", "id"),
        Index("ix_article_language_published", "language", "status", "published_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=200, unique=True)
    title: str = Field(max_length=300)
    summary: str = Field(default="")
    body: str = Field(default="")
    language: str = Field(max_length=35)
    status: str = Field(default=ArticleStatus.DRAFT, max_length=16)
    published_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    reading_time_minutes: int = Field(default=1)
    author_id: int = Field(foreign_key="author.id")
    category_id: int = Field(foreign_key="category.id")
    # All-time total, kept in step with article_view_bucket by every view write.
    view_count: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0")
    )
    # Bumped by every edit: an edit names the version it started from, and is refused
    # if another landed since (optimistic concurrency). View counts do not bump it.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class ArticleTag(SQLModel, table=True):
    __tablename__ = "article_tag"
    # A tag's articles by date: for tag listings, and for related news near a date.
    __table_args__ = (
        Index("ix_article_tag_tag_published", "tag_id", "published_at", "article_id"),
    )

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, ondelete="CASCADE")
    # The article's, copied by a database trigger on every write (see the migration
    # related_signals): related news finds a tag's articles near a date by this index.
    published_at: datetime | None = None
