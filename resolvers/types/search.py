"""Search results: a connection whose edges carry relevance and a highlighted snippet."""

from typing import TYPE_CHECKING, Annotated

import strawberry

from app.data.search import CANDIDATES, SearchOrder
from resolvers import hints
from resolvers.types.enums import described_enum
from resolvers.types.pagination import PageInfo

if TYPE_CHECKING:
    from resolvers.types.article import Article

described_enum(
    SearchOrder,
    "How to order search results.",
    RELEVANCE=f"Most relevant first, among the newest {CANDIDATES} matches.",
    NEWEST="Newest first, among every match.",
)


@strawberry.type(
    description="An article that matches the search, and why.", directives=[hints.LISTS]
)
class SearchEdge:
    cursor: str = strawberry.field(
        description="This result's position: pass it as `after` for the results after it."
    )
    node: Annotated["Article", strawberry.lazy("resolvers.types.article")] = strawberry.field(
        description="The matching article."
    )
    score: float = strawberry.field(
        description="Relevance: higher is more relevant. Comparable within one search only."
    )
    snippet: str = strawberry.field(
        description="HTML: a passage of the article with the matched words in <mark>, "
        "everything else escaped."
    )


@strawberry.type(description="A page of search results.", directives=[hints.LISTS])
class SearchConnection:
    edges: list[SearchEdge] = strawberry.field(description="The page's results, in order.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and from where.")
