"""Nothing escapes as a plain-text 500: a fault at any layer is a JSON GraphQL error with
code INTERNAL_SERVER_ERROR and an error id, logged once with its traceback under that id,
and the server goes on serving."""

import logging

import pytest
from starlette.middleware.cors import CORSMiddleware

from app.data import listing, loaders
from app.errors import UserError

ARTICLES = {"query": "{ articles { totalCount } }"}
# Each list multiplies the cost by its `first`: three of 2^31 - 1 are past 64 bits.
COSTLY = """query ($n: Int!) {
  articles(first: $n) { edges { node { related(first: $n) { related(first: $n) { title } } } } }
}"""


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        (
            "{ latestNews(first: 99999999999999999999999) { title } }",
            {},
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "{ latestNews(first: -99999999999999999999999) { title } }",
            {},
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ("query ($n: Int!) { latestNews(first: $n) { title } }", {"n": 2**63}, "BAD_USER_INPUT"),
        ("query ($n: Int!) { latestNews(first: $n) { title } }", {"n": 10**30}, "BAD_USER_INPUT"),
        ("query ($n: Int!) { latestNews(first: $n) { title } }", {"n": -(2**63)}, "BAD_USER_INPUT"),
        (COSTLY, {"n": 2**31 - 1}, "LIMIT_EXCEEDED"),
    ],
)
def test_integers_of_any_size_are_answered_as_graphql_errors(client, query, variables, code):
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert [error["extensions"]["code"] for error in errors] == [code]
    if code == "LIMIT_EXCEEDED":
        assert errors[0]["extensions"]["value"] == 2**53 - 1
        assert f"cost, more than {2**53 - 1}, is over the limit" in errors[0]["message"]
    assert client.post("/graphql", json=ARTICLES).status_code == 200


class Unencodable(UserError):
    def __init__(self) -> None:
        super().__init__("a detail orjson cannot write", detail={1, 2})


def _in_resolver(monkeypatch):
    def broken(first: int, argument: str = "first") -> int:
        raise RuntimeError("secret detail in /srv/app.py")

    monkeypatch.setattr(listing, "check_first", broken)
    return {"query": "{ latestNews { title } }"}, {}


def _in_loader_batch(monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("secret detail in /srv/app.py")

    monkeypatch.setattr(loaders, "load_article_counts", broken)
    return ARTICLES, {}


def _in_serialisation(monkeypatch):
    def unencodable(first: int, argument: str = "first") -> int:
        raise Unencodable

    monkeypatch.setattr(listing, "check_first", unencodable)
    return {"query": "{ latestNews { title } }"}, {}


def _in_middleware(monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("secret detail in /srv/app.py")

    monkeypatch.setattr(CORSMiddleware, "simple_response", broken)
    return ARTICLES, {"origin": "https://news.example"}


@pytest.mark.parametrize(
    ("inject", "status"),
    [(_in_resolver, 200), (_in_loader_batch, 200), (_in_serialisation, 500), (_in_middleware, 500)],
    ids=["resolver", "loader-batch", "serialisation", "middleware"],
)
def test_a_fault_at_any_layer_is_a_json_internal_error_logged_once_by_its_id(
    make_client, monkeypatch, caplog, inject, status
):
    client = make_client(cors_origins=["https://news.example"])
    body, headers = inject(monkeypatch)
    with caplog.at_level(logging.ERROR):
        response = client.post("/graphql", json=body, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    (error,) = response.json()["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret" not in response.text
    error_id = error["extensions"]["errorId"]
    logged = [record for record in caplog.records if error_id in record.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None  # the traceback
    assert [r for r in caplog.records if r.exc_info] == logged  # nothing else logged it
    monkeypatch.undo()
    assert client.post("/graphql", json=ARTICLES).json() == {
        "data": {"articles": {"totalCount": 0}}
    }
