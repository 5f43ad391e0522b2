"""Root fields `node` and `nodes`: any object by its global ID, as Relay clients refetch them."""

import asyncio

import strawberry

from app.context import Info
from app.errors import BadUserInput
from resolvers.types.article import Article
from resolvers.types.author import Author
from resolvers.types.category import Category
from resolvers.types.node import Node, decode_id
from resolvers.types.tag import Tag

MAX_NODES = 100


async def node(info: Info, id: strawberry.ID) -> Node | None:
    """The object with this ID; null when there is none."""
    return await _resolve(info, id, "id")


async def nodes(info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
    """The objects with these IDs, in the same order; null for each one that does not exist."""
    if len(ids) > MAX_NODES:
        raise BadUserInput("ids", f"at most {MAX_NODES} IDs")
    # gather, so the loads of all IDs share one batch per type
    return list(await asyncio.gather(*(_resolve(info, global_id, "ids") for global_id in ids)))


async def _resolve(info: Info, global_id: str, argument: str) -> Node | None:
    type_name, pk = decode_id(global_id, argument)
    loaders = info.context.loaders
    if type_name == "Article":
        row = await loaders.article_by_id.load(pk)
        return Article.if_visible(row, info.context.caller, info.context.now)
    if type_name == "Author":
        author = await loaders.author_by_id.load(pk)
        return Author.from_model(author) if author else None
    if type_name == "Category":
        category = await loaders.category_by_id.load(pk)
        return Category.from_model(category) if category else None
    if type_name == "Tag":
        tag = await loaders.tag_by_id.load(pk)
        return Tag.from_model(tag) if tag else None
    return None
