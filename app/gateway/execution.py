"""Running a checked document against the schema: error codes, and masking of the unexpected."""

from typing import Any

from graphql import ExecutionResult, GraphQLError
from strawberry.execution import optimized_is_awaitable

from app.context import Context
from app.db import is_unavailable
from app.errors import UNAVAILABLE_CODE, UNAVAILABLE_MESSAGE, UserError, log_unexpected
from app.gateway.compiled import Run, plan_for
from app.gateway.limits import Document, analyse
from resolvers.schema import schema


async def execute(
    document: Document,
    variables: dict[str, Any],
    context: Context,
    operation_name: str | None = None,
    planned: bool = True,
) -> ExecutionResult:
    """Run a document that app.gateway.limits.analyse has parsed and validated.

    A query, or a mutation of one root field, runs by its plan (app/gateway/compiled.py);
    anything else, or with `planned` False, runs on graphql-core's executor with
    Strawberry's resolvers, as Strawberry's Schema.execute would (that one would also
    look the document up again in its parse and validation caches, through extension
    hooks that cost a tenth of a `recordView` request's CPU).
    """
    if document.errors:
        return ExecutionResult(None, list(document.errors))
    executor = schema.execution_context_class.build(
        schema._schema,
        document.node,
        context_value=context,
        raw_variable_values=variables,
        operation_name=operation_name,
        # Strawberry's check, with a fast path for plain values, typed as a plain bool.
        is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
    )
    if isinstance(executor, list):  # the variables do not fit their definitions
        result = ExecutionResult(None, executor)
    else:
        try:
            result = await _run(executor, document, context, planned)
        finally:
            # graphql-core's execution context holds its own bound methods (async_helpers):
            # left in that cycle, it kept the request's context, loaders and rows for the
            # cycle collector, which then took a third of the CPU of a front page.
            del executor.async_helpers
    if result.errors:
        result.errors = [_coded(error) for error in result.errors]
    return result


async def _run(
    executor: Any, document: Document, context: Context, planned: bool
) -> ExecutionResult:
    if planned and (plan := plan_for(document, executor)) is not None:
        context.selected = plan.selected
        context.loaders.article_columns = plan.articles
        context.loaders.related_article_columns = plan.related_articles
        return await Run(executor, plan).execute()
    outcome: Any = executor.execute_operation()
    if not isinstance(outcome, ExecutionResult):
        outcome = await outcome
    assert isinstance(outcome, ExecutionResult), "no @defer or @stream in this schema"
    return outcome


async def run(
    query: str,
    context: Context,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    planned: bool = True,
) -> ExecutionResult:
    """Run a document from its text, without the HTTP endpoint's checks (for tests and
    scripts)."""
    try:
        document = analyse(schema._schema, query, operation_name, context.settings.max_tokens)
    except GraphQLError as error:
        return ExecutionResult(None, [error])
    return await execute(document, variables or {}, context, operation_name, planned)


def _coded(error: GraphQLError) -> GraphQLError:
    """The error with a stable `extensions.code`; an unexpected one masked and logged."""
    original = error.original_error
    if isinstance(original, UserError):
        return error
    # Without a path the error is about the variables: the client's.
    if error.path is None and (original is None or isinstance(original, GraphQLError)):
        error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        return error
    if original is not None and is_unavailable(original):
        return GraphQLError(
            UNAVAILABLE_MESSAGE,
            nodes=error.nodes,
            path=error.path,
            extensions={"code": UNAVAILABLE_CODE},
        )
    error_id = log_unexpected(original, error.path, error.message)
    return GraphQLError(
        "Internal server error",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    )
