"""The response cache: public answers kept whole, by document, operation, variables and
visibility, so that a repeated question costs no database statement and no execution.

Only queries whose answers are the same for everyone who may see published content are
kept: never a mutation, an answer with errors, or one for a caller with content:write.
An answer lives as long as its shortest cache hint (policy.py), and no longer than until
the next scheduled publication. Edits evict what they change by tags (store.py): every
answer records the articles, authors, categories, tags and lists it holds.

Identical misses compute once: in a process, by sharing the computation; across
processes (Redis), the first claims the key and the others wait for its entry. A stale
answer is served while it is computed again (stale-while-revalidate), and, kept a
while longer, while the database is unreachable (stale-if-error).
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from redis.exceptions import RedisError

from app.gateway.cache.purge import PurgeWebhook
from app.gateway.cache.store import Entry, Store
from app.ops import metrics
from models.base import utcnow

logger = logging.getLogger("newsgate.cache")

# How long a process waits for another to fill the entry it is computing.
WAIT_FOR_OTHERS_SECONDS = 2.0
# Stale answers computed again at once in the background, at most: past that they are
# served as they are, and the next request tries again; a burst of expiries must not
# starve the requests that are waiting.
MAX_REVALIDATIONS = 4


@dataclass(frozen=True, slots=True)
class Outcome:
    """A request run for the cache: its body, whether it ran, and for how long and under
    which tags it may be kept (max_age 0: not at all)."""

    body: dict[str, Any]
    ran: bool
    max_age: float = 0
    tags: frozenset[str] = frozenset()
    operation: str | None = None  # its name, for the metrics


@dataclass(frozen=True, slots=True)
class Filled:
    outcome: Outcome | None  # None: another process's entry was taken instead
    entry: Entry | None  # what was stored (or would have been, with Redis down)


Run = Callable[[], Awaitable[Outcome]]
# When the next scheduled article appears (app/data/listing.py), None if none waits.
NextPublication = Callable[[], Awaitable[datetime | None]]


class ResponseCache:
    def __init__(
        self,
        store: Store,
        next_publication: NextPublication,
        stale_while_revalidate: float,
        stale_if_error: float,
        purge: PurgeWebhook | None = None,
    ) -> None:
        self.store = store
        self._next_publication = next_publication
        # The next publication as read at a generation: an edit may schedule one sooner.
        self._publication: tuple[datetime | None, int] | None = None
        self.stale_while_revalidate = stale_while_revalidate
        self.stale_if_error = stale_if_error
        self.purge = purge
        # Computations under way by key, with the generation each began in (None: not
        # read yet): a read joins one only if no edit has come since it began.
        self._flights: dict[str, tuple[int | None, asyncio.Task[Filled]]] = {}
        self._revalidating = 0

    @staticmethod
    def key(document: str, operation_name: str | None, variables: dict[str, Any]) -> str:
        """The key of a public answer: `document` names the query (its text's SHA-256, or
        a persisted query's hash) and variables are compared as canonical JSON."""
        parts = orjson.dumps(
            [document, operation_name, variables, "public"], option=orjson.OPT_SORT_KEYS
        )
        return hashlib.sha256(parts).hexdigest()

    async def get(self, key: str) -> Entry | None:
        try:
            return await self.store.get(key)
        except RedisError as error:
            logger.warning("response cache lookup failed: Redis: %s", error)
            return None

    def can_revalidate(self, entry: Entry) -> bool:
        """Whether a stale entry may be served while it is computed again."""
        return entry.age < entry.max_age + min(entry.max_stale, self.stale_while_revalidate)

    def can_serve_on_error(self, entry: Entry) -> bool:
        """Whether a stale entry may be served when computing it failed."""
        return entry.age < entry.max_age + min(entry.max_stale, self.stale_if_error)

    async def fill(self, key: str, run: Run) -> Filled:
        """Compute `key` and store it when it may be kept; concurrent calls for the same
        key share one computation, unless an edit came since it began: a read sent after
        an edit returned must not take an answer computed before."""
        try:
            generation = await self.store.generation()
        except RedisError as error:
            logger.warning("response cache unavailable: Redis: %s", error)
            return Filled(await run(), None)
        began, flight = self._flights.get(key, (None, None))
        if flight is None or began != generation:
            flight = self._flight(key, run, generation)
        # Shielded: a client that goes away does not cancel the others' answer.
        return await asyncio.shield(flight)

    def revalidate(self, key: str, run: Run) -> None:
        """Compute `key` again in the background, unless that is under way (or enough
        others are)."""
        if key in self._flights or self._revalidating >= MAX_REVALIDATIONS:
            return
        self._revalidating += 1
        self._flight(key, run, None).add_done_callback(self._revalidated)

    def _flight(self, key: str, run: Run, generation: int | None) -> asyncio.Task[Filled]:
        """Start computing `key`: the one computation its concurrent misses share."""
        task = asyncio.create_task(self._fill(key, run, generation))
        self._flights[key] = (generation, task)

        def landed(_: asyncio.Task[Filled]) -> None:
            if self._flights.get(key, (None, None))[1] is task:  # not a later one's place
                del self._flights[key]

        task.add_done_callback(landed)
        return task

    def _revalidated(self, task: asyncio.Task[Filled]) -> None:
        self._revalidating -= 1
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.error("revalidating a cached answer failed", exc_info=error)

    async def invalidate(self, tags: Iterable[str]) -> None:
        """Evict every answer holding one of `tags`, and tell the CDN (an edit committed)."""
        tags = set(tags)
        if not tags:
            return
        try:
            evicted = await self.store.invalidate(tags)
        except RedisError as error:
            # Entries then live out their max age: say so loudly.
            logger.error("response cache invalidation failed: Redis: %s; tags %s", error, tags)
        else:
            metrics.RESPONSE_CACHE_EVICTIONS.labels("invalidated").inc(evicted)
            metrics.RESPONSE_CACHE_BYTES.set(self.store.size())
        if self.purge is not None:
            self.purge.send(tags)

    async def start(self) -> None:
        """Read the next scheduled publication before the first reader would."""
        try:
            generation = await self.store.generation()
        except RedisError as error:
            logger.warning("response cache unavailable: Redis: %s", error)
            return
        self._publication = (await self._next_publication(), generation)

    async def related_lists_changed(self, article_ids: set[int]) -> None:
        """For app/related/maintain.py: the related lists of these articles changed."""
        await self.invalidate(f"related:{article_id}" for article_id in article_ids)

    async def _fill(self, key: str, run: Run, generation: int | None) -> Filled:
        try:
            if generation is None:
                generation = await self.store.generation()
            entry, claimed = await self._claim(key)
            if entry is not None:
                return Filled(None, entry)
        except RedisError as error:
            logger.warning("response cache unavailable: Redis: %s", error)
            return Filled(await run(), None)
        try:
            outcome = await run()
            return Filled(outcome, await self._store(key, outcome, generation))
        finally:
            if claimed:  # else the claim is another's, which it releases
                try:
                    await self.store.release(key)
                except RedisError as error:
                    logger.warning("response cache claim not released: Redis: %s", error)

    async def _publication_after(self, generation: int) -> datetime | None:
        """The next scheduled publication, read again after an edit (which may have
        scheduled one) and once the one known has passed: not a statement per miss."""
        known = self._publication
        if known is None or known[1] != generation or (known[0] and known[0] <= utcnow()):
            known = self._publication = (await self._next_publication(), generation)
        return known[0]

    async def _claim(self, key: str) -> tuple[Entry | None, bool]:
        """The claim to compute `key` here, or the entry that the process computing it
        stores; neither when that one takes too long (this one computes it unclaimed).
        Waiting, the claim is free again once the other gives up (its answer could not be
        kept: an edit came)."""
        deadline = time.monotonic() + WAIT_FOR_OTHERS_SECONDS
        while True:
            if await self.store.claim(key, WAIT_FOR_OTHERS_SECONDS):
                # The last look found no entry, but its maker may have stored it and let
                # the claim go since: look once more before computing it a second time.
                entry = await self.store.get(key)
                if entry is None or not entry.fresh:
                    return None, True
                await self.store.release(key)
                return entry, False
            if time.monotonic() >= deadline:
                return None, False
            await asyncio.sleep(0.005)
            entry = await self.store.get(key)
            if entry is not None and entry.fresh:
                return entry, False

    async def _store(self, key: str, outcome: Outcome, generation: int) -> Entry | None:
        if outcome.max_age <= 0:
            return None
        max_age, max_stale = outcome.max_age, max(self.stale_while_revalidate, self.stale_if_error)
        moment = await self._publication_after(generation)
        if moment is not None and (until := moment.timestamp() - time.time()) < max_age:
            # What readers see changes then, with no edit to evict it: gone at that moment.
            max_age, max_stale = max(until, 0.001), 0
        entry = Entry.of(orjson.dumps(outcome.body), outcome.tags, max_age, max_stale)
        keep = max_age + max_stale
        try:
            stored = await self.store.put(key, entry, keep, generation)
        except RedisError as error:
            logger.warning("response cache entry not stored: Redis: %s", error)
            return entry
        if not stored:  # an edit came while it was computed (or it is over the budget):
            return None  # then HTTP caches are not told to keep it either
        operation = metrics.operation_label(outcome.operation)
        metrics.RESPONSE_CACHE_STORED_BYTES.labels(operation).inc(len(entry.body))
        metrics.RESPONSE_CACHE_BYTES.set(self.store.size())
        return entry
