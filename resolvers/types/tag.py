import strawberry

from app.context import Info
from app.data.listing import CountKey, Listing, Scope
from resolvers.types.node import Node
from resolvers.types.pagination import articles_field


@strawberry.type
class Tag(Node):
    slug: str
    name: str

    articles = articles_field(Scope.TAG, "Published articles of this tag.")

    @strawberry.field(description="How many published articles carry this tag.")
    async def article_count(self, info: Info) -> int:
        return await info.context.loaders.article_count.load(tag_count_key(self.pk))


def tag_count_key(pk: int) -> CountKey:
    return CountKey(Listing(scope=Scope.TAG), pk)
