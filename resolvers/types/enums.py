"""Enums of the schema that the layers below define, described value by value here."""

from enum import Enum
from typing import TypeVar

import strawberry

E = TypeVar("E", bound=type[Enum])


def described_enum(cls: E, description: str, **values: str) -> E:
    """Register `cls` as a GraphQL enum with a description for each of its values."""
    strawberry.enum(cls, description=description)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    assert {value.name for value in definition.values} == set(values), "describe every value"
    for value in definition.values:
        value.description = values[value.name]
    return cls
