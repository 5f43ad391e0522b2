"""The GraphQL schema: root fields assembled from the modules beside this one."""

import logging
import uuid
from typing import Any

import graphql
import strawberry
from graphql import ExecutionResult, GraphQLError
from strawberry.execution import optimized_is_awaitable

from app.context import Context
from app.errors import UserError
from app.limits import Document, analyse
from app.search import CANDIDATES
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

logger = logging.getLogger("newsgate.errors")


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


async def execute(
    document: Document,
    variables: dict[str, Any],
    context: Context,
    operation_name: str | None = None,
) -> ExecutionResult:
    """Run a document that app.limits.analyse has parsed and validated.

    graphql-core runs it with Strawberry's resolvers, as Strawberry's Schema.execute
    would; that one would also look the document up again in its parse and validation
    caches, through extension hooks that cost a tenth of a `recordView` request's CPU.
    """
    if document.errors:
        return ExecutionResult(None, list(document.errors))
    result = graphql.execute(
        schema._schema,
        document.node,
        variable_values=variables,
        context_value=context,
        operation_name=operation_name,
        executor_class=schema.execution_context_class,
        # Strawberry's check, with a fast path for plain values, typed as a plain bool.
        is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
    )
    if not isinstance(result, ExecutionResult):
        result = await result
    if result.errors:
        result.errors = [_coded(error) for error in result.errors]
    return result


async def run(
    query: str,
    context: Context,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> ExecutionResult:
    """Run a document from its text, without the HTTP endpoint's checks (for tests and
    scripts)."""
    try:
        document = analyse(schema._schema, query, operation_name, context.settings.max_tokens)
    except GraphQLError as error:
        return ExecutionResult(None, [error])
    return await execute(document, variables or {}, context, operation_name)


def _coded(error: GraphQLError) -> GraphQLError:
    """The error with a stable `extensions.code`; an unexpected one masked and logged."""
    original = error.original_error
    if isinstance(original, UserError):
        return error
    # Without a path the error is about the variables: the client's.
    if error.path is None and (original is None or isinstance(original, GraphQLError)):
        error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        return error
    error_id = uuid.uuid4().hex
    logger.error("error %s at %s: %s", error_id, error.path, error.message, exc_info=original)
    return GraphQLError(
        "Internal server error",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    )
