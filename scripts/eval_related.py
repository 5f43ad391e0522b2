"""How good is `related`? Precision@5 against the story clusters the seed plants.

Seeds a throwaway SQLite database, then asks `Article.related(first: 5)` of every
published article whose story has at least five other published reports, and prints the
share of related articles that report on the same story: for the API as it is, and for
the foundation's first version (scripts/related_v1.py) as the baseline.

    .venv/bin/python scripts/eval_related.py                 # default seed, 2,000 articles
    .venv/bin/python scripts/eval_related.py --articles 5000 --seed 7
    .venv/bin/python scripts/eval_related.py --postgresql postgresql://postgres@127.0.0.1:5432/test
"""

import argparse
import asyncio
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from sqlmodel import col, select
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.context import Context
from app.data.sql import open_reads
from app.db import make_engine, make_read_sessionmaker, make_sessionmaker
from app.gateway.execution import run
from app.migrations import alembic_config
from app.popularity.recorder import ViewRecorder
from app.settings import Settings, async_database_url, get_settings
from models import Article, ArticleStatus
from scripts import related_v1, seed
from scripts.serving import throwaway_database

PAGE = """query ($slug: String!, $first: Int!) {
  article(slug: $slug) { related(first: $first) { slug } }
}"""


def pk(article: Article) -> int:
    assert article.id is not None
    return article.id


async def _evaluate(database_url: str, args: argparse.Namespace) -> None:
    seeding = ["--database-url", database_url, "--articles", str(args.articles)]
    await seed.main(seed.parse_args([*seeding, "--seed", str(args.seed)]))
    story_of = seed.story_members(args.seed, args.articles)
    engine = make_engine(Settings(database_url=database_url))
    reads = None
    try:
        sessionmaker = make_read_sessionmaker(engine)
        async with sessionmaker() as session:
            published = list(
                (
                    await session.exec(
                        select(Article).where(col(Article.status) == ArticleStatus.PUBLISHED)
                    )
                ).all()
            )
        id_of = {article.slug: pk(article) for article in published}
        reports = Counter(story_of[pk(a)] for a in published if pk(a) in story_of)
        judged = [a for a in published if reports[story_of.get(pk(a), -1)] > args.first]
        views = ViewRecorder(engine, 0)
        reads = await open_reads(Settings(database_url=database_url), engine)

        async def current(article: Article) -> list[str]:
            context = Context(sessionmaker=make_sessionmaker(engine), reads=reads, views=views)
            variables = {"slug": article.slug, "first": args.first}
            result = await run(PAGE, context, variables)
            assert result.data is not None, result.errors
            return [related["slug"] for related in result.data["article"]["related"]]

        async def first_version(article: Article) -> list[str]:
            key = related_v1.RelatedKey(pk(article), article.category_id, args.first)
            [related] = await related_v1.load_related([key], sessionmaker)
            return [row.slug for row in related]

        for name, fetch in [("related", current), ("first version", first_version)]:
            hits = 0
            for article in tqdm(judged, unit="article", desc=name):
                slugs = await fetch(article)
                hits += sum(story_of.get(id_of[slug]) == story_of[pk(article)] for slug in slugs)
            precision = hits / (len(judged) * args.first) if judged else 0.0
            print(
                f"{name}: precision@{args.first} {precision:.3f} over {len(judged)} articles "
                f"in {len(reports)} stories (seed {args.seed}, {args.articles} articles)"
            )
    finally:
        if reads is not None:
            await reads.close()
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=2000, help="articles to seed (2000)")
    parser.add_argument("--seed", type=int, default=42, help="the seed's --seed (42)")
    parser.add_argument("--first", type=int, default=5, help="related articles judged (5)")
    parser.add_argument(
        "--postgresql",
        metavar="SERVER_URL",
        help="evaluate on a throwaway database created through this PostgreSQL URL "
        "(e.g. postgresql://postgres@127.0.0.1:5432/test) instead of SQLite",
    )
    args = parser.parse_args()
    with _throwaway_database(args.postgresql) as database_url:
        os.environ["DATABASE_URL"] = database_url  # what the Alembic environment migrates
        get_settings.cache_clear()
        command.upgrade(alembic_config(), "head")
        asyncio.run(_evaluate(database_url, args))


@contextmanager
def _throwaway_database(server_url: str | None) -> Iterator[str]:
    if server_url is None:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite+aiosqlite:///{directory}/eval.db"
    else:
        with throwaway_database(server_url, "newsgate_eval") as database_url:
            yield async_database_url(database_url)


if __name__ == "__main__":
    main()
