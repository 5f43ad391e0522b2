"""N+1 guard: the statements a request costs must not grow with the number of articles."""

import pytest

from tests.factories import add_views, make_article, make_author, make_category, make_tag

LISTING = """
query ($first: Int!) {
  articles(first: $first) {
    edges { node {
      author { name } category { name } tags { name } viewCount
      related(first: 3) { title author { name } }
    } }
  }
}
"""

ARTICLE_PAGE = """
query ($slug: String!) {
  article(slug: $slug) {
    title body readingTimeMinutes
    author { name bio }
    category { name }
    tags { name slug }
    viewCount day: views(window: DAY) week: views(window: WEEK)
    related(first: 5) { title slug author { name } category { name } tags { name } }
  }
}
"""


async def _newsroom(session, pages: int) -> None:
    """`pages` front-page articles, each with an older look-alike, all related by their words.

    Front-page and look-alike articles have different authors, so that at every page
    size the related articles' authors are a batch of their own rather than
    already cached: the counts compared below are then like for like.
    """
    front_authors = [await make_author(session) for _ in range(3)]
    other_authors = [await make_author(session) for _ in range(2)]
    categories = [await make_category(session) for _ in range(4)]
    tags = [await make_tag(session) for _ in range(pages)]
    # Related news goes by the words: each front-page article has a word of its own, and
    # each look-alike the words of five front-page articles, so that a front-page article
    # is related to five look-alikes and to no other front-page article.
    for n in range(pages):
        article = await make_article(
            session, author=front_authors[n % 3], category=categories[n % 4], tags=[tags[n]],
            title=f"berth{n}", summary="",
        )  # fmt: skip
        await add_views(session, article, views=n + 1, hours_ago=n % 48)
    for n in range(pages):
        words = " ".join(f"berth{(n + k) % pages}" for k in range(5))
        await make_article(
            session, author=other_authors[n % 2], category=categories[n % 4], tags=[tags[n]],
            title=words, summary="",
        )  # fmt: skip
    for n in range(10):  # other news, so that no word is in every article
        await make_article(session, title=f"Election note {n}", summary="Voters went to vote.")


async def _statements_for_listing(gql, statements, first: int) -> int:
    statements.clear()
    result = await gql(LISTING, first=first)
    assert result.errors is None
    assert len(result.data["articles"]["edges"]) == first
    for edge in result.data["articles"]["edges"]:
        assert edge["node"]["author"]["name"]
        assert len(edge["node"]["related"]) == 3
    return len(statements)


@pytest.mark.parametrize("sizes", [(1, 10, 100)])
async def test_articles_listing_statement_count_does_not_grow(
    gql, session, statements, relate, sizes
):
    await _newsroom(session, pages=max(sizes))
    await relate(everything=True)
    counts = [await _statements_for_listing(gql, statements, n) for n in sizes]
    print(f"articles listing, statements at N={sizes}: {counts}")  # shown by pytest -s
    assert counts[0] == counts[1] == counts[2], counts
    assert counts[0] <= 10, statements.statements


async def test_article_page_statement_count_is_constant(gql, session, statements, relate):
    await _newsroom(session, pages=5)
    await relate(everything=True)
    listing = await gql("{ articles(first: 5) { edges { node { slug } } } }")
    counts = []
    for edge in listing.data["articles"]["edges"][:3]:
        statements.clear()
        result = await gql(ARTICLE_PAGE, slug=edge["node"]["slug"])
        assert result.errors is None
        assert len(result.data["article"]["related"]) == 5
        counts.append(len(statements))
    print(f"article page, statements for three articles: {counts}")  # shown by pytest -s
    assert counts[0] == counts[1] == counts[2], counts
    assert counts[0] <= 10, statements.statements
