"""Statements as PostgreSQL itself counts them (pg_stat_statements on a private server): a
read is one statement per loader batch, with no transaction control around it, however
long the page."""

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from scripts.private_postgres import PrivatePostgres

ROOT = Path(__file__).resolve().parent.parent

FRONT_PAGE = """query ($first: Int!) {
  latestNews(first: $first) { id title slug author { name } category { name } tags { name } }
}"""
ARTICLE_PAGE = """query ($slug: String!) {
  article(slug: $slug) {
    title body author { name } category { name } tags { name } views(window: WEEK)
    related(first: 5) { title author { name } }
  }
}"""
POPULAR = (
    """{ popularArticles(window: MONTH, first: 10) { views article { title author { name } } } }"""
)


def psql(server: PrivatePostgres, database: str, sql: str) -> list[str]:
    command = ["psql", "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres"]
    result = subprocess.run(
        [*command, "-d", database, "-Atc", sql], capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()


@pytest.fixture
def served(private_postgres: PrivatePostgres) -> Iterator[tuple[TestClient, PrivatePostgres]]:
    """The app over a seeded database of its own on the private server."""
    psql(private_postgres, "postgres", "CREATE DATABASE newsgate")
    psql(private_postgres, "postgres", "CREATE EXTENSION pg_stat_statements")
    url = private_postgres.url_of("newsgate")
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True
    )
    seeding = [sys.executable, "scripts/seed.py", "--database-url", url, "--articles", "200"]
    subprocess.run(seeding, cwd=ROOT, check=True, capture_output=True)
    # The popularity refresh and the related worker run once at start, then not for a
    # minute: what the server runs in the background is not what a request costs. No
    # response cache: these are what a miss costs.
    settings = Settings(
        database_url=url,
        env="production",
        response_cache="off",
        popularity_refresh_seconds=60,
        related_refresh_seconds=60,
    )
    with TestClient(create_app(settings)) as client:
        yield client, private_postgres


def statements_of(served: tuple[TestClient, PrivatePostgres], query: str, **variables: object):
    """The data of `query`, and every statement PostgreSQL ran for it, once warm: a new
    pooled connection first asks PostgreSQL about its types, once."""
    client, server = served
    client.post("/graphql", json={"query": query, "variables": variables})
    psql(server, "postgres", "SELECT pg_stat_statements_reset()")
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    assert "errors" not in response.json(), response.json()
    rows = psql(
        server,
        "postgres",
        "SELECT calls || '|' || regexp_replace(query, '\\s+', ' ', 'g') "
        "FROM pg_stat_statements s JOIN pg_database d "
        "ON d.oid = s.dbid WHERE d.datname = 'newsgate'",
    )
    found: list[str] = []
    for row in rows:
        calls, _, text = row.partition("|")
        found += [text] * int(calls)
    return response.json()["data"], found


def wait_for_startup(served: tuple[TestClient, PrivatePostgres]) -> None:
    client, _ = served
    assert client.post("/graphql", json={"query": POPULAR}).status_code == 200
    time.sleep(0.5)  # the refresh at start has finished by now: it takes milliseconds


def test_front_page_is_one_statement_per_batch_at_any_size(served):
    wait_for_startup(served)
    for first in (3, 20):
        data, statements = statements_of(served, FRONT_PAGE, first=first)
        assert len(data["latestNews"]) == first
        # the articles with their authors, categories and tags
        assert len(statements) == 1, statements
        assert not [s for s in statements if s.split()[0].upper() != "SELECT"], statements


def test_article_page_is_one_statement_per_batch(served):
    wait_for_startup(served)
    client, _ = served
    latest = client.post("/graphql", json={"query": "{ latestNews(first: 2) { slug } }"})
    counts = []
    for article in latest.json()["data"]["latestNews"]:
        data, statements = statements_of(served, ARTICLE_PAGE, slug=article["slug"])
        assert data["article"]["title"]
        assert not [s for s in statements if s.split()[0].upper() != "SELECT"], statements
        counts.append(len(statements))
    # the article with its author, category and tags; its views; related (with authors)
    assert counts[0] <= 3, statements
    assert counts[0] == counts[1]


def test_popular_is_two_statements(served):
    wait_for_startup(served)
    data, statements = statements_of(served, POPULAR)
    assert data["popularArticles"]
    assert len(statements) == 1, statements  # the ranking, with the authors


def test_a_plan_no_value_changes_is_made_once_per_connection(served):
    """A page walked in an index's order, a lookup by one unique key and one article's
    related list keep their plan on their connection (app/data/sql.py: Query); a batch
    of keys is planned each time for how many it holds."""
    wait_for_startup(served)
    client, server = served
    psql(server, "postgres", "ALTER SYSTEM SET pg_stat_statements.track_planning = on")
    psql(server, "postgres", "SELECT pg_reload_conf()")
    latest = client.post("/graphql", json={"query": "{ latestNews(first: 10) { slug } }"})
    slugs = [article["slug"] for article in latest.json()["data"]["latestNews"]]
    psql(server, "postgres", "SELECT pg_stat_statements_reset()")
    two = """query ($a: String!, $b: String!) {
      a: article(slug: $a) { id }
      b: article(slug: $b) { id }
    }"""
    for slug, other in zip(slugs, reversed(slugs), strict=True):
        for query, variables in (
            (ARTICLE_PAGE, {"slug": slug}),
            (FRONT_PAGE, {"first": 20}),
            (two, {"a": slug, "b": other}),
        ):
            response = client.post("/graphql", json={"query": query, "variables": variables})
            assert response.status_code == 200
            assert "errors" not in response.json()
    rows = psql(
        server,
        "postgres",
        "SELECT calls || '|' || plans || '|' || regexp_replace(query, '\\s+', ' ', 'g') "
        "FROM pg_stat_statements s JOIN pg_database d "
        "ON d.oid = s.dbid WHERE d.datname = 'newsgate'",
    )
    plans = {}
    for row in rows:
        ran, planned, text = row.split("|", 2)
        plans[text] = (int(ran), int(planned))

    def of(fragment: str) -> tuple[int, int]:
        (found,) = [counts for text, counts in plans.items() if fragment in text]
        return found

    by_slug = of("WHERE article.slug = $")
    latest_page = of("ORDER BY article.published_at DESC, article.id DESC LIMIT")
    related = of("FROM related_article")
    by_slugs = of("WHERE article.slug = ANY(")
    for calls, made in (by_slug, latest_page, related):
        assert calls == len(slugs)
        assert made <= len(slugs) // 2, plans
    assert by_slugs == (len(slugs), len(slugs)), plans
