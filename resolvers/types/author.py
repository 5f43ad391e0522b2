import strawberry
from sqlalchemy import func, select

from app.context import Info
from app.data.entities import AUTHORS
from app.data.listing import Scope
from app.data.sql import Query
from resolvers import hints
from resolvers.types.node import Node
from resolvers.types.pagination import PageInfo, articles_field

_COUNT = Query(select(func.count().label("count")).select_from(AUTHORS))


@strawberry.type(description="A writer of articles.", directives=[hints.CONTENT])
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

    articles = articles_field(
        Scope.AUTHOR, "This author's published articles (or, for editors, those of a `status`)."
    )


@strawberry.type(
    description="An author in the list, with their position.", directives=[hints.CONTENT]
)
class AuthorEdge:
    cursor: str = strawberry.field(
        description="This author's position: pass it as `after` for the authors after them."
    )
    node: Author = strawberry.field(description="The author at this position.")


@strawberry.type(description="A page of the list of authors, by name.", directives=[hints.CONTENT])
class AuthorConnection:
    edges: list[AuthorEdge] = strawberry.field(description="The page's authors, in order.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and from where.")

    @strawberry.field(description="How many authors there are, across all pages.")
    async def total_count(self, info: Info) -> int:
        (row,) = await info.context.reads.rows(_COUNT)
        count: int = row.count
        return count
