from typing import Self

import strawberry

import models
from app.data.listing import Scope
from resolvers.types.node import Node, encode_id
from resolvers.types.pagination import articles_field


@strawberry.type
class Category(Node):
    slug: str
    name: str
    pk: strawberry.Private[int]

    articles = articles_field(Scope.CATEGORY, "Published articles of this category.")

    @classmethod
    def from_model(cls, row: models.Category) -> Self:
        assert row.id is not None
        return cls(id=encode_id("Category", row.id), slug=row.slug, name=row.name, pk=row.id)
