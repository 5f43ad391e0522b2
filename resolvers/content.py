"""Mutations that write content; each needs the `content:write` scope and is one transaction."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession

import models
from app import content, idempotency
from app.callers import Scope
from app.context import Info
from app.data.entities import as_row
from app.errors import NotFound
from resolvers.types.article import Article
from resolvers.types.author import Author
from resolvers.types.content import (
    CreateArticleInput,
    CreateAuthorInput,
    DeleteArticlePayload,
    UpdateArticleInput,
    UpdateAuthorInput,
)
from resolvers.types.node import decode_id_of
from resolvers.types.pagination import as_utc

Row = TypeVar("Row", models.Article, models.Author)

IdempotencyKeyArgument = Annotated[
    str | None,
    strawberry.argument(
        description="Retrying with the same key (or Idempotency-Key header) within 24 hours "
        "returns what the first call created, and creates nothing more."
    ),
]

ArticleId = Annotated[strawberry.ID, strawberry.argument(description="The article's ID.")]
Version = Annotated[
    int,
    strawberry.argument(
        description="The version the editor last saw: refused with CONFLICT, changing "
        "nothing, if the article has changed since."
    ),
]


async def create_article(
    info: Info,
    input: Annotated[
        CreateArticleInput, strawberry.argument(description="The new article's fields.")
    ],
    idempotency_key: IdempotencyKeyArgument = None,
) -> Article:
    """Write a new article: a draft unless `publish` is true. Invalid input is refused as a
    whole with BAD_USER_INPUT, `extensions.fields` naming each wrong field."""
    info.context.caller.require(Scope.CONTENT_WRITE)
    given = _article_fields(input)

    async def create(session: AsyncSession) -> models.Article:
        return await content.create_article(
            session, given, input.publish, info.context.now, "input"
        )

    row = await _create_once(
        info, idempotency_key, strawberry.asdict(input), create, models.Article
    )
    return _loaded(info, row)


async def update_article(
    info: Info,
    input: Annotated[UpdateArticleInput, strawberry.argument(description="What to change.")],
) -> Article:
    """Change an article, if nobody has changed it since `input.version`: the article as
    saved, at its next version."""
    info.context.caller.require(Scope.CONTENT_WRITE)
    article_id = decode_id_of("Article", input.id, "input.id")
    given = _article_fields(input)
    async with info.context.sessionmaker() as session, session.begin():
        row = await content.update_article(
            session, article_id, input.version, given, info.context.now, "input"
        )
    await _evict(info, session)
    return _loaded(info, row)


async def publish_article(info: Info, id: ArticleId, version: Version) -> Article:
    """Publish an article (a draft, or an archived one again) if it is still at `version`."""
    return await _set_status(info, id, version, models.ArticleStatus.PUBLISHED)


async def archive_article(info: Info, id: ArticleId, version: Version) -> Article:
    """Withdraw a published article from the site, keeping it, if it is still at `version`."""
    return await _set_status(info, id, version, models.ArticleStatus.ARCHIVED)


async def delete_article(info: Info, id: ArticleId, version: Version) -> DeleteArticlePayload:
    """Delete an article and its views for good, if it is still at `version`."""
    info.context.caller.require(Scope.CONTENT_WRITE)
    article_id = decode_id_of("Article", id, "id")
    async with info.context.sessionmaker() as session, session.begin():
        await content.delete_article(session, article_id, version)
    await _evict(info, session)
    info.context.loaders.article_by_id.prime(article_id, None, force=True)
    return DeleteArticlePayload(deleted_id=id)


async def create_author(
    info: Info,
    input: Annotated[
        CreateAuthorInput, strawberry.argument(description="The new author's fields.")
    ],
    idempotency_key: IdempotencyKeyArgument = None,
) -> Author:
    """Add an author, whose ID new articles then name. Invalid input is refused as a whole
    with BAD_USER_INPUT, `extensions.fields` naming each wrong field."""
    info.context.caller.require(Scope.CONTENT_WRITE)
    given = _author_fields(input)

    async def create(session: AsyncSession) -> models.Author:
        return await content.create_author(session, given, "input")

    row = await _create_once(info, idempotency_key, strawberry.asdict(input), create, models.Author)
    author: Author = as_row(row)
    return author


async def update_author(
    info: Info,
    input: Annotated[UpdateAuthorInput, strawberry.argument(description="What to change.")],
) -> Author:
    """Change an author's name, slug, bio or picture: the author as saved."""
    info.context.caller.require(Scope.CONTENT_WRITE)
    author_id = decode_id_of("Author", input.id, "input.id")
    given = _author_fields(input)
    async with info.context.sessionmaker() as session, session.begin():
        row = await content.update_author(session, author_id, given, "input")
    await _evict(info, session)
    author: Author = as_row(row)
    info.context.loaders.author_by_id.prime(author_id, author, force=True)
    return author


async def _set_status(
    info: Info, id: strawberry.ID, version: int, status: models.ArticleStatus
) -> Article:
    info.context.caller.require(Scope.CONTENT_WRITE)
    article_id = decode_id_of("Article", id, "id")
    async with info.context.sessionmaker() as session, session.begin():
        row = await content.set_status(session, article_id, version, status, info.context.now)
    await _evict(info, session)
    return _loaded(info, row)


async def _evict(info: Info, session: AsyncSession) -> None:
    """Evict the cached answers holding what the committed edit changed: done before the
    mutation answers, so that no read sent after the answer finds the old content."""
    if info.context.invalidate is not None:
        await info.context.invalidate(content.changed(session))


def _article_fields(input: CreateArticleInput | UpdateArticleInput) -> content.ArticleFields:
    author = input.author_id
    return content.ArticleFields(
        title=input.title,
        slug=input.slug,
        summary=input.summary,
        body=input.body,
        language=input.language,
        author_id=decode_id_of("Author", author, "input.authorId") if author is not None else None,
        category_slug=input.category_slug,
        tag_slugs=input.tag_slugs,
        published_at=as_utc(input.published_at, "input.publishedAt"),
    )


def _author_fields(input: CreateAuthorInput | UpdateAuthorInput) -> content.AuthorFields:
    return content.AuthorFields(
        name=input.name, slug=input.slug, bio=input.bio, avatar_url=input.avatar_url
    )


def _loaded(info: Info, row: models.Article) -> Article:
    """The article as written, for the rest of the request to see."""
    article: Article = as_row(row)
    info.context.loaders.article_by_id.prime(article.pk, article, force=True)
    return article


def idempotency_key_for(info: Info, argument: str | None) -> str | None:
    """The field's idempotency key: its `idempotencyKey` argument, else the request's header."""
    key = idempotency.checked_key(argument, "idempotencyKey")
    request = info.context.request
    if key is None and request is not None:
        key = idempotency.checked_key(request.headers.get(idempotency.HEADER), "Idempotency-Key")
    # Per field of the document, so that one header can cover a document of several.
    return f"{info.path.key}:{key}" if key is not None else None


async def _create_once(
    info: Info,
    key_argument: str | None,
    arguments: dict[str, Any],
    create: Callable[[AsyncSession], Awaitable[Row]],
    model: type[Row],
) -> Row:
    """`create` in a transaction, unless a call with the same idempotency key already did:
    then what that call created."""
    key = idempotency_key_for(info, key_argument)
    caller = info.context.caller.identity
    async with info.context.sessionmaker() as session:
        async with session.begin():
            if key is None:
                row = await create(session)
            elif first := await idempotency.claim(
                await session.connection(),
                caller,
                key,
                idempotency.fingerprint(info.field_name, arguments),
            ):
                found = await session.get(model, first["id"])
                if found is None:
                    raise NotFound("What this idempotency key created has since been deleted.")
                row = found
            else:
                row = await create(session)
                await idempotency.fulfil(await session.connection(), caller, key, {"id": row.id})
        await _evict(info, session)
        return row
