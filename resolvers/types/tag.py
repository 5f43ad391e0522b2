import strawberry

from app.context import Info
from app.data.listing import CountKey, Listing, Scope
from resolvers import hints
from resolvers.types.node import Node
from resolvers.types.pagination import articles_field


@strawberry.type(
    description="A subject an article is about; an article has several.",
    directives=[hints.CONTENT],
)
class Tag(Node):
    slug: str = strawberry.field(
        description="The tag's unique name in URLs, as `city-hall`: filters take it."
    )
    name: str = strawberry.field(description="The name as shown to readers.")

    articles = articles_field(
        Scope.TAG, "The published articles with this tag (or, for editors, those of a `status`)."
    )

    @strawberry.field(description="How many published articles carry this tag.")
    async def article_count(self, info: Info) -> int:
        return await info.context.loaders.article_count.load(tag_count_key(self.pk))


def tag_count_key(pk: int) -> CountKey:
    return CountKey(Listing(scope=Scope.TAG), pk)
