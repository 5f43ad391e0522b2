"""Bad input gets a stable `extensions.code`, names the argument, and shows no internals."""

import base64
import re
from datetime import UTC, datetime

import orjson
import pytest

from tests.factories import make_article, make_tag

EMPTY = {"totalCount": 0, "edges": []}
INTERNALS = re.compile(r"Traceback|SELECT|\.py\b|/work/|site-packages|File \"")


def _gid(type_name: str, pk: object) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def _cursor(parts: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(parts)).decode()


def _assert_error(result, extensions: dict[str, str], data: object = None) -> None:
    """Exactly one error with these extensions, `data` as GraphQL nulls it, no internals shown."""
    assert result.data == data
    assert [error.extensions for error in result.errors] == [extensions]
    message = result.errors[0].message
    assert not INTERNALS.search(message), message
    if "argument" in extensions:
        assert f"`{extensions['argument']}`" in message, message


def _bad_input(result, argument: str, data: object = None) -> None:
    _assert_error(result, {"code": "BAD_USER_INPUT", "argument": argument}, data)


BAD_IDS = {  # test id: what `article(id:)` is given
    "not-base64": "not-an-id",
    "percent-signs": "%%%",
    "pk-not-digits": _gid("Article", "abc"),
    "pk-beyond-int32": _gid("Article", 99999999999),
    "pk-negative": _gid("Article", -1),
    "no-padding": _gid("Article", 12).rstrip("="),
    "of-an-author": _gid("Author", 1),
    "not-ascii": "Articlé:1",
    "not-utf8-inside": base64.b64encode(b"Article:\xff1").decode(),
}


@pytest.mark.parametrize("global_id", BAD_IDS.values(), ids=BAD_IDS)
async def test_article_id_malformed_or_of_another_type_is_bad_user_input(gql, global_id):
    result = await gql("query ($id: ID!) { article(id: $id) { title } }", id=global_id)
    _bad_input(result, "id", {"article": None})


@pytest.mark.parametrize(
    ("query", "argument", "data"),
    [
        ('{ node(id: "%%%") { id } }', "id", {"node": None}),
        (f'{{ node(id: "{_gid("Tag", "1.5")}") {{ id }} }}', "id", {"node": None}),
        (f'{{ nodes(ids: ["{_gid("Tag", 1)}", "%%%"]) {{ id }} }}', "ids", None),
        ('{ node(id: "日本") { id } }', "id", {"node": None}),
        ('{ nodes(ids: ["é"]) { id } }', "ids", None),
    ],
)
async def test_node_id_malformed_is_bad_user_input(gql, query, argument, data):
    _bad_input(await gql(query), argument, data)


@pytest.mark.parametrize(
    "arguments", ['(id: "QXJ0aWNsZTox", slug: "a-slug")', "", "(id: null, slug: null)"]
)
async def test_article_wants_exactly_one_of_id_and_slug(gql, arguments):
    _bad_input(await gql(f"{{ article{arguments} {{ title }} }}"), "id", {"article": None})


NEWEST, VIEWED = "PUBLISHED_AT_DESC", "VIEWS_DESC"
BAD_ARTICLE_CURSORS = {  # id: (after, orderBy)
    "garbage": ("garbage", NEWEST),
    "short-list": (_cursor([1, 2]), NEWEST),
    "object": (_cursor({"order": NEWEST}), NEWEST),
    "views-not-int": (_cursor([VIEWED, "many", 1]), VIEWED),
    "views-bool": (_cursor([VIEWED, True, 1]), VIEWED),
    "naive-date": (_cursor([NEWEST, "2025-01-01T00:00:00", 1]), NEWEST),
    "id-bool": (_cursor([NEWEST, "2025-01-01T00:00:00+00:00", True]), NEWEST),
    "date-before-utc-year-1": (_cursor([NEWEST, "0001-01-01T00:00:00+05:00", 1]), NEWEST),
}


@pytest.mark.parametrize(("after", "order"), BAD_ARTICLE_CURSORS.values(), ids=BAD_ARTICLE_CURSORS)
async def test_articles_bad_cursor_is_bad_user_input(gql, after, order):
    result = await gql(
        "query ($after: String, $order: ArticleOrder!) {"
        " articles(after: $after, orderBy: $order) { totalCount } }",
        after=after,
        order=order,
    )
    _bad_input(result, "after")


async def test_articles_cursor_of_another_ordering_is_bad_user_input(gql, session):
    await make_article(session)
    await make_article(session)
    page = await gql("{ articles(first: 1) { pageInfo { endCursor } } }")
    cursor = page.data["articles"]["pageInfo"]["endCursor"]
    result = await gql(
        "query ($after: String) { articles(after: $after, orderBy: VIEWS_DESC) { totalCount } }",
        after=cursor,
    )
    _bad_input(result, "after")


@pytest.mark.parametrize(
    "after",
    ["garbage", _cursor([1, 2]), _cursor(["Ann", "one"]), _cursor(["Ann", True])],
    ids=["garbage", "short-list", "id-not-int", "id-bool"],
)
async def test_authors_bad_cursor_is_bad_user_input(gql, after):
    result = await gql(
        "query ($after: String) { authors(after: $after) { totalCount } }", after=after
    )
    _bad_input(result, "after")


FIRST_FIELDS = {
    "articles": ("{ articles(first: %d) { totalCount } }", None),
    "latestNews": ("{ latestNews(first: %d) { title } }", None),
    "popularArticles": ("{ popularArticles(first: %d) { rank } }", None),
    "related": ('{ article(slug: "story") { related(first: %d) { title } } }', {"article": None}),
    "tags": ("{ tags(first: %d) { name } }", None),
    "authors": ("{ authors(first: %d) { totalCount } }", None),
}


@pytest.mark.parametrize("first", [0, 101, -1])
@pytest.mark.parametrize("field", list(FIRST_FIELDS))
async def test_first_out_of_range_is_bad_user_input(gql, session, field, first):
    await make_article(session, slug="story")
    query, data = FIRST_FIELDS[field]
    _bad_input(await gql(query % first), "first", data)


TEXT_ARGUMENTS = [  # (field taking the string $s, the argument named, data)
    ("article(slug: $s) { title }", "slug", {"article": None}),
    ("author(slug: $s) { name }", "slug", {"author": None}),
    ("articles(filter: {categorySlug: $s}) { totalCount }", "filter.categorySlug", None),
    ("articles(filter: {authorSlug: $s}) { totalCount }", "filter.authorSlug", None),
    ('articles(filter: {tagSlugs: ["news", $s]}) { totalCount }', "filter.tagSlugs", None),
    ("articles(filter: {language: $s}) { totalCount }", "filter.language", None),
    ("latestNews(categorySlug: $s) { title }", "categorySlug", None),
    ("popularArticles(language: $s) { rank }", "language", None),
]


@pytest.mark.parametrize(("field", "argument", "data"), TEXT_ARGUMENTS)
async def test_nul_byte_in_text_is_bad_user_input(gql, session, field, argument, data):
    await make_article(session, slug="news")
    result = await gql(f"query ($s: String!) {{ {field} }}", s="news\x00")
    _bad_input(result, argument, data)


@pytest.mark.parametrize(("field", "argument", "data"), TEXT_ARGUMENTS)
async def test_ten_kilobyte_text_is_bad_user_input(gql, field, argument, data):
    _bad_input(await gql(f"query ($s: String!) {{ {field} }}", s="x" * 10_240), argument, data)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ articles { totalCount nope } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ popularArticles(window: YEAR) { rank } }", "GRAPHQL_VALIDATION_FAILED"),
        ('{ articles(first: "ten") { totalCount } }', "GRAPHQL_VALIDATION_FAILED"),
        ("{ articles(first: 5 { totalCount } }", "GRAPHQL_PARSE_FAILED"),
    ],
)
async def test_document_errors_have_their_code(gql, query, code):
    _assert_error(await gql(query), {"code": code})


async def test_variable_of_the_wrong_type_is_bad_user_input(gql):
    result = await gql("query ($n: Int!) { articles(first: $n) { totalCount } }", n="ten")
    _assert_error(result, {"code": "BAD_USER_INPUT"})


async def test_unknown_slugs_are_null_without_errors(gql, session):
    await make_article(session)
    result = await gql(
        """{ article(slug: "no-such-story") { title }
          author(slug: "no-such-author") { name }
          articles(filter: {categorySlug: "no-such-section", tagSlugs: ["no-such-tag"]}) {
            totalCount edges { node { title } }
          } }"""
    )
    assert result.errors is None
    assert result.data == {"article": None, "author": None, "articles": EMPTY}


@pytest.mark.parametrize(
    "filter_", ['{tagSlugs: [""]}', '{tagSlugs: ["news", ""]}', '{categorySlug: ""}']
)
async def test_empty_slug_in_filter_matches_nothing(gql, session, filter_):
    news = await make_tag(session, slug="news")
    await make_article(session, tags=[news])
    result = await gql(f"{{ articles(filter: {filter_}) {{ totalCount edges {{ cursor }} }} }}")
    assert result.errors is None
    assert result.data == {"articles": EMPTY}


@pytest.mark.parametrize("after", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
async def test_published_after_beyond_utc_range_is_bad_user_input(gql, after):
    result = await gql(
        "query ($after: DateTime!) { articles(filter: {publishedAfter: $after}) { totalCount } }",
        after=after,
    )
    _bad_input(result, "filter.publishedAfter")


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("2025-01-01T11:00:00", ["Noon"]),  # no offset: UTC
        ("2025-01-01T11:00:00+02:00", ["Noon", "Ten"]),  # 09:00 UTC
        ("2025-01-01T12:00:00Z", ["Noon"]),  # inclusive
    ],
)
async def test_published_after_without_offset_is_utc(gql, session, after, expected):
    await make_article(session, title="Ten", published_at=datetime(2025, 1, 1, 10, tzinfo=UTC))
    await make_article(session, title="Noon", published_at=datetime(2025, 1, 1, 12, tzinfo=UTC))
    result = await gql(
        "query ($after: DateTime!) {"
        " articles(filter: {publishedAfter: $after}) { edges { node { title } } } }",
        after=after,
    )
    assert result.errors is None
    assert result.data == {"articles": {"edges": [{"node": {"title": t}} for t in expected]}}
