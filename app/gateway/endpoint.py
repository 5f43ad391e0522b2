"""GraphQL over HTTP at /graphql, after the GraphQL-over-HTTP specification
(https://graphql.github.io/graphql-over-http/draft/).

A request is refused before anything runs when: its credentials do not hold (401), its
caller is over the rate limit (429), its answer cannot be accepted (406), its method is
other than GET or POST (405), a browser could have sent it from another site without a
preflight (CSRF, 400), its body is over the size limit (413), it is a POST that is not
JSON (415), its JSON or parameters are malformed (400), it is a mutation over GET (405),
or its document is over a limit (see app/gateway/limits.py). The caller and its budget
come first, so that every refusal carries the RateLimit headers.

A query from a caller who sees published content only is answered from the response
cache when it can be (app/gateway/cache): no statement, no execution.

Responses are `application/graphql-response+json` when the client accepts it, with the
specification's status codes: 400 when the request did not run (a document or variables
that do not validate), 200 once it ran. Otherwise they are `application/json`, with 200
for every GraphQL result, as older clients expect.
"""

import asyncio
import re
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import orjson
from graphql import ExecutionResult, GraphQLError, OperationType
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.callers import Caller
from app.context import Context
from app.db import is_unavailable
from app.errors import RETRY_AFTER_SECONDS, UNAVAILABLE_CODE, UNAVAILABLE_MESSAGE, Unauthenticated
from app.gateway import graphiql, limits
from app.gateway.auth import anonymous, authenticate
from app.gateway.cache import Outcome, ResponseCache, http
from app.gateway.cache.store import Entry
from app.gateway.execution import execute
from app.gateway.limits import Document
from app.gateway.persisted import sha256
from app.gateway.ratelimit import Policy
from app.gateway.request import GraphQLRequest
from app.ops import metrics, record
from app.settings import Settings
from app.visibility import sees_unpublished
from resolvers.schema import schema

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

# Content types a browser's <form> may send to another site without asking first.
SIMPLE_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
# Headers a browser sends to another site only after a CORS preflight has allowed them.
PREFLIGHT_HEADERS = (
    "graphql-require-preflight",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "authorization",
    "x-api-key",
)
# graphql-core suggests field and type names in errors: a map of the schema, in production.
SUGGESTION = re.compile(r" Did you mean .*\?$")

# The status of a response without data whose first error has one of these codes.
STATUS_OF_CODE = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "TIMEOUT": 504}
RETRY = {"Retry-After": str(RETRY_AFTER_SECONDS)}  # with SERVICE_UNAVAILABLE (503)
QUERY = OperationType.QUERY


class RequestError(Exception):
    """A request refused before (or instead of) running: its HTTP status and error code."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.headers = status, code, headers or {}


@dataclass(frozen=True)
class Params:
    query: str | None  # None: a persisted query, by its hash
    variables: dict[str, Any]
    operation_name: str | None
    extensions: dict[str, Any]


class GraphQLEndpoint:
    """The ASGI app behind /graphql."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limits = limits.Limits.from_settings(settings)
        self.anonymous_policy = Policy(settings.rate_limit_anonymous_per_minute)
        self.client_policy = Policy(settings.rate_limit_client_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = GraphQLRequest(scope, receive)
        accepted = _response_media_type(request.fields.get("accept"))
        media_type = accepted or JSON
        headers: dict[str, str] = {}  # the caller's rate limit budget, on every response
        try:
            caller = await self._admit(request, headers)
            if accepted is None:
                raise RequestError(
                    406, "NOT_ACCEPTABLE", f"This endpoint answers in {GRAPHQL_RESPONSE} or {JSON}."
                )
            response: ASGIApp = await self._respond(request, caller, media_type, headers)
        except RequestError as error:
            body = {"errors": [{"message": str(error), "extensions": {"code": error.code}}]}
            response = _json(body, error.status, media_type, {**error.headers, **headers})
        await response(scope, receive, send)

    async def _admit(self, request: GraphQLRequest, headers: dict[str, str]) -> Caller:
        """The caller, once it has spent a request of its budget. Every request spends one
        before anything else is checked, so that every answer, a refusal too, can show the
        caller's budget."""
        try:
            caller = await authenticate(
                request, self.settings, request.state.reads, request.state.sessionmaker
            )
        except Unauthenticated as error:
            # Guessing keys spends the address's budget.
            await self._spend(request, anonymous(request), 1, headers)
            raise RequestError(
                401, error.code, str(error), {"WWW-Authenticate": "Bearer"}
            ) from None
        except Exception as error:  # looking an API key up needs the database
            if is_unavailable(error):
                raise RequestError(503, UNAVAILABLE_CODE, UNAVAILABLE_MESSAGE, RETRY) from None
            raise
        record.note_caller(caller.identity)
        await self._spend(request, caller, 1, headers)
        return caller

    async def _respond(
        self, request: GraphQLRequest, caller: Caller, media_type: str, headers: dict[str, str]
    ) -> ASGIApp:
        if request.method not in ("GET", "POST"):
            raise RequestError(
                405, "METHOD_NOT_ALLOWED", "Use GET or POST.", {"Allow": "GET, POST"}
            )
        if _wants_ide(request):
            if self.settings.env != "development":
                raise RequestError(404, "NOT_FOUND", "GraphiQL is off in production.")
            return graphiql.page(headers=headers)
        if _could_come_from_another_site(request):
            raise RequestError(
                400,
                "CSRF_PREVENTED",
                "This request could have been sent by another site (cross-site request "
                "forgery). Send a JSON POST, or a GraphQL-Require-Preflight header.",
            )
        payload = await self._read(request)
        if isinstance(payload, list):
            if not self.settings.max_batch:
                raise RequestError(400, "BAD_REQUEST", "Batched requests are not enabled.")
            if len(payload) > self.settings.max_batch:
                raise RequestError(
                    400,
                    "LIMIT_EXCEEDED",
                    f"The batch holds {len(payload)} operations, over the limit of "
                    f"{self.settings.max_batch} (NEWSGATE_MAX_BATCH).",
                )
            # Each operation costs a request.
            await self._spend(request, caller, len(payload) - 1, headers)
            results = await asyncio.gather(
                *(self._run(request, caller, self._params(item)) for item in payload)
            )
            return _json([outcome.body for outcome in results], 200, media_type, headers)
        params = self._params(payload)
        cache: ResponseCache | None = request.state.cache
        if cache is not None and not sees_unpublished(caller):
            return await self._cached(request, caller, params, media_type, headers, cache)
        if request.method == "GET":
            headers["Cache-Control"] = "no-store"  # an editor's, or the cache is off
        outcome = await self._run(request, caller, params)
        return _answer(outcome, media_type, headers)

    async def _cached(
        self,
        request: GraphQLRequest,
        caller: Caller,
        params: Params,
        media_type: str,
        headers: dict[str, str],
        cache: ResponseCache,
    ) -> ASGIApp:
        """The answer from the response cache (app/gateway/cache), or run and kept there."""
        digest = _document_key(params)
        if digest is None:  # a hash that is not its query's: the run refuses it
            return _answer(await self._run(request, caller, params), media_type, headers)
        key = cache.key(digest, params.operation_name, params.variables)

        def served(entry: Entry, result: str) -> ASGIApp:
            return self._from_cache(request, caller, params, entry, result, media_type, headers)

        entry = await cache.get(key)
        if entry is not None and entry.fresh:  # only queries are kept
            return served(entry, "hit")
        document = await self._prepare(request, params)
        if isinstance(document, Outcome):
            return _answer(document, media_type, headers)
        assert document.operation is not None  # else _prepare refused it
        if document.operation.operation is not QUERY:  # each mutation runs
            return _answer(
                await self._execute(request, caller, params, document), media_type, headers
            )
        run = partial(self._execute, request, caller, params, document, cached=True)
        if entry is not None and cache.can_revalidate(entry):
            cache.revalidate(key, run)
            return served(entry, "stale")
        try:
            filled = await cache.fill(key, run)
        except Exception as error:
            if entry and is_unavailable(error) and cache.can_serve_on_error(entry):
                return served(entry, "stale")
            raise
        if filled.entry is not None:
            return served(filled.entry, "miss")
        assert filled.outcome is not None
        if entry and _unavailable(filled.outcome.body) and cache.can_serve_on_error(entry):
            return served(entry, "stale")
        _note_cache(params.operation_name, "miss")
        headers["X-Cache"] = "MISS"
        if request.method == "GET":
            headers["Cache-Control"] = "no-store"  # errors, or nothing a cache may keep
        return _answer(filled.outcome, media_type, headers)

    async def _spend(
        self, request: Request, caller: Caller, cost: int, headers: dict[str, str]
    ) -> None:
        """Take `cost` requests from the caller's budget; RATE_LIMITED (429) when it is spent."""
        policy = self.anonymous_policy if caller.anonymous else self.client_policy
        budget = await request.state.buckets.take(caller.identity, policy, cost)
        headers.update(budget.headers())
        if not budget.allowed:
            metrics.RATE_LIMITED.labels("anonymous" if caller.anonymous else "client").inc()
            raise RequestError(
                429,
                "RATE_LIMITED",
                f"Too many requests: {policy.per_minute} a minute are allowed, in bursts of "
                f"up to {policy.burst}. Retry in {headers['Retry-After']} s.",
            )

    async def _read(self, request: GraphQLRequest) -> Any:
        """The request's parameters: the query string of a GET, the JSON body of a POST."""
        limit = self.settings.max_body_bytes
        if request.method == "GET":
            if len(request.url.query) > limit:
                raise _too_large("query string", limit)
            fields = dict(request.query_params)
            for name in ("variables", "extensions"):
                if name in fields:
                    fields[name] = _loads(fields[name], f"`{name}`")
            return fields
        if _content_type(request) != JSON:
            raise RequestError(415, "UNSUPPORTED_MEDIA_TYPE", f"Send the request as {JSON}.")
        declared = request.fields.get("content-length", "0")
        if not declared.isdigit():
            raise RequestError(400, "BAD_REQUEST", "Content-Length is not a number.")
        if int(declared) > limit:
            raise _too_large("body", limit)
        # ASGI's messages read as they come (a body may come without Content-Length):
        # Starlette's stream() is an async generator around the same loop.
        body = bytearray()
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            body += message.get("body", b"")
            if len(body) > limit:
                raise _too_large("body", limit)
            if not message.get("more_body", False):
                return _loads(body, "The body")

    def _params(self, payload: Any) -> Params:
        if not isinstance(payload, dict):
            raise RequestError(400, "BAD_REQUEST", "The body must be a JSON object.")
        query, variables = payload.get("query"), payload.get("variables") or {}
        operation_name, extensions = payload.get("operationName"), payload.get("extensions") or {}
        if not (isinstance(query, str) and query) and not (
            query is None and isinstance(extensions, dict) and "persistedQuery" in extensions
        ):
            raise RequestError(400, "BAD_REQUEST", "`query` must be a non-empty string.")
        if not isinstance(variables, dict):
            raise RequestError(400, "BAD_REQUEST", "`variables` must be a JSON object.")
        if not isinstance(extensions, dict):
            raise RequestError(400, "BAD_REQUEST", "`extensions` must be a JSON object.")
        if operation_name is not None and not isinstance(operation_name, str):
            raise RequestError(400, "BAD_REQUEST", "`operationName` must be a string.")
        # Parsed documents are cached by their text: a long one (padded with comments,
        # which are not tokens) would fill memory.
        if query is not None and len(query) > self.settings.max_query_bytes:
            raise RequestError(
                413,
                "LIMIT_EXCEEDED",
                f"The query takes {len(query)} characters, over the limit of "
                f"{self.settings.max_query_bytes} (NEWSGATE_MAX_QUERY_BYTES).",
            )
        size = len(orjson.dumps(variables))
        if size > self.settings.max_variables_bytes:
            raise RequestError(
                413,
                "LIMIT_EXCEEDED",
                f"The variables take {size} bytes, over the limit of "
                f"{self.settings.max_variables_bytes} (NEWSGATE_MAX_VARIABLES_BYTES).",
            )
        return Params(query, variables, operation_name, extensions)

    async def _run(self, request: Request, caller: Caller, params: Params) -> Outcome:
        """The response body, and whether the operation ran."""
        document = await self._prepare(request, params)
        if isinstance(document, Outcome):
            return document
        return await self._execute(request, caller, params, document)

    async def _prepare(self, request: Request, params: Params) -> Document | Outcome:
        """The checked document to run, or the answer refusing it."""
        graphql_schema = schema._schema
        try:
            query = await request.state.persisted.query(params.query, params.extensions)
            misses = limits.analyse.cache_info().misses
            document = limits.analyse(
                graphql_schema, query, params.operation_name, self.limits.max_tokens
            )
            missed = limits.analyse.cache_info().misses != misses
            metrics.DOCUMENTS.labels("miss" if missed else "hit").inc()
            operation = document.operation
            if operation is None:
                raise GraphQLError(
                    f"The document has no operation named {params.operation_name!r}."
                    if params.operation_name
                    else "The document must hold one operation, or name one in `operationName`.",
                    extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
                )
            record.note_operation(operation.name.value if operation.name else None)
            if request.method == "GET" and operation.operation is not OperationType.QUERY:
                raise RequestError(
                    405, "METHOD_NOT_ALLOWED", "Send mutations with POST.", {"Allow": "POST"}
                )
            limits.check(graphql_schema, document, params.variables, self.limits)
        except GraphQLError as error:
            return Outcome(self._body(ExecutionResult(None, [error])), False)
        return document

    async def _execute(
        self,
        request: Request,
        caller: Caller,
        params: Params,
        document: Document,
        cached: bool = False,
    ) -> Outcome:
        """Run a checked document: its body, whether it ran and, when `cached`, for how
        long and under which tags the response cache may keep it."""
        state = request.state
        cache: ResponseCache | None = state.cache
        context = Context(
            sessionmaker=state.sessionmaker,
            reads=state.reads,
            views=state.views,
            caller=caller,
            settings=self.settings,
            request=request,
            cache_tags=set() if cached else None,
            invalidate=cache.invalidate if cache else None,
        )
        try:
            async with asyncio.timeout(self.settings.request_timeout_seconds):
                result = await execute(document, params.variables, context, params.operation_name)
        except TimeoutError:
            timeout = GraphQLError(
                f"The request took over {self.settings.request_timeout_seconds:g} s and was "
                "stopped; a transaction it had open was rolled back "
                "(NEWSGATE_REQUEST_TIMEOUT_SECONDS).",
                extensions={"code": "TIMEOUT"},
            )
            return Outcome(self._body(ExecutionResult(None, [timeout])), True)
        # Errors without a path stopped the request before it ran: its document or variables.
        ran = result.data is not None or any(e.path for e in result.errors or ())
        body = self._body(result, include_data=ran)
        if context.cache_tags is None or result.errors:
            return Outcome(body, ran)
        operation = document.operation
        name = operation.name.value if operation and operation.name else None
        return Outcome(body, ran, document.max_age, frozenset(context.cache_tags), name)

    def _from_cache(
        self,
        request: GraphQLRequest,
        caller: Caller,
        params: Params,
        entry: Entry,
        result: str,
        media_type: str,
        headers: dict[str, str],
    ) -> ASGIApp:
        """A cached answer, with what HTTP caches need to keep it (GET requests): how long,
        for whom, its validator and its tags; 304 when the client holds it already."""
        if params.operation_name:  # else a miss noted the document's own
            record.note_operation(params.operation_name)
        _note_cache(params.operation_name, result)
        headers["X-Cache"], headers["Age"] = result.upper(), str(int(entry.age))
        if request.method == "GET":  # HTTP caches keep GETs only
            headers.update(http.headers(entry, caller.anonymous, self.settings))
            if http.held(request.fields.get("if-none-match", ""), entry.etag):
                return http.NotModified(headers)
        return JSONAnswer(entry.body, 200, CONTENT_TYPES[media_type], headers)

    def _body(self, result: ExecutionResult, include_data: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"data": result.data} if include_data else {}
        if result.errors:
            body["errors"] = [self._error(error) for error in result.errors]
        return body

    def _error(self, error: GraphQLError) -> dict[str, Any]:
        formatted: dict[str, Any] = error.formatted  # type: ignore[assignment]
        if self.settings.env != "development":
            formatted["message"] = SUGGESTION.sub("", formatted["message"])
        return formatted


def _answer(outcome: Outcome, media_type: str, headers: dict[str, str]) -> "JSONAnswer":
    """A GraphQL response with the specification's status for what became of the run."""
    body = outcome.body
    status = 200 if outcome.ran or media_type == JSON else 400
    if body.get("data") is None and "errors" in body:
        status = STATUS_OF_CODE.get(body["errors"][0].get("extensions", {}).get("code"), status)
    if _unavailable(body):
        status = 503  # even with partial data: the client should retry
        headers.update(RETRY)
    return _json(body, status, media_type, headers)


def _unavailable(body: dict[str, Any]) -> bool:
    """Whether the database could not be reached for the answer."""
    errors = body.get("errors", ())
    return any(e.get("extensions", {}).get("code") == UNAVAILABLE_CODE for e in errors)


def _document_key(params: Params) -> str | None:
    """What names the document in cache keys: its SHA-256, as a persisted query's hash is.
    None when the request gives a hash that is not its query's."""
    persisted = params.extensions.get("persistedQuery")
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if params.query is None:
        return digest if isinstance(digest, str) else None
    own = sha256(params.query)
    return own if digest is None or digest == own else None


_lookups: dict[tuple[str, str], Any] = {}  # the metric's series, by their (bounded) labels


def _note_cache(operation_name: str | None, result: str) -> None:
    labels = (metrics.operation_label(operation_name), result)
    if (counter := _lookups.get(labels)) is None:
        counter = _lookups[labels] = metrics.RESPONSE_CACHE.labels(*labels)
    counter.inc()
    record.note_cache(result)


def _response_media_type(accept: str | None) -> str | None:
    """The media type to answer in: graphql-response+json when accepted, JSON otherwise
    (also when the client says nothing); None when it accepts neither."""
    if not accept:
        return JSON
    accepted = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if GRAPHQL_RESPONSE in accepted:
        return GRAPHQL_RESPONSE
    if accepted & {JSON, "application/*", "*/*", "text/html"}:
        return JSON
    return None


def _wants_ide(request: GraphQLRequest) -> bool:
    return (
        request.method == "GET"
        and "query" not in request.query_params
        and "text/html" in request.fields.get("accept", "")
    )


def _could_come_from_another_site(request: GraphQLRequest) -> bool:
    """A request a browser sends cross-site without a preflight: a GET, or a POST with a
    form's content type, unless it carries a header only a preflight lets through."""
    fields = request.fields
    if any(fields[name] for name in fields.keys() & PREFLIGHT_HEADERS):
        return False
    if request.method == "GET":
        return True
    return _content_type(request) in SIMPLE_CONTENT_TYPES


def _content_type(request: GraphQLRequest) -> str:
    """The body's media type, without parameters such as `charset`."""
    return request.fields.get("content-type", "").split(";")[0].strip().lower()


def _loads(data: str | bytes | bytearray, what: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise RequestError(400, "BAD_REQUEST", f"{what} is not valid JSON.") from None


def _too_large(what: str, limit: int) -> RequestError:
    return RequestError(
        413,
        "LIMIT_EXCEEDED",
        f"The request's {what} is over the limit of {limit} bytes (NEWSGATE_MAX_BODY_BYTES).",
    )


class JSONAnswer:
    """A JSON response, sent as is: Starlette's Response builds and checks its headers
    for any content, which cost more than the rest of a small answer."""

    def __init__(self, body: bytes, status: int, content_type: bytes, headers: dict[str, str]):
        self.start = {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", b"%d" % len(body)),
                *((_header_name(name), value.encode("latin-1")) for name, value in headers.items()),
            ],
        }
        self.body = {"type": "http.response.body", "body": body}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(self.start)
        await send(self.body)


@cache  # the few names Newsgate sends
def _header_name(name: str) -> bytes:
    return name.lower().encode("latin-1")


CONTENT_TYPES = {
    media_type: f"{media_type}; charset=utf-8".encode() for media_type in (JSON, GRAPHQL_RESPONSE)
}


def _json(body: Any, status: int, media_type: str, headers: dict[str, str]) -> JSONAnswer:
    record.note_errors(body)  # for the request's log line and metrics
    return JSONAnswer(orjson.dumps(body), status, CONTENT_TYPES[media_type], headers)
