"""Most viewed and trending, as maintained by app/popularity/rollup.py."""

import asyncio
import random
from datetime import timedelta

from app.popularity.recorder import View
from app.popularity.rollup import refresh_popularity
from models.base import utcnow
from tests.factories import add_views, make_article, pk

HALF_LIFE = timedelta(hours=12)

TRENDING = """
query ($first: Int! = 10) { trendingArticles(first: $first) { rank score article { slug } } }
"""
POPULAR = """
query ($window: Window!) { popularArticles(window: $window, first: 100) { views article { slug } } }
"""


async def test_trending_prefers_views_now_over_bigger_ones_last_week(gql, session, refresh):
    old_hit = await make_article(session, slug="old-hit")
    rising = await make_article(session, slug="rising")
    await add_views(session, old_hit, views=1000, hours_ago=24 * 6)  # 12 half-lives: /4096
    await add_views(session, rising, views=10, hours_ago=0)
    await refresh()
    result = await gql(TRENDING)
    ranked = result.data["trendingArticles"]
    assert [(r["rank"], r["article"]["slug"]) for r in ranked] == [(1, "rising"), (2, "old-hit")]
    # Ten views at most five minutes old, and a thousand twelve half-lives old.
    assert 9.9 < ranked[0]["score"] <= 10
    assert 0.24 < ranked[1]["score"] < 0.25
    popular = await gql(POPULAR, window="MONTH")
    assert [p["article"]["slug"] for p in popular.data["popularArticles"]] == ["old-hit", "rising"]


async def test_views_age_out_of_windows_at_the_next_refresh(engine, gql, session):
    article = await make_article(session, slug="a")
    await add_views(session, article, views=5, hours_ago=23)
    now = utcnow()
    await refresh_popularity(engine, now, HALF_LIFE)
    day = await gql(POPULAR, window="DAY")
    assert day.data == {"popularArticles": [{"views": 5, "article": {"slug": "a"}}]}
    # An hour and a bit later the bucket has left the last 24 hours, though no view came.
    assert await refresh_popularity(engine, now + timedelta(minutes=65), HALF_LIFE) == 1
    assert (await gql(POPULAR, window="DAY")).data == {"popularArticles": []}
    week = await gql(POPULAR, window="WEEK")
    assert week.data == {"popularArticles": [{"views": 5, "article": {"slug": "a"}}]}


async def test_concurrent_refreshes_age_out_once(engine, session):
    article = await make_article(session)
    await add_views(session, article, views=1, hours_ago=23)
    now = utcnow()
    await refresh_popularity(engine, now, HALF_LIFE)
    later = now + timedelta(minutes=65)
    done = await asyncio.gather(*(refresh_popularity(engine, later, HALF_LIFE) for _ in range(3)))
    assert sorted(done) == [0, 0, 1]


async def test_maintained_windows_equal_the_live_sums(gql, session, views, refresh):
    articles = [await make_article(session, slug=f"a{n}") for n in range(6)]
    rng = random.Random(7)
    now = utcnow()
    await views.record(
        [
            View(pk(rng.choice(articles)), now - timedelta(minutes=rng.randrange(0, 47 * 60)))
            for _ in range(300)
        ]
    )
    await refresh()
    for window in ("HOUR", "DAY", "WEEK", "MONTH", "ALL_TIME"):
        ranked = (await gql(POPULAR, window=window)).data["popularArticles"]
        live = await gql(
            f"{{ articles(first: 10) {{ edges {{ node {{ slug views(window: {window}) }} }} }} }}"
        )
        expected = {
            edge["node"]["slug"]: edge["node"]["views"]
            for edge in live.data["articles"]["edges"]
            if edge["node"]["views"]
        }
        assert {r["article"]["slug"]: r["views"] for r in ranked} == expected, window
        assert [r["views"] for r in ranked] == sorted(expected.values(), reverse=True)
