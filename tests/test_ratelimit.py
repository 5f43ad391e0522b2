"""Rate limits per caller, in process memory and shared through Redis."""

import logging

import pytest

from app.gateway import ratelimit
from app.gateway.ratelimit import MemoryBuckets, Policy
from tests.conftest import TEST_REDIS_URL
from tests.factories import make_api_key

QUERY = {"query": "{ __typename }"}


def test_policy_refills_per_second_and_bursts_ten_seconds_worth():
    assert (Policy(60).per_second, Policy(60).burst) == (1.0, 10)
    assert Policy(1).burst == 1


async def test_over_the_limit_is_429_with_retry_after_and_every_response_shows_the_budget(
    make_client, session
):
    client = make_client(rate_limit_anonymous_per_minute=60)  # bursts of 10
    responses = [client.post("/graphql", json=QUERY) for _ in range(11)]
    assert [r.status_code for r in responses] == [200] * 10 + [429]
    assert [int(r.headers["ratelimit-remaining"]) for r in responses[:10]] == list(range(9, -1, -1))
    assert {r.headers["ratelimit-limit"] for r in responses} == {"10"}
    refused = responses[-1]
    assert refused.json()["errors"][0]["extensions"] == {"code": "RATE_LIMITED"}
    assert refused.headers["retry-after"] == "1"
    assert "retry-after" not in responses[0].headers
    # A partner's key has a budget of its own.
    key = await make_api_key(session)
    keyed = client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {key}"})
    assert keyed.status_code == 200
    assert keyed.headers["ratelimit-limit"] == str(Policy(1_200).burst)


def test_guessing_keys_spends_the_addresses_budget(make_client):
    client = make_client(rate_limit_anonymous_per_minute=30)  # bursts of 5
    statuses = [
        client.post("/graphql", json=QUERY, headers={"X-API-Key": f"ng_guess{n}"}).status_code
        for n in range(6)
    ]
    assert statuses == [401] * 5 + [429]


def test_a_batch_spends_one_request_per_operation(make_client):
    client = make_client(rate_limit_anonymous_per_minute=30, max_batch=5)
    assert client.post("/graphql", json=[QUERY] * 4).status_code == 200
    response = client.post("/graphql", json=[QUERY] * 2)
    assert response.status_code == 429


async def test_memory_buckets_forget_full_ones_past_their_bound(monkeypatch):
    monkeypatch.setattr(ratelimit, "MAX_MEMORY_BUCKETS", 3)
    now = 0.0
    buckets, policy = MemoryBuckets(clock=lambda: now), Policy(60)
    for n in range(3):
        await buckets.take(f"ip:{n}", policy)
        now += 6
    # ip:0 and ip:1 were last seen 18 and 12 seconds ago: full again, so forgotten.
    budget = await buckets.take("ip:new", policy)
    assert set(buckets._buckets) == {"ip:2", "ip:new"}
    assert budget.remaining == policy.burst - 1


def test_instances_sharing_redis_spend_one_budget(make_client, redis_prefix):
    settings = {
        "redis_url": TEST_REDIS_URL,
        "redis_prefix": redis_prefix,
        "rate_limit_anonymous_per_minute": 60,  # bursts of 10
    }
    instances = [make_client(**settings), make_client(**settings)]
    statuses = [instances[n % 2].post("/graphql", json=QUERY).status_code for n in range(11)]
    assert statuses == [200] * 10 + [429]
    alone = make_client(rate_limit_anonymous_per_minute=60)  # memory: a budget of its own
    assert alone.post("/graphql", json=QUERY).status_code == 200


def test_an_unreachable_redis_falls_back_to_buckets_per_process_and_says_so_once(
    make_client, caplog
):
    client = make_client(redis_url="redis://127.0.0.1:1/0", rate_limit_anonymous_per_minute=60)
    with caplog.at_level(logging.WARNING, logger="newsgate.ratelimit"):
        statuses = [client.post("/graphql", json=QUERY).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    assert caplog.text.count("rate limits are per process until it is back") == 1


REFUSALS = {  # id: (method, headers, body, status)
    "unauthenticated": ("POST", {"X-API-Key": "ng_wrong"}, b'{"query": "{ __typename }"}', 401),
    "method": ("PUT", {}, b"", 405),
    "not-acceptable": ("POST", {"accept": "text/csv"}, b'{"query": "{ __typename }"}', 406),
    "csrf": ("GET", {}, b"", 400),
    "too-large": ("POST", {}, b'{"query": "' + b" " * 2_000 + b'"}', 413),
    "media-type": ("POST", {"content-type": "application/xml"}, b"<query/>", 415),
    "malformed": ("POST", {}, b"{", 400),
}


@pytest.mark.parametrize(("method", "headers", "body", "status"), REFUSALS.values(), ids=REFUSALS)
def test_every_refusal_shows_the_budget_it_spent(make_client, method, headers, body, status):
    client = make_client(rate_limit_anonymous_per_minute=60, max_body_bytes=1_000)  # bursts of 10
    headers = {"content-type": "application/json", **headers}
    responses = [
        client.request(method, "/graphql", content=body, headers=headers) for _ in range(11)
    ]
    assert [r.status_code for r in responses] == [status] * 10 + [429]
    assert [r.headers["ratelimit-remaining"] for r in responses] == [
        str(n) for n in range(9, -1, -1)
    ] + ["0"]
    assert {r.headers["ratelimit-limit"] for r in responses} == {"10"}
    assert all("ratelimit-reset" in r.headers for r in responses)
    assert responses[-1].headers["retry-after"] == "1"
