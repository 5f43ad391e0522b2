"""Persisted queries: automatic (APQ) and trusted documents.

APQ: a client sends `extensions.persistedQuery.sha256Hash` without the query; if the
server has seen that document it runs it, else it answers PERSISTED_QUERY_NOT_FOUND and
the client sends the query with its hash once. Small GET requests then carry only the
hash, and a CDN can cache them. Documents are kept in process memory, or in Redis when
REDIS_URL is set, so that every instance knows them.

Trusted documents (NEWSGATE_TRUSTED_DOCUMENTS, a manifest written by
scripts/trusted_documents.py): only the operations listed run, whether a client sends
the hash or the whole query; nothing new can be registered.
"""

import hashlib
import logging
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import orjson
from graphql import GraphQLError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.ops.metrics import PERSISTED_QUERIES

logger = logging.getLogger("newsgate.persisted")

MAX_MEMORY_DOCUMENTS = 10_000  # the least recently used go first
REDIS_TTL_SECONDS = 7 * 24 * 3600  # unused documents are forgotten after a week


@lru_cache(maxsize=256)  # the documents asked again and again, as limits.analyse keeps them
def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


class DocumentStore(Protocol):
    async def get(self, digest: str) -> str | None: ...

    async def put(self, digest: str, query: str) -> None: ...


class MemoryDocuments:
    def __init__(self) -> None:
        self._documents: OrderedDict[str, str] = OrderedDict()

    async def get(self, digest: str) -> str | None:
        query = self._documents.get(digest)
        if query is not None:
            self._documents.move_to_end(digest)
        return query

    async def put(self, digest: str, query: str) -> None:
        self._documents[digest] = query
        self._documents.move_to_end(digest)
        if len(self._documents) > MAX_MEMORY_DOCUMENTS:
            self._documents.popitem(last=False)


class RedisDocuments:
    """Shared by every instance. Redis failing costs a round trip (the client sends the
    query again), never the request."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix + "apq:"

    async def get(self, digest: str) -> str | None:
        try:
            query = await self._redis.getex(self._prefix + digest, ex=REDIS_TTL_SECONDS)
        except RedisError as error:
            logger.warning("persisted query lookup failed: Redis: %s", error)
            return None
        return query.decode() if isinstance(query, bytes) else query

    async def put(self, digest: str, query: str) -> None:
        try:
            await self._redis.set(self._prefix + digest, query, ex=REDIS_TTL_SECONDS)
        except RedisError as error:
            logger.warning("persisted query not stored: Redis: %s", error)


def load_manifest(path: Path) -> dict[str, str]:
    """A trusted documents manifest: {"sha256 hex": "document"}; each hash is checked."""
    manifest: dict[str, str] = orjson.loads(path.read_bytes())
    for digest, query in manifest.items():
        if sha256(query) != digest:
            raise ValueError(f"{path}: the document under {digest[:12]}… has another hash")
    return manifest


def _request_error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


class PersistedQueries:
    def __init__(self, store: DocumentStore, trusted: dict[str, str] | None = None) -> None:
        self._store = store
        self._trusted = trusted

    async def query(self, query: str | None, extensions: dict[str, Any]) -> str:
        """The document to run; a GraphQLError (the request does not run) otherwise."""
        persisted = extensions.get("persistedQuery")
        digest = None
        if persisted is not None:
            if not isinstance(persisted, dict) or persisted.get("version") != 1:
                raise _request_error("Only persistedQuery version 1 is supported.", "BAD_REQUEST")
            digest = persisted.get("sha256Hash")
            if not isinstance(digest, str):
                raise _request_error("persistedQuery needs a sha256Hash.", "BAD_REQUEST")
        if self._trusted is not None:
            digest = digest or (sha256(query) if query else None)
            if digest is None or digest not in self._trusted:
                raise _request_error(
                    "Only the operations this server trusts can run here.",
                    "PERSISTED_QUERY_NOT_IN_LIST",
                )
            return self._trusted[digest]
        if digest is None:
            if not query:
                raise _request_error("`query` must be a non-empty string.", "BAD_REQUEST")
            return query
        if not query:
            found = await self._store.get(digest)
            PERSISTED_QUERIES.labels("miss" if found is None else "hit").inc()
            if found is None:
                raise _request_error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            return found
        if sha256(query) != digest:
            raise _request_error("The sha256Hash does not match the query.", "BAD_REQUEST")
        await self._store.put(digest, query)
        return query
