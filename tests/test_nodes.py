"""Relay refetching: `node(id:)` and `nodes(ids:)` by global ID, for every Node type."""

import base64

import pytest

import models
from tests.factories import make_article, make_author, make_category, make_tag

NODE = """
query ($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Article { title author { slug } }
    ... on Author { slug name }
    ... on Category { slug name }
    ... on Tag { slug name }
  }
}
"""

NODES = """
query ($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename id
    ... on Article { title author { name } }
    ... on Author { name }
    ... on Category { name }
    ... on Tag { name }
  }
}
"""


def _gid(type_name: str, pk: int | None) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def _one_of_each(session) -> dict[str, tuple[str, dict[str, object]]]:
    """An article with its author, category and tag: each type's ID and expected node."""
    author = await make_author(session, slug="ann-lee", name="Ann Lee")
    category = await make_category(session, slug="science")
    tag = await make_tag(session, slug="space")
    article = await make_article(
        session, author=author, category=category, tags=[tag], title="Moon Landing"
    )
    return {
        "Article": (
            _gid("Article", article.id),
            {"title": "Moon Landing", "author": {"slug": "ann-lee"}},
        ),
        "Author": (_gid("Author", author.id), {"slug": "ann-lee", "name": "Ann Lee"}),
        "Category": (_gid("Category", category.id), {"slug": "science", "name": "Science"}),
        "Tag": (_gid("Tag", tag.id), {"slug": "space", "name": "Space"}),
    }


@pytest.mark.parametrize("type_name", ["Article", "Author", "Category", "Tag"])
async def test_node_returns_each_type_through_its_fragment(gql, session, type_name):
    global_id, fields = (await _one_of_each(session))[type_name]
    result = await gql(NODE, id=global_id)
    assert result.errors is None
    assert result.data == {"node": {"__typename": type_name, "id": global_id, **fields}}


@pytest.mark.parametrize("type_name", ["Article", "Author", "Category", "Tag", "Comment"])
async def test_node_is_null_for_an_unknown_id(gql, session, type_name):
    await _one_of_each(session)
    result = await gql(NODE, id=_gid(type_name, 99_999_999))
    assert result.errors is None
    assert result.data == {"node": None}


@pytest.mark.parametrize("status", [models.ArticleStatus.DRAFT, models.ArticleStatus.ARCHIVED])
async def test_node_is_null_for_an_unpublished_article(gql, session, status):
    article = await make_article(session, status=status)
    result = await gql(NODE, id=_gid("Article", article.id))
    assert result.errors is None
    assert result.data == {"node": None}


async def test_nodes_keeps_order_with_null_for_missing(gql, session):
    found = await _one_of_each(session)
    draft = await make_article(session, status=models.ArticleStatus.DRAFT)
    ids = [
        found["Tag"][0],
        _gid("Article", 99_999_999),
        found["Author"][0],
        _gid("Article", draft.id),
        found["Category"][0],
        found["Article"][0],
        found["Tag"][0],
    ]
    result = await gql(NODES, ids=ids)
    assert result.errors is None
    tag = {"__typename": "Tag", "id": found["Tag"][0], "name": "Space"}
    assert result.data == {
        "nodes": [
            tag,
            None,
            {"__typename": "Author", "id": found["Author"][0], "name": "Ann Lee"},
            None,
            {"__typename": "Category", "id": found["Category"][0], "name": "Science"},
            {
                "__typename": "Article",
                "id": found["Article"][0],
                "title": "Moon Landing",
                "author": {"name": "Ann Lee"},
            },
            tag,
        ]
    }


async def test_nodes_of_no_ids_is_an_empty_list(gql, session):
    await _one_of_each(session)
    result = await gql(NODES, ids=[])
    assert result.errors is None
    assert result.data == {"nodes": []}


async def test_id_round_trips_for_every_type(gql, session):
    await _one_of_each(session)
    listed = await gql(
        """{ articles(first: 1) { edges { node {
          __typename id author { __typename id } category { __typename id } tags { __typename id }
        } } } }"""
    )
    assert listed.errors is None
    article = listed.data["articles"]["edges"][0]["node"]
    objects = [
        {"__typename": article["__typename"], "id": article["id"]},
        article["author"],
        article["category"],
        *article["tags"],
    ]
    assert [o["__typename"] for o in objects] == ["Article", "Author", "Category", "Tag"]
    for refetch in objects:
        result = await gql("query ($id: ID!) { node(id: $id) { __typename id } }", id=refetch["id"])
        assert result.errors is None
        assert result.data == {"node": refetch}
    ids = [o["id"] for o in objects]
    result = await gql("query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", ids=ids)
    assert result.errors is None
    assert result.data == {"nodes": objects}


async def test_nodes_statement_count_is_constant(gql, session, statements):
    """Ten articles (with their own authors), ten authors and ten tags."""
    articles = [await make_article(session) for _ in range(10)]
    authors = [await make_author(session) for _ in range(10)]
    tags = [await make_tag(session) for _ in range(10)]
    all_ids = [
        id_
        for article, author, tag in zip(articles, authors, tags, strict=True)
        for id_ in (_gid("Article", article.id), _gid("Author", author.id), _gid("Tag", tag.id))
    ]
    counts = []
    for ids in (all_ids[:3], all_ids):
        statements.clear()
        result = await gql(NODES, ids=ids)
        assert result.errors is None
        assert [node["id"] for node in result.data["nodes"]] == ids
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 4, statements.statements


async def test_nodes_refuses_more_than_a_hundred_ids(gql, session):
    tag = await make_tag(session)
    result = await gql(NODES, ids=[_gid("Tag", tag.id)] * 101)
    assert result.data is None
    assert [error.extensions for error in result.errors] == [
        {"code": "BAD_USER_INPUT", "argument": "ids"}
    ]
