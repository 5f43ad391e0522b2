"""Root fields `node` and `nodes`: any object by its global ID, as Relay clients refetch them."""

import asyncio
from typing import Annotated

import strawberry

from app.context import Info
from app.errors import BadUserInput
from resolvers.types.article import visible
from resolvers.types.node import Node, decode_id

MAX_NODES = 100


async def node(
    info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its ID.")]
) -> Node | None:
    """Any object by its ID, as Relay clients refetch them; null when there is none."""
    return await _resolve(info, id, "id")


async def nodes(
    info: Info,
    ids: Annotated[list[strawberry.ID], strawberry.argument(description=f"Up to {MAX_NODES} IDs.")],
) -> list[Node | None]:
    """The objects with these IDs, in the same order; null for each one that does not exist."""
    if len(ids) > MAX_NODES:
        raise BadUserInput("ids", f"at most {MAX_NODES} IDs")
    # gather, so the loads of all IDs share one batch per type
    return list(await asyncio.gather(*(_resolve(info, global_id, "ids") for global_id in ids)))


async def _resolve(info: Info, global_id: str, argument: str) -> Node | None:
    type_name, pk = decode_id(global_id, argument)
    loaders = info.context.loaders
    if type_name == "Article":
        return visible(await loaders.article_by_id.load(pk), info.context.caller, info.context.now)
    loader = {
        "Author": loaders.author_by_id,
        "Category": loaders.category_by_id,
        "Tag": loaders.tag_by_id,
    }.get(type_name)
    return await loader.load(pk) if loader is not None else None
