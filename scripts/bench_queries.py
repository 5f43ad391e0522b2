"""Latency of the site's read queries over HTTP, against a database you have seeded.

Starts the server on DATABASE_URL (or --database-url), sends each query one at a time
(after a warm-up) and prints p50, p95 and the worst time for each. Meant for the
1,000,000-article PostgreSQL database that `scripts/seed.py --articles 1000000` makes.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/newsgate_scale \\
        .venv/bin/python scripts/bench_queries.py --runs 200
"""

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvloop
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.settings import async_database_url, get_settings
from scripts.serving import post, server

POPULAR = """query ($window: Window!, $category: String) {
  popularArticles(window: $window, first: 10, categorySlug: $category) {
    rank views article { title slug }
  }
}"""
TRENDING = """query ($category: String) {
  trendingArticles(first: 10, categorySlug: $category) { rank score article { title slug } }
}"""
FRONT_PAGE = """{
  articles(first: 20) { edges { node {
    title slug summary publishedAt author { name } category { name } tags { name } viewCount
  } } }
}"""
ARTICLE_PAGE = """query ($slug: String!) {
  article(slug: $slug) {
    title body author { name } tags { name } viewCount day: views(window: DAY)
    related(first: 5) { title slug author { name } }
  }
}"""
NESTED = """{
  latestNews(first: 5) { title slug }
  categories { name articles(first: 3) { edges { node { title slug } } } }
  authors(first: 5) { edges { node {
    name articles(first: 5) { totalCount edges { node { title } } }
  } } }
}"""
SEARCH = """query ($query: String!, $category: String, $orderBy: SearchOrder) {
  search(query: $query, first: 20, filter: {categorySlug: $category}, orderBy: $orderBy) {
    edges { score snippet node { title slug author { name } } }
  }
}"""
CATEGORIES = ["politics", "sports", "technology", "health", "weather"]


def _queries() -> dict[str, tuple[str, dict[str, Any]]]:
    queries: dict[str, tuple[str, dict[str, Any]]] = {
        "front page": (FRONT_PAGE, {}),
        "latest, categories and authors with articles": (NESTED, {}),
    }
    for window in ("HOUR", "DAY", "WEEK", "MONTH", "ALL_TIME"):
        queries[f"popular {window}"] = (POPULAR, {"window": window})
        queries[f"popular {window} + category"] = (POPULAR, {"window": window, "category": None})
    queries["trending"] = (TRENDING, {})
    queries["trending + category"] = (TRENDING, {"category": None})
    queries["article page"] = (ARTICLE_PAGE, {"slug": None})
    queries["search one word"] = (SEARCH, {"words": 1})
    queries["search two words"] = (SEARCH, {"words": 2})
    queries["search two words + category"] = (SEARCH, {"words": 2, "category": None})
    queries["search two words, newest"] = (SEARCH, {"words": 2, "orderBy": "NEWEST"})
    return queries


async def _sample(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> list[Any]:
    """100 articles from across the last year: 10 from before each of 10 random moments."""
    rng = random.Random(2)
    query = """query ($before: DateTime!) {
      articles(first: 10, filter: {publishedBefore: $before}) { edges { node { slug title } } }
    }"""
    sample = []
    for _ in range(10):
        before = datetime.now(UTC) - timedelta(days=rng.uniform(0, 365))
        page = await post(
            reader, writer, {"query": query, "variables": {"before": before.isoformat()}}
        )
        sample += [edge["node"] for edge in page["data"]["articles"]["edges"]]
    return sample


async def _measure(port: int, runs: int, only: str | None) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rng = random.Random(1)
    queries = {name: q for name, q in _queries().items() if only is None or only in name}
    sample = await _sample(reader, writer)
    slugs = [article["slug"] for article in sample]
    # Words of sampled titles, so that every search has matches.
    title_words = [[w for w in a["title"].split() if len(w) > 3 and w.isalpha()] for a in sample]
    title_words = [words for words in title_words if len(words) >= 2]
    try:
        with tqdm(total=len(queries) * runs, unit="query") as progress:
            for name, (query, variables) in queries.items():
                times: list[float] = []
                slowest: dict[str, Any] = {}
                for run in range(runs + 5):  # the first five warm caches up, untimed
                    if "category" in variables:
                        variables = {**variables, "category": rng.choice(CATEGORIES)}
                    if "slug" in variables:
                        variables = {"slug": rng.choice(slugs)}
                    if "words" in variables:
                        words = rng.sample(rng.choice(title_words), variables["words"])
                        variables = {**variables, "query": " ".join(words)}
                    started = time.perf_counter()
                    response = await post(reader, writer, {"query": query, "variables": variables})
                    elapsed = (time.perf_counter() - started) * 1000
                    if "errors" in response:
                        raise SystemExit(f"{name}: {response['errors']}")
                    if run >= 5:
                        times.append(elapsed)
                        if elapsed >= max(times):
                            slowest = variables
                        progress.update()
                times.sort()
                tqdm.write(
                    f"{name:>28}: p50 {statistics.median(times):6.1f} ms, "
                    f"p95 {times[int(0.95 * len(times)) - 1]:6.1f} ms, max {times[-1]:6.1f} ms"
                    + (f" ({slowest})" if slowest else "")
                )
    finally:
        writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="default: DATABASE_URL")
    parser.add_argument("--runs", type=int, default=100, help="timed runs per query (100)")
    parser.add_argument("--port", type=int, default=8310, help="port for the server (8310)")
    parser.add_argument("--only", help="run only the queries whose name contains this")
    args = parser.parse_args()
    database_url = async_database_url(args.database_url or get_settings().database_url)
    with server(database_url, args.port):
        uvloop.run(_measure(args.port, args.runs, args.only))  # as the server runs


if __name__ == "__main__":
    main()
