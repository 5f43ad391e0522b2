from typing import Self

import strawberry
from sqlalchemy import func
from sqlmodel import select

import models
from app.context import Info
from app.data.listing import Scope
from resolvers.types.node import Node, encode_id
from resolvers.types.pagination import PageInfo, articles_field


@strawberry.type(description="A writer of articles.")
class Author(Node):
    slug: str = strawberry.field(
        description="The author's unique name in URLs, as `siti-rahayu`: `author(slug:)` "
        "finds them."
    )
    name: str = strawberry.field(description="The name as shown in bylines.")
    bio: str = strawberry.field(description="A few lines about the author; may be empty.")
    avatar_url: str | None = strawberry.field(
        description="An https:// URL of the author's picture; null when there is none."
    )
    pk: strawberry.Private[int]

    articles = articles_field(
        Scope.AUTHOR, "This author's published articles (or, for editors, those of a `status`)."
    )

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


@strawberry.type(description="An author in the list, with their position.")
class AuthorEdge:
    cursor: str = strawberry.field(
        description="This author's position: pass it as `after` for the authors after them."
    )
    node: Author = strawberry.field(description="The author at this position.")


@strawberry.type(description="A page of the list of authors, by name.")
class AuthorConnection:
    edges: list[AuthorEdge] = strawberry.field(description="The page's authors, in order.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and from where.")

    @strawberry.field(description="How many authors there are, across all pages.")
    async def total_count(self, info: Info) -> int:
        async with info.context.read_sessionmaker() as session:
            return (await session.exec(select(func.count()).select_from(models.Author))).one()
