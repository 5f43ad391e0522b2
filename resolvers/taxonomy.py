"""Root fields for categories and tags."""

from enum import Enum
from typing import Annotated

import strawberry
from sqlalchemy import and_, func
from sqlmodel import col, select

from app.context import Info
from app.data.listing import check_first
from models import Article, ArticleStatus, ArticleTag
from models import Category as CategoryRow
from models import Tag as TagRow
from resolvers.types.arguments import First
from resolvers.types.category import Category
from resolvers.types.tag import Tag


@strawberry.enum(description="How to sort tags.")
class TagOrder(Enum):
    NAME = strawberry.enum_value("NAME", description="By name, A to Z.")
    ARTICLE_COUNT = strawberry.enum_value(
        "ARTICLE_COUNT",
        description="The most used first: by how many published articles carry them.",
    )


async def categories(info: Info) -> list[Category]:
    """Every category, by name: the sections of the site."""
    stmt = select(CategoryRow).order_by(col(CategoryRow.name), col(CategoryRow.id))
    async with info.context.read_sessionmaker() as session:
        return [Category.from_model(row) for row in (await session.exec(stmt)).all()]


async def tags(
    info: Info,
    first: First = 20,
    order_by: Annotated[
        TagOrder, strawberry.argument(description="How to sort: by name unless set.")
    ] = TagOrder.NAME,
) -> list[Tag]:
    """Tags by name, or the most used first."""
    check_first(first)
    if order_by is TagOrder.NAME:
        stmt = select(TagRow).order_by(col(TagRow.name), col(TagRow.id)).limit(first)
        async with info.context.read_sessionmaker() as session:
            return [Tag.from_model(row) for row in (await session.exec(stmt)).all()]
    published = and_(
        col(Article.id) == ArticleTag.article_id, col(Article.status) == ArticleStatus.PUBLISHED
    )
    uses = func.count(col(Article.id))
    counted = (
        select(TagRow, uses)
        .outerjoin(ArticleTag, col(ArticleTag.tag_id) == TagRow.id)
        .outerjoin(Article, published)
        .group_by(col(TagRow.id))
        .order_by(uses.desc(), col(TagRow.name), col(TagRow.id))
        .limit(first)
    )
    async with info.context.read_sessionmaker() as session:
        rows = (await session.exec(counted)).all()
    found = [Tag.from_model(row) for row, _ in rows]
    for tag, (_, count) in zip(found, rows, strict=True):
        info.context.loaders.article_count.prime(tag.count_key, count)
    return found
