"""Compute every published article's related list from scratch.

For a site loaded in bulk (scripts/seed.py runs it), or after a change to how related
news is computed. Reads the articles twice in chunks, with a progress bar for each pass;
memory stays bounded by the articles of one 30-day window per process. On PostgreSQL each
pass is split over a process per core (--processes), giving the same lists as one. The
server may keep running: changes made meanwhile stay queued for its worker.

    .venv/bin/python scripts/backfill_related.py
    .venv/bin/python scripts/backfill_related.py --database-url postgresql://postgres@127.0.0.1:5432/newsgate
"""

import argparse
import asyncio
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.db import make_engine
from app.related.backfill import backfill, default_processes
from app.settings import async_database_url, get_settings
from models import Article, ArticleStatus


async def main(database_url: str | None, processes: int | None) -> None:
    settings = get_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": async_database_url(database_url)})
    engine = make_engine(settings)
    try:
        async with engine.connect() as connection:
            total = (
                await connection.execute(
                    select(func.count()).where(Article.status == ArticleStatus.PUBLISHED)  # type: ignore[arg-type]
                )
            ).scalar_one()
        started = time.monotonic()
        with (
            tqdm(total=total, desc="term frequencies", unit="article", unit_scale=True) as counted,
            tqdm(total=total, desc="related lists", unit="article", unit_scale=True) as related,
        ):
            processes = processes or default_processes(engine)
            done = await backfill(engine, counted.update, related.update, processes)
        print(
            f"computed the related lists of {done:,} articles in "
            f"{time.monotonic() - started:.0f}s with {processes} process(es)"
        )
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="the database (default: DATABASE_URL)")
    parser.add_argument(
        "--processes",
        type=int,
        help="processes to split each pass over (default: one per core on PostgreSQL, "
        "one on SQLite)",
    )
    args = parser.parse_args()
    if args.processes is not None and args.processes < 1:
        parser.error("--processes must be at least 1")
    asyncio.run(main(args.database_url, args.processes))
