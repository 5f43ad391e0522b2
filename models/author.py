from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import utcnow


class Author(SQLModel, table=True):
    __table_args__ = (Index("ix_author_name", "name", "id"),)  # `authors` pages by name

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True)
    name: str = Field(max_length=200)
    bio: str = Field(default="")
    avatar_url: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
