"""Per-client rate limits: a token bucket per caller (API key, editor, or IP address).

A bucket holds up to `burst` requests and refills at `per_minute` / 60 a second. Buckets
live in process memory, or in Redis when REDIS_URL is set, so that every worker and
instance of a deployment spends one budget per client (per process again while Redis is
down).
"""

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger("newsgate.ratelimit")

BURST_SECONDS = 10  # a full bucket holds this many seconds' worth of requests
MAX_MEMORY_BUCKETS = 100_000  # past this, buckets idle long enough to be full are dropped


@dataclass(frozen=True)
class Policy:
    per_minute: int
    per_second: float = field(init=False)
    burst: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "per_second", self.per_minute / 60)
        object.__setattr__(self, "burst", max(1, math.ceil(self.per_second * BURST_SECONDS)))


class Budget(NamedTuple):  # one per request: a tuple is the cheapest to make
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after_seconds: int  # until the refused request would be allowed

    @classmethod
    def after(cls, allowed: bool, tokens: float, cost: int, policy: Policy) -> "Budget":
        return cls(
            allowed=allowed,
            limit=policy.burst,
            remaining=max(0, math.floor(tokens)),
            reset_seconds=math.ceil((policy.burst - tokens) / policy.per_second),
            retry_after_seconds=0 if allowed else math.ceil((cost - tokens) / policy.per_second),
        )

    def headers(self) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.retry_after_seconds))
        return headers


class Buckets(Protocol):
    async def take(self, identity: str, policy: Policy, cost: int = 1) -> Budget: ...


class MemoryBuckets:
    """Buckets of one process: enough for a single server."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # identity: (tokens, at)
        self._clock = clock

    async def take(self, identity: str, policy: Policy, cost: int = 1) -> Budget:
        now = self._clock()
        tokens, at = self._buckets.get(identity, (policy.burst, now))
        tokens = min(policy.burst, tokens + (now - at) * policy.per_second)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
        if len(self._buckets) >= MAX_MEMORY_BUCKETS:
            # A bucket untouched for BURST_SECONDS is full again: as good as no bucket.
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < BURST_SECONDS}
        self._buckets[identity] = (tokens, now)
        return Budget.after(allowed, tokens, cost, policy)


# Atomic in Redis: refill by the time elapsed (Redis's own clock, the same for every
# instance), take `cost` if there is enough, and expire the bucket once it would be full.
_TAKE = """
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1)
return {allowed, tostring(tokens)}
"""


class RedisBuckets:
    """Buckets shared by every instance. When Redis fails, each process falls back to
    buckets of its own, and says so in the log, until Redis answers again: an outage of
    the limiter must not become one of the site. While it is down, Redis is tried again
    every RETRY_SECONDS, not on every request."""

    RETRY_SECONDS = 2.0

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._take = redis.register_script(_TAKE)
        self._prefix = prefix + "ratelimit:"
        self._fallback = MemoryBuckets()
        self._retry_at: float | None = None  # set while Redis is down

    async def take(self, identity: str, policy: Policy, cost: int = 1) -> Budget:
        now = time.monotonic()
        if self._retry_at is not None and now < self._retry_at:
            return await self._fallback.take(identity, policy, cost)
        try:
            allowed, tokens = await self._take(
                keys=[self._prefix + identity], args=[policy.per_second, policy.burst, cost]
            )
        except RedisError as error:
            if self._retry_at is None:
                logger.warning(
                    "Redis failed (%s): rate limits are per process until it is back", error
                )
            self._retry_at = now + self.RETRY_SECONDS
            return await self._fallback.take(identity, policy, cost)
        if self._retry_at is not None:
            self._retry_at = None
            logger.warning("Redis is back: rate limits are shared again")
        return Budget.after(bool(allowed), float(tokens), cost, policy)
