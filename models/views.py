from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

# Views are counted per article per UTC hour: a rolling 24-hour window is then exact
# to the hour, and a month of a busy article is at most 720 rows.
BUCKET = timedelta(hours=1)


def bucket_start(moment: datetime) -> datetime:
    """The start of the hourly bucket that holds `moment`."""
    return moment.replace(minute=0, second=0, microsecond=0)


class ArticleViewBucket(SQLModel, table=True):
    __tablename__ = "article_view_bucket"
    __table_args__ = (Index("ix_article_view_bucket_hour", "hour", "article_id"),)

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    hour: datetime = Field(primary_key=True)
    views: int = 0


class ArticleViewVisitor(SQLModel, table=True):
    """When a visitor's view of an article last counted, to count repeat views once."""

    __tablename__ = "article_view_visitor"
    __table_args__ = (Index("ix_article_view_visitor_counted", "counted_at"),)

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    visitor_id: str = Field(primary_key=True, max_length=128)
    # Unix seconds: plain integers compare and subtract alike on SQLite and PostgreSQL.
    counted_at: int = Field(sa_type=BigInteger)
