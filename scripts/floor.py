"""The floor: a hand-written endpoint answering the benchmark's operations with the JSON
Newsgate gives, byte for byte, each with one SQL statement.

What a developer would write for these few pages alone: a bare ASGI app under uvicorn,
asyncpg and orjson, no GraphQL. scripts/bench.py measures Newsgate against it in the
same run and first checks that both answer every operation identically, so a change to
the schema or the data that this file does not follow fails the benchmark.

    DATABASE_URL=postgresql://... .venv/bin/uvicorn scripts.floor:app --port 8102
"""

import base64
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson

Connection = Any  # an asyncpg connection
Handler = Callable[[Connection, dict[str, Any]], Awaitable[dict[str, Any]]]

FRONT_PAGE = """
SELECT a.id, a.slug, a.title, a.summary, a.published_at, a.reading_time_minutes,
       au.name AS author, c.name AS category, c.slug AS category_slug,
       (SELECT coalesce(json_agg(json_build_object('name', t.name, 'slug', t.slug)
                                 ORDER BY t.name, t.id), '[]')
          FROM article_tag x JOIN tag t ON t.id = x.tag_id
         WHERE x.article_id = a.id) AS tags
  FROM article a
  JOIN author au ON au.id = a.author_id
  JOIN category c ON c.id = a.category_id
 WHERE a.status = 'published'
 ORDER BY a.published_at DESC, a.id DESC
 LIMIT 20
"""

POPULAR = """
SELECT p.views_week AS views, a.slug, a.title, au.name AS author
  FROM article_popularity p
  JOIN article a ON a.id = p.article_id
  JOIN author au ON au.id = a.author_id
 WHERE a.status = 'published' AND p.views_week > 0
 ORDER BY p.views_week DESC, p.article_id DESC
 LIMIT 10
"""

# The query read in each language an article may be in, ORed; relevance among the
# newest 300 matches, as Newsgate's search does, looked for a period at a time (the
# last day, week, month, year, then all) so that a common word costs a day of articles.
SEARCH_PERIOD = """
  (SELECT s.article_id, s.published_at, s.search_vector
     FROM article_search s JOIN article a ON a.id = s.article_id, parsed
    WHERE s.search_vector @@ parsed.query AND a.status = 'published' {range}
    ORDER BY s.published_at DESC, s.article_id DESC LIMIT 300)"""
DAYS = [1, 7, 30, 365]
SEARCH_RANGES = [
    *(
        f"AND s.published_at >= now() - interval '{days} days'"
        + (f" AND s.published_at < now() - interval '{newer} days'" if newer else "")
        for newer, days in zip([0, *DAYS], DAYS, strict=False)
    ),
    f"AND s.published_at < now() - interval '{DAYS[-1]} days'",
]
SEARCH = f"""
WITH parsed AS (
  SELECT string_agg('(' || part || ')', ' | ' ORDER BY '(' || part || ')' COLLATE "C")
           ::tsquery AS query
    FROM (SELECT DISTINCT part
            FROM unnest(ARRAY[websearch_to_tsquery('english', $1)::text,
                              websearch_to_tsquery('indonesian', $1)::text,
                              websearch_to_tsquery('simple', $1)::text]) AS part
           WHERE part <> '') AS parts
), newest AS (
  {" UNION ALL ".join(SEARCH_PERIOD.format(range=r) for r in SEARCH_RANGES)}
  LIMIT 300
)
SELECT a.slug, a.title
  FROM newest JOIN article a ON a.id = newest.article_id, parsed
 ORDER BY ts_rank(newest.search_vector, parsed.query)::float8 DESC, newest.article_id DESC
 LIMIT 20
"""


# An article page: the article with its author, category and tags, its views in the last
# 7 days (from the five-minute buckets, as Newsgate sums them), and its stored related
# list read as Newsgate reads it (the best 5 readers may see, none under half the best).
ARTICLE_PAGE = """
SELECT a.id, a.slug, a.title, a.body, a.published_at, a.reading_time_minutes,
       au.name AS author, au.bio, c.name AS category, c.slug AS category_slug,
       (SELECT coalesce(json_agg(json_build_object('name', t.name, 'slug', t.slug)
                                 ORDER BY t.name, t.id), '[]')
          FROM article_tag x JOIN tag t ON t.id = x.tag_id
         WHERE x.article_id = a.id) AS tags,
       (SELECT coalesce(sum(b.views), 0) FROM article_view_bucket b
         WHERE b.article_id = a.id AND b.starts_at >= $2) AS views,
       (SELECT coalesce(json_agg(json_build_object('slug', r.slug, 'title', r.title,
                                                   'author', json_build_object('name', ra.name))
                                 ORDER BY listed.rank), '[]')
          FROM (SELECT related_id, rank
                  FROM (SELECT l.related_id, l.score, max(l.score) OVER () AS best,
                               row_number() OVER (ORDER BY l.score DESC, l.related_id DESC)
                                 AS rank
                          FROM related_article l JOIN article y ON y.id = l.related_id
                         WHERE l.article_id = a.id AND y.status = 'published'
                           AND y.published_at <= now()) AS scored
                 WHERE rank <= 5 AND score >= 0.5 * best) AS listed
          JOIN article r ON r.id = listed.related_id
          JOIN author ra ON ra.id = r.author_id) AS related
  FROM article a
  JOIN author au ON au.id = a.author_id
  JOIN category c ON c.id = a.category_id
 WHERE a.slug = $1 AND a.status = 'published' AND a.published_at <= now()
"""

# A view, as Newsgate counts one: the article's total, its five-minute bucket, and the
# queue of articles whose popularity the rollup recomputes.
RECORD_VIEW = """
WITH counted AS (
  UPDATE article SET view_count = view_count + 1
   WHERE id = $1 AND status = 'published' AND published_at <= now() RETURNING id
), bucket AS (
  INSERT INTO article_view_bucket (article_id, starts_at, views)
  SELECT id, $2, 1 FROM counted
  ON CONFLICT (article_id, starts_at) DO UPDATE SET views = article_view_bucket.views + 1
), dirty AS (
  INSERT INTO popularity_dirty (article_id) SELECT id FROM counted ON CONFLICT DO NOTHING
)
SELECT count(*) FROM counted
"""


def global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def trivial(connection: Connection, variables: dict[str, Any]) -> dict[str, Any]:
    return {"__typename": "Query"}


async def front_page(connection: Connection, variables: dict[str, Any]) -> dict[str, Any]:
    rows = await connection.fetch(FRONT_PAGE)
    return {
        "latestNews": [
            {
                "id": global_id("Article", row["id"]),
                "slug": row["slug"],
                "title": row["title"],
                "summary": row["summary"],
                "publishedAt": moment(row["published_at"]),
                "readingTimeMinutes": row["reading_time_minutes"],
                "author": {"name": row["author"]},
                "category": {"name": row["category"], "slug": row["category_slug"]},
                "tags": orjson.loads(row["tags"]),
            }
            for row in rows
        ]
    }


async def popular(connection: Connection, variables: dict[str, Any]) -> dict[str, Any]:
    rows = await connection.fetch(POPULAR)
    return {
        "popularArticles": [
            {
                "rank": rank,
                "views": row["views"],
                "article": {
                    "slug": row["slug"],
                    "title": row["title"],
                    "author": {"name": row["author"]},
                },
            }
            for rank, row in enumerate(rows, start=1)
        ]
    }


def bucket_start(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)


async def article_page(connection: Connection, variables: dict[str, Any]) -> dict[str, Any]:
    week_start = bucket_start(datetime.now(UTC)) - timedelta(days=7) + timedelta(minutes=5)
    row = await connection.fetchrow(ARTICLE_PAGE, variables["slug"], week_start)
    if row is None:
        return {"article": None}
    return {
        "article": {
            "id": global_id("Article", row["id"]),
            "slug": row["slug"],
            "title": row["title"],
            "body": row["body"],
            "publishedAt": moment(row["published_at"]),
            "readingTimeMinutes": row["reading_time_minutes"],
            "author": {"name": row["author"], "bio": row["bio"]},
            "category": {"name": row["category"], "slug": row["category_slug"]},
            "tags": orjson.loads(row["tags"]),
            "views": row["views"],
            "related": orjson.loads(row["related"]),
        }
    }


async def record_view(connection: Connection, variables: dict[str, Any]) -> dict[str, Any]:
    pk = int(base64.b64decode(variables["id"]).decode().partition(":")[2])
    counted = await connection.fetchval(RECORD_VIEW, pk, bucket_start(datetime.now(UTC)))
    return {"recordView": {"counted": counted == 1}}


async def search(connection: Connection, variables: dict[str, Any]) -> dict[str, Any]:
    rows = await connection.fetch(SEARCH, variables["query"])
    edges = [{"node": {"slug": row["slug"], "title": row["title"]}} for row in rows]
    return {"search": {"edges": edges}}


OPERATIONS: dict[str, Handler] = {
    "Trivial": trivial,
    "FrontPage": front_page,
    "Popular": popular,
    "Search": search,
    "ArticlePage": article_page,
    "RecordView": record_view,
}


async def _keep(connection: Connection) -> None:
    """Nothing to reset between statements: no transactions, settings or locks."""


class Floor:
    def __init__(self) -> None:
        self.pool: Any = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = orjson.loads(body)
        handler = OPERATIONS[request["operationName"]]
        async with self.pool.acquire() as connection:
            data = await handler(connection, request.get("variables") or {})
        payload = orjson.dumps({"data": data})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(payload)),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
                self.pool = await asyncpg.create_pool(
                    url, min_size=1, max_size=20, reset=_keep, server_settings={"jit": "off"}
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


app = Floor()
