"""PostgreSQL's text index of the newest articles (article_search_recent, the recent_search
migration): its triggers keep it exactly the published articles at or after its cutoff,
bounded. (tests/test_search.py checks that a search answers the same whichever table its
first period reads.)"""

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import models
from models.base import utcnow
from tests.conftest import RESET_RECENT_SEARCH, keep_recent_articles
from tests.factories import make_author, make_category, pk
from tests.test_search import NOW

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

POSITION = "(published_at, article_id)"
CUTOFF = "(SELECT published_at, article_id FROM article_search_recent_cutoff)"


async def _state(engine: AsyncEngine) -> tuple[Any, set[Any], set[Any]]:
    """The cutoff, article_search_recent's rows, and article_search's at or after the cutoff."""
    columns = "article_id, published_at, category_id, search_vector::text"
    async with engine.connect() as connection:
        cutoff = (
            await connection.execute(
                text("SELECT published_at, article_id FROM article_search_recent_cutoff")
            )
        ).one()
        recent = set(
            (await connection.execute(text(f"SELECT {columns} FROM article_search_recent"))).all()
        )
        due = set(
            (
                await connection.execute(
                    text(f"SELECT {columns} FROM article_search WHERE {POSITION} >= {CUTOFF}")
                )
            ).all()
        )
    return tuple(cutoff), recent, due


# Each step: ("add", hours back of each new article: one INSERT statement for them all),
# ("redate", which article, hours back), ("status", which article, its new status),
# ("delete", which article). Hours repeat, so that articles share moments.
HOURS = st.integers(0, 6)
WHICH = st.integers(0, 40)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.lists(st.one_of(HOURS, st.none()), min_size=1, max_size=4)),
        st.tuples(st.just("redate"), WHICH, HOURS),
        st.tuples(st.just("status"), WHICH, st.sampled_from(list(models.ArticleStatus))),
        st.tuples(st.just("delete"), WHICH),
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS, keep=st.integers(1, 4))
async def test_holds_exactly_the_published_articles_at_or_after_its_cutoff(
    engine, session, steps, keep
):
    async with engine.begin() as connection:  # as the test's clean database starts
        await connection.execute(text("DELETE FROM article"))
        await connection.execute(text(RESET_RECENT_SEARCH))
    await keep_recent_articles(engine, keep)
    author, category = await make_author(session), await make_category(session)
    ids: list[int] = []
    base = utcnow()
    cutoff, _, _ = await _state(engine)
    for step in steps:
        async with session.begin() as s:
            if step[0] == "add":  # None: a draft
                new = [
                    models.Article(
                        slug=f"a{len(ids) + n}",
                        title="Storm" if hours is None else f"Storm {hours}",
                        language="en",
                        status="draft" if hours is None else "published",
                        published_at=None if hours is None else base - timedelta(hours=hours),
                        author_id=pk(author),
                        category_id=pk(category),
                    )
                    for n, hours in enumerate(step[1])
                ]
                s.add_all(new)
                await s.flush()
                ids += [pk(article) for article in new]
            elif ids and (article := await s.get(models.Article, ids[step[1] % len(ids)])):
                if step[0] == "redate":
                    article.published_at = base - timedelta(hours=step[2])
                elif step[0] == "status":
                    article.status = step[2]
                    article.published_at = article.published_at or base
                else:
                    await s.delete(article)
        before = cutoff
        cutoff, recent, due = await _state(engine)
        assert recent == due, step
        assert cutoff >= before, "the cutoff only moves forward"
        if step[0] == "add" and any(hours is not None for hours in step[1]):
            async with engine.connect() as connection:
                published_since = (
                    await connection.execute(
                        text(f"SELECT count(*) FROM article_search WHERE {POSITION} >= (:at, :id)"),
                        {"at": before[0], "id": before[1]},
                    )
                ).scalar_one()
            # Trimmed to the newest `keep` of those it could hold, and no fewer.
            assert len(recent) == min(keep, published_since), step


async def test_a_reseed_starts_it_over(engine, session):
    await keep_recent_articles(engine, 1)
    author, category = await make_author(session), await make_category(session)
    async with session.begin() as s:
        s.add_all(
            models.Article(
                slug=f"old-{n}",
                title="Old",
                language="en",
                status="published",
                published_at=NOW - timedelta(days=n),
                author_id=pk(author),
                category_id=pk(category),
            )
            for n in range(3)
        )
    cutoff, recent, _ = await _state(engine)
    assert len(recent) == 1
    assert cutoff[0] == NOW
    async with engine.begin() as connection:  # as scripts/seed.py --reset clears
        await connection.execute(text("TRUNCATE article CASCADE"))
    cutoff, recent, _ = await _state(engine)
    assert recent == set()
    assert cutoff[0].year == 1
