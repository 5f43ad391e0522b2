from datetime import UTC, datetime, timedelta

from app.callers import Caller
from app.context import ANONYMOUS
from models import ArticleStatus
from resolvers.types.node import encode_id
from tests.factories import add_views, make_article, make_author, make_category, make_tag

NOW = datetime.now(UTC).replace(microsecond=0)

PAGE = """
query ($first: Int!, $after: String, $filter: ArticleFilter, $orderBy: ArticleOrder!) {
  articles(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { slug } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def _slugs(gql, first=20, order_by="PUBLISHED_AT_DESC", **filter):
    result = await gql(PAGE, first=first, filter=filter or None, orderBy=order_by)
    assert result.errors is None, result.errors
    return [edge["node"]["slug"] for edge in result.data["articles"]["edges"]]


async def test_article_by_slug_and_by_id_return_the_same_article(gql, session):
    author = await make_author(session, slug="ana", name="Ana")
    article = await make_article(
        session, slug="hello", title="Hello", author=author, body="one two three"
    )
    query = """query ($id: ID, $slug: String) {
      article(id: $id, slug: $slug) { id title author { name } readingTimeMinutes }
    }"""
    expected = {
        "article": {
            "id": encode_id("Article", article.id),
            "title": "Hello",
            "author": {"name": "Ana"},
            "readingTimeMinutes": 1,
        }
    }
    assert (await gql(query, slug="hello")).data == expected
    assert (await gql(query, id=encode_id("Article", article.id))).data == expected


async def test_article_returns_none_for_unknown_draft_and_archived(gql, session):
    draft = await make_article(session, slug="draft", status=ArticleStatus.DRAFT)
    await make_article(session, slug="archived", status=ArticleStatus.ARCHIVED)
    query = "query ($slug: String) { article(slug: $slug) { slug } }"
    for slug in ["missing", "draft", "archived"]:
        result = await gql(query, slug=slug)
        assert result.errors is None
        assert result.data == {"article": None}
    result = await gql(
        "query ($id: ID) { article(id: $id) { slug } }", id=encode_id("Article", draft.id)
    )
    assert result.data == {"article": None}


async def test_articles_newest_first_by_default_and_hides_unpublished(gql, session):
    for days, slug in [(3, "old"), (1, "new"), (2, "middle")]:
        await make_article(session, slug=slug, published_at=NOW - timedelta(days=days))
    await make_article(session, slug="draft", status=ArticleStatus.DRAFT)
    await make_article(session, slug="archived", status=ArticleStatus.ARCHIVED)
    assert await _slugs(gql) == ["new", "middle", "old"]
    assert await _slugs(gql, order_by="PUBLISHED_AT_ASC") == ["old", "middle", "new"]


async def test_articles_orders_by_views_with_id_breaking_ties(gql, session):
    low = await make_article(session, slug="low")
    high = await make_article(session, slug="high")
    tie_a = await make_article(session, slug="tie-a")
    tie_b = await make_article(session, slug="tie-b")
    for article, views in [(low, 1), (high, 9), (tie_a, 5), (tie_b, 5)]:
        await add_views(session, article, views)
    assert await _slugs(gql, order_by="VIEWS_DESC") == ["high", "tie-b", "tie-a", "low"]


async def test_articles_pages_with_cursors_stable_under_inserts(gql, session):
    for n in range(5):
        await make_article(session, slug=f"a{n}", published_at=NOW - timedelta(hours=n))
    first = await gql(PAGE, first=2, orderBy="PUBLISHED_AT_DESC")
    page = first.data["articles"]
    assert [e["node"]["slug"] for e in page["edges"]] == ["a0", "a1"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["hasPreviousPage"] is False
    assert page["totalCount"] == 5
    # A story published meanwhile lands before the cursor and shifts nothing after it.
    await make_article(session, slug="breaking", published_at=datetime.now(UTC))
    after = page["pageInfo"]["endCursor"]
    second = await gql(PAGE, first=2, after=after, orderBy="PUBLISHED_AT_DESC")
    page = second.data["articles"]
    assert [e["node"]["slug"] for e in page["edges"]] == ["a2", "a3"]
    assert page["pageInfo"]["hasPreviousPage"] is True
    third = await gql(
        PAGE, first=2, after=page["pageInfo"]["endCursor"], orderBy="PUBLISHED_AT_DESC"
    )
    page = third.data["articles"]
    assert [e["node"]["slug"] for e in page["edges"]] == ["a4"]
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["totalCount"] == 6


async def test_articles_walks_every_article_once_in_views_order(gql, session):
    for n in range(7):
        article = await make_article(session, slug=f"v{n}")
        await add_views(session, article, views=n % 3)
    seen, after = [], None
    while True:
        result = await gql(PAGE, first=3, after=after, orderBy="VIEWS_DESC")
        page = result.data["articles"]
        seen += [e["node"]["slug"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == [f"v{n}" for n in range(7)]
    assert len(seen) == 7


async def test_articles_filters_combine(gql, session):
    ana = await make_author(session, slug="ana")
    bo = await make_author(session, slug="bo")
    sport = await make_category(session, slug="sport")
    world = await make_category(session, slug="world")
    red, blue = await make_tag(session, slug="red"), await make_tag(session, slug="blue")
    await make_article(
        session,
        slug="a",
        author=ana,
        category=sport,
        tags=[red, blue],
        published_at=NOW - timedelta(days=1),
    )
    await make_article(
        session,
        slug="b",
        author=ana,
        category=world,
        tags=[red],
        language="id",
        published_at=NOW - timedelta(days=2),
    )
    await make_article(
        session,
        slug="c",
        author=bo,
        category=sport,
        tags=[blue],
        published_at=NOW - timedelta(days=3),
    )
    assert await _slugs(gql, authorSlug="ana") == ["a", "b"]
    assert await _slugs(gql, categorySlug="sport") == ["a", "c"]
    assert await _slugs(gql, tagSlugs=["red"]) == ["a", "b"]
    assert await _slugs(gql, tagSlugs=["red", "blue"]) == ["a"]
    assert await _slugs(gql, tagSlugs=["red", "missing"]) == []
    assert await _slugs(gql, language="id") == ["b"]
    assert await _slugs(gql, authorSlug="ana", categorySlug="sport") == ["a"]
    since = (NOW - timedelta(days=2)).isoformat()
    assert await _slugs(gql, publishedAfter=since) == ["a", "b"]
    assert await _slugs(gql, publishedBefore=since) == ["c"]
    assert await _slugs(gql, authorSlug="nobody") == []


async def test_latest_news_is_newest_published_by_category_and_language(gql, session):
    world = await make_category(session, slug="world")
    for n in range(4):
        await make_article(
            session,
            slug=f"w{n}",
            category=world,
            language="en" if n % 2 else "id",
            published_at=NOW - timedelta(hours=n),
        )
    await make_article(session, slug="other", published_at=NOW)
    query = """query ($c: String, $l: String) {
      latestNews(first: 2, categorySlug: $c, language: $l) { slug }
    }"""
    assert (await gql(query)).data == {"latestNews": [{"slug": "other"}, {"slug": "w0"}]}
    assert (await gql(query, c="world", l="en")).data == {
        "latestNews": [{"slug": "w1"}, {"slug": "w3"}]
    }


BY_STATUS = """
query ($status: ArticleStatus, $after: String, $order: ArticleOrder!) {
  articles(first: 2, status: $status, after: $after, orderBy: $order) {
    totalCount
    edges { node { slug } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
EDITOR = Caller("editor:e1", frozenset({"content:write"}))


async def _all_pages(
    gql, status, order="PUBLISHED_AT_DESC", caller=EDITOR
) -> tuple[int, list[str]]:
    slugs, after = [], None
    while True:
        result = await gql(BY_STATUS, caller=caller, status=status, after=after, order=order)
        assert result.errors is None, result.errors
        page = result.data["articles"]
        slugs += [edge["node"]["slug"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return page["totalCount"], slugs
        after = page["pageInfo"]["endCursor"]


async def test_editors_list_articles_by_status_through_every_page(gql, session):
    for n in range(3):
        await make_article(session, slug=f"draft-{n}", status=ArticleStatus.DRAFT)
    await make_article(session, slug="dated-draft", status=ArticleStatus.DRAFT, published_at=NOW)
    await make_article(session, slug="gone", status=ArticleStatus.ARCHIVED)
    await make_article(session, slug="out", published_at=NOW - timedelta(days=1))
    # Undated drafts sort after every date, the newest first; then by date.
    assert await _all_pages(gql, "DRAFT") == (4, ["draft-2", "draft-1", "draft-0", "dated-draft"])
    assert await _all_pages(gql, "DRAFT", "PUBLISHED_AT_ASC") == (
        4,
        ["dated-draft", "draft-0", "draft-1", "draft-2"],
    )
    assert await _all_pages(gql, "DRAFT", "VIEWS_DESC") == (
        4,
        ["dated-draft", "draft-2", "draft-1", "draft-0"],
    )
    assert await _all_pages(gql, "ARCHIVED") == (1, ["gone"])
    assert await _all_pages(gql, "PUBLISHED") == (1, ["out"])
    assert await _all_pages(gql, None) == (1, ["out"])


async def test_readers_may_not_list_by_another_status_than_published(gql, session):
    await make_article(session, slug="secret", status=ArticleStatus.DRAFT)
    await make_article(session, slug="out")
    for status in ("DRAFT", "ARCHIVED"):
        result = await gql(BY_STATUS, status=status, order="PUBLISHED_AT_DESC")
        assert result.data is None
        assert [e.extensions for e in result.errors] == [
            {"code": "FORBIDDEN", "scope": "content:write"}
        ]
    assert await _all_pages(gql, "PUBLISHED", caller=ANONYMOUS) == (1, ["out"])


async def test_nested_listings_by_status_batch(gql, session, statements):
    authors = [await make_author(session) for _ in range(3)]
    for author in authors:
        await make_article(session, author=author, status=ArticleStatus.DRAFT)
    query = """{ articles(status: DRAFT, first: 10) { edges { node { author {
        articles(status: DRAFT) { totalCount edges { node { slug } } } } } } } }"""
    statements.clear()
    result = await gql(query, caller=EDITOR)
    assert result.errors is None, result.errors
    edges = result.data["articles"]["edges"]
    assert [e["node"]["author"]["articles"]["totalCount"] for e in edges] == [1, 1, 1]
    # the page (with its authors, joined), their pages, their counts
    assert len(statements) == 3
