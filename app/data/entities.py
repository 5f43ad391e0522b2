"""Entity rows: articles, authors, categories and tags as the GraphQL types read them.

A row has its table's columns by name, except `id`, which is `pk` (the GraphQL `id` is
the global ID made from it), and `typename`, the GraphQL type it is, which tells the
types behind the `Node` interface apart.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from sqlalchemy import ColumnElement, FunctionElement, Select, Table, Text, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
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


# An article's to-one relations: their table and the article's column that holds the key.
RELATIONS: dict[str, tuple[Table, str]] = {
    "author": (AUTHORS, "author_id"),
    "category": (CATEGORIES, "category_id"),
}


@dataclass(frozen=True)
class ArticleColumns:
    """What a request's article rows carry: the body or not (bodies are most of an
    article's bytes, and only an article page shows one), which to-one relations come
    along, joined in the same statement, and whether the tags do, as JSON in
    `tags__json` (see tag_rows), when the request shows them."""

    body: bool = True
    relations: frozenset[str] = frozenset()
    tags: bool = False


WHOLE_ARTICLES = ArticleColumns()  # what graphql-core's path reads: no plan tells it less


def article_select(columns: ArticleColumns, *extra: Any) -> Select[Any]:
    """SELECT article rows (and `extra` columns) FROM article, joined to the relations
    `columns` asks for, whose columns come as `<relation>__<column>`."""
    selected = [*entity_columns(ARTICLES, columns.body)]
    source: Any = ARTICLES
    for name in sorted(columns.relations):
        table, key = RELATIONS[name]
        source = source.join(table, table.c.id == ARTICLES.c[key])
        selected += [column.label(f"{name}__{column.key}") for column in entity_columns(table)]
    if columns.tags:
        selected.append(tags_as_json(ARTICLES.c.id).label("tags__json"))
    return select(*selected, *extra).select_from(source)


class tags_as_json(FunctionElement[str]):
    """The tags of the article whose id is the argument, by name, as a JSON array of
    their rows (without `typename`): a subquery of the article's own statement, where
    a statement of their own would cost a round trip and its planning."""

    type = Text()
    inherit_cache = True


# A tag row's columns in the JSON: (key, column of the tag table).
_TAG_FIELDS = [
    ("pk" if column.name == "id" else column.name, column.name)
    for column in TAGS.c
    if column.name not in UNREAD
]
_TAG_COLUMNS = ", ".join(f"tag.{column}" for _, column in _TAG_FIELDS)
_TAG_OBJECT = ", ".join(f"'{key}', tag.{column}" for key, column in _TAG_FIELDS)


@compiles(tags_as_json, "postgresql")
def _tags_as_json_postgresql(element: tags_as_json, compiler: SQLCompiler, **kw: Any) -> str:
    # Each tag looked up by its key (OFFSET 0 keeps the subquery from being joined):
    # joined, PostgreSQL would hash the whole tag table again for every article.
    (article_id,) = (compiler.process(arg, **kw) for arg in element.clauses)
    return (
        f"(SELECT coalesce(json_agg(json_build_object({_TAG_OBJECT}) ORDER BY tag.name, tag.id), "
        f"'[]') FROM article_tag CROSS JOIN LATERAL (SELECT {_TAG_COLUMNS} FROM tag "
        f"WHERE tag.id = article_tag.tag_id OFFSET 0) AS tag "
        f"WHERE article_tag.article_id = {article_id})"
    )


@compiles(tags_as_json)
def _tags_as_json_sqlite(element: tags_as_json, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite (before 3.44) has no ORDER BY in an aggregate; it aggregates an ordered
    # subquery in its order, which it does not flatten into an aggregate.
    (article_id,) = (compiler.process(arg, **kw) for arg in element.clauses)
    return (
        f"(SELECT coalesce(json_group_array(json_object({_TAG_OBJECT})), '[]') FROM "
        f"(SELECT {_TAG_COLUMNS} FROM article_tag JOIN tag ON tag.id = article_tag.tag_id "
        f"WHERE article_tag.article_id = {article_id} ORDER BY tag.name, tag.id) AS tag)"
    )


def tag_rows(articles: Sequence[Row]) -> dict[int, list[Row]]:
    """The tags that came with `articles` (ArticleColumns.tags), by article id."""
    return {
        article["pk"]: [
            PlainRow(typename="Tag", **tag) for tag in orjson.loads(article["tags__json"])
        ]
        for article in articles
    }


@cache
def _joined_columns(name: str) -> list[tuple[str, str]]:
    """(column as joined, column as the relation's own rows name it), for relation `name`."""
    table, _ = RELATIONS[name]
    return [(f"{name}__{column.key}", str(column.key)) for column in entity_columns(table)]


def relation_rows(articles: Sequence[Row], name: str) -> dict[int, Row]:
    """The rows of relation `name` (e.g. the authors) that came with `articles`."""
    _, key = RELATIONS[name]
    columns = _joined_columns(name)
    found: dict[int, Row] = {}
    for article in articles:
        pk = article[key]
        if pk not in found:
            found[pk] = PlainRow({plain: article[joined] for joined, plain in columns})
    return found


def as_row(instance: SQLModel) -> Row:
    """An instance just written through the ORM, as an entity row."""
    table = instance.__table__  # type: ignore[attr-defined]
    row = PlainRow(typename=TYPENAMES[table], pk=getattr(instance, "id"))  # noqa: B009
    for column in table.c:
        if column.name not in UNREAD | {"id"}:
            row[column.name] = getattr(instance, column.name)
    return row
