"""Show the SQL a GraphQL document runs, and PostgreSQL's EXPLAIN ANALYZE of each statement.

Runs the document in process against DATABASE_URL (or --database-url), records every
statement with its parameters, then runs each again under EXPLAIN (ANALYZE, BUFFERS).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/newsgate_scale \\
        .venv/bin/python scripts/explain_query.py \\
        '{ trendingArticles(first: 10) { rank article { title } } }'
    .venv/bin/python scripts/explain_query.py --variables '{"q": "rail"}' \\
        'query ($q: String!) { search(query: $q) { edges { node { slug } } } }'
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.context import Context
from app.data.sql import PostgresReads, Query, Row
from app.db import make_engine, make_sessionmaker
from app.gateway.execution import run
from app.popularity.recorder import ViewRecorder
from app.settings import Settings, async_database_url, get_settings


async def explain(database_url: str, document: str, variables: dict[str, Any]) -> None:
    engine = make_engine(Settings(database_url=database_url))
    if engine.dialect.name != "postgresql":
        raise SystemExit("EXPLAIN ANALYZE here is PostgreSQL's: give a postgresql:// URL")
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    class RecordingReads(PostgresReads):
        async def rows(self, query: Query, /, **values: Any) -> list[Row]:
            statements.append(self.sql(query, values))
            return await super().rows(query, **values)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    reads = await RecordingReads.connect(Settings(database_url=database_url))
    try:
        context = Context(
            sessionmaker=make_sessionmaker(engine), reads=reads, views=ViewRecorder(engine, 0)
        )
        result = await run(document, context, variables)
        if result.errors:
            raise SystemExit(f"the document failed: {result.errors}")
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            for number, (statement, parameters) in enumerate(statements, 1):
                plan = await raw.fetch(
                    f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *(parameters or ())
                )
                print(f"-- statement {number} of {len(statements)}\n{statement}")
                print(f"-- parameters: {parameters}\n" + "\n".join(row[0] for row in plan) + "\n")
    finally:
        await reads.close()
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("document", help="a GraphQL query")
    parser.add_argument("--variables", default="{}", help="its variables, as JSON")
    parser.add_argument("--database-url", help="default: DATABASE_URL")
    args = parser.parse_args()
    database_url = async_database_url(args.database_url or get_settings().database_url)
    asyncio.run(explain(database_url, args.document, json.loads(args.variables)))


if __name__ == "__main__":
    main()
