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
from pathlib import Path
from typing import Any

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
    return queries


async def _measure(port: int, runs: int, only: str | None) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rng = random.Random(1)
    queries = {name: q for name, q in _queries().items() if only is None or only in name}
    listing = await post(
        reader, writer, {"query": "{ articles(first: 100) { edges { node { slug } } } }"}
    )
    slugs = [edge["node"]["slug"] for edge in listing["data"]["articles"]["edges"]]
    try:
        with tqdm(total=len(queries) * runs, unit="query") as progress:
            for name, (query, variables) in queries.items():
                times = []
                for run in range(runs + 5):  # the first five warm caches up, untimed
                    if "category" in variables:
                        variables = {**variables, "category": rng.choice(CATEGORIES)}
                    if "slug" in variables:
                        variables = {"slug": rng.choice(slugs)}
                    started = time.perf_counter()
                    response = await post(reader, writer, {"query": query, "variables": variables})
                    elapsed = (time.perf_counter() - started) * 1000
                    if "errors" in response:
                        raise SystemExit(f"{name}: {response['errors']}")
                    if run >= 5:
                        times.append(elapsed)
                        progress.update()
                times.sort()
                tqdm.write(
                    f"{name:>28}: p50 {statistics.median(times):6.1f} ms, "
                    f"p95 {times[int(0.95 * len(times)) - 1]:6.1f} ms, max {times[-1]:6.1f} ms"
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
        asyncio.run(_measure(args.port, args.runs, args.only))


if __name__ == "__main__":
    main()
