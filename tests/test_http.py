"""Through HTTP, as a browser or a partner would call it, with the app's own lifespan."""

import asyncio
import os
import subprocess
import sys
import time

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.migrations import SchemaOutOfDate
from app.settings import Settings
from resolvers.types.node import encode_id
from tests.factories import make_article


async def test_post_query_returns_json(client, session):
    await make_article(session, slug="hello", title="Hello")
    response = client.post("/graphql", json={"query": '{ article(slug: "hello") { title } }'})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"article": {"title": "Hello"}}}


async def test_get_query_is_served(client, session):
    await make_article(session, slug="hello", title="Hello")
    response = client.get(
        "/graphql",
        params={"query": "{ articles(first: 1) { totalCount } }"},
        headers={"GraphQL-Require-Preflight": "1"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"articles": {"totalCount": 1}}}


async def test_mutation_over_get_is_refused(client, session):
    article = await make_article(session)
    article_id = encode_id("Article", article.id)
    query = f'mutation {{ recordView(articleId: "{article_id}") {{ article {{ viewCount }} }} }}'
    response = client.get(
        "/graphql", params={"query": query}, headers={"GraphQL-Require-Preflight": "1"}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"] == {"code": "METHOD_NOT_ALLOWED"}
    count = client.post("/graphql", json={"query": "{ articles { edges { node { viewCount } } } }"})
    assert count.json()["data"]["articles"]["edges"] == [{"node": {"viewCount": 0}}]


async def test_graphiql_page_is_served_to_browsers(client):
    response = client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
    assert client.get("/", follow_redirects=False).headers["location"] == "/graphql"
    assert client.get("/healthz").json() == {"status": "ok", "worker": os.getpid()}


def test_app_refuses_to_start_on_an_unmigrated_database(tmp_path):
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaOutOfDate, match="make migrate"), TestClient(create_app(settings)):
        pass


@pytest.mark.parametrize("command", ["check", "serve"])
def test_unreachable_database_is_one_line_and_exit_1(command):
    result = subprocess.run(
        [sys.executable, "-m", "app", command],
        env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("newsgate: cannot reach the database at postgresql")


async def test_popular_and_trending_catch_up_with_views_within_seconds(
    engine, database_url, session
):
    article = await make_article(session, slug="fresh")
    settings = Settings(database_url=database_url, popularity_refresh_seconds=0.5)
    view = "mutation ($id: ID!) { recordView(articleId: $id) { article { viewCount } } }"
    ranked = """{
      popularArticles(window: HOUR) { views article { slug } }
      trendingArticles { article { slug } }
    }"""
    with TestClient(create_app(settings)) as client:
        counted = client.post(
            "/graphql", json={"query": view, "variables": {"id": encode_id("Article", article.id)}}
        )
        assert counted.json()["data"]["recordView"]["article"]["viewCount"] == 1
        started = time.monotonic()
        while time.monotonic() - started < 10:
            data = client.post("/graphql", json={"query": ranked}).json()["data"]
            if data["popularArticles"]:
                break
            await asyncio.sleep(0.1)
    assert data == {
        "popularArticles": [{"views": 1, "article": {"slug": "fresh"}}],
        "trendingArticles": [{"article": {"slug": "fresh"}}],
    }
