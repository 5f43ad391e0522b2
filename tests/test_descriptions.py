"""Every type, field, argument and enum value has a description: they are what developers
read in GraphiQL's documentation explorer."""

from typing import Any

from graphql import get_introspection_query, graphql_sync

from resolvers.schema import schema


def _undescribed() -> list[str]:
    """Every described thing of the schema, introspected as GraphiQL does, that has none."""
    result = graphql_sync(schema._schema, get_introspection_query(descriptions=True))
    assert result.errors is None, result.errors
    assert result.data is not None
    introspected: dict[str, Any] = result.data["__schema"]
    missing = []

    def check(where: str, item: dict[str, Any]) -> None:
        if not (item.get("description") or "").strip():
            missing.append(where)

    for type_ in introspected["types"]:
        name = type_["name"]
        if name.startswith("__"):
            continue  # the introspection types are GraphQL's own, described by the spec
        check(name, type_)
        for field in type_["fields"] or type_["inputFields"] or ():
            check(f"{name}.{field['name']}", field)
            for argument in field.get("args", ()):
                check(f"{name}.{field['name']}({argument['name']})", argument)
        for value in type_["enumValues"] or ():
            check(f"{name}.{value['name']}", value)
    for directive in introspected["directives"]:
        check(f"@{directive['name']}", directive)
        for argument in directive["args"]:
            check(f"@{directive['name']}({argument['name']})", argument)
    return missing


def test_every_type_field_argument_and_enum_value_is_described():
    assert _undescribed() == []
