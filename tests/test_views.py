"""Counting views: group commit, repeat visitors, and partners' batches."""

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

import models
from app.callers import Caller
from app.context import ANONYMOUS
from app.popularity import recorder as recorder_module
from app.popularity.recorder import Outcome, Recorded, View, ViewRecorder
from models.base import utcnow
from resolvers import views as views_resolvers
from resolvers.types.node import encode_id
from tests.factories import make_article, pk

RECORD = """
mutation ($id: ID!, $visitor: String) {
  recordView(articleId: $id, visitorId: $visitor) { counted article { viewCount } }
}
"""

PARTNER = Caller("key:1", frozenset({"views:write"}))

RECORD_MANY = """
mutation ($views: [ViewInput!]!) {
  recordViews(views: $views) { counted results { articleId counted } }
}
"""


async def _stored_views(session, article) -> tuple[int, int]:
    """The article's all-time count and the sum of its buckets, as committed."""
    async with session() as s:
        row = (
            await s.exec(select(models.Article).where(col(models.Article.id) == article.id))
        ).one()
        buckets = (
            await s.exec(
                select(models.ArticleViewBucket).where(
                    col(models.ArticleViewBucket.article_id) == article.id
                )
            )
        ).all()
    return row.view_count, sum(bucket.views for bucket in buckets)


async def test_record_view_same_visitor_counts_once_within_30_minutes(gql, session):
    article = await make_article(session)
    gid = encode_id("Article", article.id)
    first = await gql(RECORD, id=gid, visitor="v-1")
    again = await gql(RECORD, id=gid, visitor="v-1")
    other = await gql(RECORD, id=gid, visitor="v-2")
    anonymous = await gql(RECORD, id=gid)
    assert [r.data["recordView"] for r in (first, again, other, anonymous)] == [
        {"counted": True, "article": {"viewCount": 1}},
        {"counted": False, "article": {"viewCount": 1}},
        {"counted": True, "article": {"viewCount": 2}},
        {"counted": True, "article": {"viewCount": 3}},
    ]
    assert await _stored_views(session, article) == (3, 3)


async def test_record_view_reads_the_article_back_only_when_asked_and_later_fields_see_it(
    gql, session, statements
):
    """The article is read back with the view only for a selection that holds it
    (through fragments too); without it, a later field of the request reads it again."""
    article = await make_article(session)
    gid = encode_id("Article", article.id)
    plain = "mutation ($id: ID!) { recordView(articleId: $id) { counted } }"
    statements.clear()
    assert (await gql(plain, id=gid)).data == {"recordView": {"counted": True}}

    def read_articles() -> list[str]:
        return [sql for sql in statements.statements if "AS typename" in sql]

    assert statements.statements
    assert not read_articles()
    both = """mutation ($id: ID!) {
      first: recordView(articleId: $id) { counted }
      second: recordView(articleId: $id) { ...Shown }
    }
    fragment Shown on RecordViewPayload { ... on RecordViewPayload { article { viewCount } } }"""
    assert (await gql(both, id=gid)).data == {
        "first": {"counted": True},
        "second": {"article": {"viewCount": 3}},
    }
    assert len(read_articles()) == 1  # with the second view, in its transaction
    unknown = await gql(plain, id=encode_id("Article", pk(article) + 1000))
    assert unknown.errors is not None
    assert unknown.errors[0].extensions["code"] == "NOT_FOUND"


async def test_repeat_rule_holds_across_recorders(engine, session):
    """Two recorders stand for two workers: the database, not memory, decides repeats."""
    article = await make_article(session)
    now = utcnow()
    one, two = ViewRecorder(engine, 0.001), ViewRecorder(engine, 0)
    assert await one.record([View(pk(article), now, "v")]) == [Recorded(Outcome.COUNTED)]
    assert await two.record([View(pk(article), now + timedelta(minutes=29), "v")]) == [
        Recorded(Outcome.REPEAT)
    ]
    assert await two.record([View(pk(article), now + timedelta(minutes=31), "v")]) == [
        Recorded(Outcome.COUNTED)
    ]
    await one.aclose()
    assert await _stored_views(session, article) == (2, 2)


async def test_concurrent_views_share_one_transaction(engine, session, statements):
    articles = [await make_article(session) for _ in range(3)]
    recorder = ViewRecorder(engine, interval=0.05)
    statements.clear()
    calls = [recorder.record([View(pk(articles[n % 3]), utcnow())]) for n in range(60)]
    outcomes = await asyncio.gather(*calls)
    assert outcomes == [[Recorded(Outcome.COUNTED)]] * 60
    writes = [
        s for s in statements.statements if s.lstrip().upper().startswith(("UPDATE", "INSERT"))
    ]
    # One batch: one UPDATE of the totals (executemany) and one bucket upsert, not 60 of each.
    assert len(writes) <= 4, writes
    totals = [await _stored_views(session, article) for article in articles]
    assert totals == [(20, 20)] * 3


async def test_views_that_came_during_a_write_go_as_soon_as_it_is_done(
    engine, session, monkeypatch
):
    """Under load the next batch forms while the last one is written: its views have
    waited long enough by then, and go without waiting another interval."""
    article = await make_article(session)
    recorder = ViewRecorder(engine, interval=0.2)
    write, started, ended = recorder._write, [], []

    async def timed_write(views: list[View]) -> list[Recorded]:
        started.append(time.monotonic())
        if len(started) == 1:
            await asyncio.sleep(0.5)  # a write that takes longer than the interval
        recorded = await write(views)
        ended.append(time.monotonic())
        return recorded

    monkeypatch.setattr(recorder, "_write", timed_write)
    first = asyncio.create_task(recorder.record([View(pk(article), utcnow())]))
    await asyncio.sleep(0.3)  # the first batch is being written
    second = await recorder.record([View(pk(article), utcnow())])
    assert [await first, second] == [[Recorded(Outcome.COUNTED)]] * 2
    assert started[1] - ended[0] < 0.1  # not another 0.2 s
    assert await _stored_views(session, article) == (2, 2)


async def test_concurrent_batches_of_two_workers_count_exactly(engine, session):
    """Two recorders (two workers) commit batches at the same time: they lock rows in the
    same order, so neither deadlocks, and the repeat rule holds between them."""
    articles = [await make_article(session) for _ in range(5)]
    recorders = [ViewRecorder(engine, interval=0.001) for _ in range(2)]
    now = utcnow()

    async def visit(n: int) -> list[Recorded]:
        await asyncio.sleep(n * 0.0005)
        recorder = recorders[n % 2]
        # Visitors v0..v6 each view every article many times: each pair counts once.
        return await recorder.record([View(pk(articles[n % 5]), now, f"v{n % 7}")])

    outcomes = [outcome for (outcome,) in await asyncio.gather(*map(visit, range(400)))]
    for recorder in recorders:
        await recorder.aclose()
    assert outcomes.count(Recorded(Outcome.COUNTED)) == 35
    assert outcomes.count(Recorded(Outcome.REPEAT)) == 365
    assert [await _stored_views(session, article) for article in articles] == [(7, 7)] * 5


async def test_visitors_are_forgotten_once_no_view_could_repeat_them(engine, session):
    old, recent = await make_article(session), await make_article(session)
    now = utcnow()
    async with session() as s:  # remembered longer ago than a view may be dated, plus 30 min
        long_ago = int((now - timedelta(hours=49)).timestamp())
        s.add(models.ArticleViewVisitor(article_id=pk(old), visitor_id="v", counted_at=long_ago))
        await s.commit()
    # A recorder's first batch sweeps, then one a minute at most.
    await ViewRecorder(engine, interval=0).record(
        [View(pk(recent), now - timedelta(hours=47), "v"), View(pk(recent), now, "w")]
    )
    async with session() as s:
        remembered = (await s.exec(select(models.ArticleViewVisitor))).all()
    assert {(row.article_id, row.visitor_id) for row in remembered} == {
        (pk(recent), "v"),
        (pk(recent), "w"),
    }


async def test_record_views_counts_batch_and_reports_missing_per_item(gql, session):
    published = await make_article(session)
    draft = await make_article(session, status=models.ArticleStatus.DRAFT)
    now = utcnow()
    views = [
        {"articleId": encode_id("Article", published.id), "visitorId": "a"},
        {"articleId": encode_id("Article", draft.id)},
        {"articleId": encode_id("Article", published.id), "visitorId": "a"},
        {"articleId": encode_id("Article", 999999)},
        {
            "articleId": encode_id("Article", published.id),
            "visitorId": "a",
            "viewedAt": (now - timedelta(hours=5)).isoformat(),
        },
    ]
    result = await gql(RECORD_MANY, caller=PARTNER, views=views)
    gid = encode_id("Article", published.id)
    assert result.data == {
        "recordViews": {
            "counted": 2,
            "results": [
                {"articleId": gid, "counted": True},
                None,
                {"articleId": gid, "counted": False},
                None,
                {"articleId": gid, "counted": True},
            ],
        }
    }
    assert [(e.path, e.extensions["code"]) for e in result.errors] == [
        (["recordViews", "results", 1], "NOT_FOUND"),
        (["recordViews", "results", 3], "NOT_FOUND"),
    ]
    assert await _stored_views(session, published) == (2, 2)
    assert await _stored_views(session, draft) == (0, 0)


async def test_record_views_needs_the_views_write_scope(gql, session):
    article = await make_article(session)
    views = [{"articleId": encode_id("Article", article.id)}]
    for caller in (ANONYMOUS, Caller("key:2", frozenset({"content:read", "content:write"}))):
        result = await gql(RECORD_MANY, caller=caller, views=views)
        assert result.data is None
        (error,) = result.errors
        assert error.extensions == {"code": "FORBIDDEN", "scope": "views:write"}
    assert await _stored_views(session, article) == (0, 0)
    admin = await gql(RECORD_MANY, caller=Caller("key:3", frozenset({"admin"})), views=views)
    assert admin.data == {
        "recordViews": {
            "counted": 1,
            "results": [{"articleId": views[0]["articleId"], "counted": True}],
        }
    }


async def test_a_retried_record_views_with_a_key_counts_once(gql, session):
    article = await make_article(session)
    gid = encode_id("Article", article.id)
    query = """mutation ($views: [ViewInput!]!, $key: String) {
      recordViews(views: $views, idempotencyKey: $key) { counted results { counted } }
    }"""
    views = [{"articleId": gid, "visitorId": "a"}, {"articleId": gid, "visitorId": "a"}]
    first = await gql(query, caller=PARTNER, views=views, key="batch-7")
    again = await gql(query, caller=PARTNER, views=views, key="batch-7")
    assert (
        first.data
        == again.data
        == {"recordViews": {"counted": 1, "results": [{"counted": True}, {"counted": False}]}}
    )
    assert await _stored_views(session, article) == (1, 1)
    other = await gql(query, caller=PARTNER, views=views[:1], key="batch-7")
    assert other.errors[0].extensions == {"code": "CONFLICT", "argument": "idempotencyKey"}
    assert await _stored_views(session, article) == (1, 1)


async def test_a_retry_replays_views_that_have_since_grown_too_old(gql, session, monkeypatch):
    """A key is kept 24 hours, a view may be dated 48 hours back: a retry a day later must
    replay the first answer, not refuse the views as too old."""
    article = await make_article(session)
    views = [
        {
            "articleId": encode_id("Article", article.id),
            "viewedAt": (utcnow() - timedelta(hours=40)).isoformat(),
        }
    ]
    query = "mutation ($views: [ViewInput!]!, $key: String) { recordViews(views: $views, idempotencyKey: $key) { counted } }"  # noqa: E501
    first = await gql(query, caller=PARTNER, views=views, key="late")
    assert first.data == {"recordViews": {"counted": 1}}
    monkeypatch.setattr(views_resolvers, "MAX_VIEW_AGE", timedelta(hours=30))  # a day later
    retry = await gql(query, caller=PARTNER, views=views, key="late")
    assert retry.data == {"recordViews": {"counted": 1}}
    fresh = await gql(query, caller=PARTNER, views=views, key="other")
    assert fresh.errors[0].extensions["argument"] == "views[0].viewedAt"
    assert await _stored_views(session, article) == (1, 1)


async def test_record_views_refuses_bad_input_and_writes_nothing(gql, session):
    article = await make_article(session)
    gid = encode_id("Article", article.id)
    now = utcnow()
    cases = [
        ([{"articleId": gid}] * 1001, "views"),
        ([{"articleId": gid}, {"articleId": "nope"}], "views[1].articleId"),
        (
            [{"articleId": gid, "viewedAt": (now - timedelta(hours=49)).isoformat()}],
            "views[0].viewedAt",
        ),
        (
            [{"articleId": gid, "viewedAt": (now + timedelta(hours=1)).isoformat()}],
            "views[0].viewedAt",
        ),
        ([{"articleId": gid, "visitorId": "x" * 129}], "views[0].visitorId"),
        ([{"articleId": gid, "visitorId": "a\x00b"}], "views[0].visitorId"),
    ]
    for views, argument in cases:
        result = await gql(RECORD_MANY, caller=PARTNER, views=views)
        assert result.data is None
        (error,) = result.errors
        assert error.extensions == {"code": "BAD_USER_INPUT", "argument": argument}
    assert await _stored_views(session, article) == (0, 0)
    ok = await gql(RECORD_MANY, caller=PARTNER, views=[{"articleId": gid}])
    assert ok.data == {
        "recordViews": {"counted": 1, "results": [{"articleId": gid, "counted": True}]}
    }


async def test_hour_window_is_the_last_sixty_minutes(gql, views, session, refresh):
    article = await make_article(session)
    now = utcnow()
    minutes_ago = [0, 30, 55, 65, 120]
    await views.record([View(pk(article), now - timedelta(minutes=m)) for m in minutes_ago])
    await refresh()
    query = """query ($slug: String!) {
      article(slug: $slug) { hour: views(window: HOUR) day: views(window: DAY) viewCount }
      popularArticles(window: HOUR) { views article { slug } }
    }"""
    result = await gql(query, slug=article.slug)
    assert result.data == {
        "article": {"hour": 3, "day": 5, "viewCount": 5},
        "popularArticles": [{"views": 3, "article": {"slug": article.slug}}],
    }


# --- a request that runs out of time -------------------------------------------------------


def _slow_read_back(monkeypatch, seconds: float) -> None:
    """Make every view write take `seconds` longer, after its counts, before its commit."""
    read_back = recorder_module._read_back

    async def slow(*args: Any) -> Any:
        await asyncio.sleep(seconds)
        return await read_back(*args)

    monkeypatch.setattr(recorder_module, "_read_back", slow)


@pytest.mark.parametrize(
    ("budget", "flush_ms", "write_seconds", "answer"),
    [
        # Still waiting for its write when time runs out: withdrawn, never written.
        (0.3, 800, 0, "TIMEOUT"),
        # Its write began before time ran out and commits after: waited for, acknowledged.
        (1.0, 600, 0.8, "COUNTED"),
        # Its write outlives its own bound too: rolled back.
        (1.0, 5, 5, "TIMEOUT"),
    ],
    ids=["waiting", "writing", "write-too-slow"],
)
async def test_a_view_out_of_time_is_counted_and_acknowledged_or_neither(
    make_client, session, monkeypatch, budget, flush_ms, write_seconds, answer
):
    client = make_client(request_timeout_seconds=budget, view_flush_ms=flush_ms)
    article = await make_article(session)
    _slow_read_back(monkeypatch, write_seconds)
    started = time.monotonic()
    response = client.post(
        "/graphql", json={"query": RECORD, "variables": {"id": encode_id("Article", article.id)}}
    )
    if answer == "TIMEOUT":
        assert response.status_code == 504
        assert response.json()["errors"][0]["extensions"] == {"code": "TIMEOUT"}
    else:
        assert response.json() == {
            "data": {"recordView": {"counted": True, "article": {"viewCount": 1}}}
        }
    # A view still pending would have been written by now.
    await asyncio.sleep(max(0, started + flush_ms / 1000 + 0.3 - time.monotonic()))
    assert await _stored_views(session, article) == ((1, 1) if answer == "COUNTED" else (0, 0))
