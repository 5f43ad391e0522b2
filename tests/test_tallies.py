"""totalCount from the tallies the database keeps (models/tally.py): after any mix of writes
through the API, every count a reader sees equals what counting the articles gives."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from app.callers import Caller
from resolvers.types.node import encode_id
from tests.factories import make_author, make_category, make_tag

EDITOR = Caller("editor:e1", frozenset({"content:read", "content:write"}))
TAGS = ["coast", "harbour", "schools", "budget"]
CREATE = (
    """mutation ($input: CreateArticleInput!) { createArticle(input: $input) { id version } }"""
)
UPDATE = """mutation ($input: UpdateArticleInput!) { updateArticle(input: $input) { version } }"""
STATUS = """mutation ($id: ID!, $version: Int!, $publish: Boolean!) {
  publish: publishArticle(id: $id, version: $version) @include(if: $publish) { version }
  archive: archiveArticle(id: $id, version: $version) @skip(if: $publish) { version }
}"""
DELETE = """mutation ($id: ID!, $version: Int!) {
  deleteArticle(id: $id, version: $version) { deletedId }
}"""
TOTALS = """{
  site: articles(first: 1) { totalCount }
  byAuthor: articles(first: 1, filter: {authorSlug: "author-a"}) { totalCount }
  byCategory: articles(first: 1, filter: {categorySlug: "sport"}) { totalCount }
  byTag: articles(first: 1, filter: {tagSlugs: ["coast"]}) { totalCount }
  authors(first: 10) { edges { node { slug articles(first: 1) { totalCount } } } }
  categories { slug articles(first: 1) { totalCount } }
  tags(first: 10, orderBy: ARTICLE_COUNT) { slug articleCount }
}"""
NOW = datetime.now(UTC).replace(microsecond=0)


def _moment(rng: random.Random) -> str:
    """A publication date: mostly past, sometimes scheduled for later."""
    return (NOW + timedelta(hours=rng.choice([-48, -3, -1, 2, 30]))).isoformat()


async def _write(gql: Any, rng: random.Random, authors: list[Any], live: dict[str, int]) -> None:
    """One write of a random kind to a random article."""
    kind = rng.choice(["create"] * 3 + ["update", "status", "delete"]) if live else "create"
    if kind == "create":
        fields = {
            "title": "A story", "language": "en", "authorId": rng.choice(authors),
            "categorySlug": rng.choice(["sport", "local"]),
            "tagSlugs": rng.sample(TAGS, rng.randint(0, 3)), "publish": rng.random() < 0.7,
        }  # fmt: skip
        if rng.random() < 0.5:
            fields["publishedAt"] = _moment(rng)
        result = await gql(CREATE, caller=EDITOR, input=fields)
        assert result.errors is None, result.errors
        live[result.data["createArticle"]["id"]] = result.data["createArticle"]["version"]
        return
    article_id = rng.choice(sorted(live))
    version = live[article_id]
    if kind == "update":
        changes: dict[str, Any] = rng.choice([
            {"authorId": rng.choice(authors)}, {"categorySlug": rng.choice(["sport", "local"])},
            {"tagSlugs": rng.sample(TAGS, rng.randint(0, 4))}, {"publishedAt": _moment(rng)},
        ])  # fmt: skip
        result = await gql(UPDATE, caller=EDITOR, input={"id": article_id, "version": version,
                                                         **changes})  # fmt: skip
        assert result.errors is None, result.errors
        live[article_id] = result.data["updateArticle"]["version"]
    elif kind == "status":
        publish = rng.random() < 0.5
        result = await gql(STATUS, caller=EDITOR, id=article_id, version=version, publish=publish)
        assert result.errors is None, result.errors
        live[article_id] = result.data["publish" if publish else "archive"]["version"]
    else:
        result = await gql(DELETE, caller=EDITOR, id=article_id, version=version)
        assert result.errors is None, result.errors
        del live[article_id]


async def _counted(engine: AsyncEngine, at: datetime, parent: Any, *joins: Any) -> dict[str, int]:
    """How many articles readers see per parent (an author, category or tag table), by
    counting them: the oracle the tallies must agree with."""
    articles = SQLModel.metadata.tables["article"]
    source: Any = articles
    for table, on in joins:
        source = source.join(table, on)
    counted = (
        select(parent.c.slug, func.count())
        .select_from(source)
        .where(articles.c.status == "published", articles.c.published_at <= at)
        .group_by(parent.c.slug)
    )
    async with engine.connect() as connection:
        return {slug: count for slug, count in await connection.execute(counted)}  # noqa: C416


@pytest.mark.parametrize("seed", range(4))
async def test_every_total_equals_counting_after_random_writes(gql, session, engine, seed):
    authors = [
        encode_id("Author", (await make_author(session, slug=slug)).id)
        for slug in ("author-a", "author-b")
    ]
    for slug in ("sport", "local"):
        await make_category(session, slug=slug)
    for slug in TAGS:
        await make_tag(session, slug=slug)
    rng = random.Random(seed)
    live: dict[str, int] = {}
    for _ in range(50):
        await _write(gql, rng, authors, live)

    at = datetime.now(UTC) + timedelta(minutes=5)  # after the writes: what they published shows
    result = await gql(TOTALS, now=at)
    assert result.errors is None, result.errors
    data = result.data
    tables = SQLModel.metadata.tables
    article, tagging, tags = tables["article"], tables["article_tag"], tables["tag"]
    authors_, categories = tables["author"], tables["category"]
    by_author = await _counted(
        engine, at, authors_, (authors_, authors_.c.id == article.c.author_id)
    )
    by_category = await _counted(
        engine, at, categories, (categories, categories.c.id == article.c.category_id)
    )
    by_tag = await _counted(
        engine,
        at,
        tags,
        (tagging, tagging.c.article_id == article.c.id),
        (tags, tags.c.id == tagging.c.tag_id),
    )
    site = sum(by_category.values())
    assert site > 0  # the writes left something on the site to count
    assert data["site"]["totalCount"] == site
    assert data["byAuthor"]["totalCount"] == by_author.get("author-a", 0)
    assert data["byCategory"]["totalCount"] == by_category.get("sport", 0)
    assert data["byTag"]["totalCount"] == by_tag.get("coast", 0)
    nested = {
        e["node"]["slug"]: e["node"]["articles"]["totalCount"] for e in data["authors"]["edges"]
    }
    assert nested == {slug: by_author.get(slug, 0) for slug in ("author-a", "author-b")}
    assert {c["slug"]: c["articles"]["totalCount"] for c in data["categories"]} == {
        slug: by_category.get(slug, 0) for slug in ("sport", "local")
    }
    counts = [(t["slug"], t["articleCount"]) for t in data["tags"]]
    assert dict(counts) == {slug: by_tag.get(slug, 0) for slug in TAGS}
    assert counts == sorted(counts, key=lambda pair: (-pair[1], pair[0]))  # most used first


async def test_a_scheduled_article_counts_from_its_moment(gql, session):
    author = encode_id("Author", (await make_author(session, slug="author-a")).id)
    await make_category(session, slug="sport")
    moment = NOW + timedelta(hours=2)
    fields = {
        "title": "Later", "language": "en", "authorId": author, "categorySlug": "sport",
        "tagSlugs": ["coast"], "publish": True, "publishedAt": moment.isoformat(),
    }  # fmt: skip
    assert (await gql(CREATE, caller=EDITOR, input=fields)).errors is None
    fields = {**fields, "title": "Now", "publishedAt": NOW.isoformat()}
    assert (await gql(CREATE, caller=EDITOR, input=fields)).errors is None
    query = """{ site: articles { totalCount }
                 tag: articles(filter: {tagSlugs: ["coast"]}) { totalCount }
                 categories { articles { totalCount } } tags { articleCount } }"""
    for at, total in ((NOW, 1), (moment, 2)):
        result = await gql(query, now=at)
        assert result.errors is None, result.errors
        assert result.data == {
            "site": {"totalCount": total}, "tag": {"totalCount": total},
            "categories": [{"articles": {"totalCount": total}}], "tags": [{"articleCount": total}],
        }  # fmt: skip
