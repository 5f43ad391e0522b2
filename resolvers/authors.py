"""Root fields for authors."""

from functools import cache
from typing import Annotated, Any

import strawberry
from sqlalchemy import bindparam, select, tuple_

from app.context import Info
from app.data.entities import AUTHORS, entity_columns
from app.data.listing import check_first, is_bounded_int, pack_cursor, unpack_cursor
from app.data.sql import Query
from app.errors import BadUserInput, check_text
from resolvers.types.arguments import After, First
from resolvers.types.author import Author, AuthorConnection, AuthorEdge
from resolvers.types.pagination import PageInfo


async def author(
    info: Info, slug: Annotated[str, strawberry.argument(description="Their slug.")]
) -> Author | None:
    """An author by their slug; null when there is none."""
    return await info.context.loaders.author_by_slug.load(check_text(slug, "slug") or "")


@cache
def _page(after: bool) -> Query:
    stmt = select(*entity_columns(AUTHORS)).order_by(AUTHORS.c.name, AUTHORS.c.id)
    if after:
        after_position = tuple_(bindparam("after_name"), bindparam("after_id"))
        stmt = stmt.where(tuple_(AUTHORS.c.name, AUTHORS.c.id) > after_position)
    return Query(stmt.limit(bindparam("limit")))


async def authors(info: Info, first: First = 20, after: After = None) -> AuthorConnection:
    """Every author, by name, a page at a time."""
    check_first(first)
    position: dict[str, Any] = {}
    if after is not None:
        match unpack_cursor(after):
            case [str(name), pk] if is_bounded_int(pk, 2**31) and "\x00" not in name:
                position = {"after_name": name, "after_id": pk}
            case _:
                raise BadUserInput("after", "not a cursor returned by this API")
    info.context.read("authors")
    rows = await info.context.reads.rows(_page(bool(position)), limit=first + 1, **position)
    edges = [AuthorEdge(cursor=pack_cursor(row.name, row.pk), node=row) for row in rows[:first]]
    return AuthorConnection(
        edges=edges,
        page_info=PageInfo.of(
            [edge.cursor for edge in edges], has_next_page=len(rows) > first, after=after
        ),
    )
