"""Full-text search: the same behaviour on PostgreSQL text search and SQLite FTS5."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, delete, update

from app.data import search
from app.data.search import fts5_query
from app.errors import BadUserInput
from models import Article, ArticleStatus
from tests.conftest import keep_recent_articles
from tests.factories import make_article, make_author, make_category, make_tag, pk

NOW = datetime.now(UTC).replace(microsecond=0)

SEARCH = """
query ($q: String!, $first: Int, $after: String, $filter: ArticleFilter,
       $orderBy: SearchOrder) {
  search(query: $q, first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    edges { cursor score snippet node { slug } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""


async def _search(gql, query, **variables):
    result = await gql(SEARCH, q=query, **variables)
    assert result.errors is None, result.errors
    return result.data["search"]


async def _slugs(gql, query, **variables):
    return [edge["node"]["slug"] for edge in (await _search(gql, query, **variables))["edges"]]


async def test_finds_words_in_title_summary_and_body_ranking_the_title_first(gql, session):
    await make_article(session, slug="in-body", title="Weather", body="The harbour flooded.")
    await make_article(session, slug="in-title", title="Harbour flooded after storm")
    await make_article(session, slug="in-summary", summary="A harbour is closed.")
    await make_article(session, slug="elsewhere", title="Markets rally")
    found = await _search(gql, "harbour")
    slugs = [edge["node"]["slug"] for edge in found["edges"]]
    assert slugs[0] == "in-title"
    assert sorted(slugs) == ["in-body", "in-summary", "in-title"]
    scores = [edge["score"] for edge in found["edges"]]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > scores[-1] > 0


async def test_words_are_stemmed_and_all_must_match(gql, session):
    await make_article(session, slug="both", title="Councils vote on flooding budget")
    await make_article(session, slug="one", title="Council elections")
    assert await _slugs(gql, "council flood") == ["both"]
    assert sorted(await _slugs(gql, "council")) == ["both", "one"]


async def test_web_search_syntax_phrases_or_and_exclusion(gql, session):
    await make_article(session, slug="bank", title="Central bank raises rates")
    await make_article(session, slug="river", title="River bank erosion worsens")
    await make_article(session, slug="rates", title="Mortgage rates and the central question")
    assert await _slugs(gql, '"central bank"') == ["bank"]
    assert sorted(await _slugs(gql, "bank -river")) == ["bank"]
    assert sorted(await _slugs(gql, "erosion or mortgage")) == ["rates", "river"]
    # `or` binds tighter than the implied AND, as in websearch_to_tsquery.
    assert sorted(await _slugs(gql, "central bank or mortgage")) == ["bank", "rates"]


async def test_snippet_marks_matches_and_escapes_the_article_text(gql, session):
    await make_article(
        session,
        slug="html",
        title="Notes",
        summary="Budget <script>alert(1)</script> up as 5 < 6 & tax cuts",
    )
    [edge] = (await _search(gql, "budget"))["edges"]
    assert "<mark>Budget</mark>" in edge["snippet"]
    assert "<script>" not in edge["snippet"]  # escaped, or dropped as markup by PostgreSQL
    assert "5 &lt; 6" in edge["snippet"]
    assert "&amp;" in edge["snippet"]


async def test_only_published_articles_and_filters_apply(gql, session):
    sport = await make_category(session, slug="sport")
    await make_article(session, slug="draft", title="Election", status=ArticleStatus.DRAFT)
    await make_article(session, slug="archived", title="Election", status=ArticleStatus.ARCHIVED)
    await make_article(session, slug="news", title="Election night")
    await make_article(session, slug="sport", title="Election of a captain", category=sport)
    await make_article(session, slug="id", title="Election di Jakarta", language="id")
    assert sorted(await _slugs(gql, "election")) == ["id", "news", "sport"]
    assert await _slugs(gql, "election", filter={"categorySlug": "sport"}) == ["sport"]
    assert await _slugs(gql, "election", filter={"language": "id"}) == ["id"]


async def test_indonesian_articles_are_found_in_their_own_words(gql, session):
    await make_article(session, slug="banjir", title="Banjir melanda Jakarta", language="id")
    assert await _slugs(gql, "banjir jakarta") == ["banjir"]
    assert await _slugs(gql, "banjir", filter={"language": "id"}) == ["banjir"]


async def test_newest_order_and_paging_through_every_hit_once(gql, session):
    tag = await make_tag(session)
    for day in range(7):
        await make_article(
            session,
            slug=f"day-{day}",
            title=f"Storm report {'storm ' * day}",
            published_at=NOW - timedelta(days=day),
            tags=[tag],
        )
    newest = await _slugs(gql, "storm", orderBy="NEWEST", first=20)
    assert newest == [f"day-{day}" for day in range(7)]
    for order in ["RELEVANCE", "NEWEST"]:
        seen, after = [], None
        while True:
            page = await _search(gql, "storm", first=3, after=after, orderBy=order)
            seen += [edge["node"]["slug"] for edge in page["edges"]]
            assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert sorted(seen) == sorted(newest), order
        if order == "RELEVANCE":
            whole = await _slugs(gql, "storm", first=20)
            assert seen == whole


@pytest.fixture
def small_periods(monkeypatch):
    """Periods of 2, 3 and 5 articles, and 4 candidates ranked: a handful of articles
    then spans every period."""
    built = (search._statement, search._period_starts_query)

    def forget() -> None:
        for function in built:
            function.cache_clear()
        search._periods.clear()

    forget()
    monkeypatch.setattr(search, "PERIOD_ARTICLES", (2, 3, 5))
    monkeypatch.setattr(search, "CANDIDATES", 4)
    yield
    forget()


async def test_periods_split_the_articles_with_no_gap_and_no_overlap(gql, session, small_periods):
    articles = []
    for n in range(12):  # every other article matches; three at a time come out together
        articles.append(
            await make_article(
                session,
                slug=f"article-{n}",
                title="Storm warning" if n % 2 == 0 else "Calm seas",
                published_at=NOW - timedelta(days=n // 3, hours=1),
            )
        )
    newest_first = sorted(articles, key=lambda a: (a.published_at, a.id), reverse=True)
    matching = [a.slug for a in newest_first if a.title.startswith("Storm")]
    assert await _slugs(gql, "storm", orderBy="NEWEST", first=20) == matching
    # Relevance ranks the newest CANDIDATES matches, whichever periods they are in.
    assert sorted(await _slugs(gql, "storm", first=20)) == sorted(matching[:4])
    seen, after = [], None
    while True:
        page = await _search(gql, "storm", first=1, after=after, orderBy="NEWEST")
        seen += [edge["node"]["slug"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == matching
    # Starts read before a newer article came out still split time without a gap.
    await make_article(
        session, slug="newest", title="Storm", published_at=NOW - timedelta(minutes=1)
    )
    assert await _slugs(gql, "storm", orderBy="NEWEST", first=20) == ["newest", *matching]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("keep", "reads_recent"),
    [(3, True), (1, False)],
    ids=["first period from the recent table", "first period from the whole table"],
)
async def test_search_is_the_same_whichever_table_the_first_period_reads(
    gql,
    engine,
    session,
    small_periods,
    keep,
    reads_recent,
):
    await keep_recent_articles(engine, keep)
    author, category = await make_author(session), await make_category(session)
    async with session.begin() as s:
        for n in range(12):  # one INSERT: a trim at the end keeps the newest `keep`
            s.add(
                Article(
                    slug=f"article-{n}",
                    title="Storm warning" if n % 2 == 0 else "Calm seas",
                    language="en",
                    status="published",
                    published_at=NOW - timedelta(days=n // 3, hours=1),
                    author_id=pk(author),
                    category_id=pk(category),
                )
            )
    # Newest first: published_at, then id (the later of a moment's three is newer).
    order = sorted(range(12), key=lambda n: (-(n // 3), n), reverse=True)
    matching = [f"article-{n}" for n in order if n % 2 == 0]
    assert await _slugs(gql, "storm", orderBy="NEWEST", first=20) == matching
    assert sorted(await _slugs(gql, "storm", first=20)) == sorted(matching[:4])
    (periods,) = [periods for _, periods in search._periods.values()]
    assert periods.recent is reads_recent


async def test_index_follows_edits_and_deletes(gql, session):
    article = await make_article(session, slug="edited", title="Volcano erupts")
    async with session.begin() as s:
        await s.exec(update(Article).where(col(Article.id) == article.id).values(title="Calm day"))
    assert await _slugs(gql, "volcano") == []
    assert await _slugs(gql, "calm") == ["edited"]
    async with session.begin() as s:
        await s.exec(delete(Article).where(col(Article.id) == article.id))
    assert await _slugs(gql, "calm") == []


async def test_view_counts_do_not_disturb_the_index(gql, session):
    article = await make_article(session, slug="viewed", title="Glacier retreats")
    async with session.begin() as s:
        await s.exec(update(Article).where(col(Article.id) == article.id).values(view_count=9))
    assert await _slugs(gql, "glacier") == ["viewed"]


HOSTILE = [
    '"unbalanced',
    "((((storm",
    "storm)))",
    "storm AND OR NOT",
    "NEAR(storm harbour, 2)",
    "title:storm",
    "storm*",
    "^storm",
    "- - -storm",
    "storm -",
    "'; DROP TABLE article; --",
    "storm 🌊🌊 🔥",
    "\\ \\\\ \" ' ` | & ! :",
    "x" * 499,
    "storm " * 40,
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_queries_give_results_or_bad_user_input(gql, session, query):
    await make_article(session, slug="storm", title="Storm over the harbour")
    result = await gql(SEARCH, q=query)
    if result.errors:
        assert [e.extensions["code"] for e in result.errors] == ["BAD_USER_INPUT"]
        assert "SELECT" not in result.errors[0].message
    else:
        assert isinstance(result.data["search"]["edges"], list)
    assert await _slugs(gql, "storm") == ["storm"]  # still serving


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("storm\x00", "NUL"),
        ("x" * 10_000, "at most 500"),
        ("", "at least one word"),
        ("  --- ()", "at least one word"),
        ("-storm", "at least one word"),
        ("a " * 33, "at most 32"),
    ],
)
async def test_unsearchable_queries_are_bad_user_input(gql, session, query, reason):
    result = await gql(SEARCH, q=query)
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT", "argument": "query"}
    assert reason in result.errors[0].message


async def test_bad_cursors_and_sizes_are_bad_user_input(gql, session):
    await make_article(session, slug="storm", title="Storm")
    newest = (await _search(gql, "storm", orderBy="NEWEST"))["edges"][0]["cursor"]
    for after, order in [("junk", "RELEVANCE"), (newest, "RELEVANCE"), ("e30=", "NEWEST")]:
        result = await gql(SEARCH, q="storm", after=after, orderBy=order)
        assert result.errors[0].extensions["argument"] == "after"
    result = await gql(SEARCH, q="storm", first=101)
    assert result.errors[0].extensions["argument"] == "first"


async def test_statements_do_not_grow_with_the_number_of_hits(gql, session, statements):
    query = """query ($first: Int!) {
      search(query: "storm", first: $first) {
        edges { node { title author { name } category { name } tags { name } } }
      }
    }"""
    counts = []
    for size in [1, 10, 30]:
        while len(await _slugs(gql, "storm", first=100)) < size:
            await make_article(session, title="Storm", tags=[await make_tag(session)])
        statements.clear()
        result = await gql(query, first=size)
        assert result.errors is None
        assert len(result.data["search"]["edges"]) == size
        counts.append(len(statements))
    print(f"search, statements at 1, 10 and 30 hits: {counts}")  # shown by pytest -s
    assert counts == [counts[0]] * 3, counts


def test_fts5_query_quotes_every_word():
    assert fts5_query('storm "sea wall" or dyke -flood') == (
        '(("storm") AND ("sea wall" OR "dyke")) NOT "flood"'
    )
    assert fts5_query("NEAR(a:b*) title:x") == '(("NEAR a b") AND ("title x"))'
    with pytest.raises(BadUserInput):
        fts5_query("or or")


async def test_index_follows_publishing_and_archiving(gql, session):
    draft = await make_article(session, slug="later", title="Eclipse", status=ArticleStatus.DRAFT)
    assert await _slugs(gql, "eclipse") == []
    published: dict[str, object] = {"status": ArticleStatus.PUBLISHED, "published_at": NOW}
    archived: dict[str, object] = {"status": ArticleStatus.ARCHIVED}
    for values, expected in [(published, ["later"]), (archived, [])]:
        async with session.begin() as s:
            await s.exec(update(Article).where(col(Article.id) == draft.id).values(**values))
        assert await _slugs(gql, "eclipse") == expected


async def test_moving_an_article_to_another_category_moves_it_in_filtered_search(gql, session):
    sport, weather = await make_category(session, slug="sport"), await make_category(session)
    article = await make_article(session, slug="moved", title="Hailstorm", category=weather)
    async with session.begin() as s:
        await s.exec(
            update(Article).where(col(Article.id) == article.id).values(category_id=sport.id)
        )
    assert await _slugs(gql, "hailstorm", filter={"categorySlug": "sport"}) == ["moved"]
