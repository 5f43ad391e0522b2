"""Root fields for categories and tags."""

from enum import Enum

import strawberry
from sqlalchemy import and_, func
from sqlmodel import col, select

from app.context import Info
from app.data.listing import check_first
from app.visibility import public
from models import Article, ArticleTag
from models import Category as CategoryRow
from models import Tag as TagRow
from resolvers.types.category import Category
from resolvers.types.tag import Tag


@strawberry.enum(description="How to sort tags.")
class TagOrder(Enum):
    NAME = "NAME"
    ARTICLE_COUNT = "ARTICLE_COUNT"


async def categories(info: Info) -> list[Category]:
    """Every category, by name."""
    stmt = select(CategoryRow).order_by(col(CategoryRow.name), col(CategoryRow.id))
    async with info.context.read_sessionmaker() as session:
        return [Category.from_model(row) for row in (await session.exec(stmt)).all()]


async def tags(info: Info, first: int = 20, order_by: TagOrder = TagOrder.NAME) -> list[Tag]:
    """Tags by name, or the most used first."""
    check_first(first)
    if order_by is TagOrder.NAME:
        stmt = select(TagRow).order_by(col(TagRow.name), col(TagRow.id)).limit(first)
        async with info.context.read_sessionmaker() as session:
            return [Tag.from_model(row) for row in (await session.exec(stmt)).all()]
    published = and_(col(Article.id) == ArticleTag.article_id, public(info.context.now))
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
