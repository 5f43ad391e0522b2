"""The CDN purge webhook: keys POSTed in the background, retried, never failing the caller."""

import asyncio
import gc
import logging

import httpx2
import orjson
import pytest
from prometheus_client import REGISTRY

from app.gateway.cache import purge
from app.gateway.cache.purge import PurgeWebhook

URL = "https://cdn.example/purge"
Reply = int | Exception  # a status to answer, or an exception the transport raises


class Webhook:
    """A PurgeWebhook on a mock transport answering `replies` in turn (the last one
    repeats), recording what it received."""

    def __init__(
        self, *replies: Reply, attempts: int = 5, delay: float = 0.0, url: str = URL
    ) -> None:
        self.replies = list(replies) or [200]
        self.requests: list[httpx2.Request] = []
        self.delay = delay
        self.purge = PurgeWebhook(
            url, attempts=attempts, first_delay=0.001, transport=httpx2.MockTransport(self.handle)
        )

    async def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        return httpx2.Response(reply)

    def keys(self) -> list[list[str]]:
        return [orjson.loads(request.content)["keys"] for request in self.requests]


def counted(outcome: str) -> float:
    value = REGISTRY.get_sample_value("newsgate_response_cache_purges_total", {"outcome": outcome})
    return value or 0.0


def counts() -> dict[str, float]:
    return {outcome: counted(outcome) for outcome in ("sent", "retried", "failed")}


def moved(before: dict[str, float]) -> dict[str, float]:
    return {outcome: value - before[outcome] for outcome, value in counts().items()}


async def test_send_returns_at_once_and_posts_the_sorted_unique_keys_as_json():
    webhook, before = Webhook(200), counts()
    webhook.purge.send(["author:3", "article:12", "articles", "article:12"])
    assert webhook.requests == []  # nothing sent yet: send() only scheduled it
    await webhook.purge.close()
    (request,) = webhook.requests
    assert (request.method, str(request.url)) == ("POST", URL)
    assert request.headers["content-type"] == "application/json"
    assert orjson.loads(request.content) == {"keys": ["article:12", "articles", "author:3"]}
    assert moved(before) == {"sent": 1, "retried": 0, "failed": 0}


async def test_a_bare_string_is_one_key_not_its_characters():
    webhook = Webhook(200)
    webhook.purge.send("articles")
    await webhook.purge.close()
    assert webhook.keys() == [["articles"]]


@pytest.mark.parametrize("status", [503, 500, 429])
async def test_a_server_error_or_429_is_retried_until_the_webhook_takes_the_keys(status, caplog):
    webhook, before = Webhook(status, 200), counts()
    with caplog.at_level(logging.INFO, logger="newsgate.cache"):
        webhook.purge.send(["article:1"])
        await webhook.purge.close()
    assert webhook.keys() == [["article:1"], ["article:1"]]
    assert moved(before) == {"sent": 1, "retried": 1, "failed": 0}
    levels = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "newsgate.cache"]
    assert levels == [
        ("WARNING", f"purge webhook {URL} attempt 1 failed: HTTP {status}"),
        ("INFO", f"purge webhook {URL} took the keys at attempt 2"),
    ]


@pytest.mark.parametrize(
    "error", [httpx2.ConnectError("connection refused"), httpx2.ReadTimeout("timed out")]
)
async def test_a_connection_error_or_timeout_is_retried(error, caplog):
    webhook, before = Webhook(error, 200), counts()
    with caplog.at_level(logging.WARNING, logger="newsgate.cache"):
        webhook.purge.send(["article:1"])
        await webhook.purge.close()
    assert len(webhook.requests) == 2
    assert moved(before) == {"sent": 1, "retried": 1, "failed": 0}
    assert type(error).__name__ in caplog.text


async def test_it_gives_up_after_its_attempts_with_an_error(caplog):
    webhook, before = Webhook(503, attempts=3), counts()
    with caplog.at_level(logging.WARNING, logger="newsgate.cache"):
        webhook.purge.send(["article:1", "article:2", "articles"])
        await webhook.purge.close()
    assert len(webhook.requests) == 3
    assert moved(before) == {"sent": 0, "retried": 2, "failed": 1}
    records = [r for r in caplog.records if r.name == "newsgate.cache"]
    assert [r.levelname for r in records] == ["WARNING"] * 3 + ["ERROR"]
    assert all(f"attempt {n} failed" in r.getMessage() for n, r in enumerate(records[:3], 1))
    assert records[-1].getMessage() == f"purge webhook {URL} gave up: 3 keys not purged"


def test_send_without_a_running_loop_logs_instead_of_raising(caplog):
    with caplog.at_level(logging.ERROR, logger="newsgate.cache"):
        Webhook(200).purge.send(["article:1"])
    assert "keys not sent" in caplog.text


async def test_logs_leave_out_credentials_in_the_url(caplog):
    url = "https://user:pw@cdn.example/purge?token=s3cret"
    webhook = Webhook(503, attempts=2, url=url)
    with caplog.at_level(logging.WARNING, logger="newsgate.cache"):
        webhook.purge.send(["article:1"])
        await webhook.purge.close()
    assert [str(request.url) for request in webhook.requests] == [url, url]  # sent as given
    assert "https://cdn.example/purge attempt 2 failed: HTTP 503" in caplog.text
    assert "s3cret" not in caplog.text
    assert "pw" not in caplog.text


@pytest.mark.parametrize("status", [400, 404])
async def test_a_client_error_is_not_retried(status, caplog):
    webhook, before = Webhook(status, 200), counts()
    with caplog.at_level(logging.WARNING, logger="newsgate.cache"):
        webhook.purge.send(["article:1"])
        await webhook.purge.close()
    assert len(webhook.requests) == 1
    assert moved(before) == {"sent": 0, "retried": 0, "failed": 1}
    assert "gave up: 1 keys not purged" in caplog.text


async def test_the_delays_double_with_a_little_jitter_up_to_30_seconds(monkeypatch):
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float) -> None:
        slept.append(delay)
        await real_sleep(0)

    webhook = Webhook(503, attempts=8)
    webhook.purge.first_delay = 1.0
    monkeypatch.setattr(asyncio, "sleep", sleep)  # purge.py's too
    webhook.purge.send(["article:1"])
    await webhook.purge.close()
    assert len(webhook.requests) == 8
    assert len(slept) == 7  # none after the last attempt
    for delay, base in zip(slept, [1, 2, 4, 8, 16], strict=False):
        assert base <= delay <= base * 1.1
    assert slept[5:] == [30.0, 30.0]


async def test_no_keys_send_nothing():
    webhook, before = Webhook(200), counts()
    webhook.purge.send([])
    webhook.purge.send(iter(()))
    await webhook.purge.close()
    assert webhook.requests == []
    assert moved(before) == {"sent": 0, "retried": 0, "failed": 0}


async def test_close_waits_for_deliveries_under_way_and_can_be_called_again():
    webhook = Webhook(200, delay=0.05)
    webhook.purge.send(["article:1"])
    webhook.purge.send(["article:2"])
    await webhook.purge.close()
    assert sorted(webhook.keys()) == [["article:1"], ["article:2"]]
    await webhook.purge.close()
    webhook.purge.send(["article:3"])  # after close: dropped, and still no exception
    await asyncio.sleep(0.01)
    assert len(webhook.requests) == 2


async def test_close_cancels_deliveries_that_take_too_long(monkeypatch, caplog):
    monkeypatch.setattr(purge, "CLOSE_WAIT", 0.01)
    webhook, before = Webhook(200, delay=10), counts()
    webhook.purge.send(["article:1"])
    loop = asyncio.get_running_loop()
    started = loop.time()
    with caplog.at_level(logging.ERROR, logger="newsgate.cache"):
        await webhook.purge.close()
    assert loop.time() - started < 1
    assert moved(before) == {"sent": 0, "retried": 0, "failed": 1}
    assert "cut short: 1 keys not purged" in caplog.text


@pytest.mark.parametrize(
    "error", [RuntimeError("transport bug"), ValueError("bad"), httpx2.InvalidURL("nope")]
)
async def test_an_unexpected_exception_never_escapes_the_task(error, caplog):
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []

    def handler(_loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        reported.append(context)

    previous = loop.get_exception_handler()
    loop.set_exception_handler(handler)
    try:
        webhook, before = Webhook(error, 200), counts()
        with caplog.at_level(logging.WARNING, logger="newsgate.cache"):
            webhook.purge.send(["article:1"])
            await webhook.purge.close()
        del webhook
        gc.collect()  # a task that ended in an exception reports it when collected
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert reported == []
    assert moved(before) == {"sent": 0, "retried": 0, "failed": 1}
    warning = next(r for r in caplog.records if r.levelname == "WARNING")
    assert warning.exc_info is not None  # the traceback is logged, for the bug to be found
