"""The response cache over HTTP: hits without a statement, edits evicting what they change
(and only that), HTTP caching headers, single flight, stale answers, and Redis shared by
two apps."""

import asyncio
import hashlib
import threading
import time
from contextlib import AsyncExitStack
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2
import orjson
import pytest
from redis.asyncio import Redis
from starlette.testclient import TestClient

from app.data.sql import Query, Reads, Row
from app.gateway import cache as cache_module
from app.gateway import limits
from app.gateway.cache import Outcome, ResponseCache, store
from app.gateway.cache.store import RedisStore
from app.gateway.execution import execute
from app.main import create_app
from app.settings import Settings
from models.base import utcnow
from resolvers.types.node import encode_id
from tests.conftest import TEST_REDIS_URL
from tests.factories import add_views, make_article, make_author, make_tag, pk
from tests.test_auth import SECRET, token

CACHED: dict[str, Any] = {
    "env": "production",
    "response_cache": "memory",
    "jwt_secret": SECRET,
    "rate_limit_anonymous_per_minute": 100_000,
    "rate_limit_client_per_minute": 100_000,
}
PAGE = """query Page($slug: String!) {
  article(slug: $slug) { title author { name } tags { name } related(first: 3) { slug } }
}"""
FRONT = "query Front { latestNews(first: 5) { slug title author { name } } }"
POPULAR = "query Popular { popularArticles(first: 3) { rank article { slug } } }"
UPDATE = """mutation ($id: ID!, $v: Int!, $title: String) {
  updateArticle(input: {id: $id, version: $v, title: $title}) { title }
}"""
EDITOR = {"Authorization": f"Bearer {token()}"}
PREFLIGHT = {"GraphQL-Require-Preflight": "1"}


class CountingReads:
    """The app's reads, counted: a hit must not read."""

    def __init__(self, inner: Reads) -> None:
        self.inner, self.dialect, self.count = inner, inner.dialect, 0

    async def rows(self, query: Query, /, **values: Any) -> list[Row]:
        self.count += 1
        return await self.inner.rows(query, **values)

    async def close(self) -> None:
        await self.inner.close()


def counted(client: TestClient) -> CountingReads:
    reads = CountingReads(client.app_state["reads"])
    client.app_state["reads"] = reads
    return reads


def post(client: TestClient, query: str, headers: dict[str, str] | None = None, **variables: Any):
    return client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


def get(client: TestClient, query: str, headers: dict[str, str] | None = None, **variables: Any):
    """A GET by persisted query hash, as a CDN would see it (registered by a POST first)."""
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    client.post("/graphql", json={"query": query, "extensions": extensions})
    params = {"extensions": orjson.dumps(extensions).decode()}
    if variables:
        params["variables"] = orjson.dumps(variables).decode()
    return client.get("/graphql", params=params, headers={**PREFLIGHT, **(headers or {})})


@pytest.fixture
def executions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The documents the endpoint executes, counted; each takes 50 ms longer, so that
    concurrent requests meet."""
    executed: list[int] = []

    async def slow_execute(*args: Any, **kwargs: Any) -> Any:
        executed.append(1)
        await asyncio.sleep(0.05)
        return await execute(*args, **kwargs)

    monkeypatch.setattr("app.gateway.endpoint.execute", slow_execute)
    return executed


async def test_a_repeated_question_is_answered_without_the_database(
    make_client, session, executions
):
    article = await make_article(session, slug="storm")
    client = make_client(**CACHED)
    reads = counted(client)
    first = post(client, PAGE, slug="storm")
    assert first.headers["x-cache"] == "MISS"
    assert first.json()["data"]["article"]["title"] == article.title
    before = reads.count, len(executions)
    assert before[0] > 0
    again = post(client, PAGE, slug="storm")
    assert again.headers["x-cache"] == "HIT"
    assert again.content == first.content
    assert (reads.count, len(executions)) == before  # no statement, no execution
    # Other variables, another answer.
    assert post(client, PAGE, slug="other").headers["x-cache"] == "MISS"


async def test_an_edit_evicts_what_holds_it_and_nothing_else(make_client, session):
    storm = await make_article(session, slug="storm", title="Storm nears")
    await make_article(session, slug="vote", title="Vote counted")
    client = make_client(**CACHED)
    for slug in ("storm", "vote"):
        post(client, PAGE, slug=slug)
    post(client, FRONT)
    updated = post(
        client, UPDATE, EDITOR, id=encode_id("Article", pk(storm)), v=1, title="Storm hits"
    )
    assert updated.json() == {"data": {"updateArticle": {"title": "Storm hits"}}}
    page = post(client, PAGE, slug="storm")
    assert (page.headers["x-cache"], page.json()["data"]["article"]["title"]) == (
        "MISS",
        "Storm hits",
    )
    front = post(client, FRONT)
    assert front.headers["x-cache"] == "MISS"
    assert "Storm hits" in [a["title"] for a in front.json()["data"]["latestNews"]]
    assert post(client, PAGE, slug="vote").headers["x-cache"] == "HIT"  # untouched


async def test_publishing_evicts_the_lists_it_joins(make_client, session):
    author = await make_author(session)
    await make_article(session, author=author, slug="old")
    client = make_client(**CACHED)
    by_author = """query ($slug: String!) {
      author(slug: $slug) { articles(first: 5) { totalCount edges { node { slug } } } }
    }"""
    post(client, by_author, slug=author.slug)
    assert post(client, by_author, slug=author.slug).headers["x-cache"] == "HIT"
    create = """mutation ($a: ID!) {
      createArticle(input: {title: "New", language: "en", authorId: $a, categorySlug: "news",
        slug: "new", publish: true}) { slug }
    }"""
    created = post(client, create, EDITOR, a=encode_id("Author", pk(author)))
    assert created.json() == {"data": {"createArticle": {"slug": "new"}}}
    after = post(client, by_author, slug=author.slug)
    assert after.headers["x-cache"] == "MISS"
    articles = after.json()["data"]["author"]["articles"]
    assert articles["totalCount"] == 2
    assert [edge["node"]["slug"] for edge in articles["edges"]] == ["new", "old"]


def test_a_documents_max_age_is_worked_out_once_not_per_request(make_client, monkeypatch):
    limits.analyse.cache_clear()  # documents parsed by other tests come with theirs
    worked_out = []
    max_age = cache_module.policy.max_age

    def counted(*args: Any) -> int:
        worked_out.append(args)
        return max_age(*args)

    monkeypatch.setattr(cache_module.policy, "max_age", counted)
    client = make_client(**CACHED)
    for _ in range(3):  # no hint covers it: it is run each time
        answer = post(client, "query NoHints { __typename }")
        assert answer.json() == {"data": {"__typename": "Query"}}
        assert answer.headers["x-cache"] == "MISS"
    assert len(worked_out) == 1


async def test_what_is_not_everyones_is_never_cached(make_client, session):
    await make_article(session, slug="storm")
    client = make_client(**CACHED)
    # Editors see drafts: their answers are theirs, and HTTP caches must not keep them.
    for _ in range(2):
        editor = post(client, PAGE, EDITOR, slug="storm")
        assert "x-cache" not in editor.headers
    assert get(client, PAGE, EDITOR, slug="storm").headers["cache-control"] == "no-store"
    # Answers with errors are computed each time.
    for _ in range(2):
        refused = post(client, "{ latestNews(first: 1000) { slug } }")
        assert refused.headers["x-cache"] == "MISS"
        assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # Mutations run every time.
    view = "mutation ($id: ID!) { recordView(articleId: $id) { counted } }"
    assert "x-cache" not in post(client, view, id=encode_id("Article", 1)).headers


async def test_http_caches_get_lifetimes_validators_and_tags(make_client, session):
    storm = await make_article(session, slug="storm")
    client = make_client(**CACHED)
    first = get(client, PAGE, slug="storm")
    assert first.status_code == 200
    control = first.headers["cache-control"]
    assert control.startswith("public, max-age=")
    max_age = int(control.split("max-age=")[1].split(",")[0])
    assert 0 < max_age <= 3600
    assert "stale-while-revalidate=30" in control
    assert "stale-if-error=3600" in control
    assert first.headers["vary"] == "Accept, Authorization, X-API-Key"
    keys = first.headers["surrogate-key"].split()
    assert f"article:{pk(storm)}" in keys
    assert f"author:{storm.author_id}" in keys
    assert first.headers["cache-tag"].split(",") == keys
    etag = first.headers["etag"]
    not_modified = get(client, PAGE, {"If-None-Match": f'W/{etag}, "other"'}, slug="storm")
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    changed = get(client, PAGE, {"If-None-Match": '"other"'}, slug="storm")
    assert (changed.status_code, changed.content) == (200, first.content)
    # View counts hold an answer for seconds; popularity for less.
    views = get(client, "query V { latestNews(first: 2) { viewCount } }")
    assert views.headers["cache-control"].startswith(("public, max-age=60,", "public, max-age=59,"))
    popular = get(client, POPULAR)
    assert int(popular.headers["cache-control"].split("max-age=")[1].split(",")[0]) <= 4


async def test_an_api_key_reader_is_cached_privately(make_client, session):
    from tests.factories import make_api_key

    await make_article(session, slug="storm")
    client = make_client(**CACHED)
    key = await make_api_key(session, "content:read")
    response = get(client, PAGE, {"Authorization": f"Bearer {key}"}, slug="storm")
    assert response.headers["cache-control"].startswith("private, max-age=")
    assert "surrogate-key" not in response.headers


async def test_a_scheduled_article_appears_at_its_moment(make_client, session):
    await make_article(session, slug="now")
    moment = utcnow() + timedelta(seconds=1.5)
    await make_article(session, slug="later", published_at=moment)
    client = make_client(**CACHED)
    before = get(client, FRONT)
    assert [a["slug"] for a in before.json()["data"]["latestNews"]] == ["now"]
    # Held no longer than until the moment, and never served stale past it.
    assert before.headers["cache-control"].startswith(("public, max-age=1,", "public, max-age=0,"))
    assert "stale-while-revalidate=0, stale-if-error=0" in before.headers["cache-control"]
    await asyncio.sleep(max(0.0, (moment - utcnow()).total_seconds()) + 0.1)
    after = get(client, FRONT)
    assert [a["slug"] for a in after.json()["data"]["latestNews"]] == ["later", "now"]


async def test_most_viewed_turns_over_without_an_edit(make_client, session, refresh, monkeypatch):
    article = await make_article(session, slug="storm")
    client = make_client(**CACHED)
    assert post(client, POPULAR).json()["data"]["popularArticles"] == []
    await add_views(session, article, 5)
    await refresh()
    assert post(client, POPULAR).headers["x-cache"] == "HIT"  # still the empty list
    # Four seconds on, the answer has run out: served stale once while computed again.
    later = time.time() + 4.01
    monkeypatch.setattr(store, "clock", lambda: later)
    assert post(client, POPULAR).headers["x-cache"] == "STALE"
    for _ in range(200):
        answer = post(client, POPULAR)
        if answer.headers["x-cache"] == "HIT":
            break
        await asyncio.sleep(0.01)
    assert answer.headers["x-cache"] == "HIT"
    assert answer.json()["data"]["popularArticles"][0]["article"]["slug"] == "storm"


async def test_concurrent_misses_compute_once(database_url, session, executions):
    await make_article(session, slug="storm")
    body = {"query": PAGE, "variables": {"slug": "storm"}}
    view = {
        "query": "mutation ($id: ID!) { recordView(articleId: $id) { counted } }",
        "variables": {"id": encode_id("Article", 1)},
    }
    async with AsyncExitStack() as stack:
        (http,) = await clients_of(stack, Settings(database_url=database_url, **CACHED))
        answers = await asyncio.gather(*(http.post("/graphql", json=body) for _ in range(10)))
        assert {answer.status_code for answer in answers} == {200}
        assert len({answer.content for answer in answers}) == 1
        assert len(executions) == 1
        # Identical mutations are not one: each runs.
        await asyncio.gather(*(http.post("/graphql", json=view) for _ in range(5)))
        assert len(executions) == 1 + 5


async def clients_of(
    stack: AsyncExitStack, settings: Settings, apps: int = 1
) -> list[httpx2.AsyncClient]:
    """Clients of `apps` apps, each with its lifespan, in the test's own event loop (the
    TestClient runs its app in a loop of its own, whose connections this one must not
    use)."""
    clients = []
    for _ in range(apps):
        app = create_app(settings)
        state = await stack.enter_async_context(app.router.lifespan_context(app))
        transport = httpx2.ASGITransport(app=_with_state(app, dict(state or {})))
        client = httpx2.AsyncClient(transport=transport, base_url="http://test")
        clients.append(await stack.enter_async_context(client))
    return clients


def _with_state(app: Any, state: dict[str, Any]) -> Any:
    async def with_state(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await app({**scope, "state": state.copy()}, receive, send)

    return with_state


async def test_stale_answers_are_served_while_the_database_is_down(
    make_client, session, monkeypatch
):
    await make_article(session, slug="storm")
    client = make_client(**CACHED)
    fresh = post(client, FRONT)
    assert fresh.headers["x-cache"] == "MISS"

    class Down(CountingReads):
        async def rows(self, query: Query, /, **values: Any) -> list[Row]:
            raise ConnectionRefusedError("the database is down")

    client.app_state["reads"] = Down(client.app_state["reads"])
    # An hour and a minute on: past the max age and the revalidation window.
    later = time.time() + 3600 - 10
    monkeypatch.setattr(store, "clock", lambda: later)
    stale = post(client, FRONT)
    assert stale.status_code == 200
    assert stale.headers["x-cache"] == "STALE"
    assert stale.content == fresh.content
    # Unknown to the cache: the outage shows.
    other = post(client, PAGE, slug="storm")
    assert other.status_code == 503
    assert other.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


async def test_the_cache_holds_to_its_memory_budget(make_client, session):
    await make_article(session, slug="storm")
    client = make_client(**{**CACHED, "response_cache_bytes": 4_000})
    cache = client.app_state["cache"]
    for first in range(1, 40):
        assert post(client, f"{{ latestNews(first: {first}) {{ slug title }} }}").status_code == 200
        assert cache.store.size() <= 4_000
    assert cache.store.size() > 0


async def test_two_apps_sharing_redis_see_each_others_edits(make_client, session, redis_prefix):
    storm = await make_article(session, slug="storm", title="Storm nears")
    shared = {**CACHED, "response_cache": "redis", "redis_url": TEST_REDIS_URL}
    reader = make_client(**shared, redis_prefix=redis_prefix)
    editor = make_client(**shared, redis_prefix=redis_prefix)
    first = post(reader, PAGE, slug="storm")
    assert first.headers["x-cache"] == "MISS"
    # The other app finds it: one entry for both.
    assert post(editor, PAGE, slug="storm").headers["x-cache"] == "HIT"
    for n in range(1, 4):
        title = f"Storm update {n}"
        edited = post(editor, UPDATE, EDITOR, id=encode_id("Article", pk(storm)), v=n, title=title)
        assert edited.json() == {"data": {"updateArticle": {"title": title}}}
        # Issued after the edit returned: the new title, from either app.
        for app in (reader, editor):
            assert post(app, PAGE, slug="storm").json()["data"]["article"]["title"] == title


async def test_a_tag_of_an_article_is_noted_even_when_it_was_not_found(make_client, session):
    client = make_client(**CACHED)
    missing = post(client, PAGE, slug="soon")
    assert missing.json() == {"data": {"article": None}}
    assert post(client, PAGE, slug="soon").headers["x-cache"] == "HIT"
    tag = await make_tag(session)
    create = """mutation ($a: ID!, $t: String!) {
      createArticle(input: {title: "Soon", language: "en", authorId: $a, categorySlug: "news",
        slug: "soon", tagSlugs: [$t], publish: true}) { slug }
    }"""
    author = await make_author(session)
    post(client, create, EDITOR, a=encode_id("Author", pk(author)), t=tag.slug)
    found = post(client, PAGE, slug="soon")
    assert found.json()["data"]["article"]["title"] == "Soon"


def test_settings_refuse_a_memory_cache_per_worker():
    with pytest.raises(ValueError, match="REDIS_URL"):
        Settings(response_cache="memory", workers=2)
    with pytest.raises(ValueError, match="REDIS_URL"):
        Settings(response_cache="redis")
    assert Settings(env="production").cache_mode == "memory"
    assert Settings(env="production", workers=2).cache_mode == "off"
    assert Settings(env="production", redis_url=TEST_REDIS_URL).cache_mode == "redis"
    assert Settings().cache_mode == "off"  # development


async def test_misses_across_apps_sharing_redis_compute_once(
    database_url, session, redis_prefix, executions
):
    await make_article(session, slug="storm")
    settings = Settings(
        database_url=database_url,
        **{**CACHED, "response_cache": "redis", "redis_url": TEST_REDIS_URL},
        redis_prefix=redis_prefix,
    )
    body = {"query": PAGE, "variables": {"slug": "storm"}}
    async with AsyncExitStack() as stack:
        clients = await clients_of(stack, settings, apps=2)
        answers = await asyncio.gather(
            *(clients[n % 2].post("/graphql", json=body) for n in range(8))
        )
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
    assert len(executions) == 1  # the other app waited for the first's entry


async def _no_publication() -> None:
    return None


async def test_a_miss_takes_the_entry_stored_between_its_look_and_its_claim(redis_prefix):
    """The process computing a key may store its entry and let the claim go between a
    waiting process's look (no entry yet) and its next claim: that one takes the entry
    rather than computing it a second time."""
    entry = store.Entry.of(b'{"title":"first"}', frozenset({"article:1"}), 60, 0)
    async with Redis.from_url(TEST_REDIS_URL) as redis:
        first = RedisStore(redis, redis_prefix)

        class LookingJustBeforeTheOtherStores(RedisStore):
            async def get(self, key: str) -> store.Entry | None:
                found = await super().get(key)
                if found is None:
                    await first.put(key, entry, 60, await first.generation())
                    await first.release(key)
                return found

        assert await first.claim("page", cache_module.WAIT_FOR_OTHERS_SECONDS)
        second = ResponseCache(
            LookingJustBeforeTheOtherStores(redis, redis_prefix), _no_publication, 30, 3600
        )
        runs: list[str] = []

        async def run() -> Outcome:
            runs.append("second")
            return Outcome({"title": "second"}, True, 60, frozenset({"article:1"}))

        filled = await second.fill("page", run)
    assert runs == []
    assert filled.outcome is None
    assert filled.entry is not None
    assert orjson.loads(filled.entry.body) == {"title": "first"}


async def test_a_read_after_an_edit_never_takes_an_answer_begun_before_it():
    """A miss joins the computation of its key under way, unless an edit came since it
    began: that one read the old content, so the read computes afresh."""
    cache = ResponseCache(store.MemoryStore(1 << 20), _no_publication, 30, 3600)
    await _fill_across_an_edit(cache, cache)


async def test_nor_one_begun_in_another_process(redis_prefix):
    """Across processes sharing Redis the read waits for the other's claim, which that one
    gives up once its answer is refused, rather than for the whole wait."""
    async with Redis.from_url(TEST_REDIS_URL) as redis:
        caches = [
            ResponseCache(RedisStore(redis, redis_prefix), _no_publication, 30, 3600)
            for _ in range(2)
        ]
        await _fill_across_an_edit(*caches)


async def _fill_across_an_edit(before: ResponseCache, after: ResponseCache) -> None:
    tags = frozenset({"article:1"})
    edited = asyncio.Event()

    async def old() -> Outcome:
        await edited.wait()  # read before the edit, answered after it
        return Outcome({"title": "old"}, True, 60, tags)

    async def new() -> Outcome:
        return Outcome({"title": "new"}, True, 60, tags)

    begun = asyncio.create_task(before.fill("page", old))
    await asyncio.sleep(0.05)  # its generation read and, over Redis, its claim taken
    await after.invalidate(tags)
    asyncio.get_running_loop().call_later(0.1, edited.set)
    started = time.monotonic()
    filled = await after.fill("page", new)
    assert time.monotonic() - started < cache_module.WAIT_FOR_OTHERS_SECONDS
    assert filled.outcome is not None
    assert filled.outcome.body == {"title": "new"}
    first = await begun
    assert first.outcome is not None
    assert first.outcome.body == {"title": "old"}  # for its own reader, sent before
    assert first.entry is None  # and not kept
    kept = await after.get("page")
    assert kept is not None
    assert orjson.loads(kept.body) == {"title": "new"}


def test_every_type_a_query_can_reach_has_a_cache_hint():
    """An object type without a hint makes every answer holding it uncacheable: each one
    is a decision, not an omission."""
    from graphql import GraphQLObjectType, get_named_type

    from app.gateway.cache.policy import hint_of
    from resolvers.schema import schema

    seen: set[str] = set()
    missing: list[str] = []
    pending = [schema._schema.query_type]
    while pending:
        type_ = pending.pop()
        if type_ is None or type_.name in seen:
            continue
        seen.add(type_.name)
        if type_.name != "Query" and hint_of(type_) is None:
            missing.append(type_.name)
        for field in type_.fields.values():
            named = get_named_type(field.type)
            if isinstance(named, GraphQLObjectType):
                pending.append(named)
            for possible in getattr(named, "types", ()) or ():
                pending.append(possible)
    assert missing == []
    assert {"Article", "Author", "PopularArticle", "SearchConnection"} <= seen


async def test_an_edit_sends_its_tags_to_the_purge_webhook(make_client, session):
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(orjson.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        storm = await make_article(session, slug="storm", title="Storm nears")
        url = f"http://127.0.0.1:{hook.server_address[1]}/purge"
        # The related worker waits out the test: the lists it changes are purged too.
        client = make_client(**CACHED, purge_webhook_url=url, related_refresh_seconds=60)
        article_id = encode_id("Article", pk(storm))
        post(client, UPDATE, EDITOR, id=article_id, v=1, title="Storm hits")
        for _ in range(200):  # sent in the background, after the edit answered
            if received:
                break
            await asyncio.sleep(0.01)
    finally:
        hook.shutdown()
        hook.server_close()
    (sent,) = received
    assert {f"article:{pk(storm)}", "article-slug:storm", "articles"} <= set(sent["keys"])
    assert f"author-articles:{storm.author_id}" in sent["keys"]
