from typing import Self

import strawberry
from sqlalchemy import func
from sqlmodel import select

import models
from app.context import Info
from app.data.listing import Scope
from resolvers.types.node import Node, encode_id
from resolvers.types.pagination import PageInfo, articles_field


@strawberry.type
class Author(Node):
    slug: str
    name: str
    bio: str
    avatar_url: str | None
    pk: strawberry.Private[int]

    articles = articles_field(Scope.AUTHOR, "Published articles of this author.")

    @classmethod
    def from_model(cls, row: models.Author) -> Self:
        assert row.id is not None
        return cls(
            id=encode_id("Author", row.id),
            slug=row.slug,
            name=row.name,
            bio=row.bio,
            avatar_url=row.avatar_url,
            pk=row.id,
        )


@strawberry.type
class AuthorEdge:
    cursor: str
    node: Author


@strawberry.type
class AuthorConnection:
    edges: list[AuthorEdge]
    page_info: PageInfo

    @strawberry.field(description="How many authors there are, across all pages.")
    async def total_count(self, info: Info) -> int:
        async with info.context.read_sessionmaker() as session:
            return (await session.exec(select(func.count()).select_from(models.Author))).one()
