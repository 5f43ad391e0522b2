"""Content mutations: validation naming each field, optimistic concurrency, idempotency,
scopes, and all-or-nothing transactions."""

import asyncio
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

import models
from app import content
from app.callers import Caller
from app.popularity.recorder import View
from models.base import utcnow
from resolvers.types.node import encode_id
from tests.factories import make_article, make_author, make_category, make_tag

EDITOR = Caller("editor:e1", frozenset({"content:read", "content:write"}))
OTHER_EDITOR = Caller("editor:e2", frozenset({"content:write"}))

ARTICLE_FIELDS = "id slug title status version publishedAt readingTimeMinutes category { slug name } tags { slug name }"  # noqa: E501
CREATE = f"""mutation ($input: CreateArticleInput!, $key: String) {{
  createArticle(input: $input, idempotencyKey: $key) {{ {ARTICLE_FIELDS} }}
}}"""
UPDATE = f"""mutation ($input: UpdateArticleInput!) {{
  updateArticle(input: $input) {{ {ARTICLE_FIELDS} }}
}}"""
PUBLISH = f"mutation ($id: ID!, $v: Int!) {{ publishArticle(id: $id, version: $v) {{ {ARTICLE_FIELDS} }} }}"  # noqa: E501
ARCHIVE = (
    "mutation ($id: ID!, $v: Int!) { archiveArticle(id: $id, version: $v) { status version } }"
)
DELETE = "mutation ($id: ID!, $v: Int!) { deleteArticle(id: $id, version: $v) { deletedId } }"
READ = "query ($slug: String!) { article(slug: $slug) { title status } }"


async def _count(session, model: Any) -> int:
    async with session() as s:
        count: int = (await s.exec(select(func.count()).select_from(model))).one()
    return count


async def _article_input(session, **fields: Any) -> dict[str, Any]:
    """A valid CreateArticleInput by a new author, with `fields` changed."""
    author = await make_author(session)
    return {
        "title": "City budget passes",
        "language": "en",
        "authorId": encode_id("Author", author.id),
        "categorySlug": "politics",
        **fields,
    }


async def _new_article(gql, session, **fields: Any) -> dict[str, Any]:
    result = await gql(CREATE, caller=EDITOR, input=await _article_input(session, **fields))
    assert result.errors is None, result.errors
    article: dict[str, Any] = result.data["createArticle"]
    return article


def _error(result) -> Any:
    assert result.data is None
    (error,) = result.errors
    return error


async def test_create_makes_a_draft_with_a_unique_slug_and_new_taxonomy(gql, session):
    await make_category(session, slug="politics", name="Politics")
    first = await _new_article(
        gql, session, tagSlugs=["city-hall", "budget", "city-hall"], body="word " * 450
    )
    assert first["slug"] == "city-budget-passes"
    assert (first["status"], first["version"], first["publishedAt"]) == ("DRAFT", 1, None)
    assert first["readingTimeMinutes"] == 3
    assert first["category"] == {"slug": "politics", "name": "Politics"}  # existing, reused
    assert first["tags"] == [
        {"slug": "budget", "name": "Budget"},
        {"slug": "city-hall", "name": "City Hall"},
    ]
    second = await _new_article(
        gql, session, title="City budget passes!", categorySlug="local-news"
    )
    assert second["slug"] == "city-budget-passes-2"
    assert second["category"] == {"slug": "local-news", "name": "Local News"}
    # A draft is the editor's alone.
    assert (await gql(READ, slug=first["slug"])).data == {"article": None}
    as_editor = await gql(READ, caller=EDITOR, slug=first["slug"])
    assert as_editor.data == {"article": {"title": "City budget passes", "status": "DRAFT"}}


async def test_publish_dates_it_once_and_archive_withdraws_it(gql, session):
    article = await _new_article(gql, session)
    published = (await gql(PUBLISH, caller=EDITOR, id=article["id"], v=1)).data["publishArticle"]
    assert (published["status"], published["version"]) == ("PUBLISHED", 2)
    assert published["publishedAt"] is not None
    assert (await gql(READ, slug=article["slug"])).data["article"]["status"] == "PUBLISHED"
    search = await gql('{ search(query: "budget") { edges { node { slug } } } }')
    assert search.data["search"]["edges"] == [{"node": {"slug": article["slug"]}}]
    archived = await gql(ARCHIVE, caller=EDITOR, id=article["id"], v=2)
    assert archived.data == {"archiveArticle": {"status": "ARCHIVED", "version": 3}}
    assert (await gql(READ, slug=article["slug"])).data == {"article": None}
    search = await gql('{ search(query: "budget") { edges { node { slug } } } }')
    assert search.data["search"]["edges"] == []
    again = (await gql(PUBLISH, caller=EDITOR, id=article["id"], v=3)).data["publishArticle"]
    assert again["publishedAt"] == published["publishedAt"]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"title": "   "}, [("input.title", "must not be empty")]),
        ({"title": "x" * 301}, [("input.title", "must be at most 300 characters")]),
        (
            {"language": "english"},
            [("input.language", "must be a language code, as `en` or `pt-BR`")],
        ),
        ({"slug": "Not A Slug"}, [("input.slug", "must be " + content.SLUG_WORDS)]),
        ({"body": "a\x00b"}, [("input.body", "must not contain NUL characters")]),
        (
            {"tagSlugs": [f"t{n}" for n in range(21)]},
            [("input.tagSlugs", "must hold at most 20 tags")],
        ),
        (
            {"title": "", "language": "x", "categorySlug": "Bad!"},
            [
                ("input.title", "must not be empty"),
                ("input.language", "must be a language code, as `en` or `pt-BR`"),
                ("input.categorySlug", "must be " + content.SLUG_WORDS),
            ],
        ),
    ],
)
async def test_invalid_input_names_every_field_and_writes_nothing(gql, session, fields, errors):
    new_taxonomy = {"categorySlug": "brand-new-category", "tagSlugs": ["brand-new-tag"]}
    input_ = await _article_input(session, **{**new_taxonomy, **fields})
    error = _error(await gql(CREATE, caller=EDITOR, input=input_))
    assert error.extensions["code"] == "BAD_USER_INPUT"
    assert [(e["field"], e["message"]) for e in error.extensions["fields"]] == errors
    for model in (models.Article, models.Category, models.Tag):
        assert await _count(session, model) == 0


async def test_unknown_author_and_taken_slug_are_field_errors(gql, session):
    taken = await make_article(session, slug="taken")
    input_ = {
        "title": "A title",
        "slug": "taken",
        "language": "en",
        "authorId": encode_id("Author", 999_999),
        "categorySlug": "news",
    }
    error = _error(await gql(CREATE, caller=EDITOR, input=input_))
    assert error.extensions["fields"] == [
        {"field": "input.authorId", "message": "no author has this ID"},
        {"field": "input.slug", "message": "is taken by another article"},
    ]
    assert await _count(session, models.Article) == 1
    # An article keeping its own slug is no clash.
    update = {"id": encode_id("Article", taken.id), "version": 1, "slug": "taken"}
    assert (await gql(UPDATE, caller=EDITOR, input=update)).errors is None


async def test_update_with_a_stale_version_is_a_conflict_and_changes_nothing(gql, session):
    article = await _new_article(gql, session, tagSlugs=["a", "b"])
    first = {"id": article["id"], "version": 1, "title": "First edit", "tagSlugs": ["b", "c"]}
    updated = (await gql(UPDATE, caller=EDITOR, input=first)).data["updateArticle"]
    assert (updated["title"], updated["version"]) == ("First edit", 2)
    assert [t["slug"] for t in updated["tags"]] == ["b", "c"]
    stale = {"id": article["id"], "version": 1, "title": "Lost edit", "tagSlugs": []}
    error = _error(await gql(UPDATE, caller=OTHER_EDITOR, input=stale))
    assert error.extensions == {"code": "CONFLICT", "currentVersion": 2}
    now = await gql(READ, caller=EDITOR, slug=article["slug"])
    assert now.data["article"]["title"] == "First edit"
    async with session() as s:
        usage = dict((await s.exec(select(models.Tag.slug, models.Tag.usage_count))).all())
    assert usage == {"a": 0, "b": 1, "c": 1}


async def test_concurrent_edits_of_one_version_let_exactly_one_through(gql, session):
    article = await _new_article(gql, session)
    edits = [
        gql(UPDATE, caller=EDITOR, input={"id": article["id"], "version": 1, "title": f"Edit {n}"})
        for n in range(4)
    ]
    results = await asyncio.gather(*edits)
    codes = sorted(r.errors[0].extensions["code"] if r.errors else "OK" for r in results)
    assert codes == ["CONFLICT", "CONFLICT", "CONFLICT", "OK"]
    (winner,) = [r.data["updateArticle"] for r in results if not r.errors]
    assert winner["version"] == 2
    assert (await gql(READ, caller=EDITOR, slug=article["slug"])).data["article"][
        "title"
    ] == winner["title"]


async def test_twenty_concurrent_editors_all_get_through(gql, session):
    """On SQLite too: writers queue for the database's one write lock, none fails busy."""
    authors = [encode_id("Author", (await make_author(session)).id) for _ in range(20)]

    async def editor(n: int) -> list[Any]:
        caller = Caller(f"editor:{n}", frozenset({"content:write"}))
        new = {"title": f"Story {n}", "language": "en", "authorId": authors[n]}
        input_ = {**new, "categorySlug": "city", "tagSlugs": ["budget", f"ward-{n % 3}"]}
        created = await gql(CREATE, caller=caller, input=input_)
        if created.errors:
            return list(created.errors)
        id_ = created.data["createArticle"]["id"]
        edit = {"id": id_, "version": 1, "summary": f"Edited by {n}", "tagSlugs": ["budget"]}
        updated = await gql(UPDATE, caller=caller, input=edit)
        published = await gql(PUBLISH, caller=caller, id=id_, v=2)
        return [*(updated.errors or ()), *(published.errors or ())]

    errors = await asyncio.gather(*(editor(n) for n in range(20)))
    assert errors == [[]] * 20
    async with session() as s:
        rows = (await s.exec(select(models.Article.status, models.Article.version))).all()
        usage = await s.exec(select(models.Tag.usage_count).where(models.Tag.slug == "budget"))
        assert usage.one() == 20
    assert sorted(rows) == [(models.ArticleStatus.PUBLISHED, 3)] * 20
    totals = await gql("{ articles { totalCount } tags(orderBy: ARTICLE_COUNT) { articleCount } }")
    assert totals.data == {
        "articles": {"totalCount": 20},  # from the tallies, which every writer kept
        "tags": [{"articleCount": 20}] + [{"articleCount": 0}] * 3,
    }


async def test_unknown_articles_are_not_found(gql, session):
    missing = encode_id("Article", 999_999)
    for query, variables in (
        (UPDATE, {"input": {"id": missing, "version": 1, "title": "x"}}),
        (PUBLISH, {"id": missing, "v": 1}),
        (DELETE, {"id": missing, "v": 1}),
    ):
        assert (
            _error(await gql(query, caller=EDITOR, **variables)).extensions["code"] == "NOT_FOUND"
        )


async def test_delete_removes_the_article_with_its_tags_and_views(gql, session, views):
    article = await _new_article(gql, session, tagSlugs=["gone"], publish=True)
    await views.record([View(await _pk(session, article["slug"]), utcnow())])
    edit = {"id": article["id"], "version": 1, "summary": "Updated"}
    assert (await gql(UPDATE, caller=EDITOR, input=edit)).errors is None
    stale = _error(await gql(DELETE, caller=EDITOR, id=article["id"], v=1))
    assert stale.extensions["code"] == "CONFLICT"
    deleted = await gql(DELETE, caller=EDITOR, id=article["id"], v=2)
    assert deleted.data == {"deleteArticle": {"deletedId": article["id"]}}
    for model in (models.Article, models.ArticleTag, models.ArticleViewBucket):
        assert await _count(session, model) == 0
    async with session() as s:
        assert (await s.exec(select(models.Tag.usage_count))).one() == 0


async def _pk(session, slug: str) -> int:
    async with session() as s:
        pk: int = (await s.exec(select(models.Article.id).where(models.Article.slug == slug))).one()
    return pk


@pytest.mark.parametrize(
    "caller", [None, Caller("key:1", frozenset({"content:read", "views:write"}))]
)
async def test_content_mutations_need_content_write(gql, session, caller):
    author = await make_author(session)
    article = await make_article(session, author=author)
    gid = encode_id("Article", article.id)
    extra = {"caller": caller} if caller else {}
    attempts: list[tuple[str, dict[str, Any]]] = [
        (
            CREATE,
            {
                "input": {
                    "title": "t",
                    "language": "en",
                    "authorId": encode_id("Author", author.id),
                    "categorySlug": "c",
                }
            },
        ),
        (UPDATE, {"input": {"id": gid, "version": 1, "title": "x"}}),
        (PUBLISH, {"id": gid, "v": 1}),
        (ARCHIVE, {"id": gid, "v": 1}),
        (DELETE, {"id": gid, "v": 1}),
        ('mutation { createAuthor(input: {name: "N"}) { id } }', {}),
    ]
    for query, variables in attempts:
        error = _error(await gql(query, **extra, **variables))
        assert error.extensions == {"code": "FORBIDDEN", "scope": "content:write"}
    assert await _count(session, models.Article) == 1
    assert await _count(session, models.Author) == 1
    async with session() as s:
        row = (await s.exec(select(models.Article))).one()
    assert (row.title, row.version) == (article.title, 1)


async def test_a_failure_midway_leaves_nothing_behind(gql, session, monkeypatch):
    async def broken(*args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(content, "_set_tags", broken)
    input_ = await _article_input(
        session, title="Doomed", categorySlug="new-category", tagSlugs=["x"]
    )
    error = _error(await gql(CREATE, caller=EDITOR, input=input_, key="k-1"))
    assert error.extensions["code"] == "INTERNAL_SERVER_ERROR"
    for model in (models.Article, models.Category, models.IdempotencyKey):
        assert await _count(session, model) == 0


# --- idempotency -------------------------------------------------------------------------


async def test_a_retried_create_returns_the_first_article_and_creates_nothing(gql, session):
    input_ = await _article_input(session, title="Once only")
    first = await gql(CREATE, caller=EDITOR, input=input_, key="retry-1")
    again = await gql(CREATE, caller=EDITOR, input=input_, key="retry-1")
    assert again.data == first.data
    assert await _count(session, models.Article) == 1
    changed = await gql(CREATE, caller=EDITOR, input={**input_, "title": "Other"}, key="retry-1")
    assert _error(changed).extensions == {"code": "CONFLICT", "argument": "idempotencyKey"}
    # Keys are the caller's own: another editor's same key is another request.
    other = await gql(CREATE, caller=OTHER_EDITOR, input=input_, key="retry-1")
    assert other.data["createArticle"]["slug"] == "once-only-2"
    assert await _count(session, models.Article) == 2


async def test_concurrent_retries_create_once(gql, session):
    input_ = await _article_input(session, title="Raced")
    results = await asyncio.gather(
        *(gql(CREATE, caller=EDITOR, input=input_, key="race") for _ in range(3))
    )
    assert all(r.errors is None for r in results), [r.errors for r in results]
    assert len({r.data["createArticle"]["id"] for r in results}) == 1
    assert await _count(session, models.Article) == 1


# --- authors -----------------------------------------------------------------------------

CREATE_AUTHOR = (
    "mutation ($input: CreateAuthorInput!) { createAuthor(input: $input) { id slug name bio } }"
)
UPDATE_AUTHOR = (
    "mutation ($input: UpdateAuthorInput!) { updateAuthor(input: $input) { slug name avatarUrl } }"
)


async def test_authors_are_created_and_edited_with_checked_fields(gql, session):
    one = (await gql(CREATE_AUTHOR, caller=EDITOR, input={"name": " Siti Rahayu "})).data
    two = (await gql(CREATE_AUTHOR, caller=EDITOR, input={"name": "Siti Rahayu"})).data
    assert (one["createAuthor"]["slug"], one["createAuthor"]["name"]) == (
        "siti-rahayu",
        "Siti Rahayu",
    )
    assert two["createAuthor"]["slug"] == "siti-rahayu-2"
    bad = await gql(
        UPDATE_AUTHOR,
        caller=EDITOR,
        input={"id": one["createAuthor"]["id"], "name": "", "avatarUrl": "http://x"},
    )
    assert [e["field"] for e in _error(bad).extensions["fields"]] == [
        "input.name",
        "input.avatarUrl",
    ]
    taken = await gql(
        UPDATE_AUTHOR,
        caller=EDITOR,
        input={"id": one["createAuthor"]["id"], "slug": "siti-rahayu-2"},
    )
    assert _error(taken).extensions["fields"] == [
        {"field": "input.slug", "message": "is taken by another author"}
    ]
    good = await gql(
        UPDATE_AUTHOR,
        caller=EDITOR,
        input={"id": one["createAuthor"]["id"], "avatarUrl": "https://img.example/s.png"},
    )
    assert good.data == {
        "updateAuthor": {
            "slug": "siti-rahayu",
            "name": "Siti Rahayu",
            "avatarUrl": "https://img.example/s.png",
        }
    }
    missing = await gql(
        UPDATE_AUTHOR, caller=EDITOR, input={"id": encode_id("Author", 999), "name": "x"}
    )
    assert _error(missing).extensions["code"] == "NOT_FOUND"


async def test_existing_tags_are_reused_by_slug(gql, session):
    await make_tag(session, slug="economy", name="The Economy")
    article = await _new_article(gql, session, tagSlugs=["economy"])
    assert article["tags"] == [{"slug": "economy", "name": "The Economy"}]
    async with session() as s:
        assert (
            await s.exec(
                select(func.count())
                .select_from(models.Tag)
                .where(col(models.Tag.slug) == "economy")
            )
        ).one() == 1
