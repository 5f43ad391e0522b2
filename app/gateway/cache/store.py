"""Where cached answers live: process memory (a bounded LRU), or Redis, shared by every
worker and instance.

Each entry records the tags of what it holds ("article:12", "articles", ...);
`invalidate` deletes every entry under any of the given tags. A generation number,
moved by every invalidation, keeps a slow read from storing what it read before an edit
after that edit's invalidation: `put` stores only if the generation is still the one
read before the read began.
"""

import hashlib
import time
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import orjson
from redis.asyncio import Redis

from app.ops import metrics


def clock() -> float:
    """Seconds since the epoch: when entries were stored, and how old they are."""
    return time.time()


@dataclass(frozen=True, slots=True)
class Entry:
    body: bytes  # the JSON answer, as sent
    tags: frozenset[str]
    stored_at: float  # clock()
    max_age: float  # seconds it is fresh
    max_stale: float  # seconds past that it may still be served stale
    etag: str

    @classmethod
    def of(cls, body: bytes, tags: frozenset[str], max_age: float, max_stale: float) -> "Entry":
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        return cls(body, tags, clock(), max_age, max_stale, etag)

    @property
    def age(self) -> float:
        return max(0.0, clock() - self.stored_at)

    @property
    def fresh(self) -> bool:
        return self.age < self.max_age

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(tag) for tag in self.tags) + 200  # + the bookkeeping

    def pack(self) -> bytes:
        meta = [sorted(self.tags), self.stored_at, self.max_age, self.max_stale, self.etag]
        return orjson.dumps(meta) + b"\n" + self.body

    @classmethod
    def unpack(cls, data: bytes) -> "Entry":
        meta, body = data.split(b"\n", 1)  # JSON without indentation holds no newline
        tags, stored_at, max_age, max_stale, etag = orjson.loads(meta)
        return cls(body, frozenset(tags), stored_at, max_age, max_stale, etag)


class Store(Protocol):
    async def get(self, key: str) -> Entry | None: ...

    async def generation(self) -> int: ...

    async def put(self, key: str, entry: Entry, keep: float, generation: int) -> bool:
        """Store `entry` for `keep` seconds unless an invalidation came after `generation`."""
        ...

    async def invalidate(self, tags: Iterable[str]) -> int:
        """Delete every entry under any of `tags`; how many went."""
        ...

    async def claim(self, key: str, seconds: float) -> bool:
        """Whether this process is the one to compute `key` (across processes)."""
        ...

    async def release(self, key: str) -> None: ...

    def size(self) -> int:
        """Bytes held in this process."""
        ...


class MemoryStore:
    """One process's entries, the least recently used evicted past `budget` bytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._entries: OrderedDict[str, tuple[Entry, float]] = OrderedDict()  # until
        self._keys_by_tag: defaultdict[str, set[str]] = defaultdict(set)
        self._bytes = 0
        self._generation = 0

    async def get(self, key: str) -> Entry | None:
        found = self._entries.get(key)
        if found is None:
            return None
        entry, until = found
        if until <= clock():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    async def generation(self) -> int:
        return self._generation

    async def put(self, key: str, entry: Entry, keep: float, generation: int) -> bool:
        if generation != self._generation or entry.size > self.budget:
            return False
        self._drop(key)
        self._entries[key] = (entry, clock() + keep)
        self._bytes += entry.size
        for tag in entry.tags:
            self._keys_by_tag[tag].add(key)
        while self._bytes > self.budget:
            self._drop(next(iter(self._entries)))
            metrics.RESPONSE_CACHE_EVICTIONS.labels("budget").inc()
        return True

    async def invalidate(self, tags: Iterable[str]) -> int:
        self._generation += 1
        keys = {key for tag in tags for key in self._keys_by_tag.get(tag, ())}
        for key in keys:
            self._drop(key)
        return len(keys)

    async def claim(self, key: str, seconds: float) -> bool:
        return True  # one process: its own single flight is enough

    async def release(self, key: str) -> None:
        pass

    def size(self) -> int:
        return self._bytes

    def _drop(self, key: str) -> None:
        found = self._entries.pop(key, None)
        if found is None:
            return
        entry = found[0]
        self._bytes -= entry.size
        for tag in entry.tags:
            keys = self._keys_by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._keys_by_tag[tag]


# Store an entry and add it to its tags' sets, only if no invalidation came since the
# read began (KEYS: generation, entry, tag sets; ARGV: generation read, entry, keep ms).
_PUT = """
if (tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[1])) then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[2])
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[3]) then
    redis.call('PEXPIRE', KEYS[i], ARGV[3])
  end
end
return 1
"""

# Move the generation, then delete the entries under the tags and the tags' sets.
_INVALIDATE = """
redis.call('INCR', KEYS[1])
local deleted = 0
for i = 2, #KEYS do
  local keys = redis.call('SMEMBERS', KEYS[i])
  for _, key in ipairs(keys) do deleted = deleted + redis.call('DEL', key) end
  redis.call('DEL', KEYS[i])
end
return deleted
"""


class RedisStore:
    """Entries shared by every worker and instance. Redis's own `maxmemory` bounds them;
    tag sets expire with the longest-lived of their entries."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix + "cache:"
        self._generation_key = self._prefix + "generation"
        self._put = redis.register_script(_PUT)
        self._invalidate = redis.register_script(_INVALIDATE)

    async def get(self, key: str) -> Entry | None:
        data = await self._redis.get(self._prefix + "entry:" + key)
        if not data:
            return None
        return Entry.unpack(data if isinstance(data, bytes) else data.encode())

    async def generation(self) -> int:
        return int(await self._redis.get(self._generation_key) or 0)

    async def put(self, key: str, entry: Entry, keep: float, generation: int) -> bool:
        keys = [
            self._generation_key,
            self._prefix + "entry:" + key,
            *(self._prefix + "tag:" + tag for tag in sorted(entry.tags)),
        ]
        stored = await self._put(keys, [generation, entry.pack(), max(1, int(keep * 1000))])
        return bool(stored)

    async def invalidate(self, tags: Iterable[str]) -> int:
        keys = [self._generation_key, *(self._prefix + "tag:" + tag for tag in sorted(tags))]
        return int(await self._invalidate(keys, []))

    async def claim(self, key: str, seconds: float) -> bool:
        lock = self._prefix + "computing:" + key
        return bool(await self._redis.set(lock, 1, nx=True, px=max(1, int(seconds * 1000))))

    async def release(self, key: str) -> None:
        await self._redis.delete(self._prefix + "computing:" + key)

    def size(self) -> int:
        return 0  # in Redis
