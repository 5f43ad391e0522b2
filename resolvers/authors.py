"""Root fields for authors."""

from typing import Annotated

import strawberry
from sqlalchemy import tuple_
from sqlmodel import col, select

from app.context import Info
from app.data.listing import check_first, is_bounded_int, pack_cursor, unpack_cursor
from app.errors import BadUserInput, check_text
from models import Author as AuthorRow
from resolvers.types.arguments import After, First
from resolvers.types.author import Author, AuthorConnection, AuthorEdge
from resolvers.types.pagination import PageInfo


async def author(
    info: Info, slug: Annotated[str, strawberry.argument(description="Their slug.")]
) -> Author | None:
    """An author by their slug; null when there is none."""
    row = await info.context.loaders.author_by_slug.load(check_text(slug, "slug") or "")
    return Author.from_model(row) if row else None


async def authors(info: Info, first: First = 20, after: After = None) -> AuthorConnection:
    """Every author, by name, a page at a time."""
    check_first(first)
    stmt = select(AuthorRow).order_by(col(AuthorRow.name), col(AuthorRow.id)).limit(first + 1)
    if after is not None:
        match unpack_cursor(after):
            case [str(name), pk] if is_bounded_int(pk, 2**31) and "\x00" not in name:
                stmt = stmt.where(tuple_(col(AuthorRow.name), col(AuthorRow.id)) > (name, pk))
            case _:
                raise BadUserInput("after", "not a cursor returned by this API")
    async with info.context.read_sessionmaker() as session:
        rows = (await session.exec(stmt)).all()
    edges = [
        AuthorEdge(cursor=pack_cursor(row.name, row.id or 0), node=Author.from_model(row))
        for row in rows[:first]
    ]
    return AuthorConnection(
        edges=edges,
        page_info=PageInfo.of(
            [edge.cursor for edge in edges], has_next_page=len(rows) > first, after=after
        ),
    )
