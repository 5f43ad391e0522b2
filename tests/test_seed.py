"""The demo data generator: deterministic, complete, and served by the API as it stands."""

from sqlalchemy import func, text
from sqlmodel import col, select

import models
from scripts import seed


async def _run(database_url: str, *args: str) -> None:
    await seed.main(seed.parse_args(["--database-url", database_url, "--articles", "300", *args]))


async def _fingerprint(session) -> list[tuple[str, str, int]]:
    async with session() as s:
        rows = await s.exec(
            select(models.Article.slug, models.Article.title, func.count())
            .join(models.ArticleTag, col(models.ArticleTag.article_id) == models.Article.id)
            .group_by(col(models.Article.id))
            .order_by(col(models.Article.id))
        )
        return list(rows.all())


async def test_seed_writes_consistent_demo_data(database_url, engine, session, gql, capsys):
    await _run(database_url)
    assert "seeded 300 articles" in capsys.readouterr().out
    async with engine.connect() as connection:
        statuses = dict((await connection.execute(text(
            "SELECT status, count(*) FROM article GROUP BY status"
        ))).all())  # fmt: skip
        over_counted = (await connection.execute(text(
            "SELECT count(*) FROM article a WHERE a.view_count < "
            "(SELECT coalesce(sum(views), 0) FROM article_view_bucket b WHERE b.article_id = a.id)"
        ))).scalar()  # fmt: skip
        tag_counts = (await connection.execute(text(
            "SELECT min(n), max(n) FROM "
            "(SELECT count(*) AS n FROM article_tag GROUP BY article_id) AS per_article"
        ))).one()  # fmt: skip
    assert sum(statuses.values()) == 300
    assert set(statuses) == {"published", "draft", "archived"}
    assert over_counted == 0
    assert tag_counts[0] >= 1
    assert tag_counts[1] == 6
    result = await gql("{ articles { totalCount } categories { slug } }")
    assert result.data["articles"]["totalCount"] == statuses["published"]
    assert {"politics", "sports", "technology"} <= {c["slug"] for c in result.data["categories"]}


async def test_seed_is_deterministic_and_if_empty_skips(database_url, engine, session, capsys):
    await _run(database_url, "--seed", "7")
    first = await _fingerprint(session)
    await _run(database_url, "--if-empty")
    assert "not seeding" in capsys.readouterr().out
    await _run(database_url, "--seed", "7", "--reset")
    assert await _fingerprint(session) == first
    await _run(database_url, "--seed", "8", "--reset")
    assert await _fingerprint(session) != first


async def test_seed_writes_distinct_news_in_stories_without_private_tags(database_url, session):
    await seed.main(seed.parse_args(["--database-url", database_url, "--no-related"]))
    members = seed.story_members(42, 500)
    async with session() as s:
        articles = {
            pk: (title, language, body)
            for pk, title, language, body in (
                await s.exec(
                    select(
                        models.Article.id,
                        models.Article.title,
                        models.Article.language,
                        models.Article.body,
                    )
                )
            ).all()
        }
        links = (await s.exec(select(models.ArticleTag.article_id, models.ArticleTag.tag_id))).all()
    assert len({title for title, _, _ in articles.values()}) == 500
    stories: dict[int, list[int]] = {}
    for article_id, story in members.items():
        stories.setdefault(story, []).append(article_id)
    told = [ids for ids in stories.values() if len(ids) > 1]
    assert len(told) > 20
    assert {articles[ids[0]][1] for ids in told} == {"en", "id"}
    # No tag marks a story: a tag on two or more of a story's articles is on others too.
    articles_of_tag: dict[int, set[int]] = {}
    for article_id, tag_id in links:
        articles_of_tag.setdefault(tag_id, set()).add(article_id)
    for ids in told:
        for tag_id, tagged in articles_of_tag.items():
            assert len(tagged & set(ids)) < 2 or not tagged <= set(ids), (ids, tag_id)
