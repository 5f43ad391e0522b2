"""Limits on a GraphQL document, checked before anything runs.

Each refusal names the setting that sets the limit, so that a client knows what it
crossed and an operator what to raise. All but the cost depend on the document alone
and are measured once per distinct document; the cost depends on the variables too.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Source,
    TokenKind,
    ValueNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
    parse,
    value_from_ast_untyped,
)
from graphql.language.lexer import Lexer
from graphql.type.definition import GraphQLFieldMap
from graphql.validation import specified_rules
from strawberry.schema.schema import validate_document

from app.gateway.cache import policy
from app.settings import Settings


@dataclass(frozen=True)
class Limits:
    max_tokens: int
    max_depth: int
    max_aliases: int
    max_directives_per_field: int
    max_cost: int
    introspection: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> "Limits":
        return cls(
            max_tokens=settings.max_tokens,
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_directives_per_field=settings.max_directives_per_field,
            max_cost=settings.max_cost,
            introspection=settings.env == "development",
        )


# JSON numbers past 2^53 are not exact in JavaScript, and orjson cannot write integers past
# 64 bits: a larger measure (a cost multiplies the `first` of nested lists) is shown as this.
MAX_SHOWN = 2**53 - 1
MAX_INT = 2**31 - 1  # GraphQL's Int: a larger `first` is refused as a bad variable instead


class LimitExceeded(GraphQLError):
    def __init__(self, message: str, setting: str, value: int, limit: int) -> None:
        shown = f" {value}" if value <= MAX_SHOWN else f", more than {MAX_SHOWN},"
        super().__init__(
            f"{message}{shown} is over the limit of {limit} ({setting}).",
            extensions={
                "code": "LIMIT_EXCEEDED",
                "limit": setting,
                "value": min(value, MAX_SHOWN),
                "max": limit,
            },
        )


@dataclass(frozen=True)
class Shape:
    """What a document asks for, before it runs: measured once per document and operation."""

    depth: int
    aliases: int
    most_directives: int
    introspects: bool
    cost: int | None  # None when it depends on the variables (a `first: $n`)
    directive_variables: tuple[str, ...]  # what @skip and @include read: plans depend on them


@dataclass(frozen=True)
class Document:
    """A parsed document, the operation a request names in it (None when there is no
    such operation), that operation's shape, what validation found wrong, and how long
    a response cache may keep its answer."""

    node: DocumentNode
    operation: OperationDefinitionNode | None
    shape: Shape | None
    errors: tuple[GraphQLError, ...]  # shared by every request that sends the document
    max_age: int  # seconds (app/gateway/cache/policy.py); 0 for all but valid queries
    # Execution plans (app/gateway/compiled.py) by the values of `directive_variables`;
    # None where the operation cannot be planned.
    plans: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False)


@lru_cache(maxsize=256)  # documents of up to NEWSGATE_MAX_QUERY_BYTES
def analyse(
    schema: GraphQLSchema, query: str, operation_name: str | None, max_tokens: int
) -> Document:
    """Parse, validate and measure a document, once for all the requests that send it.

    Raises LimitExceeded beyond `max_tokens` tokens (counted before parsing, which costs
    more per token), or the syntax error."""
    lexer, tokens = Lexer(Source(query)), 0
    try:
        while lexer.advance().kind is not TokenKind.EOF:
            tokens += 1
            if tokens > max_tokens:
                break
    except GraphQLError:
        pass  # a syntax error: parse() reports it, with its location
    if tokens > max_tokens:
        raise LimitExceeded("The number of tokens", "NEWSGATE_MAX_TOKENS", tokens, max_tokens)
    try:
        node = parse(query)
    except GraphQLError as error:
        error.extensions = {"code": "GRAPHQL_PARSE_FAILED"}
        raise
    errors = tuple(validate_document(schema, node, tuple(specified_rules)))
    for invalid in errors:
        invalid.extensions = {"code": "GRAPHQL_VALIDATION_FAILED"}
    operation = get_operation_ast(node, operation_name)
    shape = _Walk(schema, node, {}).shape(operation) if operation else None
    cacheable = operation is not None and operation.operation is OperationType.QUERY
    max_age = policy.max_age(schema, node) if cacheable and not errors else policy.UNCACHED
    return Document(node, operation, shape, errors, max_age)


def check(
    schema: GraphQLSchema, document: Document, variables: dict[str, Any], limits: Limits
) -> None:
    """Raise LimitExceeded, or a GraphQLError for introspection where it is off."""
    shape, operation = document.shape, document.operation
    if shape is None or operation is None or document.errors:
        return  # the request is answered with what validation found wrong
    if shape.introspects and not limits.introspection:
        raise GraphQLError(
            "Introspection is disabled on this server.",
            extensions={"code": "INTROSPECTION_DISABLED"},
        )
    for message, setting, value, limit in (
        ("The query depth", "NEWSGATE_MAX_DEPTH", shape.depth, limits.max_depth),
        ("The number of aliases", "NEWSGATE_MAX_ALIASES", shape.aliases, limits.max_aliases),
        (
            "The number of directives on one field",
            "NEWSGATE_MAX_DIRECTIVES_PER_FIELD",
            shape.most_directives,
            limits.max_directives_per_field,
        ),
    ):
        if value > limit:
            raise LimitExceeded(message, setting, value, limit)
    cost = shape.cost
    if cost is None:
        cost = _Walk(schema, document.node, variables).cost(operation)
    if cost > limits.max_cost:
        raise LimitExceeded("The estimated cost", "NEWSGATE_MAX_COST", cost, limits.max_cost)


class _Walk:
    """Walks an operation's selections through its fragments, following the schema's types
    so that a field's default `first` is known. Introspection fields are not counted
    (GraphiQL's own query is deep); fragment cycles, which validation refuses, stop the walk."""

    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.aliases = 0
        self.most_directives = 0
        self.directive_variables: set[str] = set()
        self.introspects = False
        self.reads_variables = False

    def shape(self, operation: OperationDefinitionNode) -> Shape:
        depth = self._depth(operation.selection_set, self._root_fields(operation), frozenset())
        cost = self.cost(operation)
        return Shape(
            depth,
            self.aliases,
            self.most_directives,
            self.introspects,
            None if self.reads_variables else cost,
            tuple(sorted(self.directive_variables)),
        )

    def cost(self, operation: OperationDefinitionNode) -> int:
        """Each field costs the number of times it resolves: the product of the sizes of the
        lists around it, each list as long as its `first` argument asks."""
        return self._cost(operation.selection_set, self._root_fields(operation), 1, frozenset())

    def _root_fields(self, operation: OperationDefinitionNode) -> GraphQLFieldMap:
        root = self.schema.get_root_type(operation.operation)
        return root.fields if root else {}

    def _fields(
        self, selection_set: SelectionSetNode | None, fields: GraphQLFieldMap, seen: frozenset[str]
    ) -> list[tuple[FieldNode, GraphQLFieldMap, frozenset[str]]]:
        """The fields selected, through fragments, each with the fields of its own type."""
        found: list[tuple[FieldNode, GraphQLFieldMap, frozenset[str]]] = []
        for selection in selection_set.selections if selection_set else ():
            self.most_directives = max(self.most_directives, len(selection.directives or ()))
            for directive in selection.directives or ():
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        self.directive_variables.add(argument.value.name.value)
            if isinstance(selection, FieldNode):
                found.append((selection, fields, seen))
                continue
            fragment: FragmentDefinitionNode | InlineFragmentNode
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in seen or name not in self.fragments:
                    continue
                fragment, inner_seen = self.fragments[name], seen | {name}
            elif isinstance(selection, InlineFragmentNode):
                fragment, inner_seen = selection, seen
            else:  # pragma: no cover (fields and the two kinds of fragment are all there is)
                continue
            condition = fragment.type_condition
            typed = self.schema.get_type(condition.name.value) if condition else None
            own = getattr(typed, "fields", None)
            found.extend(self._fields(fragment.selection_set, own or fields, inner_seen))
        return found

    def _child_fields(self, node: FieldNode, fields: GraphQLFieldMap) -> GraphQLFieldMap:
        field = fields.get(node.name.value)
        named = get_named_type(field.type) if field else None
        return getattr(named, "fields", None) or {}

    def _depth(
        self, selection_set: SelectionSetNode | None, fields: GraphQLFieldMap, seen: frozenset[str]
    ) -> int:
        deepest = 0
        for node, parent_fields, inner_seen in self._fields(selection_set, fields, seen):
            self.aliases += node.alias is not None
            if node.name.value in ("__schema", "__type"):
                self.introspects = True
                continue
            child_fields = self._child_fields(node, parent_fields)
            below = self._depth(node.selection_set, child_fields, inner_seen)
            deepest = max(deepest, 1 + below)
        return deepest

    def _cost(
        self,
        selection_set: SelectionSetNode | None,
        fields: GraphQLFieldMap,
        multiplier: int,
        seen: frozenset[str],
    ) -> int:
        total = 0
        for node, parent_fields, inner_seen in self._fields(selection_set, fields, seen):
            if node.name.value.startswith("__"):
                continue
            total += multiplier
            if node.selection_set:
                size = self._list_size(node, parent_fields)
                child_fields = self._child_fields(node, parent_fields)
                total += self._cost(node.selection_set, child_fields, multiplier * size, inner_seen)
        return total

    def _list_size(self, node: FieldNode, fields: GraphQLFieldMap) -> int:
        field = fields.get(node.name.value)
        if field is None:
            return 1
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        for name in ("first", "ids"):
            if name not in field.args:
                continue
            if name in given:
                self.reads_variables |= _has_variable(given[name])
                value = value_from_ast_untyped(given[name], self.variables)
            else:
                value = field.args[name].default_value
            if isinstance(value, list):
                return max(1, len(value))
            if isinstance(value, int) and not isinstance(value, bool) and value <= MAX_INT:
                return max(1, value)
        return 1


def _has_variable(node: ValueNode) -> bool:
    if isinstance(node, VariableNode):
        return True
    return isinstance(node, ListValueNode) and any(_has_variable(v) for v in node.values)
