"""The GraphQL schema: root fields assembled from the modules beside this one."""

import strawberry

from app.data.search import CANDIDATES
from resolvers import articles as article_fields
from resolvers import authors as author_fields
from resolvers import content as content_fields
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


@strawberry.type
class Query:
    article: Article | None = strawberry.field(resolver=article_fields.article)
    articles: ArticleConnection = article_fields.articles
    latest_news: list[Article] = strawberry.field(resolver=article_fields.latest_news)
    popular_articles: list[PopularArticle] = strawberry.field(
        resolver=popularity_fields.popular_articles
    )
    trending_articles: list[TrendingArticle] = strawberry.field(
        resolver=popularity_fields.trending_articles
    )
    search: SearchConnection = strawberry.field(
        resolver=search_fields.search,
        description='Published articles matching `query`: words (all must match), "quoted '
        'phrases", `or` between alternatives, `-word` to leave out. Most relevant first '
        f"(among the newest {CANDIDATES} matches) unless `orderBy` is NEWEST.",
    )
    author: Author | None = strawberry.field(resolver=author_fields.author)
    authors: AuthorConnection = strawberry.field(resolver=author_fields.authors)
    categories: list[Category] = strawberry.field(resolver=taxonomy_fields.categories)
    tags: list[Tag] = strawberry.field(resolver=taxonomy_fields.tags)
    node: Node | None = strawberry.field(resolver=node_fields.node)
    nodes: list[Node | None] = strawberry.field(resolver=node_fields.nodes)


@strawberry.type
class Mutation:
    record_view: RecordViewPayload = strawberry.field(resolver=view_fields.record_view)
    record_views: RecordViewsPayload = strawberry.field(resolver=view_fields.record_views)
    create_article: Article = strawberry.field(resolver=content_fields.create_article)
    update_article: Article = strawberry.field(resolver=content_fields.update_article)
    publish_article: Article = strawberry.field(resolver=content_fields.publish_article)
    archive_article: Article = strawberry.field(resolver=content_fields.archive_article)
    delete_article: DeleteArticlePayload = strawberry.field(resolver=content_fields.delete_article)
    create_author: Author = strawberry.field(resolver=content_fields.create_author)
    update_author: Author = strawberry.field(resolver=content_fields.update_author)


schema = strawberry.Schema(query=Query, mutation=Mutation, types=[Category, Tag])
