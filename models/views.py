from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

# Views are counted per article per five minutes: rolling windows, the last hour
# included, are exact to five minutes, and a month of a busy article is 8,640 rows.
BUCKET = timedelta(minutes=5)


def bucket_start(moment: datetime) -> datetime:
    """The start of the five-minute bucket that holds `moment`."""
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)


class ArticleViewBucket(SQLModel, table=True):
    __tablename__ = "article_view_bucket"
    __table_args__ = (Index("ix_article_view_bucket_starts_at", "starts_at", "article_id"),)

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    starts_at: datetime = Field(primary_key=True)
    views: int = 0


class ArticleViewVisitor(SQLModel, table=True):
    """When a visitor's view of an article last counted, to count repeat views once."""

    __tablename__ = "article_view_visitor"
    __table_args__ = (Index("ix_article_view_visitor_counted", "counted_at"),)

    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    visitor_id: str = Field(primary_key=True, max_length=128)
    # Unix seconds: plain integers compare and subtract alike on SQLite and PostgreSQL.
    counted_at: int = Field(sa_type=BigInteger)
