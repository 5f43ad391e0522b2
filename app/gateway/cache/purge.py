"""The CDN purge webhook of the response cache.

When editors change content, `PurgeWebhook.send` POSTs the keys of the cached answers that
changed ("article:12", "articles", "author:3") to the URL the operator configured, as
`{"keys": [...]}`, so that a CDN can purge what it tagged with them (Surrogate-Key,
Cache-Tag). Delivery runs in the background and is retried with backoff after connection
errors, timeouts, 429 and 5xx: the mutation that changed the content never waits for it,
nor fails because of it.
"""

import asyncio
import logging
import random
from collections.abc import Iterable

import httpx2
import orjson

from app.ops.metrics import RESPONSE_CACHE_PURGES as PURGES

logger = logging.getLogger("newsgate.cache")

MAX_DELAY = 30.0  # seconds between attempts, at most
CLOSE_WAIT = 5.0  # seconds close() gives deliveries under way before cancelling them
HEADERS = {"Content-Type": "application/json"}


class PurgeWebhook:
    """POSTs changed cache keys to one URL, in background tasks of the running loop."""

    def __init__(
        self,
        url: str,
        *,
        attempts: int = 5,
        first_delay: float = 0.5,
        timeout: float = 5.0,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        # What logs show: a token in the URL's query or user info stays out of them.
        self._shown = str(httpx2.URL(url).copy_with(userinfo=b"", query=None, fragment=None))
        self.attempts = max(1, attempts)
        self.first_delay = first_delay
        self._client = httpx2.AsyncClient(timeout=timeout, transport=transport)
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def send(self, keys: Iterable[str]) -> None:
        """Purge `keys` in the background. Returns at once and never raises: it runs right
        after a mutation has committed, which must succeed whatever the CDN does."""
        try:
            unique = sorted({keys} if isinstance(keys, str) else set(keys))
            if not unique:
                return
            if self._closed:
                PURGES.labels("failed").inc()
                logger.error("purge webhook closed: %d keys not purged", len(unique))
                return
            body = orjson.dumps({"keys": unique})
            task = asyncio.get_running_loop().create_task(self._deliver(body, len(unique)))
        except Exception:
            logger.exception("purge webhook: keys not sent")
            return
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Wait a few seconds for deliveries under way, cancel the rest, close the client."""
        if self._closed:
            return
        self._closed = True
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=CLOSE_WAIT)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._client.aclose()

    async def _deliver(self, body: bytes, count: int) -> None:
        try:
            for attempt in range(1, self.attempts + 1):
                sent, again = await self._attempt(body, attempt)
                if sent:
                    PURGES.labels("sent").inc()
                    if attempt > 1:
                        logger.info(
                            "purge webhook %s took the keys at attempt %d", self._shown, attempt
                        )
                    return
                if not again or attempt == self.attempts:
                    break
                PURGES.labels("retried").inc()
                delay = self.first_delay * 2 ** (attempt - 1) * random.uniform(1, 1.1)
                await asyncio.sleep(min(delay, MAX_DELAY))
        except asyncio.CancelledError:
            PURGES.labels("failed").inc()
            logger.error("purge webhook %s cut short: %d keys not purged", self._shown, count)
            raise
        PURGES.labels("failed").inc()
        logger.error("purge webhook %s gave up: %d keys not purged", self._shown, count)

    async def _attempt(self, body: bytes, attempt: int) -> tuple[bool, bool]:
        """POST once: whether the webhook took the keys, and if not, whether to retry."""
        unexpected: Exception | None = None
        try:
            response = await self._client.post(self.url, content=body, headers=HEADERS)
        except httpx2.TransportError as error:  # connection errors and timeouts among them
            reason, again = repr(error), True
        except Exception as error:  # a bug or a misconfiguration: retrying would not help
            reason, again, unexpected = repr(error), False, error
        else:
            if response.is_success:
                return True, False
            status = response.status_code
            reason, again = f"HTTP {status}", status == 429 or status >= 500
        logger.warning(
            "purge webhook %s attempt %d failed: %s",
            self._shown,
            attempt,
            reason,
            exc_info=unexpected,
        )
        return False, again
