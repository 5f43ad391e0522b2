"""The Relay `Node` interface and its opaque global IDs ("Article:42", base64-encoded)."""

import base64
from typing import Any

import strawberry

from app.errors import BadUserInput
from resolvers import hints


@strawberry.interface(
    description="An object with a globally unique ID, for client caches.",
    directives=[hints.CONTENT],
)
class Node:
    # The objects behind these types are rows (app/data/entities.py): their type's name
    # and primary key make the global ID.
    typename: strawberry.Private[str]
    pk: strawberry.Private[int]

    @strawberry.field(description="Opaque and stable: `node(id:)` fetches the object again by it.")
    def id(self) -> strawberry.ID:
        return encode_id(self.typename, self.pk)

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        try:
            return bool(obj["typename"] == cls.__name__)
        except (TypeError, KeyError):
            return False


def encode_id(type_name: str, pk: int | None) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name}:{pk}".encode()).decode())


def decode_id(global_id: str, argument: str) -> tuple[str, int]:
    """The type name and primary key inside a global ID; BAD_USER_INPUT when malformed."""
    try:
        type_name, _, pk = base64.b64decode(global_id, validate=True).decode().partition(":")
        # Primary keys are 32-bit integers; anything else cannot name a row.
        if type_name.isidentifier() and pk.isascii() and pk.isdigit() and int(pk) < 2**31:
            return type_name, int(pk)
    except ValueError:  # not base64 (or not ASCII at all), or not UTF-8 inside
        pass
    raise BadUserInput(argument, f"{global_id!r} is not an ID returned by this API")


def decode_id_of(type_name: str, global_id: str, argument: str) -> int:
    """The primary key inside a global ID that must name `type_name`."""
    found, pk = decode_id(global_id, argument)
    if found != type_name:
        raise BadUserInput(argument, f"expected the ID of a {type_name}, got a {found}")
    return pk
