from datetime import datetime

from sqlalchemy import BigInteger, Column, Float, Index
from sqlmodel import Field, SQLModel


def _count() -> Column[int]:
    return Column(BigInteger, nullable=False, server_default="0")


class ArticlePopularity(SQLModel, table=True):
    """Each article's views in every rolling window, and its trending score, kept up to date
    from the view buckets by app/popularity/rollup.py so that ranking reads an index, not
    the buckets."""

    __tablename__ = "article_popularity"
    __table_args__ = (
        Index("ix_article_popularity_hour", "views_hour", "article_id"),
        Index("ix_article_popularity_day", "views_day", "article_id"),
        Index("ix_article_popularity_week", "views_week", "article_id"),
        Index("ix_article_popularity_month", "views_month", "article_id"),
        Index("ix_article_popularity_trending", "trending", "article_id"),
    )

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    views_hour: int = Field(default=0, sa_column=_count())
    views_day: int = Field(default=0, sa_column=_count())
    views_week: int = Field(default=0, sa_column=_count())
    views_month: int = Field(default=0, sa_column=_count())
    # log2 of the time-decayed view count as of the rollup's fixed epoch: comparable
    # between articles whenever each was computed, since decay since then is shared.
    trending: float = Field(default=0.0, sa_column=Column(Float, nullable=False))


class PopularityDirty(SQLModel, table=True):
    """Articles whose popularity must be computed again: new views, or buckets that aged out."""

    __tablename__ = "popularity_dirty"

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")


class PopularityClock(SQLModel, table=True):
    """When popularity was last brought up to date (a single row)."""

    __tablename__ = "popularity_clock"

    id: int = Field(default=1, primary_key=True)
    refreshed_at: datetime
