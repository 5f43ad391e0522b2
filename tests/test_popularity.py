"""Rolling view windows: `popularArticles`, `Article.views` and the `recordView` mutation."""

import asyncio
import base64
from datetime import datetime

import pytest
from sqlmodel import select

import models
from models.base import utcnow
from models.views import BUCKET
from tests.factories import add_views, make_article, make_category

# hours_ago -> views: powers of two, so every window's sum names exactly the buckets in it.
EDGES = {0: 1, 23: 2, 24: 4, 24 * 6 + 23: 8, 24 * 7: 16, 24 * 29 + 23: 32, 24 * 30: 64, 2000: 128}

POPULAR = """
query ($window: Window!, $first: Int! = 10, $category: String, $language: String) {
  popularArticles(window: $window, first: $first, categorySlug: $category, language: $language) {
    rank views article { title }
  }
}
"""

RECORD = """
mutation ($id: ID!) {
  recordView(articleId: $id) { article { title viewCount day: views(window: DAY) } }
}
"""


def _gid(type_name: str, pk: int | None) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def _steer_clear_of_the_bucket_edge() -> None:
    """Wait out the end of the current bucket, so arranging and querying see the same one."""
    now = utcnow()
    left = (models.bucket_start(now) + BUCKET - now).total_seconds()
    if left < 5:
        await asyncio.sleep(left + 0.5)


async def _stored(session) -> tuple[list[tuple[int, datetime, int]], dict[int, int]]:
    """Every view bucket and every article's all-time count, as the database holds them."""
    async with session() as s:
        buckets = (await s.exec(select(models.ArticleViewBucket))).all()
        articles = (await s.exec(select(models.Article))).all()
    return (
        sorted((b.article_id, b.starts_at, b.views) for b in buckets),
        {a.id: a.view_count for a in articles},
    )


async def _window_newsroom(session) -> None:
    """One published article per edge bucket, plus a viewed draft and a viewed archived one."""
    for hours_ago, views in EDGES.items():
        article = await make_article(session, title=f"h{hours_ago}")
        await add_views(session, article, views, hours_ago=hours_ago)
    for status in (models.ArticleStatus.DRAFT, models.ArticleStatus.ARCHIVED):
        hidden = await make_article(session, title=f"hidden {status}", status=status)
        await add_views(session, hidden, 1000, hours_ago=0)


def _ranked(*pairs: tuple[str, int]) -> list[dict[str, object]]:
    return [
        {"rank": rank, "views": views, "article": {"title": title}}
        for rank, (title, views) in enumerate(pairs, start=1)
    ]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("DAY", _ranked(("h23", 2), ("h0", 1))),
        ("WEEK", _ranked(("h167", 8), ("h24", 4), ("h23", 2), ("h0", 1))),
        (
            "MONTH",
            _ranked(("h719", 32), ("h168", 16), ("h167", 8), ("h24", 4), ("h23", 2), ("h0", 1)),
        ),
        (
            "ALL_TIME",
            _ranked(*[(f"h{hours}", views) for hours, views in reversed(EDGES.items())]),
        ),
    ],
)
async def test_popular_articles_window_edges_are_exact(gql, session, refresh, window, expected):
    await _steer_clear_of_the_bucket_edge()
    await _window_newsroom(session)
    await refresh()
    result = await gql(POPULAR, window=window)
    assert result.errors is None
    assert result.data == {"popularArticles": expected}


async def test_popular_articles_first_limits_the_ranking(gql, session, refresh):
    await _window_newsroom(session)
    await refresh()
    result = await gql(POPULAR, window="ALL_TIME", first=3)
    assert result.errors is None
    assert result.data == {"popularArticles": _ranked(("h2000", 128), ("h720", 64), ("h719", 32))}


@pytest.mark.parametrize("window", ["DAY", "ALL_TIME"])
@pytest.mark.parametrize(
    ("category", "language", "expected"),
    [
        ("world", None, [("world id", 20), ("world en", 10)]),
        (None, "id", [("sport id", 40), ("world id", 20)]),
        ("sport", "en", [("sport en", 30)]),
        ("no-such-category", None, []),
    ],
)
async def test_popular_articles_filters_by_category_and_language(
    gql, session, refresh, window, category, language, expected
):
    await _steer_clear_of_the_bucket_edge()
    views = 10
    for slug in ("world", "sport"):
        section = await make_category(session, slug=slug)
        for code in ("en", "id"):
            article = await make_article(
                session, category=section, language=code, title=f"{slug} {code}"
            )
            await add_views(session, article, views, hours_ago=0)
            views += 10
    await refresh()
    result = await gql(POPULAR, window=window, category=category, language=language)
    assert result.errors is None
    assert result.data == {"popularArticles": _ranked(*expected)}


async def test_views_window_agrees_with_view_count(gql, session):
    await _steer_clear_of_the_bucket_edge()
    article = await make_article(session, slug="busy")
    for hours_ago, views in EDGES.items():
        await add_views(session, article, views, hours_ago=hours_ago)
    result = await gql(
        """{ article(slug: "busy") {
          viewCount day: views(window: DAY) week: views(window: WEEK)
          month: views(window: MONTH) ever: views(window: ALL_TIME)
        } }"""
    )
    assert result.errors is None
    assert result.data == {
        "article": {"viewCount": 255, "day": 3, "week": 15, "month": 63, "ever": 255}
    }


async def test_record_view_returns_article_with_the_view_counted(gql, session):
    await _steer_clear_of_the_bucket_edge()
    article = await make_article(session, title="Counted")
    await add_views(session, article, 5, hours_ago=0)
    await add_views(session, article, 7, hours_ago=48)
    result = await gql(RECORD, id=_gid("Article", article.id))
    assert result.errors is None
    expected = {"title": "Counted", "viewCount": 13, "day": 6}
    assert result.data == {"recordView": {"article": expected}}
    reread = await gql(
        "query ($id: ID!) { article(id: $id) { title viewCount day: views(window: DAY) } }",
        id=_gid("Article", article.id),
    )
    assert reread.errors is None
    assert reread.data == {"article": expected}


async def test_record_view_twice_in_a_row_counts_two(gql, session):
    await _steer_clear_of_the_bucket_edge()
    article = await make_article(session, title="Twice")
    first = await gql(RECORD, id=_gid("Article", article.id))
    second = await gql(RECORD, id=_gid("Article", article.id))
    assert first.errors is None
    assert second.errors is None
    assert first.data == {"recordView": {"article": {"title": "Twice", "viewCount": 1, "day": 1}}}
    assert second.data == {"recordView": {"article": {"title": "Twice", "viewCount": 2, "day": 2}}}


async def test_record_view_twice_in_one_document_counts_each(gql, session):
    await _steer_clear_of_the_bucket_edge()
    article = await make_article(session, title="Twice")
    result = await gql(
        """mutation ($id: ID!) {
          a: recordView(articleId: $id) { article { viewCount day: views(window: DAY) } }
          b: recordView(articleId: $id) { article { viewCount day: views(window: DAY) } }
        }""",
        id=_gid("Article", article.id),
    )
    assert result.errors is None
    assert result.data == {
        "a": {"article": {"viewCount": 1, "day": 1}},
        "b": {"article": {"viewCount": 2, "day": 2}},
    }


@pytest.mark.parametrize(
    ("target", "code"),
    [("unknown", "NOT_FOUND"), ("draft", "NOT_FOUND"), ("malformed", "BAD_USER_INPUT")],
)
async def test_record_view_refuses_and_writes_nothing(gql, session, target, code):
    published = await make_article(session)
    await add_views(session, published, 3, hours_ago=1)
    draft = await make_article(session, status=models.ArticleStatus.DRAFT)
    article_id = {
        "unknown": _gid("Article", 99_999_999),
        "draft": _gid("Article", draft.id),
        "malformed": "Article:1",
    }[target]
    before = await _stored(session)
    result = await gql(RECORD, id=article_id)
    assert result.data is None
    assert [error.extensions for error in result.errors] == [
        {"code": code, "argument": "articleId"}
    ]
    assert await _stored(session) == before
    assert before[1] == {published.id: 3, draft.id: 0}
