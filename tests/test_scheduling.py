"""publishedAt: imports dated in the past, and publications scheduled for later, which
readers see nowhere until their moment and editors see where they see drafts."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from app.callers import Caller
from models import Article
from resolvers.types.node import decode_id, encode_id
from tests.factories import add_views, make_author, make_tag

EDITOR = Caller("editor:e1", frozenset({"content:read", "content:write"}))
NOW = datetime.now(UTC).replace(microsecond=0)
CREATE = """mutation ($input: CreateArticleInput!) {
  createArticle(input: $input) { id slug version publishedAt status }
}"""
UPDATE = """mutation ($input: UpdateArticleInput!) {
  updateArticle(input: $input) { version publishedAt }
}"""
EVERYWHERE = """query ($slug: String!, $id: ID!) {
  article(slug: $slug) { slug }
  node(id: $id) { id }
  articles { edges { node { slug } } }
  latestNews { slug }
  search(query: "lighthouse") { edges { node { slug } } }
  tags { slug articleCount }
  popularArticles(window: DAY) { article { slug } }
  story: article(slug: "story") { related { slug } }
}"""
BODY = "The old lighthouse at Kelso Point reopens after its keepers restored the lamp."


async def _create(gql, author: str, slug: str, **fields: Any) -> dict[str, Any]:
    fields = {
        "slug": slug, "title": f"Kelso Point lighthouse reopens ({slug})", "body": BODY,
        "language": "en", "authorId": author, "categorySlug": "local", "tagSlugs": ["coast"],
        "publish": True, **fields,
    }  # fmt: skip
    result = await gql(CREATE, caller=EDITOR, input=fields)
    assert result.errors is None, result.errors
    article: dict[str, Any] = result.data["createArticle"]
    return article


async def _seen(gql, article: dict[str, Any], **context: Any) -> dict[str, Any]:
    result = await gql(EVERYWHERE, slug=article["slug"], id=article["id"], **context)
    assert result.errors is None, result.errors
    data: dict[str, Any] = result.data
    slug = article["slug"]
    return {
        "article": data["article"] is not None,
        "node": data["node"] is not None,
        "articles": slug in [e["node"]["slug"] for e in data["articles"]["edges"]],
        "latestNews": slug in [a["slug"] for a in data["latestNews"]],
        "search": slug in [e["node"]["slug"] for e in data["search"]["edges"]],
        "tag.articleCount": {t["slug"]: t["articleCount"] for t in data["tags"]}["coast"],
        "popularArticles": slug in [p["article"]["slug"] for p in data["popularArticles"]],
        "related": slug in [a["slug"] for a in data["story"]["related"]],
    }


async def test_a_scheduled_article_is_hidden_everywhere_until_its_moment(
    gql, session, relate, refresh
):
    await make_tag(session, slug="coast")
    author = encode_id("Author", (await make_author(session)).id)
    await _create(gql, author, "story")
    moment = NOW + timedelta(hours=2)
    scheduled = await _create(gql, author, "scheduled", publishedAt=moment.isoformat())
    assert scheduled["status"] == "PUBLISHED"
    assert datetime.fromisoformat(scheduled["publishedAt"]) == moment
    await relate()
    async with session() as s:
        row = await s.get(Article, decode_id(scheduled["id"], "id")[1])
    await add_views(session, row, views=5)
    await refresh()
    before = await _seen(gql, scheduled)
    assert before == {
        "article": False, "node": False, "articles": False, "latestNews": False,
        "search": False, "tag.articleCount": 1, "popularArticles": False, "related": False,
    }  # fmt: skip
    as_editor = await gql(EVERYWHERE, slug="scheduled", id=scheduled["id"], caller=EDITOR)
    assert as_editor.data["article"] == {"slug": "scheduled"}
    after = await _seen(gql, scheduled, now=moment + timedelta(seconds=1))
    assert after == {
        "article": True, "node": True, "articles": True, "latestNews": True,
        "search": True, "tag.articleCount": 2, "popularArticles": True, "related": True,
    }  # fmt: skip


async def test_views_of_a_scheduled_article_count_from_its_moment(gql, session):
    author = encode_id("Author", (await make_author(session)).id)
    moment = datetime.now(UTC) + timedelta(seconds=1)
    scheduled = await _create(gql, author, "soon", publishedAt=moment.isoformat())
    view = "mutation ($id: ID!) { recordView(articleId: $id) { counted } }"
    early = await gql(view, id=scheduled["id"])
    assert early.errors[0].extensions["code"] == "NOT_FOUND"
    await asyncio.sleep((moment - datetime.now(UTC)).total_seconds() + 0.05)
    on_time = await gql(view, id=scheduled["id"])
    assert on_time.errors is None
    assert on_time.data == {"recordView": {"counted": True}}


async def test_imports_keep_their_date_and_edits_move_it(gql, session):
    author = encode_id("Author", (await make_author(session)).id)
    year_ago = NOW - timedelta(days=365)
    imported = await _create(gql, author, "archive-piece", publishedAt=year_ago.isoformat())
    await _create(gql, author, "today")
    newest = await gql("{ articles { edges { node { slug publishedAt } } } }")
    edges = newest.data["articles"]["edges"]
    assert [e["node"]["slug"] for e in edges] == ["today", "archive-piece"]
    assert datetime.fromisoformat(edges[1]["node"]["publishedAt"]) == year_ago
    # Embargoed after the fact, then corrected back: out of the listing, then in again.
    later = (NOW + timedelta(days=1)).isoformat()
    moved = await gql(UPDATE, caller=EDITOR, input={"id": imported["id"], "version": 1,
                                                   "publishedAt": later})  # fmt: skip
    assert moved.errors is None, moved.errors
    listed = await gql("{ articles { edges { node { slug } } } }")
    assert [e["node"]["slug"] for e in listed.data["articles"]["edges"]] == ["today"]
    back = await gql(UPDATE, caller=EDITOR, input={"id": imported["id"], "version": 2,
                                                  "publishedAt": year_ago.isoformat()})  # fmt: skip
    assert back.errors is None, back.errors
    listed = await gql("{ articles { edges { node { slug } } } }")
    assert [e["node"]["slug"] for e in listed.data["articles"]["edges"]] == [
        "today",
        "archive-piece",
    ]


async def test_a_published_at_outside_any_reasonable_range_is_refused(gql, session):
    author = encode_id("Author", (await make_author(session)).id)
    fields = {"title": "T", "language": "en", "authorId": author, "categorySlug": "local"}
    for moment in ("1700-01-01T00:00:00Z", "2999-01-01T00:00:00Z"):
        result = await gql(CREATE, caller=EDITOR, input={**fields, "publishedAt": moment})
        (error,) = result.errors
        assert error.extensions["code"] == "BAD_USER_INPUT"
        assert [f["field"] for f in error.extensions["fields"]] == ["input.publishedAt"]
