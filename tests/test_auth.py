"""Who is calling, over HTTP: API keys, editors' JWTs, anonymous readers, and their scopes."""

import base64
import hmac
import json
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import select
from starlette.testclient import TestClient

import models
from app.gateway.auth import hash_key
from models.base import utcnow
from resolvers.types.node import encode_id
from tests.factories import make_api_key, make_article

SECRET = "a-test-secret-of-at-least-32-bytes!!"
DRAFT = "query ($slug: String!) { article(slug: $slug) { title } }"
RECORD_MANY = "mutation ($v: [ViewInput!]!) { recordViews(views: $v) { counted } }"


def token(key: Any = SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    now = utcnow()
    payload = {
        "sub": "editor-7",
        "iss": "newsgate",
        "aud": "newsgate",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "roles": ["editor"],
        **claims,
    }
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, key, algorithm)


def post(client: TestClient, query: str, credentials: str | None = None, **variables: Any):
    headers = {"Authorization": f"Bearer {credentials}"} if credentials else {}
    return client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


def code_of(response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


async def test_an_api_key_with_views_write_records_views_and_anonymous_cannot(make_client, session):
    client = make_client()
    article = await make_article(session)
    views = [{"articleId": encode_id("Article", article.id)}]
    key = await make_api_key(session, "views:write")
    by_bearer = post(client, RECORD_MANY, key, v=views)
    assert by_bearer.status_code == 200
    assert by_bearer.json() == {"data": {"recordViews": {"counted": 1}}}
    by_header = client.post(
        "/graphql",
        json={"query": RECORD_MANY, "variables": {"v": views}},
        headers={"X-API-Key": key},
    )
    assert by_header.json() == {"data": {"recordViews": {"counted": 1}}}
    refused = post(client, RECORD_MANY, v=views)
    assert refused.status_code == 403
    assert code_of(refused) == "FORBIDDEN"
    reader = post(client, RECORD_MANY, await make_api_key(session, "content:read"), v=views)
    assert reader.status_code == 403
    async with session() as s:
        assert (await s.exec(select(models.Article.view_count))).one() == 2


async def test_idempotency_key_header_makes_a_retry_count_nothing(make_client, session):
    client = make_client()
    article = await make_article(session)
    views = [{"articleId": encode_id("Article", article.id)}] * 3
    headers = {
        "Authorization": f"Bearer {await make_api_key(session, 'views:write')}",
        "Idempotency-Key": "nightly-2026-11-26",
    }
    body = {"query": RECORD_MANY, "variables": {"v": views}}
    responses = [client.post("/graphql", json=body, headers=headers) for _ in range(2)]
    assert [r.json() for r in responses] == [{"data": {"recordViews": {"counted": 3}}}] * 2
    async with session() as s:
        assert (await s.exec(select(models.Article.view_count))).one() == 3


@pytest.mark.parametrize(
    "authorization",
    ["Bearer ng_not-a-key", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer", "ng_no-scheme"],
)
def test_wrong_credentials_are_401_never_anonymous(make_client, authorization):
    client = make_client()
    response = client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": authorization}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert code_of(response) == "UNAUTHENTICATED"
    assert "data" not in response.json()


async def test_expired_and_revoked_keys_are_401_on_every_worker_at_once(
    make_client, session, database_url
):
    workers = [make_client(), make_client()]  # two apps on one database stand for two workers
    expired = await make_api_key(session, expires_at=utcnow() - timedelta(seconds=1))
    response = post(workers[0], "{ __typename }", expired)
    assert (response.status_code, response.json()["errors"][0]["message"]) == (
        401,
        "This API key has expired.",
    )
    key = await make_api_key(session)
    assert all(post(w, "{ __typename }", key).status_code == 200 for w in workers)
    env = {**os.environ, "DATABASE_URL": database_url}
    (row,) = [r for r in await _keys(session) if r.key_hash == hash_key(key)]
    revoked = subprocess.run(  # noqa: ASYNC221 (the script, as an operator runs it)
        [sys.executable, "scripts/apikeys.py", "revoke", str(row.id)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert revoked.stdout == f"Revoked key {row.id}.\n"
    for worker in workers:
        response = post(worker, "{ __typename }", key)
        assert response.status_code == 401
        assert response.json()["errors"][0]["message"] == "This API key has been revoked."


async def _keys(session) -> list[models.ApiKey]:
    async with session() as s:
        return list((await s.exec(select(models.ApiKey))).all())


async def test_only_the_keys_hash_is_stored_and_its_use_is_noted(make_client, session):
    client = make_client()
    key = await make_api_key(session, "content:read views:write", name="Acme")
    (row,) = await _keys(session)
    assert key not in {row.key_hash, row.prefix, row.name}
    assert key.startswith(row.prefix)
    assert len(row.prefix) < len(key) // 3
    assert row.last_used_at is None
    post(client, "{ __typename }", key)
    (row,) = await _keys(session)
    assert row.last_used_at is not None
    assert row.scopes == "content:read views:write"


def test_apikeys_script_creates_lists_and_refuses_unknown_scopes(engine, database_url):
    env = {**os.environ, "DATABASE_URL": database_url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "scripts/apikeys.py", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True)

    created = run("create", "Acme analytics", "--scopes", "views:write,content:read")
    assert created.returncode == 0
    key = created.stdout.splitlines()[-1]
    assert key.startswith("ng_")
    assert len(key) > 40
    listed = run("list")
    assert "Acme analytics" in listed.stdout
    assert "active" in listed.stdout
    assert key not in listed.stdout
    bad = run("create", "x", "--scopes", "content:read,everything")
    assert bad.returncode == 2
    assert "unknown scope 'everything'" in bad.stderr
    assert run("revoke", "999").returncode == 1
    assert run("--help").returncode == 0


# --- editors' tokens ---------------------------------------------------------------------


async def test_an_editor_token_sees_drafts_and_readers_do_not(make_client, session):
    client = make_client(jwt_secret=SECRET)
    draft = await make_article(session, status=models.ArticleStatus.DRAFT, title="Embargoed")
    editor = post(client, DRAFT, token(), slug=draft.slug)
    assert editor.json() == {"data": {"article": {"title": "Embargoed"}}}
    node = post(
        client,
        "query ($id: ID!) { node(id: $id) { id } }",
        token(),
        id=encode_id("Article", draft.id),
    )
    assert node.json()["data"]["node"] == {"id": encode_id("Article", draft.id)}
    for credentials in (None, token(roles=["reader"]), token(roles="unknown-role")):
        response = post(client, DRAFT, credentials, slug=draft.slug)
        assert response.json() == {"data": {"article": None}}
    admin = post(client, DRAFT, token(roles="admin"), slug=draft.slug)
    assert admin.json()["data"]["article"] == {"title": "Embargoed"}


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"exp": timedelta(minutes=-5)}, "The token has expired."),
        ({"iss": "someone-else"}, "The token is not valid: Invalid issuer."),
        ({"aud": "another-api"}, "The token is not valid: Audience doesn't match."),
        (
            {"key": "another-secret-of-at-least-32-bytes"},
            "The token is not valid: Signature verification failed.",
        ),
        ({"sub": None}, 'The token is not valid: Token is missing the "sub" claim.'),
        ({"exp": None}, 'The token is not valid: Token is missing the "exp" claim.'),
        (
            {"key": None, "algorithm": "none"},
            "The token is not valid: The specified alg value is not allowed.",
        ),
        (None, "The token is not valid: Invalid header padding."),
    ],
)
def test_editor_tokens_that_do_not_hold_are_401(make_client, claims, message):
    # Made here, not when the tests are collected: a token made then could expire first.
    if claims is None:
        credentials = "a.b.c"
    else:
        if isinstance(claims.get("exp"), timedelta):
            claims = {**claims, "exp": utcnow() + claims["exp"]}
        credentials = token(**claims)
    client = make_client(jwt_secret=SECRET)
    response = post(client, "{ __typename }", credentials)
    assert response.status_code == 401
    assert response.json()["errors"][0] == {
        "message": message,
        "extensions": {"code": "UNAUTHENTICATED"},
    }


def test_rs256_tokens_are_checked_with_the_public_key_and_not_as_hs256(make_client):
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    client = make_client(jwt_public_key=public_pem)
    assert post(client, "{ __typename }", token(private_key, "RS256")).status_code == 200
    # The classic confusion: HS256 "signed" with the public key as the shared secret.
    claims = jwt.decode(token(private_key, "RS256"), options={"verify_signature": False})
    signing_input = b".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")
        for part in ({"alg": "HS256", "typ": "JWT"}, claims)
    )
    signature = hmac.digest(public_pem.encode(), signing_input, "sha256")
    forged = f"{signing_input.decode()}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    for credentials in (token(SECRET, "HS256"), forged):
        assert post(client, "{ __typename }", credentials).status_code == 401


def test_tokens_are_refused_when_no_jwt_key_is_configured(make_client):
    response = post(make_client(), "{ __typename }", token())
    assert response.status_code == 401
    assert "no JWT key is configured" in response.json()["errors"][0]["message"]
