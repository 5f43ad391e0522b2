"""Property-based tests: whatever a client sends, the answer is JSON with a status the
GraphQL-over-HTTP specification allows, never an internal error, never a traceback or SQL,
and the server goes on answering.

One test sends documents generated from the schema (hypothesis-graphql): valid ones,
ones with a single schema violation, and ones with characters cut or spliced in, each
with some arguments turned into variables of random values (huge numbers, non-ASCII,
empty, null, the wrong shape), as a reader, an editor or a partner. The other sends
malformed HTTP: methods, bodies, content types, encodings and headers.

`make test` runs a few examples with a fixed seed; NEWSGATE_FUZZ_EXAMPLES raises it
(`NEWSGATE_FUZZ_EXAMPLES=5000 .venv/bin/pytest tests/test_fuzz.py`).
"""

import json
import os
import re
from dataclasses import dataclass
from typing import Any

import graphql
import jwt
import pytest
from graphql import (
    ArgumentNode,
    DocumentNode,
    NameNode,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse_type,
    print_ast,
    value_from_ast_untyped,
    visit,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema
from starlette.testclient import TestClient

from models import ArticleStatus
from models.base import utcnow
from resolvers.schema import schema
from resolvers.types.node import encode_id
from tests.factories import make_api_key, make_article, make_tag

EXAMPLES = int(os.environ.get("NEWSGATE_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples on every run
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SECRET = "a-fuzzing-secret-of-at-least-32-bytes"
GRAPHQL_RESPONSE = "application/graphql-response+json"
# What a message must never show: a traceback, a source file, SQL, a driver's words.
INSIDES = re.compile(
    r"Traceback|File \"|\.py\b|site-packages|\bSELECT\b.*\bFROM\b|\bINSERT INTO\b|"
    r"sqlalchemy|asyncpg|aiosqlite|sqlite3|psycopg|greenlet",
    re.IGNORECASE,
)
# Statuses the specification allows for a GraphQL response with errors and no data
# (request errors), and those of refusals before GraphQL runs (README, "Errors").
REFUSALS = {400, 401, 403, 404, 405, 406, 413, 415, 429, 504}


@dataclass(frozen=True)
class World:
    ids: list[str]
    slugs: list[str]
    headers: list[dict[str, str]]  # a reader's, an editor's, a partner's


@pytest.fixture
async def world(session) -> World:
    """A few rows for generated arguments to find, and the callers to send them as."""
    tag = await make_tag(session, slug="floods")
    articles = [
        await make_article(session, slug="river-floods", title="River floods", tags=[tag]),
        await make_article(session, slug="a-draft", status=ArticleStatus.DRAFT),
        await make_article(session, slug="old-news", status=ArticleStatus.ARCHIVED),
    ]
    ids = [str(encode_id("Article", a.id)) for a in articles]
    ids += [encode_id("Author", articles[0].author_id), encode_id("Tag", tag.id)]
    expires = utcnow().timestamp() + 3600
    claims = {"sub": "fuzz", "iss": "newsgate", "aud": "newsgate", "exp": expires}
    editor = jwt.encode({**claims, "roles": ["editor", "analyst"]}, SECRET, "HS256")
    partner = await make_api_key(session, "views:write content:write")
    headers = [{}, {"Authorization": f"Bearer {editor}"}, {"X-API-Key": partner}]
    return World(ids, ["river-floods", "a-draft", "old-news", "floods"], headers)


@pytest.fixture
def fuzz_client(make_client) -> TestClient:
    client: TestClient = make_client(
        jwt_secret=SECRET,
        max_batch=3,
        response_cache="memory",  # generated documents and variables through it too
        rate_limit_anonymous_per_minute=10**9,
        rate_limit_client_per_minute=10**9,
    )
    return client


def check_answer(response: Any, accept: str) -> None:
    """What every response must be, whatever the request."""
    assert response.status_code != 500, response.text
    assert "ratelimit-remaining" in response.headers  # the caller's budget, on every answer
    if response.status_code == 200 and response.headers["content-type"].startswith("text/html"):
        return  # GraphiQL, for a browser's GET
    body = response.json()
    answers = body if isinstance(body, list) else [body]
    for answer in answers:
        errors = answer.get("errors", [])
        for error in errors:
            assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", error
            assert not INSIDES.search(error["message"]), error["message"]
        if answer.get("data") is not None:
            assert response.status_code == 200, body  # it ran
        elif "data" in answer:  # it ran, and an error nulled everything
            assert response.status_code in {200, *REFUSALS}, body
        else:  # it did not run: 4xx in graphql-response+json, also 200 in plain JSON
            assert errors, body
            assert response.status_code in REFUSALS or accept != GRAPHQL_RESPONSE, body
            assert response.status_code in {200, *REFUSALS}, body


def still_answers(client: TestClient) -> None:
    response = client.post("/graphql", json={"query": "{ articles(first: 1) { totalCount } }"})
    assert response.status_code == 200, response.text
    assert "totalCount" in response.json()["data"]["articles"]


# --- documents from the schema ------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()  # unbounded: past 32 and 64 bits
    | st.sampled_from([2**31, -(2**31) - 1, 2**63, -(2**64), 10**30])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()  # non-ASCII, NUL, empty
    | st.sampled_from(["", " ", "é", "日本語", "\x00", "9" * 40, "1e400", "QXJ0aWNsZToxMjM="]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


def _strings(known: list[str]) -> st.SearchStrategy[graphql.ValueNode]:
    return (st.sampled_from(known) | st.text()).map(lambda s: graphql.StringValueNode(value=s))


@st.composite
def documents(draw: st.DrawFn, world: World) -> tuple[str, dict[str, Any]]:
    """A document and its variables."""
    scalars = {
        # Mostly sizes a page may have, so that documents get past argument checks to the
        # resolvers and loaders; any Int else.
        "Int": (st.integers(1, 100) | st.integers(-(2**31), 2**31 - 1)).map(
            lambda n: graphql.IntValueNode(value=str(n))
        ),
        "ID": _strings(world.ids),
        "String": _strings(world.slugs),
        "DateTime": _strings(["2025-01-01T00:00:00Z", "2025-01-01T00:00:00", "9999-12-31"]),
    }
    mode = draw(st.sampled_from([Mode.POSITIVE, Mode.POSITIVE, Mode.NEGATIVE]))
    document: DocumentNode = draw(
        from_schema(schema._schema, mode=mode, custom_scalars=scalars, print_ast=lambda d: d)
    )
    document, variables = _with_variables(draw, document)
    text = print_ast(document)
    if draw(st.integers(0, 9)) == 0:  # cut or splice: a document that may not parse
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 20)))
        text = text[:start] + draw(st.text(max_size=5)) + text[end:]
    return text, variables


def _with_variables(draw: st.DrawFn, document: DocumentNode) -> tuple[DocumentNode, dict[str, Any]]:
    """Turn some arguments into variables of their declared type, whose values are either
    the argument's own or anything JSON can carry."""
    type_info = TypeInfo(schema._schema)
    definitions: list[VariableDefinitionNode] = []
    values: dict[str, Any] = {}

    class Variables(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> Any:
            argument = type_info.get_argument()
            if argument is None or not draw(st.booleans()):
                return None
            name = f"v{len(definitions)}"
            variable = VariableNode(name=NameNode(value=name))
            definitions.append(
                VariableDefinitionNode(variable=variable, type=parse_type(str(argument.type)))
            )
            # Mostly its own value, so that most documents still run.
            if draw(st.integers(0, 3)):
                values[name] = value_from_ast_untyped(node.value)
            else:
                values[name] = draw(JSON_VALUES)
            return ArgumentNode(name=node.name, value=variable)

    rewritten = visit(document, TypeInfoVisitor(type_info, Variables()))
    operations = [
        OperationDefinitionNode(
            operation=d.operation,
            name=d.name,
            variable_definitions=tuple(definitions),
            directives=d.directives,
            selection_set=d.selection_set,
        )
        for d in rewritten.definitions
        if isinstance(d, OperationDefinitionNode)
    ]
    return DocumentNode(definitions=tuple(operations)), values


@FUZZ
@given(data=st.data())
def test_documents_from_the_schema_never_break_the_server(fuzz_client, world, data):
    text, variables = data.draw(documents(world), label="document")
    headers = dict(data.draw(st.sampled_from(world.headers), label="caller"))
    headers["accept"] = accept = data.draw(st.sampled_from(["application/json", GRAPHQL_RESPONSE]))
    body = json.dumps({"query": text, "variables": variables})  # json: integers of any size
    response = fuzz_client.post(
        "/graphql", content=body, headers={**headers, "content-type": "application/json"}
    )
    check_answer(response, accept)
    still_answers(fuzz_client)


# --- malformed HTTP -----------------------------------------------------------------------

QUERY = {"query": "{ articles(first: 2) { edges { node { title } } } }"}
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON;charset=latin-1",
    "application/json; charset=utf-16",
    "application/graphql",
    "application/graphql-response+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "",
    ";;;",
]
ACCEPTS = [
    "application/json",
    GRAPHQL_RESPONSE,
    f"{GRAPHQL_RESPONSE};q=0.9, application/json",
    "*/*",
    "text/html",
    "text/csv",
    "",
    ",,;q=x",
    "application/*;q=0",
]


def _encoded(body: Any, encoding: str) -> bytes:
    text = json.dumps(body, ensure_ascii=False)
    return text.encode(encoding, errors="replace")


BODIES = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {},
        optional={
            "query": st.sampled_from([QUERY["query"], "", "{", "mutation { x }"]) | JSON_VALUES,
            "variables": JSON_VALUES,
            "operationName": JSON_VALUES,
            "extensions": JSON_VALUES
            | st.just({"persistedQuery": {"version": 1, "sha256Hash": "ab" * 32}}),
        },
    ).map(lambda d: json.dumps(d).encode()),
    st.tuples(
        st.sampled_from([QUERY, [QUERY, QUERY], [QUERY] * 5]),
        st.sampled_from(["utf-8", "utf-16", "utf-32", "latin-1", "utf-8-sig"]),
    ).map(lambda pair: _encoded(*pair)),
    st.integers(1, 3000).map(lambda depth: b"[" * depth + b"]" * depth),
)
HEADER_VALUES = st.one_of(
    st.text(max_size=40).map(lambda s: s.encode("utf-8")),
    st.binary(max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b),
    st.sampled_from([b"Bearer ", b"Bearer a.b.c", b"Basic eA==", b"ng_x", b"-1", b"1" * 30]),
)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    body=BODIES,
    content_type=st.sampled_from(CONTENT_TYPES),
    accept=st.sampled_from(ACCEPTS),
    extra=st.dictionaries(
        st.sampled_from(
            [
                "authorization",
                "x-api-key",
                "content-length",
                "content-encoding",
                "graphql-require-preflight",
                "idempotency-key",
                "origin",
                "x-forwarded-for",
            ]
        ),
        HEADER_VALUES,
        max_size=3,
    ),
    params=st.dictionaries(
        st.sampled_from(["query", "variables", "extensions", "operationName"]),
        st.text(max_size=60) | st.just(QUERY["query"]),
        max_size=3,
    ),
)
def test_malformed_http_never_breaks_the_server(
    fuzz_client, method, body, content_type, accept, extra, params
):
    headers = {"content-type": content_type.encode(), "accept": accept.encode(), **extra}
    response = fuzz_client.request(method, "/graphql", params=params, content=body, headers=headers)
    check_answer(response, accept)
    still_answers(fuzz_client)
