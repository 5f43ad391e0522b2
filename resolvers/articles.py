"""Root fields for reading articles: one article, a listing, and the latest news."""

from typing import Annotated

import strawberry

from app.context import Info
from app.data import listing
from app.errors import BadUserInput, check_text
from resolvers.types.arguments import CategorySlug, First, Language
from resolvers.types.article import Article, visible
from resolvers.types.node import decode_id_of
from resolvers.types.pagination import articles_field


async def article(
    info: Info,
    id: Annotated[strawberry.ID | None, strawberry.argument(description="Its ID.")] = None,
    slug: Annotated[str | None, strawberry.argument(description="Its slug.")] = None,
) -> Article | None:
    """An article by its ID or its slug (give exactly one); null when there is none. Drafts
    and archived articles only for callers with `content:write`."""
    if (id is None) == (slug is None):
        raise BadUserInput("id", "give exactly one of `id` and `slug`")
    loaders = info.context.loaders
    if id is not None:
        row = await loaders.article_by_id.load(decode_id_of("Article", id, "id"))
    else:
        row = await loaders.article_by_slug.load(check_text(slug, "slug") or "")
    return visible(row, info.context.caller, info.context.now)


articles = articles_field(
    None,
    "Published articles (or, for editors, those of a `status`), newest first unless "
    "`orderBy` says otherwise, a page at a time.",
)


async def latest_news(
    info: Info,
    first: First = 5,
    category_slug: CategorySlug = None,
    language: Language = None,
) -> list[Article]:
    """The newest published articles, for a "latest news" box: `articles` without the
    paging."""
    listing.check_first(first)
    criteria = listing.ArticleFilter(
        category_slug=check_text(category_slug, "categorySlug"),
        language=check_text(language, "language"),
    )
    key = listing.PageKey(listing.Listing(criteria), None, first, None)
    rows = await info.context.loaders.article_page.load(key)
    return rows[:first]
