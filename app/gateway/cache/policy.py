"""How long an answer may be cached: the shortest cache hint (resolvers/hints.py) among the
fields a document selects, as Apollo Server's cache control computes it."""

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    is_composite_type,
    visit,
)

from resolvers.hints import CacheControl

UNCACHED = 0


def hint_of(element: Any) -> int | None:
    """The max age Strawberry recorded on a type or field, if any."""
    definition = (element.extensions or {}).get("strawberry-definition")
    for directive in getattr(definition, "directives", None) or ():
        if isinstance(directive, CacheControl):
            return directive.max_age
    return None


class _Shortest(Visitor):
    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.max_age: int | None = None

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        field = self.type_info.get_field_def()
        if field is None:  # __typename
            return
        hint = hint_of(field)
        named = get_named_type(field.type)
        if hint is None and is_composite_type(named):
            # An object without a hint of its own or its field's cannot be cached.
            hint = hint_of(named)
            if hint is None:
                hint = UNCACHED
        if hint is not None:
            self.max_age = hint if self.max_age is None else min(self.max_age, hint)


def max_age(schema: GraphQLSchema, document: DocumentNode) -> int:
    """Seconds the answer to a (query) document may be cached; 0: not at all. A document
    of only scalars at the root (`{ __typename }`) has no hint and is not cached."""
    type_info = TypeInfo(schema)
    shortest = _Shortest(type_info)
    visit(document, TypeInfoVisitor(type_info, shortest))
    return shortest.max_age or UNCACHED
