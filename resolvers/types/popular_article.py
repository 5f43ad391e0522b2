import strawberry

from resolvers import hints
from resolvers.types.article import Article


@strawberry.type(
    description="An article's place among the most viewed in a window.",
    directives=[hints.POPULARITY],
)
class PopularArticle:
    article: Article = strawberry.field(description="The article at this rank.")
    views: int = strawberry.field(description="Views in the requested window.")
    rank: int = strawberry.field(description="1 for the most viewed.")


@strawberry.type(
    description="An article's place among those trending now.", directives=[hints.POPULARITY]
)
class TrendingArticle:
    article: Article = strawberry.field(description="The article at this rank.")
    score: float = strawberry.field(
        description="Views, each counted as 2^(-age / half-life): recent views weigh most."
    )
    rank: int = strawberry.field(description="1 for the most trending.")
