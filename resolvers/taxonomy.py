"""Root fields for categories and tags."""

from enum import Enum
from typing import Annotated

import strawberry
from sqlalchemy import and_, bindparam, func, select

from app.context import Info
from app.data.entities import CATEGORIES, TAGS, entity_columns
from app.data.listing import Scope, check_first, scheduled_count
from app.data.sql import Query
from models import ArticleTally
from resolvers.types.arguments import First
from resolvers.types.category import Category
from resolvers.types.tag import Tag, tag_count_key


@strawberry.enum(description="How to sort tags.")
class TagOrder(Enum):
    NAME = strawberry.enum_value("NAME", description="By name, A to Z.")
    ARTICLE_COUNT = strawberry.enum_value(
        "ARTICLE_COUNT",
        description="The most used first: by how many published articles carry them.",
    )


_tallies = ArticleTally.__table__  # type: ignore[attr-defined]
_CATEGORIES = Query(
    select(*entity_columns(CATEGORIES)).order_by(CATEGORIES.c.name, CATEGORIES.c.id)
)
_TAGS_BY_NAME = Query(
    select(*entity_columns(TAGS)).order_by(TAGS.c.name, TAGS.c.id).limit(bindparam("first"))
)
# A tag's published articles, from its tally, less those scheduled: as Tag.articleCount.
_uses = func.coalesce(_tallies.c.published - scheduled_count(Scope.TAG, TAGS.c.id), 0)
_TAGS_BY_USE = Query(
    select(*entity_columns(TAGS), _uses.label("uses"))
    .outerjoin(
        _tallies, and_(_tallies.c.scope == Scope.TAG.value, _tallies.c.scope_id == TAGS.c.id)
    )
    .order_by(_uses.desc(), TAGS.c.name, TAGS.c.id)
    .limit(bindparam("first"))
)


async def categories(info: Info) -> list[Category]:
    """Every category, by name: the sections of the site."""
    info.context.read("categories")
    return await info.context.reads.rows(_CATEGORIES)


async def tags(
    info: Info,
    first: First = 20,
    order_by: Annotated[
        TagOrder, strawberry.argument(description="How to sort: by name unless set.")
    ] = TagOrder.NAME,
) -> list[Tag]:
    """Tags by name, or the most used first."""
    check_first(first)
    info.context.read("tags")  # edits of articles evict it: they change counts and names
    if order_by is TagOrder.NAME:
        return await info.context.reads.rows(_TAGS_BY_NAME, first=first)
    rows = await info.context.reads.rows(_TAGS_BY_USE, first=first, now=info.context.now)
    for row in rows:
        info.context.loaders.article_count.prime(tag_count_key(row.pk), row.uses)
    return rows
