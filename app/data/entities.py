"""Entity rows: articles, authors, categories and tags as the GraphQL types read them.

A row has its table's columns by name, except `id`, which is `pk` (the GraphQL `id` is
the global ID made from it), and `typename`, the GraphQL type it is, which tells the
types behind the `Node` interface apart.
"""

from typing import Any

from sqlalchemy import ColumnElement, Table, literal
from sqlmodel import SQLModel

from app.data.sql import PlainRow, Row
from models import Article, Author, Category, Tag

ARTICLES: Table = Article.__table__  # type: ignore[attr-defined]
AUTHORS: Table = Author.__table__  # type: ignore[attr-defined]
CATEGORIES: Table = Category.__table__  # type: ignore[attr-defined]
TAGS: Table = Tag.__table__  # type: ignore[attr-defined]

TYPENAMES = {ARTICLES: "Article", AUTHORS: "Author", CATEGORIES: "Category", TAGS: "Tag"}

# Columns no GraphQL field reads.
UNREAD = {"created_at", "usage_count"}


def entity_columns(table: Any, body: bool = True) -> list[ColumnElement[Any]]:
    """The columns of `table` (or an alias of it) as entity rows name them; an article's
    without its body unless `body` (bodies are most of an article's bytes, and only an
    article page shows one)."""
    typename = TYPENAMES[table if table in TYPENAMES else table.element]
    left_out = UNREAD | {"id"} | (set() if body else {"body"})
    columns: list[ColumnElement[Any]] = [
        literal(typename).label("typename"),
        table.c.id.label("pk"),
    ]
    columns += [column for column in table.c if column.name not in left_out]
    return columns


def as_row(instance: SQLModel) -> Row:
    """An instance just written through the ORM, as an entity row."""
    table = instance.__table__  # type: ignore[attr-defined]
    row = PlainRow(typename=TYPENAMES[table], pk=getattr(instance, "id"))  # noqa: B009
    for column in table.c:
        if column.name not in UNREAD | {"id"}:
            row[column.name] = getattr(instance, column.name)
    return row
