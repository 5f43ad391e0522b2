"""Inputs and payloads of the content mutations."""

from datetime import datetime

import strawberry

PUBLISHED_AT = (
    "When the article is (or was) published: a past moment for imports and corrections, "
    "a future one to schedule it, invisible to readers until then. Publishing without "
    "one dates the article now."
)


@strawberry.input(description="A new article. Tags and the category are created when new.")
class CreateArticleInput:
    title: str
    language: str = strawberry.field(description="BCP-47 language code, e.g. `en` or `id`.")
    author_id: strawberry.ID
    category_slug: str
    slug: str | None = strawberry.field(
        default=None, description="Made from the title when absent, unique either way."
    )
    summary: str | None = None
    body: str | None = strawberry.field(default=None, description="Markdown.")
    tag_slugs: list[str] | None = None
    publish: bool = strawberry.field(
        default=False, description="Publish (at `publishedAt`, or now), not as a draft."
    )
    published_at: datetime | None = strawberry.field(default=None, description=PUBLISHED_AT)


@strawberry.input(description="Changes to an article: fields left out stay as they are.")
class UpdateArticleInput:
    id: strawberry.ID
    version: int = strawberry.field(
        description="The version the changes were made to: refused with CONFLICT if the "
        "article has changed since."
    )
    title: str | None = None
    slug: str | None = None
    summary: str | None = None
    body: str | None = None
    language: str | None = None
    author_id: strawberry.ID | None = None
    category_slug: str | None = None
    tag_slugs: list[str] | None = strawberry.field(
        default=None, description="Replaces the article's tags."
    )
    published_at: datetime | None = strawberry.field(default=None, description=PUBLISHED_AT)


@strawberry.input
class CreateAuthorInput:
    name: str
    slug: str | None = strawberry.field(
        default=None, description="Made from the name when absent, unique either way."
    )
    bio: str | None = None
    avatar_url: str | None = None


@strawberry.input(description="Changes to an author: fields left out stay as they are.")
class UpdateAuthorInput:
    id: strawberry.ID
    name: str | None = None
    slug: str | None = None
    bio: str | None = None
    avatar_url: str | None = None


@strawberry.type
class DeleteArticlePayload:
    deleted_id: strawberry.ID
