"""How good is `related`? Precision@5 on a written evaluation set, beside two baselines.

The set (tests/data/related) is news written for the purpose: stories of 3 to 6 reports
in English and Indonesian, pairs of near-miss stories (same topic, place or people,
another event) and distractors that share the stories' generic tags. Which story each
article reports on is in answers.json, which the ranking never reads.

Every article is created through the API's own `createArticle` mutation (published, at
its date, in a shuffled order, as an import would), the related-news worker works
through its queue as the server's does, then `related(first: 5)` is asked of every
article of a story. Printed: precision@5 (the share of the five that report on the same
story) overall, per language and per part of the set (`tune` chose the weights in
app/related/ranking.py; `holdout` was written with them and never tuned on), and the
share of slots taken by the near-miss story; for `related`, for plain TF-IDF cosine over
title and body (no stemming, stop words or tuning), and for "most shared tags, then
newest"; and the best any method could do (a story of n articles has n - 1 others).

    .venv/bin/python scripts/eval_related.py
    .venv/bin/python scripts/eval_related.py --postgresql postgresql://postgres@127.0.0.1:5432/test
"""

import argparse
import asyncio
import json
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.callers import Caller
from app.context import Context
from app.data.sql import Reads, open_reads
from app.db import make_engine, make_sessionmaker
from app.gateway.execution import run
from app.migrations import alembic_config
from app.popularity.recorder import ViewRecorder
from app.related.maintain import queue_stale, refresh_related
from app.settings import Settings, async_database_url, get_settings
from scripts.serving import throwaway_database

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "related"
PARTS = ("tune", "holdout")
FIRST = 5
EDITOR = Caller("editor:evaluation", frozenset({"content:read", "content:write"}))
AUTHORS = ["Amelia Hart", "Budi Santoso", "Chen Wei", "Dewi Lestari", "Oliver Grant"]
CREATE_AUTHOR = "mutation ($name: String!) { createAuthor(input: {name: $name}) { id } }"
CREATE_ARTICLE = (
    """mutation ($input: CreateArticleInput!) { createArticle(input: $input) { id } }"""
)
RELATED = """query ($slug: String!) { article(slug: $slug) { related(first: 5) { slug } } }"""


@dataclass
class Score:
    hits: int = 0
    near_misses: int = 0
    slots: int = 0

    def add(self, hits: int, near_misses: int) -> None:
        self.hits += hits
        self.near_misses += near_misses
        self.slots += FIRST

    def __str__(self) -> str:
        if not self.slots:
            return "-"
        return f"{self.hits / self.slots:.3f} ({100 * self.near_misses / self.slots:.1f}%)"


@dataclass
class EvaluationSet:
    articles: list[dict[str, Any]]
    story_of: dict[str, str]
    near_miss_of: dict[str, str]

    @classmethod
    def read(cls, parts: tuple[str, ...] = PARTS) -> "EvaluationSet":
        articles = []
        for part in parts:
            for article in json.loads((DATA / f"{part}.json").read_text()):
                articles.append({**article, "part": part})
        answers = json.loads((DATA / "answers.json").read_text())
        story_of = {a: story for story, ids in answers["stories"].items() for a in ids}
        near_miss_of = {}
        for one, other in answers["near_misses"]:
            near_miss_of[one], near_miss_of[other] = other, one
        return cls(articles, story_of, near_miss_of)

    def judge(self, lists: dict[str, list[str]]) -> dict[str, Score]:
        """Precision@5 and near-miss share of each article's list (by article id), overall,
        per language and per part."""
        scores: defaultdict[str, Score] = defaultdict(Score)
        for article in self.articles:
            story = self.story_of.get(article["id"])
            if story is None:
                continue
            found = lists.get(article["id"], [])[:FIRST]
            hits = sum(self.story_of.get(other) == story for other in found)
            near = self.near_miss_of.get(story)
            misses = sum(near is not None and self.story_of.get(o) == near for o in found)
            for group in ("all", article["language"], article["part"]):
                scores[group].add(hits, misses)
        return scores

    def ceiling(self) -> dict[str, list[str]]:
        """The best lists there are: the other reports of each story."""
        members: defaultdict[str, list[str]] = defaultdict(list)
        for article_id, story in self.story_of.items():
            members[story].append(article_id)
        return {a: [o for o in members[s] if o != a] for a, s in self.story_of.items()}


def tfidf_lists(articles: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Plain TF-IDF: lowercase words of title and body, raw counts, smoothed IDF, cosine."""
    word = re.compile(r"(?u)\b\w\w+\b")
    counts = {a["id"]: Counter(word.findall(f"{a['title']} {a['body']}".lower())) for a in articles}
    frequency = Counter(term for terms in counts.values() for term in terms)
    total = len(articles)
    vectors = {}
    for article_id, terms in counts.items():
        weights = {
            t: n * (math.log((1 + total) / (1 + frequency[t])) + 1) for t, n in terms.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values()))
        vectors[article_id] = {t: w / norm for t, w in weights.items()}

    def similarity(a: str, b: str) -> float:
        return sum(w * vectors[b].get(t, 0.0) for t, w in vectors[a].items())

    return _best(articles, similarity)


def shared_tags_lists(articles: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The most tags in common, then the newest."""
    tags = {a["id"]: set(a["tags"]) for a in articles}
    published = {a["id"]: a["published_at"] for a in articles}
    return _best(articles, lambda a, b: (len(tags[a] & tags[b]), published[b]))


def _best(articles: list[dict[str, Any]], key: Callable[[str, str], Any]) -> dict[str, list[str]]:
    ids = [a["id"] for a in articles]
    return {
        a: sorted((b for b in ids if b != a), key=lambda b: key(a, b), reverse=True)[:FIRST]
        for a in ids
    }


async def load(engine: AsyncEngine, reads: Reads, evaluation: EvaluationSet, seed: int) -> float:
    """Create every article through the API, in a shuffled order; then let the related
    worker empty its queue. Returns the seconds the worker took."""

    async def execute(document: str, **variables: Any) -> dict[str, Any]:
        context = Context(
            sessionmaker=make_sessionmaker(engine),
            reads=reads,
            views=ViewRecorder(engine, 0),
            caller=EDITOR,
        )
        result = await run(document, context, variables)
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data

    authors = [(await execute(CREATE_AUTHOR, name=name))["createAuthor"]["id"] for name in AUTHORS]
    order = list(evaluation.articles)
    Random(seed).shuffle(order)
    for n, article in enumerate(tqdm(order, desc="createArticle", unit="article")):
        fields = {
            "slug": article["id"],
            "title": article["title"],
            "summary": article["summary"],
            "body": article["body"],
            "language": article["language"],
            "authorId": authors[n % len(authors)],
            "categorySlug": article["category"],
            "tagSlugs": article["tags"],
            "publishedAt": article["published_at"],
            "publish": True,
        }
        await execute(CREATE_ARTICLE, input=fields)
    started = time.monotonic()
    await drain(engine)
    return time.monotonic() - started


async def drain(engine: AsyncEngine) -> None:
    """Work through the related queue as the server's worker does, until nothing is left."""
    while await refresh_related(engine) or await queue_stale(engine):
        pass


async def related_lists(
    engine: AsyncEngine, reads: Reads, evaluation: EvaluationSet
) -> dict[str, list[str]]:
    """`related(first: 5)` of every article of a story, as an anonymous reader asks it."""
    lists = {}
    for article in evaluation.articles:
        if article["id"] not in evaluation.story_of:
            continue
        context = Context(
            sessionmaker=make_sessionmaker(engine), reads=reads, views=ViewRecorder(engine, 0)
        )
        result = await run(RELATED, context, {"slug": article["id"]})
        assert result.data is not None, result.errors
        lists[article["id"]] = [r["slug"] for r in result.data["article"]["related"]]
    return lists


@dataclass
class Report:
    rows: dict[str, dict[str, Score]] = field(default_factory=dict)
    worker_seconds: float = 0.0

    def table(self) -> str:
        groups = ["all", "en", "id", *PARTS]
        lines = [
            "precision@5 (share of slots holding the near-miss story)",
            "| method | " + " | ".join(groups) + " |",
            "| --- | " + " | ".join("---:" for _ in groups) + " |",
        ]
        for name, scores in self.rows.items():
            lines.append(f"| {name} | " + " | ".join(str(scores[g]) for g in groups) + " |")
        return "\n".join(lines)


async def evaluate(database_url: str, seed: int = 1) -> Report:
    evaluation = EvaluationSet.read()
    settings = Settings(database_url=database_url)
    engine = make_engine(settings)
    reads = await open_reads(settings, engine)
    try:
        report = Report(worker_seconds=await load(engine, reads, evaluation, seed))
        report.rows["Newsgate `related`"] = evaluation.judge(
            await related_lists(engine, reads, evaluation)
        )
    finally:
        await reads.close()
        await engine.dispose()
    report.rows["plain TF-IDF, title and body"] = evaluation.judge(tfidf_lists(evaluation.articles))
    report.rows["most shared tags, then newest"] = evaluation.judge(
        shared_tags_lists(evaluation.articles)
    )
    report.rows["ceiling"] = evaluation.judge(evaluation.ceiling())
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1, help="shuffles the loading order (1)")
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
        report = asyncio.run(evaluate(database_url, args.seed))
    print(report.table())
    print(f"the related worker emptied its queue in {report.worker_seconds:.1f}s")


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
