import strawberry

from app.data.listing import Scope
from resolvers import hints
from resolvers.types.node import Node
from resolvers.types.pagination import articles_field


@strawberry.type(
    description="A section of the site, as politics or sports: each article has one.",
    directives=[hints.CONTENT],
)
class Category(Node):
    slug: str = strawberry.field(
        description="The category's unique name in URLs, as `politics`: filters take it."
    )
    name: str = strawberry.field(description="The name as shown to readers.")

    articles = articles_field(
        Scope.CATEGORY, "This category's published articles (or, for editors, those of a `status`)."
    )
