"""Root fields for reading articles: one article, a listing, and the latest news."""

import strawberry

from app.context import Info
from app.data import listing
from app.errors import BadUserInput, check_text
from resolvers.types.article import Article
from resolvers.types.node import decode_id_of
from resolvers.types.pagination import articles_field


async def article(
    info: Info, id: strawberry.ID | None = None, slug: str | None = None
) -> Article | None:
    """An article by global ID or by slug; null when there is none. Drafts and archived
    articles only for callers with `content:write`."""
    if (id is None) == (slug is None):
        raise BadUserInput("id", "give exactly one of `id` and `slug`")
    loaders = info.context.loaders
    if id is not None:
        row = await loaders.article_by_id.load(decode_id_of("Article", id, "id"))
    else:
        row = await loaders.article_by_slug.load(check_text(slug, "slug") or "")
    return Article.if_visible(row, info.context.caller, info.context.now)


articles = articles_field(None, "Published articles, newest first unless `orderBy` says otherwise.")


async def latest_news(
    info: Info, first: int = 5, category_slug: str | None = None, language: str | None = None
) -> list[Article]:
    """The newest published articles, for a "latest news" box."""
    listing.check_first(first)
    criteria = listing.ArticleFilter(
        category_slug=check_text(category_slug, "categorySlug"),
        language=check_text(language, "language"),
    )
    key = listing.PageKey(listing.Listing(criteria), None, first, None)
    rows = await info.context.loaders.article_page.load(key)
    return [Article.from_model(row) for row in rows[:first]]
