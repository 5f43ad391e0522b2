"""Persisted queries: the APQ round trip, in memory and through Redis, and trusted documents."""

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import TEST_REDIS_URL

QUERY = "{ articles(first: 1) { totalCount } }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()
PREFLIGHT = {"GraphQL-Require-Preflight": "1"}


def persisted(digest: str = DIGEST) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def get_by_hash(client: TestClient, digest: str = DIGEST):
    params = {"extensions": orjson.dumps(persisted(digest)).decode()}
    return client.get("/graphql", params=params, headers=PREFLIGHT)


def error_of(response) -> dict[str, Any]:
    error: dict[str, Any]
    (error,) = response.json()["errors"]
    return error


def test_the_apq_round_trip(make_client):
    client = make_client()
    unknown = get_by_hash(client)
    assert unknown.status_code == 200
    assert error_of(unknown) == {
        "message": "PersistedQueryNotFound",
        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
    }
    registered = client.post("/graphql", json={"query": QUERY, "extensions": persisted()})
    assert registered.json() == {"data": {"articles": {"totalCount": 0}}}
    by_hash = get_by_hash(client)
    assert by_hash.json() == {"data": {"articles": {"totalCount": 0}}}


@pytest.mark.parametrize(
    ("extensions", "message"),
    [
        (persisted("0" * 64), "The sha256Hash does not match the query."),
        (
            {"persistedQuery": {"version": 2, "sha256Hash": DIGEST}},
            "Only persistedQuery version 1 is supported.",
        ),
        ({"persistedQuery": {"version": 1}}, "persistedQuery needs a sha256Hash."),
        ({"persistedQuery": "yes"}, "Only persistedQuery version 1 is supported."),
    ],
)
def test_bad_persisted_query_extensions_are_refused(make_client, extensions, message):
    client = make_client()
    body = {"query": QUERY, "extensions": extensions}
    response = client.post(
        "/graphql", json=body, headers={"accept": "application/graphql-response+json"}
    )
    assert response.status_code == 400
    assert error_of(response) == {"message": message, "extensions": {"code": "BAD_REQUEST"}}
    assert error_of(get_by_hash(client))["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_instances_sharing_redis_know_each_others_documents(make_client, redis_prefix):
    settings = {"redis_url": TEST_REDIS_URL, "redis_prefix": redis_prefix}
    one, two = make_client(**settings), make_client(**settings)
    one.post("/graphql", json={"query": QUERY, "extensions": persisted()})
    assert get_by_hash(two).json() == {"data": {"articles": {"totalCount": 0}}}
    assert error_of(get_by_hash(make_client()))["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_an_unreachable_redis_costs_a_round_trip_not_the_request(make_client):
    client = make_client(redis_url="redis://127.0.0.1:1/0")
    assert error_of(get_by_hash(client))["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    response = client.post("/graphql", json={"query": QUERY, "extensions": persisted()})
    assert response.json() == {"data": {"articles": {"totalCount": 0}}}


def _manifest(tmp_path: Path, *documents: str) -> Path:
    folder = tmp_path / "queries"
    folder.mkdir()
    for index, document in enumerate(documents):
        (folder / f"q{index}.graphql").write_text(document)
    output = tmp_path / "trusted.json"
    subprocess.run(
        [sys.executable, "scripts/trusted_documents.py", str(folder), "-o", str(output)],
        check=True,
        capture_output=True,
    )
    return output


def test_trusted_documents_run_and_nothing_else(make_client, tmp_path):
    manifest = _manifest(tmp_path, QUERY, "query Tags { tags { slug } }")
    client = make_client(env="production", trusted_documents=str(manifest))
    assert get_by_hash(client).json() == {"data": {"articles": {"totalCount": 0}}}
    whole = client.post("/graphql", json={"query": QUERY})  # the same text is trusted too
    assert whole.json() == {"data": {"articles": {"totalCount": 0}}}
    for body in (
        {"query": "{ categories { slug } }"},
        {
            "query": "{ categories { slug } }",
            "extensions": persisted(hashlib.sha256(b"{ categories { slug } }").hexdigest()),
        },
        {"extensions": persisted("f" * 64)},
    ):
        refused = client.post("/graphql", json=body)
        assert error_of(refused)["extensions"] == {"code": "PERSISTED_QUERY_NOT_IN_LIST"}
    # Registering is off: the hash stays unknown.
    assert (
        error_of(get_by_hash(client, "f" * 64))["extensions"]["code"]
        == "PERSISTED_QUERY_NOT_IN_LIST"
    )


def test_the_manifest_script_refuses_invalid_documents(tmp_path):
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "bad.graphql").write_text("{ nope }")
    result = subprocess.run(
        [
            sys.executable,
            "scripts/trusted_documents.py",
            str(folder),
            "-o",
            str(tmp_path / "m.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "Cannot query field 'nope' on type 'Query'" in result.stderr
    assert not (tmp_path / "m.json").exists()


def test_a_tampered_manifest_stops_the_server_from_starting(engine, database_url, tmp_path):
    manifest = tmp_path / "m.json"
    manifest.write_bytes(orjson.dumps({"0" * 64: QUERY}))
    app = create_app(Settings(database_url=database_url, trusted_documents=str(manifest)))
    with pytest.raises(ValueError, match="has another hash"), TestClient(app):
        pass
