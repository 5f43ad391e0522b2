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
    title: str = strawberry.field(description="The headline: not empty, up to 300 characters.")
    language: str = strawberry.field(description="BCP-47 language code, e.g. `en` or `id`.")
    author_id: strawberry.ID = strawberry.field(description="The ID of an existing author.")
    category_slug: str = strawberry.field(
        description="The category's slug (lowercase words joined by hyphens); a category "
        "that does not exist yet is created."
    )
    slug: str | None = strawberry.field(
        default=None, description="Made from the title when absent, unique either way."
    )
    summary: str | None = strawberry.field(
        default=None, description="A sentence or two for cards: up to 2,000 characters."
    )
    body: str | None = strawberry.field(
        default=None, description="The full text, in Markdown: up to 200,000 characters."
    )
    tag_slugs: list[str] | None = strawberry.field(
        default=None, description="Up to 20 tag slugs; tags that do not exist yet are created."
    )
    publish: bool = strawberry.field(
        default=False, description="Publish (at `publishedAt`, or now), not as a draft."
    )
    published_at: datetime | None = strawberry.field(default=None, description=PUBLISHED_AT)


@strawberry.input(description="Changes to an article: fields left out stay as they are.")
class UpdateArticleInput:
    id: strawberry.ID = strawberry.field(description="The article to change.")
    version: int = strawberry.field(
        description="The version the changes were made to: refused with CONFLICT if the "
        "article has changed since."
    )
    title: str | None = strawberry.field(
        default=None, description="A new headline: not empty, up to 300 characters."
    )
    slug: str | None = strawberry.field(
        default=None, description="A new slug, not taken by another article."
    )
    summary: str | None = strawberry.field(
        default=None, description="A new summary: up to 2,000 characters."
    )
    body: str | None = strawberry.field(
        default=None, description="A new body, in Markdown: up to 200,000 characters."
    )
    language: str | None = strawberry.field(default=None, description="A new BCP-47 language code.")
    author_id: strawberry.ID | None = strawberry.field(
        default=None, description="The ID of another existing author."
    )
    category_slug: str | None = strawberry.field(
        default=None, description="Another category's slug; created when new."
    )
    tag_slugs: list[str] | None = strawberry.field(
        default=None, description="Replaces the article's tags; new ones are created."
    )
    published_at: datetime | None = strawberry.field(default=None, description=PUBLISHED_AT)


@strawberry.input(description="A new author.")
class CreateAuthorInput:
    name: str = strawberry.field(description="As shown in bylines: up to 200 characters.")
    slug: str | None = strawberry.field(
        default=None, description="Made from the name when absent, unique either way."
    )
    bio: str | None = strawberry.field(
        default=None, description="A few lines about the author: up to 5,000 characters."
    )
    avatar_url: str | None = strawberry.field(
        default=None, description="An https:// URL of the author's picture."
    )


@strawberry.input(description="Changes to an author: fields left out stay as they are.")
class UpdateAuthorInput:
    id: strawberry.ID = strawberry.field(description="The author to change.")
    name: str | None = strawberry.field(default=None, description="A new name.")
    slug: str | None = strawberry.field(
        default=None, description="A new slug, not taken by another author."
    )
    bio: str | None = strawberry.field(default=None, description="A new bio.")
    avatar_url: str | None = strawberry.field(
        default=None, description="A new https:// URL of the author's picture."
    )


@strawberry.type(description="What `deleteArticle` did.")
class DeleteArticlePayload:
    deleted_id: strawberry.ID = strawberry.field(
        description="The ID of the article deleted, for clients to drop it from their caches."
    )
