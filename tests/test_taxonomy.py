"""Authors, categories and tags, and the article connections nested in them."""

from datetime import UTC, datetime, timedelta

import pytest

import models
from tests.factories import make_article, make_author, make_category, make_tag

DAY_ONE = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

AUTHORS_PAGE = """
query ($after: String) {
  authors(first: 2, after: $after) {
    totalCount
    edges { cursor node { slug name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def _day(n: int) -> datetime:
    return DAY_ONE + timedelta(days=n)


def _connection(total: int, *titles: str) -> dict[str, object]:
    return {"totalCount": total, "edges": [{"node": {"title": title}} for title in titles]}


async def test_author_articles_lists_only_their_published_articles_newest_first(gql, session):
    ann = await make_author(session, slug="ann", name="Ann")
    other = await make_author(session)
    await make_article(session, author=ann, title="Old", published_at=_day(1))
    await make_article(session, author=ann, title="New", published_at=_day(3))
    await make_article(session, author=ann, title="Middle", published_at=_day(2))
    await make_article(session, author=ann, title="Draft", status=models.ArticleStatus.DRAFT)
    await make_article(
        session,
        author=ann,
        title="Gone",
        status=models.ArticleStatus.ARCHIVED,
        published_at=_day(4),
    )
    await make_article(session, author=other, title="Someone else's", published_at=_day(5))
    result = await gql(
        '{ author(slug: "ann") { name articles { totalCount edges { node { title } } } } }'
    )
    assert result.errors is None
    assert result.data == {
        "author": {
            "name": "Ann",
            "articles": _connection(3, "New", "Middle", "Old"),
        }
    }


async def test_authors_pages_by_name_with_cursors(gql, session):
    # Created out of order; two share a name, so the page boundary falls between equal names.
    names = {"dee": "Dee", "cy-1": "Cy", "ada": "Ada", "eve": "Eve", "cy-2": "Cy", "bea": "Bea"}
    for slug, name in {**names, "al": "Al"}.items():
        await make_author(session, slug=slug, name=name)
    seen, pages, after = [], [], None
    while True:
        result = await gql(AUTHORS_PAGE, after=after)
        assert result.errors is None
        page = result.data["authors"]
        info = page["pageInfo"]
        assert page["totalCount"] == 7
        assert info["startCursor"] == page["edges"][0]["cursor"]
        assert info["endCursor"] == page["edges"][-1]["cursor"]
        seen += [(edge["node"]["slug"], edge["node"]["name"]) for edge in page["edges"]]
        pages.append((len(page["edges"]), info["hasPreviousPage"], info["hasNextPage"]))
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == [
        *[("ada", "Ada"), ("al", "Al"), ("bea", "Bea"), ("cy-1", "Cy")],
        *[("cy-2", "Cy"), ("dee", "Dee"), ("eve", "Eve")],
    ]
    assert pages == [(2, False, True), (2, True, True), (2, True, True), (1, True, False)]


async def test_categories_are_sorted_by_name_with_their_articles(gql, session):
    science = await make_category(session, slug="science")
    business = await make_category(session, slug="business")
    await make_category(session, slug="culture")
    await make_article(session, category=science, title="Comet", published_at=_day(1))
    await make_article(session, category=science, title="Quasar", published_at=_day(2))
    await make_article(session, category=business, title="Shares", published_at=_day(3))
    await make_article(session, category=business, status=models.ArticleStatus.DRAFT)
    result = await gql("{ categories { name articles { totalCount edges { node { title } } } } }")
    assert result.errors is None
    assert result.data == {
        "categories": [
            {"name": "Business", "articles": _connection(1, "Shares")},
            {"name": "Culture", "articles": _connection(0)},
            {"name": "Science", "articles": _connection(2, "Quasar", "Comet")},
        ]
    }


async def _tagged_newsroom(session) -> None:
    """Published uses: beta 3, alpha 2, delta 1, epsilon 1, gamma 0 (gamma has only hidden ones)."""
    tags = {
        slug: await make_tag(session, slug=slug)
        for slug in ["gamma", "alpha", "epsilon", "beta", "delta"]
    }
    uses = [
        (["alpha", "beta"], models.ArticleStatus.PUBLISHED),
        (["alpha", "beta", "delta"], models.ArticleStatus.PUBLISHED),
        (["beta", "epsilon"], models.ArticleStatus.PUBLISHED),
        (["alpha", "gamma"], models.ArticleStatus.DRAFT),
        (["gamma", "beta"], models.ArticleStatus.ARCHIVED),
    ]
    for slugs, status in uses:
        await make_article(session, tags=[tags[slug] for slug in slugs], status=status)


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("NAME", [("Alpha", 2), ("Beta", 3), ("Delta", 1), ("Epsilon", 1), ("Gamma", 0)]),
        ("ARTICLE_COUNT", [("Beta", 3), ("Alpha", 2), ("Delta", 1), ("Epsilon", 1), ("Gamma", 0)]),
    ],
)
async def test_tags_ordered_with_counts_of_published_articles(gql, session, order, expected):
    await _tagged_newsroom(session)
    for first in (20, 2):
        result = await gql(
            "query ($first: Int!, $order: TagOrder!) { tags(first: $first, orderBy: $order) {"
            " name articleCount articles { totalCount } } }",
            first=first,
            order=order,
        )
        assert result.errors is None
        assert result.data == {
            "tags": [
                {"name": name, "articleCount": count, "articles": {"totalCount": count}}
                for name, count in expected[:first]
            ]
        }


CATEGORY_PAGES = """
{ categories { slug articles(first: 2) { totalCount edges { node { title } } } } }
"""


async def _add_categories(session, slugs: list[str]) -> None:
    for slug in slugs:
        category = await make_category(session, slug=slug)
        for n in range(3):
            await make_article(
                session, category=category, title=f"{slug} {n}", published_at=_day(n)
            )


async def _statements_for_category_pages(gql, statements, slugs: list[str]) -> int:
    statements.clear()
    result = await gql(CATEGORY_PAGES)
    assert result.errors is None
    assert result.data == {
        "categories": [
            {
                "slug": slug,
                "articles": _connection(3, f"{slug} 2", f"{slug} 1"),
            }
            for slug in slugs
        ]
    }
    return len(statements)


async def test_categories_nested_articles_statement_count_is_constant(gql, session, statements):
    slugs = [f"section-{letter}" for letter in "abcdefgh"]
    await _add_categories(session, slugs[:2])
    two = await _statements_for_category_pages(gql, statements, slugs[:2])
    await _add_categories(session, slugs[2:])
    eight = await _statements_for_category_pages(gql, statements, slugs)
    assert two == eight, (two, eight)
    assert eight <= 3, statements.statements


async def test_tag_articles_filter_by_language(gql, session):
    travel = await make_tag(session, slug="travel")
    other = await make_tag(session, slug="other")
    await make_article(session, tags=[travel], language="id", title="Bali", published_at=_day(1))
    await make_article(session, tags=[travel], language="en", title="London", published_at=_day(2))
    await make_article(session, tags=[travel], language="id", title="Jakarta", published_at=_day(3))
    await make_article(
        session, tags=[other], language="id", title="Elsewhere", published_at=_day(4)
    )
    await make_article(
        session, tags=[travel], language="id", title="Hidden", status=models.ArticleStatus.DRAFT
    )
    result = await gql(
        """{ tags { slug articles(filter: {language: "id"}) {
          totalCount edges { node { title } }
        } } }"""
    )
    assert result.errors is None
    assert result.data == {
        "tags": [
            {"slug": "other", "articles": _connection(1, "Elsewhere")},
            {"slug": "travel", "articles": _connection(2, "Jakarta", "Bali")},
        ]
    }
