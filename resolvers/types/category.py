import strawberry

from app.data.listing import Scope
from resolvers.types.node import Node
from resolvers.types.pagination import articles_field


@strawberry.type
class Category(Node):
    slug: str
    name: str

    articles = articles_field(Scope.CATEGORY, "Published articles of this category.")
