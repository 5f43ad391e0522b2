"""The planned execution (app/gateway/compiled.py) answers as graphql-core does, byte for
byte, errors and nulls included: on the site's documents and on queries generated from
the schema. NEWSGATE_FUZZ_EXAMPLES sets how many are generated (default 40 per database)."""

import os
from datetime import UTC
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes, queries

from app.callers import Caller
from app.context import Context
from app.data.sql import Reads
from app.db import make_sessionmaker
from app.gateway.execution import run
from app.gateway.limits import analyse
from app.popularity.recorder import ViewRecorder
from models.base import utcnow
from resolvers.schema import schema
from resolvers.types.node import encode_id
from scripts.bench import FRONT_PAGE, POPULAR, SEARCH
from tests.factories import add_views, make_article, make_author, make_category, make_tag

EXAMPLES = int(os.environ.get("NEWSGATE_FUZZ_EXAMPLES", "40"))
PARTNER = Caller("key:1", frozenset({"views:write"}))

DOCUMENTS: list[tuple[str, dict[str, Any]]] = [
    (FRONT_PAGE, {}),
    (POPULAR, {}),
    (SEARCH, {"query": "flood"}),
    ("query Trivial { __typename }", {}),
    (
        """query ($slug: String!) {
          article(slug: $slug) {
            id title body publishedAt updatedAt readingTimeMinutes language status version
            author {
              name bio avatarUrl
              articles(first: 2) { totalCount edges { cursor node { slug } } }
            }
            category { name slug } tags { name slug articleCount }
            viewCount lastDay: views(window: DAY) lastWeek: views(window: WEEK)
            related(first: 3) { title slug author { name } }
          }
          latestNews(first: 3) { title }
        }""",
        {"slug": "flood-1"},
    ),
    (
        """{ articles(first: 2, filter: {language: "en"}, orderBy: VIEWS_DESC) {
          totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node { __typename slug } } } }""",
        {},
    ),
    ("{ a: latestNews(first: 2) { title } b: latestNews(first: 1) { slug title } }", {}),
    (
        """query ($with: Boolean!) {
          latestNews(first: 2) { ...card author @include(if: $with) { name } }
        } fragment card on Article { slug ... on Article { title } }""",
        {"with": False},
    ),
    ("{ categories { name articles(first: 1) { edges { node { slug } } } } }", {}),
    ("{ tags(first: 3, orderBy: ARTICLE_COUNT) { name articleCount } }", {}),
    ("{ authors(first: 2) { totalCount edges { cursor node { name } } } }", {}),
    ("{ trendingArticles(first: 2) { rank score article { slug } } }", {}),
    # Errors: a bad argument nulls the whole response through non-null parents ...
    ("{ latestNews(first: 3) { title related(first: 0) { slug } } }", {}),
    ("{ latestNews(first: 0) { title } categories { name } }", {}),
    # ... or only a nullable one.
    ('{ article(slug: "flood-1") { title related(first: 500) { slug } } tags { name } }', {}),
    ('{ a: article(slug: "nope") { title } b: article(id: "bm90IG9ucw==") { title } }', {}),
    ("{ node(id: $id) { id __typename ... on Author { name } ... on Article { title } } }", {}),
    ("query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Tag { name } } }", {}),
    ('{ search(query: "   ") { edges { node { slug } } } }', {}),
    ('{ articles(first: 2, after: "nonsense") { edges { node { slug } } } }', {}),
]


@pytest.fixture
async def newsroom(session) -> dict[str, Any]:
    """A few articles of two stories, with authors, categories, tags and views."""
    writers = [await make_author(session, bio=f"Writes {n}.") for n in range(2)]
    sections = [await make_category(session) for _ in range(2)]
    tags = [await make_tag(session) for _ in range(3)]
    made = []
    for n in range(6):
        article = await make_article(
            session,
            slug=f"{'flood' if n % 2 else 'budget'}-{n}",
            title=f"{'Flood waters rise' if n % 2 else 'Budget passes'} in town {n}",
            author=writers[n % 2],
            category=sections[n % 2],
            tags=tags[: 1 + n % 3],
        )
        await add_views(session, article, views=n + 1, hours_ago=n)
        made.append(article)
    return {"article": made[1], "author": writers[0], "tag": tags[0]}


def _rendered(result: Any) -> bytes:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        errors = []
        for error in result.errors:
            formatted = dict(error.formatted)
            extensions = dict(formatted.get("extensions") or {})
            extensions.pop("errorId", None)  # new for each masked error
            formatted["extensions"] = extensions
            errors.append(formatted)
        body["errors"] = errors
    return orjson.dumps(body)


async def _both(engine, reads: Reads, views: ViewRecorder, query: str, variables: dict[str, Any]):
    """The planned answer and graphql-core's, rendered as the endpoint renders them."""
    answers = []
    now = utcnow()  # the same moment for both: trending scores and windows depend on it
    for planned in (True, False):
        context = Context(sessionmaker=make_sessionmaker(engine), reads=reads, views=views, now=now)
        answers.append(_rendered(await run(query, context, variables, planned=planned)))
    document = analyse(schema._schema, query, None, context.settings.max_tokens)
    if not document.errors:  # it ran: by its plan, not graphql-core's executor again
        assert [plan for plan in document.plans.values() if plan is not None]
    return answers


@pytest.mark.parametrize(("query", "variables"), DOCUMENTS)
async def test_site_documents_answer_as_graphql_core_does(
    engine, reads, views, refresh, newsroom, query, variables
):
    await refresh()
    variables = {
        **variables,
        "id": encode_id("Author", newsroom["author"].id),
        "ids": [
            encode_id("Article", newsroom["article"].id),
            encode_id("Tag", newsroom["tag"].id),
            encode_id("Author", 10**6),
        ],
    }
    used = {name: value for name, value in variables.items() if f"${name}" in query}
    planned, core = await _both(engine, reads, views, query, used)
    assert planned == core


# Mutations of one root field run by their plan too; these change nothing (refused), so
# graphql-core's run after the plan's sees the same database.
REFUSED_MUTATIONS: list[tuple[str, dict[str, Any]]] = [
    ("mutation ($id: ID!) { recordView(articleId: $id) { counted article { title } } }", {}),
    ('mutation { recordViews(views: [{articleId: "QXJ0aWNsZTox"}]) { counted } }', {}),
    (
        """mutation ($id: ID!) {
          updateArticle(input: {id: $id, version: 1, title: "New"}) { title }
        }""",
        {},
    ),
    ('mutation { createAuthor(input: {name: "Ana"}) { id name } }', {}),
]


@pytest.mark.parametrize(("query", "variables"), REFUSED_MUTATIONS)
async def test_refused_mutations_answer_as_graphql_core_does(
    engine, reads, views, newsroom, query, variables
):
    used = {"id": encode_id("Article", 10**6)} if "$id" in query else {}
    planned, core = await _both(engine, reads, views, query, {**variables, **used})
    assert planned == core
    assert b'"errors"' in planned


async def test_counted_views_answer_as_graphql_core_does(engine, reads, views, session):
    """The same views of twin articles, by the plan and by graphql-core: the same answer,
    errors at their index included, but for the article's ID."""
    twins = [await make_article(session, slug=f"twin-{n}", title="Twin") for n in range(2)]
    document = """mutation ($id: ID!) {
      recordView(articleId: $id) { counted article { title viewCount } }
    }"""
    many = """mutation ($views: [ViewInput!]!) {
      recordViews(views: $views) { counted results { articleId counted } }
    }"""
    answers = []
    for planned, twin in ((True, twins[0]), (False, twins[1])):
        gid = encode_id("Article", twin.id)
        missing = encode_id("Article", 10**6)
        rendered = []
        for query, variables in (
            (document, {"id": gid}),
            (many, {"views": [{"articleId": gid}, {"articleId": missing}]}),
        ):
            context = Context(
                sessionmaker=make_sessionmaker(engine), reads=reads, views=views, caller=PARTNER
            )
            result = await run(query, context, variables, planned=planned)
            rendered.append(_rendered(result).replace(f'"{gid}"'.encode(), b'"<id>"'))
        answers.append(rendered)
    assert answers[0] == answers[1]
    for query in (document, many):  # the first answer came by its plan
        plans = analyse(schema._schema, query, None, context.settings.max_tokens).plans.values()
        assert [plan for plan in plans if plan is not None]
    assert b'"viewCount":1' in answers[0][0]
    assert b'"NOT_FOUND"' in answers[0][1]
    two_fields = """mutation {
      a: createAuthor(input: {name: "A"}) { id } b: createAuthor(input: {name: "B"}) { id }
    }"""
    context = Context(sessionmaker=make_sessionmaker(engine), reads=reads, views=views)
    await run(two_fields, context, {})  # refused; run by graphql-core, one field after the other
    analysed = analyse(schema._schema, two_fields, None, context.settings.max_tokens)
    assert list(analysed.plans.values()) == [None]


DATETIMES = st.datetimes(timezones=st.just(UTC)).map(
    lambda moment: nodes.String(moment.isoformat())
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=queries(schema.as_str(), custom_scalars={"DateTime": DATETIMES}))
async def test_generated_queries_answer_as_graphql_core_does(engine, reads, views, newsroom, query):
    planned, core = await _both(engine, reads, views, query, {})
    assert planned == core


async def test_article_rows_leave_out_bodies_no_field_shows(gql, statements, newsroom):
    statements.clear()
    result = await gql("{ latestNews(first: 2) { title related(first: 1) { title } } }")
    assert result.errors is None
    assert statements.statements
    assert not [s for s in statements.statements if "article.body" in s]
    statements.clear()
    result = await gql("{ latestNews(first: 2) { title } a: latestNews(first: 1) { body } }")
    assert result.data["a"][0]["body"] == "Some words about the story."
    assert [s for s in statements.statements if "article.body" in s]


async def test_related_rows_carry_what_the_list_shows_not_what_the_page_does(
    engine, reads, views, gql, statements, session, relate
):
    tag = await make_tag(session, name="Weather")
    for slug in ("storm", "flood"):
        await make_article(session, slug=slug, title=slug.title(), tags=[tag])
    await relate(everything=True)
    query = """{ article(slug: "storm") {
      body tags { name } category { name }
      related(first: 5) { title author { name } }
    } }"""
    planned, core = await _both(engine, reads, views, query, {})
    assert planned == core
    assert orjson.loads(planned)["data"]["article"]["related"][0]["title"] == "Flood"
    statements.clear()
    assert (await gql(query)).errors is None
    listed = [s for s in statements.statements if "related_article" in s]
    page = [s for s in statements.statements if "related_article" not in s]
    assert len(listed) == 1, statements.statements
    assert len(page) == 1, statements.statements
    assert all(shown in page[0] for shown in ("article.body", "tags__json", "category__name"))
    assert "author__name" in listed[0]  # joined in: no statement of the authors' own
    assert not [left for left in ("body", "tags__json", "category__") if left in listed[0]]


async def test_search_highlights_only_when_snippets_are_asked_for(gql, statements, newsroom):
    highlighting = ("ts_headline", "snippet(article_fts")
    for asks, selection in ((False, "node { slug }"), (True, "snippet node { slug }")):
        statements.clear()
        result = await gql(f'{{ search(query: "flood") {{ edges {{ {selection} }} }} }}')
        assert result.data["search"]["edges"]
        highlighted = [s for s in statements.statements if any(h in s for h in highlighting)]
        assert bool(highlighted) is asks
    assert result.data["search"]["edges"][0]["snippet"]  # a passage (engines choose which)


async def test_tags_come_with_their_articles_in_the_order_their_own_statement_gives(
    engine, reads, views, gql, statements, session
):
    # Made out of name order, one with a name no ASCII sort places: the order is the
    # database's own ORDER BY tag.name, as the tags' own statement gives it.
    tags = [await make_tag(session, name=name) for name in ("Zebra", "Élection", "alpha", "Bus")]
    await make_article(session, slug="tagged", tags=tags)
    await make_article(session, slug="untagged")
    query = """{
      article(slug: "tagged") { tags { id name slug } }
      latestNews(first: 5) { slug tags { name } }
    }"""
    planned, core = await _both(engine, reads, views, query, {})
    assert planned == core
    data = orjson.loads(planned)["data"]
    assert len(data["article"]["tags"]) == 4
    assert {"slug": "untagged", "tags": []} in data["latestNews"]
    statements.clear()
    assert (await gql(query)).errors is None  # by the plan: the tags in the articles' rows
    assert len(statements.statements) == 2, statements.statements
    assert all("tags__json" in s for s in statements.statements), statements.statements
