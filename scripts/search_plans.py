"""Newsgate's search under a plan made for each run's words against a plan made once for
any words (PostgreSQL's generic plan): the execution time of each, word by word, from
EXPLAIN ANALYZE. Why app/data/search.py does not let PostgreSQL keep a search's plan.

    .venv/bin/python scripts/search_plans.py postgresql://postgres@127.0.0.1:55432/newsgate_bench_1000000_42

(scripts/bench.py keeps its seeded databases on that private server.)
"""

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.data.entities import ArticleColumns
from app.data.listing import ArticleFilter
from app.data.search import (
    SearchOrder,
    _parameters,
    _period_starts_query,
    _statement,
    _tsquery_query,
    any_language,
    periods_of,
)
from app.data.sql import PostgresReads

WORDS = ["flood", "budget", "election", "football", "vaccine", "rail", "court", "market"]
MODES = {"each run": "force_custom_plan", "once": "force_generic_plan"}


def literal(value: Any) -> str:
    """`value` as an SQL literal, for EXECUTE."""
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'::timestamptz"
    text = str(getattr(value, "value", value))  # enums by their value
    return "'" + text.replace("'", "''") + "'"


async def execution_ms(connection: asyncpg.Connection, arguments: list[str]) -> float:
    """The best of three runs' execution time, as EXPLAIN ANALYZE reports it."""
    times = []
    for _ in range(3):
        plan = await connection.fetch(f"EXPLAIN ANALYZE EXECUTE search({', '.join(arguments)})")
        times.append(float(plan[-1][0].split(":")[1].split()[0]))
    return min(times)


async def compare(url: str, words: list[str]) -> None:
    now = datetime.now(UTC)
    connection = await asyncpg.connect(url)
    starts_sql, starts_arguments = PostgresReads.sql(_period_starts_query(False), {"now": now})
    periods = periods_of(await connection.fetch(starts_sql, *starts_arguments))
    await connection.close()
    # The benchmark's search: relevance, no filter, titles and slugs only.
    query = _statement(
        False,
        ArticleFilter(),
        SearchOrder.RELEVANCE,
        False,
        ArticleColumns(body=False),
        False,
        periods.recent,
    )
    sql, parameters = query.postgresql()
    print(f"the first period reads article_search_recent: {periods.recent}")
    print("| word | planned for each run, ms | planned once, ms |\n|---|---:|---:|")
    results: dict[str, dict[str, float]] = {word: {} for word in words}
    for mode, setting in MODES.items():
        connection = await asyncpg.connect(
            url, server_settings={"plan_cache_mode": setting, "jit": "off"}
        )
        await connection.execute(f"PREPARE search AS {sql}")
        for word in words:
            # Parsed in each language, as a search without a language filter is.
            parse, parse_arguments = PostgresReads.sql(_tsquery_query(False), {"query": word})
            parsed = await connection.fetchrow(parse, *parse_arguments)
            tsquery = any_language(parsed.values())
            values = _parameters("", tsquery, 20, now, periods.starts, None)
            arguments = [literal(values.get(name, default)) for name, default, _ in parameters]
            results[word][mode] = await execution_ms(connection, arguments)
        await connection.close()
    for word, times in results.items():
        print(f"| {word} | {times['each run']:.2f} | {times['once']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("database_url", help="a seeded Newsgate database (postgresql://...)")
    parser.add_argument(
        "words", nargs="*", default=WORDS, help="searches to run (default: the benchmark's)"
    )
    args = parser.parse_args()
    asyncio.run(compare(args.database_url.replace("+asyncpg", ""), args.words))


if __name__ == "__main__":
    main()
