from typing import Self

import strawberry

import models
from app.context import Info
from app.data.listing import CountKey, Listing, Scope
from resolvers.types.node import Node, encode_id
from resolvers.types.pagination import articles_field


@strawberry.type(description="A subject an article is about; an article has several.")
class Tag(Node):
    slug: str = strawberry.field(
        description="The tag's unique name in URLs, as `city-hall`: filters take it."
    )
    name: str = strawberry.field(description="The name as shown to readers.")
    pk: strawberry.Private[int]

    articles = articles_field(
        Scope.TAG, "The published articles with this tag (or, for editors, those of a `status`)."
    )

    @strawberry.field(description="How many published articles carry this tag.")
    async def article_count(self, info: Info) -> int:
        return await info.context.loaders.article_count.load(self.count_key)

    @property
    def count_key(self) -> CountKey:
        return CountKey(Listing(scope=Scope.TAG), self.pk)

    @classmethod
    def from_model(cls, row: models.Tag) -> Self:
        assert row.id is not None
        return cls(id=encode_id("Tag", row.id), slug=row.slug, name=row.name, pk=row.id)
