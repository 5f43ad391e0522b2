"""Related news: text first, lists stored and kept fresh off the request path."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from app.callers import Caller
from app.related import analysis, maintain
from app.related.backfill import backfill
from app.related.documents import lists as related_lists
from models import RelatedArticle, RelatedQueue
from resolvers.types.node import decode_id, encode_id
from scripts import eval_related
from tests.factories import make_article, make_author

EDITOR = Caller("editor:e1", frozenset({"content:read", "content:write"}))
NOW = datetime.now(UTC).replace(microsecond=0)
CREATE = """mutation ($input: CreateArticleInput!) {
  createArticle(input: $input) { id slug version }
}"""
UPDATE = "mutation ($input: UpdateArticleInput!) { updateArticle(input: $input) { version } }"
ARCHIVE = "mutation ($id: ID!, $v: Int!) { archiveArticle(id: $id, version: $v) { version } }"
DELETE = "mutation ($id: ID!, $v: Int!) { deleteArticle(id: $id, version: $v) { deletedId } }"
RELATED = "query ($slug: String!) { article(slug: $slug) { related(first: 5) { slug } } }"

FLOOD = [
    (
        "Nakivubo channel overflows, flooding Bwaise in Kampala",
        "Water from the Nakivubo channel filled homes in Bwaise overnight, and the Kampala "
        "Capital City Authority sent boats to carry families out.",
    ),
    (
        "Bwaise families sleep in churches after Nakivubo flood",
        "Hundreds of Bwaise residents spent a second night in churches as the Nakivubo "
        "channel stayed high; the city authority promised to clear its blocked culverts.",
    ),
    (
        "Kampala clears Nakivubo culverts as Bwaise flood recedes",
        "City authority crews dug rubbish out of the Nakivubo channel's culverts while "
        "Bwaise residents returned to homes full of mud.",
    ),
]
# Shares every tag with the flood, reports something else.
ELECTION = ("Kampala mayor wins second term", "Voters returned the mayor with a large majority.")


@pytest.fixture
async def write(gql, session):
    """Writes articles through createArticle, on a site that already carries other news
    (the distractors of the evaluation set), so that words have their usual weights."""
    background = eval_related.EvaluationSet.read(("tune",))
    for article in background.articles:
        if article["id"] not in background.story_of:
            await make_article(
                session, title=article["title"], summary=article["summary"],
                body=article["body"], language=article["language"],
                published_at=NOW - timedelta(days=1),
            )  # fmt: skip
    author = encode_id("Author", (await make_author(session)).id)

    async def create(slug: str, title: str, body: str, **fields: Any) -> dict[str, Any]:
        fields = {
            "slug": slug, "title": title, "summary": "", "body": body, "language": "en",
            "authorId": author, "categorySlug": "africa", "tagSlugs": ["uganda", "kampala"],
            "publish": True, "publishedAt": (NOW - timedelta(hours=len(slug))).isoformat(),
            **fields,
        }  # fmt: skip
        result = await gql(CREATE, caller=EDITOR, input=fields)
        assert result.errors is None, result.errors
        article: dict[str, Any] = result.data["createArticle"]
        return article

    return create


async def _related(gql, slug: str) -> list[str]:
    result = await gql(RELATED, slug=slug)
    assert result.errors is None, result.errors
    return [article["slug"] for article in result.data["article"]["related"]]


async def _flood_and_election(write) -> dict[str, dict[str, Any]]:
    written = {}
    for n, (title, body) in enumerate(FLOOD):
        written[f"flood-{n}"] = await write(f"flood-{n}", title, body)
    written["election"] = await write("election", *ELECTION)
    return written


async def test_the_same_story_ranks_above_news_sharing_its_place_and_tags(gql, write, relate):
    await _flood_and_election(write)
    await relate(everything=True)
    for slug in ("flood-0", "flood-1", "flood-2"):
        related = await _related(gql, slug)
        assert set(related[:2]) == {"flood-0", "flood-1", "flood-2"} - {slug}, related


async def test_a_mutation_queues_its_article_and_the_lists_follow(gql, session, write, relate):
    await _flood_and_election(write)
    async with session() as s:
        queued = (await s.exec(select(func.count()).select_from(RelatedQueue))).one()[0]
    assert queued == 4  # committed with the articles; nothing computed yet
    assert await _related(gql, "flood-0") == []
    await relate(everything=True)
    assert sorted((await _related(gql, "flood-0"))[:2]) == ["flood-1", "flood-2"]
    async with session() as s:
        assert (await s.exec(select(func.count()).select_from(RelatedQueue))).one()[0] == 0


async def test_a_failure_midway_returns_the_articles_to_the_queue(
    gql, engine, write, relate, monkeypatch
):
    await _flood_and_election(write)

    async def broken(*args: Any) -> None:
        raise RuntimeError("the worker died")

    monkeypatch.setattr(maintain, "maintain", broken)
    with pytest.raises(RuntimeError):
        await maintain.refresh_related(engine)
    monkeypatch.undo()
    await relate(everything=True)
    assert sorted((await _related(gql, "flood-1"))[:2]) == ["flood-0", "flood-2"]


async def test_an_article_that_keeps_failing_waits_at_the_back_of_the_queue(
    gql, engine, session, write, monkeypatch
):
    written = await _flood_and_election(write)
    broken = decode_id(written["flood-0"]["id"], "id")[1]
    real = maintain.maintain

    async def failing(connection: Any, article_id: int) -> set[int]:
        if article_id == broken:
            raise RuntimeError("a bug")
        return await real(connection, article_id)

    monkeypatch.setattr(maintain, "maintain", failing)
    stop = asyncio.Event()
    worker = asyncio.create_task(maintain.maintain_forever(engine, every=0.01, stop=stop))
    try:
        for _ in range(500):  # until the others are done: at most five seconds
            async with session() as s:
                queued = [pk for (pk,) in await s.exec(select(col(RelatedQueue.article_id)))]
            if queued == [broken]:
                break
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await worker
    assert queued == [broken]  # kept, not lost
    assert "flood-2" in await _related(gql, "flood-1")


async def test_archived_and_deleted_articles_leave_every_list(gql, session, write, relate):
    written = await _flood_and_election(write)
    await relate(everything=True)
    archived = await gql(ARCHIVE, caller=EDITOR, id=written["flood-1"]["id"], v=1)
    assert archived.errors is None
    assert "flood-1" not in await _related(gql, "flood-0")  # hidden at once
    deleted = await gql(DELETE, caller=EDITOR, id=written["flood-2"]["id"], v=1)
    assert deleted.errors is None
    assert "flood-2" not in await _related(gql, "flood-0")
    await relate()
    async with session() as s:
        rows = (
            await s.exec(select(col(RelatedArticle.article_id), col(RelatedArticle.related_id)))
        ).all()
    gone = {decode_id(written[slug]["id"], "id")[1] for slug in ("flood-1", "flood-2")}
    assert rows
    assert not [row for row in rows if gone & set(row)]


async def test_an_edited_article_moves_to_the_story_it_now_tells(gql, write, relate):
    written = await _flood_and_election(write)
    await write(
        "election-2", "Kampala mayor sworn in", "The mayor took the oath for a second term."
    )
    await relate()
    assert "flood-2" in await _related(gql, "flood-0")
    changed = {"id": written["flood-2"]["id"], "version": 1}
    result = await gql(
        UPDATE, caller=EDITOR, input={**changed, "title": "Mayor's second term begins", "body":
        "Kampala's mayor, returned by voters with a large majority, named a new cabinet."},
    )  # fmt: skip
    assert result.errors is None, result.errors
    await relate()
    assert "flood-2" not in await _related(gql, "flood-0")
    assert "flood-2" in await _related(gql, "election")


async def test_a_new_article_joins_its_story_within_seconds_on_a_running_server(
    make_client, session, gql
):
    client = make_client(related_refresh_seconds=0.05, rate_limit_anonymous_per_minute=10**6)
    author = encode_id("Author", (await make_author(session)).id)
    for n, (title, body) in enumerate(FLOOD):
        fields = {"slug": f"flood-{n}", "title": title, "body": body, "language": "en",
                  "authorId": author, "categorySlug": "africa", "publish": True}  # fmt: skip
        assert (await gql(CREATE, caller=EDITOR, input=fields)).errors is None
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    found: list[str] = []
    while datetime.now(UTC) < deadline and len(found) < 2:
        response = client.post(
            "/graphql", json={"query": RELATED, "variables": {"slug": "flood-0"}}
        )
        found = [a["slug"] for a in response.json()["data"]["article"]["related"]]
        await asyncio.sleep(0.05)  # the server runs, and relates, in the client's thread
    assert sorted(found) == ["flood-1", "flood-2"]


def test_analysis_stems_each_language_and_drops_stop_words():
    english = analysis.term_counts("Floods flooded the city", "", "", "en-GB")
    assert english == {"flood": 6.0, "citi": 3.0}
    indonesian = analysis.term_counts("Banjir", "", "Warga kebanjiran di Jakarta", "id")
    assert indonesian == {"banjir": 4.0, "warga": 1.0, "jakarta": 1.0}


async def test_the_evaluation_set_keeps_its_precision_worker_and_backfill_alike(
    engine, reads, gql, session, relate
):
    """The figures of scripts/eval_related.py, a little under those measured (0.637
    overall, 0.697 Indonesian, 1.4% near misses; the ceiling is 0.637), from the lists
    the worker kept as articles came in, then from the backfill's: the same, scores and
    all, whether it runs in one process or is split over several (each reading the 30
    days before its first article; the set spans weeks, so every run overlaps another)."""
    evaluation = eval_related.EvaluationSet.read()
    await eval_related.load(engine, reads, evaluation, seed=1)
    kept = await eval_related.related_lists(engine, reads, evaluation)
    stored = {}
    for processes in (3, 1):
        done = await backfill(engine, lambda n: None, lambda n: None, processes)
        assert done == len(evaluation.articles)
        async with session() as s:
            rows = select(related_lists).order_by(*related_lists.primary_key)
            stored[processes] = (await s.exec(rows)).all()
    assert stored[3] == stored[1]
    computed = await eval_related.related_lists(engine, reads, evaluation)
    for lists in (kept, computed):
        scores = evaluation.judge(lists)
        assert scores["all"].hits / scores["all"].slots >= 0.62
        assert scores["id"].hits / scores["id"].slots >= 0.68
        assert scores["all"].near_misses / scores["all"].slots <= 0.03
    # Term weights drift while articles come in; the lists hardly do.
    assert sum(kept[a] == computed[a] for a in kept) >= 0.9 * len(kept)
    # The worker goes on from what the backfill stored: a late report joins its story.
    author = encode_id("Author", (await make_author(session)).id)
    fields = {
        "slug": "late", "title": "Sulawesi earthquake: Sigi villages get water again",
        "summary": "Engineers have repaired the pipes that the quake near Palu broke.",
        "body": "Villages in Sigi regency had been without piped water since the magnitude "
        "6.4 earthquake. The disaster agency BNPB said shelters south of Palu would close "
        "as families move into temporary homes.",
        "language": "en", "authorId": author, "categorySlug": "world", "publish": True,
        "publishedAt": "2026-08-16T09:00:00Z",
    }  # fmt: skip
    assert (await gql(CREATE, caller=EDITOR, input=fields)).errors is None
    await relate()
    story = {"n007", "n008", "n009", "n010", "n011"}
    assert len(story & set(await _related(gql, "late"))) >= 4
