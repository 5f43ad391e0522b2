from typing import Self

import strawberry

import models
from app.data.listing import Scope
from resolvers.types.node import Node, encode_id
from resolvers.types.pagination import articles_field


@strawberry.type(description="A section of the site, as politics or sports: each article has one.")
class Category(Node):
    slug: str = strawberry.field(
        description="The category's unique name in URLs, as `politics`: filters take it."
    )
    name: str = strawberry.field(description="The name as shown to readers.")
    pk: strawberry.Private[int]

    articles = articles_field(
        Scope.CATEGORY, "This category's published articles (or, for editors, those of a `status`)."
    )

    @classmethod
    def from_model(cls, row: models.Category) -> Self:
        assert row.id is not None
        return cls(id=encode_id("Category", row.id), slug=row.slug, name=row.name, pk=row.id)
