"""Related news: rarity-weighted tags, nearness in time, similar words, then the newest."""

from datetime import UTC, datetime, timedelta

from sqlmodel import col, delete, select, update

from app.data.related import MAX_RELATED_BATCH, RelatedKey, load_related
from models import Article, ArticleStatus, ArticleTag, Tag
from tests.factories import make_article, make_category, make_tag, pk

NOW = datetime.now(UTC).replace(microsecond=0)
RELATED = 'query ($n: Int!) { article(slug: "source") { related(first: $n) { slug } } }'


async def _related(gql, first=5):
    result = await gql(RELATED, n=first)
    assert result.errors is None, result.errors
    return [article["slug"] for article in result.data["article"]["related"]]


async def _common_tag(session, articles=12):
    """A tag on many articles, published long ago so they are no candidates themselves."""
    tag = await make_tag(session, slug="news")
    for n in range(articles):
        await make_article(session, tags=[tag], published_at=NOW - timedelta(days=300 + n))
    return tag


async def test_a_shared_rare_tag_counts_more_than_a_shared_common_one(gql, session):
    common, rare = await _common_tag(session), await make_tag(session, slug="eruption")
    category = await make_category(session)
    await make_article(session, slug="source", category=category, tags=[common, rare])
    day_ago = NOW - timedelta(days=1)
    # "rare" is the older row: a tie would put "common" first.
    await make_article(session, slug="rare", category=category, tags=[rare], published_at=day_ago)
    await make_article(
        session, slug="common", category=category, tags=[common], published_at=day_ago
    )
    assert (await _related(gql))[:2] == ["rare", "common"]


async def test_similar_words_in_title_and_summary_rank_higher(gql, session):
    tag, category = await make_tag(session), await make_category(session)
    at = NOW - timedelta(days=1)
    await make_article(
        session, slug="source", title="Volcano erupts near harbour town", tags=[tag],
        category=category,
    )  # fmt: skip
    await make_article(
        session, slug="unlike", title="Budget talks stall", tags=[tag], published_at=at,
        category=category,
    )  # fmt: skip
    await make_article(
        session, slug="alike", title="Harbour town evacuated as volcano erupts", tags=[tag],
        published_at=at - timedelta(seconds=1), category=category,
    )  # fmt: skip
    assert (await _related(gql))[:2] == ["alike", "unlike"]


async def test_nearer_in_time_ranks_higher_and_ties_go_to_the_newest(gql, session):
    tag, category = await make_tag(session), await make_category(session)
    await make_article(
        session, slug="source", tags=[tag], category=category, published_at=NOW - timedelta(days=10)
    )
    for slug, days in [("far", 25), ("near", 11), ("after", 9)]:
        await make_article(
            session, slug=slug, tags=[tag], category=category,
            published_at=NOW - timedelta(days=days),
        )  # fmt: skip
    # "near" and "after" are one day from the source either side: the newer comes first.
    assert (await _related(gql))[:3] == ["after", "near", "far"]


async def test_same_category_and_language_count(gql, session):
    tag, home, away = (
        await make_tag(session),
        await make_category(session),
        await make_category(session),
    )
    at = NOW - timedelta(days=1)
    await make_article(session, slug="source", tags=[tag], category=home)
    await make_article(session, slug="other-category", tags=[tag], category=away, published_at=at)
    await make_article(
        session, slug="other-language", tags=[tag], category=home, language="id", published_at=at
    )
    await make_article(
        session, slug="alike", tags=[tag], category=home, published_at=at - timedelta(hours=1)
    )
    assert (await _related(gql))[0] == "alike"


async def test_never_the_article_itself_a_draft_or_an_archived_one(gql, session):
    tag, category = await make_tag(session), await make_category(session)
    await make_article(session, slug="source", tags=[tag], category=category)
    for status in (ArticleStatus.DRAFT, ArticleStatus.ARCHIVED):
        await make_article(
            session, slug=status.value, tags=[tag], category=category, status=status,
            published_at=NOW if status is ArticleStatus.ARCHIVED else None,
        )  # fmt: skip
    await make_article(session, slug="kept", tags=[tag], category=category)
    assert await _related(gql) == ["kept"]


async def test_short_lists_fill_with_the_newest_of_the_category_then_any(gql, session):
    home, away = await make_category(session), await make_category(session)
    await make_article(session, slug="source", category=home, published_at=NOW - timedelta(days=2))
    await make_article(
        session, slug="home-old", category=home, published_at=NOW - timedelta(days=5)
    )
    await make_article(
        session, slug="home-new", category=home, published_at=NOW - timedelta(days=1)
    )
    await make_article(session, slug="away", category=away, published_at=NOW)
    assert await _related(gql, first=3) == ["home-new", "home-old", "away"]


async def test_a_new_article_is_related_at_once(gql, session):
    tag = await make_tag(session)
    await make_article(session, slug="source", tags=[tag], published_at=NOW - timedelta(hours=2))
    assert await _related(gql) == []
    await make_article(session, slug="follow-up", tags=[tag], published_at=NOW)
    assert await _related(gql) == ["follow-up"]


async def test_publishing_a_draft_moves_its_tags_to_its_date(gql, session):
    tag = await make_tag(session)
    await make_article(session, slug="source", tags=[tag], published_at=NOW - timedelta(days=1))
    draft = await make_article(session, slug="draft", tags=[tag], status=ArticleStatus.DRAFT)
    async with session.begin() as s:
        await s.exec(
            update(Article)
            .where(col(Article.id) == draft.id)
            .values(status=ArticleStatus.PUBLISHED, published_at=NOW)
        )
    async with session() as s:
        dates = (
            await s.exec(select(ArticleTag.published_at).where(ArticleTag.article_id == pk(draft)))
        ).all()
    assert [d.replace(tzinfo=d.tzinfo or UTC) for d in dates] == [NOW]
    assert await _related(gql) == ["draft"]


async def test_tag_usage_counts_follow_taggings(session):
    one, two = await make_tag(session), await make_tag(session)
    first = await make_article(session, tags=[one, two])
    await make_article(session, tags=[one])

    async def counts():
        async with session() as s:
            rows = await s.exec(
                select(Tag.id, Tag.usage_count).where(col(Tag.id).in_([one.id, two.id]))
            )
            return dict(rows.all())

    assert await counts() == {one.id: 2, two.id: 1}
    async with session.begin() as s:
        await s.exec(
            delete(ArticleTag).where(
                col(ArticleTag.article_id) == first.id, col(ArticleTag.tag_id) == two.id
            )
        )
    assert await counts() == {one.id: 2, two.id: 0}
    async with session.begin() as s:
        await s.exec(delete(Article).where(col(Article.id) == first.id))
    assert await counts() == {one.id: 1, two.id: 0}


async def test_a_full_batch_is_one_ranking_statement(reads, statements):
    """MAX_RELATED_BATCH articles stay within PostgreSQL's limit of parameters."""
    keys = [RelatedKey(n, 1, "en", ("storm", "harbour"), 5) for n in range(MAX_RELATED_BATCH)]
    statements.clear()
    assert await load_related(keys, reads) == [[]] * len(keys)
    assert len(statements) == 2  # the ranking, and filling the (empty) lists
