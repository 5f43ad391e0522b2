import strawberry
from sqlalchemy import func, select

from app.context import Info
from app.data.entities import AUTHORS
from app.data.listing import Scope
from app.data.sql import Query
from resolvers.types.node import Node
from resolvers.types.pagination import PageInfo, articles_field

_COUNT = Query(select(func.count().label("count")).select_from(AUTHORS))


@strawberry.type
class Author(Node):
    slug: str
    name: str
    bio: str
    avatar_url: str | None

    articles = articles_field(Scope.AUTHOR, "Published articles of this author.")


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
        (row,) = await info.context.reads.rows(_COUNT)
        count: int = row.count
        return count
