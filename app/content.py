"""Writing content: articles and authors, as editors and partners create and edit them.

Each function runs inside the caller's transaction and either does all it was asked or
raises, leaving the transaction to roll back. Invalid input is refused as a whole, with
every wrong field named (InvalidFields), so that a form can mark them all at once.
Search vectors and tag counts follow by database triggers; every change to an article
queues it for its related lists (app/related/maintain.py), in the same transaction.
"""

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import AnyOf, insert_for
from app.errors import Conflict, InvalidFields, NotFound
from app.related.maintain import enqueue
from models import Article, ArticleStatus, ArticleTag, Author, Category, Tag, reading_time_minutes

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_WORDS = "lowercase letters and digits in words joined by hyphens, as `city-budget-2027`"
LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")  # BCP 47, as `en`, `id`, `pt-BR`
MAX_TITLE, MAX_SLUG, MAX_SUMMARY, MAX_BODY = 300, 200, 2_000, 200_000
MAX_NAME, MAX_AUTHOR_SLUG, MAX_BIO = 200, 120, 5_000
MAX_TAGS = 20
CHANGED = "newsgate.changed"  # in session.info: the cache tags of what the edits changed
# publishedAt: imports reach back to the first printed news; schedules a few years ahead.
EARLIEST = datetime(1800, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=5 * 366)


class _Checks:
    """Collects what is wrong with an input, field by field."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.errors: list[dict[str, str]] = []

    def fail(self, field: str, message: str) -> None:
        self.errors.append({"field": f"{self.prefix}.{field}", "message": message})

    def text(self, field: str, value: str | None, max_length: int, required: bool = False) -> None:
        if value is None:
            return
        if "\x00" in value:
            self.fail(field, "must not contain NUL characters")
        elif required and not value.strip():
            self.fail(field, "must not be empty")
        elif len(value) > max_length:
            self.fail(field, f"must be at most {max_length} characters")

    def pattern(self, field: str, value: str | None, pattern: re.Pattern[str], what: str) -> None:
        if value is not None and not pattern.fullmatch(value):
            self.fail(field, f"must be {what}")

    def moment(self, field: str, value: datetime | None, now: datetime) -> None:
        if value is not None and not EARLIEST <= value <= now + LATEST_AHEAD:
            self.fail(field, "must be between the year 1800 and five years from now")

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidFields(self.errors)


@dataclass
class ArticleFields:
    """What a create sets or an update changes; None leaves a field as it is."""

    title: str | None = None
    slug: str | None = None
    summary: str | None = None
    body: str | None = None
    language: str | None = None
    author_id: int | None = None
    category_slug: str | None = None
    tag_slugs: list[str] | None = None
    published_at: datetime | None = None  # in UTC; in the future, a scheduled publication

    def given(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: value for name, value in values.items() if value is not None}


@dataclass
class AuthorFields:
    name: str | None = None
    slug: str | None = None
    bio: str | None = None
    avatar_url: str | None = None


def slugify(text: str, max_length: int) -> str:
    """`text` as a slug: accents dropped, lowercase words of letters and digits."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = "-".join(words)[:max_length].strip("-")
    return slug or "untitled"


async def create_article(
    session: AsyncSession, given: ArticleFields, publish: bool, now: datetime, prefix: str
) -> Article:
    checks = _Checks(prefix)
    for name in ("title", "language", "category_slug"):
        if getattr(given, name) is None:
            checks.fail(_camel(name), "is required")
    await _check_article(session, checks, given, article_id=None, now=now)
    assert given.title is not None
    assert given.language is not None
    assert given.author_id is not None
    tag_ids = await _tag_ids(session, given.tag_slugs or [])
    await _lock_tags(session, None, tag_ids)
    # Room for a `-2`, `-3`, ... should the slug be taken.
    slug = given.slug or await _free_slug(session, Article, slugify(given.title, MAX_SLUG - 8))
    body = given.body or ""
    article = Article(
        slug=slug,
        title=given.title.strip(),
        summary=given.summary or "",
        body=body,
        language=given.language,
        status=ArticleStatus.PUBLISHED if publish else ArticleStatus.DRAFT,
        # A draft may carry its date already: publishing it keeps that date.
        published_at=given.published_at or (now if publish else None),
        updated_at=now,
        reading_time_minutes=reading_time_minutes(body),
        author_id=given.author_id,
        category_id=await _category_id(session, given.category_slug or ""),
    )
    session.add(article)
    with _slug_race():
        await session.flush()
    assert article.id is not None
    await _set_tags(session, article.id, tag_ids)
    await enqueue(await session.connection(), [article.id])
    await _note_article(session, article.id)
    return article


async def update_article(
    session: AsyncSession,
    article_id: int,
    version: int,
    given: ArticleFields,
    now: datetime,
    prefix: str,
) -> Article:
    checks = _Checks(prefix)
    await _check_article(session, checks, given, article_id, now)
    values: dict[str, Any] = {
        k: v for k, v in given.given().items() if k not in ("category_slug", "tag_slugs")
    }
    if given.title is not None:
        values["title"] = given.title.strip()
    if given.body is not None:
        values["reading_time_minutes"] = reading_time_minutes(given.body)
    if given.category_slug is not None:
        values["category_id"] = await _category_id(session, given.category_slug)
    tag_ids = None if given.tag_slugs is None else await _tag_ids(session, given.tag_slugs)
    await _lock_tags(session, article_id, tag_ids or [])
    await _note_article(session, article_id)  # the lists it may leave
    article = await _bump(session, article_id, version, now, **values)
    if tag_ids is not None:
        await _set_tags(session, article_id, tag_ids)
    await enqueue(await session.connection(), [article_id])
    await _note_article(session, article_id)  # and those it may join
    return article


async def set_status(
    session: AsyncSession, article_id: int, version: int, status: ArticleStatus, now: datetime
) -> Article:
    values: dict[str, Any] = {"status": status}
    if status is ArticleStatus.PUBLISHED:  # first publication dates it; a re-publication keeps it
        values["published_at"] = func.coalesce(col(Article.published_at), now)
    await _lock_tags(session, article_id, [])  # their tallies follow the status
    article = await _bump(session, article_id, version, now, **values)
    await enqueue(await session.connection(), [article_id])
    await _note_article(session, article_id)
    return article


async def delete_article(session: AsyncSession, article_id: int, version: int) -> None:
    await _lock_tags(session, article_id, [])  # its taggings go with it
    await _note_article(session, article_id)
    connection = await session.connection()
    result = await connection.execute(
        delete(Article).where(col(Article.id) == article_id, col(Article.version) == version)
    )
    if result.rowcount == 0:
        await _missing_or_stale(session, article_id, version)
    await enqueue(connection, [article_id])  # out of every related list


async def create_author(session: AsyncSession, given: AuthorFields, prefix: str) -> Author:
    checks = _Checks(prefix)
    if given.name is None:
        checks.fail("name", "is required")
    await _check_author(session, checks, given, author_id=None)
    assert given.name is not None
    base = slugify(given.name, MAX_AUTHOR_SLUG - 8)
    slug = given.slug or await _free_slug(session, Author, base)
    author = Author(
        slug=slug, name=given.name.strip(), bio=given.bio or "", avatar_url=given.avatar_url
    )
    session.add(author)
    with _slug_race():
        await session.flush()
    _note_author(session, author)
    return author


async def update_author(
    session: AsyncSession, author_id: int, given: AuthorFields, prefix: str
) -> Author:
    author = await session.get(Author, author_id)
    if author is None:
        raise NotFound(f"No author has the ID {author_id}.", argument=f"{prefix}.id")
    await _check_author(session, _Checks(prefix), given, author_id)
    _note_author(session, author)  # its slug before
    for name in ("name", "slug", "bio", "avatar_url"):
        value = getattr(given, name)
        if value is not None:
            setattr(author, name, value.strip() if name == "name" else value)
    with _slug_race():
        await session.flush()
    _note_author(session, author)
    return author


def changed(session: AsyncSession) -> set[str]:
    """The cache tags of what the session's edits changed (app/gateway/cache): to evict
    once they are committed."""
    tags: set[str] = session.info.get(CHANGED, set())
    return tags


async def _note_article(session: AsyncSession, article_id: int) -> None:
    """Note the cache tags of an article as the transaction sees it now. Noted before and
    after an edit, they name the lists it left and those it joined."""
    tags = session.info.setdefault(CHANGED, set())
    # Every list of articles, and the counts by tag and category, may change.
    tags.update(("articles", "tags", "categories", f"article:{article_id}"))
    found = await session.exec(
        select(Article.slug, Article.author_id, Article.category_id).where(
            col(Article.id) == article_id
        )
    )
    row = found.one_or_none()
    if row is not None:
        slug, author_id, category_id = row
        tag_ids = await session.exec(
            select(ArticleTag.tag_id).where(col(ArticleTag.article_id) == article_id)
        )
        tags.update(
            (
                f"article-slug:{slug}",
                f"author-articles:{author_id}",
                f"category-articles:{category_id}",
                *(f"tag-articles:{tag_id}" for tag_id in tag_ids),
            )
        )


def _note_author(session: AsyncSession, author: Author) -> None:
    tags = session.info.setdefault(CHANGED, set())
    tags.update(("authors", f"author:{author.id}", f"author-slug:{author.slug}"))


async def _check_article(
    session: AsyncSession,
    checks: _Checks,
    given: ArticleFields,
    article_id: int | None,
    now: datetime,
) -> None:
    checks.text("title", given.title, MAX_TITLE, required=True)
    checks.text("slug", given.slug, MAX_SLUG)
    checks.pattern("slug", given.slug, SLUG, SLUG_WORDS)
    checks.text("summary", given.summary, MAX_SUMMARY)
    checks.text("body", given.body, MAX_BODY)
    checks.text("language", given.language, 35)
    checks.pattern("language", given.language, LANGUAGE, "a language code, as `en` or `pt-BR`")
    checks.text("categorySlug", given.category_slug, 120)
    checks.pattern("categorySlug", given.category_slug, SLUG, SLUG_WORDS)
    checks.moment("publishedAt", given.published_at, now)
    if given.tag_slugs is not None:
        if len(given.tag_slugs) > MAX_TAGS:
            checks.fail("tagSlugs", f"must hold at most {MAX_TAGS} tags")
        for index, tag in enumerate(given.tag_slugs):
            checks.text(f"tagSlugs[{index}]", tag, 120)
            checks.pattern(f"tagSlugs[{index}]", tag, SLUG, SLUG_WORDS)
    if given.author_id is None and article_id is None:
        checks.fail("authorId", "is required")
    checks.raise_if_any()  # the database is asked only about well-formed values
    if given.author_id is not None and await session.get(Author, given.author_id) is None:
        checks.fail("authorId", "no author has this ID")
    if given.slug and await _slug_taken(session, Article, given.slug, article_id):
        checks.fail("slug", "is taken by another article")
    checks.raise_if_any()


async def _check_author(
    session: AsyncSession, checks: _Checks, given: AuthorFields, author_id: int | None
) -> None:
    checks.text("name", given.name, MAX_NAME, required=True)
    checks.text("slug", given.slug, MAX_AUTHOR_SLUG)
    checks.pattern("slug", given.slug, SLUG, SLUG_WORDS)
    checks.text("bio", given.bio, MAX_BIO)
    checks.text("avatarUrl", given.avatar_url, 500)
    if given.avatar_url is not None and not given.avatar_url.startswith("https://"):
        checks.fail("avatarUrl", "must be an https:// URL")
    checks.raise_if_any()  # the database is asked only about well-formed values
    if given.slug and await _slug_taken(session, Author, given.slug, author_id):
        checks.fail("slug", "is taken by another author")
    checks.raise_if_any()


async def _bump(
    session: AsyncSession, article_id: int, version: int, now: datetime, **values: Any
) -> Article:
    """Apply `values` if the article is still at `version`, as the next version."""
    connection = await session.connection()
    with _slug_race():
        result = await connection.execute(
            update(Article)
            .where(col(Article.id) == article_id, col(Article.version) == version)
            .values(**values, updated_at=now, version=col(Article.version) + 1)
        )
    if result.rowcount == 0:
        await _missing_or_stale(session, article_id, version)
    article = await session.get(Article, article_id, populate_existing=True)
    assert article is not None
    return article


async def _missing_or_stale(session: AsyncSession, article_id: int, version: int) -> None:
    current = (
        await session.exec(select(Article.version).where(col(Article.id) == article_id))
    ).first()
    if current is None:
        raise NotFound(f"No article has the ID {article_id}.", argument="id")
    raise Conflict(
        f"The article changed since version {version}: it is at version {current}. "
        "Reload it, reapply your changes, and save again.",
        currentVersion=current,
    )


@contextmanager
def _slug_race() -> Iterator[None]:
    """A slug taken by another writer between our check and our write: CONFLICT, to retry."""
    try:
        yield
    except IntegrityError as error:
        if "slug" in str(error.orig):
            raise Conflict("The slug was taken meanwhile. Try again.") from None
        raise


async def _slug_taken(
    session: AsyncSession, model: type[Article] | type[Author], slug: str, own_id: int | None
) -> bool:
    found = (await session.exec(select(model.id).where(model.slug == slug))).first()
    return found is not None and found != own_id


async def _free_slug(session: AsyncSession, model: type[Article] | type[Author], base: str) -> str:
    """`base`, or `base-2`, `base-3`, ...: the first that no row has."""
    taken = set(
        (
            await session.exec(
                select(model.slug).where(
                    or_(col(model.slug) == base, col(model.slug).like(f"{base}-%"))
                )
            )
        ).all()
    )
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


def _name_from_slug(slug: str) -> str:
    return slug.replace("-", " ").title()


async def _category_id(session: AsyncSession, slug: str) -> int:
    """The category with `slug`, created when there is none."""
    connection = await session.connection()
    await connection.execute(
        insert_for(connection)(Category)
        .values(slug=slug, name=_name_from_slug(slug))
        .on_conflict_do_nothing()
    )
    category_id = (await session.exec(select(Category.id).where(Category.slug == slug))).one()
    assert category_id is not None
    return category_id


async def _tag_ids(session: AsyncSession, slugs: list[str]) -> list[int]:
    """The ids of the tags `slugs`, in order, creating those that do not exist yet."""
    # Sorted, as every lock is taken in one order: concurrent edits sharing tags then
    # queue for them instead of deadlocking.
    slugs = sorted(set(slugs))
    if not slugs:
        return []
    connection = await session.connection()
    await connection.execute(
        insert_for(connection)(Tag)
        .values([{"slug": s, "name": _name_from_slug(s)} for s in slugs])
        .on_conflict_do_nothing()
    )
    found = await session.exec(select(Tag.id).where(AnyOf(Tag.slug, slugs)))
    return sorted(tag_id for tag_id in found if tag_id is not None)


async def _set_tags(session: AsyncSession, article_id: int, tag_ids: list[int]) -> None:
    """Make the article's tags exactly `tag_ids`, locked already (_lock_tags)."""
    connection = await session.connection()
    await connection.execute(
        delete(ArticleTag).where(
            col(ArticleTag.article_id) == article_id, ~AnyOf(ArticleTag.tag_id, tag_ids)
        )
    )
    if tag_ids:
        await connection.execute(
            insert_for(connection)(ArticleTag)
            .values([{"article_id": article_id, "tag_id": tag_id} for tag_id in tag_ids])
            .on_conflict_do_nothing()
        )


async def _lock_tags(session: AsyncSession, article_id: int | None, tag_ids: list[int]) -> None:
    """Lock, in id order, the tags whose usage counts and tallies a change of the article
    will update (triggers do, in no set order): `tag_ids` and those the article has now.
    Every write to an article does this first, before the triggers lock the tallies of
    the site, its author and category; all writers then lock in one order."""
    current = select(ArticleTag.tag_id).where(col(ArticleTag.article_id) == article_id)
    await session.exec(
        select(Tag.id)
        .where(or_(AnyOf(Tag.id, tag_ids), col(Tag.id).in_(current)))
        .order_by(col(Tag.id))
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE: what the trigger's UPDATE takes
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)
