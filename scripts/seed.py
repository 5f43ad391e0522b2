"""Fill the Newsgate database with deterministic demo data.

News comes in stories (scripts/demo_stories.py): a first report, then follow-ups hours
or days later, in English and Indonesian, each story with its own places, people and
numbers, so that every headline is distinct and the related news under an article is
the rest of its story. From 20,000 articles on (scale mode), names are invented and
bodies padded with generated words, for the length and vocabulary of real news.
Related lists are computed at the end (scripts/backfill_related.py).

Run from the repo root after `alembic upgrade head`:

    .venv/bin/python scripts/seed.py                      # 500 articles, refuses if data exists
    .venv/bin/python scripts/seed.py --if-empty           # no-op when articles exist
    .venv/bin/python scripts/seed.py --reset --articles 1000000

The same --seed gives the same rows; dates are relative to the current UTC hour. All writes
happen in one transaction: COPY on PostgreSQL, executemany on SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from array import array
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate, pairwise
from pathlib import Path
from random import Random
from typing import Any, Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
from sqlalchemy import delete, exists, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel
from tqdm import tqdm

import models
from app.db import make_engine
from app.popularity.rollup import refresh_popularity
from app.related.backfill import backfill, default_processes
from app.settings import async_database_url, get_settings
from scripts import demo_stories as demo

Row = tuple[Any, ...]
CHUNK = 10_000
BUCKET_WINDOW_HOURS = 90 * 24
TABLES = (
    "author", "category", "tag", "article", "article_tag", "article_view_bucket",
    "article_view_visitor", "article_popularity", "popularity_dirty", "related_article",
    "related_document", "related_posting", "related_term", "related_queue",
)  # fmt: skip
# Every article with views waits for its first popularity computation (app/popularity/rollup.py).
QUEUE_POPULARITY = (
    "INSERT INTO popularity_dirty (article_id) SELECT DISTINCT article_id FROM article_view_bucket"
)
COLUMNS: dict[str, tuple[str, ...]] = {
    "author": ("id", "slug", "name", "bio", "avatar_url", "created_at"),
    "category": ("id", "slug", "name"),
    "tag": ("id", "slug", "name"),
    "article": ("id", "slug", "title", "summary", "body", "language", "status", "published_at",
                "updated_at", "reading_time_minutes", "author_id", "category_id", "view_count"),
    "article_tag": ("article_id", "tag_id"),
    "article_view_bucket": ("article_id", "starts_at", "views"),
}  # fmt: skip


CITIES = ["Jakarta", "Surabaya", "Bandung", "London", "New York", "Singapore", "Nairobi", "Tokyo"]
CATEGORIES = [
    ("Politics", 9), ("Business", 8), ("Technology", 8), ("Science", 5), ("Health", 6),
    ("Sports", 9), ("Culture", 4), ("World", 8), ("Opinion", 5), ("Environment", 4),
    ("Education", 3), ("Travel", 3), ("Food", 3), ("Entertainment", 6), ("Economy", 6),
    ("Law & Justice", 3), ("Media", 2), ("Lifestyle", 4), ("Weather", 2), ("Local", 5),
]  # fmt: skip
CATEGORY_IDS = list(range(1, len(CATEGORIES) + 1))
CATEGORY_CUM_WEIGHTS = list(accumulate(weight for _, weight in CATEGORIES))


def words(text: str) -> list[str]:
    """The words of a text block (keeps long word lists readable)."""
    return text.split()


TOPICS = words("""
elections climate ai economy inflation football health education energy housing
transport startups space vaccines trade tourism music film art books privacy cybersecurity
crypto banking jobs agriculture water oceans wildlife pollution renewables oil mining migration
human-rights courts corruption police defense diplomacy asean china europe united-states
indonesia jakarta bali badminton olympics smartphones social-media streaming fashion religion
poverty tax infrastructure earthquakes floods wildfires elections-2029""")
TOPIC_MODIFIERS = words("policy research funding markets reform crisis investment regulation")
SYLLABLES = words("ka ri to ma se lu na vo de pi ra mo ku ne sa li tu ba ro en al or in ter dan")
FIRST_NAMES = words(f"{demo.EN_NAMES[0]} {demo.ID_NAMES[0]}")
LAST_NAMES = words(f"{demo.EN_NAMES[1]} {demo.ID_NAMES[1]}")


@dataclass(frozen=True)
class Planned:
    """An article of a story, written and dated, waiting for its id."""

    story: int
    language: str
    category_id: int
    tag_ids: tuple[int, ...]  # the kind's topic and the place: what an editor would tag
    title: str
    summary: str
    body: str
    age_s: int


@dataclass
class Context:
    """Everything article generation needs besides the random generator."""

    base: datetime  # the start of the current UTC hour
    authors: int
    tag_ids: list[int]
    tag_cum_weights: list[float]
    tag_id_of: dict[str, int]
    ranks: array[int]  # a random permutation of 1..N: the popularity rank of each article
    # Scale mode: invented names (a million articles need more than the lists hold) and
    # a few paragraphs of generated words, for the length and vocabulary of real news.
    scale: bool
    hours: list[datetime] = field(init=False)
    titles: set[str] = field(default_factory=set)
    pending: deque[Planned] = field(default_factory=deque)
    stories: int = 0
    # Demo mode: when each kind may start a story, WINDOW_DAYS and more apart, so that
    # related news never has two stories of one kind (same words, other place) to offer.
    starts: dict[int, list[int]] = field(default_factory=dict)
    vocabulary: list[str] = field(default_factory=list)
    vocabulary_weights: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.hours = [self.base - timedelta(hours=h) for h in range(BUCKET_WINDOW_HOURS)]


@dataclass
class Chunk:
    article: list[Row] = field(default_factory=list)
    article_tag: list[Row] = field(default_factory=list)
    article_view_bucket: list[Row] = field(default_factory=list)
    story_of: dict[int, int] = field(default_factory=dict)  # article id -> story number


STORY_SIZES = [1, 1, 2, 3, 3, 4, 4]  # articles per story (up to the kind's beats)
STORY_SPACING_DAYS = 35  # demo mode: days between two stories of one kind
WRITTEN = Path(__file__).resolve().parent.parent / "tests" / "data" / "related"
WRITTEN_PARTS = ("tune.json", "holdout.json")
WRITTEN_CATEGORIES = {
    "transport": "Local", "sport": "Sports", "nasional": "Local", "politik": "Politics",
    "ekonomi": "Economy", "olahraga": "Sports", "hukum": "Law & Justice",
}  # fmt: skip
SCALE_FROM = 20_000  # articles from which the seed writes in scale mode


def invented_name(rng: Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def story_slots(rng: Random, language: str, scale: bool) -> dict[str, str]:
    """The places, people and numbers that make one story of a kind its own."""
    english = language == "en"
    firsts, lasts = demo.EN_NAMES if english else demo.ID_NAMES
    first, last = rng.choice(firsts.split()), rng.choice(lasts.split())
    slots = {
        "place": rng.choice(demo.EN_PLACES if english else demo.ID_PLACES),
        "company": rng.choice(demo.EN_COMPANIES if english else demo.ID_COMPANIES),
        "team": rng.choice(demo.EN_TEAMS if english else demo.ID_TEAMS),
        "water": rng.choice(demo.EN_WATER),
        "n": str(rng.randint(3, 9) * 10 ** rng.randint(1, 2)),
        "m": str(rng.randint(2, 40)),
    }
    if scale:
        first, last = invented_name(rng), invented_name(rng)
        slots["place"] = invented_name(rng)
        slots["company"] = f"{invented_name(rng)} {'Group' if english else 'Tbk'}"
        slots["team"] = f"{invented_name(rng)} {'United' if english else 'FC'}"
        slots["water"] = f"{invented_name(rng)} Water"
    return {**slots, "person": f"{first} {last}", "last": last}


def generated_words(rng: Random, ctx: Context, count: int) -> str:
    """Sentences of invented words drawn as a language's words are: a few very often,
    most rarely (Zipf's law over VOCABULARY words)."""
    drawn = rng.choices(ctx.vocabulary, cum_weights=ctx.vocabulary_weights, k=count)
    return " ".join(" ".join(drawn[i : i + 12]).capitalize() + "." for i in range(0, count, 12))


VOCABULARY = 100_000  # invented words of scale mode's padding


def plan_story(rng: Random, ctx: Context) -> list[Planned]:
    """The articles of a new story: its first report, then follow-ups days apart."""
    open_kinds = [index for index, starts in ctx.starts.items() if starts]
    while True:
        index = rng.choice(open_kinds) if open_kinds else rng.randrange(len(demo.KINDS))
        kind = demo.KINDS[index]
        slots = story_slots(rng, kind.language, ctx.scale)
        beats = kind.beats[: min(rng.choice(STORY_SIZES), len(kind.beats))]
        titles = [beat[0].format(**slots) for beat in beats]
        if ctx.scale or not ctx.titles.intersection(titles):
            break
    ctx.titles.update(titles)
    ctx.stories += 1
    country = "uk" if kind.language == "en" else "indonesia"
    tags = tuple(ctx.tag_id_of[tag] for tag in (*kind.tags, country) if tag in ctx.tag_id_of)
    category_id = CATEGORY_IDS[[name for name, _ in CATEGORIES].index(kind.category)]
    age_s = ctx.starts[index].pop() if open_kinds else rng.randrange(365 * 86400)
    planned = []
    for title, (_, summary, body) in zip(titles, beats, strict=True):
        body = body.format(**slots)
        if ctx.scale:
            body += "\n\n" + generated_words(rng, ctx, rng.randint(150, 300))
        planned.append(Planned(
            ctx.stories, kind.language, category_id, tags, title, summary.format(**slots),
            body, max(0, age_s),
        ))  # fmt: skip
        age_s -= rng.randrange(3 * 3600, 40 * 3600)  # follow-ups come hours or days later
    return planned


def slugify(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def make_authors(rng: Random, count: int, base: datetime) -> list[Row]:
    seen: dict[str, int] = {}
    rows = []
    for author_id in range(1, count + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        slug = slugify(f"{first} {last}")
        seen[slug] = seen.get(slug, 0) + 1
        slug = slug if seen[slug] == 1 else f"{slug}-{seen[slug]}"
        beat = rng.choice(CATEGORIES)[0].lower()
        bio = f"{first} covers {beat} for Newsgate from {rng.choice(CITIES)}."
        created = base - timedelta(days=366 + rng.randrange(1500), seconds=rng.randrange(86400))
        avatar = f"https://avatars.example.org/{slug}.png"
        rows.append((author_id, slug, f"{first} {last}", bio, avatar, created))
    return rows


def make_tag_names() -> list[str]:
    """Topics, the demo stories' own topics and places, then topics with a modifier."""
    names = [t.replace("-", " ") for t in dict.fromkeys(TOPICS)]
    kinds = [tag.replace("-", " ") for kind in demo.KINDS for tag in kind.tags]
    written = [
        a["tags"] for part in WRITTEN_PARTS for a in orjson.loads((WRITTEN / part).read_text())
    ]
    kinds += [tag.replace("-", " ") for tags in written for tag in tags]
    places = ["uk", "indonesia"]
    combos = (f"{t} {m}" for m in TOPIC_MODIFIERS for t in names if t != m)
    unique: dict[str, str] = {}
    for name in [*kinds, *names, *places, *combos]:
        unique.setdefault(slugify(name), name)  # one tag per slug, the first name given
    return list(unique.values())[:300]


def make_tags(rng: Random, ctx: Context) -> list[int]:
    """3 to 6 distinct tags, tag of rank r drawn with weight 1/r."""
    k = rng.randint(3, 6)
    chosen: set[int] = set()
    while len(chosen) < k:
        chosen.update(rng.choices(ctx.tag_ids, cum_weights=ctx.tag_cum_weights, k=k - len(chosen)))
    return sorted(chosen)


def make_buckets(rng: Random, ctx: Context, article_id: int, age_s: int, total: int) -> list[Row]:
    """Up to 8 hourly buckets holding part of `total`, skewed towards recent hours."""
    part = int(total * rng.uniform(0.3, 0.8))
    window = min(age_s // 3600, BUCKET_WINDOW_HOURS - 1) + 1  # hours not before publication
    count = min(8, window, (part.bit_length() + 1) // 2)
    if count == 0:
        return []
    offsets: set[int] = set()
    while len(offsets) < count:
        offsets.add(int(window * rng.random() ** 3))
    cuts = [0, *sorted(rng.sample(range(1, part), count - 1)), part]
    shares = sorted((b - a for a, b in pairwise(cuts)), reverse=True)
    return [
        (article_id, ctx.hours[h], views) for h, views in zip(sorted(offsets), shares, strict=True)
    ]


def add_article(rng: Random, ctx: Context, article_id: int, chunk: Chunk) -> None:
    if not ctx.pending:
        ctx.pending.extend(plan_story(rng, ctx))
    planned = ctx.pending.popleft()
    chunk.story_of[article_id] = planned.story
    slug = f"{slugify(planned.title)[:180].rstrip('-')}-{article_id}"
    roll = rng.random()
    status = "published" if roll < 0.90 else "draft" if roll < 0.96 else "archived"
    if status == "draft":
        published_at, views, age_s = None, 0, 0
        updated_at = ctx.base - timedelta(seconds=rng.randrange(2 * 86400))
    else:
        age_s = planned.age_s
        published_at = ctx.base - timedelta(seconds=age_s)
        updated_at = min(published_at + timedelta(seconds=rng.randrange(3 * 86400)), ctx.base)
        views = int(200_000 / ctx.ranks[article_id - 1] ** 1.1) + rng.randrange(25)
    author_id = rng.randrange(ctx.authors) + 1
    chunk.article.append((
        article_id, slug, planned.title, planned.summary, planned.body, planned.language,
        status, published_at, updated_at, models.reading_time_minutes(planned.body),
        author_id, planned.category_id, views,
    ))  # fmt: skip
    # The story's own tags, then common ones (Zipf), 3 to 6 in all.
    tag_ids = dict.fromkeys(planned.tag_ids)
    wanted = rng.randint(max(3, len(tag_ids)), 6)
    while len(tag_ids) < wanted:
        tag_ids.update(dict.fromkeys(make_tags(rng, ctx)[: wanted - len(tag_ids)]))
    chunk.article_tag.extend((article_id, tag_id) for tag_id in sorted(tag_ids))
    if status == "published":
        chunk.article_view_bucket.extend(make_buckets(rng, ctx, article_id, age_s, views))


def article_chunks(rng: Random, ctx: Context, count: int) -> Iterator[Chunk]:
    for start in range(1, count + 1, CHUNK):
        chunk = Chunk()
        for article_id in range(start, min(start + CHUNK, count + 1)):
            add_article(rng, ctx, article_id, chunk)
        yield chunk


async def prefetched(chunks: Iterator[Chunk]) -> AsyncIterator[Chunk]:
    """`chunks`, each generated in a worker thread while the caller writes the previous one."""
    pending = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
    while (chunk := await pending) is not None:
        pending = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
        yield chunk


class Sink(Protocol):
    async def has_rows(self, table: str) -> bool: ...
    async def clear(self) -> None: ...
    async def write(self, table: str, rows: list[Row]) -> None: ...
    async def finish(self) -> None: ...


class PostgresSink:
    def __init__(self, con: Any) -> None:
        self.con = con  # an asyncpg connection

    async def has_rows(self, table: str) -> bool:
        return bool(await self.con.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"))

    async def clear(self) -> None:
        # CASCADE: also the tables the database keeps beside them (article_search); the
        # tallies too, which the triggers fill again (TRUNCATE fires none)
        await self.con.execute(f"TRUNCATE {', '.join(TABLES)}, article_tally CASCADE")

    async def write(self, table: str, rows: list[Row]) -> None:
        await self.con.copy_records_to_table(table, records=rows, columns=COLUMNS[table])

    async def finish(self) -> None:
        """Queue popularity; point each id sequence past the explicit ids for later inserts."""
        await self.con.execute(QUEUE_POPULARITY)
        for table in ("author", "category", "tag", "article"):
            await self.con.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )


class SqliteSink:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def has_rows(self, table: str) -> bool:
        query = select(exists().select_from(SQLModel.metadata.tables[table]))
        return bool((await self.conn.execute(query)).scalar())

    async def clear(self) -> None:
        for table in (*reversed(TABLES), "article_tally"):  # the tallies after their articles
            await self.conn.execute(delete(SQLModel.metadata.tables[table]))

    async def finish(self) -> None:
        await self.conn.execute(text(QUEUE_POPULARITY))

    async def write(self, table: str, rows: list[Row]) -> None:
        columns = COLUMNS[table]
        params = [dict(zip(columns, row, strict=True)) for row in rows]
        await self.conn.execute(insert(SQLModel.metadata.tables[table]), params)


def make_context(rng: Random, base: datetime, articles: int, authors: int) -> Context:
    ranks = array("l", range(1, articles + 1))
    rng.shuffle(ranks)
    names = make_tag_names()
    tag_ids = list(range(1, len(names) + 1))
    tag_cum_weights = list(accumulate(1 / rank for rank in tag_ids))
    tag_id_of = {slugify(name): n for n, name in enumerate(names, 1)}
    ctx = Context(base, authors, tag_ids, tag_cum_weights, tag_id_of, ranks, articles >= SCALE_FROM)
    if ctx.scale:
        ctx.vocabulary = [invented_name(rng).lower() for _ in range(VOCABULARY)]
        ctx.vocabulary_weights = list(accumulate(1 / rank for rank in range(1, VOCABULARY + 1)))
    else:
        spacing = STORY_SPACING_DAYS * 86400
        for index in range(len(demo.KINDS)):
            starts = [n * spacing + rng.randrange(86400 * 5) for n in range(365 * 86400 // spacing)]
            rng.shuffle(starts)
            ctx.starts[index] = starts
        ctx.pending.extend(written_news(ctx))
    return ctx


def written_news(ctx: Context) -> list[Planned]:
    """The articles written for the related-news evaluation (tests/data/related), the
    newest a day old: real reporting, 29 stories among unrelated news."""
    articles = [a for part in WRITTEN_PARTS for a in orjson.loads((WRITTEN / part).read_text())]
    stories = orjson.loads((WRITTEN / "answers.json").read_text())["stories"]
    story_of = {a: n for n, ids in enumerate(stories.values(), 1) for a in ids}
    moments = {a["id"]: datetime.fromisoformat(a["published_at"]) for a in articles}
    shift = ctx.base - timedelta(days=1) - max(moments.values())
    categories = [name for name, _ in CATEGORIES]
    planned = []
    for n, article in enumerate(sorted(articles, key=lambda a: moments[a["id"]])):
        category = WRITTEN_CATEGORIES.get(article["category"], article["category"].title())
        tags = tuple(ctx.tag_id_of[t] for t in article["tags"] if t in ctx.tag_id_of)
        age_s = int((ctx.base - moments[article["id"]] - shift).total_seconds())
        planned.append(Planned(
            -story_of.get(article["id"], 1000 + n), article["language"],
            CATEGORY_IDS[categories.index(category)], tags, article["title"],
            article["summary"], article["body"], age_s,
        ))  # fmt: skip
        ctx.titles.add(article["title"])
    return planned


def story_members(seed: int, articles: int) -> dict[int, int]:
    """Which story each article of a seed reports on: the generation replayed, not written."""
    rng, base = Random(seed), datetime.now(UTC)
    authors = make_authors(rng, max(5, articles // 20), base)
    ctx = make_context(rng, base, articles, len(authors))
    members: dict[int, int] = {}
    for chunk in article_chunks(rng, ctx, articles):
        members.update(chunk.story_of)
    return members


async def write_articles(sink: Sink, rng: Random, ctx: Context, count: int) -> tuple[int, int]:
    """Write `count` articles with their tags and view buckets; returns the number of each."""
    links = buckets = 0
    with tqdm(total=count, unit="article", unit_scale=True) as progress:
        async for chunk in prefetched(article_chunks(rng, ctx, count)):
            for table in ("article", "article_tag", "article_view_bucket"):
                await sink.write(table, getattr(chunk, table))
            links += len(chunk.article_tag)
            buckets += len(chunk.article_view_bucket)
            progress.update(len(chunk.article))
    return links, buckets


async def seed(sink: Sink, args: argparse.Namespace) -> str | None:
    """Write every row through `sink`; returns the line to print, None if skipped (--if-empty)."""
    if args.if_empty and await sink.has_rows("article"):
        return None
    if args.reset:
        await sink.clear()
    elif filled := [table for table in TABLES if await sink.has_rows(table)]:
        raise SystemExit(f"seed.py: {', '.join(filled)} already hold rows; pass --reset to replace")
    started, rng = time.monotonic(), Random(args.seed)
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    authors = make_authors(rng, max(5, args.articles // 20), base)
    categories = [(i, slugify(name), name) for i, (name, _) in enumerate(CATEGORIES, 1)]
    tags = [(i, slugify(name), name) for i, name in enumerate(make_tag_names(), 1)]
    for table, rows in (("author", authors), ("category", categories), ("tag", tags)):
        await sink.write(table, rows)
    ctx = make_context(rng, base, args.articles, len(authors))
    links, buckets = await write_articles(sink, rng, ctx, args.articles)
    await sink.finish()
    return (
        f"seeded {args.articles:,} articles, {len(authors):,} authors, {len(categories)} "
        f"categories, {len(tags)} tags, {links:,} article tags, {buckets:,} view buckets "
        f"in {time.monotonic() - started:.1f}s"
    )


async def main(args: argparse.Namespace) -> None:
    settings = get_settings()
    if args.database_url:
        settings = settings.model_copy(
            update={"database_url": async_database_url(args.database_url)}
        )
    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            if settings.is_sqlite:
                message = await seed(SqliteSink(conn), args)
                await conn.commit()
            else:
                con = (await conn.get_raw_connection()).driver_connection
                assert con is not None  # an asyncpg.Connection
                sink = PostgresSink(con)
                async with con.transaction():
                    message = await seed(sink, args)
        if message:
            await compute_popularity(engine)
            if not args.no_related:
                await compute_related(engine)
            if not settings.is_sqlite:
                async with engine.connect() as conn:
                    # VACUUM too: it fills the visibility map that index-only scans need.
                    # The whole database: triggers filled article_search, which no model
                    # names, and the planner needs its statistics as much as any table's.
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        await engine.dispose()
    print(message or "articles already present, not seeding (--if-empty)")


async def compute_popularity(engine: AsyncEngine) -> None:
    """Work through the popularity queue now, rather than leave it to the server."""
    async with engine.connect() as conn:
        queued = (await conn.execute(text("SELECT count(*) FROM popularity_dirty"))).scalar_one()
    half_life = timedelta(hours=get_settings().trending_half_life_hours)
    with tqdm(total=queued, desc="popularity", unit="article", unit_scale=True) as progress:
        while done := await refresh_popularity(engine, datetime.now(UTC), half_life):
            progress.update(done)


async def compute_related(engine: AsyncEngine) -> None:
    """Compute every related list now (scripts/backfill_related.py), rather than leave
    the whole site to the server's worker."""
    async with engine.connect() as conn:
        published = await conn.execute(
            text("SELECT count(*) FROM article WHERE status = 'published'")
        )
        total = published.scalar_one()
    with (
        tqdm(total=total, desc="term frequencies", unit="article", unit_scale=True) as counted,
        tqdm(total=total, desc="related lists", unit="article", unit_scale=True) as related,
    ):
        await backfill(engine, counted.update, related.update, default_processes(engine))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--articles", type=int, default=500, help="number of articles (default: 500)")
    add("--seed", type=int, default=42, help="random seed; same seed, same rows (default: 42)")
    add("--database-url", help="async SQLAlchemy URL (default: DATABASE_URL or the app default)")
    add("--if-empty", action="store_true", help="do nothing if the article table has rows")
    add("--reset", action="store_true", help="delete the rows of every seeded table first")
    add(
        "--no-related",
        action="store_true",
        help="leave related lists to the server's worker "
        "or scripts/backfill_related.py (it takes about as long as seeding)",
    )
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("--articles must be at least 1")
    return args


if __name__ == "__main__":
    try:
        asyncio.run(main(parse_args()))
    except KeyboardInterrupt:
        sys.exit("seed.py: interrupted, nothing was written")
