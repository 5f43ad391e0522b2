"""Compiled execution of query documents.

graphql-core's executor pays for every field of every object: a resolve-info object, a
path, argument handling, a walk of the return type, and an asyncio task for each field
that awaits. A front page of 20 articles is some 300 fields, and that cost was most of
the request. For a query document, this module plans the selection once (the fields of
each type, how each is read and completed, its arguments) and runs the plan a depth at
a time: every field at one depth is resolved before any below it, so loaders batch over
the whole depth, and one gather per depth awaits what the fields returned (DataLoader
futures need no task).

The resolvers are the schema's own Strawberry functions, called with the arguments
Strawberry would give them. The result, errors and nulls included, is the one
graphql-core gives: values are coerced by the same type functions, errors carry the
same messages, locations and paths, and a failing non-null field nulls the nearest
nullable position as graphql-core's error collection does (tests/test_compiled.py
compares both on the trusted documents and on generated queries). What this does not
plan (introspection, operations of several mutations, @defer and @stream) runs on
graphql-core.
"""

import asyncio
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationType,
    is_abstract_type,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
    located_error,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, inspect, is_iterable
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema_converter import GraphQLCoreConverter, get_arguments
from strawberry.types.field import StrawberryField

from app.data.entities import RELATIONS, ArticleColumns
from app.data.sql import PlainRow, Record
from app.gateway.limits import Document
from resolvers.schema import schema

_SCHEMA: GraphQLSchema = schema._schema
_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF
ROWS = (Record, PlainRow)  # what app/data/sql.py reads: subscripted by column name
# graphql-core's coercion returns a str as it is for these scalars.
UNCHANGED: dict[str, type] = {"String": str, "ID": str}


class Unsupported(Exception):
    """The document asks for something only graphql-core's executor does."""


# How a value of a field's type is completed: a chain of these, built once per field.
@dataclass(slots=True)
class Leaf:
    type: GraphQLLeafType


@dataclass(slots=True)
class NonNull:
    inner: "Completion"


@dataclass(slots=True)
class ListOf:
    inner: "Completion"
    nullable_items: bool
    objects: "Selection | None" = None  # when the items are objects of one type


@dataclass(slots=True)
class Selection:
    """An object type's planned fields."""

    type: GraphQLObjectType
    fields: list["Field"]


@dataclass(slots=True)
class Abstract:
    type: GraphQLAbstractType
    by_type: dict[str, Selection]


Completion = Leaf | NonNull | ListOf | Selection | Abstract


@dataclass(slots=True)
class Field:
    index: int  # in its plan: where a run keeps the field's arguments and resolve info
    key: str  # the response key: the alias, or the name
    name: str
    parent: GraphQLObjectType
    definition: GraphQLField
    nodes: list[FieldNode]
    details: list[FieldDetails]
    nullable: bool
    completion: Completion = field(init=False)
    leaf: GraphQLLeafType | None = None  # when its type is a scalar or enum (or a non-null one)
    # The Python type the leaf's coercion gives back unchanged (str for String and ID):
    # a value of exactly that type needs no call.
    unchanged: type | None = None
    typename: str | None = None  # for __typename: the value
    attribute: str | None = None  # for a field without resolver: what it reads
    strawberry: StrawberryField | None = None  # for a field with a resolver


@dataclass(slots=True)
class Plan:
    root: Selection
    fields: int  # how many Fields it has
    articles: ArticleColumns  # what the document asks of articles: the body, relations, tags
    related_articles: ArticleColumns  # what it asks of the articles of related lists
    selected: frozenset[tuple[str, str]]  # every (type, field) it asks for


ROOTS = (OperationType.QUERY, OperationType.MUTATION)


def compile_operation(executor: Executor[Any]) -> Plan:
    """The plan of the executor's operation, for its variables' @skip and @include."""
    operation = executor.operation
    kind = operation.operation
    if kind not in ROOTS or operation.directives:
        raise Unsupported("only queries and mutations are planned")
    root_type = _SCHEMA.get_root_type(kind)
    assert root_type is not None
    collected = collect_fields(
        _SCHEMA, executor.fragments, executor.variable_values, root_type, operation
    )
    if collected.new_defer_usages:
        raise Unsupported("@defer")
    # A mutation's root fields run one after the other; one alone runs as a query's does.
    if kind is OperationType.MUTATION and len(collected.grouped_field_set) != 1:
        raise Unsupported("several mutations in one operation")
    planner = _Planner(executor)
    root = planner.selection(root_type, collected.grouped_field_set)
    planned = list(_fields(root))
    selected = frozenset((each.parent.name, each.name) for each in planned)
    # A related list shows a few fields of each article, where the page around it may
    # show the body and tags of its own: its rows carry what its selection asks for.
    related = {
        (below.parent.name, below.name)
        for each in planned
        if each.parent.name == "Article" and each.name == "related"
        for below in _fields(each.completion)
    }
    return Plan(
        root, planner.count, _article_columns(selected), _article_columns(related), selected
    )


def _fields(completion: Completion) -> Iterator[Field]:
    """Every planned field in `completion`, at any depth."""
    if type(completion) is NonNull or type(completion) is ListOf:
        yield from _fields(completion.inner)
    elif type(completion) is Selection:
        for planned in completion.fields:
            yield planned
            yield from _fields(planned.completion)
    elif type(completion) is Abstract:
        for selection in completion.by_type.values():
            yield from _fields(selection)


def _article_columns(selected: Set[tuple[str, str]]) -> ArticleColumns:
    """What article rows carry for a selection of (type, field) names."""
    return ArticleColumns(
        ("Article", "body") in selected,
        frozenset(name for name in RELATIONS if ("Article", name) in selected),
        ("Article", "tags") in selected,
    )


class _Planner:
    def __init__(self, executor: Executor[Any]) -> None:
        self.executor = executor
        self.count = 0

    def selection(
        self, type_: GraphQLObjectType, grouped: dict[str, list[FieldDetails]]
    ) -> Selection:
        return Selection(
            type_, [self.field(type_, key, details) for key, details in grouped.items()]
        )

    def field(self, type_: GraphQLObjectType, key: str, details: list[FieldDetails]) -> Field:
        name = details[0].node.name.value
        if name in ("__schema", "__type"):
            raise Unsupported("introspection")
        definition = _SCHEMA.get_field(type_, name)
        if definition is None:  # pragma: no cover (validation refuses unknown fields)
            raise Unsupported(name)
        nodes = [detail.node for detail in details]
        nullable = not is_non_null_type(definition.type)
        planned = Field(self.count, key, name, type_, definition, nodes, details, nullable)
        self.count += 1
        if name == "__typename":
            planned.typename = type_.name
        else:
            strawberry_field = definition.extensions.get(_BACKREF)
            if not isinstance(strawberry_field, StrawberryField) or strawberry_field.extensions:
                raise Unsupported(f"{type_.name}.{name} is not a plain Strawberry field")
            if strawberry_field.base_resolver is None:
                planned.attribute = strawberry_field.python_name
            else:
                planned.strawberry = strawberry_field
        planned.completion = self.completion(definition.type, planned)
        completion = planned.completion
        if type(completion) is NonNull:
            completion = completion.inner
        if type(completion) is Leaf:
            planned.leaf = completion.type
            planned.unchanged = UNCHANGED.get(completion.type.name)
        return planned

    def completion(self, type_: GraphQLOutputType, planned: Field) -> Completion:
        if isinstance(type_, GraphQLNonNull):
            return NonNull(self.completion(type_.of_type, planned))
        if isinstance(type_, GraphQLList):
            inner = self.completion(type_.of_type, planned)
            item = inner.inner if type(inner) is NonNull else inner
            objects = item if type(item) is Selection else None
            return ListOf(inner, not is_non_null_type(type_.of_type), objects)
        if is_leaf_type(type_):
            return Leaf(type_)
        if is_object_type(type_):
            return self.object(type_, planned)
        if is_abstract_type(type_):
            possible = _SCHEMA.get_possible_types(type_)
            return Abstract(type_, {each.name: self.object(each, planned) for each in possible})
        raise Unsupported(f"type {type_}")  # pragma: no cover

    def object(self, type_: GraphQLObjectType, planned: Field) -> Selection:
        executor = self.executor
        collected = collect_subfields(
            _SCHEMA,
            executor.fragments,
            executor.variable_values,
            executor.operation,
            type_,
            planned.details,
        )
        if collected.new_defer_usages:
            raise Unsupported("@defer")
        return self.selection(type_, collected.grouped_field_set)


def _coerced(leaf: GraphQLLeafType, value: Any) -> Any:
    coerced = leaf.coerce_output_value(value)
    if coerced is None or coerced is Undefined:
        raise TypeError(
            f"Expected `{inspect(leaf)}.coerce_output_value({inspect(value)})` to return"
            f" non-nullable value, returned: {inspect(coerced)}"
        )
    return coerced


# A position in the response: (parent position, key, nullable). None is the root.
Position = tuple[Any, str | int, bool] | None


def _path(position: Position) -> list[str | int]:
    keys: list[str | int] = []
    while position is not None:
        position, key, _ = position
        keys.append(key)
    return keys[::-1]


Item = tuple[Any, Selection, dict[str, Any], Position]  # an object to complete, at a depth
Waiting = tuple["asyncio.Future[Any]", Field, dict[str, Any], Position]  # a field's awaited value


class Run:
    """One execution of a plan."""

    def __init__(self, executor: Executor[Any], plan: Plan) -> None:
        self.executor = executor
        self.plan = plan
        self.data: dict[str, Any] | None = {}
        self.errors: list[GraphQLError] = []
        self.nulled: set[tuple[str | int, ...]] = set()
        self.propagating: list[tuple[GraphQLError, Position]] = []  # see _record
        # Per field of the plan, made when first needed: its resolver with this request's
        # arguments, and its resolve info.
        self.calls: list[Callable[[Any], Any] | None] = [None] * plan.fields
        self.infos: list[GraphQLResolveInfo[Any] | None] = [None] * plan.fields

    async def execute(self) -> ExecutionResult:
        assert self.data is not None
        level: list[Item] = [(self.executor.root_value, self.plan.root, self.data, None)]
        while level:
            level = await self._level(level)
        return ExecutionResult(self.data, self.errors or None)

    async def _level(self, items: list[Item]) -> list[Item]:
        """Resolve every field of `items`; what objects they hold are the next depth's."""
        below: list[Item] = []
        waiting: list[Waiting] = []
        calls = self.calls
        for source, selection, out, position in items:
            # Rows read by key: their attributes go through a Python __getattr__.
            row = type(source) in ROWS
            for planned in selection.fields:
                try:
                    if planned.attribute is not None:
                        attribute = planned.attribute
                        value = source[attribute] if row else getattr(source, attribute)
                    elif planned.typename is not None:
                        value = planned.typename
                    else:
                        value = (calls[planned.index] or self._call(planned))(source)
                        if optimized_is_awaitable(value):
                            out[planned.key] = None  # holds the key's place in the response
                            if not isinstance(value, asyncio.Future):
                                value = asyncio.ensure_future(value)  # a coroutine runs now
                            waiting.append((value, planned, out, position))
                            continue
                    leaf = planned.leaf
                    if leaf is not None and value is not None:
                        if type(value) is not planned.unchanged:
                            value = _coerced(leaf, value)
                        out[planned.key] = value
                        continue
                except Exception as error:
                    self._fail(error, planned, out, position)
                    continue
                self._complete(planned, value, out, position, below)
        # One by one: most are loader futures of a few batches, done together, and a done
        # future's await costs nothing (gather would add a callback to each).
        for future, planned, out, position in waiting:
            try:
                result = await future
            except Exception as error:
                self._fail(error, planned, out, position)
            else:
                self._complete(planned, result, out, position, below)
        for propagated, nulled in self.propagating:
            self._null(propagated, nulled)
        self.propagating.clear()
        return below

    def _complete(
        self, planned: Field, value: Any, out: dict[str, Any], position: Position, below: list[Item]
    ) -> None:
        here = (position, planned.key, planned.nullable)
        try:
            out[planned.key] = self._value(planned.completion, planned, value, here, below)
        except Exception as error:
            self._fail(error, planned, out, position)

    def _value(
        self,
        completion: Completion,
        planned: Field,
        value: Any,
        here: Position,
        below: list[Item],
    ) -> Any:
        if isinstance(value, Exception):
            raise value
        if type(completion) is NonNull:
            completed = self._value(completion.inner, planned, value, here, below)
            if completed is None:
                raise TypeError(
                    f"Cannot return null for non-nullable field {planned.parent}.{planned.name}."
                )
            return completed
        if value is None:
            return None
        if type(completion) is Leaf:
            return _coerced(completion.type, value)
        if type(completion) is ListOf:
            return self._list(completion, planned, value, here, below)
        if type(completion) is Abstract:
            completion = self._runtime_selection(completion, planned, value)
        assert type(completion) is Selection
        is_type_of = completion.type.is_type_of
        if is_type_of is not None and not is_type_of(value, self._info(planned)):
            raise GraphQLError(
                f"Expected value of type '{completion.type}' but got: {inspect(value)}.",
                planned.nodes,
            )
        out: dict[str, Any] = {}
        below.append((value, completion, out, here))
        return out

    def _list(
        self,
        completion: ListOf,
        planned: Field,
        value: Any,
        here: Position,
        below: list[Item],
    ) -> list[Any]:
        if type(value) is not list and not is_iterable(value):
            raise GraphQLError(
                "Expected Iterable, but did not find one for field"
                f" '{planned.parent}.{planned.name}'."
            )
        items: list[Any] = []
        objects = completion.objects
        is_type_of = objects.type.is_type_of if objects is not None else None
        info = self._info(planned)
        for index, item in enumerate(value):
            place = (here, index, completion.nullable_items)
            # The common case first: an object of the expected type, completed below.
            if (
                objects is not None
                and item is not None
                and not isinstance(item, Exception)
                and (is_type_of is None or is_type_of(item, info))
            ):
                out: dict[str, Any] = {}
                below.append((item, objects, out, place))
                items.append(out)
                continue
            try:
                items.append(self._value(completion.inner, planned, item, place, below))
            except Exception as error:
                if not completion.nullable_items:
                    # Located here, so that the error's path names the item.
                    raise located_error(error, planned.nodes, _path(place)) from None
                self._record(error, planned, place)
                items.append(None)
        return items

    def _runtime_selection(self, completion: Abstract, planned: Field, value: Any) -> Selection:
        abstract = completion.type
        resolve_type = abstract.resolve_type or self.executor.type_resolver
        name = resolve_type(value, self._info(planned), abstract)
        selection = completion.by_type.get(name) if isinstance(name, str) else None
        if selection is None:
            # graphql-core words each way this can fail: let it say which.
            self.executor.ensure_valid_runtime_type(
                name, abstract, planned.details, self._info(planned), value
            )
            raise TypeError(f"{name!r} is not a possible type of {abstract}")  # pragma: no cover
        return selection

    def _fail(
        self, error: Exception, planned: Field, out: dict[str, Any], position: Position
    ) -> None:
        """A field failed: null it if it may be null, else the nearest position that may."""
        here = (position, planned.key, planned.nullable)
        if planned.nullable:
            out[planned.key] = None
        self._record(error, planned, here)

    def _record(self, error: Exception, planned: Field, place: Position) -> None:
        """Locate `error` at `place`; null the nearest nullable position at or above it, and
        collect the error unless that position (or one above) was nulled already: what
        graphql-core's error collection does.

        An error nulling a position above its own is applied at the end of the depth:
        in graphql-core it reaches that position only as the awaits above it unwind,
        after the errors its siblings' fields caught where they happened."""
        located = located_error(error, planned.nodes, _path(place))
        nulled = place
        while nulled is not None and not nulled[2]:
            nulled = nulled[0]
        if nulled is place:
            self._null(located, nulled)
        else:
            self.propagating.append((located, nulled))

    def _null(self, error: GraphQLError, position: Position) -> None:
        keys = tuple(_path(position))
        if any(keys[:length] in self.nulled for length in range(len(keys) + 1)):
            return
        self.nulled.add(keys)
        self.errors.append(error)
        self._set_null(keys)

    def _set_null(self, keys: tuple[str | int, ...]) -> None:
        if not keys:
            self.data = None
            return
        container: Any = self.data
        for key in keys[:-1]:
            # A list still being completed is not in place yet: it holds its item's null.
            if container is None or (type(key) is str and key not in container):
                return
            container = container[key]
        if container is not None:
            container[keys[-1]] = None

    def _info(self, planned: Field) -> GraphQLResolveInfo[Any]:
        """The resolve info of a field, made once per request. Its path names the field
        but no list index: resolvers on this path read the context only."""
        info = self.infos[planned.index]
        if info is None:
            info = self.executor.build_resolve_info(
                planned.definition, planned.nodes, planned.parent, Path(None, planned.key, None)
            )
            self.infos[planned.index] = info
        return info

    def _call(self, planned: Field) -> Callable[[Any], Any]:
        """The field's resolver with this request's arguments, as a function of the source."""
        strawberry_field = planned.strawberry
        assert strawberry_field is not None
        resolver = strawberry_field.base_resolver
        assert resolver is not None
        arguments = get_argument_values(
            planned.definition,
            planned.nodes[0],
            self.executor.variable_values,
            planned.details[0].fragment_variable_values,
        )
        info = schema.config.info_class(_raw_info=self._info(planned), _field=strawberry_field)
        _, kwargs = get_arguments(
            field=strawberry_field,
            source=None,
            info=info,
            kwargs=arguments,
            config=schema.config,
            scalar_registry=schema.schema_converter.scalar_registry,
        )
        function: Callable[..., Any] = resolver.wrapped_func  # type: ignore[assignment]
        call: Callable[[Any], Any]
        if resolver.self_parameter:  # most: a partial is called without a Python frame
            call = partial(function, **kwargs)
        elif parent := resolver.root_parameter or resolver.parent_parameter:
            call = lambda source: function(**{**kwargs, parent.name: source})  # noqa: E731
        else:
            call = lambda source: function(**kwargs)  # noqa: E731
        self.calls[planned.index] = call
        return call


MAX_PLANS_PER_DOCUMENT = 16  # one per combination of @skip/@include variables


def plan_for(document: Document, executor: Executor[Any]) -> Plan | None:
    """The document's plan for the executor's variables, made on first use; None when the
    operation cannot be planned."""
    shape = document.shape
    if shape is None:
        return None
    coerced = executor.variable_values.coerced
    key = tuple(coerced.get(name) for name in shape.directive_variables)
    try:
        plan: Plan | None = document.plans[key]
        return plan
    except KeyError:
        pass
    try:
        plan = compile_operation(executor)
    except Unsupported:
        plan = None
    if len(document.plans) < MAX_PLANS_PER_DOCUMENT:
        document.plans[key] = plan
    return plan
