"""A read leaves no reference cycles behind: everything it made is freed as soon as it
answers, by reference counting, never left for the cycle collector. Collecting a front
page's request (context, loaders, futures, every row) took a third of its CPU."""

import gc
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from starlette.types import ASGIApp

from app.main import create_app
from app.settings import Settings
from tests.factories import add_views, make_article, make_author, make_category, make_tag

READS = {
    "FrontPage": "{ latestNews(first: 5) { id slug title publishedAt author { name } "
    "category { name } tags { name } } }",
    "ArticlePage": '{ article(slug: "story-1") { id title body author { name bio } '
    "category { slug } tags { slug } views(window: WEEK) related(first: 5) { slug } } }",
    "Popular": "{ popularArticles(window: WEEK, first: 5) { rank views article { slug } } }",
    "Search": '{ search(query: "harbour") { edges { node { slug } } } }',
    "Listing": "{ articles(first: 3) { totalCount edges { cursor node { slug } } } }",
    "Trivial": "{ __typename }",
}


async def _post(app: ASGIApp, state: dict[str, Any], query: str) -> dict[str, Any]:
    body = orjson.dumps({"query": query})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http", "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/graphql", "raw_path": b"/graphql", "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": state,
    }  # fmt: skip
    await app(scope, receive, send)
    answer: dict[str, Any] = orjson.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    return answer


@pytest.fixture
async def served(
    database_url: str, session, refresh, relate
) -> AsyncIterator[tuple[ASGIApp, dict[str, Any]]]:
    author, category = await make_author(session), await make_category(session)
    harbour = await make_tag(session, slug="harbour")
    for n in range(1, 4):
        article = await make_article(
            session, slug=f"story-{n}", title=f"Harbour story {n}", author=author,
            category=category, tags=[harbour],
        )  # fmt: skip
        await add_views(session, article, views=n)
    await refresh()
    await relate(everything=True)
    # The background workers run at start, then not for a minute: only requests are watched.
    settings = Settings(
        database_url=database_url, popularity_refresh_seconds=60, related_refresh_seconds=60
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        assert state is not None
        yield app, dict(state)


@pytest.mark.parametrize("operation", READS)
async def test_a_read_leaves_no_reference_cycles(served, operation):
    app, state = served
    query = READS[operation]
    first = await _post(app, state, query)  # caches warm: documents, plans, statements
    assert "errors" not in first, first
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds stays in gc.garbage
    try:
        for _ in range(3):
            assert await _post(app, state, query) == first
        gc.collect()
        left = Counter(type(thing).__qualname__ for thing in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == Counter(), f"{operation} left objects in reference cycles: {left}"
