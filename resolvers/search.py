"""The `search` root field."""

from typing import Annotated

import strawberry

from app.context import Info
from app.data import listing
from app.data.search import MAX_QUERY_LENGTH, MAX_TERMS, SearchOrder, search_articles
from resolvers.types.arguments import After, First
from resolvers.types.pagination import FilterArgument, PageInfo
from resolvers.types.search import SearchConnection, SearchEdge


async def search(
    info: Info,
    query: Annotated[
        str,
        strawberry.argument(
            description="What to look for, in web-search syntax: up to "
            f"{MAX_QUERY_LENGTH} characters and {MAX_TERMS} words or phrases."
        ),
    ],
    first: First = 20,
    after: After = None,
    filter: FilterArgument = None,
    order_by: Annotated[
        SearchOrder, strawberry.argument(description="How to sort: most relevant first unless set.")
    ] = SearchOrder.RELEVANCE,
) -> SearchConnection:
    """One page of search results (the field's description is in resolvers/schema.py)."""
    listing.check_first(first)
    info.context.read("articles")  # any edit may change what matches
    hits = await search_articles(
        info.context.reads,
        query,
        first=first,
        after=after,
        filter=filter.to_listing_filter() if filter else listing.ArticleFilter(),
        order=order_by,
        now=info.context.now,
        articles=info.context.loaders.article_columns,
        snippets=info.context.selects("SearchEdge", "snippet"),
    )
    info.context.loaders.prime_relations(hit.article for hit in hits)
    edges = [
        SearchEdge(
            cursor=hit.cursor,
            node=hit.article,
            score=hit.score,
            snippet=hit.snippet,
        )
        for hit in hits[:first]
    ]
    return SearchConnection(
        edges=edges,
        page_info=PageInfo.of(
            [edge.cursor for edge in edges], has_next_page=len(hits) > first, after=after
        ),
    )
