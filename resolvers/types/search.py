"""Search results: a connection whose edges carry relevance and a highlighted snippet."""

from typing import TYPE_CHECKING, Annotated

import strawberry

from app.data.search import SearchOrder
from resolvers.types.pagination import PageInfo

if TYPE_CHECKING:
    from resolvers.types.article import Article

strawberry.enum(SearchOrder, description="How to order search results.")


@strawberry.type
class SearchEdge:
    cursor: str
    node: Annotated["Article", strawberry.lazy("resolvers.types.article")]
    score: float = strawberry.field(
        description="Relevance: higher is more relevant. Comparable within one search only."
    )
    snippet: str = strawberry.field(
        description="HTML: a passage of the article with the matched words in <mark>, "
        "everything else escaped."
    )


@strawberry.type
class SearchConnection:
    edges: list[SearchEdge]
    page_info: PageInfo
