"""Fill the Newsgate database with deterministic demo data.

Run from the repo root after `alembic upgrade head`:

    .venv/bin/python scripts/seed.py                      # 2,000 articles, refuses if data exists
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
from bisect import bisect_left
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate, pairwise
from pathlib import Path
from random import Random
from typing import Any, Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, exists, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel
from tqdm import tqdm

import models
from app.db import make_engine
from app.popularity.rollup import refresh_popularity
from app.settings import async_database_url, get_settings

Row = tuple[Any, ...]
CHUNK = 10_000
BUCKET_WINDOW_HOURS = 90 * 24
TABLES = (
    "author", "category", "tag", "article", "article_tag", "article_view_bucket",
    "article_view_visitor", "article_popularity", "popularity_dirty",
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


def words(text: str) -> list[str]:
    """The words of a text block (keeps long word lists readable as prose)."""
    return text.split()


WORDS = {
    "en": words("""
the of and to in for on with after over as by from new government minister election
policy economy market growth inflation budget report analysts investors company startup
technology data research scientists study health hospital patients vaccine climate energy
solar emissions flood drought city residents council police court judge law reform school
students teachers university football match season team coach players fans festival film
music artist museum travel tourism airline airport transport road rail housing prices rent
workers union strike wages jobs trade exports banks rates currency digital platform users
privacy security network software chip satellite space mission ocean forest wildlife farmers
harvest rice food water supply local national global regional major public private annual
rising record strong weak urgent historic says warns plans announces expects rejects approves
launches delays reveals faces wins signs boosts cuts raises debate talks deal crisis plan
project strategy future week year today officials leaders voters community families"""),
    "id": words("""
dan yang di dengan untuk dari pada akan telah baru pemerintah menteri pemilu
kebijakan ekonomi pasar pertumbuhan inflasi anggaran laporan analis investor perusahaan
teknologi data penelitian ilmuwan kesehatan rumah sakit pasien vaksin iklim energi surya
banjir kemarau kota warga dewan polisi pengadilan hakim hukum reformasi sekolah siswa guru
universitas sepak bola pertandingan musim tim pelatih pemain penggemar festival film musik
seniman museum wisata maskapai bandara transportasi jalan kereta perumahan harga sewa pekerja
buruh mogok upah perdagangan ekspor bunga digital pengguna privasi keamanan jaringan satelit
laut hutan petani panen beras pangan air pasokan nasional daerah besar publik swasta tahunan
naik turun rekor kuat penting mendesak bersejarah mengatakan memperingatkan mengumumkan
menolak menyetujui meluncurkan menunda mengungkap menghadapi memenangkan meningkatkan
memangkas perundingan kesepakatan krisis tantangan rencana proyek strategi masa depan minggu
tahun bulan hari ini pejabat pemimpin pemilih masyarakat keluarga anak"""),
}
# Headlines are one pick from each part, in order: who, does what, to what, where or why.
HEADLINES = {
    "en": (
        ["Government", "Parliament", "Central bank", "City council", "Health ministry",
         "Research team", "Science academy", "Farmers' group", "Teachers' union", "Tech giant",
         "Start-up", "National team", "Airline", "Police chief", "Supreme Court",
         "Residents' group", "Investor group", "Energy regulator", "University", "Film festival"],
        [" approves", " rejects", " unveils", " delays", " warns over", " backs", " scraps",
         " launches", " questions", " expands", " cuts funding for", " investigates",
         " signs deal on", " plans", " celebrates"],
        [" new housing plan", " fuel subsidy reform", " rail expansion", " flood defences",
         " minimum wage rise", " vaccine programme", " solar power push", " data privacy rules",
         " school meals scheme", " rice import quota", " stadium project", " AI research lab",
         " coastal clean-up", " tax overhaul", " cross-border trade pact", " drought relief fund",
         " airport upgrade", " museum reopening", " cybersecurity law", " electric bus fleet"],
        ["", " in Jakarta", " in Surabaya", " after long talks", " amid protests",
         " as prices rise", " ahead of elections", " despite criticism", " for next year",
         " in landmark vote"],
    ),
    "id": (
        ["Pemerintah", "DPR", "Bank Indonesia", "Pemkot", "Kemenkes", "Peneliti", "Ilmuwan",
         "Petani lokal", "Serikat guru", "Perusahaan teknologi", "Perusahaan rintisan", "Timnas",
         "Maskapai", "Polisi", "Mahkamah Agung", "Warga", "Investor", "Regulator energi",
         "Universitas", "Festival film"],
        [" menyetujui", " menolak", " meluncurkan", " menunda", " memperingatkan soal",
         " mendukung", " membatalkan", " memperluas", " memangkas dana", " menyelidiki",
         " meneken kesepakatan", " merencanakan"],
        [" rencana perumahan baru", " reformasi subsidi BBM", " perluasan jalur kereta",
         " tanggul banjir", " kenaikan upah minimum", " program vaksinasi",
         " pembangkit tenaga surya", " aturan privasi data", " program makan sekolah",
         " kuota impor beras", " proyek stadion", " laboratorium AI", " pembersihan pantai",
         " reformasi pajak", " pakta dagang", " dana bantuan kemarau", " renovasi bandara",
         " pembukaan museum", " UU keamanan siber", " armada bus listrik"],
        ["", " di Jakarta", " di Surabaya", " setelah perundingan panjang", " di tengah protes",
         " saat harga naik", " jelang pemilu", " meski dikritik", " untuk tahun depan"],
    ),
}  # fmt: skip
FIRST_NAMES = words("""
James Mary Robert Linda Michael Sarah David Emma Daniel Olivia Thomas Grace Budi
Siti Agus Dewi Rina Andi Putri Joko Wulan Hendra Maya Yusuf Ayu Rizky Nadia Fajar Intan Bayu
Kevin Laura Samuel Chloe Omar Aisha Lucas Sofia Ethan Hana""")
LAST_NAMES = words("""
Smith Johnson Brown Taylor Anderson Moore Martin Clark Lewis Walker Hall Young King
Wright Scott Green Baker Adams Nelson Santoso Wijaya Pratama Saputra Hidayat Kusuma Nugroho
Lestari Setiawan Siregar Hakim Rahman Putra Gunawan Halim Tanaka Garcia Silva Novak Okafor""")
CITIES = ["Jakarta", "Surabaya", "Bandung", "London", "New York", "Singapore", "Nairobi", "Tokyo"]
CATEGORIES = [
    ("Politics", 9), ("Business", 8), ("Technology", 8), ("Science", 5), ("Health", 6),
    ("Sports", 9), ("Culture", 4), ("World", 8), ("Opinion", 5), ("Environment", 4),
    ("Education", 3), ("Travel", 3), ("Food", 3), ("Entertainment", 6), ("Economy", 6),
    ("Law & Justice", 3), ("Media", 2), ("Lifestyle", 4), ("Weather", 2), ("Local", 5),
]  # fmt: skip
CATEGORY_IDS = list(range(1, len(CATEGORIES) + 1))
CATEGORY_CUM_WEIGHTS = list(accumulate(weight for _, weight in CATEGORIES))
TOPICS = words("""
elections climate ai economy inflation football health education energy housing
transport startups space vaccines trade tourism music film art books privacy cybersecurity
crypto banking jobs agriculture water oceans wildlife pollution renewables oil mining migration
human-rights courts corruption police defense diplomacy asean china europe united-states
indonesia jakarta bali badminton olympics smartphones social-media streaming fashion religion
poverty tax infrastructure earthquakes floods wildfires elections-2029""")
TOPIC_MODIFIERS = words("""
policy research funding markets reform crisis investment regulation
protests outlook data""")


@dataclass
class Prose:
    """Ready-made sentences of one language; articles are cut from runs of them (it is fast)."""

    vocab: list[str]
    sentences: list[str]
    words_before: list[int]  # words_before[i]: the words in sentences[:i]

    @classmethod
    def generate(cls, rng: Random, vocab: list[str], count: int) -> Prose:
        lengths = [rng.randint(6, 16) for _ in range(count)]
        sentences = [" ".join(rng.choices(vocab, k=n)).capitalize() + "." for n in lengths]
        return cls(vocab, sentences, [0, *accumulate(lengths)])

    def run(self, rng: Random, words: int) -> str:
        """Whole sentences starting at a random one, at least `words` (<= 150) words long."""
        start = int(rng.random() * (len(self.sentences) - 30))
        end = bisect_left(self.words_before, self.words_before[start] + words, lo=start)
        return " ".join(self.sentences[start:end])


@dataclass
class Context:
    """Everything article generation needs besides the random generator."""

    base: datetime  # the start of the current UTC hour
    authors: int
    tag_ids: list[int]
    tag_cum_weights: list[float]
    ranks: array[int]  # a random permutation of 1..N: the popularity rank of each article
    prose: dict[str, Prose]
    stories: list[Story]
    hours: list[datetime] = field(init=False)

    def __post_init__(self) -> None:
        self.hours = [self.base - timedelta(hours=h) for h in range(BUCKET_WINDOW_HOURS)]


@dataclass
class Chunk:
    article: list[Row] = field(default_factory=list)
    article_tag: list[Row] = field(default_factory=list)
    article_view_bucket: list[Row] = field(default_factory=list)
    story_of: dict[int, int] = field(default_factory=dict)  # article id -> story index


@dataclass(frozen=True)
class Story:
    """One event several articles report on: they share its headline, two of its less
    common tags and its days, in differing categories. scripts/eval_related.py checks that
    `related` finds an article's fellow reports."""

    lang: str
    headline: str
    tag_ids: tuple[int, int]
    age_s: int


STORY_SHARE = 0.3  # of articles report on a story
STORY_SIZE = 6  # articles per story, on average
STORY_FOLLOW_UPS = {
    "en": ["", ": what we know", ": live updates", ", officials say", ": the reaction"],
    "id": ["", ": yang kita ketahui", ": kabar terkini", ", kata pejabat", ": tanggapan warga"],
}


def make_stories(rng: Random, articles: int, tags: int) -> list[Story]:
    stories = []
    for _ in range(max(1, int(articles * STORY_SHARE / STORY_SIZE))):
        lang = "en" if rng.random() < 0.7 else "id"
        headline = "".join(rng.choice(part) for part in HEADLINES[lang][:3])
        # Tags outside the hundred most used: common tags say little about an event.
        tag_ids = tuple(rng.sample(range(min(100, tags // 2) + 1, tags + 1), 2))
        stories.append(Story(lang, headline, tag_ids, rng.randrange(365 * 86400)))  # type: ignore[arg-type]
    return stories


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
    names = [t.replace("-", " ") for t in dict.fromkeys(TOPICS)]
    combos = (f"{t} {m}" for m in TOPIC_MODIFIERS for t in names if t != m)
    return list(dict.fromkeys([*names, *combos]))[:300]


def make_text(rng: Random, lang: str, prose: Prose) -> tuple[str, str, str]:
    """A headline, a one- or two-sentence summary and a Markdown body of 80-300 words."""
    title = "".join(rng.choice(part) for part in HEADLINES[lang])
    summary = " ".join(prose.run(rng, 1) for _ in range(rng.randint(1, 2)))
    paragraphs = rng.randint(2, 5)
    # Round up to reach 80 words; each run overshoots by at most 15, so stay at or under 300.
    per_paragraph = -(-rng.randint(80, 300 - 16 * paragraphs) // paragraphs)
    body = "\n\n".join(prose.run(rng, per_paragraph) for _ in range(paragraphs))
    return title, summary, body


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
    story_index = rng.randrange(len(ctx.stories)) if rng.random() < STORY_SHARE else None
    story = None if story_index is None else ctx.stories[story_index]
    lang = story.lang if story else "en" if rng.random() < 0.7 else "id"
    title, summary, body = make_text(rng, lang, ctx.prose[lang])
    if story_index is not None and story:
        chunk.story_of[article_id] = story_index
        title = story.headline + rng.choice(STORY_FOLLOW_UPS[lang])
    slug = f"{slugify(title)[:180].rstrip('-')}-{article_id}"
    roll = rng.random()
    status = "published" if roll < 0.90 else "draft" if roll < 0.96 else "archived"
    if status == "draft":
        published_at, views, age_s = None, 0, 0
        updated_at = ctx.base - timedelta(seconds=rng.randrange(2 * 86400))
    else:
        age_s = rng.randrange(365 * 86400)
        if story:  # reports on a story come out within a few days of each other
            age_s = max(0, story.age_s + rng.randrange(-2 * 86400, 2 * 86400))
        published_at = ctx.base - timedelta(seconds=age_s)
        updated_at = min(published_at + timedelta(seconds=rng.randrange(3 * 86400)), ctx.base)
        views = int(200_000 / ctx.ranks[article_id - 1] ** 1.1) + rng.randrange(25)
    author_id = rng.randrange(ctx.authors) + 1
    category_id = rng.choices(CATEGORY_IDS, cum_weights=CATEGORY_CUM_WEIGHTS)[0]
    chunk.article.append((
        article_id, slug, title, summary, body, lang, status, published_at, updated_at,
        models.reading_time_minutes(body), author_id, category_id, views,
    ))  # fmt: skip
    tag_ids = set(make_tags(rng, ctx))
    if story:
        others = sorted(tag_ids - set(story.tag_ids))  # at least one: make_tags gives 3+
        tag_ids = set(story.tag_ids) | set(others[: rng.randint(1, 3)])
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
        # CASCADE: also the tables the database keeps beside them (article_search)
        await self.con.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")

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
        for table in reversed(TABLES):
            await self.conn.execute(delete(SQLModel.metadata.tables[table]))

    async def finish(self) -> None:
        await self.conn.execute(text(QUEUE_POPULARITY))

    async def write(self, table: str, rows: list[Row]) -> None:
        columns = COLUMNS[table]
        params = [dict(zip(columns, row, strict=True)) for row in rows]
        await self.conn.execute(insert(SQLModel.metadata.tables[table]), params)


def make_context(rng: Random, base: datetime, articles: int, authors: int, tags: int) -> Context:
    ranks = array("l", range(1, articles + 1))
    rng.shuffle(ranks)
    tag_ids = list(range(1, tags + 1))
    tag_cum_weights = list(accumulate(1 / rank for rank in tag_ids))
    pool = min(200_000, max(2_000, articles * 2))  # sentences per language
    prose = {lang: Prose.generate(rng, vocab, pool) for lang, vocab in WORDS.items()}
    stories = make_stories(rng, articles, tags)
    return Context(base, authors, tag_ids, tag_cum_weights, ranks, prose, stories)


def story_members(seed: int, articles: int) -> dict[int, int]:
    """Which story each article of a seed reports on: the generation replayed, not written."""
    rng, base = Random(seed), datetime.now(UTC)
    authors = make_authors(rng, max(5, articles // 20), base)
    ctx = make_context(rng, base, articles, len(authors), len(make_tag_names()))
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
    ctx = make_context(rng, base, args.articles, len(authors), len(tags))
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


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--articles", type=int, default=2000, help="number of articles (default: 2000)")
    add("--seed", type=int, default=42, help="random seed; same seed, same rows (default: 42)")
    add("--database-url", help="async SQLAlchemy URL (default: DATABASE_URL or the app default)")
    add("--if-empty", action="store_true", help="do nothing if the article table has rows")
    add("--reset", action="store_true", help="delete the rows of every seeded table first")
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("--articles must be at least 1")
    return args


if __name__ == "__main__":
    try:
        asyncio.run(main(parse_args()))
    except KeyboardInterrupt:
        sys.exit("seed.py: interrupted, nothing was written")
