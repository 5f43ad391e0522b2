"""GraphQL over HTTP: status codes, media types, CSRF, CORS, and the limits a document
must keep, each refused before it runs. After every hostile request the server still
answers a normal query."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import get_introspection_query
from sqlmodel import select
from starlette.testclient import TestClient

import models
from app.gateway.limits import Limits, analyse, check
from app.popularity import recorder
from app.settings import Settings
from resolvers.schema import schema
from resolvers.types.node import encode_id
from scripts import bench_queries
from tests.factories import make_api_key, make_article

GRAPHQL_RESPONSE = "application/graphql-response+json"
ARTICLES = "{ articles(first: 1) { totalCount } }"
PREFLIGHT = {"GraphQL-Require-Preflight": "1"}


def still_serves(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": ARTICLES})
    assert response.status_code == 200, response.text
    assert "totalCount" in response.json()["data"]["articles"]


def error_of(response) -> dict[str, Any]:
    error: dict[str, Any]
    (error,) = response.json()["errors"]
    return error


# --- media types and status codes -------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ articles(first: 1) { totalCount ", {}, "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", {}, "GRAPHQL_VALIDATION_FAILED"),
        ("query ($n: Int!) { articles(first: $n) { totalCount } }", {"n": "x"}, "BAD_USER_INPUT"),
    ],
)
def test_request_errors_are_400_in_graphql_response_json_and_200_in_json(
    client, query, variables, code
):
    body = {"query": query, "variables": variables}
    modern = client.post("/graphql", json=body, headers={"accept": GRAPHQL_RESPONSE})
    assert modern.status_code == 400
    assert modern.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert "data" not in modern.json()  # the request did not run
    assert error_of(modern)["extensions"]["code"] == code
    legacy = client.post("/graphql", json=body, headers={"accept": "application/json"})
    assert legacy.status_code == 200
    assert legacy.headers["content-type"] == "application/json; charset=utf-8"
    assert error_of(legacy)["extensions"]["code"] == code
    still_serves(client)


def test_field_errors_are_200_with_data_in_graphql_response_json(client):
    query = '{ article(id: "QXJ0aWNsZToxMjM0NQ==") { title } articles { totalCount } }'
    response = client.post("/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 200
    assert response.json()["data"] == {"article": None, "articles": {"totalCount": 0}}


def test_graphql_response_json_is_preferred_when_accepted(client):
    accept = f"application/json;q=0.9, {GRAPHQL_RESPONSE}"
    response = client.post("/graphql", json={"query": ARTICLES}, headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)


def test_an_unacceptable_media_type_is_406(client):
    response = client.post("/graphql", json={"query": ARTICLES}, headers={"accept": "text/csv"})
    assert response.status_code == 406
    assert error_of(response)["extensions"] == {"code": "NOT_ACCEPTABLE"}
    still_serves(client)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_naming_the_allowed_ones(client, method):
    response = client.request(method, "/graphql", json={"query": ARTICLES})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert error_of(response)["extensions"] == {"code": "METHOD_NOT_ALLOWED"}
    still_serves(client)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"query": "{ articles { totalCount } }"', "The body is not valid JSON."),
        (b"", "The body is not valid JSON."),
        (b'"{ articles { totalCount } }"', "The body must be a JSON object."),
        (b"{}", "`query` must be a non-empty string."),
        (b'{"query": 42}', "`query` must be a non-empty string."),
        (b'{"query": "{ __typename }", "variables": [1]}', "`variables` must be a JSON object."),
        (b'{"query": "{ __typename }", "extensions": "x"}', "`extensions` must be a JSON object."),
        (b'{"query": "{ __typename }", "operationName": 7}', "`operationName` must be a string."),
        (b'[{"query": "{ __typename }"}]', "Batched requests are not enabled."),
    ],
)
def test_malformed_requests_are_400(client, body, message):
    headers = {"content-type": "application/json"}
    response = client.post("/graphql", content=body, headers=headers)
    assert response.status_code == 400
    assert error_of(response) == {"message": message, "extensions": {"code": "BAD_REQUEST"}}
    still_serves(client)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"query": "query A { __typename } query B { __typename }"},
            "The document must hold one operation, or name one in `operationName`.",
        ),
        (
            {"query": "query A { __typename }", "operationName": "Nope"},
            "The document has no operation named 'Nope'.",
        ),
        (
            {"query": "fragment F on Query { __typename }"},
            "The document must hold one operation, or name one in `operationName`.",
        ),
        (
            {"query": "subscription { articles }"},
            "The subscription operation is not supported by the schema.",
        ),
    ],
)
def test_documents_without_one_operation_to_run_are_validation_errors(client, body, message):
    response = client.post("/graphql", json=body, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    error = error_of(response)
    assert (error["message"], error["extensions"]) == (
        message,
        {"code": "GRAPHQL_VALIDATION_FAILED"},
    )
    still_serves(client)


def test_get_runs_the_named_query_of_a_document_that_also_holds_a_mutation(client):
    document = 'query A { __typename } mutation B { recordView(articleId: "x") { counted } }'
    for name, status in (("A", 200), ("B", 405)):
        params = {"query": document, "operationName": name}
        assert client.get("/graphql", params=params, headers=PREFLIGHT).status_code == status


def test_get_with_malformed_variables_is_400(client):
    params = {"query": ARTICLES, "variables": "{nope"}
    response = client.get("/graphql", params=params, headers=PREFLIGHT)
    assert response.status_code == 400
    assert error_of(response)["message"] == "`variables` is not valid JSON."


def test_get_runs_queries_with_variables(client):
    params = {
        "query": "query ($n: Int!) { articles(first: $n) { totalCount } }",
        "variables": '{"n": 1}',
    }
    response = client.get("/graphql", params=params, headers=PREFLIGHT)
    assert response.json() == {"data": {"articles": {"totalCount": 0}}}


async def test_mutation_over_get_is_405_and_writes_nothing(client, session):
    article = await make_article(session)
    query = (
        f'mutation {{ recordView(articleId: "{encode_id("Article", article.id)}") {{ counted }} }}'
    )
    response = client.get("/graphql", params={"query": query}, headers=PREFLIGHT)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    async with session() as s:
        assert (await s.exec(select(models.Article.view_count))).one() == 0


# --- CSRF and CORS -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_posts_a_form_could_send_are_refused_as_csrf(client, session, content_type):
    article = await make_article(session)
    query = (
        f'mutation {{ recordView(articleId: "{encode_id("Article", article.id)}") {{ counted }} }}'
    )
    response = client.post(
        "/graphql", content=f'{{"query": {query!r}}}', headers={"content-type": content_type}
    )
    assert response.status_code == 400
    assert error_of(response)["extensions"] == {"code": "CSRF_PREVENTED"}
    async with session() as s:
        assert (await s.exec(select(models.Article.view_count))).one() == 0
    still_serves(client)


def test_get_without_a_preflight_header_is_refused_as_csrf(client):
    response = client.get("/graphql", params={"query": ARTICLES})
    assert response.status_code == 400
    assert error_of(response)["extensions"] == {"code": "CSRF_PREVENTED"}
    for header in ("GraphQL-Require-Preflight", "Apollo-Require-Preflight"):
        allowed = client.get("/graphql", params={"query": ARTICLES}, headers={header: "1"})
        assert allowed.status_code == 200, header
    # Credentials need a preflight too: past the CSRF check, this key is checked (and unknown).
    keyed = client.get("/graphql", params={"query": ARTICLES}, headers={"X-API-Key": "ng_x"})
    assert error_of(keyed)["extensions"] == {"code": "UNAUTHENTICATED"}


def test_post_of_another_content_type_is_415(client):
    response = client.post(
        "/graphql", content=b"<query/>", headers={"content-type": "application/xml"}
    )
    assert response.status_code == 415
    assert error_of(response)["extensions"] == {"code": "UNSUPPORTED_MEDIA_TYPE"}


def test_cors_allows_only_the_configured_origins(make_client):
    client = make_client(cors_origins="https://news.example, https://m.news.example")
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    allowed = client.options("/graphql", headers={"origin": "https://m.news.example", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://m.news.example"
    refused = client.options("/graphql", headers={"origin": "https://evil.example", **preflight})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    simple = client.post(
        "/graphql", json={"query": ARTICLES}, headers={"origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in simple.headers
    # With no origins configured, no cross-origin call is allowed.
    closed = make_client()
    refused = closed.options("/graphql", headers={"origin": "https://m.news.example", **preflight})
    assert refused.status_code == 405
    assert "access-control-allow-origin" not in refused.headers


# --- size limits -------------------------------------------------------------------------


def test_body_over_the_limit_is_413(make_client):
    client = make_client(max_body_bytes=1_000)
    padded = {"query": ARTICLES + " " * 1_000}
    response = client.post("/graphql", json=padded)
    assert response.status_code == 413
    error = error_of(response)
    assert error["extensions"] == {"code": "LIMIT_EXCEEDED"}
    assert "NEWSGATE_MAX_BODY_BYTES" in error["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        yield b'{"query": "'
        for _ in range(100):
            yield b" " * 100
        yield b'{ __typename }"}'

    streamed = client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    still_serves(client)


def test_variables_over_the_limit_are_413(make_client):
    client = make_client(max_variables_bytes=100)
    query = "query ($q: String!) { search(query: $q) { edges { score } } }"
    response = client.post("/graphql", json={"query": query, "variables": {"q": "x" * 200}})
    assert response.status_code == 413
    assert "NEWSGATE_MAX_VARIABLES_BYTES" in error_of(response)["message"]
    still_serves(client)


# --- document limits ---------------------------------------------------------------------

DEEP = "{ articles { edges { node { author { articles { edges { node { title } } } } } } } }"


@pytest.mark.parametrize(
    ("settings", "query", "setting", "value"),
    [
        ({"max_depth": 7}, DEEP, "NEWSGATE_MAX_DEPTH", 8),
        (
            {"max_aliases": 2},
            "{ a: articles { totalCount } b: articles { totalCount } c: __typename }",
            "NEWSGATE_MAX_ALIASES",
            3,
        ),
        ({"max_tokens": 12}, DEEP, "NEWSGATE_MAX_TOKENS", 13),
        (
            {"max_directives_per_field": 1},
            "query ($x: Boolean!) { __typename @include(if: $x) @skip(if: false) }",
            "NEWSGATE_MAX_DIRECTIVES_PER_FIELD",
            2,
        ),
        (
            # articles 1; edges, node, related 100 each; 1,000 related authors and their names
            {"max_cost": 2_000},
            "{ articles(first: 100) { edges { node { related(first: 10) { author { name } } } } } }",  # noqa: E501
            "NEWSGATE_MAX_COST",
            1 + 100 + 100 + 100 + 1_000 + 1_000,
        ),
    ],
)
def test_documents_over_a_limit_are_refused_naming_it(make_client, settings, query, setting, value):
    client = make_client(**settings)
    response = client.post("/graphql", json={"query": query, "variables": {"x": True}})
    assert response.status_code == 200  # application/json: a request error, as the spec says
    error = error_of(response)
    assert "data" not in response.json()
    limit = next(iter(settings.values()))
    assert error["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": setting,
        "value": value,
        "max": limit,
    }
    assert setting in error["message"]
    modern = client.post("/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE})
    assert modern.status_code == 400
    still_serves(client)


def test_cost_counts_first_from_variables_and_fragments(make_client):
    client = make_client(max_cost=200)
    query = """query ($n: Int!) { articles(first: $n) { ...page } }
      fragment page on ArticleConnection { edges { node { title } } }"""
    small = client.post("/graphql", json={"query": query, "variables": {"n": 10}})
    assert "errors" not in small.json()
    big = client.post("/graphql", json={"query": query, "variables": {"n": 100}})
    assert error_of(big)["extensions"]["value"] == 1 + 100 + 100 + 100


async def test_a_mutation_over_a_limit_writes_nothing(make_client, session):
    client = make_client(max_aliases=1)
    article = await make_article(session)
    gid = encode_id("Article", article.id)
    query = f'mutation {{ a: recordView(articleId: "{gid}") {{ counted }} b: recordView(articleId: "{gid}") {{ counted }} }}'  # noqa: E501
    response = client.post("/graphql", json={"query": query})
    assert error_of(response)["extensions"]["code"] == "LIMIT_EXCEEDED"
    async with session() as s:
        assert (await s.exec(select(models.Article.view_count))).one() == 0


def test_fragment_cycles_are_a_validation_error_not_a_hang(client):
    query = "{ articles { ...a } } fragment a on ArticleConnection { ...b } fragment b on ArticleConnection { ...a }"  # noqa: E501
    response = client.post("/graphql", json={"query": query})
    assert error_of(response)["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    still_serves(client)


def test_the_defaults_admit_the_projects_own_documents():
    """The limits' defaults must never refuse what the site's pages send."""
    documents = [
        bench_queries.POPULAR,
        bench_queries.TRENDING,
        bench_queries.FRONT_PAGE,
        bench_queries.ARTICLE_PAGE,
        bench_queries.NESTED,
        bench_queries.SEARCH,
    ]
    settings = Settings()
    for query in documents:
        document = analyse(schema._schema, query, None, settings.max_tokens)
        check(schema._schema, document, {}, Limits.from_settings(settings))


# --- introspection, suggestions, GraphiQL ------------------------------------------------


def test_introspection_and_suggestions_are_on_in_development(client):
    response = client.post("/graphql", json={"query": get_introspection_query()})
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    typo = client.post("/graphql", json={"query": "{ artcles { totalCount } }"})
    assert "Did you mean 'articles'" in error_of(typo)["message"]


def test_introspection_suggestions_and_graphiql_are_off_in_production(make_client):
    client = make_client(env="production")
    response = client.post("/graphql", json={"query": get_introspection_query()})
    assert error_of(response)["extensions"] == {"code": "INTROSPECTION_DISABLED"}
    nested = client.post("/graphql", json={"query": '{ __type(name: "Article") { name } }'})
    assert error_of(nested)["extensions"] == {"code": "INTROSPECTION_DISABLED"}
    typo = client.post("/graphql", json={"query": "{ artcles { totalCount } }"})
    assert error_of(typo)["message"] == "Cannot query field 'artcles' on type 'Query'."
    assert client.post("/graphql", json={"query": "{ __typename }"}).json() == {
        "data": {"__typename": "Query"}
    }
    ide = client.get("/graphql", headers={"accept": "text/html"})
    assert ide.status_code == 404
    still_serves(client)


# --- batching ----------------------------------------------------------------------------


def test_batches_run_when_enabled_up_to_the_limit(make_client):
    client = make_client(max_batch=2)
    batch = [{"query": ARTICLES}, {"query": "{ __typename }"}]
    response = client.post("/graphql", json=batch)
    assert response.json() == [
        {"data": {"articles": {"totalCount": 0}}},
        {"data": {"__typename": "Query"}},
    ]
    over = client.post("/graphql", json=[*batch, {"query": ARTICLES}])
    assert over.status_code == 400
    assert "NEWSGATE_MAX_BATCH" in error_of(over)["message"]


# --- time budget -------------------------------------------------------------------------


async def test_a_request_over_its_time_budget_is_stopped_and_its_writes_undone(
    make_client, session, monkeypatch
):
    client = make_client(request_timeout_seconds=0.3, view_flush_ms=0)
    article = await make_article(session)
    read_back = recorder._read_back

    async def slow_read_back(*args: Any) -> Any:  # after the counts are written, not committed
        await asyncio.sleep(5)
        return await read_back(*args)

    monkeypatch.setattr(recorder, "_read_back", slow_read_back)
    query = "mutation ($v: [ViewInput!]!) { recordViews(views: $v) { counted } }"
    views = [{"articleId": encode_id("Article", article.id)}] * 3
    key = await make_api_key(session, "views:write")
    response = client.post(
        "/graphql",
        json={"query": query, "variables": {"v": views}},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 504
    error = error_of(response)
    assert error["extensions"] == {"code": "TIMEOUT"}
    assert "NEWSGATE_REQUEST_TIMEOUT_SECONDS" in error["message"]
    async with session() as s:
        assert (await s.exec(select(models.Article.view_count))).one() == 0
        assert (await s.exec(select(models.ArticleViewBucket))).all() == []
    monkeypatch.setattr(recorder, "_read_back", read_back)
    still_serves(client)


def test_a_query_padded_with_comments_is_413(make_client):
    """Comments are not tokens: the query's length has a limit of its own."""
    client = make_client(max_query_bytes=1_000)
    padded = "# " + "x" * 1_000 + "\n" + ARTICLES
    response = client.post("/graphql", json={"query": padded})
    assert response.status_code == 413
    assert "NEWSGATE_MAX_QUERY_BYTES" in error_of(response)["message"]
    still_serves(client)
