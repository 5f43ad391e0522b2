"""How good is `related`? Precision@5 against the story clusters the seed plants.

Seeds a throwaway SQLite database, then asks `Article.related(first: 5)` of every
published article whose story has at least five other published reports, and prints the
share of related articles that report on the same story.

    .venv/bin/python scripts/eval_related.py                 # default seed, 2,000 articles
    .venv/bin/python scripts/eval_related.py --articles 5000 --seed 7
"""

import argparse
import asyncio
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

from alembic import command
from sqlmodel import col, select
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.context import Context
from app.db import make_engine, make_read_sessionmaker, make_sessionmaker
from app.migrations import alembic_config
from app.recorder import ViewRecorder
from app.settings import Settings, get_settings
from models import Article, ArticleStatus
from resolvers.schema import schema
from scripts import seed

PAGE = """query ($slug: String!, $first: Int!) {
  article(slug: $slug) { related(first: $first) { slug } }
}"""


async def _evaluate(database_url: str, args: argparse.Namespace) -> None:
    seeding = ["--database-url", database_url, "--articles", str(args.articles)]
    await seed.main(seed.parse_args([*seeding, "--seed", str(args.seed)]))
    story_of = seed.story_members(args.seed, args.articles)
    engine = make_engine(Settings(database_url=database_url))
    try:
        async with make_read_sessionmaker(engine)() as session:
            rows = await session.exec(
                select(Article.id, Article.slug).where(
                    col(Article.status) == ArticleStatus.PUBLISHED
                )
            )
            slug_of: dict[int, str] = {pk: slug for pk, slug in rows.all() if pk is not None}
        reports = Counter(story_of[pk] for pk in slug_of if pk in story_of)
        story_by_slug = {slug_of[pk]: story_of.get(pk) for pk in slug_of}
        judged = [
            slug
            for pk, slug in slug_of.items()
            if pk in story_of and reports[story_of[pk]] > args.first
        ]
        views = ViewRecorder(engine, 0)
        hits = 0
        for slug in tqdm(judged, unit="article"):
            context = Context(
                sessionmaker=make_sessionmaker(engine),
                read_sessionmaker=make_read_sessionmaker(engine),
                views=views,
            )
            result = await schema.execute(
                PAGE, variable_values={"slug": slug, "first": args.first}, context_value=context
            )
            assert result.data is not None, result.errors
            related = result.data["article"]["related"]
            hits += sum(story_by_slug[r["slug"]] == story_by_slug[slug] for r in related)
    finally:
        await engine.dispose()
    precision = hits / (len(judged) * args.first) if judged else 0.0
    print(
        f"related: precision@{args.first} {precision:.3f} over {len(judged)} articles "
        f"in {len(reports)} stories (seed {args.seed}, {args.articles} articles)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=2000, help="articles to seed (2000)")
    parser.add_argument("--seed", type=int, default=42, help="the seed's --seed (42)")
    parser.add_argument("--first", type=int, default=5, help="related articles judged (5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        database_url = f"sqlite+aiosqlite:///{directory}/eval.db"
        os.environ["DATABASE_URL"] = database_url  # what the Alembic environment migrates
        get_settings.cache_clear()
        command.upgrade(alembic_config(), "head")
        asyncio.run(_evaluate(database_url, args))


if __name__ == "__main__":
    main()
