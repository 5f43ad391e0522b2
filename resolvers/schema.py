"""The GraphQL schema: root fields assembled from the modules beside this one."""

import inspect
from collections.abc import Callable
from typing import Any

import strawberry

from app.data.search import CANDIDATES
from resolvers import articles as article_fields
from resolvers import authors as author_fields
from resolvers import content as content_fields
from resolvers import hints
from resolvers import nodes as node_fields
from resolvers import popularity as popularity_fields
from resolvers import search as search_fields
from resolvers import taxonomy as taxonomy_fields
from resolvers import views as view_fields
from resolvers.types.article import Article
from resolvers.types.author import Author, AuthorConnection
from resolvers.types.category import Category
from resolvers.types.content import DeleteArticlePayload
from resolvers.types.node import Node
from resolvers.types.pagination import ArticleConnection
from resolvers.types.popular_article import PopularArticle, TrendingArticle
from resolvers.types.recorded_view import RecordViewPayload, RecordViewsPayload
from resolvers.types.search import SearchConnection
from resolvers.types.tag import Tag


def field(resolver: Callable[..., Any], description: str | None = None, hint: object = None) -> Any:
    """A root field resolved by `resolver`, described by its docstring unless `description`
    is given: what developers read of it in GraphiQL. `hint`: its own cache hint, where its
    type's is too long."""
    return strawberry.field(
        resolver=resolver,
        description=description or inspect.getdoc(resolver),
        directives=[hint] if hint else (),
    )


@strawberry.type(description="What there is to read: articles, lists of them, and search.")
class Query:
    article: Article | None = field(article_fields.article)
    articles: ArticleConnection = article_fields.articles
    latest_news: list[Article] = field(article_fields.latest_news, hint=hints.LISTS)
    popular_articles: list[PopularArticle] = field(popularity_fields.popular_articles)
    trending_articles: list[TrendingArticle] = field(popularity_fields.trending_articles)
    search: SearchConnection = field(
        search_fields.search,
        description='Published articles matching `query`: words (all must match), "quoted '
        'phrases", `or` between alternatives, `-word` to leave out. Most relevant first '
        f"(among the newest {CANDIDATES} matches) unless `orderBy` is NEWEST.",
    )
    author: Author | None = field(author_fields.author)
    authors: AuthorConnection = field(author_fields.authors)
    categories: list[Category] = field(taxonomy_fields.categories)
    tags: list[Tag] = field(taxonomy_fields.tags)
    node: Node | None = field(node_fields.node)
    nodes: list[Node | None] = field(node_fields.nodes)


@strawberry.type(
    description="What there is to write: views, from pages and partners; content, from editors."
)
class Mutation:
    record_view: RecordViewPayload = field(view_fields.record_view)
    record_views: RecordViewsPayload = field(view_fields.record_views)
    create_article: Article = field(content_fields.create_article)
    update_article: Article = field(content_fields.update_article)
    publish_article: Article = field(content_fields.publish_article)
    archive_article: Article = field(content_fields.archive_article)
    delete_article: DeleteArticlePayload = field(content_fields.delete_article)
    create_author: Author = field(content_fields.create_author)
    update_author: Author = field(content_fields.update_author)


schema = strawberry.Schema(query=Query, mutation=Mutation, types=[Category, Tag])
# Strawberry leaves schema directives' arguments undescribed.
schema._schema.get_directive("cacheControl").args[  # type: ignore[union-attr]
    "maxAge"
].description = "Seconds from when the answer was computed."
